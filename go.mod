module github.com/go-spsql/spsql

go 1.26.0

require (
	go.uber.org/goleak v1.3.0
	golang.org/x/oauth2 v0.38.0
)
