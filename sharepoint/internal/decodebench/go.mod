module github.com/go-spsql/spsql/sharepoint/internal/decodebench

go 1.26.0

require (
	github.com/go-json-experiment/json v1.27.2
	github.com/go-spsql/spsql v0.0.0-00010101000000-000000000000
	github.com/valyala/fastjson v1.6.10
)

require (
	golang.org/x/crypto v0.59.0 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	software.sslmate.com/src/go-pkcs12 v0.7.4 // indirect
)

// The spsql of this clone, not a published version: the candidates are
// measured against the decoder beside them.
replace github.com/go-spsql/spsql => ../../..
