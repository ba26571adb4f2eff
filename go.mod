module github.com/go-spsql/spsql

go 1.26

require golang.org/x/oauth2 v0.38.0 // indirect
