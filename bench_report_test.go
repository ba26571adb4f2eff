package spsql_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Issue 9's figures: GROUP BY over 1,000,000 items and a join of
// 100,000 × 1,000 items, through database/sql against the emulator on
// loopback (which renders the pages on the same two cores). Each has a
// "scan" baseline that reads the same columns without the driver's
// operators, so the difference is the cost of grouping or joining.
//
//	go test -run '^$' -bench 'GroupBy1M|Join100kx1k' -benchtime 1x -count 3 .

// BenchmarkGroupBy1M groups the 1,000,000-item Report list of
// BenchmarkStream1M by two Choice columns (9 groups) with five
// aggregates.
func BenchmarkGroupBy1M(b *testing.B) {
	const n = 1_000_000
	srv := sptest.NewServer(benchSite(n), sptest.WithoutAuth())
	defer srv.Close()
	db := benchDB(b, srv)
	b.Run("group", func(b *testing.B) {
		benchQuery(b, db, n, 9, "SELECT Status, Priority, COUNT(*), SUM(Amount), AVG(Budget), MIN(Due), MAX(Code) FROM Report GROUP BY Status, Priority")
	})
	b.Run("scan", func(b *testing.B) {
		benchQuery(b, db, n, n, "SELECT Status, Priority, Amount, Budget, Due, Code FROM Report")
	})
}

// BenchmarkJoin100kx1k joins 100,000 orders to their 1,000 accounts (a
// lookup's ID to the account's ID), returning every joined row.
func BenchmarkJoin100kx1k(b *testing.B) {
	const orders, accounts = 100_000, 1_000
	site := sptest.Site{Lists: []sptest.List{
		{
			Title:     "Accounts",
			Fields:    []sptest.Field{{Title: "Region", Type: "Choice", Required: true, Choices: []string{"North", "South", "East", "West"}}},
			Generator: sptest.Synthetic(3, accounts),
		},
		{
			Title: "Orders",
			Fields: []sptest.Field{
				{Title: "Account", Type: "Lookup", LookupList: "Accounts", Required: true},
				{Title: "Amount", Type: "Number", Required: true},
			},
			Generator: sptest.Synthetic(5, orders),
		},
	}}
	srv := sptest.NewServer(site, sptest.WithoutAuth())
	defer srv.Close()
	db := benchDB(b, srv)
	b.Run("join", func(b *testing.B) {
		benchQuery(b, db, orders, orders, "SELECT o.ID, o.Amount, a.Title, a.Region FROM Orders o JOIN Accounts a ON o.AccountId = a.ID")
	})
	b.Run("join+group", func(b *testing.B) {
		benchQuery(b, db, orders, 4, "SELECT a.Region, COUNT(*), SUM(o.Amount) FROM Orders o JOIN Accounts a ON o.AccountId = a.ID GROUP BY a.Region")
	})
	b.Run("scan", func(b *testing.B) {
		benchQuery(b, db, orders, orders, "SELECT ID, Amount, AccountId FROM Orders")
	})
}

func benchDB(b *testing.B, srv *sptest.Server) *sql.DB {
	db, err := sql.Open("sharepoint", "ServiceURL="+srv.ServiceURL()+";AuthenticationMethod=None;WSFetchSize=5000")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// benchQuery runs query b.N times, checks it returns wantRows rows, and
// reports the items read per second (in items).
func benchQuery(b *testing.B, db *sql.DB, in, wantRows int, query string) {
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			b.Fatal(err)
		}
		cols, _ := rows.Columns()
		dest := make([]any, len(cols))
		for i := range dest {
			dest[i] = new(any)
		}
		count := 0
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				b.Fatal(err)
			}
			count++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		if count != wantRows {
			b.Fatalf("%d rows, want %d", count, wantRows)
		}
	}
	b.ReportMetric(float64(in*b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkOrderByLimit2M sorts a 2,000,000-item list by a column that is
// not indexed and keeps the first five: SharePoint refuses the $orderby
// past its view threshold, the scan falls back to reading the list by
// ID, and the sort keeps a top 5 in the driver — in the memory of a few
// rows, under the default MaxMemoryRows, as through a join.
//
//	go test -run '^$' -bench OrderByLimit2M -benchtime 1x .
func BenchmarkOrderByLimit2M(b *testing.B) {
	const n = 2_000_000
	srv := sptest.NewServer(benchSite(n), sptest.WithoutAuth())
	defer srv.Close()
	db := benchDB(b, srv)
	b.Run("list", func(b *testing.B) {
		benchQuery(b, db, n, 5, "SELECT ID, Amount FROM Report ORDER BY Amount DESC LIMIT 5")
	})
}
