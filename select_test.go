package spsql_test

import (
	"database/sql"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// typesSite has one list with a column of every common type and known
// values, in a site whose time zone has daylight saving.
func typesSite() sptest.Site {
	return sptest.Site{
		TimeZone: "America/New_York",
		Lists: []sptest.List{
			{Title: "Projects", Items: []sptest.Item{{"Title": "Apollo"}, {"Title": "Gemini"}}},
			{
				Title: "Things",
				Fields: []sptest.Field{
					{Title: "Note Text", Type: "Note"},
					{Title: "Amount", Type: "Number"},
					{Title: "Price", Type: "Currency"},
					{Title: "Count", Type: "Integer"},
					{Title: "Due Date", InternalName: "DueDate", Type: "DateTime", DisplayFormat: "DateOnly"},
					{Title: "Stamp", Type: "DateTime"},
					{Title: "Done", Type: "Boolean"},
					{Title: "Status", Type: "Choice", Choices: []string{"Open", "Closed"}},
					{Title: "Tags", Type: "MultiChoice", Choices: []string{"Red", "Blue", "Green"}},
					{Title: "Project", Type: "Lookup", LookupList: "Projects"},
					{Title: "Related", Type: "LookupMulti", LookupList: "Projects"},
					{Title: "Owner", Type: "User"},
					{Title: "Link", Type: "URL"},
					{Title: "Key", Type: "Guid"},
					{Title: "Ratio", Type: "Calculated", OutputType: "Number"},
				},
				Items: []sptest.Item{
					{"Title": "full", "Note_x0020_Text": "<p>hi</p>", "Amount": 1.5, "Price": 9.99, "Count": 7,
						"DueDate": "2024-03-10", "Stamp": time.Date(2024, 7, 1, 12, 30, 0, 0, time.UTC), "Done": true,
						"Status": "Open", "Tags": []string{"Red", "Blue"}, "Project": 2, "Related": []int{1, 2}, "Owner": 7,
						"Link": sptest.URLValue{URL: "https://example.com/a", Description: "A"}, "Key": "6f1c3bde-58f7-4b3e-9d0c-2a4d7c9e1f00", "Ratio": 0.5},
					{"Title": "empty"},
				},
			},
		},
	}
}

func openDB(t *testing.T, site sptest.Site, opts ...sptest.Option) (*sql.DB, *sptest.Server) {
	t.Helper()
	srv := sptest.NewServer(site, opts...)
	t.Cleanup(srv.Close)
	db, err := sql.Open("sharepoint", srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, srv
}

func TestSelectScansEveryType(t *testing.T) {
	db, _ := openDB(t, typesSite())
	rows, err := db.Query("SELECT ID, Title, [Note Text], Amount, Price, Count, [Due Date], Stamp, Done, Status, Tags, Project, ProjectId, Related, RelatedId, Owner, OwnerId, Link, [Key], Ratio FROM Things ORDER BY ID")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	types, _ := rows.ColumnTypes()
	wantDB := []string{"COUNTER", "TEXT", "NOTE", "NUMBER", "CURRENCY", "INTEGER", "DATETIME", "DATETIME", "BOOLEAN", "CHOICE",
		"MULTICHOICE", "LOOKUP", "INTEGER", "LOOKUPMULTI", "LOOKUPMULTI", "USER", "INTEGER", "URL", "GUID", "CALCULATED"}
	for i, ct := range types {
		if ct.DatabaseTypeName() != wantDB[i] {
			t.Errorf("column %s: DatabaseTypeName %s, want %s", ct.Name(), ct.DatabaseTypeName(), wantDB[i])
		}
	}
	var got [][]any
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		got = append(got, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{int64(1), "full", "<p>hi</p>", 1.5, 9.99, int64(7),
			// Date-only: stored as New York midnight (05:00Z), shown as that date.
			time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2024, 7, 1, 12, 30, 0, 0, time.UTC), true,
			"Open", `["Red","Blue"]`, "Gemini", int64(2), `["Apollo","Gemini"]`, "[1,2]", "Grace Hopper", int64(7),
			"https://example.com/a", "6f1c3bde-58f7-4b3e-9d0c-2a4d7c9e1f00", 0.5},
		{int64(2), "empty", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for r := range want {
		for c := range want[r] {
			if !reflect.DeepEqual(got[r][c], want[r][c]) {
				t.Errorf("row %d column %s = %#v, want %#v", r, types[c].Name(), got[r][c], want[r][c])
			}
		}
	}
}

func TestSelectScansIntoTypedVariables(t *testing.T) {
	db, _ := openDB(t, typesSite())
	var (
		id     int64
		title  string
		amount float64
		due    time.Time
		done   bool
		note   sql.NullString
	)
	err := db.QueryRow("SELECT ID, Title, Amount, [Due Date], Done, [Note Text] FROM Things WHERE Title = ?", "full").Scan(&id, &title, &amount, &due, &done, &note)
	if err != nil {
		t.Fatal(err)
	}
	if id != 1 || title != "full" || amount != 1.5 || !due.Equal(time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)) || !done || note.String != "<p>hi</p>" {
		t.Errorf("scanned %d %q %v %v %v %v", id, title, amount, due, done, note)
	}
}

// lastItemsQuery returns the query options of the last items request.
func lastItemsQuery(t *testing.T, srv *sptest.Server) sptest.QueryOptions {
	t.Helper()
	reqs := srv.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if strings.HasSuffix(strings.ToLower(reqs[i].Path), "/items") {
			return reqs[i].Query()
		}
	}
	t.Fatal("no items request")
	return sptest.QueryOptions{}
}

func countItemsRequests(srv *sptest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(strings.ToLower(r.Path), "/items") {
			n++
		}
	}
	return n
}

