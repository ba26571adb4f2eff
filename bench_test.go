package spsql_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Issue 6's throughput target: streaming a large list through database/sql
// costs little more than the minimum any client must do with the same
// bytes. BenchmarkStream1M reads a 1,000,000-item synthetic list of 14
// columns of mixed types (no NULLs, so that Scan takes typed variables),
// 5000 items a page, from the emulator over loopback, three ways:
//
//   - sql: db.Query, rows.Next and rows.Scan into int64, string, float64,
//     bool and time.Time variables;
//   - client: the baseline: sharepoint.Client.Items (GET each page, decode
//     it with the decoder spsql ships into a []any per item, prefetching);
//   - transport: GET each page and io.Copy it to io.Discard, following the
//     next links: the cost of the bytes alone.
//
// The emulator renders pages on the same two cores, so every figure
// includes its share; compare them with each other.
//
//	go test -run '^$' -bench Stream1M -benchtime 1x -count 6 .
func BenchmarkStream1M(b *testing.B) {
	const n = 1_000_000
	srv := sptest.NewServer(benchSite(n), sptest.WithoutAuth())
	defer srv.Close()
	ctx := context.Background()
	perItem := func(b *testing.B) {
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
	}

	b.Run("sql", func(b *testing.B) {
		db, err := sql.Open("sharepoint", "ServiceURL="+srv.ServiceURL()+";AuthenticationMethod=None;WSFetchSize=5000")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		var (
			id, owner                           int64
			title, note, status, priority, code string
			amount, budget                      float64
			done                                bool
			due, start, created, modified       time.Time
		)
		b.ReportAllocs()
		for b.Loop() {
			rows, err := db.QueryContext(ctx, "SELECT ID, Title, Note, Amount, Budget, Due, Start, Done, Status, Priority, OwnerId, Created, Modified, Code FROM Report")
			if err != nil {
				b.Fatal(err)
			}
			count := 0
			for rows.Next() {
				if err := rows.Scan(&id, &title, &note, &amount, &budget, &due, &start, &done, &status, &priority, &owner, &created, &modified, &code); err != nil {
					b.Fatal(err)
				}
				count++
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			rows.Close()
			if count != n {
				b.Fatalf("%d rows, want %d", count, n)
			}
		}
		perItem(b)
	})

	b.Run("client", func(b *testing.B) {
		c, err := sharepoint.NewClient(srv.ServiceURL(), srv.Client(), sharepoint.WithPageSize(sharepoint.MaxPageSize))
		if err != nil {
			b.Fatal(err)
		}
		q := sharepoint.Query{Select: []string{"ID", "Title", "Note", "Amount", "Budget", "Due", "Start", "Done", "Status", "Priority", "OwnerId", "Created", "Modified", "Code"}}
		b.ReportAllocs()
		for b.Loop() {
			it, err := c.Items(ctx, "Report", q)
			if err != nil {
				b.Fatal(err)
			}
			count := 0
			for {
				_, err := it.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				count++
			}
			it.Close()
			if count != n {
				b.Fatalf("%d rows, want %d", count, n)
			}
		}
		perItem(b)
	})

	b.Run("transport", func(b *testing.B) {
		hc := srv.Client()
		first := srv.ServiceURL() + "/_api/web/lists/getbytitle('Report')/items?$select=ID,Title,Note,Amount,Budget,Due,Start,Done,Status,Priority,OwnerId,Created,Modified,Code&$top=5000"
		var ends endsWriter
		for b.Loop() {
			pages := 0
			for target := first; target != ""; pages++ {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
				req.Header.Set("Accept", "application/json;odata=nometadata")
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				// Keep the first and last bytes only, to find the next
				// link (SharePoint writes it last, the emulator first).
				ends.reset()
				_, err = io.Copy(io.Discard, io.TeeReader(resp.Body, &ends))
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("GET: %d %v", resp.StatusCode, err)
				}
				target = nextLink(ends.head.String() + ends.tail.String())
			}
			if pages < n/sharepoint.MaxPageSize {
				b.Fatalf("%d pages", pages)
			}
		}
		perItem(b)
	})
}

// endsWriter keeps the first and the last KiB written to it.
type endsWriter struct{ head, tail bytes.Buffer }

func (w *endsWriter) reset() { w.head.Reset(); w.tail.Reset() }

func (w *endsWriter) Write(p []byte) (int, error) {
	if room := 1024 - w.head.Len(); room > 0 {
		w.head.Write(p[:min(room, len(p))])
	}
	w.tail.Write(p[max(0, len(p)-1024):])
	if w.tail.Len() > 4096 {
		keep := append([]byte(nil), w.tail.Bytes()[w.tail.Len()-1024:]...)
		w.tail.Reset()
		w.tail.Write(keep)
	}
	return len(p), nil
}

// nextLink finds "odata.nextLink":"…" in the ends of a nometadata page.
func nextLink(tail string) string {
	_, after, ok := strings.Cut(tail, `"odata.nextLink":"`)
	if !ok {
		return ""
	}
	link, _, _ := strings.Cut(after, `"`)
	return link
}

// benchSite is one list of n synthetic items with 14 columns: the
// system ID, Title, Created and Modified, and ten required fields.
func benchSite(n int) sptest.Site {
	req := func(title, typ string, choices ...string) sptest.Field {
		return sptest.Field{Title: title, Type: typ, Required: true, Choices: choices}
	}
	return sptest.Site{Lists: []sptest.List{{
		Title: "Report",
		Fields: []sptest.Field{
			req("Note", "Note"),
			req("Amount", "Number"),
			req("Budget", "Currency"),
			req("Due", "DateTime"),
			req("Start", "DateTime"),
			req("Done", "Boolean"),
			req("Status", "Choice", "Open", "In Progress", "Closed"),
			req("Priority", "Choice", "Low", "Normal", "High"),
			req("Owner", "User"),
			req("Code", "Text"),
		},
		Generator: sptest.Synthetic(7, n),
	}}}
}
