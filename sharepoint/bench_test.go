package sharepoint

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// benchFields is a typical reporting list: text, numbers, dates, a choice,
// a multi-choice, a person and a lookup.
var benchFields = []Field{
	{EntityPropertyName: "ID", Type: "Counter"},
	{EntityPropertyName: "Title", Type: "Text"},
	{EntityPropertyName: "Status", Type: "Choice"},
	{EntityPropertyName: "DueDate", Type: "DateTime"},
	{EntityPropertyName: "PercentComplete", Type: "Number"},
	{EntityPropertyName: "Budget", Type: "Currency"},
	{EntityPropertyName: "Done", Type: "Boolean"},
	{EntityPropertyName: "Tags", Type: "MultiChoice"},
	{EntityPropertyName: "AssignedTo", Type: "User"},
	{EntityPropertyName: "Project", Type: "Lookup"},
}

var benchSelect = []string{"ID", "Title", "Status", "DueDate", "PercentComplete", "Budget", "Done", "Tags", "AssignedToId", "ProjectId"}

// benchPage builds a page of n items in nometadata or verbose form, with
// the per-row metadata SharePoint adds in verbose.
func benchPage(n int, verbose bool) []byte {
	var b strings.Builder
	if verbose {
		b.WriteString(`{"d":{"results":[`)
	} else {
		b.WriteString(`{"value":[`)
	}
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		tags := `["Red","Blue"]`
		meta := ""
		if verbose {
			tags = `{"__metadata":{"type":"Collection(Edm.String)"},"results":["Red","Blue"]}`
			meta = fmt.Sprintf(`"__metadata":{"id":"Web/Lists(guid'0b5d')/Items(%d)","uri":"https://t.sharepoint.com/sites/x/_api/Web/Lists(guid'0b5d')/Items(%d)","etag":"\"3\"","type":"SP.Data.TasksListItem"},"FirstUniqueAncestorSecurableObject":{"__deferred":{"uri":"https://t.sharepoint.com/sites/x/_api/Web/Lists(guid'0b5d')/Items(%d)/FirstUniqueAncestorSecurableObject"}},`, i, i, i)
		}
		fmt.Fprintf(&b, `{%s"FileSystemObjectType":0,"Id":%d,"ID":%d,"Title":"Task number %d for the quarterly report","Status":"In Progress","DueDate":"2026-03-%02dT08:00:00Z","PercentComplete":0.%d,"Budget":%d.25,"Done":%t,"Tags":%s,"AssignedToId":%d,"AssignedToStringId":"%d","ProjectId":%d,"Modified":"2026-01-01T00:00:00Z","GUID":"00eefc0c-fb5a-4688-a1c4-344191f885b9"}`,
			meta, i, i, i, i%28+1, i%10, i*3, i%2 == 0, tags, i%50, i%50, i%20)
	}
	next := `"odata.nextLink":"https://t.sharepoint.com/sites/x/_api/web/lists/getbytitle('Tasks')/items?%24skiptoken=Paged%3dTRUE%26p_ID%3d5000&%24top=5000"`
	if verbose {
		b.WriteString(`],"__next":"x"}}`)
	} else {
		b.WriteString(`],` + next + `}`)
	}
	return []byte(b.String())
}

func benchmarkDecode(b *testing.B, verbose bool) {
	const n = 5000
	body := benchPage(n, verbose)
	if !json.Valid(body) {
		b.Fatal("benchmark page is not valid JSON")
	}
	cols, _, _, err := resolveColumns("Tasks", benchFields, benchSelect)
	if err != nil {
		b.Fatal(err)
	}
	dec := newPageDecoder(cols)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rows, _, err := dec.decode(body)
		if err != nil || len(rows) != n {
			b.Fatalf("decode: %d rows, %v", len(rows), err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(testing.AllocsPerRun(1, func() { _, _, _ = dec.decode(body) }))/n, "allocs/item")
}

// BenchmarkDecodePage5000Nometadata decodes one full page (5,000 items,
// SharePoint's cap) in the format the client asks for.
func BenchmarkDecodePage5000Nometadata(b *testing.B) { benchmarkDecode(b, false) }

// BenchmarkDecodePage5000Verbose decodes the same page in odata=verbose,
// which proxies and on-premises farms answer with.
func BenchmarkDecodePage5000Verbose(b *testing.B) { benchmarkDecode(b, true) }

// BenchmarkStreamSynthetic1M streams a 1,000,000-item synthetic list from
// the emulator over loopback, 5000 items a page, through Items: the whole
// client path (HTTP, prefetch, decoding, typing). The emulator shares the
// machine's cores, so this is a lower bound on the client's speed.
func BenchmarkStreamSynthetic1M(b *testing.B) {
	const n = 1_000_000
	srv := sptest.NewServer(synthetic(n), sptest.WithoutAuth())
	defer srv.Close()
	c, err := NewClient(srv.ServiceURL(), srv.Client(), WithPageSize(MaxPageSize))
	if err != nil {
		b.Fatal(err)
	}
	q := Query{Select: []string{"ID", "Title", "Amount", "Status", "Due Date", "Created", "AuthorId"}}
	b.ReportAllocs()
	for b.Loop() {
		it, err := c.Items(context.Background(), "Big", q)
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for it.Next() {
			rows++
		}
		if err := it.Err(); err != nil {
			b.Fatal(err)
		}
		it.Close()
		if rows != n {
			b.Fatalf("streamed %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
}
