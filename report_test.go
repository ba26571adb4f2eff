package spsql_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/internal/engine"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// reportSite is small enough that every expected answer below is worked
// out by hand from it.
func reportSite() sptest.Site {
	return sptest.Site{
		TimeZone: "America/New_York",
		Lists: []sptest.List{
			{
				Title:  "Customers",
				Fields: []sptest.Field{{Title: "Region", Type: "Text"}, {Title: "Tier", Type: "Integer"}},
				Items: []sptest.Item{
					{"Title": "Acme", "Region": "North", "Tier": 1},
					{"Title": "Beta", "Region": "South", "Tier": 2},
					{"Title": "Gamma", "Region": "North"},
					{"Title": "Delta"},
				},
			},
			{
				Title: "Orders",
				Fields: []sptest.Field{
					{Title: "Customer", Type: "Lookup", LookupList: "Customers"},
					{Title: "Amount", Type: "Number"},
					{Title: "Qty", Type: "Integer"},
					{Title: "Status", Type: "Choice", Choices: []string{"Open", "Closed"}},
					{Title: "Placed", Type: "DateTime", DisplayFormat: "DateOnly"},
				},
				Items: []sptest.Item{
					{"Title": "A1", "Customer": 1, "Amount": 10.5, "Qty": 2, "Status": "Open", "Placed": "2024-01-05"},
					{"Title": "A2", "Customer": 1, "Amount": 20, "Qty": 1, "Status": "Closed", "Placed": "2024-02-10"},
					{"Title": "B1", "Customer": 2, "Qty": 5, "Status": "Open", "Placed": "2024-02-11"},
					{"Title": "B2", "Customer": 2, "Amount": 7.25, "Status": "Open", "Placed": "2024-03-01"},
					{"Title": "X1", "Amount": 3, "Qty": 3, "Status": "Closed", "Placed": "2025-01-01"},
					{"Title": "G1", "Customer": 3, "Amount": 100, "Qty": 10},
				},
			},
		},
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// mustQuery runs a query and returns its rows as driver values.
func mustQuery(t *testing.T, db *sql.DB, query string, args ...any) [][]any {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	got, err := scanAll(rows)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return got
}

func TestReportQueries(t *testing.T) {
	db, _ := openDB(t, reportSite())
	cases := []struct {
		name, query string
		args        []any
		want        [][]any
	}{
		{"aggregates per group, NULL group first", "SELECT Status, COUNT(*), COUNT(Amount), SUM(Qty), AVG(Amount), MIN(Amount), MAX(Title) FROM Orders GROUP BY Status ORDER BY Status", nil, [][]any{
			{nil, int64(1), int64(1), int64(10), 100.0, 100.0, "G1"},
			{"Closed", int64(2), int64(2), int64(4), 11.5, 3.0, "X1"},
			{"Open", int64(3), int64(2), int64(7), 8.875, 7.25, "B2"},
		}},
		{"aggregates of no rows", "SELECT COUNT(*), COUNT(Title), SUM(Amount), AVG(Qty), MAX(Placed) FROM Orders WHERE Amount > 1000", nil, [][]any{
			{int64(0), int64(0), nil, nil, nil},
		}},
		{"groups of no rows", "SELECT Status, COUNT(*) FROM Orders WHERE Amount > 1000 GROUP BY Status", nil, nil},
		{"count distinct", "SELECT COUNT(DISTINCT Status), COUNT(DISTINCT CustomerId), SUM(DISTINCT Qty) FROM Orders", nil, [][]any{
			{int64(2), int64(3), int64(21)},
		}},
		{"having on an alias, order by an aggregate", "SELECT CustomerId, SUM(Amount) AS s FROM Orders GROUP BY CustomerId HAVING s > 10 ORDER BY s DESC", nil, [][]any{
			{int64(3), 100.0}, {int64(1), 30.5},
		}},
		{"group by an expression and position, date-only years", "SELECT YEAR(Placed) AS y, COUNT(*), MIN(Placed) FROM Orders GROUP BY 1 ORDER BY y", nil, [][]any{
			{nil, int64(1), nil}, {int64(2024), int64(4), date(2024, 1, 5)}, {int64(2025), int64(1), date(2025, 1, 1)},
		}},
		{"group by with a placeholder in WHERE and LIMIT", "SELECT Status, SUM(Qty) FROM Orders WHERE Qty >= ? GROUP BY Status ORDER BY 2 DESC LIMIT 1", []any{2}, [][]any{
			{nil, int64(10)},
		}},
		{"inner join", "SELECT o.Title, c.Title FROM Orders o JOIN Customers c ON o.CustomerId = c.ID ORDER BY o.Title", nil, [][]any{
			{"A1", "Acme"}, {"A2", "Acme"}, {"B1", "Beta"}, {"B2", "Beta"}, {"G1", "Gamma"},
		}},
		{"left join grouped, unmatched counted as 0", "SELECT c.Title, COUNT(o.ID), SUM(o.Amount) FROM Customers c LEFT JOIN Orders o ON o.CustomerId = c.ID GROUP BY c.Title ORDER BY c.Title", nil, [][]any{
			{"Acme", int64(2), 30.5}, {"Beta", int64(2), 7.25}, {"Delta", int64(0), nil}, {"Gamma", int64(1), 100.0},
		}},
		{"left join, WHERE on the right side after the join", "SELECT c.Title FROM Customers c LEFT JOIN Orders o ON o.CustomerId = c.ID WHERE o.ID IS NULL", nil, [][]any{
			{"Delta"},
		}},
		{"left join, ON on the right side before the join", "SELECT c.Title, o.Title FROM Customers c LEFT JOIN Orders o ON o.CustomerId = c.ID AND o.Status = 'Closed' ORDER BY c.Title", nil, [][]any{
			{"Acme", "A2"}, {"Beta", nil}, {"Delta", nil}, {"Gamma", nil},
		}},
		{"left join holding its smaller left side: NULL keys and no match come back", "SELECT c.Title, o.Title FROM Customers c LEFT JOIN Orders o ON c.Tier = o.Qty ORDER BY c.Title", nil, [][]any{
			{"Acme", "A2"}, {"Beta", "A1"}, {"Delta", nil}, {"Gamma", nil},
		}},
		{"left join holding its left side, the pair check failing for all", "SELECT c.Title, o.Title FROM Customers c LEFT JOIN Orders o ON o.CustomerId = c.ID AND o.Qty > 100 ORDER BY 1", nil, [][]any{
			{"Acme", nil}, {"Beta", nil}, {"Delta", nil}, {"Gamma", nil},
		}},
		{"comma join with keys in WHERE", "SELECT c.Region, COUNT(*) FROM Orders o, Customers c WHERE o.CustomerId = c.ID AND c.Region IS NOT NULL GROUP BY c.Region ORDER BY 1", nil, [][]any{
			{"North", int64(3)}, {"South", int64(2)},
		}},
		{"join with an inequality checked per pair", "SELECT o.Title FROM Orders o JOIN Customers c ON o.CustomerId = c.ID AND o.Qty > c.Tier ORDER BY 1", nil, [][]any{
			{"A1"}, {"B1"},
		}},
		{"join on a lookup's display value", "SELECT o.Title FROM Orders o JOIN Customers c ON o.Customer = c.Title WHERE c.Region = 'South' ORDER BY 1", nil, [][]any{
			{"B1"}, {"B2"},
		}},
		{"union drops duplicates and keeps one NULL", "SELECT Region FROM Customers UNION SELECT Status FROM Orders ORDER BY 1", nil, [][]any{
			{nil}, {"Closed"}, {"North"}, {"Open"}, {"South"},
		}},
		{"union all keeps everything", "SELECT Title FROM Customers WHERE Tier = 1 UNION ALL SELECT Title FROM Orders WHERE Qty >= 5 UNION ALL SELECT Title FROM Customers WHERE Tier = 1", nil, [][]any{
			{"Acme"}, {"B1"}, {"G1"}, {"Acme"},
		}},
		{"in subquery", "SELECT Title FROM Orders WHERE CustomerId IN (SELECT ID FROM Customers WHERE Region = 'North') ORDER BY Title", nil, [][]any{
			{"A1"}, {"A2"}, {"G1"},
		}},
		{"not in a subquery holding NULL is never true", "SELECT Title FROM Customers WHERE ID NOT IN (SELECT CustomerId FROM Orders)", nil, nil},
		{"not in without NULL", "SELECT Title FROM Customers WHERE ID NOT IN (SELECT CustomerId FROM Orders WHERE CustomerId IS NOT NULL)", nil, [][]any{
			{"Delta"},
		}},
		{"distinct over a join with order and offset", "SELECT DISTINCT c.Region FROM Orders o JOIN Customers c ON o.CustomerId = c.ID ORDER BY 1 DESC LIMIT 5 OFFSET 1", nil, [][]any{
			{"North"},
		}},
		{"order by an aggregate not selected", "SELECT Status FROM Orders GROUP BY Status ORDER BY COUNT(*) DESC, Status", nil, [][]any{
			{"Open"}, {"Closed"}, {nil},
		}},
		{"join ordered by a column not selected, NULL last descending", "SELECT o.Title FROM Orders o JOIN Customers c ON o.CustomerId = c.ID ORDER BY c.Tier DESC, o.Title", nil, [][]any{
			{"B1"}, {"B2"}, {"A1"}, {"A2"}, {"G1"},
		}},
		{"self join", "SELECT a.Title, b.Title FROM Orders a JOIN Orders b ON a.Qty = b.ID ORDER BY 1", nil, [][]any{
			{"A1", "A2"}, {"A2", "A1"}, {"B1", "X1"}, {"X1", "B1"},
		}},
		{"count of a join", "SELECT COUNT(*) FROM Orders o JOIN Customers c ON o.CustomerId = c.ID", nil, [][]any{{int64(5)}}},
		{"limit 0", "SELECT Status, COUNT(*) FROM Orders GROUP BY Status LIMIT 0", nil, nil},
		{"three lists", "SELECT a.Title, c.Title, b.Title FROM Orders a JOIN Customers c ON a.CustomerId = c.ID LEFT JOIN Orders b ON b.CustomerId = c.ID AND b.ID <> a.ID WHERE c.Region = 'North' ORDER BY 1", nil, [][]any{
			{"A1", "Acme", "A2"}, {"A2", "Acme", "A1"}, {"G1", "Gamma", nil},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := mustQuery(t, db, tc.query, tc.args...)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s\n got %v\nwant %v", tc.query, got, tc.want)
			}
		})
	}
}

func TestReportJoinStar(t *testing.T) {
	db, _ := openDB(t, reportSite())
	cols := func(q string) []string {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		c, _ := rows.Columns()
		return c
	}
	want := append(cols("SELECT * FROM Customers"), cols("SELECT * FROM Orders")...)
	got := cols("SELECT * FROM Customers c JOIN Orders o ON o.CustomerId = c.ID")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("columns of the join's *: %q, want %q", got, want)
	}
	if got := cols("SELECT o.*, c.Title FROM Customers c JOIN Orders o ON o.CustomerId = c.ID"); !reflect.DeepEqual(got, append(cols("SELECT * FROM Orders"), "Title")) {
		t.Errorf("columns of o.*, c.Title: %q", got)
	}
	rows := mustQuery(t, db, "SELECT * FROM Customers c JOIN Orders o ON o.CustomerId = c.ID WHERE o.Title = 'B2'")
	if len(rows) != 1 || rows[0][0] != int64(2) || rows[0][1] != "Beta" || rows[0][len(cols("SELECT * FROM Customers"))+1] != "B2" {
		t.Errorf("SELECT * of a join: %v", rows)
	}
}

