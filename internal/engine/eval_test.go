package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
)

// row builds a fetched row for p from values by $select name; names not
// given are NULL (as SharePoint leaves empty fields out). Values for
// columns the plan does not fetch must be NULL, except ID, which test
// rows carry whether or not a plan reads it.
func row(t *testing.T, p *Plan, values map[string]any) []any {
	t.Helper()
	r := make([]any, len(p.Query.Select))
	for name, v := range values {
		found := false
		for i, s := range p.Query.Select {
			if strings.EqualFold(s, name) {
				r[i], found = v, true
			}
		}
		if !found && v != nil && name != "ID" {
			t.Fatalf("%s is not in $select %v", name, p.Query.Select)
		}
	}
	return r
}

// keeps evaluates a WHERE clause entirely in the driver over one row.
func keeps(t *testing.T, where string, values map[string]any) bool {
	t.Helper()
	p, err := tryPlan(t, "SELECT ID FROM Tasks WHERE "+where, Options{ClientOnly: true, Location: newYork(t)})
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if p.Residual == nil {
		t.Fatalf("%s: no residual", where)
	}
	r := row(t, p.Plan, values)
	ok, err := p.Residual(r)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return ok
}

func TestResidualUsesThreeValuedLogic(t *testing.T) {
	null := map[string]any{"Estimate": nil, "Title": nil, "Done": nil}
	tests := []struct {
		where string
		row   map[string]any
		want  bool
	}{
		{"Estimate = 3", null, false},
		{"Estimate <> 3", null, false},
		{"NOT (Estimate = 3)", null, false},
		{"NOT (Estimate <> 3)", null, false},
		{"Estimate = NULL", null, false},
		{"Estimate IS NULL", null, true},
		{"Estimate IS NOT NULL", null, false},
		{"Estimate > 3 OR ID = 1", map[string]any{"ID": int64(1)}, true},
		{"Estimate > 3 OR ID = 2", map[string]any{"ID": int64(1)}, false},
		{"NOT (Estimate > 3 OR ID = 2)", map[string]any{"ID": int64(1)}, false}, // NOT(unknown OR false) is unknown
		{"NOT (Estimate > 3 AND ID = 2)", map[string]any{"ID": int64(1)}, true}, // NOT(unknown AND false) is true
		{"Estimate IN (1, 2)", null, false},
		{"Estimate NOT IN (1, 2)", null, false},
		{"Estimate IN (1, NULL)", map[string]any{"Estimate": int64(1)}, true},
		{"Estimate IN (2, NULL)", map[string]any{"Estimate": int64(1)}, false},
		{"Estimate NOT IN (2, NULL)", map[string]any{"Estimate": int64(1)}, false}, // unknown, not true
		{"NOT (Estimate IN (2, NULL))", map[string]any{"Estimate": int64(1)}, false},
		{"Estimate BETWEEN 1 AND NULL", map[string]any{"Estimate": int64(5)}, false},
		{"Estimate BETWEEN 6 AND NULL", map[string]any{"Estimate": int64(5)}, false},
		{"Estimate NOT BETWEEN 6 AND NULL", map[string]any{"Estimate": int64(5)}, true}, // 5 < 6 decides
		{"Estimate NOT BETWEEN 1 AND NULL", map[string]any{"Estimate": int64(5)}, false},
		{"Done", null, false},
		{"NOT Done", null, false},
		{"Done IS NOT TRUE", null, true},
		{"Done IS FALSE", null, false},
		{"Done IS NOT FALSE", map[string]any{"Done": true}, true},
		{"Title LIKE '%'", null, false},
		{"Title NOT LIKE 'x%'", null, false},
		{"COALESCE(Estimate, 0) = 0", null, true},
		{"IFNULL(Title, 'none') = 'NONE'", null, true},
		{"Estimate + 1 > 0", null, false},
		{"Estimate <=> NULL", null, true},
		{"Estimate <=> 1", null, false},
		{"LENGTH(Title) IS NULL", null, true},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			if got := keeps(t, tt.where, tt.row); got != tt.want {
				t.Errorf("WHERE %s over %v = %v, want %v", tt.where, tt.row, got, tt.want)
			}
		})
	}
}

