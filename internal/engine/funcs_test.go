package engine

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// testNow is the clock of the function tests: 22:30 on 9 March in the
// New York site, already 10 March in UTC, with a fraction NOW() drops.
var testNow = time.Date(2024, 3, 10, 3, 30, 0, 500_000_000, time.UTC)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// evalExpr plans SELECT expr FROM Tasks in a site in loc at testNow and
// evaluates the one output column over a row given by $select name
// (names the plan does not fetch are ignored). A bind-time error and a
// run-time error are both returned.
func evalExpr(t *testing.T, expr string, loc *time.Location, values map[string]any) (any, error) {
	t.Helper()
	p, err := tryPlan(t, "SELECT "+expr+" FROM Tasks", Options{Location: loc, Now: func() time.Time { return testNow }})
	if err != nil {
		return nil, err
	}
	r := make([]any, len(p.Query.Select))
	for i, s := range p.Query.Select {
		for name, v := range values {
			if strings.EqualFold(name, s) {
				r[i] = v
			}
		}
	}
	return p.Columns[0].Eval(r)
}

// sameValue compares results exactly: same Go type and value; times as
// the same instant in the same location.
func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb) && ta.Location() == tb.Location()
	}
	return a == b
}

type funcCase struct {
	expr string
	row  map[string]any
	want any    // when err is ""
	err  string // a part of the expected error
}

func runFuncCases(t *testing.T, loc *time.Location, tests []funcCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := evalExpr(t, tt.expr, loc, tt.row)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("%s = %#v, %v; want an error containing %q", tt.expr, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.expr, err)
			}
			if !sameValue(got, tt.want) {
				t.Errorf("%s over %v = %#v (%T), want %#v (%T)", tt.expr, tt.row, got, got, tt.want, tt.want)
			}
		})
	}
}

// row values used below.
var (
	noRow     = map[string]any{}
	nullRow   = map[string]any{"Title": nil, "Estimate": nil, "Budget": nil, "Created": nil, "DueDate": nil, "Done": nil}
	zurich    = map[string]any{"Title": "Zürich"}
	estimate3 = map[string]any{"Estimate": int64(3)}
	created   = map[string]any{"Created": time.Date(2024, 1, 16, 2, 0, 0, 0, time.UTC)}
	// dueNY is a date-only field holding 15 January in New York:
	// midnight there, 05:00 UTC.
	dueNY = map[string]any{"DueDate": time.Date(2024, 1, 15, 5, 0, 0, 0, time.UTC)}
)

func TestStringFunctions(t *testing.T) {
	runFuncCases(t, newYork(t), []funcCase{
		{"LOWER('ÄB')", noRow, "äb", ""},
		{"LCASE(Title)", map[string]any{"Title": "AbC"}, "abc", ""},
		{"UPPER(Title)", zurich, "ZÜRICH", ""},
		{"UCASE(Title)", nullRow, nil, ""},
		{"LOWER(NULL)", noRow, nil, ""},
		{"LOWER(Estimate)", noRow, nil, "LOWER needs text, but Estimate is INTEGER"},
		{"TRIM('  a b  ')", noRow, "a b", ""},
		{"LTRIM('  a ')", noRow, "a ", ""},
		{"RTRIM('  a ')", noRow, "  a", ""},
		{"TRIM(Title)", nullRow, nil, ""},
		{"TRIM(Budget)", noRow, nil, "TRIM needs text, but Budget is NUMBER"},
		{"LENGTH('héllo')", noRow, int64(5), ""},
		{"CHAR_LENGTH(Title)", zurich, int64(6), ""},
		{"LENGTH(Title)", nullRow, nil, ""},
		{"LENGTH(Done)", noRow, nil, "LENGTH needs text, but Done is BOOLEAN"},
		{"LENGTH(Title, 1)", noRow, nil, "LENGTH takes 1 argument, got 2"},
		{"CONCAT('a', 1, 2.5, TRUE)", noRow, "a12.51", ""},
		{"CONCAT(Title, '@', Created)", map[string]any{"Title": "x", "Created": time.Date(2024, 1, 16, 2, 0, 0, 0, time.UTC)}, "x@2024-01-16T02:00:00Z", ""},
		{"CONCAT('a', Title)", nullRow, nil, ""}, // NULL if any argument is, as MySQL
		{"CONCAT()", noRow, nil, "CONCAT takes one or more arguments, got 0"},
	})
}

