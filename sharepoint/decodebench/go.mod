module github.com/go-spsql/spsql/sharepoint/decodebench

go 1.26.0

require (
	github.com/go-json-experiment/json v1.27.2
	github.com/valyala/fastjson v1.6.10
)