func TestResidualComparesLikeSharePoint(t *testing.T) {
	tests := []struct {
		name  string
		where string
		row   map[string]any
		want  bool
	}{
		{"= ignores case", "Title = 'HELLO'", map[string]any{"Title": "hello"}, true},
		{"< ignores case", "Title < 'b'", map[string]any{"Title": "A"}, true},
		{"IN ignores case", "Status IN ('done')", map[string]any{"Status": "Done"}, true},
		{"LIKE ignores case", "Title LIKE 'HE%O'", map[string]any{"Title": "hello"}, true},
		{"LIKE _ is one character", "Title LIKE 'h_llo'", map[string]any{"Title": "héllo"}, true},
		{"LIKE _ is not two", "Title LIKE 'h_lo'", map[string]any{"Title": "hello"}, false},
		{"LIKE without wildcards is whole", "Title LIKE 'hell'", map[string]any{"Title": "hello"}, false},
		{"LIKE % backtracks", "Title LIKE '%l%o'", map[string]any{"Title": "hello"}, true},
		{"LIKE ESCAPE makes % literal", "Title LIKE '100!%' ESCAPE '!'", map[string]any{"Title": "100%"}, true},
		{"LIKE ESCAPE literal % does not match", "Title LIKE '100!%' ESCAPE '!'", map[string]any{"Title": "1000"}, false},
		{"a backslash is no escape", `Title LIKE 'a\%'`, map[string]any{"Title": `a\bc`}, true},
		{"int and float compare as numbers", "Estimate = 2.0", map[string]any{"Estimate": int64(2)}, true},
		{"float column against an int", "Budget > 2", map[string]any{"Budget": 2.5}, true},
		{"a large int is not rounded", "ID > 9007199254740992.0", map[string]any{"ID": int64(9007199254740993)}, true},
		{"a boolean against 1", "Done = 1", map[string]any{"Done": true}, true},
		{"a boolean against 'false'", "Done = 'false'", map[string]any{"Done": false}, true},
		{"times compare as instants", "Created > '2024-01-01 10:00:00'", map[string]any{"Created": time.Date(2024, 1, 1, 10, 0, 1, 0, time.UTC)}, true},
		{"a date-only literal is the site's day", "`Due Date` = '2024-01-15'", map[string]any{"DueDate": time.Date(2024, 1, 15, 5, 0, 0, 0, time.UTC)}, true},
		{"DAY of a date-only field is the site's day", "DAY(DueDate) = 15", map[string]any{"DueDate": time.Date(2024, 1, 15, 5, 0, 0, 0, time.UTC)}, true},
		{"DAY of a date-time field is UTC", "DAY(Created) = 16", map[string]any{"Created": time.Date(2024, 1, 16, 2, 0, 0, 0, time.UTC)}, true},
		{"YEAR and MONTH", "YEAR(Created) = 2023 AND MONTH(Created) = 12", map[string]any{"Created": time.Date(2023, 12, 31, 23, 0, 0, 0, time.UTC)}, true},
		{"a multi-choice is its JSON text", `Tags = '["Red","Blue"]'`, map[string]any{"Tags": []string{"Red", "Blue"}}, true},
		{"LIKE over a multi-choice", `Tags LIKE '%"red"%'`, map[string]any{"Tags": []string{"Red", "Blue"}}, true},
		{"an empty multi-choice is NULL", "Tags IS NULL", map[string]any{"Tags": []string{}}, true},
		{"multi-person IDs are JSON text", "ReviewersId = '[3,4]'", map[string]any{"ReviewersId": []int64{3, 4}}, true},
		{"a hyperlink is its URL", "Link LIKE 'https://%'", map[string]any{"Link": sharepoint.URLValue{URL: "https://x", Description: "d"}}, true},
		{"a hyperlink description", "Link.Description = 'D'", map[string]any{"Link": sharepoint.URLValue{URL: "https://x", Description: "d"}}, true},
		{"UPPER, LOWER, TRIM", "UPPER(TRIM(Title)) = 'AB' AND LOWER(Title) = ' ab '", map[string]any{"Title": " aB "}, true},
		{"LENGTH counts characters", "LENGTH(Title) = 5", map[string]any{"Title": "héllo"}, true},
		{"CONCAT", "CONCAT(Title, '-', Estimate) = 'a-3'", map[string]any{"Title": "a", "Estimate": int64(3)}, true},
		{"arithmetic", "Estimate * 2 + 1 = 7 AND Estimate / 2 = 1.5 AND Estimate % 2 = 1 AND -Estimate = -3", map[string]any{"Estimate": int64(3)}, true},
		{"ABS", "ABS(Budget) = 2.5", map[string]any{"Budget": -2.5}, true},
		{"column against column", "Estimate < Budget", map[string]any{"Estimate": int64(3), "Budget": 3.5}, true},
		{"a calculated number", "Effort >= 0.5", map[string]any{"Effort": 0.5}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keeps(t, tt.where, tt.row); got != tt.want {
				t.Errorf("WHERE %s over %v = %v, want %v", tt.where, tt.row, got, tt.want)
			}
		})
	}
}

func TestResidualRuntimeErrorsAreErrors(t *testing.T) {
	tests := []struct {
		where string
		row   map[string]any
		want  string
	}{
		{"Estimate / 0 = 1", map[string]any{"Estimate": int64(3)}, "division by zero"},
		{"Estimate % 0 = 1", map[string]any{"Estimate": int64(3)}, "division by zero"},
		{"Estimate * 9223372036854775807 > 0", map[string]any{"Estimate": int64(3)}, "overflow"},
		{"Title LIKE 'a!' ESCAPE '!'", map[string]any{"Title": "a"}, "ends with its escape"},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			p, err := tryPlan(t, "SELECT ID FROM Tasks WHERE "+tt.where, Options{ClientOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Residual(row(t, p.Plan, tt.row))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLikeMatchNeverBacktracksExponentially(t *testing.T) {
	s := strings.Repeat("a", 2000)
	p := strings.Repeat("%a", 50) + "b"
	if ok, err := likeMatch(s, p, 0); ok || err != nil {
		t.Errorf("likeMatch = %v, %v; want false", ok, err)
	}
}

func TestConstantExpressionsAreFolded(t *testing.T) {
	p := plan(t, "SELECT ID FROM Tasks WHERE Estimate > 2 * 3 - 1 AND Budget < -1.5")
	if p.Query.Filter != "Estimate gt 5 and Budget lt -1.5" {
		t.Errorf("$filter = %q", p.Query.Filter)
	}
	if _, err := tryPlan(t, "SELECT ID FROM Tasks WHERE Estimate > 1 / 0", Options{}); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("1 / 0 in a constant: %v", err)
	}
}
