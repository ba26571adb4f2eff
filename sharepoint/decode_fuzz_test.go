package sharepoint

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// fuzzFields has a field of every kind a column can be read as, so that
// FuzzDecodePage drives every conversion of both decoders.
var fuzzFields = []Field{
	{EntityPropertyName: "ID", Type: "Counter"},
	{EntityPropertyName: "Title", Type: "Text"},
	{EntityPropertyName: "Status", Type: "Choice"},
	{EntityPropertyName: "Amount", Type: "Number"},
	{EntityPropertyName: "Due", Type: "DateTime"},
	{EntityPropertyName: "Done", Type: "Boolean"},
	{EntityPropertyName: "Tags", Type: "MultiChoice"},
	{EntityPropertyName: "Link", Type: "URL"},
	{EntityPropertyName: "Term", Type: "TaxonomyFieldType"},
	{EntityPropertyName: "Terms", Type: "TaxonomyFieldTypeMulti"},
	{EntityPropertyName: "Author", Type: "User"},
	{EntityPropertyName: "Reviewers", Type: "UserMulti"},
	{EntityPropertyName: "Effort", Type: "Calculated", OutputType: KindNumber},
	{EntityPropertyName: "Late", Type: "Calculated", OutputType: KindBoolean},
	{EntityPropertyName: "Count", Type: "Calculated", OutputType: 1},
	{EntityPropertyName: "Geo", Type: "Geolocation"},
}

var fuzzSelect = []string{"ID", "Title", "Status", "Amount", "Due", "Done", "Tags", "Link", "Term", "Terms",
	"AuthorId", "Author/Title", "Author/EMail", "Reviewers/Title", "ReviewersId", "Effort", "Late", "Count", "Title", "Geo"}

// fuzzSeeds are pages in every envelope with the values and the faults
// the decoders must agree on.
var fuzzSeeds = []string{
	`{"value":[{"ID":1,"Title":"a"}],"odata.nextLink":"n"}`,
	`{"odata.nextLink":"first","value":[{"Title":"x","ID":2,"Id":2}]}`,
	`{"@odata.context":"x","value":[{"@odata.etag":"\"2\"","ID":3}],"@odata.nextLink":null}`,
	`{"d":{"results":[{"__metadata":{"uri":"x","etag":"\"3\""},"ID":4,"Tags":{"__metadata":{"type":"C"},"results":["a","b"]},"ReviewersId":{"results":[7,9]}}],"__next":"nx"}}`,
	`{"value":[{"Title":"caf\u00e9 \ud83d\ude00 \" \\ \/ \b\f\n\r\t","Status":"\ud800 lone","Tags":["\udc00x","ok"]}]}`,
	`{"value":[{"Amount":67687.0,"ID":1e3,"Count":"67687.0","Effort":"float;#-0.5","Late":"boolean;#1","Done":0}]}`,
	`{"value":[{"Amount":-0.5,"ID":-7,"Due":"2024-02-29T23:59:59Z","Done":true},{"Due":"2023-02-29T00:00:00Z"}]}`,
	`{"value":[{"Due":"/Date(1704153600000)/"},{"Due":"2024-01-02T03:04:05+02:00"},{"Due":"2024-01-02"},{"Due":"2024-13-01T00:00:00Z"}]}`,
	`{"value":[{"ID":null,"Title":null,"Amount":null,"Due":null,"Done":null,"Tags":null,"Link":null,"Term":null,"Author":null,"Reviewers":null}]}`,
	`{"value":[{"Link":{"__metadata":{},"Url":"https://x","Description":"d"},"Term":{"Label":"2","TermGuid":"g","WssId":2},"Terms":[{"Label":"a","TermGuid":"g","WssId":"3"}]}]}`,
	`{"value":[{"Author":{"Title":"Ann","EMail":"a@x","Extra":{"n":[1,{"a":null}]}},"Reviewers":[{"Title":"Bo"},{"Title":null},{"Title":{"x":1}}]}]}`,
	`{"d":{"results":[{"Reviewers":{"results":[{"__metadata":{},"Title":"Bo"}]},"Author":{"__deferred":{"uri":"u"}}}]}}`,
	`{"unknown":{"a":[1,2,{"b":[true,false,null]}],"c":"\u0041"},"value":[{"x":[[[]]],"ID":5}]} trailing`,
	`{"value":[{"ID":1},{"ID":2},{"I`,
	`{"value":[{"ID":12`,
	`{"value":[{"Title":"\u00`,
	`{"value":[{"ID":1,}]}`,
	`{"value":[1]}`,
	`{"value":[{"ID":"lots"}]}`,
	`{"value":[{"Amount":1e400,"ID":9223372036854775807},{"ID":9223372036854775808},{"ID":1.5}]}`,
	`{"value":[{"ID":"","Amount":" 2 ","Done":"yes","Status":3,"Title":true}]}`,
	`{"value":[{"Term":{"WssId":{"a":1},"Label":"x"},"ReviewersId":["1"]}]}`,
	`{"value":[],"value":[{"ID":1}],"d":{"results":[{"ID":2}]}}`,
	"{\"value\":[{\"Title\":\"bad \xff utf8\",\"\\u0049D\":8}]}",
	`  {"value" : [ { "ID" : 1 , "Title" : "s" } ] , "odata.nextLink" : "n" }  `,
	`{"value":[{"Geo":{"Altitude":0.0,"Latitude":50.6354,"Longitude":3.06998,"Measure":0.0}},{"Geo":{"__metadata":{"type":"SP.FieldGeolocationValue"},"Latitude":-1e-7,"Longitude":180,"Altitude":-0.5,"Latitude":2,"Extra":{"a":[1]}}},{"Geo":"POINT (1 2)"},{"Geo":null}]}`,
	`{"value":[{"Geo":{"Latitude":1,"Longitude":1e400}}]}`, `{"value":[{"Geo":{"Latitude":1,"Longitude":null}}]}`,
	`{"value":[{"Geo":{"Latitude":true,"Longitude":1}}]}`, `{"value":[{"Geo":[1,2]}]}`, `{"value":[{"Geo":{"Latitude":1,"Longitude":2`,
	`null`, ``, `{`, `[]`, `{"value":null}`, `{"value":[{"ID":01}]}`, `{"value":[{"ID":-}]}`, `{"value":[{"ID":tru}]}`,
}