func TestSubstring(t *testing.T) {
	sakila := map[string]any{"Title": "Sakila"}
	runFuncCases(t, newYork(t), []funcCase{
		{"SUBSTRING(Title, 3)", sakila, "kila", ""},
		{"SUBSTRING(Title, 1, 2)", sakila, "Sa", ""},
		{"SUBSTRING(Title, -3)", sakila, "ila", ""},
		{"SUBSTRING(Title, -5, 3)", sakila, "aki", ""},
		{"SUBSTRING(Title, 0)", sakila, "", ""},
		{"SUBSTRING(Title, 0, 3)", sakila, "", ""},
		{"SUBSTRING(Title, 7)", sakila, "", ""},
		{"SUBSTRING(Title, -7)", sakila, "", ""},
		{"SUBSTRING(Title, 2, 100)", sakila, "akila", ""},
		{"SUBSTRING(Title, 2, 0)", sakila, "", ""},
		{"SUBSTRING(Title, 2, -1)", sakila, "", ""},
		{"SUBSTRING(Title, 1.5, 2.4)", sakila, "ak", ""}, // rounded, as MySQL
		{"SUBSTRING(Title, 2, 1)", zurich, "ü", ""},      // characters, not bytes
		{"SUBSTRING(Title FROM 3)", sakila, "kila", ""},
		{"SUBSTRING(Title FROM 2 FOR 3)", sakila, "aki", ""},
		{"substring(Title from -3 for 2)", sakila, "il", ""},
		{"SUBSTR(Title, 2, 2)", sakila, "ak", ""},
		{"SUBSTR(Title FROM 5)", sakila, "la", ""},
		{"SUBSTRING(UPPER(Title), 1, 3)", sakila, "SAK", ""}, // any expression, not only a column
		{"SUBSTRING('abc', Estimate)", map[string]any{"Estimate": int64(2)}, "bc", ""},
		{"SUBSTRING(CONCAT(Title, '!'), -2)", sakila, "a!", ""},
		{"SUBSTRING(NULL, 1)", noRow, nil, ""},
		{"SUBSTRING(Title, 1)", nullRow, nil, ""},
		{"SUBSTRING(Title, NULL)", sakila, nil, ""},
		{"SUBSTRING(Title, 1, Estimate)", map[string]any{"Title": "Sakila", "Estimate": nil}, nil, ""},
		{"SUBSTRING(Budget, 1)", noRow, nil, "SUBSTRING needs text, but Budget is NUMBER"},
		{"SUBSTRING(Title, 'a')", noRow, nil, "SUBSTRING needs a number as its position and length, but 'a' is TEXT"},
		{"SUBSTR(Title, 1, Created)", noRow, nil, "SUBSTR needs a number as its position and length, but Created is DATETIME"},
		{"SUBSTRING(Title)", noRow, nil, "SUBSTRING takes 2 or 3 arguments, got 1"},
	})
}

