package spsql_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// A column deleted in SharePoint after the driver cached the list's fields:
// SharePoint refuses the next read naming it (400), and the driver re-reads
// the fields once and plans the statement again. SELECT * then reads the
// columns the list has now; a statement naming the deleted column fails
// saying that the list has no such column, with a suggestion from the
// fresh fields, not with the request's 400.
func TestColumnDeletedAfterFieldsWereCached(t *testing.T) {
	db, srv := openDB(t, sptest.DemoSite())
	ctx := context.Background()
	conn, err := db.Conn(ctx) // one connection for both statements
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	count := func(q string) (cols []string, n int, err error) {
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			return nil, 0, err
		}
		defer rows.Close()
		cols, _ = rows.Columns()
		for rows.Next() {
			n++
		}
		return cols, n, rows.Err()
	}
	before, want, err := count("SELECT * FROM Tasks")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(before, "Priority") {
		t.Fatalf("SELECT * columns %v lack Priority", before)
	}
	if err := srv.DeleteField("Tasks", "Priority"); err != nil {
		t.Fatal(err)
	}

	fieldReads := func() (n int) {
		for _, r := range srv.Requests() {
			if strings.HasSuffix(strings.ToLower(r.Path), "/fields") {
				n++
			}
		}
		return n
	}
	reads := fieldReads()
	after, got, err := count("SELECT * FROM Tasks")
	if err != nil {
		t.Fatalf("SELECT * after the column was deleted: %v", err)
	}
	if slices.Contains(after, "Priority") || len(after) != len(before)-1 || got != want {
		t.Errorf("SELECT * after the delete: %d rows of %v; want %d rows of %v less Priority", got, after, want, before)
	}
	if n := fieldReads() - reads; n != 1 {
		t.Errorf("the fields were read %d times, want once", n)
	}

	_, _, err = count("SELECT Title, Priority FROM Tasks")
	var ce *spsql.ColumnError
	if !errors.Is(err, spsql.ErrFieldNotFound) || !errors.As(err, &ce) || !strings.Contains(err.Error(), `"Priority"`) {
		t.Errorf("a statement naming the deleted column: %v; want a ColumnError naming Priority", err)
	}
	if err != nil && strings.Contains(err.Error(), "400") {
		t.Errorf("the error quotes the failed request: %v", err)
	}
}

// The error for a statement naming a deleted column says it is gone and
// suggests the closest column the list has now.
func TestDeletedColumnSuggestsFromFreshFields(t *testing.T) {
	site := sptest.Site{Lists: []sptest.List{{
		Title:  "Things",
		Fields: []sptest.Field{{Title: "Colour", Type: "Text"}, {Title: "Color", Type: "Text"}},
		Items:  []sptest.Item{{"Title": "a", "Colour": "red", "Color": "blue"}},
	}}}
	db, srv := openDB(t, site)
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, "SELECT Colour FROM Things")
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if err := srv.DeleteField("Things", "Colour"); err != nil {
		t.Fatal(err)
	}
	_, err = db.QueryContext(ctx, "SELECT Colour FROM Things")
	var ce *spsql.ColumnError
	if !errors.As(err, &ce) || ce.Column != "Colour" || !strings.Contains(err.Error(), `did you mean "Color"?`) ||
		!strings.Contains(err.Error(), "no longer has it") {
		t.Fatalf("err = %v; want a ColumnError for Colour, gone, suggesting Color", err)
	}
}
