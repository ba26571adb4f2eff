package sharepoint

import (
	"fmt"
	"reflect"
	"testing"
)

// The page decoder was chosen by measurement. The candidates below decode
// the benchmark page (bench_test.go) into the same typed rows:
//
//   - tokens: encoding/json's Decoder.Token loop, the decoder before the
//     scanner (decode_oracle_test.go);
//   - scanner: pageDecoder, the hand-written scanner that ships.
//
// The third-party candidates (github.com/go-json-experiment/json's jsontext
// and github.com/valyala/fastjson) live in the nested module
// sharepoint/internal/decodebench, so that spsql's go.mod never needs them
// under any build tag; see docs/performance.md for both commands.
type decodeCandidate struct {
	name string
	// make returns a function decoding one page for cols; it may keep
	// state between pages, as pageDecoder does.
	make func(cols []Column) func(body []byte) (rows [][]any, next string, err error)
}

var decodeCandidates = []decodeCandidate{
	{"tokens", func(cols []Column) func([]byte) ([][]any, string, error) { return newTokenDecoder(cols).decode }},
	{"scanner", func(cols []Column) func([]byte) ([][]any, string, error) { return newPageDecoder(cols).decode }},
}

func BenchmarkDecodeCandidates(b *testing.B) {
	cols, _, _, err := resolveColumns("Tasks", benchFields, benchSelect)
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{"nometadata", "verbose"} {
		const n = 5000
		body := benchPage(n, format == "verbose")
		for _, c := range decodeCandidates {
			b.Run(format+"/"+c.name, func(b *testing.B) {
				decode := c.make(cols)
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					rows, _, err := decode(body)
					if err != nil || len(rows) != n {
						b.Fatalf("decode: %d rows, %v", len(rows), err)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
				b.ReportMetric(testing.AllocsPerRun(1, func() { _, _, _ = decode(body) })/n, "allocs/item")
			})
		}
	}
}

// Every candidate must give the rows the scanner gives, or its figures
// would compare different work.
func TestDecodeCandidatesAgree(t *testing.T) {
	cols, _, _, err := resolveColumns("Tasks", benchFields, benchSelect)
	if err != nil {
		t.Fatal(err)
	}
	for _, verbose := range []bool{false, true} {
		body := benchPage(200, verbose)
		want, wantNext, err := newPageDecoder(cols).decode(body)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range decodeCandidates {
			t.Run(fmt.Sprintf("%s/verbose=%t", c.name, verbose), func(t *testing.T) {
				decode := c.make(cols)
				for range 2 { // the second page reuses the candidate's state
					rows, next, err := decode(body)
					if err != nil || next != wantNext || !reflect.DeepEqual(rows, want) {
						t.Fatalf("rows[0] = %#v, next %q, err %v\nwant %#v, next %q", first(rows), next, err, want[0], wantNext)
					}
				}
			})
		}
	}
}

func first(rows [][]any) []any {
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}
