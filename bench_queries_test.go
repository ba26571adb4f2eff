package spsql_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// countingTransport counts requests and response bytes by kind.
type countingTransport struct {
	base                   http.RoundTripper
	items, metadata, bytes atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(strings.ToLower(r.URL.Path), "/items") {
		t.items.Add(1)
	} else if strings.Contains(r.URL.Path, "/_api/") {
		t.metadata.Add(1)
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &t.bytes}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// openCounted opens a *sql.DB on the demo site whose requests are counted.
func openCounted(b *testing.B) (*sql.DB, *countingTransport) {
	b.Helper()
	srv := sptest.NewServer(sptest.DemoSite())
	b.Cleanup(srv.Close)
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		b.Fatal(err)
	}
	ct := &countingTransport{base: srv.Client().Transport}
	connector, err := spsql.NewConnector(cfg, spsql.WithHTTPClient(&http.Client{Transport: ct}))
	if err != nil {
		b.Fatal(err)
	}
	db := sql.OpenDB(connector)
	b.Cleanup(func() { db.Close() })
	return db, ct
}

// BenchmarkQueryRequests measures the "fewest requests" target: per query,
// the requests and response bytes a typical report query costs on one
// *sql.DB (metadata is fetched once per TTL, not per query; a LIMIT with
// a pushed filter is one request).
func BenchmarkQueryRequests(b *testing.B) {
	for _, q := range []string{
		"SELECT Title, [Due Date] FROM Tasks WHERE Status = 'Blocked' ORDER BY [Due Date] LIMIT 10",
		"SELECT ID, Title, Project FROM Tasks WHERE [Percent Complete] >= 0.5",
	} {
		b.Run(q[:strings.Index(q, " FROM")], func(b *testing.B) {
			db, ct := openCounted(b)
			ctx := context.Background()
			var queries int64
			for b.Loop() {
				rows, err := db.QueryContext(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				if err := rows.Close(); err != nil {
					b.Fatal(err)
				}
				queries++
			}
			b.ReportMetric(float64(ct.items.Load())/float64(queries), "items-requests/query")
			b.ReportMetric(float64(ct.metadata.Load()), "metadata-requests")
			b.ReportMetric(float64(ct.bytes.Load())/float64(queries), "bytes/query")
		})
	}
}

// BenchmarkConcurrentQueries measures the concurrency target: 8
// goroutines querying one *sql.DB on 2 cores. Run with -mutexprofile to
// see lock contention:
//
//	go test -run '^$' -bench ConcurrentQueries -mutexprofile mutex.out .
//	go tool pprof -top mutex.out
func BenchmarkConcurrentQueries(b *testing.B) {
	db, _ := openCounted(b)
	db.SetMaxOpenConns(8)
	const q = "SELECT ID, Title, Status, [Due Date] FROM Tasks WHERE Status = ? ORDER BY ID"
	b.SetParallelism(4) // 4 × GOMAXPROCS(2) = 8 goroutines
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			rows, err := db.QueryContext(ctx, q, "In Progress")
			if err != nil {
				b.Error(err)
				return
			}
			for rows.Next() {
			}
			rows.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}