func TestSelectPushesDownFilterOrderAndLimit(t *testing.T) {
	db, srv := openDB(t, sptest.DemoSite())
	rows, err := db.Query("SELECT Title FROM Tasks WHERE Status = 'Blocked' AND [Percent Complete] >= 0.5 ORDER BY [Due Date] DESC LIMIT 10")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if n == 0 || n > 10 {
		t.Fatalf("got %d rows", n)
	}
	q := lastItemsQuery(t, srv)
	if q.Filter != "Status eq 'Blocked' and Percent_x0020_Complete ge 0.5" || q.OrderBy != "DueDate desc" || q.Top != "10" {
		t.Errorf("pushed $filter=%q $orderby=%q $top=%q", q.Filter, q.OrderBy, q.Top)
	}
	if c := countItemsRequests(srv); c != 1 {
		t.Errorf("items requests = %d, want 1", c)
	}
}

func TestSelectIdentifierStyles(t *testing.T) {
	db, _ := openDB(t, sptest.DemoSite())
	var first string
	for _, q := range []string{
		"SELECT [Due Date] FROM Tasks WHERE ID = 3",
		"SELECT `Due Date` FROM Tasks WHERE ID = 3",
		`SELECT "Due Date" FROM "Tasks" WHERE "ID" = 3`,
		"SELECT DueDate FROM tasks WHERE id = 3",
		"SELECT t.[due date] FROM Tasks AS t WHERE t.ID = 3",
	} {
		var due sql.NullTime
		if err := db.QueryRow(q).Scan(&due); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		s := due.Time.String()
		if first == "" {
			first = s
		} else if s != first {
			t.Errorf("%s gave %s, want %s", q, s, first)
		}
	}
}

