package spsql_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// salesSite is a report's list in Tokyo, where a date-only field's
// midnight is the previous day in UTC: a function that read it in UTC
// would put New Year's Day in the wrong year.
func salesSite() sptest.Site {
	return sptest.Site{
		TimeZone: "Asia/Tokyo",
		Lists: []sptest.List{{
			Title: "Sales",
			Fields: []sptest.Field{
				{Title: "Amount", Type: "Number"},
				{Title: "Units", Type: "Integer"},
				{Title: "Region", Type: "Choice", Choices: []string{"North", "South"}},
				{Title: "Closed", Type: "DateTime", DisplayFormat: "DateOnly"},
				{Title: "Stamp", Type: "DateTime"},
			},
			Items: []sptest.Item{
				{"Title": "Alpha", "Amount": 2.5, "Units": 3, "Region": "North", "Closed": "2024-01-01",
					"Stamp": time.Date(2023, 12, 31, 20, 0, 0, 0, time.UTC)}, // 1 January in Tokyo, 31 December in UTC
				{"Title": "Beta", "Amount": -1.25, "Units": 10, "Region": "South", "Closed": "2024-03-10",
					"Stamp": time.Date(2024, 7, 1, 12, 30, 0, 0, time.UTC)},
				{"Title": "Zürich"},
			},
		}},
	}
}

func utcDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func sameDriverValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return a == b
}

func TestScalarFunctionsThroughTheDriver(t *testing.T) {
	db, _ := openDB(t, salesSite())
	exprs := []struct {
		sql  string
		want [3]any // Alpha, Beta, Zürich (all NULL but Title)
	}{
		{"UPPER(Title)", [3]any{"ALPHA", "BETA", "ZÜRICH"}},
		{"{fn LCASE(Title)}", [3]any{"alpha", "beta", "zürich"}},
		{"LENGTH(Title)", [3]any{int64(5), int64(4), int64(6)}},
		{"SUBSTRING(Title, -3)", [3]any{"pha", "eta", "ich"}},
		{"SUBSTRING(Title FROM 2 FOR 2)", [3]any{"lp", "et", "ür"}},
		{"{fn SUBSTRING(Title, 1, 1)}", [3]any{"A", "B", "Z"}},
		{"CONCAT(Title, '-', Units)", [3]any{"Alpha-3", "Beta-10", nil}},
		{"COALESCE(Amount, 0)", [3]any{2.5, -1.25, 0.0}},
		{"IFNULL(Region, 'none')", [3]any{"North", "South", "none"}},
		{"ABS(Amount)", [3]any{2.5, 1.25, nil}},
		{"ROUND(Amount)", [3]any{3.0, -1.0, nil}},
		{"ROUND(Amount, 1)", [3]any{2.5, -1.3, nil}}, // half away from zero
		{"{fn ROUND(Units, -1)}", [3]any{int64(0), int64(10), nil}},
		{"MOD(Units, 4)", [3]any{int64(3), int64(2), nil}},
		{"Units * 2 + 1", [3]any{int64(7), int64(21), nil}},
		{"CAST(Amount AS SIGNED)", [3]any{int64(3), int64(-1), nil}},
		{"{fn CONVERT(Units, SQL_VARCHAR)}", [3]any{"3", "10", nil}},
		{"CAST(Amount AS DECIMAL(5, 1))", [3]any{2.5, -1.3, nil}},
		{"CASE WHEN Amount > 0 THEN 'credit' WHEN Amount < 0 THEN 'debit' END", [3]any{"credit", "debit", nil}},
		{"CASE Region WHEN 'north' THEN 'N' ELSE 'other' END", [3]any{"N", "other", "other"}},
		// Date-only fields are read in the site's zone, date-times in UTC.
		{"YEAR(Closed)", [3]any{int64(2024), int64(2024), nil}},
		{"{fn MONTH(Closed)}", [3]any{int64(1), int64(3), nil}},
		{"DAY(Closed)", [3]any{int64(1), int64(10), nil}},
		{"DATE(Closed)", [3]any{utcDay(2024, 1, 1), utcDay(2024, 3, 10), nil}},
		{"CAST(Closed AS DATE)", [3]any{utcDay(2024, 1, 1), utcDay(2024, 3, 10), nil}},
		{"YEAR(Stamp)", [3]any{int64(2023), int64(2024), nil}},
		{"DATE(Stamp)", [3]any{utcDay(2023, 12, 31), utcDay(2024, 7, 1), nil}},
		{"{fn DAYOFMONTH(Stamp)}", [3]any{int64(31), int64(1), nil}},
	}
	for _, e := range exprs {
		t.Run(e.sql, func(t *testing.T) {
			_, rows := queryRows(t, db, "SELECT "+e.sql+" FROM Sales ORDER BY ID")
			if len(rows) != 3 {
				t.Fatalf("%d rows, want 3", len(rows))
			}
			for i, r := range rows {
				if !sameDriverValue(r[0], e.want[i]) {
					t.Errorf("row %d: %#v (%T), want %#v (%T)", i+1, r[0], r[0], e.want[i], e.want[i])
				}
			}
		})
	}
}

