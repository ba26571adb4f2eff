package spsql_test

import (
	"cmp"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"

	_ "modernc.org/sqlite" // the oracle: an independent, well-known SQL engine
)

// The reporting differential test: random
// aggregates, groupings, joins, unions and IN subqueries over two related
// generated lists, run through the driver against the emulator and, as
// their SQLite spelling, against the same data loaded into SQLite. The
// generator writes each query twice, once per dialect, wherever the two
// differ (YEAR(x) is CAST(strftime('%Y', x) AS INTEGER), / divides
// exactly, text expressions compare with COLLATE NOCASE, …); the two
// answers must be the same rows.
//
// The data SQLite holds is what the driver read back (SELECT of every
// column, no filter), mapped so that SQLite compares and orders it as the
// driver does (see rdiffLoad):
//
//   - Text and Choice columns are TEXT COLLATE NOCASE, the driver's
//     case-insensitive comparison; every generated string is ASCII, where
//     NOCASE and the driver's folding agree. Expressions of text type get
//     an explicit COLLATE NOCASE: in SQLite a function's result has no
//     column collation and would compare case-sensitively.
//   - Booleans are 0 and 1; the driver compares them as 0 and 1 too.
//   - DateTime values are TEXT 'YYYY-MM-DD HH:MM:SS' in UTC, which sorts
//     and compares as the instants do; date-only values are the calendar
//     date 'YYYY-MM-DD' the driver shows (a literal compared with a
//     date-only column is read in the site's zone, so a date compares as
//     its text does).
//   - A lookup is its XId integer column and its display value.
//
// A failing case prints the seed, the case number, both SQL texts, the
// driver's EXPLAIN and the first differing rows; rerun it alone with
//
//	go test -run 'TestReportDifferential/FAMILY/' -rdiff.seed=S -rdiff.case=N -v

var (
	rdiffSeed     = flag.Uint64("rdiff.seed", 20250915, "reporting differential test: base seed of the random queries")
	rdiffCase     = flag.Int("rdiff.case", -1, "reporting differential test: run only this case number (with its -rdiff.seed)")
	rdiffN        = flag.Int("rdiff.n", 0, "reporting differential test: queries per construct family (0: the defaults)")
	rdiffFamilies = flag.String("rdiff.families", "", "reporting differential test: comma-separated construct families to run (default: all of reportConstructs)")
)

// reportConstructs are the construct families the generator covers, with
// their default number of queries. "select" and "count" are what the
// driver supported before its reporting engine; the others came with it.
var reportConstructs = []struct {
	name string
	n    int
	gen  func(g *rgen) rquery
}{
	{"select", 900, (*rgen).genSelect},         // one list: WHERE, ORDER BY, LIMIT, DISTINCT, scalar functions
	{"count", 150, (*rgen).genCount},           // COUNT(*) with WHERE
	{"aggregate", 250, (*rgen).genAggregate},   // COUNT(col), COUNT(DISTINCT), SUM, AVG, MIN, MAX without GROUP BY
	{"groupby", 450, (*rgen).genGroupBy},       // GROUP BY columns, expressions, positions, aliases; HAVING; ORDER BY + LIMIT
	{"join", 400, (*rgen).genJoin},             // INNER and LEFT JOIN on lookup ID = ID, with WHERE and GROUP BY
	{"commajoin", 120, (*rgen).genCommaJoin},   // FROM a, b WHERE a.XId = b.ID
	{"union", 200, (*rgen).genUnion},           // UNION and UNION ALL of two SELECTs
	{"insubquery", 250, (*rgen).genInSubquery}, // x [NOT] IN (SELECT col FROM …)
}

// rdiffRaceDivisor scales the families' query counts down under -race.
// It makes SQLite some twenty times slower (C translated to Go: every
// memory access is checked, and -race turns on checkptr, which checks
// every unsafe pointer step): a query over the whole Orders list then
// costs 50–100 ms of CPU in SQLite alone, and a run of every family's
// queries would take minutes. The thousands run without -race.
const rdiffRaceDivisor = 8

// raceEnabled reports whether the test binary was built with -race.
var raceEnabled = func() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}()

// reportNewFunctions are the scalar functions added for reporting queries; each is
// generated when set. rdiffProbe checks first that the driver accepts
// each one (a refusal fails the test and leaves its generators out).
var reportNewFunctions = map[string]bool{
	"CASE":      true,
	"CAST":      true,
	"SUBSTRING": true,
	"ROUND":     true,
	"DATE":      true,
	"FN":        true, // ODBC escapes: {fn UCASE(x)}
}

// rkind is the value domain of a column or expression.
type rkind int

const (
	rText rkind = iota
	rInt
	rNum  // float64
	rTime // DateTime: UTC instants
	rDate // date-only DateTime: a calendar date
	rDay  // DATE(DateTime): the UTC calendar date of an instant
	rBool
)

// class groups the kinds that compare with each other (in both dialects
// alike: a date-only value and an instant compare as instants in the
// driver but as text in SQLite, so they are never compared).
func (k rkind) class() rkind {
	if k == rNum {
		return rInt
	}
	return k
}

// rcol is one column of a list under test.
type rcol struct {
	name string
	kind rkind
	// low marks few distinct values: a GROUP BY key or DISTINCT column.
	low bool
	// variants marks values that differ from each other only in letter
	// case. Which spelling SQLite returns for a NOCASE group, DISTINCT
	// row or MIN is arbitrary, so such a column is never a group key,
	// DISTINCT column or MIN/MAX argument as it is (LOWER of it is).
	variants bool
}

// rtable is a list and the rows the driver read from it, in ID order.
type rtable struct {
	name  string
	alias string // in joins
	cols  []rcol
	rows  [][]any
}

func (tb *rtable) col(name string) int {
	for i, c := range tb.cols {
		if c.name == name {
			return i
		}
	}
	panic("no column " + name)
}

var rdiffCustomerCols = []rcol{
	{name: "ID", kind: rInt},
	{name: "Title", kind: rText},
	{name: "Region", kind: rText, low: true},
	{name: "City", kind: rText, low: true},
	{name: "Tier", kind: rInt, low: true},
	{name: "Credit", kind: rNum},
	{name: "Since", kind: rDate},
	{name: "Active", kind: rBool, low: true},
}

var rdiffOrderCols = []rcol{
	{name: "ID", kind: rInt},
	{name: "Title", kind: rText},
	{name: "CustomerId", kind: rInt},
	{name: "Customer", kind: rText},
	{name: "Status", kind: rText, low: true},
	{name: "Channel", kind: rText, low: true},
	{name: "Code", kind: rText, variants: true},
	{name: "Label", kind: rText, low: true},
	{name: "Qty", kind: rInt, low: true},
	{name: "Amount", kind: rNum},
	{name: "Price", kind: rNum},
	{name: "Placed", kind: rTime},
	{name: "Ship", kind: rDate},
	{name: "Rush", kind: rBool, low: true},
}

// rdiffZone is the site's time zone. West of UTC on purpose: the driver
// shows a date-only value as that date at UTC midnight, and an
// expression over it as the site's local midnight, an instant later the
// same UTC day; both are the same date in UTC.
const rdiffZone = "America/New_York"