func TestNumericFunctions(t *testing.T) {
	runFuncCases(t, newYork(t), []funcCase{
		{"ABS(-3)", noRow, int64(3), ""},
		{"ABS(Budget)", map[string]any{"Budget": -2.5}, 2.5, ""},
		{"ABS(Estimate)", nullRow, nil, ""},
		{"ABS(Title)", noRow, nil, "ABS needs a number, but Title is TEXT"},
		{"ABS(-9223372036854775807 - 1)", noRow, nil, "overflow"},
		{"Estimate / 2", estimate3, 1.5, ""},
		{"Estimate * 2 - 1", estimate3, int64(5), ""},
		{"Estimate + NULL", estimate3, nil, ""},
		{"Title + 1", noRow, nil, "+ needs numbers, but Title is TEXT"},
		{"MOD(Estimate, 2)", estimate3, int64(1), ""},
		{"MOD(-7, 3)", noRow, int64(-1), ""}, // the sign of the dividend, as %
		{"MOD(7.5, 2)", noRow, 1.5, ""},
		{"MOD(Estimate, NULL)", estimate3, nil, ""},
		{"MOD(Estimate, 0)", estimate3, nil, "division by zero"},
		{"MOD(Title, 2)", noRow, nil, "MOD needs numbers, but Title is TEXT"},
		{"ROUND(2.5)", noRow, 3.0, ""},
		{"ROUND(-2.5)", noRow, -3.0, ""},
		{"ROUND(0.5)", noRow, 1.0, ""},
		{"ROUND(2.4)", noRow, 2.0, ""},
		{"ROUND(1.45, 1)", noRow, 1.5, ""},
		{"ROUND(2.675, 2)", noRow, 2.68, ""}, // as written, though the float64 is 2.67499…
		{"ROUND(-2.675, 2)", noRow, -2.68, ""},
		{"ROUND(1234.5678, -2)", noRow, 1200.0, ""},
		{"ROUND(1250.0, -2)", noRow, 1300.0, ""},
		{"ROUND(Budget, 1)", map[string]any{"Budget": 9.99}, 10.0, ""},
		{"ROUND(1e300, 2)", noRow, 1e300, ""},
		{"ROUND(0.1, 400)", noRow, 0.1, ""},
		{"ROUND(Estimate)", map[string]any{"Estimate": int64(7)}, int64(7), ""}, // an integer stays an integer
		{"ROUND(Estimate, 2)", map[string]any{"Estimate": int64(7)}, int64(7), ""},
		{"ROUND(1250, -2)", noRow, int64(1300), ""},
		{"ROUND(-1250, -2)", noRow, int64(-1300), ""},
		{"ROUND(1249, -2)", noRow, int64(1200), ""},
		{"ROUND(5, -20)", noRow, int64(0), ""},
		{"ROUND(9223372036854775807, -1)", noRow, nil, "integer overflow in ROUND"},
		{"ROUND(Estimate)", nullRow, nil, ""},
		{"ROUND(2.5, NULL)", noRow, nil, ""},
		{"ROUND(Title)", noRow, nil, "ROUND needs a number, but Title is TEXT"},
		{"ROUND(2.5, 1.5)", noRow, nil, "ROUND needs a whole number of digits, but 1.5 is NUMBER"},
		{"ROUND()", noRow, nil, "ROUND takes 1 or 2 arguments, got 0"},
	})
	got, err := evalExpr(t, "ROUND(-0.4)", time.UTC, noRow)
	if f, ok := got.(float64); err != nil || !ok || f != 0 || math.Signbit(f) {
		t.Errorf("ROUND(-0.4) = %#v, %v; want 0, not -0", got, err)
	}
}

func TestCoalesceAndIfNull(t *testing.T) {
	runFuncCases(t, newYork(t), []funcCase{
		{"COALESCE(NULL, Estimate, 2)", nullRow, int64(2), ""},
		{"COALESCE(Estimate, 0.5)", estimate3, 3.0, ""}, // the column is NUMBER: one Go type
		{"COALESCE(NULL, NULL)", noRow, nil, ""},
		{"COALESCE(Title, 1)", noRow, nil, "COALESCE mixes TEXT and INTEGER (1)"},
		{"IFNULL(Title, 'none')", nullRow, "none", ""},
		{"IFNULL(Title, 'none')", zurich, "Zürich", ""},
		{"IFNULL(Title)", noRow, nil, "IFNULL takes 2 arguments, got 1"},
	})
}