func TestReportColumnTypes(t *testing.T) {
	db, _ := openDB(t, reportSite())
	rows, err := db.Query("SELECT Status, COUNT(*) AS n, SUM(Amount), SUM(Qty), AVG(Qty), MIN(Placed), c.Title FROM Orders o JOIN Customers c ON o.CustomerId = c.ID GROUP BY Status, c.Title")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CHOICE", "INTEGER", "NUMBER", "INTEGER", "NUMBER", "DATETIME", "TEXT"}
	names := []string{"Status", "n", "SUM(Amount)", "SUM(Qty)", "AVG(Qty)", "MIN(Placed)", "Title"}
	for i, ct := range types {
		if ct.DatabaseTypeName() != want[i] || ct.Name() != names[i] {
			t.Errorf("column %d: %s %s, want %s %s", i, ct.Name(), ct.DatabaseTypeName(), names[i], want[i])
		}
	}
}

// TestReportReadsEachListOnce checks the requests a join and a subquery
// send: one items request per list read, with each list's own filter.
func TestReportReadsEachListOnce(t *testing.T) {
	db, srv := openDB(t, reportSite())
	mustQuery(t, db, "SELECT o.Title FROM Orders o JOIN Customers c ON o.CustomerId = c.ID WHERE c.Region = 'North' AND o.Status = 'Open' AND o.ID IN (SELECT ID FROM Orders WHERE Qty > 1)")
	var items []string
	for _, r := range itemsRequests(srv.Requests()) {
		q, err := url.QueryUnescape(r.RawQuery)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, r.Path+"?"+q)
	}
	if len(items) != 3 {
		t.Fatalf("%d items requests, want 3 (Orders for the subquery, Orders, Customers):\n%s", len(items), strings.Join(items, "\n"))
	}
	for _, want := range []string{"Region eq 'North'", "Status eq 'Open'", "Qty gt 1"} {
		found := false
		for _, u := range items {
			found = found || strings.Contains(u, want)
		}
		if !found {
			t.Errorf("no request filters %q:\n%s", want, strings.Join(items, "\n"))
		}
	}
}

