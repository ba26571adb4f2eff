package main

import (
	"bytes"
	"database/sql"
	"database/sql/driver"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/DATA-DOG/go-sqlmock"
)

// query returns *sql.Rows from go-sqlmock holding cols and rows, as the
// output layer sees any driver's result.
func query(t *testing.T, cols []string, data ...[]driver.Value) *sql.Rows {
	t.Helper()
	db, mock, err := sqlmock.New(sqlmock.QueryMatcherOption(sqlmock.QueryMatcherEqual))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := sqlmock.NewRows(cols)
	for _, row := range data {
		r.AddRow(row...)
	}
	mock.ExpectQuery("SELECT * FROM Tasks").WillReturnRows(r)
	rows, err := db.Query("SELECT * FROM Tasks")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rows.Close() })
	return rows
}

var (
	due     = time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)
	cols    = []string{"ID", "Title", "Due Date", "Percent", "Done", "Tags"}
	rowsFix = [][]driver.Value{
		{int64(1), "Write \"report\", v2", due, 0.5, true, `["Red","Blue"]`},
		{int64(2), nil, nil, nil, nil, nil},
		{int64(10), "Ünïcödé\nline", due, 1.25, false, `[]`},
	}
)

func render(t *testing.T, format string, expanded bool, data ...[]driver.Value) (string, int64) {
	t.Helper()
	var buf bytes.Buffer
	rw := &resultWriter{format: format, expanded: expanded}
	n, err := rw.write(&buf, query(t, cols, data...))
	if err != nil {
		t.Fatal(err)
	}
	return buf.String(), n
}

func TestCSVIsRFC4180WithAHeader(t *testing.T) {
	out, n := render(t, formatCSV, false, rowsFix...)
	if n != 3 {
		t.Errorf("rows written = %d, want 3", n)
	}
	if !strings.Contains(out, "\r\n") {
		t.Error("CSV lines do not end in CRLF")
	}
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		cols,
		{"1", `Write "report", v2`, "2026-03-01T08:30:00Z", "0.5", "true", `["Red","Blue"]`},
		{"2", "", "", "", "", ""},
		{"10", "Ünïcödé\nline", "2026-03-01T08:30:00Z", "1.25", "false", "[]"},
	}
	if !reflect.DeepEqual(records, want) {
		t.Errorf("CSV read back = %q\nwant %q", records, want)
	}
}

func TestTSVEscapesTabsAndNewlines(t *testing.T) {
	out, _ := render(t, formatTSV, false, []driver.Value{int64(1), "a\tb\nc\\d", nil, nil, nil, nil})
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("TSV has %d lines, want 2: %q", len(lines), out)
	}
	if got, want := lines[1], "1\ta\\tb\\nc\\\\d\t\t\t\t"; got != want {
		t.Errorf("TSV row = %q, want %q", got, want)
	}
}

func TestJSONKeepsTypes(t *testing.T) {
	out, _ := render(t, formatJSON, false, rowsFix...)
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("json output does not parse: %v\n%s", err, out)
	}
	want := []map[string]any{
		{"ID": 1.0, "Title": `Write "report", v2`, "Due Date": "2026-03-01T08:30:00Z", "Percent": 0.5, "Done": true, "Tags": []any{"Red", "Blue"}},
		{"ID": 2.0, "Title": nil, "Due Date": nil, "Percent": nil, "Done": nil, "Tags": nil},
		{"ID": 10.0, "Title": "Ünïcödé\nline", "Due Date": "2026-03-01T08:30:00Z", "Percent": 1.25, "Done": false, "Tags": []any{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("json = %v\nwant %v", got, want)
	}
	// Keys come in column order.
	if i, j := strings.Index(out, `"ID"`), strings.Index(out, `"Tags"`); i < 0 || j < i {
		t.Error("keys are not in column order")
	}
}

func TestJSONLIsOneObjectALine(t *testing.T) {
	out, _ := render(t, formatJSONL, false, rowsFix...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("jsonl has %d lines, want 3", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || len(m) != len(cols) {
			t.Errorf("line %q: %v", l, err)
		}
	}
}

func TestEmptyResults(t *testing.T) {
	for format, want := range map[string]string{
		formatJSON:  "[]\n",
		formatJSONL: "",
		formatCSV:   strings.Join(cols, ",") + "\r\n",
	} {
		if out, n := render(t, format, false); out != want || n != 0 {
			t.Errorf("%s of no rows = %q (%d), want %q", format, out, n, want)
		}
	}
	out, _ := render(t, formatTable, false)
	if !strings.HasSuffix(out, "(0 rows)\n") || !strings.HasPrefix(out, "ID | Title") {
		t.Errorf("table of no rows = %q", out)
	}
}

func TestTableAlignsColumns(t *testing.T) {
	out, _ := render(t, formatTable, false, rowsFix...)
	lines := strings.Split(out, "\n")
	want := []string{
		"ID | Title              | Due Date             | Percent | Done  | Tags",
		"---+--------------------+----------------------+---------+-------+---------------",
		" 1 | Write \"report\", v2 | 2026-03-01T08:30:00Z |     0.5 | true  | [\"Red\",\"Blue\"]",
		" 2 | NULL               | NULL                 |    NULL | NULL  | NULL",
		"10 | Ünïcödé line       | 2026-03-01T08:30:00Z |    1.25 | false | []",
		"(3 rows)",
	}
	for i, w := range want {
		if i >= len(lines) || lines[i] != w {
			t.Fatalf("table line %d = %q\nwant          %q\nwhole table:\n%s", i, lines[i], w, out)
		}
	}
}

func TestExpandedDisplay(t *testing.T) {
	out, _ := render(t, formatTable, true, rowsFix[:1]...)
	if !strings.Contains(out, "-[ RECORD 1 ]") || !strings.Contains(out, "Due Date | 2026-03-01T08:30:00Z") {
		t.Errorf("expanded = %q", out)
	}
}

func TestWideResult(t *testing.T) {
	many := make([]string, 200)
	row := make([]driver.Value, 200)
	for i := range many {
		many[i] = "Column" + strings.Repeat("x", i%7)
		row[i] = int64(i)
	}
	var buf bytes.Buffer
	rw := &resultWriter{format: formatCSV}
	if _, err := rw.write(&buf, query(t, many, row)); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(records) != 2 || len(records[1]) != 200 || records[1][199] != "199" {
		t.Fatalf("wide CSV: %v, %d records", err, len(records))
	}
}

func TestUnknownFormat(t *testing.T) {
	rw := &resultWriter{format: "xml"}
	if _, err := rw.write(&bytes.Buffer{}, query(t, cols)); err == nil || !strings.Contains(err.Error(), `unknown format "xml"`) {
		t.Errorf("err = %v", err)
	}
}
