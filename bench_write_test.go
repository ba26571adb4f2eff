package spsql_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// BenchmarkInsert10k is the write benchmark: 10,000 rows inserted
// into an empty list, one INSERT a row (one request each) against
// multi-row INSERTs of 1,000 rows (SharePoint's $batch, 100 operations a
// request), over loopback to the emulator on the same cores.
//
//	go test -run '^$' -bench Insert10k -benchtime 1x -count 3 .
func BenchmarkInsert10k(b *testing.B) {
	const n = 10_000
	open := func(b *testing.B) *sql.DB {
		srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{
			Title:  "Sink",
			Fields: []sptest.Field{{Title: "Amount", Type: "Number"}},
		}}})
		b.Cleanup(srv.Close)
		db, err := sql.Open("sharepoint", srv.ConnString())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	}
	count := func(b *testing.B, db *sql.DB, want int) {
		var got int
		if err := db.QueryRow("SELECT COUNT(*) FROM Sink").Scan(&got); err != nil || got != want {
			b.Fatalf("the list holds %d items (%v), want %d", got, err, want)
		}
	}
	ctx := context.Background()
	b.Run("one row a statement", func(b *testing.B) {
		total := 0
		for b.Loop() {
			db := open(b)
			for i := range n {
				if _, err := db.ExecContext(ctx, "INSERT INTO Sink (Title, Amount) VALUES (?, ?)", fmt.Sprint("row ", i), float64(i)); err != nil {
					b.Fatal(err)
				}
			}
			count(b, db, n)
			total += n
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("1000 rows a statement (batched)", func(b *testing.B) {
		total := 0
		for b.Loop() {
			db := open(b)
			for start := 0; start < n; start += 1000 {
				var q strings.Builder
				args := make([]any, 0, 2000)
				q.WriteString("INSERT INTO Sink (Title, Amount) VALUES ")
				for i := start; i < start+1000; i++ {
					if i > start {
						q.WriteString(", ")
					}
					q.WriteString("(?, ?)")
					args = append(args, fmt.Sprint("row ", i), float64(i))
				}
				res, err := db.ExecContext(ctx, q.String(), args...)
				if err != nil {
					b.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n != 1000 {
					b.Fatalf("RowsAffected = %d, want 1000", n)
				}
			}
			count(b, db, n)
			total += n
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
	})
}
