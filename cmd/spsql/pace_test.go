package main

import (
	"bytes"
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// TestProgressShowsPaceAndETA: once the driver paces against a budget,
// the progress line says at what pace, how often it was throttled, and
// when the rows should be done; before, it says nothing of pacing.
func TestProgressShowsPaceAndETA(t *testing.T) {
	stats := sharepoint.PaceStats{}
	var buf bytes.Buffer
	p := newProgress(&buf, fakeClock(time.Second))
	p.pace = func() sharepoint.PaceStats { return stats }
	p.total = 1000
	p.tick(100)
	if got, want := buf.String(), "\r\x1b[K100 rows  100 rows/s"; got != want {
		t.Errorf("before any budget: %q, want %q", got, want)
	}
	buf.Reset()
	stats = sharepoint.PaceStats{Active: true, Rate: 12.34, Throttled: 1}
	p.tick(200) // 2 s in: 100 rows/s, 800 to go
	if got, want := buf.String(), "\r\x1b[K200 rows  100 rows/s  paced at 12.3 units/s, throttled 1×, ETA 8s"; got != want {
		t.Errorf("paced: %q, want %q", got, want)
	}
	buf.Reset()
	stats = sharepoint.PaceStats{Active: true, Limit: 1200}
	p.total = 0
	p.tick(300)
	if got, want := buf.String(), "\r\x1b[K300 rows  100 rows/s  paced by RateLimit headers (1,200 units a window)"; got != want {
		t.Errorf("by headers, no total: %q, want %q", got, want)
	}
}

// TestExpectedRowsFromExplain: the ETA's total is a whole list's
// ItemCount when EXPLAIN shows a plain read of it, and unknown otherwise.
func TestExpectedRowsFromExplain(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Big", Generator: sptest.Synthetic(1, 30000)}}})
	defer srv.Close()
	db, err := sql.Open("sharepoint", srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for stmt, want := range map[string]int64{
		"SELECT ID, Title FROM Big":                30000,
		"select * from Big":                        30000,
		"SELECT ID FROM Big WHERE Title = 'x'":     0,
		"SELECT ID FROM Big ORDER BY Title":        0,
		"SELECT ID FROM Big LIMIT 10":              0,
		"SELECT COUNT(*) FROM Big":                 0,
		"INSERT INTO Big (Title) VALUES ('x')":     0,
		"SELECT ID FROM information_schema.tables": 0,
	} {
		if got := expectedRows(context.Background(), db, stmt); got != want {
			t.Errorf("%s: %d rows expected, want %d", stmt, got, want)
		}
	}
	if n := srv.RequestCount(); n > 6 {
		t.Errorf("%d requests to read EXPLAIN, want metadata only", n)
	}
}