func TestCase(t *testing.T) {
	size := "CASE WHEN Estimate > 2 THEN 'big' WHEN Estimate > 0 THEN 'small' END"
	runFuncCases(t, newYork(t), []funcCase{
		{size, estimate3, "big", ""},
		{size, map[string]any{"Estimate": int64(1)}, "small", ""},
		{size, map[string]any{"Estimate": int64(0)}, nil, ""}, // no ELSE: NULL
		{size, nullRow, nil, ""},
		{"CASE WHEN Estimate > 2 THEN 'big' ELSE 'other' END", nullRow, "other", ""}, // unknown is not true
		{"CASE WHEN Done THEN 'yes' WHEN NOT Done THEN 'no' ELSE '?' END", map[string]any{"Done": false}, "no", ""},
		{"CASE WHEN NULL THEN 1 END", noRow, nil, ""},
		{"CASE Status WHEN 'done' THEN 1 WHEN 'In Progress' THEN 2 ELSE 0 END", map[string]any{"Status": "Done"}, int64(1), ""}, // = ignores case
		{"CASE Status WHEN 'done' THEN 1 ELSE 0 END", map[string]any{"Status": nil}, int64(0), ""},
		{"CASE Estimate WHEN NULL THEN 'null' ELSE 'not' END", nullRow, "not", ""}, // NULL never matches
		{"CASE Estimate WHEN 1 THEN 1 ELSE 2.5 END", map[string]any{"Estimate": int64(1)}, 1.0, ""},
		{"CASE Estimate WHEN '3' THEN 'three' END", estimate3, "three", ""},
		{"CASE Created WHEN '2024-01-16 02:00' THEN 'yes' END", created, "yes", ""},
		{"CASE DueDate WHEN '2024-01-15' THEN 'due' END", dueNY, "due", ""}, // the site's day, as DueDate = '2024-01-15'
		{"CASE WHEN Estimate > 2 THEN Estimate * 2 ELSE Budget END", estimate3, 6.0, ""},
		{"CASE WHEN Done THEN 1 ELSE 'x' END", noRow, nil, "CASE mixes INTEGER and TEXT ('x')"},
		{"CASE WHEN Title THEN 1 END", noRow, nil, "Title is TEXT, not a condition"},
		{"CASE Estimate WHEN 'abc' THEN 1 END", noRow, nil, "'abc' is not a number"},
		{"CASE Estimate WHEN Created THEN 1 END", noRow, nil, "cannot compare Estimate (INTEGER) with Created (DATETIME)"},
		{"CASE WHEN Estimate / 0 > 1 THEN 1 END", estimate3, nil, "division by zero"},
	})
}