func TestReportMaxMemoryRows(t *testing.T) {
	srv := sptest.NewServer(reportSite())
	t.Cleanup(srv.Close)
	db, err := sql.Open("sharepoint", srv.ConnString()+";MaxMemoryRows=3")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"SELECT Title, COUNT(*) FROM Orders GROUP BY Title",                                  // 6 groups
		"SELECT Title FROM Orders ORDER BY LOWER(Title)",                                     // 6 rows sorted in the driver
		"SELECT c.Title FROM Customers c JOIN Orders o ON o.CustomerId = c.ID",               // the 4 customers held, the smaller side
		"SELECT Title FROM Customers WHERE ID IN (SELECT ID FROM Orders)",                    // 6 values
		"SELECT Title FROM Orders UNION SELECT Title FROM Customers",                         // 10 keys
		"SELECT DISTINCT o.Title FROM Orders o LEFT JOIN Customers c ON o.CustomerId = c.ID", // keys
	} {
		err := drain(db, q)
		if !errors.Is(err, engine.ErrMemoryLimit) || !strings.Contains(err.Error(), "MaxMemoryRows") {
			t.Errorf("%s: error %v, want ErrMemoryLimit naming MaxMemoryRows", q, err)
		}
	}
	// Within the cap: 3 groups, handed one by one to the sort.
	got := mustQuery(t, db, "SELECT Status, COUNT(*) FROM Orders GROUP BY Status ORDER BY 1")
	if len(got) != 3 {
		t.Errorf("grouping into 3 groups under MaxMemoryRows=3: %v", got)
	}
}

