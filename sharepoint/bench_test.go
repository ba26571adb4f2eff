package sharepoint

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

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
// machine's cores, so this is a lower bound on the client's speed. It
// reports the peak of the live heap, sampled, which must not grow with
// the list (the flat-memory target of docs/performance.md).
func BenchmarkStreamSynthetic1M(b *testing.B) { benchmarkStream(b, 1_000_000) }

// BenchmarkStreamSynthetic100k is the same list a tenth as long: its peak
// heap must be the same.
func BenchmarkStreamSynthetic100k(b *testing.B) { benchmarkStream(b, 100_000) }

// BenchmarkStreamSynthetic1MGzip is the same with the emulator gzipping
// its answers, as SharePoint Online does, and Go's transport gunzipping.
func BenchmarkStreamSynthetic1MGzip(b *testing.B) { benchmarkStream(b, 1_000_000, sptest.WithGzip()) }

var benchStreamQuery = Query{Select: []string{"ID", "Title", "Amount", "Status", "Due Date", "Created", "AuthorId"}}

func benchmarkStream(b *testing.B, n int, opts ...sptest.Option) {
	srv := sptest.NewServer(synthetic(n), append([]sptest.Option{sptest.WithoutAuth()}, opts...)...)
	defer srv.Close()
	c, err := NewClient(srv.ServiceURL(), srv.Client(), WithPageSize(MaxPageSize))
	if err != nil {
		b.Fatal(err)
	}
	peak := sampleHeap()
	b.ReportAllocs()
	for b.Loop() {
		it, err := c.Items(context.Background(), "Big", benchStreamQuery)
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			_, err := it.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		it.Close()
		if rows != n {
			b.Fatalf("streamed %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
}

// sampleHeap samples the live heap (runtime/metrics, no stop-the-world)
// every 5 ms until the returned function is called, which reports the
// largest sample.
func sampleHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var peak uint64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-t.C:
			case <-stop:
				done <- peak
				return
			}
		}
	}()
	return func() uint64 { close(stop); return <-done }
}

// BenchmarkStreamLatency30ms reads 40 full pages (200,000 items) from an
// emulator that answers every request 30 ms late, as a distant tenant
// would. "items" is the client (Items, which fetches the next page while
// the caller reads the current one); "sequential" is the same requests
// and decoding one after the other, with nothing in flight while a page
// is decoded or read; "slices-N" reads the list in ID slices, N requests
// in flight (Query.Parallel). ms/page is wall time per page; 30 of it is
// latency.
func BenchmarkStreamLatency30ms(b *testing.B) {
	const pages, n = 40, 40 * MaxPageSize
	srv := sptest.NewServer(synthetic(n), sptest.WithoutAuth())
	defer srv.Close()
	srv.SetLatency(30 * time.Millisecond)
	c, err := NewClient(srv.ServiceURL(), srv.Client(), WithPageSize(MaxPageSize))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	fields, err := c.Fields(ctx, "Big")
	if err != nil {
		b.Fatal(err)
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(pages*b.N), "ms/page")
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
	}
	b.Run("items", func(b *testing.B) {
		for b.Loop() {
			if rows, err := readErr(c.Items(ctx, "Big", benchStreamQuery)); err != nil || rows != n {
				b.Fatalf("%d rows, %v", rows, err)
			}
		}
		report(b)
	})
	for _, parallel := range []int{2, 4} {
		b.Run("slices-"+strconv.Itoa(parallel), func(b *testing.B) {
			q := benchStreamQuery
			q.Parallel = parallel
			for b.Loop() {
				if rows, err := readErr(c.Items(ctx, "Big", q)); err != nil || rows != n {
					b.Fatalf("%d rows, %v", rows, err)
				}
			}
			report(b)
		})
	}
	b.Run("sequential", func(b *testing.B) {
		cols, selects, expands, err := resolveColumns("Big", fields, benchStreamQuery.Select)
		if err != nil {
			b.Fatal(err)
		}
		first := c.apiURL(ListPath("Big") + "/items?" + c.itemsQuery(selects, expands, benchStreamQuery))
		for b.Loop() {
			dec, buf, total := newPageDecoder(cols), []byte(nil), 0
			for target := first; target != ""; {
				var rows [][]any
				if buf, err = c.download(ctx, target, buf, MinPageBytes); err != nil {
					b.Fatal(err)
				}
				if rows, target, err = dec.decode(buf); err != nil {
					b.Fatal(err)
				}
				total += len(rows)
			}
			if total != n {
				b.Fatalf("%d rows, want %d", total, n)
			}
		}
		report(b)
	})
}
