package engine

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sqlparse"
)

func tasks(titles ...any) []map[string]any {
	var out []map[string]any
	for i, title := range titles {
		out = append(out, map[string]any{"ID": int64(i + 1), "Title": title})
	}
	return out
}

func tasksSource(items []map[string]any) *memSource {
	return &memSource{items: map[string][]map[string]any{"tasks": items}}
}

func explainText(q *Query) string { return strings.Join(q.Explain(), "\n") }

func TestSortInTheDriverPutsNullsFirstAndIgnoresCase(t *testing.T) {
	src := tasksSource(tasks("b", nil, "A", "a", "C"))
	out, q := run(t, src, "SELECT Title FROM Tasks ORDER BY LOWER(Title), ID DESC", Options{})
	if q.scans[0].Query.OrderBy != "" || !strings.Contains(explainText(q), "driver: sort by LOWER(Title), ID DESC") {
		t.Fatalf("$orderby %q; plan:\n%s", q.scans[0].Query.OrderBy, explainText(q))
	}
	if want := [][]any{{nil}, {"a"}, {"A"}, {"b"}, {"C"}}; !reflect.DeepEqual(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
	out, _ = run(t, tasksSource(tasks("b", nil, "a")), "SELECT Title FROM Tasks ORDER BY UPPER(Title) DESC", Options{})
	if want := [][]any{{"b"}, {"a"}, {nil}}; !reflect.DeepEqual(out, want) {
		t.Errorf("DESC rows = %v, want %v (NULLs last)", out, want)
	}
}

func TestResidualDistinctOffsetAndLimitApplyInOrder(t *testing.T) {
	src := tasksSource(tasks("ax", "AX", "b", "bx", "cx", "dx"))
	out, q := run(t, src, "SELECT DISTINCT Title FROM Tasks WHERE Title LIKE '%x' LIMIT 2 OFFSET 1", Options{})
	if q.scans[0].Query.Top != 0 {
		t.Errorf("$top = %d with a residual and DISTINCT; want none", q.scans[0].Query.Top)
	}
	// Kept: ax, AX (same as ax: dropped), bx, cx, dx; skip ax; take bx, cx.
	if want := [][]any{{"bx"}, {"cx"}}; !reflect.DeepEqual(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
}

func TestReadingStopsOnceTheLimitIsMet(t *testing.T) {
	src := tasksSource(tasks("a", "skip", "b", "c", "d"))
	run(t, src, "SELECT Title FROM Tasks WHERE LOWER(Title) <> 'skip' LIMIT 2", Options{})
	if src.read != 3 {
		t.Errorf("read %d rows, want 3: the scan must stop after the second kept row", src.read)
	}
	if src.open != 0 {
		t.Errorf("%d item streams left open", src.open)
	}
	src = tasksSource(tasks("a"))
	out, q := run(t, src, "SELECT Title FROM Tasks LIMIT 0", Options{})
	if len(out) != 0 || q.scans[0].Query.Top != 1 {
		t.Errorf("LIMIT 0: %d rows, $top %d; want none and $top 1 (never all items)", len(out), q.scans[0].Query.Top)
	}
}

func TestCountStar(t *testing.T) {
	// The source holds what SharePoint returns for the pushed filter.
	src := tasksSource(tasks("a", "ab", "ba"))
	out, q := run(t, src, "SELECT COUNT(*) AS n FROM Tasks WHERE Title LIKE '%a%' AND LENGTH(Title) > 1", Options{})
	if q.scans[0].Query.Filter != "substringof('a',Title)" {
		t.Fatalf("$filter %q", q.scans[0].Query.Filter)
	}
	if want := [][]any{{int64(2)}}; !reflect.DeepEqual(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
	if q.Columns[0].Name != "n" || q.Columns[0].DatabaseTypeName != "INTEGER" || !q.Columns[0].NeverNull {
		t.Errorf("column %+v", q.Columns[0])
	}

	// A whole list's COUNT(*) is its ItemCount as the source reads it
	// now: no item is read.
	src = tasksSource(tasks("a", "b"))
	src.count = 7
	out, q = run(t, src, "SELECT COUNT(*) FROM Tasks", Options{})
	if want := [][]any{{int64(7)}}; !reflect.DeepEqual(out, want) || len(src.requests) != 0 {
		t.Errorf("COUNT(*): rows %v after %d items requests; want %v and none", out, len(src.requests), want)
	}
	if !strings.Contains(explainText(q), "ItemCount (no items are read)") {
		t.Errorf("plan:\n%s", explainText(q))
	}
	out, _ = run(t, src, "SELECT COUNT(*) FROM Tasks LIMIT 1 OFFSET 1", Options{})
	if len(out) != 0 {
		t.Errorf("COUNT(*) OFFSET 1 returned %v, want no rows", out)
	}
}

func TestOutputColumnsEvaluateTheFetchedRow(t *testing.T) {
	due := time.Date(2024, 1, 15, 5, 0, 0, 0, time.UTC) // midnight in New York
	src := tasksSource([]map[string]any{{"Title": "a", "Estimate": int64(2), "Tags": []string{"R"}, "DueDate": due}})
	out, q := run(t, src, "SELECT Title, Estimate * 1.5 AS x, COALESCE(Estimate, 2.5) AS c, Tags, Link.Description, DueDate FROM Tasks", Options{Location: newYork(t)})
	// A date-only field shows its calendar day, as midnight UTC.
	want := []any{"a", 3.0, 2.0, []string{"R"}, nil, time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)}
	if !reflect.DeepEqual(out[0], want) {
		t.Errorf("row = %#v, want %#v", out[0], want)
	}
	types := []string{}
	for _, c := range q.Columns {
		types = append(types, c.DatabaseTypeName)
	}
	if want := []string{"TEXT", "NUMBER", "NUMBER", "MULTICHOICE", "TEXT", "DATETIME"}; !reflect.DeepEqual(types, want) {
		t.Errorf("types = %v, want %v", types, want)
	}
}

func TestTopAndOrderArePushedOnlyWhenNothingAboveTheScanDropsOrReordersRows(t *testing.T) {
	tests := []struct {
		sql  string
		top  int
		sort bool // the driver sorts
	}{
		{"SELECT ID FROM Tasks LIMIT 10", 10, false},
		{"SELECT ID FROM Tasks WHERE Title = 'x' ORDER BY Created DESC LIMIT 10 OFFSET 5", 15, false},
		{"SELECT ID FROM Tasks WHERE LOWER(Title) = 'x' LIMIT 10", 0, false},
		{"SELECT ID FROM Tasks ORDER BY Project LIMIT 10", 0, true},
		{"SELECT ID FROM Tasks ORDER BY Status LIMIT 10", 0, true},
		{"SELECT ID FROM Tasks ORDER BY Notes LIMIT 10", 0, true},
		{"SELECT DISTINCT Title FROM Tasks LIMIT 10", 0, false},
		{"SELECT ID FROM Tasks ORDER BY 1 DESC LIMIT 3", 3, false},
		{"SELECT ID AS n FROM Tasks ORDER BY n DESC LIMIT 3", 3, false},
		{"SELECT Title FROM Tasks ORDER BY Created LIMIT 3", 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			q := query(t, fixtureCatalog{}, tt.sql, Options{})
			sorts := strings.Contains(explainText(q), "driver: sort by")
			if q.scans[0].Query.Top != tt.top || sorts != tt.sort {
				t.Errorf("$top %d, driver sorts %v; want %d, %v; plan:\n%s", q.scans[0].Query.Top, sorts, tt.top, tt.sort, explainText(q))
			}
		})
	}
}

func TestFallbackEvaluatesEverythingInTheDriverOverAnIDScan(t *testing.T) {
	in := []map[string]any{
		{"ID": int64(1), "Title": "ab", "Status": "Done"}, {"ID": int64(2), "Title": "ac", "Status": "done"},
		{"ID": int64(3), "Title": "b", "Status": "Done"}, {"ID": int64(4), "Title": "ad", "Status": "Open"}, {"ID": int64(5), "Title": "ae", "Status": "Done"},
	}
	src := tasksSource(in)
	src.threshold = true
	out, q := run(t, src, "SELECT Title FROM Tasks WHERE Status = 'Done' AND Title LIKE 'a%' ORDER BY Title DESC LIMIT 2", Options{})
	if got := strings.Join(q.scans[0].Unindexed, ","); got != "Status,Title" {
		t.Errorf("Unindexed = %q", got)
	}
	if len(src.requests) != 2 {
		t.Fatalf("%d requests, want the refused one and the fallback", len(src.requests))
	}
	fb := src.requests[1]
	if fb.Filter != "" || fb.OrderBy != "ID asc" || fb.Top != 0 {
		t.Errorf("fallback request %+v", fb)
	}
	if want := [][]any{{"ae"}, {"ac"}}; !reflect.DeepEqual(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
}

func TestExplainDescribesRequestAndDriverWork(t *testing.T) {
	q := query(t, fixtureCatalog{}, "SELECT Title FROM Tasks WHERE Status = ? AND UPPER(Title) LIKE 'A%' ORDER BY Title LIMIT 5 OFFSET 1", Options{}, "Done")
	want := strings.Join([]string{
		"driver: skip 1 rows, then return at most 5 rows",
		"  driver: rows come sorted by Title ($orderby); sorted here only if the list view threshold makes the scan fall back, keeping the first 6",
		"    driver: return Title",
		"      scan Tasks",
		"        GET items of list 'Tasks'",
		"          $select=Title",
		"          $filter=Status eq 'Done'",
		"          $orderby=Title asc",
		"          $top=1000, following next links to the end",
		"        driver: keep rows where UPPER(Title) LIKE 'A%'",
		"        note: not indexed, refused on lists over 5,000 items: Status, Title",
	}, "\n")
	if got := explainText(q); got != want {
		t.Errorf("Explain:\n%s\nwant:\n%s", got, want)
	}
}

func TestAJoinHoldsTheSideItsFirstPageShowsIsSmaller(t *testing.T) {
	// Tasks has 12,000 items and Projects 40, so ItemCount says to hold
	// Projects; but the filter leaves two tasks, which the first page
	// shows: those are held instead, within a cap of 10 rows.
	var projects []map[string]any
	for i := 1; i <= 40; i++ {
		projects = append(projects, map[string]any{"ID": int64(i), "Title": "p" + strings.Repeat("x", i%3)})
	}
	src := &memSource{items: map[string][]map[string]any{
		"tasks":    {{"ID": int64(1), "Title": "a", "ProjectId": int64(3)}, {"ID": int64(2), "Title": "b", "ProjectId": int64(40)}},
		"projects": projects,
	}}
	for _, sql := range []string{
		"SELECT t.Title, p.ID FROM Tasks t JOIN Projects p ON t.ProjectId = p.ID WHERE t.Status = 'Done' ORDER BY t.Title",
		"SELECT t.Title, p.ID FROM Projects p JOIN Tasks t ON t.ProjectId = p.ID WHERE t.Status = 'Done' ORDER BY t.Title",
	} {
		out, _ := run(t, src, sql, Options{MaxMemoryRows: 10})
		if want := [][]any{{"a", int64(3)}, {"b", int64(40)}}; !reflect.DeepEqual(out, want) {
			t.Errorf("%s: rows %v, want %v", sql, out, want)
		}
	}
}

func TestALeftJoinWithOnlyALimitAboveItStopsItsLeftScan(t *testing.T) {
	src := &memSource{items: map[string][]map[string]any{
		"tasks": tasks("a", "b", "c", "d"),
	}}
	out, q := run(t, src, "SELECT t.Title, p.Title FROM Tasks t LEFT JOIN Projects p ON t.ProjectId = p.ID LIMIT 2", Options{})
	if len(out) != 2 {
		t.Errorf("rows %v, want 2", out)
	}
	if top := q.scans[0].Query.Top; top != 2 {
		t.Errorf("the left scan's $top is %d, want 2; plan:\n%s", top, explainText(q))
	}
	// An inner join may drop left rows: its scan must not stop early.
	_, q = run(t, src, "SELECT t.Title, p.Title FROM Tasks t JOIN Projects p ON t.ProjectId = p.ID LIMIT 2", Options{})
	if top := q.scans[0].Query.Top; top != 0 {
		t.Errorf("an inner join's left scan has $top %d, want none", top)
	}
}

func TestPlanningStopsWithItsContext(t *testing.T) {
	st, err := sqlparse.Parse("SELECT ID FROM Tasks WHERE ID IN (" + strings.Repeat("1, ", 5000) + "2)")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := BuildQuery(ctx, st.(*sqlparse.Select), fixtureCatalog{}, nil, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("planning with a cancelled context: %v, want context.Canceled", err)
	}
}