// drain runs a query to its end and returns its first error, from Query,
// Next or Err.
func drain(db *sql.DB, query string) error {
	rows, err := db.Query(query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

func TestReportExplain(t *testing.T) {
	db, _ := openDB(t, reportSite())
	got := mustQuery(t, db, "EXPLAIN SELECT c.Title, COUNT(*) FROM Customers c LEFT JOIN Orders o ON o.CustomerId = c.ID WHERE c.Region = ? GROUP BY c.Title", "North")
	var text []string
	for _, r := range got {
		text = append(text, r[0].(string))
	}
	joined := strings.Join(text, "\n")
	for _, want := range []string{
		"driver: group by c.Title, computing COUNT(*)",
		"driver: hash left join on c.ID = o.CustomerId; holding Customers AS c, the smaller list (4 items, 6 in Orders AS o)",
		"scan Customers AS c",
		"$filter=Region eq 'North'",
		"$select=CustomerId",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("EXPLAIN lacks %q:\n%s", want, joined)
		}
	}
}

// TestReportJoinReadsTargetByID: a join on the right list's ID, when
// that list takes several pages, reads only the items the left rows name.
func TestReportJoinReadsTargetByID(t *testing.T) {
	srv := sptest.NewServer(reportSite())
	t.Cleanup(srv.Close)
	db, err := sql.Open("sharepoint", srv.ConnString()+";WSFetchSize=3") // Customers: 4 items, 2 pages
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases := []struct {
		query       string
		want        [][]any
		customerReq string // the $filter of the one Customers request; "-" for none at all
	}{
		{"SELECT o.Title, c.Title FROM Orders o JOIN Customers c ON o.CustomerId = c.ID WHERE o.Status = 'Closed'",
			[][]any{{"A2", "Acme"}}, "(ID eq 1)"},
		{"SELECT o.Title, c.Region FROM Orders o LEFT JOIN Customers c ON o.CustomerId = c.ID WHERE o.Qty >= 3 ORDER BY 1",
			[][]any{{"B1", "South"}, {"G1", "North"}, {"X1", nil}}, "(ID eq 2 or ID eq 3)"},
		{"SELECT o.Title, c.Title FROM Orders o LEFT JOIN Customers c ON o.CustomerId = c.ID AND c.Region = 'North' WHERE o.Title IN ('A1', 'B2') ORDER BY 1",
			[][]any{{"A1", "Acme"}, {"B2", nil}}, "Region eq 'North' and (ID eq 1 or ID eq 2)"},
		{"SELECT o.Title, c.Title FROM Orders o LEFT JOIN Customers c ON o.CustomerId = c.ID WHERE o.Title = 'X1'",
			[][]any{{"X1", nil}}, "-"},
	}
	for _, tc := range cases {
		before := len(srv.Requests())
		got := mustQuery(t, db, tc.query)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s\n got %v\nwant %v", tc.query, got, tc.want)
		}
		var filters []string
		for _, r := range itemsRequests(srv.Requests()[before:]) {
			if strings.Contains(r.Path, "Customers") {
				q, err := url.ParseQuery(r.RawQuery)
				if err != nil {
					t.Fatal(err)
				}
				filters = append(filters, q.Get("$filter"))
			}
		}
		switch {
		case tc.customerReq == "-" && len(filters) != 0:
			t.Errorf("%s: Customers was read (%q) though no order names a customer", tc.query, filters)
		case tc.customerReq != "-" && (len(filters) != 1 || filters[0] != tc.customerReq):
			t.Errorf("%s: Customers requests filtered %q, want one with %q", tc.query, filters, tc.customerReq)
		}
	}
}

