package main

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// fixedCatalog is a catalog with known names.
type fixedCatalog map[string][]string // "" → lists; lower-cased list → columns

func (c fixedCatalog) lists() []string              { return c[""] }
func (c fixedCatalog) columns(list string) []string { return c[strings.ToLower(list)] }

var testCatalog = fixedCatalog{
	"":         {"Projects", "Tasks", "Employees", "Project Tasks"},
	"tasks":    {"ID", "Title", "Status", "Due Date", "Project"},
	"projects": {"ID", "Title", "Budget", "Order"},
}

func TestCompleteSQL(t *testing.T) {
	for _, tc := range []struct {
		line  string // | marks the cursor; at the end when absent
		start string // the text the candidates replace
		want  []string
	}{
		// After FROM and JOIN: list names.
		{"SELECT * FROM Ta", "Ta", []string{"Tasks"}},
		{"select * from ta", "ta", []string{"Tasks"}},
		{"SELECT * FROM ", "", []string{"Employees", "Projects", "Tasks", "[Project Tasks]"}},
		{"SELECT * FROM [Pro", "[Pro", []string{"[Project Tasks]", "[Projects]"}},
		{"SELECT * FROM Tasks t JOIN P", "P", []string{"Projects"}},
		{"DESCRIBE E", "E", []string{"Employees"}},
		// After alias. or list.: that list's columns, the alias resolved
		// anywhere in the statement, before or after the cursor.
		{"SELECT t.| FROM Tasks t", "t.", []string{"t.ID", "t.Project", "t.Status", "t.Title", "t.[Due Date]"}},
		{"SELECT * FROM Tasks AS t WHERE t.St", "t.St", []string{"t.Status"}},
		{"SELECT p.B|, t.Title FROM Tasks t\nJOIN Projects p ON p.ID = t.ProjectId", "p.B", []string{"p.Budget"}},
		{"SELECT Tasks.T| FROM Tasks", "Tasks.T", []string{"Tasks.Title"}},
		{"SELECT p.[O| FROM Projects p", "p.[O", []string{"p.[Order]"}},
		{"SELECT x.| FROM Tasks t", "x.", nil},
		// Elsewhere: columns of the statement's lists, and keywords.
		{"SELECT Sta| FROM Tasks", "Sta", []string{"Status"}},
		{"SELECT * FROM Tasks WHERE Status = 'Done' OR", "OR", []string{"OR", "ORDER"}},
		{"SELECT * FROM Tasks wh", "wh", []string{"when", "where"}},
		{"SELECT [D| FROM Tasks", "[D", []string{"[Due Date]"}},
		{"SEL", "SEL", []string{"SELECT"}},
		// Inside a string or comment: nothing.
		{"SELECT * FROM Tasks WHERE Title = 'Ta", "", nil},
	} {
		line, cursor := tc.line, len(tc.line)
		if i := strings.Index(line, "|"); i >= 0 {
			line, cursor = line[:i]+line[i+1:], i
		}
		start, got := completeSQL(line, cursor, testCatalog)
		if line[start:cursor] != tc.start || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("completeSQL(%q) replaces %q with %q, want %q with %q", tc.line, line[start:cursor], got, tc.start, tc.want)
		}
	}
}

// metaCache reads the names from the site once per session.
func TestMetaCacheFetchesOnce(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	db, err := sql.Open(spsql.DriverName, srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Warm the connection so that only metadata requests are counted.
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := newMetaCache(db)
	m.wait = metaFetchTimeout
	if got := m.lists(); !reflect.DeepEqual(got, []string{"Projects", "Tasks", "Employees"}) {
		t.Errorf("lists = %q", got)
	}
	if got := m.columns("tasks"); len(got) < 5 || got[0] != "ID" || got[1] != "Title" {
		t.Errorf("columns(tasks) = %q", got)
	}
	before := srv.RequestCount()
	m.lists()
	m.columns("Tasks")
	if after := srv.RequestCount(); after != before {
		t.Errorf("%d more requests for names already fetched", after-before)
	}
}

// inputDone decides when the line editor hands what was typed to the
// shell: a statement is one entry however many lines it spans.
func TestInputDone(t *testing.T) {
	for _, tc := range []struct {
		pending, text string
		want          bool
	}{
		{"", "", true},
		{"", "SELECT 1;", true},
		{"", "SELECT Title", false},
		{"", "SELECT Title\nFROM Tasks;", true},
		{"", "SELECT 'a;", false},               // ; inside a string
		{"", "SELECT [a;b]\nFROM Tasks", false}, // ; inside a name
		{"", "SELECT Title\n\\q", true},         // a backslash command runs at once
		{"", "\\d Tasks", true},
		{"SELECT Title\n", "FROM Tasks;", true}, // ends a statement begun earlier
		{"SELECT 'it''s\n", "fine", false},      // still inside the string
		{"", "SELECT 1; SELECT 2", false},       // a second statement begun
	} {
		if got := inputDone(tc.pending, tc.text); got != tc.want {
			t.Errorf("inputDone(%q, %q) = %t, want %t", tc.pending, tc.text, got, tc.want)
		}
	}
}
