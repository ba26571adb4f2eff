package spsql_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// translateWheres are WHERE clauses over the demo site's Tasks list in the
// driver's dialect: the seeds of FuzzTranslate (also written out under
// testdata/fuzz/FuzzTranslate so that every `go test` runs them).
var translateWheres = []string{
	"Status = 'Blocked'",
	"Status <> 'Blocked' AND [Estimate Hours] >= 20",
	"[Estimate Hours] != 10 OR ID < 5",
	"[Percent Complete] <= 0.25",
	"5 > [Estimate Hours]",
	"NOT (Status = 'Completed' OR [Estimate Hours] > 3)",
	"NOT (ID > 10 AND ID < 240)",
	"[Due Date] IS NULL",
	"[Assigned To].Id IS NOT NULL",
	"Title LIKE 'Fix%'",
	"Title LIKE '%login%'",
	"Title LIKE '%page'",
	"Title LIKE 'it''s 100\\%%' ESCAPE '\\'",
	"Status IN ('Blocked', 'Not Started')",
	"ID NOT IN (1, 2, 3)",
	"[Estimate Hours] BETWEEN 10 AND 12",
	"[Estimate Hours] NOT BETWEEN 10 AND 12",
	"Created >= '2024-03-01 08:30:00'",
	"[Due Date] = '2024-07-01'",
	"Modified < '2024-01-10T12:00:00Z'",
	"ProjectId = 3",
	"Project = 'O''Brien & Co rebrand'",
	"Author = 'Grace Hopper'",
	"AuthorId = 7 AND Priority = '(1) High'",
	"Tags LIKE '%Docs%'",
	"Title = 'x'' or 1 eq 1 or Title eq ''y'",
	"Title = '&$filter=ID gt 0'",
	"Title = '%27#/?'",
	"Title = 'ʼ＇' OR Title = 'Straße field'",
	"LOWER(Title) LIKE 'fix%' AND Status = 'Blocked'",
	"[Project].[Title] = 'CRM migration'",
	"Notes IS NOT NULL AND [Percent Complete] > 0.5",
	"ID = 1 OR ID = 2 OR NOT ID > 3",
}

// translateArgs are parameter values for the Title = ? variants: the
// injection-ish strings of injection_test.go.
var translateArgs = []string{
	"Fix login page",
	"' or 1 eq 1 or Title eq '",
	"%27",
	"&$filter=ID gt 0",
	"#",
	"/",
	"?",
	"ʼ",
	"＇",
	"\x00\r\n",
	"O'Brien & Co",
	"50%",
	"a_b",
}

// FuzzTranslate drives SQL → plan translation end to end: SELECT … FROM
// Tasks WHERE <where>, alone and combined with Title = ? / Title LIKE ?
// bound to arg, through database/sql against the emulator. A query may
// fail, but never because SharePoint refused the $filter the driver
// built (a 400 on …/items: the driver sent OData the filter parser does
// not accept, or an argument altered the request), and it must neither
// panic nor hang.
func FuzzTranslate(f *testing.F) {
	for i, w := range translateWheres {
		f.Add(w, translateArgs[i%len(translateArgs)])
	}
	for _, a := range translateArgs {
		f.Add("Status = 'Blocked'", a)
	}
	// One emulator and *sql.DB for the whole target: starting one per
	// input would swamp the fuzzer.
	srv := sptest.NewServer(sptest.DemoSite())
	f.Cleanup(srv.Close)
	db, err := sql.Open("sharepoint", srv.ConnString())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, where, arg string) {
		queries := []struct {
			sql  string
			args []any
		}{
			{"SELECT ID, Title FROM Tasks WHERE " + where, nil},
			{"SELECT ID, Title FROM Tasks WHERE Title = ? AND (" + where + ")", []any{arg}},
			{"SELECT ID, Title FROM Tasks WHERE (" + where + ") OR Title LIKE ?", []any{arg}},
			{"SELECT ID, Title FROM Tasks WHERE Title = ?", []any{arg}},
			{"SELECT ID, Title FROM Tasks WHERE Title LIKE ?", []any{arg + "%"}},
		}
		for _, q := range queries {
			runTranslated(t, db, q.sql, q.args)
		}
	})
}

func runTranslated(t *testing.T, db *sql.DB, query string, args []any) {
	t.Helper()
	// Generous: Tasks has 250 items, any query over it ends in well under
	// a second; a query still running after this has hung.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := queryAll(ctx, db, query, args)
	if err == nil {
		return
	}
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Fatalf("%q %q: hung: %v", query, args, err)
	}
	var se *sharepoint.Error
	if errors.As(err, &se) && se.StatusCode == 400 {
		path := se.URL
		if u, perr := url.Parse(se.URL); perr == nil {
			path = u.Path
		}
		if strings.HasSuffix(strings.ToLower(path), "/items") {
			t.Fatalf("%q %q: SharePoint refused the request the driver built: %v", query, args, err)
		}
	}
}

func queryAll(ctx context.Context, db *sql.DB, query string, args []any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, title any
		if err := rows.Scan(&id, &title); err != nil {
			return err
		}
	}
	return rows.Err()
}