// flagsSite holds the types whose comparisons mix: a Boolean with 0/1,
// a date with its text, and a date-only field.
func flagsSite() sptest.Site {
	site := reportSite()
	site.Lists = append(site.Lists, sptest.List{
		Title: "Flags",
		Fields: []sptest.Field{
			{Title: "Done", Type: "Boolean"},
			{Title: "Flag", Type: "Integer"},
			{Title: "Due", Type: "DateTime"},
			{Title: "DueText", Type: "Text"},
			{Title: "Day", Type: "DateTime", DisplayFormat: "DateOnly"},
		},
		Items: []sptest.Item{
			{"Title": "t1", "Done": true, "Flag": 1, "Due": "2024-01-05T10:00:00Z", "DueText": "2024-01-05T10:00:00Z", "Day": "2024-06-01"},
			{"Title": "t2", "Done": false, "Flag": 0, "Due": "2024-02-01T00:00:00Z", "DueText": "2030-01-01T00:00:00Z"},
		},
	})
	return site
}

// TestReportRegressions pins the answers a review of the reporting
// engine found wrong.
func TestReportRegressions(t *testing.T) {
	db, _ := openDB(t, flagsSite())
	cases := []struct {
		name, query string
		want        [][]any
	}{
		{"IN matches a Boolean with 1", "SELECT Title FROM Flags WHERE Done IN (SELECT Flag FROM Flags WHERE Flag = 1)", [][]any{{"t1"}}},
		{"NOT IN likewise", "SELECT Title FROM Flags WHERE Done NOT IN (SELECT Flag FROM Flags WHERE Flag = 1)", [][]any{{"t2"}}},
		{"IN matches a date with its text", "SELECT Title FROM Flags WHERE Due IN (SELECT DueText FROM Flags)", [][]any{{"t1"}}},
		{"IN matches text with a date", "SELECT Title FROM Flags WHERE DueText IN (SELECT Due FROM Flags)", [][]any{{"t1"}}},
		{"IN over no values is false even for NULL", "SELECT COUNT(*) FROM Orders WHERE CustomerId IN (SELECT ID FROM Customers WHERE Tier = 9)", [][]any{{int64(0)}}},
		{"NOT IN over no values is true even for NULL", "SELECT COUNT(*) FROM Orders WHERE CustomerId NOT IN (SELECT ID FROM Customers WHERE Tier = 9)", [][]any{{int64(6)}}},
		{"UNION of two date-only fields stays dates", "SELECT Placed FROM Orders WHERE Title = 'A1' UNION ALL SELECT Day FROM Flags WHERE Title = 't1'", [][]any{{date(2024, 1, 5)}, {date(2024, 6, 1)}}},
		{"DISTINCT ordered by a selected column by name", "SELECT DISTINCT c.Title FROM Orders o JOIN Customers c ON o.CustomerId = c.ID ORDER BY c.Title DESC", [][]any{{"Gamma"}, {"Beta"}, {"Acme"}}},
		{"NULL literal in a UNION", "SELECT NULL FROM Customers WHERE Tier = 1 UNION SELECT Tier FROM Customers ORDER BY 1", [][]any{{nil}, {int64(1)}, {int64(2)}}},
		{"NULL literal in a subquery", "SELECT COUNT(*) FROM Customers WHERE Tier IN (SELECT NULL FROM Orders)", [][]any{{int64(0)}}},
		{"GROUP BY an IN (SELECT …) expression", "SELECT CustomerId IN (SELECT ID FROM Customers WHERE Tier = 1) AS premium, COUNT(*) FROM Orders GROUP BY 1 ORDER BY 1", [][]any{{nil, int64(1)}, {false, int64(3)}, {true, int64(2)}}},
		{"a date literal against MAX of a date-only field is that day in the site's zone", "SELECT Status FROM Orders GROUP BY Status HAVING MAX(Placed) = '2024-03-01'", [][]any{{"Open"}}},
		{"GROUP BY a constant over no rows is no rows", "SELECT COUNT(*) FROM Orders WHERE Qty > 1000 GROUP BY 'x'", nil},
		{"an alias inside a function in HAVING and ORDER BY", "SELECT Status, COUNT(*) AS n FROM Orders GROUP BY Status HAVING ABS(n) > 1 ORDER BY n * -1", [][]any{{"Open", int64(3)}, {"Closed", int64(2)}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := mustQuery(t, db, tc.query)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s\n got %v\nwant %v", tc.query, got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ query, want string }{
		{"SELECT a.Title FROM Orders a JOIN Orders b ON a.Qty = b.ID WHERE Orders.Title = 'A2'", "Orders.Title is ambiguous: the query reads list \"Orders\" more than once"},
		{"SELECT c.Title FROM Customers c WHERE c.ID IN (SELECT o.CustomerId FROM Orders o WHERE o.CustomerId = c.ID)", "c.ID refers to Customers AS c of the outer query: correlated subqueries are not supported"},
	} {
		if _, err := db.Query(tc.query); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.query, err, tc.want)
		}
	}
}

