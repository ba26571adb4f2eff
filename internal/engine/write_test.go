package engine

import (
	"context"
	"database/sql/driver"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

func buildWrite(t *testing.T, sql string, opts WriteOptions, args ...any) (*WritePlan, error) {
	t.Helper()
	st, err := sqlparse.Parse(sql)
	if err != nil {
		return nil, err
	}
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return BuildWrite(st, "", tasksFields(), named, opts)
}

func TestInsertTypesEachValueForItsField(t *testing.T) {
	due := time.Date(2024, 3, 1, 12, 0, 0, 0, time.FixedZone("x", 3600))
	wp, err := buildWrite(t, `INSERT INTO Tasks (Title, Status, "Due Date", PercentComplete, ProjectId, AssignedToId,
		ReviewersId, Tags, Notes, Done, Budget, Estimate, Link) VALUES
		('a', 'Done', ?, 0.5, 3, 7, '[1,2]', '["x","y"]', 'n', 1, 10, '42', 'https://e.x'),
		(?, NULL, '2024-01-02', -1, NULL, NULL, '4, 5', '[]', NULL, false, 2.5, 7, NULL)`, WriteOptions{}, due, "b")
	if err != nil {
		t.Fatal(err)
	}
	if wp.Kind != WriteInsert || len(wp.Rows) != 2 {
		t.Fatalf("plan %+v", wp)
	}
	want0 := sharepoint.Values{"Title": "a", "Status": "Done", "DueDate": due.UTC(), "PercentComplete": 0.5,
		"ProjectId": int64(3), "AssignedToId": int64(7), "ReviewersId": []int64{1, 2}, "Tags": []string{"x", "y"},
		"Notes": "n", "Done": true, "Budget": int64(10), "Estimate": int64(42),
		"Link": sharepoint.URLValue{URL: "https://e.x", Description: "https://e.x"}}
	if !reflect.DeepEqual(wp.Rows[0], want0) {
		t.Errorf("row 1:\n got %#v\nwant %#v", wp.Rows[0], want0)
	}
	r1 := wp.Rows[1]
	if r1["Title"] != "b" || r1["Status"] != nil || !reflect.DeepEqual(r1["ReviewersId"], []int64{4, 5}) ||
		!reflect.DeepEqual(r1["Tags"], []string{}) || r1["Done"] != false || r1["DueDate"] != time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC) {
		t.Errorf("row 2: %#v", r1)
	}
}

func TestWritesRefuseWhatSharePointWouldRefuse(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"INSERT INTO Tasks (ID, Title) VALUES (1, 'a')", `column "ID"`},
		{"INSERT INTO Tasks (Created) VALUES ('2024-01-01')", "is read-only: SharePoint sets it; leave it out of the statement"},
		{"INSERT INTO Tasks (Effort) VALUES (1)", `"Effort" (Effort, Calculated) is read-only`},
		{"INSERT INTO Tasks (Author) VALUES (1)", "read-only"},
		{"INSERT INTO Tasks (Attachments) VALUES (1)", "read-only"},
		{"INSERT INTO Tasks (Project) VALUES (1)", "through ProjectId"},
		{"INSERT INTO Tasks (Title) VALUES (5)", "takes text"},
		{"INSERT INTO Tasks (PercentComplete) VALUES ('many')", "takes a number"},
		{"INSERT INTO Tasks (Tags) VALUES ('A;#B')", "JSON array"},
		{"INSERT INTO Tasks (ReviewersId) VALUES ('[a]')", "JSON array"},
		{"INSERT INTO Tasks (ProjectId) VALUES (-2)", "item ID"},
		{"INSERT INTO Tasks (DueDate) VALUES ('tomorrow')", `column "DueDate" is DateTime and takes a date: 'YYYY-MM-DD'`},
		{"INSERT INTO Tasks (Nope) VALUES (1)", "Nope"},
		{"INSERT INTO Tasks (Title, Title) VALUES ('a', 'b')", "twice"},
		{"INSERT INTO Tasks (Title) VALUES ('a', 'b')", "INSERT row 1 has 2 values for 1 column (Title): give one value per column"},
		{"INSERT INTO Tasks (Title, Status) VALUES ('a')", "INSERT row 1 has 1 value for 2 columns (Title, Status)"},
		{"INSERT INTO Tasks (Title) SELECT Title FROM Tasks", "INSERT … SELECT"},
		{"INSERT INTO Tasks VALUES ('a')", "column list"},
		{"UPDATE Tasks SET Title = Notes WHERE ID = 1", "constant or a placeholder"},
		{"UPDATE Tasks SET Title = 'x'", "WHERE 1=1"},
		{"DELETE FROM Tasks", "AllowFullTableWrites"},
		{"DELETE FROM Tasks WHERE ID = 1 LIMIT 1", "LIMIT"},
		{"REPLACE INTO Tasks (Title) VALUES ('a')", "REPLACE"},
	} {
		_, err := buildWrite(t, tc.sql, WriteOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.sql, err, tc.want)
		}
	}
}