// rdiffSite builds Customers and Orders: every nullable column empty now
// and then, an Orders.Customer lookup that is empty for some orders and
// points at the rdiffGone customers past the last one for a few, Code
// values that differ only in case, and Label values with leading and
// trailing spaces. The test deletes the rdiffGone customers before it
// reads the lists: SharePoint, like the emulator, leaves a lookup to a
// deleted item pointing at its ID.
func rdiffSite(customers, orders int) sptest.Site {
	loc, err := time.LoadLocation(rdiffZone)
	if err != nil {
		panic(err)
	}
	r := rand.New(rand.NewPCG(9, 9))
	null := func(p float64) bool { return r.Float64() < p }
	// money returns cents/100 for cents in [lo, hi), never a multiple of 5
	// cents: ROUND(x) and ROUND(x, 1) then never meet a tie, which SQLite
	// and MySQL-style ROUND break differently.
	money := func(lo, hi int) float64 {
		c := lo + r.IntN(hi-lo)
		if c%5 == 0 {
			c++
		}
		return float64(c) / 100
	}
	day := func(from, years int) time.Time {
		d := time.Date(from, 1, 1, 0, 0, 0, 0, loc).AddDate(0, 0, r.IntN(years*365))
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	}
	first := []string{"Northwind", "Contoso", "Fabrikam", "Litware", "Adatum", "Tailspin", "Wingtip", "Proseware", "Lucerne", "Margie", "Fourth Coffee", "Alpine", "Blue Yonder", "Coho", "Woodgrove", "Humongous"}
	second := []string{"Traders", "Ltd", "Inc", "Group", "Partners", "Labs"}
	regions := []string{"North", "South", "East", "West", "Central"}
	cities := []string{"Boston", "Denver", "Austin", "Seattle", "Miami", "Chicago", "Portland", "Atlanta", "Phoenix", "Dallas"}
	var cust []sptest.Item
	for range customers + rdiffGone {
		it := sptest.Item{"Title": first[r.IntN(len(first))] + " " + second[r.IntN(len(second))]}
		if !null(0.06) {
			it["Region"] = regions[r.IntN(len(regions))]
		}
		if !null(0.06) {
			it["City"] = cities[r.IntN(len(cities))]
		}
		if !null(0.06) {
			it["Tier"] = 1 + r.IntN(5)
		}
		if !null(0.06) {
			it["Credit"] = money(50_000, 2_000_000)
		}
		if !null(0.06) {
			it["Since"] = day(2015, 10)
		}
		if !null(0.06) {
			it["Active"] = r.IntN(3) > 0
		}
		cust = append(cust, it)
	}
	statuses := []string{"Open", "Shipped", "Delivered", "Cancelled", "On Hold"}
	channels := []string{"web", "store", "phone", "partner", "mobile app"}
	labels := []string{" gift ", "gift", "priority ", " bulk", "standard", "gift wrap"}
	var codes []string
	for i := range 30 {
		codes = append(codes, fmt.Sprintf("%c%c-%d", 'a'+i%7, 'k'+i%5, 10+i))
	}
	var ords []sptest.Item
	for id := 1; id <= orders; id++ {
		it := sptest.Item{"Title": fmt.Sprintf("PO-%05d", id)}
		switch {
		case null(0.05):
		case null(0.01):
			it["Customer"] = customers + 1 + r.IntN(rdiffGone) // deleted below
		default:
			it["Customer"] = 1 + r.IntN(customers)
		}
		if !null(0.05) {
			it["Status"] = statuses[r.IntN(len(statuses))]
		}
		if !null(0.05) {
			it["Channel"] = channels[r.IntN(len(channels))]
		}
		if !null(0.05) {
			c := codes[r.IntN(len(codes))]
			switch r.IntN(3) {
			case 0:
				c = strings.ToUpper(c)
			case 1:
				c = strings.ToUpper(c[:1]) + c[1:]
			}
			it["Code"] = c
		}
		if !null(0.08) {
			it["Label"] = labels[r.IntN(len(labels))]
		}
		if !null(0.05) {
			it["Qty"] = r.IntN(61)
		}
		if !null(0.05) {
			it["Amount"] = money(-20_000, 300_000)
		}
		if !null(0.05) {
			it["Price"] = money(99, 50_000)
		}
		if !null(0.05) {
			t := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(4*365*86400)) * time.Second)
			if r.IntN(20) == 0 {
				t = t.Truncate(24 * time.Hour)
			}
			it["Placed"] = t
		}
		if !null(0.1) {
			it["Ship"] = day(2021, 4)
		}
		if !null(0.05) {
			it["Rush"] = r.IntN(4) == 0
		}
		ords = append(ords, it)
	}
	return sptest.Site{
		TimeZone: rdiffZone,
		Lists: []sptest.List{
			{Title: "Customers", Fields: []sptest.Field{
				{Title: "Region", Type: "Choice", Choices: regions},
				{Title: "City", Type: "Text"},
				{Title: "Tier", Type: "Integer"},
				{Title: "Credit", Type: "Currency"},
				{Title: "Since", Type: "DateTime", DisplayFormat: "DateOnly"},
				{Title: "Active", Type: "Boolean"},
			}, Items: cust},
			{Title: "Orders", Fields: []sptest.Field{
				{Title: "Customer", Type: "Lookup", LookupList: "Customers"},
				{Title: "Status", Type: "Choice", Choices: statuses},
				{Title: "Channel", Type: "Text"},
				{Title: "Code", Type: "Text"},
				{Title: "Label", Type: "Text"},
				{Title: "Qty", Type: "Integer"},
				{Title: "Amount", Type: "Number"},
				{Title: "Price", Type: "Currency"},
				{Title: "Placed", Type: "DateTime"},
				{Title: "Ship", Type: "DateTime", DisplayFormat: "DateOnly"},
				{Title: "Rush", Type: "Boolean"},
			}, Items: ords},
		},
	}
}

// rdiffGone is the number of customers deleted before the test reads the
// lists, leaving orders whose lookup points at no customer.
const rdiffGone = 3

// rdiffEnv is what every case of a run shares.
type rdiffEnv struct {
	our, lite *sql.DB
	// paged reads 30 items a page: Customers then takes 7 requests, so
	// a join on c.ID may read it by ID instead (sqlparse's ID lookup),
	// which the join families use on odd cases.
	paged     *sql.DB
	customers *rtable
	orders    *rtable
	newFuncs  map[string]bool // the new functions the driver accepts

	// ourEng and pagedEng are our and paged in process (spsql.EngineDB),
	// which most cases use (see endToEnd).
	ourEng, pagedEng *spsql.EngineDB
}

// liteValue maps a value the driver returned to the one SQLite holds.
func liteValue(v any, k rkind) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		return timeText(x, k)
	}
	return v
}