func TestReportNullability(t *testing.T) {
	db, _ := openDB(t, reportSite())
	rows, err := db.Query("SELECT c.Title, o.ID, COUNT(o.ID), MAX(o.ID) FROM Customers c LEFT JOIN Orders o ON o.CustomerId = c.ID GROUP BY c.Title, o.ID")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	types, _ := rows.ColumnTypes()
	for i, want := range []bool{true, true, false, true} {
		if got, ok := types[i].Nullable(); !ok || got != want {
			t.Errorf("column %s: Nullable %v, %v, want %v", types[i].Name(), got, ok, want)
		}
	}
}

// TestReportMemoryIsReleased: what one part of a query held is given
// back when that part is done, so the parts of a UNION ALL each fit.
func TestReportMemoryIsReleased(t *testing.T) {
	srv := sptest.NewServer(reportSite())
	t.Cleanup(srv.Close)
	db, err := sql.Open("sharepoint", srv.ConnString()+";MaxMemoryRows=5;WSFetchSize=3")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		// Customers (4) held as the smaller side of an inner join.
		"SELECT c.Title FROM Customers c JOIN Orders o ON o.CustomerId = c.ID UNION ALL SELECT c.Title FROM Customers c JOIN Orders o ON o.CustomerId = c.ID",
		// Two orders held, their two customers read by ID (Customers
		// takes 2 pages of 3): 4 rows per part.
		"SELECT o.Title FROM Orders o JOIN Customers c ON o.CustomerId = c.ID WHERE o.Qty >= 5 UNION ALL SELECT o.Title FROM Orders o JOIN Customers c ON o.CustomerId = c.ID WHERE o.Qty >= 5",
		// COUNT(DISTINCT) values released with their group.
		"SELECT COUNT(DISTINCT Title) FROM Orders WHERE Qty >= 2 UNION ALL SELECT COUNT(DISTINCT Title) FROM Orders WHERE Qty >= 2",
	} {
		if err := drain(db, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	// A top-2 sort of 20 rows holds at most 2×2+8 of them at once.
	db15, err := sql.Open("sharepoint", srv.ConnString()+";MaxMemoryRows=15")
	if err != nil {
		t.Fatal(err)
	}
	defer db15.Close()
	q := "SELECT Title FROM Orders UNION ALL SELECT Title FROM Customers UNION ALL SELECT Title FROM Orders UNION ALL SELECT Title FROM Customers ORDER BY 1 LIMIT 2"
	if got := mustQuery(t, db15, q); !reflect.DeepEqual(got, [][]any{{"A1"}, {"A1"}}) {
		t.Errorf("%s: %v", q, got)
	}
}

// TestReportCancel: a reporting query's context stops it wherever it is
// (a subquery, a join's held side, grouping), with no goroutine left
// behind (TestMain runs goleak) and the DB usable after.
func TestReportCancel(t *testing.T) {
	srv := sptest.NewServer(reportSite())
	t.Cleanup(srv.Close)
	db, err := sql.Open("sharepoint", srv.ConnString()+";WSFetchSize=2")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	queries := []string{
		"SELECT Status, COUNT(*) FROM Orders GROUP BY Status",
		"SELECT o.Title, c.Title FROM Orders o JOIN Customers c ON o.CustomerId = c.ID",
		"SELECT Title FROM Orders WHERE CustomerId IN (SELECT ID FROM Customers)",
	}
	for _, q := range queries {
		mustQuery(t, db, q)                // metadata cached: the next request reads items
		for hang := 1; hang <= 3; hang++ { // every query sends at least 3 requests
			srv.FailRequest(hang, sptest.Fault{Latency: time.Minute})
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			err := drainContext(ctx, db, q)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s with request %d hanging: %v, want context.DeadlineExceeded", q, hang, err)
			}
		}
		mustQuery(t, db, q)
	}
}