func TestCast(t *testing.T) {
	runFuncCases(t, newYork(t), []funcCase{
		// To an integer: numbers round half away from zero, as MySQL.
		{"CAST(2.5 AS SIGNED)", noRow, int64(3), ""},
		{"CAST(-2.5 AS SIGNED)", noRow, int64(-3), ""},
		{"CAST(2.4 AS SIGNED INTEGER)", noRow, int64(2), ""},
		{"CAST(Budget AS INTEGER)", map[string]any{"Budget": 9.99}, int64(10), ""},
		{"CAST(Estimate AS UNSIGNED)", estimate3, int64(3), ""},
		{"CAST(Budget AS BIGINT)", nullRow, nil, ""},
		{"CAST('42' AS SIGNED)", noRow, int64(42), ""},
		{"CAST(' 2.5 ' AS INT)", noRow, int64(3), ""},
		{"CAST('1e3' AS SIGNED)", noRow, int64(1000), ""},
		{"CAST(Done AS SIGNED)", map[string]any{"Done": true}, int64(1), ""},
		{"CAST(Done AS UNSIGNED)", map[string]any{"Done": false}, int64(0), ""},
		{"CAST(NULL AS SIGNED)", noRow, nil, ""},
		{"CONVERT(Budget, SIGNED)", map[string]any{"Budget": -0.5}, int64(-1), ""},
		{"CAST(Title AS SIGNED)", map[string]any{"Title": "12abc"}, nil, "CAST AS SIGNED: '12abc' is not a number"},
		{"CAST('12abc' AS SIGNED)", noRow, nil, "CAST AS SIGNED: '12abc' is not a number"}, // a constant fails at bind time
		{"CAST('' AS SIGNED)", noRow, nil, "'' is not a number"},
		{"CAST('0x10' AS SIGNED)", noRow, nil, "is not a number"},
		{"CAST('NaN' AS SIGNED)", noRow, nil, "is not a number"},
		{"CAST(-1 AS UNSIGNED)", noRow, nil, "CAST AS UNSIGNED: -1 is negative"},
		{"CAST(1e19 AS SIGNED)", noRow, nil, "integer overflow in CAST AS SIGNED"},
		{"CAST(Created AS SIGNED)", noRow, nil, "CAST AS SIGNED needs a number, text or a boolean, but Created is DATETIME"},
		// To a number.
		{"CAST(Estimate AS DECIMAL)", estimate3, 3.0, ""},
		{"CAST(Estimate AS DOUBLE)", estimate3, 3.0, ""},
		{"CAST(1 AS FLOAT)", noRow, 1.0, ""},
		{"CAST(' 2.75' AS REAL)", noRow, 2.75, ""},
		{"CAST(2.675 AS DECIMAL(10, 2))", noRow, 2.68, ""},
		{"CAST(2.5 AS DECIMAL(10))", noRow, 3.0, ""}, // DECIMAL(m) is DECIMAL(m, 0)
		{"CAST(Title AS DECIMAL)", map[string]any{"Title": "x"}, nil, "CAST AS DECIMAL: 'x' is not a number"},
		{"CAST(DueDate AS DOUBLE)", noRow, nil, "CAST AS DECIMAL needs a number, text or a boolean, but DueDate is DATETIME"},
		// To text, as CONCAT writes values.
		{"CAST(Estimate AS CHAR)", estimate3, "3", ""},
		{"CAST(2.5 AS VARCHAR(10))", noRow, "2.5", ""},
		{"CAST(Title AS CHAR(3))", zurich, "Zür", ""},
		{"CAST(Done AS TEXT)", map[string]any{"Done": true}, "1", ""},
		{"CAST(Created AS NCHAR)", created, "2024-01-16T02:00:00Z", ""},
		{"CONVERT(Estimate, CHAR)", nullRow, nil, ""},
		// To a date: the calendar date as the evaluator sees it.
		{"CAST('2024-01-02 10:30' AS DATE)", noRow, day(2024, 1, 2), ""},
		{"CAST(Created AS DATE)", created, day(2024, 1, 16), ""}, // UTC's day: 15 January in New York
		{"CAST(DueDate AS DATE)", dueNY, day(2024, 1, 15), ""},
		{"DATE(DueDate)", dueNY, day(2024, 1, 15), ""},
		{"DATE('2024-02-29')", noRow, day(2024, 2, 29), ""},
		{"DATE(DueDate)", nullRow, nil, ""},
		{"DATE(NULL)", noRow, nil, ""},
		{"CAST('nope' AS DATE)", noRow, nil, `"nope" is not a date`},
		{"DATE(Title)", map[string]any{"Title": "31/01/2024"}, nil, "is not a date"},
		{"CAST(Estimate AS DATE)", noRow, nil, "CAST AS DATE needs a date or text, but Estimate is INTEGER"},
		{"DATE(Estimate)", noRow, nil, "DATE needs a date or text, but Estimate is INTEGER"},
		// To a date and time: the instant, in UTC.
		{"CAST('2024-01-02T10:00:00+02:00' AS DATETIME)", noRow, time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC), ""},
		{"CAST(DueDate AS DATETIME)", dueNY, time.Date(2024, 1, 15, 5, 0, 0, 0, time.UTC), ""},
		{"CAST(Title AS DATETIME)", map[string]any{"Title": "x"}, nil, `"x" is not a date`},
		{"CAST(Done AS DATETIME)", noRow, nil, "CAST AS DATETIME needs a date or text, but Done is BOOLEAN"},
		// Types there is no value for.
		{"CAST(Created AS TIME)", noRow, nil, "CAST to TIME is not supported"},
		{"CAST(Title AS BINARY)", noRow, nil, "CAST to BINARY is not supported"},
		{"CAST(Title AS JSON)", noRow, nil, "CAST to JSON is not supported"},
	})
}

func TestDatePartsReadDateOnlyFieldsInTheSiteZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	// New Year's Day in Tokyo is midnight there: 15:00 UTC on 31 December.
	newYear := map[string]any{"DueDate": time.Date(2023, 12, 31, 15, 0, 0, 0, time.UTC), "Created": time.Date(2023, 12, 31, 15, 0, 0, 0, time.UTC)}
	runFuncCases(t, tokyo, []funcCase{
		{"YEAR(DueDate)", newYear, int64(2024), ""},
		{"MONTH(DueDate)", newYear, int64(1), ""},
		{"DAY(DueDate)", newYear, int64(1), ""},
		{"DAYOFMONTH(DueDate)", newYear, int64(1), ""},
		{"DATE(DueDate)", newYear, day(2024, 1, 1), ""},
		{"YEAR(DATE(DueDate))", newYear, int64(2024), ""},
		{"CAST(DueDate AS DATE)", newYear, day(2024, 1, 1), ""},
		// A date and time field is an instant, read in UTC.
		{"YEAR(Created)", newYear, int64(2023), ""},
		{"DATE(Created)", newYear, day(2023, 12, 31), ""},
		// DATETIME is the instant: the site's calendar is gone.
		{"YEAR(CAST(DueDate AS DATETIME))", newYear, int64(2023), ""},
		{"YEAR('2023-12-31')", noRow, int64(2023), ""},
		{"YEAR(NULL)", noRow, nil, ""},
		{"MONTH(Estimate)", noRow, nil, "MONTH needs a date, but Estimate is INTEGER"},
	})
}

