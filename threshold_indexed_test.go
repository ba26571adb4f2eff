package spsql_test

import (
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// A filter on indexed columns only can still be refused on a large list
// when its first condition matches more than 5,000 items
// (docs/sharepoint.md §9.1): the driver then falls back to an ID scan
// and still returns exactly the rows the query asks for.
func TestIndexedFilterTooWideFallsBack(t *testing.T) {
	site := sptest.Site{Lists: []sptest.List{{
		Title:     "Big",
		Fields:    []sptest.Field{{Title: "Region", Type: "Choice", Choices: []string{"EU", "US"}, Indexed: true}},
		Generator: sptest.Synthetic(11, 6000),
	}}}
	db, srv := openDB(t, site)

	// The expected rows, from a plain read evaluated here.
	type item struct {
		id      int64
		region  sql.NullString
		created time.Time
	}
	var all []item
	rows, err := db.Query("SELECT ID, Region, Created FROM Big")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.id, &it.region, &it.created); err != nil {
			t.Fatal(err)
		}
		all = append(all, it)
	}
	if err := rows.Err(); err != nil || len(all) != 6000 {
		t.Fatalf("plain read: %d rows, %v", len(all), err)
	}
	since := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

	for _, tc := range []struct {
		query string
		keep  func(item) bool
	}{
		{"SELECT ID FROM Big WHERE Region <> 'Nowhere' ORDER BY ID", func(it item) bool { return it.region.Valid && it.region.String != "Nowhere" }},
		{"SELECT ID FROM Big WHERE Created > '2000-01-01T00:00:00Z' ORDER BY ID", func(it item) bool { return it.created.After(since) }},
	} {
		var want []int64
		for _, it := range all {
			if tc.keep(it) {
				want = append(want, it.id)
			}
		}
		if len(want) <= 5000 {
			t.Fatalf("%s: only %d rows match: the test needs a condition wider than the threshold", tc.query, len(want))
		}
		before := len(srv.Requests())
		var got []int64
		rows, err := db.Query(tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		rows.Close()
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d rows, want %d", tc.query, len(got), len(want))
		}
		// SharePoint refused the pushed-down filter, and the driver read
		// the list in ID order instead.
		refused, scans := 0, 0
		for _, r := range srv.Requests()[before:] {
			if !strings.HasSuffix(strings.ToLower(r.Path), "/items") {
				continue
			}
			q := r.Query()
			switch {
			case r.Status == 500 && q.Filter != "":
				refused++
			case r.Status == 200 && !strings.Contains(q.Filter, "Region") && !strings.Contains(q.Filter, "Created"):
				scans++
			}
		}
		if refused != 1 || scans == 0 {
			t.Errorf("%s: %d refused pushed-down requests and %d ID-scan requests, want 1 and some", tc.query, refused, scans)
		}
	}
}