func TestSelectPlaceholdersCannotChangeTheQuery(t *testing.T) {
	db, srv := openDB(t, sptest.DemoSite())
	for _, tt := range []struct {
		query, value string
		args         []any
	}{
		{"SELECT Title FROM Tasks WHERE Title = ?", "' or 1 eq 1 or Title eq '", nil},
		{"SELECT Title FROM Tasks WHERE Title = @t", "x') or (ID gt 0", []any{sql.Named("t", "x') or (ID gt 0")}},
		{"SELECT Title FROM Tasks WHERE Title = :t", "a'' or ''b", []any{sql.Named("t", "a'' or ''b")}},
	} {
		if tt.args == nil {
			tt.args = []any{tt.value}
		}
		rows, err := db.Query(tt.query, tt.args...)
		if err != nil {
			t.Fatalf("%s: %v", tt.query, err)
		}
		got := 0
		for rows.Next() {
			got++
		}
		rows.Close()
		if got != 0 {
			t.Errorf("%s with %v returned %d rows: the argument changed the query", tt.query, tt.args, got)
		}
		// The whole value is one OData string literal, quotes doubled.
		q := lastItemsQuery(t, srv)
		if want := "Title eq '" + strings.ReplaceAll(tt.value, "'", "''") + "'"; q.Filter != want {
			t.Errorf("$filter = %q, want %q", q.Filter, want)
		}
	}
}

func TestSelectErrorsNameTheProblem(t *testing.T) {
	db, _ := openDB(t, sptest.DemoSite())
	for _, tt := range []struct{ query, want string }{
		{"SELECT Title FROM Nope", `list "Nope" does not exist`},
		{"SELECT Titel FROM Tasks", `did you mean "Title"?`},
		{"SELECT Title FROM Tasks t JOIN Projects p ON t.ProjectId = p.ID", `column "Title" is ambiguous`},
		{"SELECT Title, COUNT(*) FROM Tasks GROUP BY Status", "Title must be in GROUP BY"},
		{"INSERT INTO Tasks (Title) VALUES ('x')", "run with Exec, not Query"},
	} {
		_, err := db.Query(tt.query)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.query, err, tt.want)
		}
	}
	_, err := db.Query("SELECT Title FROM Nope")
	if !errors.Is(err, sharepoint.ErrListNotFound) {
		t.Errorf("unknown list: %v, want ErrListNotFound", err)
	}
	_, err = db.Query("SELECT Titel FROM Tasks")
	if !errors.Is(err, sharepoint.ErrFieldNotFound) {
		t.Errorf("unknown column: %v, want ErrFieldNotFound", err)
	}
}

// A query on a list over the view threshold, filtering and ordering on a
// column that is not indexed: SharePoint refuses it, and the driver gets
// the right rows anyway by scanning in ID order.
func TestSelectFallsBackOnTheViewThreshold(t *testing.T) {
	site := sptest.Site{Lists: []sptest.List{{
		Title:     "Big",
		Fields:    []sptest.Field{{Title: "Amount", Type: "Number"}, {Title: "Status", Type: "Choice", Choices: []string{"Open", "Closed"}}},
		Generator: sptest.Synthetic(7, 20000),
	}}}
	db, srv := openDB(t, site)
	type row struct {
		id     int64
		amount float64
	}
	var all []row
	rows, err := db.Query("SELECT ID, Amount FROM Big")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r row
		var a sql.NullFloat64
		if err := rows.Scan(&r.id, &a); err != nil {
			t.Fatal(err)
		}
		if a.Valid && a.Float64 > 900 {
			r.amount = a.Float64
			all = append(all, r)
		}
	}
	rows.Close()
	slices.SortStableFunc(all, func(a, b row) int {
		if a.amount != b.amount {
			if a.amount > b.amount {
				return -1
			}
			return 1
		}
		return 0
	})
	want := all[:25]

	rows, err = db.Query("SELECT ID, Amount FROM Big WHERE Amount > 900 ORDER BY Amount DESC LIMIT 25")
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.amount); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for i := range want {
		if i >= len(got) || got[i].amount != want[i].amount {
			t.Fatalf("row %d = %v, want %v (got %d rows)", i, got, want, len(got))
		}
	}
	// The fallback reads the whole list in ID order: on a list this large,
	// in ID slices, several at once (ParallelRequests).
	q := lastItemsQuery(t, srv)
	if !regexp.MustCompile(`^(ID ge \d+( and ID le \d+)?)?$`).MatchString(q.Filter) || q.OrderBy != "ID" && q.OrderBy != "ID asc" {
		t.Errorf("fallback request: $filter=%q $orderby=%q, want an ID-ordered scan", q.Filter, q.OrderBy)
	}
}