func TestNowIsFixedPerStatement(t *testing.T) {
	at := time.Date(2024, 3, 10, 3, 30, 0, 0, time.UTC) // testNow in whole seconds
	runFuncCases(t, newYork(t), []funcCase{
		{"NOW()", noRow, at, ""},
		{"CURRENT_TIMESTAMP", noRow, at, ""},
		{"CURRENT_TIMESTAMP()", noRow, at, ""},
		{"LOCALTIMESTAMP", noRow, at, ""},
		{"UTC_TIMESTAMP()", noRow, at, ""},
		{"CURDATE()", noRow, day(2024, 3, 9), ""}, // still 9 March in New York
		{"CURRENT_DATE", noRow, day(2024, 3, 9), ""},
		{"UTC_DATE()", noRow, day(2024, 3, 10), ""},
		{"DATE(NOW())", noRow, day(2024, 3, 10), ""}, // NOW() is UTC
		{"YEAR(NOW())", noRow, int64(2024), ""},
		{"NOW(1)", noRow, nil, "NOW takes no arguments, got 1"},
	})

	// One value per statement: a clock that moves between reads is read once.
	calls := 0
	clock := func() time.Time { calls++; return testNow.Add(time.Duration(calls) * time.Hour) }
	p, err := tryPlan(t, "SELECT NOW() AS a, CURRENT_TIMESTAMP AS b FROM Tasks WHERE Created < NOW()", Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.Columns[0].Eval(nil)
	b, _ := p.Columns[1].Eval(nil)
	if calls != 1 || !sameValue(a, b) {
		t.Errorf("the clock was read %d times; NOW() = %v, CURRENT_TIMESTAMP = %v", calls, a, b)
	}
	fb, err := p.Fallback()
	if err != nil {
		t.Fatal(err)
	}
	// The fallback checks Created < NOW() in the driver, with the same NOW().
	r := row(t, fb, map[string]any{"Created": testNow.Add(30 * time.Minute)})
	if ok, err := fb.Residual(r); calls != 1 || err != nil || !ok {
		t.Errorf("the fallback plan read the clock %d times, kept %v (%v); want once, and a row half an hour past testNow kept", calls, ok, err)
	}

	// Without Options.Now, the system clock.
	before := time.Now().Truncate(time.Second)
	got, err := evalExprNoClock(t, "NOW()")
	if ts, ok := got.(time.Time); err != nil || !ok || ts.Before(before) || ts.After(time.Now()) || ts.Location() != time.UTC {
		t.Errorf("NOW() without a clock = %v, %v; want the time now in UTC", got, err)
	}
}

func evalExprNoClock(t *testing.T, expr string) (any, error) {
	p, err := tryPlan(t, "SELECT "+expr+" FROM Tasks", Options{})
	if err != nil {
		return nil, err
	}
	return p.Columns[0].Eval(make([]any, len(p.Query.Select)))
}

// TestODBCEscapes: the {fn …} forms ODBC applications send are the plain
// calls, and {d …} and {ts …} are date and timestamp literals.
func TestODBCEscapes(t *testing.T) {
	row := map[string]any{"Title": " Sakila", "Estimate": int64(3), "Budget": 9.5, "Created": time.Date(2024, 1, 16, 2, 0, 0, 0, time.UTC)}
	runFuncCases(t, newYork(t), []funcCase{
		{"{fn UCASE(Title)}", row, " SAKILA", ""},
		{"{FN lcase(Title)}", row, " sakila", ""},
		{"{ fn LENGTH( Title ) }", row, int64(7), ""},
		{"{fn SUBSTRING(Title, 2, 3)}", row, "Sak", ""},
		{"{fn CONCAT('a', Title)}", row, "a Sakila", ""},
		{"{fn IFNULL(NULL, 'x')}", row, "x", ""},
		{"{fn ABS(-2)}", row, int64(2), ""},
		{"{fn ROUND(2.675, 2)}", row, 2.68, ""},
		{"{fn YEAR(Created)}", row, int64(2024), ""},
		{"{fn MONTH(Created)}", row, int64(1), ""},
		{"{fn DAYOFMONTH(Created)}", row, int64(16), ""},
		{"{fn NOW()}", row, time.Date(2024, 3, 10, 3, 30, 0, 0, time.UTC), ""},
		{"{fn CURDATE()}", row, day(2024, 3, 9), ""},
		{"{fn LTRIM(Title)}", row, "Sakila", ""},
		{"{fn RTRIM('a ')}", row, "a", ""},
		{"{fn MOD(Estimate, 2)}", row, int64(1), ""},
		{"{fn CONVERT(Budget, SQL_INTEGER)}", row, int64(10), ""},
		{"{fn CONVERT('2.5', SQL_DOUBLE)}", row, 2.5, ""},
		{"{fn CONVERT(Estimate, SQL_VARCHAR)}", row, "3", ""},
		{"{fn CONVERT('2024-01-02', SQL_DATE)}", row, day(2024, 1, 2), ""},
		{"{fn CONVERT('2024-01-02 10:00', SQL_TIMESTAMP)}", row, time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC), ""},
		{"{fn UCASE({fn LTRIM(Title)})}", row, "SAKILA", ""},
		{"{fn CONCAT({fn CONCAT('{', Title)}, '}')}", row, "{ Sakila}", ""},
		{"{d '2024-01-02'}", row, day(2024, 1, 2), ""},
		{"{ts '2024-01-02 10:00:00'}", row, time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC), ""},
		{"{fn YEAR({d '2024-01-02'})}", row, int64(2024), ""},
		// Braces in strings and quoted names are not escapes.
		{"'{fn UCASE(x)}'", row, "{fn UCASE(x)}", ""},
		{"CONCAT('{d ', '''2024-01-02''}')", row, "{d '2024-01-02'}", ""},
		{"[{fn x}]", row, nil, "{fn x}"},
		{"{t '10:00:00'}", row, nil, "CAST to TIME is not supported"},
		{"{d '2024-13-01'}", row, nil, "is not a date"},
		{"{fn UCASE(Title)", row, nil, "syntax error"},
		{"{fn SOUNDEX(Title)}", row, nil, "unknown function SOUNDEX"},
	})
}

