// Package decodebench holds, in a module of its own, the third-party JSON
// decoders that were measured against the page decoder spsql ships
// (github.com/go-json-experiment/json's jsontext and
// github.com/valyala/fastjson), so that they never enter spsql's go.mod.
// Its go.work puts them beside spsql for the build-tagged candidates in
// ../decode_candidates_ext_test.go:
//
//	GOWORK=$PWD/sharepoint/decodebench/go.work go test -tags decodecandidates \
//	    -run '^$' -bench DecodeCandidates -count 6 ./sharepoint/
package decodebench

import (
	// The candidates, required here so that go.mod keeps them.
	_ "github.com/go-json-experiment/json/jsontext"
	_ "github.com/valyala/fastjson"
)