// FuzzDecodePage holds pageDecoder to the token decoder it replaced: on
// any input, the same rows and next link, or both fail; a failure is a
// cut body (retried) for both or for neither. It also checks that the
// rows share no bytes with the body (whose buffer the next page reuses)
// and that a decoder reused for a second page gives the same answer.
func FuzzDecodePage(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add(benchPage(3, false))
	f.Add(benchPage(3, true))
	cols, _, _, err := resolveColumns("T", fuzzFields, fuzzSelect)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		compareDecoders(t, cols, body)
	})
}

func compareDecoders(t *testing.T, cols []Column, body []byte) {
	t.Helper()
	wantRows, wantNext, wantErr := newTokenDecoder(cols).decode(body)
	page := append([]byte(nil), body...)
	dec := newPageDecoder(cols)
	rows, next, err := dec.decode(page)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("body %q:\nerr = %v\nthe token decoder's = %v", body, err, wantErr)
	}
	if err != nil {
		if truncated(err) != truncated(wantErr) {
			t.Fatalf("body %q: cut short = %v (%v), the token decoder's = %v (%v)", body, truncated(err), err, truncated(wantErr), wantErr)
		}
		return
	}
	for i := range page {
		page[i] = 'x' // a row that kept a view of the page would change
	}
	if !sameRows(rows, wantRows) || next != wantNext {
		t.Fatalf("body %q:\nrows = %#v, next %q\nwant   %#v, next %q", body, rows, next, wantRows, wantNext)
	}
	again, next2, err := dec.decode(body)
	if err != nil || !sameRows(again, wantRows) || next2 != wantNext {
		t.Fatalf("body %q: a reused decoder gave %#v, %q, %v", body, again, next2, err)
	}
}

// sameRows is reflect.DeepEqual, with NaN equal to itself (a Calculated
// "NaN" reads as one) and no rows equal to an empty page.
func sameRows(a, b [][]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b) || fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

func TestDecodeAgreesWithTheTokenDecoderOnTheSeeds(t *testing.T) {
	cols, _, _, err := resolveColumns("T", fuzzFields, fuzzSelect)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fuzzSeeds {
		compareDecoders(t, cols, []byte(s))
	}
	for _, verbose := range []bool{false, true} {
		body := benchPage(30, verbose)
		compareDecoders(t, cols, body)
		for cut := 0; cut < len(body); cut += 13 { // every cut is an error, and a retryable one
			compareDecoders(t, cols, body[:cut])
		}
	}
}

// The fast path for "YYYY-MM-DDTHH:MM:SSZ" must agree with time.Parse,
// invalid dates (Feb 29 of a common year, hour 24) included.
func TestParseUTCSecondsAgreesWithTimeParse(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", r.IntN(10000), r.IntN(14), r.IntN(33), r.IntN(26), r.IntN(62), r.IntN(62))
		want, werr := time.Parse(time.RFC3339, s)
		got, ok := parseUTCSeconds([]byte(s))
		if ok != (werr == nil) || (ok && got != want.UTC()) {
			t.Fatalf("parseUTCSeconds(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want.UTC(), werr)
		}
	}
}