func TestSelectExplain(t *testing.T) {
	db, _ := openDB(t, sptest.DemoSite())
	rows, err := db.Query("EXPLAIN SELECT Title FROM Tasks WHERE Status = ? AND LOWER(Title) LIKE '%api%' LIMIT 3", "Blocked")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"$filter=Status eq 'Blocked'", "LOWER"} {
		if !strings.Contains(text, want) {
			t.Errorf("EXPLAIN lacks %q:\n%s", want, text)
		}
	}
}

func TestMetadataIsFetchedOncePerConnector(t *testing.T) {
	db, srv := openDB(t, sptest.DemoSite())
	for range 20 {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM Tasks WHERE Status = 'Blocked'").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	fields := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(strings.ToLower(r.Path), "/fields") {
			fields++
		}
	}
	if fields != 1 || countItemsRequests(srv) != 20 {
		t.Errorf("fields requests = %d (want 1), items requests = %d (want 20)", fields, countItemsRequests(srv))
	}
}

func TestReadOnlyRefusesWritesBeforeAnyRequest(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	db, err := sql.Open("sharepoint", srv.ConnString()+";ReadOnly=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"INSERT INTO Tasks (Title) VALUES ('x')", "UPDATE Tasks SET Title = 'y'", "DELETE FROM Tasks"} {
		if _, err := db.Exec(q); !errors.Is(err, spsql.ErrReadOnly) {
			t.Errorf("%s: %v, want ErrReadOnly", q, err)
		}
	}
	if n := srv.RequestCount() + srv.Tokens.RequestCount(); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

func mustOpen(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sharepoint", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSelectReadsLargeListsInSlices: an unfiltered SELECT of a list of
// 8 pages or more reads ID slices several at once (ParallelRequests),
// with the same rows in the same order as page after page.
func TestSelectReadsLargeListsInSlices(t *testing.T) {
	site := sptest.Site{Lists: []sptest.List{{Title: "Big", Fields: []sptest.Field{{Title: "Amount", Type: "Number"}}, Generator: sptest.Synthetic(9, 2000)}}}
	srv := sptest.NewServer(site)
	t.Cleanup(srv.Close)
	read := func(props string) ([][]any, []sptest.SPRequest) {
		db, err := sql.Open("sharepoint", srv.ConnString()+";WSFetchSize=100"+props)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		before := len(srv.Requests())
		rows := mustQuery(t, db, "SELECT ID, Title, Amount FROM Big")
		return rows, itemsRequests(srv.Requests()[before:])
	}
	want, seqReqs := read(";ParallelRequests=1")
	got, reqs := read("")
	if len(want) != 2000 || !reflect.DeepEqual(got, want) {
		t.Fatalf("sliced read: %d rows, sequential %d; equal %v", len(got), len(want), reflect.DeepEqual(got, want))
	}
	if len(seqReqs) != 20 {
		t.Errorf("ParallelRequests=1: %d items requests, want 20 pages", len(seqReqs))
	}
	explain := mustQuery(t, mustOpen(t, srv.ConnString()), "EXPLAIN SELECT ID, Title, Amount FROM Big")
	if last := explain[len(explain)-1][0].(string); !strings.Contains(last, "ID slices of a page, 4 requests in flight") {
		t.Errorf("EXPLAIN does not say the list may be read in slices: %q", last)
	}
	// A large read says how many requests it plans.
	explain = mustQuery(t, mustOpen(t, srv.ConnString()+";WSFetchSize=100"), "EXPLAIN SELECT ID, Title, Amount FROM Big")
	if l := explain[2][0].(string); !strings.Contains(l, "requests: about 20 pages of 100 (the list has 2000 items)") {
		t.Errorf("EXPLAIN does not count the requests: %q", explain)
	}
	if len(reqs) != 22 || !strings.Contains(reqs[1].RawQuery, "orderby=ID%20desc") {
		t.Errorf("default: %d items requests (second %q), want the lowest and highest IDs, then 20 slices", len(reqs), reqs[1].RawQuery)
	}
}