// timeText is a time's text form: the calendar date for date-only values
// (the driver returns them at UTC midnight, see rdiffZone) and DATE(),
// the UTC instant otherwise.
func timeText(t time.Time, k rkind) string {
	if k == rDate || k == rDay {
		return t.UTC().Format("2006-01-02")
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// rdiffLoad reads tb through the driver and copies exactly those values
// into a SQLite table of the same name.
func rdiffLoad(t *testing.T, env *rdiffEnv, tb *rtable, wantRows int) {
	t.Helper()
	var names, decls []string
	for _, c := range tb.cols {
		names = append(names, `"`+c.name+`"`)
		typ := map[rkind]string{rText: "TEXT COLLATE NOCASE", rInt: "INTEGER", rNum: "REAL", rTime: "TEXT", rDate: "TEXT", rBool: "INTEGER"}[c.kind]
		if c.name == "ID" {
			typ += " PRIMARY KEY"
		}
		decls = append(decls, `"`+c.name+`" `+typ)
	}
	rows, err := env.our.Query("SELECT " + strings.Join(names, ", ") + " FROM " + tb.name)
	if err != nil {
		t.Fatalf("reading %s: %v", tb.name, err)
	}
	if tb.rows, err = scanAll(rows); err != nil {
		t.Fatalf("reading %s: %v", tb.name, err)
	}
	if len(tb.rows) != wantRows {
		t.Fatalf("%s has %d rows, want %d", tb.name, len(tb.rows), wantRows)
	}
	if _, err := env.lite.Exec(`CREATE TABLE "` + tb.name + `" (` + strings.Join(decls, ", ") + `)`); err != nil {
		t.Fatal(err)
	}
	tx, err := env.lite.Begin()
	if err != nil {
		t.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO "` + tb.name + `" VALUES (?` + strings.Repeat(", ?", len(names)-1) + `)`)
	if err != nil {
		t.Fatal(err)
	}
	nulls := make([]int, len(tb.cols))
	for _, r := range tb.rows {
		vals := make([]any, len(r))
		for j, v := range r {
			if v == nil {
				nulls[j]++
			}
			if s, ok := v.(string); ok && strings.ToLower(s) != strings.Map(asciiLower, s) {
				t.Fatalf("%s.%s holds %q: generated text must be ASCII, where NOCASE folds as the driver does", tb.name, tb.cols[j].name, s)
			}
			vals[j] = liteValue(v, tb.cols[j].kind)
		}
		if _, err := ins.Exec(vals...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for j, c := range tb.cols {
		if c.name != "ID" && c.name != "Title" && nulls[j] == 0 {
			t.Fatalf("%s.%s has no NULL: the data should have some in every nullable column", tb.name, c.name)
		}
	}
}

func asciiLower(r rune) rune {
	if r >= 0x80 {
		return -1
	}
	if 'A' <= r && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// rdiffProbe keeps the new functions the driver accepts.
func rdiffProbe(t *testing.T, env *rdiffEnv) {
	probes := map[string]string{
		"CASE":      "SELECT CASE WHEN Qty > 1 THEN 1 ELSE 0 END AS x FROM Orders LIMIT 1",
		"CAST":      "SELECT CAST(Qty AS CHAR) AS x FROM Orders LIMIT 1",
		"SUBSTRING": "SELECT SUBSTRING(Title, 1, 2) AS x FROM Orders LIMIT 1",
		"ROUND":     "SELECT ROUND(Amount) AS x, ROUND(Amount, 1) AS y FROM Orders LIMIT 1",
		"DATE":      "SELECT DATE(Placed) AS x FROM Orders LIMIT 1",
		"FN":        "SELECT {fn UCASE(Title)} AS x FROM Orders LIMIT 1",
	}
	env.newFuncs = map[string]bool{}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range reportNewFunctions {
			if !yield(k) {
				return
			}
		}
	}) {
		if !reportNewFunctions[name] {
			continue
		}
		rows, err := env.our.Query(probes[name])
		if err == nil {
			_, err = scanAll(rows)
		}
		if err != nil {
			t.Errorf("%s: the driver refuses its probe %q: %v", name, probes[name], err)
			continue
		}
		env.newFuncs[name] = true
	}
}

// rx is an expression in both dialects.
type rx struct {
	our, lite string
	kind      rkind
	// col is the column for a plain column reference, else nil.
	col *rcol
	// variants: values may differ from each other only in case.
	variants bool
	// sample returns a plausible value (the driver's Go type), for
	// literals compared with the expression; nil when it has none.
	sample func() any
}

// rp is a predicate in both dialects.
type rp struct{ our, lite string }

// rscope is what a SELECT's expressions may name.
type rscope struct {
	tabs    []*rtable
	qualify bool
	// quoted: write bare column names "double-quoted" in our SQL too.
	quoted bool
}

// rgen generates one case's query pair.
type rgen struct {
	r   *rand.Rand
	env *rdiffEnv
	// args: each side's placeholder values, in the order of the ?s.
	// Placeholders are used only in WHERE clauses, which the generators
	// write in textual order.
	ourArgs, liteArgs []any
	argsOK            bool
}

func (g *rgen) pick(n int) int        { return g.r.IntN(n) }
func (g *rgen) chance(p float64) bool { return g.r.Float64() < p }
func oneOf[T any](g *rgen, xs ...T) T { return xs[g.pick(len(xs))] }

// column returns a reference to column c of tb.
func (g *rgen) column(sc *rscope, tb *rtable, c int) rx {
	col := &tb.cols[c]
	lite := `"` + col.name + `"`
	our := col.name
	if sc.quoted || g.chance(0.2) {
		our = lite
	}
	if sc.qualify {
		lite = tb.alias + "." + lite
		our = tb.alias + "." + our
	}
	return rx{our: our, lite: lite, kind: col.kind, col: col, variants: col.variants, sample: func() any {
		for range 8 {
			if v := tb.rows[g.pick(len(tb.rows))][c]; v != nil {
				return v
			}
		}
		return nil
	}}
}

// anyColumn picks a column of the scope that ok accepts.
func (g *rgen) anyColumn(sc *rscope, ok func(rcol) bool) (rx, bool) {
	type ref struct {
		tb *rtable
		c  int
	}
	var cands []ref
	for _, tb := range sc.tabs {
		for i, c := range tb.cols {
			if ok(c) {
				cands = append(cands, ref{tb, i})
			}
		}
	}
	if len(cands) == 0 {
		return rx{}, false
	}
	c := cands[g.pick(len(cands))]
	return g.column(sc, c.tb, c.c), true
}

func ofKind(ks ...rkind) func(rcol) bool {
	return func(c rcol) bool { return slices.Contains(ks, c.kind) }
}

// nocase marks a text expression's SQLite spelling with COLLATE NOCASE,
// which a column has from its declaration but a function's result has not.
func nocase(x rx) rx {
	if x.kind == rText && x.col == nil {
		x.lite = "(" + x.lite + " COLLATE NOCASE)"
	}
	return x
}

func fn1(name string, x rx, kind rkind, sample func(any) any) rx {
	return derived(name+"("+x.our+")", strings.ToLower(name)+"("+x.lite+")", kind, x, sample)
}

// derived builds an expression over x; sample maps x's sample.
func derived(our, lite string, kind rkind, x rx, sample func(any) any) rx {
	return nocase(rx{our: our, lite: lite, kind: kind, variants: x.variants && kind == rText, sample: func() any {
		v := x.sample()
		if v == nil || sample == nil {
			return nil
		}
		return sample(v)
	}})
}

// caseFolded marks LOWER(x) or UPPER(x): one spelling per value, even of
// a column with case variants.
func caseFolded(x rx) rx {
	x.variants = false
	return x
}

func sqliteYMD(part string, x rx) string {
	return "CAST(strftime('" + part + "', " + x.lite + ") AS INTEGER)"
}

// scalar returns a column of the scope, or now and then a function of one.
func (g *rgen) scalar(sc *rscope, ok func(rcol) bool, depth int) rx {
	x, found := g.anyColumn(sc, ok)
	if !found {
		x, _ = g.anyColumn(sc, func(rcol) bool { return true })
	}
	if depth <= 0 || !g.chance(0.3) {
		return x
	}
	return g.wrap(sc, x, depth-1)
}

// wrap applies a random function or operator to x.
func (g *rgen) wrap(sc *rscope, x rx, depth int) rx {
	nf := g.env.newFuncs
	switch x.kind {
	case rText:
		switch g.pick(9) {
		case 0:
			return caseFolded(fn1("LOWER", x, rText, func(v any) any { return strings.ToLower(v.(string)) }))
		case 1:
			return caseFolded(fn1("UPPER", x, rText, func(v any) any { return strings.ToUpper(v.(string)) }))
		case 2:
			return fn1("TRIM", x, rText, func(v any) any { return strings.Trim(v.(string), " ") })
		case 3:
			return fn1("LENGTH", x, rInt, func(v any) any { return int64(len(v.(string))) })
		case 4:
			// CONCAT of text and text or an integer: SQLite's || writes
			// integers as the driver does (not floats or times); both are
			// NULL when an argument is.
			y := g.scalar(sc, ofKind(rText, rInt), 0)
			sep := oneOf(g, "", "-", " / ")
			return nocase(rx{our: "CONCAT(" + x.our + ", '" + sep + "', " + y.our + ")", lite: "(" + x.lite + " || '" + sep + "' || " + y.lite + ")", kind: rText, variants: true, sample: x.sample})
		case 5:
			name := oneOf(g, "COALESCE", "IFNULL")
			y := g.scalar(sc, ofKind(rText), 0)
			if g.chance(0.5) {
				y = rx{our: "'none'", lite: "'none'", kind: rText}
			}
			return nocase(rx{our: name + "(" + x.our + ", " + y.our + ")", lite: strings.ToLower(name) + "(" + x.lite + ", " + y.lite + ")", kind: rText, variants: x.variants || y.variants, sample: x.sample})
		case 6:
			if nf["SUBSTRING"] {
				from, n := 1+g.pick(4), 1+g.pick(5)
				return derived(fmt.Sprintf("SUBSTRING(%s, %d, %d)", x.our, from, n), fmt.Sprintf("substr(%s, %d, %d)", x.lite, from, n), rText, x, nil)
			}
		case 7:
			if nf["FN"] {
				return derived("{fn UCASE("+x.our+")}", "upper("+x.lite+")", rText, x, func(v any) any { return strings.ToUpper(v.(string)) })
			}
		case 8:
			if nf["CASE"] {
				// x was generated first but is written after p: p may not
				// take placeholders, whose arguments go in textual order.
				argsOK := g.argsOK
				g.argsOK = false
				p := g.pred(sc, 0)
				g.argsOK = argsOK
				y := g.scalar(sc, ofKind(rText), 0)
				return nocase(rx{our: "CASE WHEN " + p.our + " THEN " + x.our + " ELSE " + y.our + " END", lite: "CASE WHEN " + p.lite + " THEN " + x.lite + " ELSE " + y.lite + " END", kind: rText, variants: x.variants || y.variants, sample: x.sample})
			}
		}
	case rInt:
		k := 1 + g.pick(9)
		switch g.pick(8) {
		case 0:
			return derived(fmt.Sprintf("%s + %d", x.our, k), fmt.Sprintf("(%s + %d)", x.lite, k), rInt, x, func(v any) any { return v.(int64) + int64(k) })
		case 1:
			return derived(fmt.Sprintf("%s * %d", x.our, k), fmt.Sprintf("(%s * %d)", x.lite, k), rInt, x, func(v any) any { return v.(int64) * int64(k) })
		case 2:
			return derived(fmt.Sprintf("%s %% %d", x.our, k+1), fmt.Sprintf("(%s %% %d)", x.lite, k+1), rInt, x, func(v any) any { return v.(int64) % int64(k+1) })
		case 3:
			return derived(fmt.Sprintf("ABS(%s - %d)", x.our, 10*k), fmt.Sprintf("abs(%s - %d)", x.lite, 10*k), rInt, x, nil)
		case 4:
			// / always divides exactly in the driver.
			return derived(fmt.Sprintf("%s / %d", x.our, k+1), fmt.Sprintf("(%s * 1.0 / %d)", x.lite, k+1), rNum, x, func(v any) any { return float64(v.(int64)) / float64(k+1) })
		case 5:
			return derived(fmt.Sprintf("COALESCE(%s, %d)", x.our, k), fmt.Sprintf("coalesce(%s, %d)", x.lite, k), rInt, x, func(v any) any { return v })
		case 6:
			y := g.scalar(sc, ofKind(rInt), 0)
			return rx{our: x.our + " + " + y.our, lite: "(" + x.lite + " + " + y.lite + ")", kind: rInt, sample: x.sample}
		case 7:
			if nf["CAST"] {
				return derived("CAST("+x.our+" AS CHAR)", "CAST("+x.lite+" AS TEXT)", rText, x, func(v any) any { return strconv.FormatInt(v.(int64), 10) })
			}
		}
	case rNum:
		switch g.pick(6) {
		case 0:
			return derived(x.our+" * 2", "("+x.lite+" * 2)", rNum, x, func(v any) any { return v.(float64) * 2 })
		case 1:
			y := g.scalar(sc, ofKind(rNum, rInt), 0)
			return rx{our: x.our + " - " + y.our, lite: "(" + x.lite + " - " + y.lite + ")", kind: rNum, sample: x.sample}
		case 2:
			return fn1("ABS", x, rNum, func(v any) any { return math.Abs(v.(float64)) })
		case 3:
			return derived(x.our+" / 4", "("+x.lite+" / 4)", rNum, x, func(v any) any { return v.(float64) / 4 })
		case 4:
			return derived("COALESCE("+x.our+", 0)", "coalesce("+x.lite+", 0)", rNum, x, func(v any) any { return v })
		case 5:
			if nf["ROUND"] {
				if g.chance(0.5) {
					return fn1("ROUND", x, rNum, func(v any) any { return math.Round(v.(float64)) })
				}
				return derived("ROUND("+x.our+", 1)", "round("+x.lite+", 1)", rNum, x, func(v any) any { return math.Round(v.(float64)*10) / 10 })
			}
		}
	case rTime, rDate:
		if x.kind == rTime && nf["DATE"] && g.chance(0.25) {
			return derived("DATE("+x.our+")", "date("+x.lite+")", rDay, x, func(v any) any {
				t := v.(time.Time).UTC()
				return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			})
		}
		name, part, of := "YEAR", "%Y", func(t time.Time) int { return t.Year() }
		switch g.pick(3) {
		case 1:
			name, part, of = "MONTH", "%m", func(t time.Time) int { return int(t.Month()) }
		case 2:
			name, part, of = "DAY", "%d", func(t time.Time) int { return t.Day() }
		}
		// YEAR of a date-only column is its calendar date's year (the
		// driver reads it in the site's zone), of an instant its UTC year:
		// both are what the text forms say.
		return derived(name+"("+x.our+")", sqliteYMD(part, x), rInt, x, func(v any) any { return int64(of(v.(time.Time).UTC())) })
	case rBool:
		if nf["CASE"] {
			return nocase(rx{our: "CASE WHEN " + x.our + " THEN 'yes' ELSE 'no' END", lite: "CASE WHEN " + x.lite + " THEN 'yes' ELSE 'no' END", kind: rText, sample: func() any { return "yes" }})
		}
	}
	return x
}

// literal returns a constant comparable with x, in both dialects: a value
// x takes (text in random case), or a near one; now and then a ?.
func (g *rgen) literal(x rx) (our, lite string) {
	var v any
	if x.sample != nil {
		v = x.sample()
	}
	if v == nil {
		switch x.kind {
		case rText:
			v = "x"
		case rInt:
			v = int64(3)
		case rNum:
			v = 10.5
		case rTime, rDate, rDay:
			v = time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
		case rBool:
			v = true
		}
	}
	switch t := v.(type) {
	case string:
		switch g.pick(5) {
		case 0:
			t = strings.ToUpper(t)
		case 1:
			t = strings.ToLower(t)
		case 2:
			if len(t) > 1 {
				t = t[:1+g.pick(len(t)-1)]
			}
		}
		v = t
	case int64:
		v = t + int64(g.pick(3)-1)
	case float64:
		switch g.pick(3) {
		case 0:
			v = t + 0.25
		case 1:
			v = math.Round(t)
		}
	case time.Time:
		switch {
		case x.kind == rDate || x.kind == rDay:
			v = t.UTC().AddDate(0, 0, g.pick(3)-1)
		case g.chance(0.3):
			v = t.Add(time.Duration(g.pick(3)-1) * time.Second)
		case g.chance(0.3):
			v = t.UTC().Truncate(24 * time.Hour)
		}
	}
	return g.render(x.kind, v)
}

// render writes v as a literal of each dialect, or as a ? with each
// side's argument.
func (g *rgen) render(k rkind, v any) (our, lite string) {
	if g.argsOK && g.chance(0.2) {
		ov, lv := v, liteValue(v, k)
		if t, ok := v.(time.Time); ok && k == rDate && g.chance(0.5) {
			// A time.Time at local midnight means that day too.
			loc, _ := time.LoadLocation(rdiffZone)
			ov = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		}
		g.ourArgs, g.liteArgs = append(g.ourArgs, ov), append(g.liteArgs, lv)
		return "?", "?"
	}
	switch x := v.(type) {
	case string:
		s := "'" + strings.ReplaceAll(x, "'", "''") + "'"
		return s, s
	case int64:
		s := strconv.FormatInt(x, 10)
		return s, s
	case float64:
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s, s
	case bool:
		if g.chance(0.5) {
			return map[bool]string{true: "TRUE", false: "FALSE"}[x], map[bool]string{true: "1", false: "0"}[x]
		}
		s := map[bool]string{true: "1", false: "0"}[x]
		return s, s
	case time.Time:
		lite = "'" + timeText(x, k) + "'"
		if k == rTime && x.Equal(x.Truncate(24*time.Hour)) && g.chance(0.5) {
			// The driver reads a date literal as UTC midnight; SQLite
			// compares text, so it gets the full form.
			return x.UTC().Format("'2006-01-02'"), lite
		}
		return lite, lite
	}
	panic(fmt.Sprintf("literal of type %T", v))
}

var rdiffOps = []string{"=", "<>", "!=", "<", "<=", ">", ">="}

// pred returns a random condition of nesting depth at most d.
func (g *rgen) pred(sc *rscope, d int) rp {
	if d > 0 && g.chance(0.45) {
		switch g.pick(4) {
		case 0:
			p := g.pred(sc, d-1)
			return rp{"NOT (" + p.our + ")", "NOT (" + p.lite + ")"}
		case 1:
			l, r := g.pred(sc, d-1), g.pred(sc, d-1)
			return rp{"(" + l.our + " OR " + r.our + ")", "(" + l.lite + " OR " + r.lite + ")"}
		default:
			l, r := g.pred(sc, d-1), g.pred(sc, d-1)
			return rp{"(" + l.our + " AND " + r.our + ")", "(" + l.lite + " AND " + r.lite + ")"}
		}
	}
	return g.atom(sc)
}

// atom returns a comparison, IS NULL, LIKE, IN or BETWEEN.
func (g *rgen) atom(sc *rscope) rp {
	x := g.scalar(sc, func(rcol) bool { return true }, 1)
	switch n := g.pick(20); {
	case n < 12 && n >= 10:
		// Column against column of the same class.
		y := g.scalar(sc, func(c rcol) bool { return c.kind.class() == x.kind.class() }, 1)
		if y.kind.class() == x.kind.class() {
			op := oneOf(g, rdiffOps...)
			return rp{x.our + " " + op + " " + y.our, x.lite + " " + op + " " + y.lite}
		}
	}
	return g.atomOn(x)
}

// atomOn returns a condition on x and constants.
func (g *rgen) atomOn(x rx) rp {
	switch n := g.pick(20); {
	case n < 2:
		not := oneOf(g, "", "NOT ")
		return rp{x.our + " IS " + not + "NULL", x.lite + " IS " + not + "NULL"}
	case x.kind == rBool:
		switch g.pick(3) {
		case 0:
			return rp{x.our, x.lite}
		case 1:
			return rp{"NOT " + x.our, "NOT " + x.lite}
		}
	case n < 5 && x.kind == rText:
		return g.like(x)
	case n < 8:
		return g.in(x)
	case n < 10 && x.kind != rBool:
		return g.between(x)
	}
	op := oneOf(g, rdiffOps...)
	if x.kind == rBool {
		op = oneOf(g, "=", "<>")
	}
	lo, ll := g.literal(x)
	if g.chance(0.15) {
		f := map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
		if f == "" {
			f = op
		}
		return rp{lo + " " + f + " " + x.our, ll + " " + f + " " + x.lite}
	}
	return rp{x.our + " " + op + " " + lo, x.lite + " " + op + " " + ll}
}

func (g *rgen) like(x rx) rp {
	s, _ := x.sample().(string)
	if s == "" {
		s = "gift"
	}
	i := g.pick(len(s))
	var pat string
	switch g.pick(5) {
	case 0:
		pat = s[:i+1] + "%"
	case 1:
		pat = "%" + s[i:min(len(s), i+3)] + "%"
	case 2:
		pat = "%" + s[i:]
	case 3:
		pat = s[:i] + "_" + s[i+1:]
	default:
		pat = s
	}
	if g.chance(0.3) {
		pat = strings.ToUpper(pat)
	}
	word := oneOf(g, " LIKE ", " LIKE ", " NOT LIKE ")
	o, l := g.render(rText, pat)
	return rp{x.our + word + o, x.lite + word + l}
}

func (g *rgen) in(x rx) rp {
	var os, ls []string
	for range 1 + g.pick(4) {
		o, l := g.literal(x)
		os, ls = append(os, o), append(ls, l)
	}
	if g.chance(0.1) {
		os, ls = append(os, "NULL"), append(ls, "NULL")
	}
	word := oneOf(g, " IN (", " IN (", " NOT IN (")
	return rp{x.our + word + strings.Join(os, ", ") + ")", x.lite + word + strings.Join(ls, ", ") + ")"}
}

func (g *rgen) between(x rx) rp {
	o1, l1 := g.literal(x)
	o2, l2 := g.literal(x)
	word := oneOf(g, " BETWEEN ", " BETWEEN ", " NOT BETWEEN ")
	return rp{x.our + word + o1 + " AND " + o2, x.lite + word + l1 + " AND " + l2}
}

// rquery is one generated query pair and how to compare its answers.
type rquery struct {
	our, lite         string
	ourArgs, liteArgs []any
	kinds             []rkind
	// ordered: the ORDER BY keys determine the order, so the rows are
	// compared as sequences; otherwise as multisets.
	ordered bool
	// foldCase: compare text case-insensitively (see genUnion).
	foldCase bool
}

// out is one item of a select list.
type out struct {
	x     rx
	alias string
}

func selectList(outs []out) (our, lite string) {
	var o, l []string
	for _, it := range outs {
		a := ""
		if it.alias != "" {
			a = " AS " + it.alias
		}
		o, l = append(o, it.x.our+a), append(l, it.x.lite+a)
	}
	return strings.Join(o, ", "), strings.Join(l, ", ")
}

func kindsOf(outs []out) []rkind {
	ks := make([]rkind, len(outs))
	for i, o := range outs {
		ks[i] = o.x.kind
	}
	return ks
}

// from writes a single list's FROM clause.
func (g *rgen) single() (*rscope, string) {
	tb := oneOf(g, g.env.orders, g.env.orders, g.env.customers)
	return &rscope{tabs: []*rtable{tb}, quoted: g.chance(0.2)}, tb.name
}

// where returns " WHERE …" in both dialects, or nothing.
func (g *rgen) where(sc *rscope, p float64) (string, string) {
	if !g.chance(p) {
		return "", ""
	}
	g.argsOK = true
	w := g.pred(sc, g.pick(4))
	g.argsOK = false
	return " WHERE " + w.our, " WHERE " + w.lite
}

// orderLimit orders by keys and then by the unique tiebreakers, so that
// the order is determined, and adds a LIMIT now and then.
func (g *rgen) orderLimit(keys []rx, ties []rx) (string, string) {
	var o, l []string
	for _, k := range append(keys, ties...) {
		dir := oneOf(g, "", "", " DESC", " ASC")
		o, l = append(o, k.our+dir), append(l, k.lite+dir)
	}
	so, sl := " ORDER BY "+strings.Join(o, ", "), " ORDER BY "+strings.Join(l, ", ")
	if g.chance(0.5) {
		lim := fmt.Sprintf(" LIMIT %d", g.pick(40))
		if g.chance(0.4) {
			off := g.pick(30)
			lim += fmt.Sprintf(" OFFSET %d", off)
		}
		so, sl = so+lim, sl+lim
	}
	return so, sl
}

// genSelect: one list, scalar expressions, WHERE, ORDER BY, LIMIT,
// DISTINCT.
func (g *rgen) genSelect() rquery {
	sc, list := g.single()
	tb := sc.tabs[0]
	id := g.column(sc, tb, 0)
	wo, wl := g.where(sc, 0.85)
	var outs []out
	distinct := g.chance(0.15)
	if distinct {
		for range 1 + g.pick(2) {
			x := g.scalar(sc, func(c rcol) bool { return c.low && !c.variants }, 0)
			if g.chance(0.3) {
				x = g.wrap(sc, x, 0)
			}
			if x.variants {
				continue
			}
			outs = append(outs, out{x: x, alias: fmt.Sprintf("d%d", len(outs))})
		}
		if len(outs) == 0 {
			outs = append(outs, out{x: id})
		}
	} else {
		if g.chance(0.8) {
			outs = append(outs, out{x: id})
		}
		for range 1 + g.pick(4) {
			outs = append(outs, out{x: g.scalar(sc, func(rcol) bool { return true }, 2), alias: fmt.Sprintf("e%d", len(outs))})
		}
	}
	so, sl := selectList(outs)
	d := ""
	if distinct {
		d = "DISTINCT "
	}
	q := rquery{our: "SELECT " + d + so + " FROM " + list + wo, lite: "SELECT " + d + sl + ` FROM "` + list + `"` + wl, kinds: kindsOf(outs)}
	if g.chance(0.6) {
		var keys, ties []rx
		if distinct {
			// Every output column, so the order is determined; DISTINCT
			// rows never tie on all of them (no case variants).
			for _, o := range outs {
				keys = append(keys, o.x)
			}
			g.r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		} else {
			for range g.pick(3) {
				keys = append(keys, g.scalar(sc, func(rcol) bool { return true }, 1))
			}
			ties = []rx{id}
		}
		oo, ol := g.orderLimit(keys, ties)
		q.our, q.lite, q.ordered = q.our+oo, q.lite+ol, true
	}
	q.ourArgs, q.liteArgs = g.ourArgs, g.liteArgs
	return q
}

// genCount: SELECT COUNT(*) FROM list WHERE ….
func (g *rgen) genCount() rquery {
	sc, list := g.single()
	wo, wl := g.where(sc, 0.9)
	return rquery{our: "SELECT COUNT(*) FROM " + list + wo, lite: `SELECT COUNT(*) FROM "` + list + `"` + wl, kinds: []rkind{rInt},
		ourArgs: g.ourArgs, liteArgs: g.liteArgs}
}

// aggregate returns a random aggregate over the scope. MIN and MAX take
// no column whose values differ only in case (which spelling is the
// minimum would be arbitrary).
func (g *rgen) aggregate(sc *rscope) rx {
	switch g.pick(8) {
	case 0:
		return rx{our: "COUNT(*)", lite: "COUNT(*)", kind: rInt, sample: func() any { return int64(oneOf(g, 1, 2, 5, 10, 20, 50, 150, 600)) }}
	case 1:
		x := g.scalar(sc, func(rcol) bool { return true }, 1)
		return rx{our: "COUNT(" + x.our + ")", lite: "count(" + x.lite + ")", kind: rInt, sample: func() any { return int64(oneOf(g, 1, 2, 5, 10, 20, 50, 150, 600)) }}
	case 2:
		// COUNT(DISTINCT) counts case variants once in both engines.
		x := g.scalar(sc, func(c rcol) bool { return c.kind != rBool }, 1)
		return rx{our: "COUNT(DISTINCT " + x.our + ")", lite: "count(DISTINCT " + x.lite + ")", kind: rInt, sample: func() any { return int64(oneOf(g, 1, 2, 3, 5, 10, 30)) }}
	case 3, 4:
		x := g.scalar(sc, ofKind(rInt, rNum), 1)
		if x.kind != rInt && x.kind != rNum { // CAST(x AS CHAR)
			x, _ = g.anyColumn(sc, ofKind(rInt, rNum))
		}
		name := oneOf(g, "SUM", "AVG")
		k := x.kind
		if name == "AVG" {
			k = rNum
		}
		s := x.sample
		return rx{our: name + "(" + x.our + ")", lite: strings.ToLower(name) + "(" + x.lite + ")", kind: k, sample: func() any {
			v := s()
			if f, ok := v.(float64); ok && name == "SUM" {
				return f * float64(oneOf(g, 1, 5, 20))
			}
			return v
		}}
	default:
		x := g.scalar(sc, func(c rcol) bool { return c.kind != rBool && !c.variants }, 1)
		if x.variants || x.kind == rBool {
			x = g.column(sc, sc.tabs[0], 0)
		}
		name := oneOf(g, "MIN", "MAX")
		// SQLite's min/max of a NOCASE column compares with NOCASE but
		// returns a value without a collation: restore it.
		return nocase(rx{our: name + "(" + x.our + ")", lite: strings.ToLower(name) + "(" + x.lite + ")", kind: x.kind, sample: x.sample})
	}
}

// genAggregate: aggregates over a whole (filtered) list: one row.
func (g *rgen) genAggregate() rquery {
	sc, list := g.single()
	if g.chance(0.3) {
		return g.joinQuery(func(sc *rscope) []out {
			return g.aggOuts(sc)
		}, false)
	}
	wo, wl := g.where(sc, 0.7)
	outs := g.aggOuts(sc)
	so, sl := selectList(outs)
	return rquery{our: "SELECT " + so + " FROM " + list + wo, lite: "SELECT " + sl + ` FROM "` + list + `"` + wl, kinds: kindsOf(outs),
		ourArgs: g.ourArgs, liteArgs: g.liteArgs}
}

func (g *rgen) aggOuts(sc *rscope) []out {
	var outs []out
	for range 1 + g.pick(3) {
		outs = append(outs, out{x: g.aggregate(sc), alias: fmt.Sprintf("a%d", len(outs))})
	}
	return outs
}

// groupKey returns an expression to group by: a low-cardinality column,
// or a function of any column (YEAR(date), LOWER(text), …). A column
// whose values differ only in case is grouped only through LOWER or
// UPPER, whose result has one spelling per group.
func (g *rgen) groupKey(sc *rscope) rx {
	for {
		var x rx
		if g.chance(0.6) {
			x, _ = g.anyColumn(sc, func(c rcol) bool { return c.low })
		} else {
			x, _ = g.anyColumn(sc, func(c rcol) bool { return c.kind != rNum && c.name != "ID" })
			switch x.kind {
			case rText:
				if x.variants || g.chance(0.5) {
					x = caseFolded(fn1(oneOf(g, "LOWER", "UPPER"), x, rText, func(v any) any { return strings.ToLower(v.(string)) }))
				}
			case rTime, rDate:
				x = g.wrap(sc, x, 0)
			case rInt:
				if g.chance(0.5) {
					x = derived(x.our+" % 7", "("+x.lite+" % 7)", rInt, x, nil)
				}
			}
		}
		if !x.variants && x.kind != rTime {
			return x
		}
	}
}

// grouped writes a grouped SELECT over the scope: keys and aggregates,
// GROUP BY by expression, position or alias, HAVING, and an ORDER BY of
// every output column (determined, so LIMIT is fair) or of fewer (then
// no LIMIT and the rows compare as a multiset).
func (g *rgen) grouped(sc *rscope, from, fromLite, wo, wl string) rquery {
	var keys []rx
	for range 1 + g.pick(2) {
		k := g.groupKey(sc)
		if !slices.ContainsFunc(keys, func(x rx) bool { return x.our == k.our }) {
			keys = append(keys, k)
		}
	}
	var outs []out
	showAll := g.chance(0.85)
	for i, k := range keys {
		if showAll || i == 0 {
			a := ""
			if g.chance(0.5) {
				a = fmt.Sprintf("g%d", i)
			}
			outs = append(outs, out{x: k, alias: a})
		}
	}
	for range 1 + g.pick(3) {
		outs = append(outs, out{x: g.aggregate(sc), alias: fmt.Sprintf("a%d", len(outs))})
	}
	if g.chance(0.2) {
		slices.Reverse(outs)
	}
	var gbo, gbl []string
	for _, k := range keys {
		pos := slices.IndexFunc(outs, func(o out) bool { return o.x.our == k.our })
		switch {
		case pos >= 0 && g.chance(0.3):
			gbo, gbl = append(gbo, strconv.Itoa(pos+1)), append(gbl, strconv.Itoa(pos+1))
		case pos >= 0 && outs[pos].alias != "" && g.chance(0.5):
			gbo, gbl = append(gbo, outs[pos].alias), append(gbl, outs[pos].alias)
		default:
			gbo, gbl = append(gbo, k.our), append(gbl, k.lite)
		}
	}
	so, sl := selectList(outs)
	q := rquery{
		our:   "SELECT " + so + " FROM " + from + wo + " GROUP BY " + strings.Join(gbo, ", "),
		lite:  "SELECT " + sl + " FROM " + fromLite + wl + " GROUP BY " + strings.Join(gbl, ", "),
		kinds: kindsOf(outs),
	}
	if g.chance(0.35) {
		h := g.having(sc, keys, 1+g.pick(2))
		q.our, q.lite = q.our+" HAVING "+h.our, q.lite+" HAVING "+h.lite
	}
	switch {
	case showAll && g.chance(0.6):
		// Every output column: the group keys are among them, so no two
		// rows tie. Floating-point aggregates go last, where a last-bit
		// difference between the engines cannot reorder rows.
		perm := g.r.Perm(len(outs))
		slices.SortStableFunc(perm, func(a, b int) int {
			return boolInt(outs[a].x.kind == rNum) - boolInt(outs[b].x.kind == rNum)
		})
		var ob []rx
		for _, i := range perm {
			ob = append(ob, g.outRef(outs, i))
		}
		oo, ol := g.orderLimit(ob, nil)
		q.our, q.lite, q.ordered = q.our+oo, q.lite+ol, true
	case g.chance(0.3):
		// A partial order (often an aggregate not in the list): only the
		// multiset is compared.
		k := g.aggregate(sc)
		dir := oneOf(g, "", " DESC")
		q.our, q.lite = q.our+" ORDER BY "+k.our+dir, q.lite+" ORDER BY "+k.lite+dir
	}
	q.ourArgs, q.liteArgs = g.ourArgs, g.liteArgs
	return q
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// outRef refers to output i by position, alias or expression.
func (g *rgen) outRef(outs []out, i int) rx {
	switch {
	case g.chance(0.3):
		p := strconv.Itoa(i + 1)
		return rx{our: p, lite: p}
	case outs[i].alias != "" && g.chance(0.5):
		return rx{our: outs[i].alias, lite: outs[i].alias}
	}
	return outs[i].x
}

// having returns a condition on aggregates (or group keys).
func (g *rgen) having(sc *rscope, keys []rx, d int) rp {
	if d > 1 && g.chance(0.5) {
		l, r := g.having(sc, keys, d-1), g.having(sc, keys, d-1)
		op := oneOf(g, " AND ", " OR ")
		return rp{"(" + l.our + op + r.our + ")", "(" + l.lite + op + r.lite + ")"}
	}
	x := g.aggregate(sc)
	if g.chance(0.15) {
		x = keys[g.pick(len(keys))]
	}
	op := oneOf(g, rdiffOps...)
	lo, ll := g.literal(x)
	return rp{x.our + " " + op + " " + lo, x.lite + " " + op + " " + ll}
}

// genGroupBy: GROUP BY over one list.
func (g *rgen) genGroupBy() rquery {
	sc, list := g.single()
	wo, wl := g.where(sc, 0.6)
	return g.grouped(sc, list, `"`+list+`"`, wo, wl)
}

// joinScope returns Orders o and Customers c, with the FROM clause of a
// join between them in both dialects: Orders to Customers through the
// lookup's ID, or Customers to Orders (then a LEFT JOIN keeps customers
// without orders).
func (g *rgen) joinScope() (sc *rscope, from, fromLite string, ties []rx) {
	o := *g.env.orders
	c := *g.env.customers
	o.alias, c.alias = "o", "c"
	sc = &rscope{tabs: []*rtable{&o, &c}, qualify: true, quoted: g.chance(0.2)}
	kind := oneOf(g, "JOIN", "INNER JOIN", "LEFT JOIN", "LEFT JOIN", "LEFT OUTER JOIN")
	on, onLite := "o.CustomerId = c.ID", `o."CustomerId" = c."ID"`
	if g.chance(0.5) {
		on, onLite = "c.ID = o.CustomerId", `c."ID" = o."CustomerId"`
	}
	oid, cid := g.column(sc, &o, 0), g.column(sc, &c, 0)
	if g.chance(0.7) {
		return sc, "Orders o " + kind + " Customers c ON " + on, `"Orders" o ` + kind + ` "Customers" c ON ` + onLite, []rx{oid, cid}
	}
	return sc, "Customers c " + kind + " Orders o ON " + on, `"Customers" c ` + kind + ` "Orders" o ON ` + onLite, []rx{cid, oid}
}

// joinQuery writes a join of Orders and Customers with a WHERE over both
// sides (on a LEFT JOIN's right side too, where it must filter after the
// join), selecting aggs(sc) when given, else columns of both.
func (g *rgen) joinQuery(aggs func(sc *rscope) []out, comma bool) rquery {
	sc, from, fromLite, ties := g.joinScope()
	wo, wl := "", ""
	if comma {
		from, fromLite = "Orders o, Customers c", `"Orders" o, "Customers" c`
		eq := rp{"o.CustomerId = c.ID", `o."CustomerId" = c."ID"`}
		if g.chance(0.5) {
			eq = rp{"c.ID = o.CustomerId", `c."ID" = o."CustomerId"`}
		}
		wo, wl = " WHERE "+eq.our, " WHERE "+eq.lite
		if g.chance(0.7) {
			g.argsOK = true
			p := g.pred(sc, g.pick(3))
			g.argsOK = false
			wo, wl = wo+" AND "+p.our, wl+" AND "+p.lite
		}
	} else {
		wo, wl = g.where(sc, 0.75)
		if strings.Contains(from, "LEFT") && g.chance(0.2) {
			// A condition on the right side of a LEFT JOIN filters the
			// joined rows (IS NULL keeps the unmatched ones); pushed into
			// the right side's scan it would keep them all.
			right := sc.tabs[1]
			if strings.HasPrefix(from, "Customers") {
				right = sc.tabs[0]
			}
			c := g.column(sc, right, g.pick(len(right.cols)))
			p := rp{c.our + " IS NULL", c.lite + " IS NULL"}
			if g.chance(0.5) {
				p = g.atomOn(c)
			}
			if wo == "" {
				wo, wl = " WHERE "+p.our, " WHERE "+p.lite
			} else {
				wo, wl = wo+" AND "+p.our, wl+" AND "+p.lite
			}
		}
	}
	if aggs != nil {
		outs := aggs(sc)
		so, sl := selectList(outs)
		return rquery{our: "SELECT " + so + " FROM " + from + wo, lite: "SELECT " + sl + " FROM " + fromLite + wl, kinds: kindsOf(outs),
			ourArgs: g.ourArgs, liteArgs: g.liteArgs}
	}
	if g.chance(0.3) {
		return g.grouped(sc, from, fromLite, wo, wl)
	}
	var outs []out
	if g.chance(0.7) {
		outs = append(outs, out{x: ties[0]})
	}
	for range 1 + g.pick(4) {
		outs = append(outs, out{x: g.scalar(sc, func(rcol) bool { return true }, 1), alias: fmt.Sprintf("e%d", len(outs))})
	}
	so, sl := selectList(outs)
	q := rquery{our: "SELECT " + so + " FROM " + from + wo, lite: "SELECT " + sl + " FROM " + fromLite + wl, kinds: kindsOf(outs)}
	if g.chance(0.5) {
		var keys []rx
		for range g.pick(3) {
			keys = append(keys, g.scalar(sc, func(rcol) bool { return true }, 1))
		}
		oo, ol := g.orderLimit(keys, ties)
		q.our, q.lite, q.ordered = q.our+oo, q.lite+ol, true
	}
	q.ourArgs, q.liteArgs = g.ourArgs, g.liteArgs
	return q
}

// genJoin: INNER and LEFT joins, plain or grouped.
func (g *rgen) genJoin() rquery { return g.joinQuery(nil, false) }

// genCommaJoin: FROM Orders o, Customers c WHERE o.CustomerId = c.ID ….
func (g *rgen) genCommaJoin() rquery { return g.joinQuery(nil, true) }

// genUnion: two SELECTs of matching kinds, over the same list or both.
// A UNION (without ALL) keeps one of the rows that are equal ignoring
// case, and which one SQLite keeps is arbitrary, so text is compared
// case-insensitively there; so it is under ORDER BY, where such rows tie.
func (g *rgen) genUnion() rquery {
	kinds := []rkind{oneOf(g, rText, rInt, rNum, rDate)}
	for range g.pick(2) {
		kinds = append(kinds, oneOf(g, rText, rInt, rNum, rDate))
	}
	side := func() (string, string, []out) {
		sc, list := g.single()
		var outs []out
		for i, k := range kinds {
			x := g.scalar(sc, ofKind(k), 0)
			if g.chance(0.3) {
				if w := g.wrap(sc, x, 0); w.kind == k {
					x = w
				}
			}
			outs = append(outs, out{x: x, alias: fmt.Sprintf("u%d", i)})
		}
		so, sl := selectList(outs)
		wo, wl := g.where(sc, 0.8)
		return "SELECT " + so + " FROM " + list + wo, "SELECT " + sl + ` FROM "` + list + `"` + wl, outs
	}
	lo, ll, outs := side()
	ro, rl, _ := side()
	op := oneOf(g, " UNION ", " UNION ALL ")
	q := rquery{our: lo + op + ro, lite: ll + op + rl, kinds: kindsOf(outs), foldCase: op == " UNION "}
	if g.chance(0.3) {
		var o []string
		for _, i := range g.r.Perm(len(kinds)) {
			o = append(o, strconv.Itoa(i+1)+oneOf(g, "", " DESC"))
		}
		ob := " ORDER BY " + strings.Join(o, ", ")
		if g.chance(0.5) {
			ob += fmt.Sprintf(" LIMIT %d", g.pick(30))
		}
		q.our, q.lite, q.ordered, q.foldCase = q.our+ob, q.lite+ob, true, true
	}
	q.ourArgs, q.liteArgs = g.ourArgs, g.liteArgs
	return q
}

// subquery returns x [NOT] IN (SELECT …) for an expression of the outer
// list: customer IDs and names against Orders' lookup, and back. Orders'
// CustomerId has NULLs, so NOT IN (SELECT CustomerId FROM Orders) is
// never true, as SQL says.
func (g *rgen) subquery(outer *rtable) rp {
	not := oneOf(g, "IN", "IN", "NOT IN")
	osc := &rscope{tabs: []*rtable{outer}}
	var x rx
	var inner *rtable
	var col string
	if outer == g.env.orders {
		inner = g.env.customers
		if g.chance(0.7) {
			x, col = g.column(osc, outer, outer.col("CustomerId")), "ID"
		} else {
			x, col = g.column(osc, outer, outer.col("Customer")), "Title"
		}
	} else {
		inner = g.env.orders
		if g.chance(0.7) {
			x, col = g.column(osc, outer, outer.col("ID")), "CustomerId"
		} else {
			x, col = g.column(osc, outer, outer.col("Title")), "Customer"
		}
	}
	isc := &rscope{tabs: []*rtable{inner}}
	wo, wl := "", ""
	if g.chance(0.8) {
		p := g.pred(isc, g.pick(3))
		wo, wl = " WHERE "+p.our, " WHERE "+p.lite
		if g.chance(0.3) {
			wo, wl = wo+" AND "+col+" IS NOT NULL", wl+` AND "`+col+`" IS NOT NULL`
		}
	}
	return rp{x.our + " " + not + " (SELECT " + col + " FROM " + inner.name + wo + ")",
		x.lite + " " + not + ` (SELECT "` + col + `" FROM "` + inner.name + `"` + wl + ")"}
}

// genInSubquery: a single-list SELECT filtered by an IN subquery and
// perhaps another condition.
func (g *rgen) genInSubquery() rquery {
	sc, list := g.single()
	tb := sc.tabs[0]
	sc.quoted = false
	// Generated in textual order, for the placeholders' sake.
	g.argsOK = true
	var w rp
	switch g.pick(4) {
	case 0:
		p := g.pred(sc, 1)
		s := g.subquery(tb)
		w = rp{"(" + p.our + ") AND " + s.our, "(" + p.lite + ") AND " + s.lite}
	case 1:
		s := g.subquery(tb)
		p := g.pred(sc, 1)
		w = rp{"(" + s.our + " OR " + p.our + ")", "(" + s.lite + " OR " + p.lite + ")"}
	case 2:
		s := g.subquery(tb)
		w = rp{"NOT (" + s.our + ")", "NOT (" + s.lite + ")"}
	default:
		w = g.subquery(tb)
	}
	g.argsOK = false
	id := g.column(sc, tb, 0)
	outs := []out{{x: id}}
	for range g.pick(3) {
		outs = append(outs, out{x: g.scalar(sc, func(rcol) bool { return true }, 1), alias: fmt.Sprintf("e%d", len(outs))})
	}
	so, sl := selectList(outs)
	q := rquery{our: "SELECT " + so + " FROM " + list + " WHERE " + w.our, lite: "SELECT " + sl + ` FROM "` + list + `" WHERE ` + w.lite, kinds: kindsOf(outs)}
	if g.chance(0.3) {
		oo, ol := g.orderLimit(nil, []rx{id})
		q.our, q.lite, q.ordered = q.our+oo, q.lite+ol, true
	}
	q.ourArgs, q.liteArgs = g.ourArgs, g.liteArgs
	return q
}

// rval is a result value normalised for comparison: NULL, a number
// (int64, float64 and bool alike) or text (times in their text form).
type rval struct {
	null, num bool
	f         float64
	s         string
}

func normalise(v any, k rkind, fold bool) rval {
	switch x := v.(type) {
	case nil:
		return rval{null: true}
	case bool:
		return rval{num: true, f: float64(boolInt(x))}
	case int64:
		return rval{num: true, f: float64(x)}
	case float64:
		return rval{num: true, f: x}
	case time.Time:
		return rval{s: timeText(x, k)}
	case []byte:
		v = string(x)
	}
	s := fmt.Sprint(v)
	if fold {
		s = strings.ToLower(s)
	}
	return rval{s: s}
}

func (v rval) String() string {
	switch {
	case v.null:
		return "NULL"
	case v.num:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	}
	return strconv.Quote(v.s)
}

// sameVal compares numbers with a relative tolerance (SUM and AVG of
// floats add in different orders; SQLite's SUM compensates rounding) and
// everything else exactly.
func sameVal(a, b rval) bool {
	switch {
	case a.null || b.null:
		return a.null == b.null
	case a.num != b.num:
		return false
	case a.num:
		return a.f == b.f || math.Abs(a.f-b.f) <= 1e-9*math.Max(math.Abs(a.f), math.Abs(b.f))+1e-9
	}
	return a.s == b.s
}

func sameRow(a, b []rval) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameVal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func cmpRval(a, b rval) int {
	rank := func(v rval) int {
		switch {
		case v.null:
			return 0
		case v.num:
			return 1
		}
		return 2
	}
	if c := rank(a) - rank(b); c != 0 {
		return c
	}
	if a.num {
		return cmp.Compare(a.f, b.f)
	}
	return strings.Compare(a.s, b.s)
}

func cmpRows(a, b []rval) int {
	for i := range min(len(a), len(b)) {
		if c := cmpRval(a[i], b[i]); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// sameResult compares ours with the oracle's rows: in order, or as
// multisets (sorted, then matched one by one when the tolerance lets
// near-equal numbers sort differently). It returns the index of a
// differing row when they differ.
func sameResult(got, want [][]rval, ordered bool) (int, bool) {
	if !ordered {
		got, want = slices.Clone(got), slices.Clone(want)
		slices.SortFunc(got, cmpRows)
		slices.SortFunc(want, cmpRows)
	}
	at := -1
	for i := range max(len(got), len(want)) {
		if i >= len(got) || i >= len(want) || !sameRow(got[i], want[i]) {
			at = i
			break
		}
	}
	if at < 0 {
		return 0, true
	}
	if ordered || len(got) != len(want) {
		return at, false
	}
	used := make([]bool, len(want))
next:
	for i, r := range got {
		for j, w := range want {
			if !used[j] && sameRow(r, w) {
				used[j] = true
				continue next
			}
		}
		return i, false
	}
	return 0, true
}

func scanNormalised(run queryRunner, q string, args []any, kinds []rkind, fold bool) ([][]rval, error) {
	all, err := run.QueryRows(q, args...)
	if err != nil {
		return nil, err
	}
	out := make([][]rval, len(all))
	for i, r := range all {
		if len(r) != len(kinds) {
			return nil, fmt.Errorf("%d columns, want %d", len(r), len(kinds))
		}
		out[i] = make([]rval, len(r))
		for j, v := range r {
			out[i][j] = normalise(v, kinds[j], fold)
		}
	}
	return out, nil
}

func rvalRow(rows [][]rval, i int) string {
	if i >= len(rows) {
		return "(none)"
	}
	parts := make([]string, len(rows[i]))
	for j, v := range rows[i] {
		parts[j] = v.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// rdiffStats counts a family's cases.
type rdiffStats struct {
	compared, rows atomic.Int64
	endToEnd       atomic.Int64 // cases run through database/sql
}

// runReportCases runs family fam's cases lo..hi-1.
func runReportCases(t *testing.T, env *rdiffEnv, fam string, gen func(*rgen) rquery, lo, hi int, st *rdiffStats) {
	seed := *rdiffSeed
	failures := 0
	for i := lo; i < hi; i++ {
		if *rdiffCase >= 0 && i != *rdiffCase {
			continue
		}
		g := &rgen{r: rand.New(rand.NewPCG(seed, uint64(i)^hashName("rdiff/"+fam))), env: env}
		q := gen(g)
		paged := i%2 == 1 && (fam == "join" || fam == "commajoin")
		var run queryRunner
		level := "in process"
		switch {
		case endToEnd(i) && paged:
			run, level = sqlRunner{env.paged}, "through database/sql"
		case endToEnd(i):
			run, level = sqlRunner{env.our}, "through database/sql"
		case paged:
			run = env.pagedEng
		default:
			run = env.ourEng
		}
		if endToEnd(i) {
			st.endToEnd.Add(1)
		}
		fail := func(format string, a ...any) {
			failures++
			var plan strings.Builder
			for _, l := range explain(t, run, query{sql: q.our, args: q.ourArgs}) {
				plan.WriteString("\n    " + l)
			}
			t.Errorf("seed %d case %d (%s, %s):\n  ours:   %s\n  args:   %#v\n  sqlite: %s\n  args:   %#v\n  %s\n  EXPLAIN:%s\n  rerun: go test -run 'TestReportDifferential/%s/' -rdiff.seed=%d -rdiff.case=%d -v",
				seed, i, fam, level, q.our, q.ourArgs, q.lite, q.liteArgs, fmt.Sprintf(format, a...), plan.String(), fam, seed, i)
		}
		got, err := scanNormalised(run, q.our, q.ourArgs, q.kinds, q.foldCase)
		if err != nil {
			fail("driver error: %v", err)
		} else if want, err := scanNormalised(sqlRunner{env.lite}, q.lite, q.liteArgs, q.kinds, q.foldCase); err != nil {
			fail("SQLite error (a harness bug): %v", err)
		} else if at, ok := sameResult(got, want, q.ordered); !ok {
			how := "as multisets (sorted)"
			if q.ordered {
				how = "in order"
			}
			if !q.ordered {
				slices.SortFunc(got, cmpRows)
				slices.SortFunc(want, cmpRows)
			}
			fail("got %d rows, SQLite %d; compared %s, first difference at row %d:\n  got    %s\n  SQLite %s", len(got), len(want), how, at, rvalRow(got, at), rvalRow(want, at))
		} else {
			st.rows.Add(int64(len(got)))
		}
		st.compared.Add(1)
		if *rdiffCase >= 0 {
			t.Logf("case %d:\n  ours:   %s %#v\n  sqlite: %s %#v\n  %d rows", i, q.our, q.ourArgs, q.lite, q.liteArgs, len(got))
		}
		if failures >= 10 {
			t.Fatalf("stopping after %d differences", failures)
		}
	}
}

func TestReportDifferential(t *testing.T) {
	const customers, orders = 200, 3000
	start := time.Now()
	our, srv := openDB(t, rdiffSite(customers, orders))
	paged, err := sql.Open("sharepoint", srv.ConnString()+";WSFetchSize=30")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { paged.Close() })
	ourEng := openEngine(t, srv, srv.ConnString())
	pagedEng := openEngine(t, srv, srv.ConnString()+";WSFetchSize=30")
	lite, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "oracle.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	env := &rdiffEnv{our: our, lite: lite, paged: paged, ourEng: ourEng, pagedEng: pagedEng,
		customers: &rtable{name: "Customers", cols: rdiffCustomerCols},
		orders:    &rtable{name: "Orders", cols: rdiffOrderCols},
	}
	if res, err := our.Exec(fmt.Sprintf("DELETE FROM Customers WHERE ID > %d", customers)); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != rdiffGone {
		t.Fatalf("deleted %d customers, want %d", n, rdiffGone)
	}
	rdiffLoad(t, env, env.customers, customers)
	rdiffLoad(t, env, env.orders, orders)
	// The data has what the comparisons need: orders whose lookup points
	// at a deleted customer, Code values that differ only in case, Label
	// values with spaces for TRIM.
	var dangling, padded int
	codes := map[string]map[string]bool{}
	for _, r := range env.orders.rows {
		if r[env.orders.col("CustomerId")] != nil && r[env.orders.col("Customer")] == nil {
			dangling++
		}
		if l, _ := r[env.orders.col("Label")].(string); strings.TrimSpace(l) != l {
			padded++
		}
		if c, ok := r[env.orders.col("Code")].(string); ok {
			if codes[strings.ToLower(c)] == nil {
				codes[strings.ToLower(c)] = map[string]bool{}
			}
			codes[strings.ToLower(c)][c] = true
		}
	}
	if dangling == 0 || padded == 0 || len(codes["ak-10"]) < 2 {
		t.Fatalf("the data lacks orders of a deleted customer (%d), padded labels (%d) or codes differing in case (%v)", dangling, padded, codes["ak-10"])
	}
	if _, err := lite.Exec(`CREATE INDEX orders_customer ON "Orders" ("CustomerId")`); err != nil {
		t.Fatal(err)
	}
	rdiffProbe(t, env)
	t.Logf("set-up: %v", time.Since(start).Round(time.Millisecond))
	if raceEnabled && *rdiffN == 0 && !testing.Short() {
		t.Logf("race detector on: 1/%d of each family's queries (-rdiff.n sets the number)", rdiffRaceDivisor)
	}

	want := map[string]bool{}
	for _, f := range strings.Split(*rdiffFamilies, ",") {
		if f = strings.TrimSpace(f); f != "" {
			want[f] = true
		}
	}
	var total, endToEndTotal atomic.Int64
	for _, fam := range reportConstructs {
		if len(want) > 0 && !want[fam.name] {
			continue
		}
		t.Run(fam.name, func(t *testing.T) {
			n := fam.n
			switch {
			case *rdiffN > 0:
				n = *rdiffN
			case testing.Short():
				n /= 10
			case raceEnabled:
				n /= rdiffRaceDivisor
			case !*diffFull:
				n /= 4
			}
			st := new(rdiffStats)
			famStart := time.Now()
			t.Run("cases", func(t *testing.T) {
				const shard = 50
				for lo := 0; lo < n; lo += shard {
					hi := min(lo+shard, n)
					t.Run(fmt.Sprintf("%d-%d", lo, hi-1), func(t *testing.T) {
						t.Parallel()
						runReportCases(t, env, fam.name, fam.gen, lo, hi, st)
					})
				}
			})
			c := st.compared.Load()
			total.Add(c)
			endToEndTotal.Add(st.endToEnd.Load())
			t.Logf("%s: %d queries compared (%d rows; %d through database/sql, the rest in process) in %v",
				fam.name, c, st.rows.Load(), st.endToEnd.Load(), time.Since(famStart).Round(time.Millisecond))
		})
	}
	t.Logf("reporting differential: %d queries compared with SQLite (%d through database/sql, %d in process) in %v",
		total.Load(), endToEndTotal.Load(), total.Load()-endToEndTotal.Load(), time.Since(start).Round(time.Millisecond))
}
