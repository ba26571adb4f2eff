// Package decodebench measures, in a module of its own, third-party JSON
// decoders against the page decoder that package sharepoint ships:
// github.com/go-json-experiment/json's jsontext and
// github.com/valyala/fastjson. They were the candidates when the decoder
// was chosen (docs/performance.md gives the figures); keeping them in this
// nested module keeps them out of spsql's go.mod, whatever the build tags.
//
// Run from this directory:
//
//	go test -run '^$' -bench . -count 6
//
// Every candidate decodes the same page (5,000 items as sptest serves
// them, captured once) into the same typed rows; TestCandidatesAgree
// checks them against the rows sharepoint.Client yields. The shipped
// decoder is measured through sharepoint.Client.Items with the page
// answered from memory, so its figure includes the client's small
// per-request work; the others decode the bytes alone.
package decodebench