func TestUnknownFunctionListsTheSupportedOnes(t *testing.T) {
	_, err := sqlparse.Parse("SELECT SOUNDEX(Title) FROM Tasks")
	if err == nil {
		t.Fatal("SOUNDEX parsed")
	}
	for _, name := range []string{"CASE", "CAST", "CONVERT", "SUBSTRING", "ROUND", "NOW", "CURDATE", "COALESCE", "DATE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%v: does not name %s", err, name)
		}
	}
}

// TestFunctionsStayInTheDriver: SharePoint's $filter has no functions,
// so a conjunct using one is residual while the other conjuncts are
// still pushed; constant CASTs, dates and NOW() are values and push.
func TestFunctionsStayInTheDriver(t *testing.T) {
	opts := Options{Location: newYork(t), Now: func() time.Time { return testNow }}
	tests := []struct {
		where, filter, residual string
	}{
		{"UPPER(Title) = 'A' AND Estimate = 3", "Estimate eq 3", "UPPER(Title) = 'A'"},
		{"SUBSTRING(Title, 1, 2) = 'ab' AND ID = 1", "ID eq 1", "SUBSTRING(Title, 1, 2) = 'ab'"},
		{"CASE WHEN Done THEN Estimate ELSE 0 END > 2 AND ID = 1", "ID eq 1", "CASE WHEN Done THEN Estimate ELSE 0 END > 2"},
		{"CASE Status WHEN 'Done' THEN 1 END = 1 AND ID = 1", "ID eq 1", "CASE Status WHEN 'Done' THEN 1 END = 1"},
		{"CAST(Budget AS SIGNED) = 3 AND ID = 1", "ID eq 1", "CAST(Budget AS SIGNED) = 3"},
		{"ROUND(Budget, 1) = 2.5 AND ID = 1", "ID eq 1", "ROUND(Budget, 1) = 2.5"},
		{"MOD(Estimate, 2) = 0 AND ID = 1", "ID eq 1", "MOD(Estimate, 2) = 0"},
		{"DATE(Created) = '2024-01-16' AND ID = 1", "ID eq 1", "DATE(Created) = '2024-01-16'"},
		{"YEAR(DueDate) = 2024 AND ID = 1", "ID eq 1", "YEAR(DueDate) = 2024"},
		{"{fn UCASE(Title)} = 'A' AND ID = 1", "ID eq 1", "UCASE(Title) = 'A'"},
		// Constants: pushed as values.
		{"Created > NOW()", "Created gt datetime'2024-03-10T03:30:00Z'", ""},
		{"Estimate = CAST('3' AS SIGNED)", "Estimate eq 3", ""},
		// A constant date against a date-only field is the site's day.
		{"DueDate = CURDATE()", "DueDate eq datetime'2024-03-09T05:00:00Z'", ""},
		{"DueDate = {d '2024-01-15'}", "DueDate eq datetime'2024-01-15T05:00:00Z'", ""},
		{"DueDate >= DATE('2024-01-15')", "DueDate ge datetime'2024-01-15T05:00:00Z'", ""},
		{"Created >= {ts '2024-01-02 10:00:00'}", "Created ge datetime'2024-01-02T10:00:00Z'", ""},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			p, err := tryPlan(t, "SELECT ID FROM Tasks WHERE "+tt.where, opts)
			if err != nil {
				t.Fatal(err)
			}
			if p.Query.Filter != tt.filter {
				t.Errorf("$filter = %q, want %q", p.Query.Filter, tt.filter)
			}
			residual := strings.Join(p.residualText, " AND ")
			if residual != tt.residual || (tt.residual == "") != (p.Residual == nil) {
				t.Errorf("residual = %q, want %q", residual, tt.residual)
			}
		})
	}
}