func TestUpdateAndDeleteGoStraightToNamedIDs(t *testing.T) {
	wp, err := buildWrite(t, "UPDATE Tasks SET Title = ?, Done = 'yes' WHERE ID IN (5, ?, 3, 5)", WriteOptions{}, "t", int64(9))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(wp.IDs, []int{3, 5, 9}) || wp.Select != nil || wp.Set["Title"] != "t" || wp.Set["Done"] != true {
		t.Errorf("plan %+v", wp)
	}
	wp, err = buildWrite(t, "DELETE FROM Tasks WHERE id = :x", WriteOptions{}, driver.NamedValue{})
	if err == nil {
		t.Logf("named args via positional call: %+v", wp)
	}
	st, _ := sqlparse.Parse("DELETE FROM Tasks WHERE ID = :x")
	wp, err = BuildWrite(st, "", tasksFields(), []driver.NamedValue{{Name: "x", Value: int64(4)}}, WriteOptions{})
	if err != nil || !reflect.DeepEqual(wp.IDs, []int{4}) || wp.Kind != WriteDelete {
		t.Errorf("delete by named ID: %+v, %v", wp, err)
	}
}

func TestOtherWhereSelectsIDsThroughThePlan(t *testing.T) {
	wp, err := buildWrite(t, "DELETE FROM Tasks WHERE Status = 'Done' AND Notes LIKE '%x%'", WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	selectIDs := func(wp *WritePlan) *Query {
		t.Helper()
		q, err := BuildQuery(context.Background(), wp.Select, fixtureCatalog{}, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	if wp.Select == nil {
		t.Fatalf("plan %+v", wp)
	}
	q := selectIDs(wp)
	if len(q.Columns) != 1 || q.Columns[0].Name != "ID" {
		t.Fatalf("columns %+v", q.Columns)
	}
	if p := q.scans[0]; p.Query.Filter != "Status eq 'Done'" || p.Residual == nil {
		t.Errorf("pushdown: filter %q, residual %v", p.Query.Filter, p.Residual != nil)
	}
	for _, sql := range []string{"DELETE FROM Tasks WHERE 1=1", "UPDATE Tasks SET Done = 0 WHERE 1 = 1"} {
		wp, err := buildWrite(t, sql, WriteOptions{})
		if err != nil || wp.Select == nil || selectIDs(wp).scans[0].Query.Filter != "" {
			t.Errorf("%s: %+v, %v", sql, wp, err)
		}
	}
	wp, err = buildWrite(t, "DELETE FROM Tasks", WriteOptions{AllowFullTableWrites: true})
	if err != nil || wp.Select == nil {
		t.Errorf("AllowFullTableWrites: %+v, %v", wp, err)
	}
}

func TestDateOnlyStringsAreMidnightInTheSiteZone(t *testing.T) {
	st, _ := sqlparse.Parse("INSERT INTO Tasks (DueDate) VALUES ('2024-01-02')")
	wp, err := BuildWrite(st, "", tasksFields(), nil, WriteOptions{Location: newYork(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got := wp.Rows[0]["DueDate"]; got != time.Date(2024, 1, 2, 5, 0, 0, 0, time.UTC) {
		t.Errorf("got %v", got)
	}
}

func TestWriteNumInput(t *testing.T) {
	for sql, n := range map[string]int{
		"INSERT INTO Tasks (Title, Notes) VALUES (?, ?), (?, ?)": 4,
		"UPDATE Tasks SET Title = :t WHERE ID = :id":             2,
		"DELETE FROM Tasks WHERE ID = ?":                         1,
	} {
		st, err := sqlparse.Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.(interface{ NumInput() int }).NumInput(); got != n {
			t.Errorf("%s: NumInput %d, want %d", sql, got, n)
		}
	}
}
