package sqlparse

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// source serves rows like an ItemIterator and counts how many were read.
type source struct {
	rows [][]any
	read int
}

func (s *source) next() ([]any, error) {
	if s.read >= len(s.rows) {
		return nil, io.EOF
	}
	s.read++
	return s.rows[s.read-1], nil
}

// collect runs the plan's remainder over rows given as maps by $select
// name and returns the output rows.
func collect(t *testing.T, p *Plan, in []map[string]any) ([][]any, *source) {
	t.Helper()
	src := &source{}
	for _, m := range in {
		src.rows = append(src.rows, row(t, p, m))
	}
	next := p.Remainder(src.next)
	var out [][]any
	for {
		r, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if _, err := next(); err != io.EOF {
		t.Errorf("after the end, next returned %v, want io.EOF again", err)
	}
	return out, src
}

func tasks(titles ...any) []map[string]any {
	var out []map[string]any
	for i, title := range titles {
		out = append(out, map[string]any{"ID": int64(i + 1), "Title": title})
	}
	return out
}

func TestRemainderSortsInTheDriverWithNullsFirstAndCaseIgnored(t *testing.T) {
	p := plan(t, "SELECT Title FROM Tasks ORDER BY LOWER(Title), ID DESC")
	if p.Query.OrderBy != "" || len(p.Sort) != 2 {
		t.Fatalf("$orderby %q, %d client keys", p.Query.OrderBy, len(p.Sort))
	}
	out, _ := collect(t, p, tasks("b", nil, "A", "a", "C"))
	want := [][]any{{nil}, {"a"}, {"A"}, {"b"}, {"C"}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
	p = plan(t, "SELECT Title FROM Tasks ORDER BY UPPER(Title) DESC")
	out, _ = collect(t, p, tasks("b", nil, "a"))
	if want := [][]any{{"b"}, {"a"}, {nil}}; !reflect.DeepEqual(out, want) {
		t.Errorf("DESC rows = %v, want %v (NULLs last)", out, want)
	}
}

func TestRemainderAppliesResidualDistinctOffsetAndLimitInOrder(t *testing.T) {
	p := plan(t, "SELECT DISTINCT Title FROM Tasks WHERE Title LIKE '%x' LIMIT 2 OFFSET 1")
	if p.Query.Top != 0 {
		t.Errorf("$top = %d with a residual and DISTINCT; want none", p.Query.Top)
	}
	out, _ := collect(t, p, tasks("ax", "AX", "b", "bx", "cx", "dx"))
	// Kept: ax, AX (same as ax: dropped), bx, cx, dx; skip ax; take bx, cx.
	if want := [][]any{{"bx"}, {"cx"}}; !reflect.DeepEqual(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
}

func TestRemainderStopsReadingOnceTheLimitIsMet(t *testing.T) {
	p := plan(t, "SELECT Title FROM Tasks WHERE LOWER(Title) <> 'skip' LIMIT 2")
	_, src := collect(t, p, tasks("a", "skip", "b", "c", "d"))
	if src.read != 3 {
		t.Errorf("read %d rows, want 3: the remainder must stop after the second kept row", src.read)
	}
	p = plan(t, "SELECT Title FROM Tasks LIMIT 0")
	out, src := collect(t, p, tasks("a"))
	if len(out) != 0 || src.read != 0 || p.Query.Top != 1 {
		t.Errorf("LIMIT 0: %d rows, %d read, $top %d; want none read and $top 1 (never all items)", len(out), src.read, p.Query.Top)
	}
}

func TestRemainderCountsRows(t *testing.T) {
	p := plan(t, "SELECT COUNT(*) AS n FROM Tasks WHERE Title LIKE '%a%' AND LENGTH(Title) > 1")
	if p.Count != CountRows || p.Query.Filter != "substringof('a',Title)" {
		t.Fatalf("count mode %v, $filter %q", p.Count, p.Query.Filter)
	}
	// The source holds what SharePoint returns for the pushed filter.
	out, _ := collect(t, p, tasks("a", "ab", "ba"))
	if want := [][]any{{int64(2)}}; !reflect.DeepEqual(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
	if p.Columns[0].Name != "n" || p.Columns[0].DatabaseTypeName != "INTEGER" {
		t.Errorf("column %+v", p.Columns[0])
	}
	p = plan(t, "SELECT COUNT(*) FROM Tasks")
	if p.Count != CountItemCount {
		t.Errorf("COUNT(*) of a whole list: mode %v, want CountItemCount", p.Count)
	}
	p = plan(t, "SELECT COUNT(*) FROM Tasks LIMIT 1 OFFSET 1")
	if p.Count != CountRows {
		t.Errorf("COUNT(*) with OFFSET: mode %v, want CountRows", p.Count)
	}
	if out, _ := collect(t, p, []map[string]any{{"ID": int64(1)}}); len(out) != 0 {
		t.Errorf("COUNT(*) OFFSET 1 returned %v, want no rows", out)
	}
}

func TestOutputColumnsEvaluateTheFetchedRow(t *testing.T) {
	p := plan(t, "SELECT Title, Estimate * 1.5 AS x, COALESCE(Estimate, 2.5) AS c, Tags, Link.Description, DueDate FROM Tasks")
	due := time.Date(2024, 1, 15, 5, 0, 0, 0, time.UTC)
	out, _ := collect(t, p, []map[string]any{{"Title": "a", "Estimate": int64(2), "Tags": []string{"R"}, "DueDate": due}})
	want := []any{"a", 3.0, 2.0, []string{"R"}, nil, due}
	if !reflect.DeepEqual(out[0], want) {
		t.Errorf("row = %#v, want %#v", out[0], want)
	}
	types := []string{}
	for _, c := range p.Columns {
		types = append(types, c.DatabaseTypeName)
	}
	if want := []string{"TEXT", "NUMBER", "NUMBER", "MULTICHOICE", "TEXT", "DATETIME"}; !reflect.DeepEqual(types, want) {
		t.Errorf("types = %v, want %v", types, want)
	}
}

func TestTopIsPushedOnlyWhenNothingDropsRowsAfterTheFetch(t *testing.T) {
	tests := []struct {
		sql  string
		top  int
		sort bool
	}{
		{"SELECT ID FROM Tasks LIMIT 10", 10, false},
		{"SELECT ID FROM Tasks WHERE Title = 'x' ORDER BY Created DESC LIMIT 10 OFFSET 5", 15, false},
		{"SELECT ID FROM Tasks WHERE LOWER(Title) = 'x' LIMIT 10", 0, false},
		{"SELECT ID FROM Tasks ORDER BY Project LIMIT 10", 0, true},
		{"SELECT ID FROM Tasks ORDER BY Status LIMIT 10", 0, true},
		{"SELECT ID FROM Tasks ORDER BY Notes LIMIT 10", 0, true},
		{"SELECT DISTINCT Title FROM Tasks LIMIT 10", 0, false},
		{"SELECT ID FROM Tasks ORDER BY 1 DESC LIMIT 3", 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			p := plan(t, tt.sql)
			if p.Query.Top != tt.top || (len(p.Sort) > 0) != tt.sort {
				t.Errorf("$top %d, client sort %v; want %d, %v", p.Query.Top, len(p.Sort) > 0, tt.top, tt.sort)
			}
		})
	}
}

func TestFallbackEvaluatesEverythingInTheDriverOverAnIDScan(t *testing.T) {
	p := plan(t, "SELECT Title FROM Tasks WHERE Status = 'Done' AND Title LIKE 'a%' ORDER BY Title DESC LIMIT 2")
	if got := strings.Join(p.Unindexed, ","); got != "Status,Title" {
		t.Errorf("Unindexed = %q", got)
	}
	fb, err := p.Fallback()
	if err != nil {
		t.Fatal(err)
	}
	if fb.Query.Filter != "" || fb.Query.OrderBy != "ID asc" || fb.Query.Top != 0 || fb.Residual == nil || len(fb.Sort) != 1 {
		t.Fatalf("fallback query %+v, residual %v, sort %d", fb.Query, fb.Residual != nil, len(fb.Sort))
	}
	in := []map[string]any{
		{"Title": "ab", "Status": "Done"}, {"Title": "ac", "Status": "done"},
		{"Title": "b", "Status": "Done"}, {"Title": "ad", "Status": "Open"}, {"Title": "ae", "Status": "Done"},
	}
	out, _ := collect(t, fb, in)
	if want := [][]any{{"ae"}, {"ac"}}; !reflect.DeepEqual(out, want) {
		t.Errorf("rows = %v, want %v", out, want)
	}
}

func TestExplainDescribesRequestAndDriverWork(t *testing.T) {
	p := plan(t, "SELECT Title FROM Tasks WHERE Status = ? AND UPPER(Title) LIKE 'A%' ORDER BY Title LIMIT 5 OFFSET 1", "Done")
	got := strings.Join(p.Explain(), "\n")
	want := strings.Join([]string{
		"GET items of list 'Tasks'",
		"  $select=Title",
		"  $filter=Status eq 'Done'",
		"  $orderby=Title asc",
		"  $top=1000, following next links to the end",
		"driver: keep rows where UPPER(Title) LIKE 'A%'",
		"driver: skip 1 rows (SharePoint ignores $skip on items)",
		"driver: return at most 5 rows",
		"note: not indexed, refused on lists over 5,000 items: Status, Title",
	}, "\n")
	if got != want {
		t.Errorf("Explain:\n%s\nwant:\n%s", got, want)
	}
}