func TestFunctionsInOrderByAndColumns(t *testing.T) {
	p := plan(t, "SELECT Title, CASE WHEN Estimate > 2 THEN 'big' ELSE 'small' END, CAST(Budget AS SIGNED) AS b, SUBSTRING(Status, 1, 2) FROM Tasks ORDER BY b DESC, 2")
	wantNames := []string{"Title", "CASE WHEN Estimate > 2 THEN 'big' ELSE 'small' END", "b", "SUBSTRING(Status, 1, 2)"}
	wantTypes := []string{"TEXT", "TEXT", "INTEGER", "TEXT"}
	for i, c := range p.Columns {
		if c.Name != wantNames[i] || c.DatabaseTypeName != wantTypes[i] {
			t.Errorf("column %d is %q (%s), want %q (%s)", i, c.Name, c.DatabaseTypeName, wantNames[i], wantTypes[i])
		}
	}
	if p.Columns[2].Type != sharepoint.ValueInt {
		t.Errorf("CAST AS SIGNED has the value type %v, want ValueInt", p.Columns[2].Type)
	}
	if ex := explainText(p.q); p.Query.OrderBy != "" || !strings.Contains(ex, `driver: sort by b DESC, "CASE WHEN Estimate > 2 THEN 'big' ELSE 'small' END"`) {
		t.Errorf("$orderby = %q, plan:\n%s\nwant the driver to sort by the expressions", p.Query.OrderBy, ex)
	}
	p = plan(t, "SELECT ID FROM Tasks ORDER BY ROUND(Budget), {fn LCASE(Title)}")
	if ex := explainText(p.q); !strings.Contains(ex, "driver: sort by ROUND(Budget), LCASE(Title)") {
		t.Errorf("plan:\n%s", ex)
	}
}

func TestNewExpressionsRespellKeywordColumns(t *testing.T) {
	// Status and Date are keywords the parser lower-cases.
	p := plan(t, "SELECT CASE Status WHEN 'Done' THEN Title END, CAST(Status AS CHAR(2)) FROM Tasks")
	for i, want := range []string{"CASE Status WHEN 'Done' THEN Title END", "CAST(Status AS CHAR(2))"} {
		if p.Columns[i].Name != want {
			t.Errorf("column %d is %q, want %q", i, p.Columns[i].Name, want)
		}
	}
}
