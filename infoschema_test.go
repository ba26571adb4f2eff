package spsql_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func TestInformationSchemaTablesTakesWhereAndOrderBy(t *testing.T) {
	db, srv := openDB(t, sptest.DemoSite())
	_, got := queryRows(t, db, "SELECT TABLE_NAME, TABLE_ROWS, TABLE_TYPE FROM information_schema.tables WHERE TABLE_ROWS > ? ORDER BY TABLE_ROWS DESC", 50)
	want := [][]any{{"Tasks", int64(250), "BASE TABLE"}, {"Employees", int64(80), "BASE TABLE"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	_, got = queryRows(t, db, "SELECT table_name FROM INFORMATION_SCHEMA.TABLES WHERE table_comment LIKE '%projects%' ORDER BY 1")
	if !reflect.DeepEqual(got, [][]any{{"Projects"}, {"Tasks"}}) {
		t.Errorf("LIKE on the description: %v", got)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.tables").Scan(&n); err != nil || n != 3 {
		t.Errorf("COUNT(*) = %d, %v; want 3 lists", n, err)
	}
	if c := countItemsRequests(srv); c != 0 {
		t.Errorf("%d items requests: information_schema is made from metadata", c)
	}
}

// information_schema.columns describes the columns SELECT * returns, in
// its order, with the types Rows reports for them.
func TestInformationSchemaColumnsMatchSelectStar(t *testing.T) {
	db, _ := openDB(t, sptest.DemoSite())
	rows, err := db.Query("SELECT * FROM Tasks LIMIT 1")
	if err != nil {
		t.Fatal(err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	_, got := queryRows(t, db, "SELECT COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, IS_NULLABLE FROM information_schema.columns WHERE TABLE_NAME = 'tasks' ORDER BY ORDINAL_POSITION")
	if len(got) != len(types) {
		t.Fatalf("%d columns, SELECT * has %d: %v", len(got), len(types), got)
	}
	for i, ct := range types {
		nullable := "YES"
		if ct.Name() == "ID" {
			nullable = "NO"
		}
		want := []any{ct.Name(), int64(i + 1), ct.DatabaseTypeName(), nullable}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("column %d = %v, want %v", i+1, got[i], want)
		}
	}

	_, got = queryRows(t, db, "SELECT TABLE_NAME, COLUMN_NAME, INTERNAL_NAME, SHAREPOINT_TYPE FROM information_schema.columns WHERE IS_INDEXED AND COLUMN_NAME NOT IN ('ID', 'Created', 'Modified', 'Created By') ORDER BY TABLE_NAME, COLUMN_NAME")
	want := [][]any{{"Projects", "Project Code", "Project_x0020_Code", "Text"}, {"Tasks", "Project", "Project", "Lookup"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("indexed columns: %v, want %v", got, want)
	}
	_, got = queryRows(t, db, "SELECT CHOICES FROM information_schema.columns WHERE TABLE_NAME = 'Tasks' AND COLUMN_NAME = 'Priority'")
	if !reflect.DeepEqual(got, [][]any{{`["(1) High","(2) Normal","(3) Low"]`}}) {
		t.Errorf("choices: %v", got)
	}
	_, got = queryRows(t, db, "SELECT DISTINCT DATA_TYPE FROM information_schema.columns WHERE TABLE_NAME IN ('Projects', 'Employees') AND DATA_TYPE LIKE 'c%' ORDER BY DATA_TYPE DESC LIMIT 2")
	if !reflect.DeepEqual(got, [][]any{{"CURRENCY"}, {"COUNTER"}}) {
		t.Errorf("DISTINCT types: %v", got)
	}
}

func TestInformationSchemaErrorsAndExplain(t *testing.T) {
	db, _ := openDB(t, sptest.DemoSite())
	for q, want := range map[string]string{
		"SELECT * FROM information_schema.views":     "information_schema has tables and columns",
		"SELECT * FROM dbo.Tasks":                    "the only schema is information_schema",
		"SELECT NOPE FROM information_schema.tables": "NOPE",
	} {
		if _, err := db.Query(q); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", q, err, want)
		}
	}
	_, got := queryRows(t, db, "EXPLAIN SELECT COLUMN_NAME FROM information_schema.columns WHERE TABLE_NAME = 'Tasks' ORDER BY COLUMN_NAME")
	var lines []string
	for _, r := range got {
		lines = append(lines, r[0].(string))
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"the fields of list 'Tasks'", "driver: keep rows where TABLE_NAME = 'Tasks'", "driver: sort by COLUMN_NAME"} {
		if !strings.Contains(text, want) {
			t.Errorf("EXPLAIN lacks %q:\n%s", want, text)
		}
	}
}
