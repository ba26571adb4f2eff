package spsql_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// The pacing benchmarks' budget and sizes; the defaults take several
// minutes (see docs/performance.md, "Pacing against the throttling
// budget").
var (
	paceRU     = flag.Int("pace.ru", 1500, "BenchmarkPacing: the emulator's resource units per window")
	paceWindow = flag.Duration("pace.window", 5*time.Second, "BenchmarkPacing: the emulator's budget window")
	paceRows   = flag.Int("pace.rows", 20_000, "BenchmarkPacing: rows inserted")
	paceItems  = flag.Int("pace.items", 1_000_000, "BenchmarkPacing: items of the list read")
	paceWrites = flag.Int("pace.writes", 4_000, "BenchmarkPacing: rows the other *sql.DB writes during the read")
)

// BenchmarkPacing measures the driver against the emulator's throttling
// budget: wall time against the floor (the units the work needs, divided
// by the budget's units per second) and the 429s met, with pacing on
// (delegated tokens, which get no RateLimit headers, and application
// tokens, which do) and off, side by side in one run. It takes minutes:
//
//	go test -run '^$' -bench Pacing -benchtime 1x -timeout 60m .
//
// Every row is checked to be written exactly once and every read to be
// exact (b.Fatal otherwise).
func BenchmarkPacing(b *testing.B) {
	if testing.Short() {
		b.Skip("minutes long: run without -short")
	}
	for _, mode := range []struct {
		name    string
		headers bool
		props   string
	}{
		{"delegated/paced", false, ""},
		{"app-only headers/paced", true, ""},
		{"delegated/unpaced", false, ";Pacing=false"},
	} {
		b.Run("insert "+fmt.Sprint(*paceRows)+" rows/"+mode.name, func(b *testing.B) {
			for b.Loop() {
				srv := paceServer(b, mode.headers, sptest.List{Title: "Log"})
				db := paceDB(b, srv, mode.props+";WSFetchSize=5000")
				start := time.Now()
				if err := insertRows(context.Background(), db, 0, *paceRows, 1000); err != nil {
					b.Fatal(err)
				}
				took := time.Since(start)
				report(b, srv, took)
				if err := checkWrittenOnce(context.Background(), db, *paceRows); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, mode := range []struct {
		name    string
		headers bool
		props   string
	}{
		{"delegated/paced", false, ""},
		{"app-only headers/paced", true, ""},
		{"delegated/unpaced", false, ";Pacing=false"},
	} {
		b.Run(fmt.Sprintf("read %d items, ParallelRequests=4, while writing/%s", *paceItems, mode.name), func(b *testing.B) {
			for b.Loop() {
				srv := paceServer(b, mode.headers,
					sptest.List{Title: "Big", Fields: []sptest.Field{{Title: "Amount", Type: "Number"}}, Generator: sptest.Synthetic(5, *paceItems)},
					sptest.List{Title: "Log"})
				reader := paceDB(b, srv, mode.props+";ParallelRequests=4")
				writer := paceDB(b, srv, mode.props)
				ctx := context.Background()
				start := time.Now()
				wrote := make(chan error, 1)
				go func() { wrote <- insertRows(ctx, writer, 0, *paceWrites, 100) }()
				rows, err := reader.QueryContext(ctx, "SELECT ID, Title, Amount FROM Big")
				if err != nil {
					b.Fatal(err)
				}
				n := int64(0)
				for rows.Next() {
					var id int64
					var title string
					var amount sql.NullFloat64
					if err := rows.Scan(&id, &title, &amount); err != nil {
						b.Fatal(err)
					}
					if n++; id != n {
						b.Fatalf("row %d has ID %d: the read is not exact", n, id)
					}
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close()
				if n != int64(*paceItems) {
					b.Fatalf("read %d items, want %d", n, *paceItems)
				}
				if err := <-wrote; err != nil {
					b.Fatal(err)
				}
				took := time.Since(start)
				report(b, srv, took)
				if err := checkWrittenOnce(ctx, writer, *paceWrites); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func paceServer(b *testing.B, headers bool, lists ...sptest.List) *sptest.Server {
	budget := sptest.Budget{RU: *paceRU, Window: *paceWindow}
	if headers {
		budget.RateLimitHeaders = sptest.AlwaysRateLimitHeaders
	}
	srv := sptest.NewServer(sptest.Site{Lists: lists}, sptest.WithBudget(budget))
	b.Cleanup(srv.Close)
	return srv
}

func paceDB(b *testing.B, srv *sptest.Server, props string) *sql.DB {
	db, err := sql.Open("sharepoint", srv.ConnString()+props)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// report reports the run's wall time against the floor: the units the
// admitted requests cost (what the work needs), at the budget's units
// per second.
func report(b *testing.B, srv *sptest.Server, took time.Duration) {
	needed, throttled := 0, 0
	for _, r := range srv.Requests() {
		if r.Status == http.StatusTooManyRequests {
			throttled++
			continue
		}
		needed += r.Cost
	}
	perSecond := float64(*paceRU) / paceWindow.Seconds()
	floor := float64(needed) / perSecond
	b.ReportMetric(took.Seconds(), "s")
	b.ReportMetric(floor, "floor-s")
	b.ReportMetric(took.Seconds()/floor, "x-floor")
	b.ReportMetric(float64(throttled), "429s")
	b.ReportMetric(float64(needed), "RU")
	b.ReportMetric(0, "ns/op")
}
