package spsql_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// insertRows inserts rows [from, to) into Log as multi-row INSERTs of
// per rows each, titled "r<n>".
func insertRows(ctx context.Context, db *sql.DB, from, to, per int) error {
	for start := from; start < to; start += per {
		var b strings.Builder
		b.WriteString("INSERT INTO Log (Title) VALUES ")
		for i := start; i < min(start+per, to); i++ {
			if i > start {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "('r%d')", i)
		}
		if _, err := db.ExecContext(ctx, b.String()); err != nil {
			return fmt.Errorf("rows %d…: %w", start, err)
		}
	}
	return nil
}

// checkWrittenOnce reads Log back and reports any of rows [0, n) missing
// or written more than once.
func checkWrittenOnce(ctx context.Context, db *sql.DB, n int) error {
	rows, err := db.QueryContext(ctx, "SELECT Title FROM Log")
	if err != nil {
		return err
	}
	defer rows.Close()
	seen := make(map[string]int, n)
	for rows.Next() {
		var title string
		if err := rows.Scan(&title); err != nil {
			return err
		}
		seen[title]++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range n {
		if c := seen[fmt.Sprint("r", i)]; c != 1 {
			return fmt.Errorf("row r%d written %d times", i, c)
		}
	}
	if len(seen) != n {
		return fmt.Errorf("the list holds %d distinct titles, want %d", len(seen), n)
	}
	return nil
}

// TestBulkWriteUnderABudget: four goroutines on two *sql.DBs insert 2,000
// rows in multi-row INSERTs against a budget that needs several windows;
// every row is written exactly once, and the shared pacer keeps the 429s
// to a handful (without it, every window ends in a burst of them).
func TestBulkWriteUnderABudget(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Log"}}},
		sptest.WithBudget(sptest.Budget{RU: 1500, Window: time.Second}))
	defer srv.Close()
	dbs := make([]*sql.DB, 2)
	for i := range dbs {
		// Each its own refresh token; the same application and tenant.
		db, err := sql.Open("sharepoint", srv.ConnString()+";WSFetchSize=5000")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	ctx := context.Background()
	const n, workers = 2000, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			if err := insertRows(ctx, dbs[w%2], w*n/workers, (w+1)*n/workers, 100); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := checkWrittenOnce(ctx, dbs[0], n); err != nil {
		t.Fatal(err)
	}
	st := srv.BudgetStats()
	if st.Windows < 3 {
		t.Fatalf("test set-up: the writes took %d windows, want several", st.Windows)
	}
	if st.Throttled > 5 {
		t.Errorf("%d requests throttled (%d RU in %d windows), want a handful at most", st.Throttled, st.RU, st.Windows)
	}
	t.Logf("%+v", st)
}

// TestPacingProperty: pacing is on by default; Pacing=false turns it off
// and survives FormatDSN; anything but a boolean is refused by name.
func TestPacingProperty(t *testing.T) {
	base := "ServiceURL=http://127.0.0.1:1/sites/x;AuthenticationMethod=None"
	cfg, err := spsql.ParseDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NoPacing {
		t.Fatal("pacing is off by default")
	}
	if strings.Contains(cfg.FormatDSN(), "Pacing") {
		t.Errorf("the default is written out: %s", cfg.FormatDSN())
	}
	for _, v := range []string{"false", "0", "off", "No"} {
		cfg, err := spsql.ParseDSN(base + ";Pacing=" + v)
		if err != nil {
			t.Fatal(err)
		}
		if !cfg.NoPacing {
			t.Errorf("Pacing=%s leaves pacing on", v)
			continue
		}
		again, err := spsql.ParseDSN(cfg.FormatDSN())
		if err != nil || !again.NoPacing {
			t.Errorf("Pacing=%s does not survive FormatDSN: %s", v, cfg.FormatDSN())
		}
	}
	if cfg, err := spsql.ParseDSN(base + ";Pacing=true"); err != nil || cfg.NoPacing {
		t.Errorf("Pacing=true: %v, or pacing off", err)
	}
	if _, err := spsql.ParseDSN(base + ";Pacing=sometimes"); err == nil || !strings.Contains(err.Error(), "Pacing") {
		t.Errorf("Pacing=sometimes: %v, want an error naming Pacing", err)
	}
}