func TestScalarFunctionsInWhereAndOrderBy(t *testing.T) {
	db, srv := openDB(t, salesSite())
	tests := []struct {
		name   string
		query  string
		args   []any
		want   []string // titles, in order
		filter string   // what still goes to SharePoint
	}{
		{"a function beside a pushed comparison", "SELECT Title FROM Sales WHERE UPPER(Title) = 'BETA' AND Units > 1", nil,
			[]string{"Beta"}, "Units gt 1"},
		{"an ODBC escape in WHERE", "SELECT Title FROM Sales WHERE {fn UCASE(Title)} LIKE 'AL%'", nil,
			[]string{"Alpha"}, ""},
		{"CASE in WHERE", "SELECT Title FROM Sales WHERE CASE WHEN Amount > 0 THEN 'in' ELSE 'out' END = 'IN'", nil,
			[]string{"Alpha"}, ""},
		{"YEAR and MONTH of a date-only field", "SELECT Title FROM Sales WHERE YEAR(Closed) = 2024 AND MONTH(Closed) = 1", nil,
			[]string{"Alpha"}, ""},
		{"DATE of a date-only field", "SELECT Title FROM Sales WHERE DATE(Closed) = '2024-03-10'", nil,
			[]string{"Beta"}, ""},
		{"an ODBC date literal is the site's day", "SELECT Title FROM Sales WHERE Closed = {d '2024-01-01'}", nil,
			[]string{"Alpha"}, "Closed eq datetime'2023-12-31T15:00:00Z'"},
		{"an ODBC timestamp literal is an instant", "SELECT Title FROM Sales WHERE Stamp < {ts '2024-01-01 00:00:00'}", nil,
			[]string{"Alpha"}, "Stamp lt datetime'2024-01-01T00:00:00Z'"},
		{"placeholders in SUBSTRING", "SELECT Title FROM Sales WHERE SUBSTRING(Title, ?, ?) = ?", []any{2, 2, "ET"},
			[]string{"Beta"}, ""},
		{"a NULL never matches a simple CASE", "SELECT Title FROM Sales WHERE CASE Region WHEN NULL THEN 1 ELSE 0 END = 0 ORDER BY ID", nil,
			[]string{"Alpha", "Beta", "Zürich"}, ""},
		{"ORDER BY CASE", "SELECT Title FROM Sales ORDER BY CASE Region WHEN 'South' THEN 0 ELSE 1 END, Title", nil,
			[]string{"Beta", "Alpha", "Zürich"}, ""},
		{"ORDER BY an alias of a function", "SELECT Title, ROUND(COALESCE(Amount, 0)) AS r FROM Sales ORDER BY r DESC", nil,
			[]string{"Alpha", "Zürich", "Beta"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Requests())
			var got []string
			_, rows := queryRows(t, db, tt.query, tt.args...)
			for _, r := range rows {
				got = append(got, r[0].(string))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("%s = %q, want %q", tt.query, got, tt.want)
			}
			reqs := itemsRequests(srv.Requests()[before:])
			if len(reqs) == 0 {
				t.Fatal("no items request")
			}
			if q := reqs[0].Query(); q.Filter != tt.filter {
				t.Errorf("$filter = %q, want %q", q.Filter, tt.filter)
			}
		})
	}
}

func TestNowThroughTheDriver(t *testing.T) {
	db, _ := openDB(t, salesSite())
	before := time.Now().UTC().Truncate(time.Second)
	_, rows := queryRows(t, db, "SELECT NOW(), CURRENT_TIMESTAMP, {fn NOW()}, CURDATE(), {fn CURDATE()} FROM Sales WHERE Stamp < NOW() ORDER BY ID")
	after := time.Now().UTC()
	if len(rows) != 2 {
		t.Fatalf("%d rows, want the two stamped in the past", len(rows))
	}
	now, ok := rows[0][0].(time.Time)
	if !ok || now.Before(before) || now.After(after) {
		t.Fatalf("NOW() = %v, want between %v and %v", rows[0][0], before, after)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	y, m, d := now.In(tokyo).Date()
	for _, r := range rows {
		for i := range 3 {
			if !sameDriverValue(r[i], now) {
				t.Errorf("column %d = %v, want NOW() = %v in every column and row", i+1, r[i], now)
			}
		}
		for i := 3; i < 5; i++ {
			if !sameDriverValue(r[i], utcDay(y, m, d)) {
				t.Errorf("CURDATE() = %v, want Tokyo's date %d-%02d-%02d", r[i], y, m, d)
			}
		}
	}
}

func TestFunctionErrorsThroughTheDriver(t *testing.T) {
	db, _ := openDB(t, salesSite())
	for _, tt := range []struct{ query, want string }{
		{"SELECT SUBSTRING(Amount, 1) FROM Sales", "spsql: SUBSTRING needs text, but Amount is NUMBER"},
		{"SELECT ROUND(Title) FROM Sales", "spsql: ROUND needs a number, but Title is TEXT"},
		{"SELECT CASE WHEN Units > 1 THEN Title ELSE Units END FROM Sales", "spsql: CASE mixes TEXT and INTEGER (Units)"},
		{"SELECT Title FROM Sales WHERE CAST('abc' AS SIGNED) = 1", "spsql: CAST AS SIGNED: 'abc' is not a number"},
		{"SELECT YEAR(Units) FROM Sales", "spsql: YEAR needs a date, but Units is INTEGER"},
		{"SELECT SOUNDEX(Title) FROM Sales", "sqlparse: unknown function SOUNDEX (supported: ABS, CASE, CAST"},
		// A value that cannot convert fails the query when it is met.
		{"SELECT CAST(Title AS SIGNED) FROM Sales", "spsql: CAST AS SIGNED: 'Alpha' is not a number"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			rows, err := db.Query(tt.query)
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