func drainContext(ctx context.Context, db *sql.DB, query string) error {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// TestReportDateOnly: a date-only field is its calendar day wherever it
// goes — through MIN/MAX, COALESCE and CASE, against DATE(x), in an IN
// subquery, in a UNION — in New York (west of UTC) and Tokyo (east).
func TestReportDateOnly(t *testing.T) {
	for _, zone := range []string{"America/New_York", "Asia/Tokyo"} {
		t.Run(zone, func(t *testing.T) {
			site := flagsSite()
			site.TimeZone = zone
			db, _ := openDB(t, site)
			cases := []struct {
				query string
				args  []any
				want  [][]any
			}{
				{"SELECT Status FROM Orders GROUP BY Status HAVING MIN(Placed) = '2024-01-05'", nil, [][]any{{"Open"}}},
				{"SELECT Status FROM Orders GROUP BY Status HAVING MAX(Placed) <= '2024-03-01'", nil, [][]any{{"Open"}}},
				{"SELECT c.Title FROM Customers c JOIN Orders o ON o.CustomerId = c.ID GROUP BY c.Title HAVING MAX(o.Placed) = ?", []any{"2024-03-01"}, [][]any{{"Beta"}}},
				{"SELECT Title FROM Orders WHERE COALESCE(Placed, Placed) = '2024-01-05'", nil, [][]any{{"A1"}}},
				{"SELECT Title FROM Orders WHERE CASE WHEN Qty > 0 THEN Placed END = {d '2024-01-05'}", nil, [][]any{{"A1"}}},
				{"SELECT Title FROM Orders WHERE DATE(Placed) = Placed ORDER BY 1", nil, [][]any{{"A1"}, {"A2"}, {"B1"}, {"B2"}, {"X1"}}},
				{"SELECT o.Title FROM Orders o JOIN Flags f ON o.Placed = DATE(f.Due)", nil, [][]any{{"A1"}}},
				{"SELECT Title FROM Orders WHERE Placed IN (SELECT CAST('2024-01-05' AS DATE) FROM Flags)", nil, [][]any{{"A1"}}},
				{"SELECT Title FROM Orders WHERE Placed IN (SELECT SUBSTRING(DueText, 1, 10) FROM Flags)", nil, [][]any{{"A1"}}},
				{"SELECT Title FROM Orders WHERE Placed IN (SELECT Day FROM Flags)", nil, nil},
				{"SELECT Placed, COALESCE(Placed, Placed), CASE WHEN Qty > 0 THEN Placed END FROM Orders o JOIN Customers c ON o.CustomerId = c.ID WHERE o.Title = 'A1'", nil, [][]any{{date(2024, 1, 5), date(2024, 1, 5), date(2024, 1, 5)}}},
				{"SELECT MAX(CASE WHEN Status = 'Open' THEN Placed END), MIN(Placed) FROM Orders", nil, [][]any{{date(2024, 3, 1), date(2024, 1, 5)}}},
				// A plain SELECT (no join, no grouping) shows them alike.
				{"SELECT Placed, COALESCE(Placed, Placed), CASE WHEN Qty > 0 THEN Placed END FROM Orders WHERE Title = 'A1'", nil, [][]any{{date(2024, 1, 5), date(2024, 1, 5), date(2024, 1, 5)}}},
				{"SELECT Placed FROM Orders WHERE Title = 'A1' UNION SELECT DATE(Due) FROM Flags WHERE Title = 't1'", nil, [][]any{{date(2024, 1, 5)}}},
				{"SELECT Placed, COUNT(*) FROM Orders WHERE Placed < '2024-02-11' GROUP BY Placed ORDER BY 1", nil, [][]any{{date(2024, 1, 5), int64(1)}, {date(2024, 2, 10), int64(1)}}},
				// From the third review.
				{"SELECT Title FROM Orders WHERE Placed IN (SELECT Placed FROM Orders UNION ALL SELECT Due FROM Flags) ORDER BY 1", nil, [][]any{{"A1"}, {"A2"}, {"B1"}, {"B2"}, {"X1"}}},
				{"SELECT Title FROM Orders WHERE Placed IN ('2024-01-05', DATE(Modified))", nil, [][]any{{"A1"}}},
				{"SELECT Title FROM Orders WHERE Placed IN (?, DATE(Modified))", []any{time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC)}, [][]any{{"A1"}}},
				{"SELECT Title FROM Orders WHERE Placed BETWEEN '2024-01-05' AND DATE(CONCAT('2024-12-31', '')) ORDER BY 1", nil, [][]any{{"A1"}, {"A2"}, {"B1"}, {"B2"}}},
				{"SELECT Status FROM Orders GROUP BY Status HAVING MIN(Placed) IN ('2024-01-05', DATE(CONCAT('1999-01-01', '')))", nil, [][]any{{"Open"}}},
				{"SELECT Title FROM Orders WHERE COALESCE(Placed, {d '2099-01-01'}) = '2024-01-05'", nil, [][]any{{"A1"}}},
				{"SELECT Title FROM Orders WHERE CASE WHEN Placed IS NULL THEN CAST('2099-01-01' AS DATE) ELSE Placed END = '2025-01-01'", nil, [][]any{{"X1"}}},
				{"SELECT COALESCE(Placed, {d '2099-01-01'}) AS d, COUNT(*) FROM Orders WHERE Qty >= 3 OR Qty IS NULL GROUP BY 1 ORDER BY 1", nil, [][]any{{date(2024, 2, 11), int64(1)}, {date(2024, 3, 1), int64(1)}, {date(2025, 1, 1), int64(1)}, {date(2099, 1, 1), int64(1)}}},
			}
			for _, tc := range cases {
				got := mustQuery(t, db, tc.query, tc.args...)
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s\n got %v\nwant %v", tc.query, got, tc.want)
				}
			}
		})
	}
}
