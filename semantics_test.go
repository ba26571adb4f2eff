package spsql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// The same SELECT means the same thing whatever shape it has: these
// tests hold the semantics that one engine gives every query.

// semanticsSite has Tasks with a Note column (which SharePoint cannot
// sort by) and a Required column.
func semanticsSite(n int) sptest.Site {
	items := make([]sptest.Item, n)
	for i := range items {
		items[i] = sptest.Item{"Title": fmt.Sprintf("task %03d", i+1), "Notes": fmt.Sprintf("note %03d", (i*37)%n), "Owner": "x"}
	}
	return sptest.Site{Lists: []sptest.List{{
		Title: "Owners", Items: []sptest.Item{{"Title": "x"}},
	}, {
		Title: "Tasks",
		Fields: []sptest.Field{
			{Title: "Notes", Type: "Note"},
			{Title: "Owner", Type: "Text", Required: true},
		},
		Items: items,
	}}}
}

func openWith(t *testing.T, srv *sptest.Server, extra string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sharepoint", srv.ConnString()+extra)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOrderByLimitKeepsOnlyTheTopRowsOnEveryPath(t *testing.T) {
	srv := sptest.NewServer(semanticsSite(300))
	t.Cleanup(srv.Close)
	db := openWith(t, srv, ";MaxMemoryRows=100")
	want := []string{"note 000", "note 001", "note 002", "note 003", "note 004"}
	for _, q := range []string{
		"SELECT ID, Notes FROM Tasks ORDER BY Notes LIMIT 5",
		"SELECT a.ID, a.Notes FROM Tasks a JOIN Owners o ON a.Owner = o.Title ORDER BY a.Notes LIMIT 5",
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s under MaxMemoryRows=100: %v", q, err)
		}
		var got []string
		for rows.Next() {
			var id int64
			var notes string
			if err := rows.Scan(&id, &notes); err != nil {
				t.Fatal(err)
			}
			got = append(got, notes)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		rows.Close()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	// Without a LIMIT the sort must hold every row: the cap says so and
	// suggests one.
	_, err := db.Query("SELECT ID, Notes FROM Tasks ORDER BY Notes")
	if !errors.Is(err, spsql.ErrMemoryLimit) {
		t.Fatalf("a sort of 300 rows under MaxMemoryRows=100: %v, want ErrMemoryLimit", err)
	}
	if !strings.Contains(err.Error(), "add a LIMIT") {
		t.Errorf("the memory error does not suggest a LIMIT: %v", err)
	}
}

func TestACancelledQueryStopsInsideCPUBoundOperators(t *testing.T) {
	srv := sptest.NewServer(semanticsSite(100))
	t.Cleanup(srv.Close)
	db := openWith(t, srv, "")
	// 60 × 100 × 100 × 100 = 60 million pairs checked by a nested loop:
	// minutes of work, with no request to SharePoint after the first
	// pages. The context must stop it.
	ctx, cancel := context.WithCancel(context.Background())
	rows, err := db.QueryContext(ctx, "SELECT ID FROM Tasks LIMIT 1") // warm the metadata
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	done := make(chan error, 1)
	go func() {
		var n int64
		done <- db.QueryRowContext(ctx, "SELECT COUNT(*) FROM Tasks a, Tasks b, Tasks c, Tasks d WHERE a.ID < 60").Scan(&n)
	}()
	// Cancel once the query is at work: its four scans have been read
	// (one page each), so what is left is the driver's nested loop.
	itemRequests := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if strings.HasSuffix(strings.ToLower(r.Path), "/items") {
				n++
			}
		}
		return n
	}
	for itemRequests() < 5 {
		select {
		case err := <-done:
			t.Fatalf("the query ended before it was cancelled: %v", err)
		default:
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let it reach the loop
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled query returned %v, want context.Canceled", err)
	}
}

func TestResultColumnsAreNamedExactlyAsWritten(t *testing.T) {
	db, _ := openDB(t, semanticsSite(3))
	for q, want := range map[string][]string{
		"SELECT ID AS id, Title AS title FROM Tasks":                                {"id", "title"},
		"SELECT id, TITLE FROM Tasks":                                               {"id", "TITLE"},
		"SELECT Title AS title, COUNT(*) AS n FROM Tasks GROUP BY Title":            {"title", "n"},
		"SELECT a.ID AS id FROM Tasks a JOIN Tasks b ON a.ID = b.ID":                {"id"},
		"SELECT ID AS id FROM Tasks UNION ALL SELECT ID FROM Tasks":                 {"id"},
		"SELECT t.Title AS title FROM Tasks t WHERE t.ID IN (SELECT ID FROM Tasks)": {"title"},
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		got, _ := rows.Columns()
		rows.Close()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: columns %v, want %v", q, got, want)
		}
	}
}

func TestNullabilityHasOneAnswer(t *testing.T) {
	db, _ := openDB(t, semanticsSite(3))
	// Owner is Required, yet SharePoint may hold items without a value
	// (created before it became required): it is nullable everywhere.
	// ID is the one column that is never NULL (but through a LEFT JOIN).
	describe := map[string]bool{}
	rows, err := db.Query("DESCRIBE Tasks")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var col, internal, typ string
		var nullable, readOnly bool
		var choices sql.NullString
		if err := rows.Scan(&col, &internal, &typ, &nullable, &readOnly, &choices); err != nil {
			t.Fatal(err)
		}
		describe[internal] = nullable
	}
	rows.Close()
	for _, col := range []struct {
		name string
		want bool
	}{{"Owner", true}, {"ID", false}} {
		var schema string
		if err := db.QueryRow("SELECT IS_NULLABLE FROM information_schema.columns WHERE TABLE_NAME = 'Tasks' AND INTERNAL_NAME = ?", col.name).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		rows, err = db.Query("SELECT " + col.name + " FROM Tasks")
		if err != nil {
			t.Fatal(err)
		}
		types, _ := rows.ColumnTypes()
		rows.Close()
		typed, ok := types[0].Nullable()
		d, found := describe[col.name]
		if !ok || !found || d != col.want || (schema == "YES") != col.want || typed != col.want {
			t.Errorf("%s: DESCRIBE Nullable=%v (found %v), information_schema IS_NULLABLE=%s, ColumnTypeNullable=%v (ok %v); want nullable=%v in all three",
				col.name, d, found, schema, typed, ok, col.want)
		}
	}
	rows, err = db.Query("SELECT o.ID FROM Tasks t LEFT JOIN Owners o ON t.Owner = o.Title")
	if err != nil {
		t.Fatal(err)
	}
	types, _ := rows.ColumnTypes()
	rows.Close()
	if n, _ := types[0].Nullable(); !n {
		t.Error("the ID of a LEFT JOIN's right side is reported NOT NULL")
	}
}

func TestCountStarOfAWholeListSeesOtherClientsWrites(t *testing.T) {
	srv := sptest.NewServer(semanticsSite(3))
	t.Cleanup(srv.Close)
	db, other := openWith(t, srv, ""), openWith(t, srv, "")
	count := func() int64 {
		t.Helper()
		var n int64
		if err := db.QueryRow("SELECT COUNT(*) FROM Tasks").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 3 {
		t.Fatalf("COUNT(*) = %d, want 3", n)
	}
	if _, err := other.Exec("INSERT INTO Tasks (Title, Owner) VALUES ('new', 'y')"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 4 {
		t.Errorf("after another client inserted an item, COUNT(*) = %d, want 4", n)
	}
	if _, err := other.Exec("DELETE FROM Tasks WHERE ID <= 2"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Errorf("after another client deleted two items, COUNT(*) = %d, want 2", n)
	}
}
