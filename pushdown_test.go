package spsql_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// itemsRequests returns the items requests among reqs.
func itemsRequests(reqs []sptest.SPRequest) []sptest.SPRequest {
	var out []sptest.SPRequest
	for _, r := range reqs {
		if strings.HasSuffix(strings.ToLower(r.Path), "/items") {
			out = append(out, r)
		}
	}
	return out
}

// TestPushdownSendsSharePointTheseQueryOptions pins, through database/sql,
// what SharePoint receives for each construct the driver pushes down:
// the exact $filter, $orderby, $top and $expand, and how many items
// requests a query takes. (The demo site's Tasks has 250 items, more than
// one page of 100 here, so a query that reads everything takes three.)
func TestPushdownSendsSharePointTheseQueryOptions(t *testing.T) {
	julyFirstNY := time.Date(2024, 7, 1, 0, 0, 0, 0, time.FixedZone("EDT", -4*3600))
	for _, tt := range []struct {
		name     string
		query    string
		args     []any
		filter   string
		orderBy  string
		top      string
		expand   string
		requests int
	}{
		{name: "equals is eq", query: "SELECT ID FROM Tasks WHERE Status = 'Blocked'",
			filter: "Status eq 'Blocked'", top: "100", requests: 1},
		{name: "not equal is ne, guarded against empty values", query: "SELECT ID FROM Tasks WHERE Status <> 'Blocked'",
			filter: "(Status ne 'Blocked' and Status ne null)", top: "100", requests: 3},
		{name: "!= is ne too", query: "SELECT ID FROM Tasks WHERE [Estimate Hours] != 10",
			filter: "(Estimate_x0020_Hours ne 10 and Estimate_x0020_Hours ne null)", top: "100", requests: 3},
		{name: "less than is lt", query: "SELECT ID FROM Tasks WHERE [Estimate Hours] < 5",
			filter: "Estimate_x0020_Hours lt 5", top: "100", requests: 1},
		{name: "less or equal is le", query: "SELECT ID FROM Tasks WHERE [Percent Complete] <= 0.25",
			filter: "Percent_x0020_Complete le 0.25", top: "100", requests: 1},
		{name: "greater than is gt", query: "SELECT ID FROM Tasks WHERE ID > 240",
			filter: "ID gt 240", top: "100", requests: 1},
		{name: "greater or equal is ge", query: "SELECT ID FROM Projects WHERE Budget >= 100000",
			filter: "Budget ge 100000", top: "100", requests: 1},
		{name: "reversed operands are turned round", query: "SELECT ID FROM Tasks WHERE 5 > [Estimate Hours]",
			filter: "Estimate_x0020_Hours lt 5", top: "100", requests: 1},
		{name: "AND is and", query: "SELECT ID FROM Tasks WHERE Status = 'Blocked' AND [Estimate Hours] >= 20",
			filter: "Status eq 'Blocked' and Estimate_x0020_Hours ge 20", top: "100", requests: 1},
		{name: "OR is or", query: "SELECT ID FROM Tasks WHERE Status = 'Blocked' OR Priority = '(1) High'",
			filter: "(Status eq 'Blocked' or Priority eq '(1) High')", top: "100", requests: 1},
		{name: "NOT of a comparison inverts it", query: "SELECT ID FROM Tasks WHERE NOT [Estimate Hours] < 35",
			filter: "Estimate_x0020_Hours ge 35", top: "100", requests: 1},
		{name: "NOT of an OR is De Morgan's AND", query: "SELECT ID FROM Tasks WHERE NOT (Status = 'Completed' OR [Estimate Hours] > 3)",
			filter: "(Status ne 'Completed' and Status ne null) and Estimate_x0020_Hours le 3", top: "100", requests: 1},
		{name: "NOT of an AND is De Morgan's OR", query: "SELECT ID FROM Tasks WHERE NOT (ID > 10 AND ID < 240)",
			filter: "(ID le 10 or ID ge 240)", top: "100", requests: 1},
		{name: "IS NULL is eq null", query: "SELECT ID FROM Tasks WHERE [Due Date] IS NULL",
			filter: "DueDate eq null", top: "100", requests: 1},
		{name: "IS NOT NULL is ne null", query: "SELECT ID FROM Tasks WHERE [Assigned To].Id IS NOT NULL",
			filter: "Assigned_x0020_ToId ne null", top: "100", requests: 3},
		{name: "LIKE 'abc%' is startswith", query: "SELECT ID FROM Tasks WHERE Title LIKE 'Fix%'",
			filter: "startswith(Title,'Fix')", top: "100", requests: 1},
		{name: "LIKE '%abc%' is substringof", query: "SELECT ID FROM Tasks WHERE Title LIKE '%login%'",
			filter: "substringof('login',Title)", top: "100", requests: 1},
		{name: "LIKE without wildcards is eq", query: "SELECT ID FROM Tasks WHERE Title LIKE 'Fix login page'",
			filter: "Title eq 'Fix login page'", top: "100", requests: 1},
		{name: "LIKE '%abc' stays in the driver", query: "SELECT ID FROM Tasks WHERE Title LIKE '%page'",
			filter: "", top: "100", requests: 3},
		{name: "IN is a chain of or", query: "SELECT ID FROM Tasks WHERE Status IN ('Blocked', 'Not Started')",
			filter: "(Status eq 'Blocked' or Status eq 'Not Started')", top: "100", requests: 1},
		{name: "NOT IN is a chain of ne", query: "SELECT ID FROM Tasks WHERE ID NOT IN (1, 2, 3)",
			filter: "ID ne 1 and ID ne 2 and ID ne 3", top: "100", requests: 3},
		{name: "BETWEEN is ge and le", query: "SELECT ID FROM Tasks WHERE [Estimate Hours] BETWEEN 10 AND 12",
			filter: "Estimate_x0020_Hours ge 10 and Estimate_x0020_Hours le 12", top: "100", requests: 1},
		{name: "a Boolean TRUE is 1", query: "SELECT ID FROM Projects WHERE Active = TRUE",
			filter: "Active eq 1", top: "100", requests: 1},
		{name: "a Boolean FALSE is 0", query: "SELECT ID FROM Projects WHERE Active = FALSE",
			filter: "Active eq 0", top: "100", requests: 1},
		{name: "a bare Boolean column and its NOT are 1 and 0", query: "SELECT ID FROM Projects WHERE Active OR NOT Active",
			filter: "(Active eq 1 or Active eq 0)", top: "100", requests: 1},
		{name: "a bool argument is 1 or 0", query: "SELECT ID FROM Projects WHERE Active = ?", args: []any{true},
			filter: "Active eq 1", top: "100", requests: 1},
		{name: "a date-time literal is a UTC datetime literal", query: "SELECT ID FROM Tasks WHERE Created >= '2024-03-01 08:30:00'",
			filter: "Created ge datetime'2024-03-01T08:30:00Z'", top: "100", requests: 1},
		{name: "a date literal on a date-only column is the site's midnight", query: "SELECT ID FROM Tasks WHERE [Due Date] = '2024-07-01'",
			filter: "DueDate eq datetime'2024-07-01T04:00:00Z'", top: "100", requests: 1},
		{name: "a time.Time argument is sent in UTC", query: "SELECT ID FROM Tasks WHERE Created < ?", args: []any{time.Date(2024, 1, 10, 12, 0, 0, 0, time.FixedZone("CET", 3600))},
			filter: "Created lt datetime'2024-01-10T11:00:00Z'", top: "100", requests: 1},
		{name: "a time.Time midnight on a date-only column is that day in the site's zone", query: "SELECT ID FROM Tasks WHERE [Due Date] = ?", args: []any{julyFirstNY},
			filter: "DueDate eq datetime'2024-07-01T04:00:00Z'", top: "100", requests: 1},
		{name: "a lookup ID is compared without expand", query: "SELECT ID FROM Tasks WHERE ProjectId = 3",
			filter: "ProjectId eq 3", top: "100", requests: 1},
		{name: "a lookup value is compared through expand", query: "SELECT ID FROM Tasks WHERE Project = 'CRM migration'",
			filter: "Project/Title eq 'CRM migration'", expand: "Project", top: "100", requests: 1},
		{name: "a person ID is compared without expand", query: "SELECT ID FROM Tasks WHERE AuthorId = 7",
			filter: "AuthorId eq 7", top: "100", requests: 1},
		{name: "a person's name is compared through expand", query: "SELECT ID FROM Tasks WHERE Author = 'Grace Hopper'",
			filter: "Author/Title eq 'Grace Hopper'", expand: "Author", top: "100", requests: 1},
		{name: "a string argument is one escaped literal", query: "SELECT ID FROM Projects WHERE Title = ?", args: []any{"O'Brien & Co rebrand"},
			filter: "Title eq 'O''Brien & Co rebrand'", top: "100", requests: 1},
		{name: "a multi-value column is never filtered by SharePoint", query: "SELECT ID FROM Tasks WHERE Tags LIKE '%Docs%'",
			filter: "", top: "100", requests: 3},
		{name: "an OR with an unpushable branch is not pushed", query: "SELECT ID FROM Tasks WHERE Status = 'Blocked' OR LOWER(Title) = 'fix login page'",
			filter: "", top: "100", requests: 3},
		{name: "the pushable part of an AND is pushed", query: "SELECT ID FROM Tasks WHERE Status = 'Blocked' AND LOWER(Title) LIKE 'fix%'",
			filter: "Status eq 'Blocked'", top: "100", requests: 1},
		{name: "LIMIT with a pushed filter is one request with $top", query: "SELECT ID FROM Tasks WHERE Status = 'Completed' LIMIT 10",
			filter: "Status eq 'Completed'", top: "10", requests: 1},
		{name: "LIMIT with OFFSET asks for both", query: "SELECT ID FROM Tasks WHERE Status = 'Completed' LIMIT 10 OFFSET 5",
			filter: "Status eq 'Completed'", top: "15", requests: 1},
		{name: "LIMIT over the page size stops as soon as it has the rows", query: "SELECT ID FROM Tasks LIMIT 150",
			top: "100", requests: 2},
		{name: "ORDER BY is $orderby", query: "SELECT ID FROM Tasks WHERE Status = 'Blocked' ORDER BY [Due Date] DESC, Title LIMIT 5",
			filter: "Status eq 'Blocked'", orderBy: "DueDate desc,Title asc", top: "5", requests: 1},
		{name: "ORDER BY an expression sorts in the driver", query: "SELECT ID FROM Tasks WHERE Status = 'Blocked' ORDER BY LOWER(Title) LIMIT 5",
			filter: "Status eq 'Blocked'", top: "100", requests: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A server of its own: no request of another query (a page
			// prefetched before Close) can land in its log.
			srv := sptest.NewServer(sptest.DemoSite())
			defer srv.Close()
			db := openConn(t, srv, ";WSFetchSize=100")
			rows, err := db.Query(tt.query, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if n == 0 {
				t.Errorf("%s returned no rows: pick a query that shows its filter works", tt.query)
			}
			reqs := itemsRequests(srv.Requests())
			if len(reqs) != tt.requests {
				t.Errorf("%d items requests, want %d", len(reqs), tt.requests)
			}
			if len(reqs) == 0 {
				return
			}
			q := reqs[0].Query()
			if q.Filter != tt.filter {
				t.Errorf("$filter=%s\n                  want %s", q.Filter, tt.filter)
			}
			if q.OrderBy != tt.orderBy {
				t.Errorf("$orderby=%q, want %q", q.OrderBy, tt.orderBy)
			}
			if q.Top != tt.top {
				t.Errorf("$top=%q, want %q", q.Top, tt.top)
			}
			if q.Expand != tt.expand {
				t.Errorf("$expand=%q, want %q", q.Expand, tt.expand)
			}
		})
	}
}

// openConn opens a database on srv with extra connection properties
// (";WSFetchSize=100").
func openConn(t *testing.T, srv *sptest.Server, extra string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sharepoint", srv.ConnString()+extra)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
