package spsql_test

import (
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// wideSite has a list with 18 lookup and person columns besides Author
// and Editor (more than SharePoint's 12 per request), on a few thousand
// items: a report over it needs several requests per page.
func wideSite(items int) sptest.Site {
	fields := []sptest.Field{{Title: "Score", Type: "Number"}}
	for i := 1; i <= 10; i++ {
		fields = append(fields, sptest.Field{Title: fmt.Sprintf("Lookup %d", i), Type: "Lookup", LookupList: "Targets"})
	}
	for i := 1; i <= 6; i++ {
		fields = append(fields, sptest.Field{Title: fmt.Sprintf("Person %d", i), Type: "User"})
	}
	fields = append(fields,
		sptest.Field{Title: "Targets Multi", Type: "LookupMulti", LookupList: "Targets"},
		sptest.Field{Title: "People", Type: "UserMulti"})
	var targets []sptest.Item
	for _, t := range []string{"Oslo", "Lima", "Kyiv", "Baku", "Doha", "Riga", "Bern"} {
		targets = append(targets, sptest.Item{"Title": t})
	}
	return sptest.Site{Lists: []sptest.List{
		{Title: "Targets", Items: targets},
		{Title: "Wide", Fields: fields, Generator: sptest.Synthetic(11, items)},
	}}
}

// lookupsIn counts the lookup and person columns an items request
// involves, as the emulator does.
func lookupsIn(q sptest.QueryOptions) int {
	seen := map[string]bool{}
	note := func(name string) {
		base, _, _ := strings.Cut(strings.TrimSpace(name), "/")
		base = strings.TrimSuffix(base, "Id")
		if strings.HasPrefix(base, "Lookup_x0020_") || strings.HasPrefix(base, "Person_x0020_") ||
			base == "Targets_x0020_Multi" || base == "People" || base == "Author" || base == "Editor" {
			seen[base] = true
		}
	}
	for _, list := range []string{q.Select, q.Expand} {
		for s := range strings.SplitSeq(list, ",") {
			note(s)
		}
	}
	for _, w := range strings.FieldsFunc(q.Filter+" "+q.OrderBy, func(r rune) bool { return r == ' ' || r == '(' || r == ')' || r == ',' }) {
		note(w)
	}
	return len(seen)
}

// queryRows runs a query and returns its rows as scanned.
func queryRows(t *testing.T, db *sql.DB, query string, args ...any) ([]string, [][]any) {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	cols, _ := rows.Columns()
	all, err := scanAll(rows)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return cols, all
}

func TestReadsOverTheLookupThresholdAreSplitAndMergedByID(t *testing.T) {
	const items = 1500
	db, srv := openDB(t, wideSite(items))
	cols, got := queryRows(t, db, "SELECT * FROM Wide")
	if len(got) != items {
		t.Fatalf("got %d rows, want %d", len(got), items)
	}
	reqs := itemsRequests(srv.Requests())
	// 20 lookup and person columns: two requests per page of 1000.
	if len(reqs) != 4 {
		t.Errorf("%d items requests, want 4 (two parts of two pages)", len(reqs))
	}
	for _, r := range reqs {
		if r.Status != 200 {
			t.Errorf("request %s answered %d", r.RawQuery, r.Status)
		}
		if n := lookupsIn(r.Query()); n > 12 {
			t.Errorf("a request has %d lookup columns: %s", n, r.RawQuery)
		}
	}
	// Each column read on its own (well within the threshold) gives the
	// same values, so the merge put every value in its row.
	for c, name := range cols {
		_, one := queryRows(t, db, "SELECT ID, ["+name+"] FROM Wide")
		for i := range one {
			if !reflect.DeepEqual(one[i][0], got[i][0]) || !reflect.DeepEqual(one[i][1], got[i][c]) {
				t.Fatalf("row %d column %s = %#v (ID %v), read alone %#v (ID %v)", i, name, got[i][c], got[i][0], one[i][1], one[i][0])
			}
		}
	}
}

func TestSplitReadsKeepTheFilterOrderAndLimitInEveryPart(t *testing.T) {
	db, srv := openDB(t, wideSite(400))
	query := "SELECT * FROM Wide WHERE [Lookup 1].Id = 2 AND Score > 100 ORDER BY Score DESC LIMIT 7"
	_, got := queryRows(t, db, query)
	_, want := queryRows(t, db, "SELECT ID, Score FROM Wide WHERE [Lookup 1].Id = 2 AND Score > 100 ORDER BY Score DESC LIMIT 7")
	if len(got) != 7 || len(want) != 7 {
		t.Fatalf("got %d rows, want 7 and 7", len(got))
	}
	for i := range want {
		if got[i][0] != want[i][0] {
			t.Errorf("row %d has ID %v, want %v", i, got[i][0], want[i][0])
		}
	}
	var parts []sptest.QueryOptions
	for _, r := range itemsRequests(srv.Requests()) {
		if q := r.Query(); strings.Contains(q.Filter, "Lookup_x0020_1Id eq 2") && q.OrderBy != "" && strings.Count(q.Select, ",") > 3 {
			parts = append(parts, q)
		}
	}
	if len(parts) != 2 {
		t.Fatalf("%d requests of the split read, want 2: %+v", len(parts), parts)
	}
	for _, q := range parts {
		if q.Filter != parts[0].Filter || q.OrderBy != "Score desc" || q.Top != "7" {
			t.Errorf("part $filter=%q $orderby=%q $top=%q; every part needs the query's", q.Filter, q.OrderBy, q.Top)
		}
		if n := lookupsIn(q); n > 12 {
			t.Errorf("a part has %d lookup columns: %+v", n, q)
		}
	}
}

func TestReadsWithinTheLookupThresholdAreOneRequest(t *testing.T) {
	db, srv := openDB(t, wideSite(50))
	queryRows(t, db, "SELECT ID, [Lookup 1], [Lookup 2], [Person 1], [Person 2], [Targets Multi], People, Author, Editor FROM Wide")
	if n := len(itemsRequests(srv.Requests())); n != 1 {
		t.Errorf("%d items requests, want 1", n)
	}
}

func TestAFilterOverTheLookupThresholdIsAClearError(t *testing.T) {
	db, srv := openDB(t, wideSite(50))
	var conds []string
	for i := 1; i <= 10; i++ {
		conds = append(conds, fmt.Sprintf("[Lookup %d].Id IS NOT NULL", i))
	}
	for i := 1; i <= 3; i++ {
		conds = append(conds, fmt.Sprintf("[Person %d].Id IS NOT NULL", i))
	}
	_, err := db.Query("SELECT ID FROM Wide WHERE " + strings.Join(conds, " AND "))
	if err == nil || !strings.Contains(err.Error(), "SharePoint allows 12") {
		t.Fatalf("error %v, want one about the lookup threshold", err)
	}
	if n := len(itemsRequests(srv.Requests())); n != 0 {
		t.Errorf("%d items requests were sent", n)
	}
}
