package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// The evaluator: what runs in the driver. Its semantics match SharePoint
// where both can evaluate a predicate, so that moving a predicate between
// $filter and the driver never changes an answer:
//
//   - NULL is SQL's: a comparison with NULL is unknown, NOT unknown is
//     unknown, AND/OR are Kleene's, WHERE keeps only true rows.
//   - Strings compare case-insensitively (=, <, LIKE, IN, ORDER BY,
//     DISTINCT), as SharePoint's $filter and $orderby do. Ordering
//     compares lower-cased code points; SharePoint uses the site's
//     collation, which can order accents and punctuation differently.
//   - Numbers compare across int64 and float64; times as instants.
//   - Multi-value columns (MultiChoice, LookupMulti, UserMulti, taxonomy
//     sets) are their JSON array text (["Red","Blue"]), as the rows show
//     them; an empty set is NULL. Hyperlinks are their URL, taxonomy
//     values their label.
//   - YEAR, MONTH, DAY and DATE read times in UTC, except date-only
//     fields, which are read in the site's time zone (Options.Location),
//     where SharePoint stores them as midnight.
//   - Functions follow MySQL where it is exact and say so where it is
//     not (castValue, substring, roundFloat; doc.go lists them).

// sqlType is the static type of an expression.
type sqlType int

const (
	tNull sqlType = iota // NULL, or not known until run time
	tString
	tInt
	tFloat
	tTime
	tBool
)

func (t sqlType) String() string {
	return [...]string{"NULL", "TEXT", "INTEGER", "NUMBER", "DATETIME", "BOOLEAN"}[t]
}

func (t sqlType) numeric() bool { return t == tInt || t == tFloat }

func sqlTypeOf(v sharepoint.ValueType) sqlType {
	switch v {
	case sharepoint.ValueInt:
		return tInt
	case sharepoint.ValueFloat:
		return tFloat
	case sharepoint.ValueTime:
		return tTime
	case sharepoint.ValueBool:
		return tBool
	}
	return tString
}

func typeOfValue(v any) sqlType {
	switch v.(type) {
	case string:
		return tString
	case int64:
		return tInt
	case float64:
		return tFloat
	case time.Time:
		return tTime
	case bool:
		return tBool
	}
	return tNull
}

// rop is a resolved expression's operator.
type rop int

const (
	opCol rop = iota
	opConst
	opCmp
	opAnd
	opOr
	opNot
	opIs
	opLike
	opIn
	opBetween
	opArith
	opNeg
	opFunc
	opAgg   // an aggregate; BuildQuery replaces it by its grouped value
	opInSub // x [NOT] IN (SELECT …), against the subquery's values
	opCase  // args: ELSE value, then WHEN condition and THEN value pairs
	opCast  // name: the target type; val: CHAR's length or DECIMAL's scale (int64), or nil
)

// rexpr is a resolved, typed expression: columns are bound to the fetched
// row, placeholders to their values.
type rexpr struct {
	op   rop
	name string // comparison operator, IS what, arithmetic operator, function, CAST type
	args []*rexpr
	col  *column
	val  any
	not  bool
	typ  sqlType
	text string // SQL text with values substituted, for Explain

	distinct bool      // opAgg: COUNT(DISTINCT x)…
	sub      *subquery // opInSub
}

// read returns a column's value as the evaluator sees it (see the top of
// this file).
func (c *column) read(row []any) (any, error) {
	if c.idx < 0 || c.idx >= len(row) {
		return nil, fmt.Errorf("spsql: internal error: column %s is not in the fetched row", c.sel)
	}
	return normaliseValue(row[c.idx], c)
}

func normaliseValue(v any, c *column) (any, error) {
	// Scalars are returned as the interface they came in: re-boxing
	// would allocate for every value of every row a query evaluates.
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string, int64, float64, bool:
		return v, nil
	case time.Time:
		if c != nil && c.dateOnly && c.loc != nil {
			return x.In(c.loc), nil
		}
		if x.Location() == time.UTC {
			return v, nil
		}
		return x.UTC(), nil
	case []string:
		if len(x) == 0 {
			return nil, nil
		}
		return JSONArray(x), nil
	case []int64:
		if len(x) == 0 {
			return nil, nil
		}
		return JSONArray(x), nil
	case sharepoint.URLValue:
		s := x.URL
		if c != nil && c.kind == colURLDesc {
			s = x.Description
		}
		if s == "" {
			return nil, nil
		}
		return s, nil
	case *sharepoint.URLValue:
		if x == nil {
			return nil, nil
		}
		return normaliseValue(*x, c)
	case sharepoint.TaxonomyValue:
		if x.Label == "" {
			return nil, nil
		}
		return x.Label, nil
	case *sharepoint.TaxonomyValue:
		if x == nil {
			return nil, nil
		}
		return normaliseValue(*x, c)
	case []sharepoint.TaxonomyValue:
		if len(x) == 0 {
			return nil, nil
		}
		labels := make([]string, len(x))
		for i, t := range x {
			labels[i] = t.Label
		}
		return JSONArray(labels), nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float32:
		return float64(x), nil
	}
	return nil, fmt.Errorf("spsql: unexpected value of type %T in the fetched row", v)
}

// JSONArray renders a multi-value ([]string, []int64) as the JSON array
// text the driver shows for it, without HTML escaping (["R&D"], not
// ["R\u0026D"]). The root package uses it too, so that what a query
// compares is what its rows show.
func JSONArray(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// eval evaluates e over a fetched row. Predicates yield true, false or
// nil (unknown).
func (e *rexpr) eval(row []any) (any, error) {
	switch e.op {
	case opConst:
		return e.val, nil
	case opCol:
		return e.col.read(row)
	case opAnd, opOr:
		l, err := e.args[0].eval(row)
		if err != nil {
			return nil, err
		}
		// Short-circuit only on the deciding value, as Kleene's logic
		// allows: false AND x is false, true OR x is true.
		if l == (e.op == opOr) {
			return l, nil
		}
		r, err := e.args[1].eval(row)
		if err != nil {
			return nil, err
		}
		if r == (e.op == opOr) {
			return r, nil
		}
		if l == nil || r == nil {
			return nil, nil
		}
		return e.op == opOr && (l == true || r == true) || e.op == opAnd && l == true && r == true, nil
	case opNot:
		v, err := e.args[0].eval(row)
		if err != nil || v == nil {
			return nil, err
		}
		b, err := asBool(v)
		return !b, err
	case opCmp:
		l, err := e.args[0].eval(row)
		if err != nil {
			return nil, err
		}
		r, err := e.args[1].eval(row)
		if err != nil {
			return nil, err
		}
		if e.name == "<=>" {
			if l == nil || r == nil {
				return l == nil && r == nil, nil
			}
			c, err := compareValues(l, r)
			return c == 0, err
		}
		if l == nil || r == nil {
			return nil, nil
		}
		c, err := compareValues(l, r)
		if err != nil {
			return nil, err
		}
		return cmpResult(e.name, c), nil
	case opIs:
		v, err := e.args[0].eval(row)
		if err != nil {
			return nil, err
		}
		switch e.name {
		case "null":
			return v == nil, nil
		case "not null":
			return v != nil, nil
		}
		if v == nil {
			return strings.HasPrefix(e.name, "not "), nil
		}
		b, err := asBool(v)
		if err != nil {
			return nil, err
		}
		want := strings.TrimPrefix(e.name, "not ") == "true"
		return (b == want) != strings.HasPrefix(e.name, "not "), nil
	case opLike:
		v, err := e.args[0].eval(row)
		if err != nil {
			return nil, err
		}
		p, err := e.args[1].eval(row)
		if err != nil {
			return nil, err
		}
		var esc any
		if len(e.args) > 2 {
			if esc, err = e.args[2].eval(row); err != nil {
				return nil, err
			}
		}
		if v == nil || p == nil {
			return nil, nil
		}
		s, ok1 := v.(string)
		pat, ok2 := p.(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("spsql: LIKE compares text, got %s LIKE %s", typeOfValue(v), typeOfValue(p))
		}
		escRune, err := escapeRune(esc)
		if err != nil {
			return nil, err
		}
		m, err := likeMatch(s, pat, escRune)
		if err != nil {
			return nil, err
		}
		return m != e.not, nil
	case opIn:
		v, err := e.args[0].eval(row)
		if err != nil || v == nil {
			return nil, err
		}
		unknown := false
		for _, x := range e.args[1:] {
			w, err := x.eval(row)
			if err != nil {
				return nil, err
			}
			if w == nil {
				unknown = true
				continue
			}
			c, err := compareValues(v, w)
			if err != nil {
				return nil, err
			}
			if c == 0 {
				return !e.not, nil
			}
		}
		if unknown {
			return nil, nil
		}
		return e.not, nil
	case opBetween:
		var vals [3]any
		for i := range vals {
			v, err := e.args[i].eval(row)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		if vals[0] == nil {
			return nil, nil
		}
		var ge, le any // each true, false or nil
		if vals[1] != nil {
			c, err := compareValues(vals[0], vals[1])
			if err != nil {
				return nil, err
			}
			ge = c >= 0
		}
		if vals[2] != nil {
			c, err := compareValues(vals[0], vals[2])
			if err != nil {
				return nil, err
			}
			le = c <= 0
		}
		var in any
		switch {
		case ge == false || le == false:
			in = false
		case ge == nil || le == nil:
			in = nil
		default:
			in = true
		}
		if in == nil {
			return nil, nil
		}
		return in.(bool) != e.not, nil
	case opArith:
		l, err := e.args[0].eval(row)
		if err != nil {
			return nil, err
		}
		r, err := e.args[1].eval(row)
		if err != nil || l == nil || r == nil {
			return nil, err
		}
		return arith(e.name, l, r)
	case opNeg:
		v, err := e.args[0].eval(row)
		if err != nil || v == nil {
			return nil, err
		}
		switch x := v.(type) {
		case int64:
			if x == math.MinInt64 {
				return nil, errors.New("spsql: integer overflow in -")
			}
			return -x, nil
		case float64:
			return -x, nil
		}
		return nil, fmt.Errorf("spsql: cannot negate %s", typeOfValue(v))
	case opFunc:
		return e.call(row)
	case opInSub:
		v, err := e.args[0].eval(row)
		if err != nil {
			return nil, err
		}
		return e.sub.contains(v, e.not)
	case opAgg:
		return nil, fmt.Errorf("spsql: internal error: aggregate %s evaluated outside its grouping", e.text)
	case opCase:
		// The first WHEN whose condition is true (not unknown) wins.
		for i := 1; i+1 < len(e.args); i += 2 {
			c, err := e.args[i].eval(row)
			if err != nil {
				return nil, err
			}
			if c == true {
				v, err := e.args[i+1].eval(row)
				return conform(v, e.typ), err
			}
		}
		v, err := e.args[0].eval(row)
		return conform(v, e.typ), err
	case opCast:
		v, err := e.args[0].eval(row)
		if err != nil || v == nil {
			return nil, err
		}
		return castValue(v, e.name, e.val)
	}
	return nil, fmt.Errorf("spsql: internal error: unknown operator %d", e.op)
}

// truth evaluates a predicate for WHERE: only true keeps the row.
func (e *rexpr) truth(row []any) (bool, error) {
	v, err := e.eval(row)
	if err != nil {
		return false, err
	}
	return v == true, nil
}

func asBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case float64:
		return x != 0, nil
	}
	return false, fmt.Errorf("spsql: %s is not a condition", typeOfValue(v))
}

func cmpResult(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "<>":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// compareValues orders two non-NULL values of compatible types. Strings
// compare case-insensitively; int64 and float64 compare as numbers;
// booleans as 0 and 1 (false < true), also against numbers; a string
// against a time is read as a time.
func compareValues(a, b any) (int, error) {
	switch x := a.(type) {
	case string:
		switch y := b.(type) {
		case string:
			return compareFold(x, y), nil
		case time.Time:
			t, err := parseTime(x, time.UTC)
			if err != nil {
				return 0, err
			}
			return t.Compare(y), nil
		}
	case int64:
		switch y := b.(type) {
		case int64:
			return cmpOrdered(x, y), nil
		case float64:
			return compareIntFloat(x, y), nil
		case bool:
			return cmpOrdered(x, boolInt(y)), nil
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return cmpOrdered(x, y), nil
		case int64:
			return -compareIntFloat(y, x), nil
		case bool:
			return cmpOrdered(x, float64(boolInt(y))), nil
		}
	case bool:
		switch y := b.(type) {
		case bool:
			return cmpOrdered(boolInt(x), boolInt(y)), nil
		case int64, float64:
			c, err := compareValues(b, a)
			return -c, err
		}
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Compare(y), nil
		case string:
			c, err := compareValues(b, a)
			return -c, err
		}
	}
	return 0, fmt.Errorf("spsql: cannot compare %s with %s", typeOfValue(a), typeOfValue(b))
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareIntFloat compares exactly, without rounding large int64s.
func compareIntFloat(i int64, f float64) int {
	if math.IsNaN(f) {
		return 1
	}
	if f >= 9.3e18 {
		return -1
	}
	if f <= -9.3e18 {
		return 1
	}
	fi := int64(math.Floor(f))
	if c := cmpOrdered(i, fi); c != 0 {
		return c
	}
	if float64(fi) < f {
		return -1
	}
	return 0
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// compareFold compares strings case-insensitively: by their lower-cased
// code points.
func compareFold(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		la, lb := foldRune(ra), foldRune(rb)
		if la != lb {
			if la < lb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	return cmpOrdered(int64(len(a)), int64(len(b)))
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	return []rune(strings.ToLower(string(r)))[0]
}

// likeMatch matches SQL LIKE: % any run, _ one character, esc (if not 0)
// makes the next character literal. Case-insensitive, as SharePoint's
// startswith and substringof are.
func likeMatch(s, pattern string, esc rune) (bool, error) {
	type piece struct {
		r   rune
		any bool // %
		one bool // _
	}
	var pat []piece
	pr := []rune(pattern)
	for i := 0; i < len(pr); i++ {
		switch r := pr[i]; {
		case esc != 0 && r == esc:
			if i+1 >= len(pr) {
				return false, errors.New("spsql: LIKE pattern ends with its escape character")
			}
			i++
			pat = append(pat, piece{r: foldRune(pr[i])})
		case r == '%':
			pat = append(pat, piece{any: true})
		case r == '_':
			pat = append(pat, piece{one: true})
		default:
			pat = append(pat, piece{r: foldRune(r)})
		}
	}
	str := []rune(s)
	for i := range str {
		str[i] = foldRune(str[i])
	}
	// Iterative matching with backtracking to the last %: linear in
	// practice, never exponential.
	si, pi, starP, starS := 0, 0, -1, 0
	for si < len(str) {
		switch {
		case pi < len(pat) && !pat[pi].any && (pat[pi].one || pat[pi].r == str[si]):
			si++
			pi++
		case pi < len(pat) && pat[pi].any:
			starP, starS = pi, si
			pi++
		case starP >= 0:
			starS++
			si, pi = starS, starP+1
		default:
			return false, nil
		}
	}
	for pi < len(pat) && pat[pi].any {
		pi++
	}
	return pi == len(pat), nil
}

func escapeRune(v any) (rune, error) {
	if v == nil {
		return 0, nil
	}
	s, ok := v.(string)
	if !ok || utf8.RuneCountInString(s) != 1 {
		return 0, errors.New("spsql: ESCAPE takes a single character")
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r, nil
}

// arith applies + - * / % to two non-NULL numbers. Integers stay
// integers except for /, which always divides exactly (a float64);
// overflow and division by zero are errors, not wrong numbers.
func arith(op string, l, r any) (any, error) {
	li, lInt := l.(int64)
	ri, rInt := r.(int64)
	if lInt && rInt && op != "/" {
		switch op {
		case "+":
			s := li + ri
			if (s > li) != (ri > 0) {
				return nil, errors.New("spsql: integer overflow in +")
			}
			return s, nil
		case "-":
			s := li - ri
			if (s < li) != (ri > 0) {
				return nil, errors.New("spsql: integer overflow in -")
			}
			return s, nil
		case "*":
			if li == 0 || ri == 0 {
				return int64(0), nil
			}
			p := li * ri
			if p/ri != li || (li == -1 && ri == math.MinInt64) || (ri == -1 && li == math.MinInt64) {
				return nil, errors.New("spsql: integer overflow in *")
			}
			return p, nil
		case "%":
			if ri == 0 {
				return nil, errors.New("spsql: division by zero")
			}
			if ri == -1 {
				return int64(0), nil
			}
			return li % ri, nil
		}
	}
	lf, ok1 := toFloat(l)
	rf, ok2 := toFloat(r)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("spsql: %s needs numbers, got %s and %s", op, typeOfValue(l), typeOfValue(r))
	}
	switch op {
	case "+":
		return lf + rf, nil
	case "-":
		return lf - rf, nil
	case "*":
		return lf * rf, nil
	case "/":
		if rf == 0 {
			return nil, errors.New("spsql: division by zero")
		}
		return lf / rf, nil
	case "%":
		if rf == 0 {
			return nil, errors.New("spsql: division by zero")
		}
		return math.Mod(lf, rf), nil
	}
	return nil, fmt.Errorf("spsql: unknown operator %s", op)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// call evaluates a scalar function.
func (e *rexpr) call(row []any) (any, error) {
	args := make([]any, len(e.args))
	for i, a := range e.args {
		// COALESCE and IFNULL stop at the first non-NULL argument.
		if e.name == "COALESCE" || e.name == "IFNULL" {
			v, err := a.eval(row)
			if err != nil {
				return nil, err
			}
			if v != nil {
				return conform(v, e.typ), nil
			}
			continue
		}
		v, err := a.eval(row)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, nil // every other function is NULL on a NULL argument
		}
		args[i] = v
	}
	switch e.name {
	case "COALESCE", "IFNULL":
		return nil, nil
	case "CONCAT":
		var b strings.Builder
		for _, a := range args {
			b.WriteString(textOf(a))
		}
		return b.String(), nil
	case "ABS":
		switch x := args[0].(type) {
		case int64:
			if x == math.MinInt64 {
				return nil, errors.New("spsql: integer overflow in ABS")
			}
			if x < 0 {
				return -x, nil
			}
			return x, nil
		case float64:
			return math.Abs(x), nil
		}
		return nil, fmt.Errorf("spsql: ABS needs a number, got %s", typeOfValue(args[0]))
	case "ROUND":
		digits := int64(0)
		if len(args) > 1 {
			d, ok := args[1].(int64)
			if !ok {
				return nil, fmt.Errorf("spsql: ROUND needs a whole number of digits, got %s", typeOfValue(args[1]))
			}
			digits = d
		}
		switch x := args[0].(type) {
		case int64:
			return roundInt(x, digits)
		case float64:
			return roundFloat(x, digits), nil
		}
		return nil, fmt.Errorf("spsql: ROUND needs a number, got %s", typeOfValue(args[0]))
	case "SUBSTRING", "SUBSTR":
		s, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("spsql: %s needs text, got %s", e.name, typeOfValue(args[0]))
		}
		pos, ok := wholeNumber(args[1])
		length, lenOK := int64(math.MaxInt64), true
		if len(args) > 2 {
			length, lenOK = wholeNumber(args[2])
		}
		if !ok || !lenOK {
			return nil, fmt.Errorf("spsql: %s needs numbers as its position and length", e.name)
		}
		return substring(s, pos, length), nil
	case "YEAR", "MONTH", "DAY", "DAYOFMONTH":
		t, ok := args[0].(time.Time)
		if !ok {
			s, isStr := args[0].(string)
			if !isStr {
				return nil, fmt.Errorf("spsql: %s needs a date, got %s", e.name, typeOfValue(args[0]))
			}
			var err error
			if t, err = parseTime(s, time.UTC); err != nil {
				return nil, err
			}
		}
		switch e.name {
		case "YEAR":
			return int64(t.Year()), nil
		case "MONTH":
			return int64(t.Month()), nil
		}
		return int64(t.Day()), nil
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("spsql: %s needs text, got %s", e.name, typeOfValue(args[0]))
	}
	switch e.name {
	case "LOWER", "LCASE":
		return strings.ToLower(s), nil
	case "UPPER", "UCASE":
		return strings.ToUpper(s), nil
	case "LENGTH", "CHAR_LENGTH":
		return int64(utf8.RuneCountInString(s)), nil // characters, not bytes
	case "TRIM":
		return strings.Trim(s, " "), nil
	case "LTRIM":
		return strings.TrimLeft(s, " "), nil
	case "RTRIM":
		return strings.TrimRight(s, " "), nil
	}
	return nil, fmt.Errorf("spsql: unknown function %s", e.name)
}

// substring is MySQL's SUBSTRING(s, pos, length) in characters: pos
// counts from 1, or from the end when negative; pos 0, a position
// outside s, or a length ≤ 0 give the empty string; a length past the
// end stops there.
func substring(s string, pos, length int64) string {
	r := []rune(s)
	n := int64(len(r))
	var start int64
	switch {
	case pos > 0:
		start = pos - 1
	case pos < 0:
		start = n + pos
	default:
		return ""
	}
	if start < 0 || start >= n || length <= 0 {
		return ""
	}
	end := n
	if length < n-start {
		end = start + length
	}
	return string(r[start:end])
}

// wholeNumber reads a position or length: an integer, or a number rounded
// half away from zero (as MySQL does) and clamped to int64.
func wholeNumber(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		switch r := math.Round(x); {
		case math.IsNaN(r):
			return 0, true
		case r >= math.MaxInt64:
			return math.MaxInt64, true
		case r <= math.MinInt64:
			return math.MinInt64, true
		default:
			return int64(r), true
		}
	}
	return 0, false
}

// roundInt is ROUND of an integer: unchanged for digits ≥ 0, else to a
// multiple of 10^-digits, half away from zero (ROUND(-1250, -2) is
// -1300); a result past int64 is an overflow error.
func roundInt(x, digits int64) (int64, error) {
	if digits >= 0 {
		return x, nil
	}
	if digits < -19 {
		return 0, nil // |x| < 9.3e18, less than half of 10^20
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(-digits), nil)
	q, m := new(big.Int).QuoRem(new(big.Int).Abs(big.NewInt(x)), p, new(big.Int))
	if m.Lsh(m, 1).Cmp(p) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	q.Mul(q, p)
	if x < 0 {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, errors.New("spsql: integer overflow in ROUND")
	}
	return q.Int64(), nil
}

// roundFloat is ROUND of a number to digits decimal places (tens,
// hundreds… when negative), half away from zero. It rounds the shortest
// decimal that reads back as x — the number as written and as shown —
// so ROUND(2.675, 2) is 2.68 as in MySQL, although the float64 nearest
// 2.675 is a little below it.
func roundFloat(x float64, digits int64) float64 {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0) || digits > 400:
		return x // a float64 has no digits that far right
	case digits < -400:
		return 0
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	if !ok {
		return x
	}
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(max(digits, -digits)), nil))
	if digits >= 0 {
		r.Mul(r, p)
	} else {
		r.Quo(r, p)
	}
	num := new(big.Int).Abs(r.Num())
	q, m := num.QuoRem(num, r.Denom(), new(big.Int))
	if m.Lsh(m, 1).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	out := new(big.Rat).SetInt(q)
	if digits >= 0 {
		out.Quo(out, p)
	} else {
		out.Mul(out, p)
	}
	f, _ := out.Float64()
	if x < 0 && f != 0 {
		f = -f // and never -0
	}
	return f
}

// castValue converts a non-NULL value for CAST (resolveCast has checked
// the static type):
//
//   - SIGNED, UNSIGNED: an integer; a number rounds half away from zero
//     (CAST(2.5 AS SIGNED) is 3, as in MySQL); text must be a number
//     (spaces around it allowed) and is then converted as that number —
//     unlike MySQL, which reads a leading number and makes 'abc' 0,
//     other text is an error, since a wrong number in a report is worse
//     than no report; a boolean is 1 or 0. UNSIGNED of a negative
//     number is an error (MySQL wraps it around 2^64).
//   - DECIMAL: a float64, from the same inputs; DECIMAL(m, d) rounds to
//     d places, as ROUND; a DECIMAL without (m, d) — and DOUBLE, FLOAT,
//     REAL, mapped to it — keeps every digit (MySQL's bare DECIMAL
//     would round to a whole number).
//   - CHAR: the value as CONCAT writes it (textOf); CHAR(n) keeps the
//     first n characters.
//   - DATE: midnight UTC of the value's calendar date as the evaluator
//     sees it (a date-only field in the site's zone, other times in
//     UTC, text read as UTC).
//   - DATETIME: the instant, in UTC; text read as parseTime reads it.
func castValue(v any, to string, mod any) (any, error) {
	fn := "CAST AS " + to
	asNumber := func() (any, error) {
		switch x := v.(type) {
		case int64, float64:
			return x, nil
		case bool:
			return boolInt(x), nil
		case string:
			n, ok := parseNumber(x)
			if !ok {
				return nil, fmt.Errorf("spsql: %s: %s is not a number", fn, sqlparse.SQLLiteral(x))
			}
			return n, nil
		}
		return nil, fmt.Errorf("spsql: %s needs a number, text or a boolean, got %s", fn, typeOfValue(v))
	}
	asTime := func() (time.Time, error) {
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			t, err := parseTime(x, time.UTC)
			if err != nil {
				return time.Time{}, fmt.Errorf("%w (in %s)", err, fn)
			}
			return t, nil
		}
		return time.Time{}, fmt.Errorf("spsql: %s needs a date or text, got %s", fn, typeOfValue(v))
	}
	switch to {
	case "SIGNED", "UNSIGNED":
		n, err := asNumber()
		if err != nil {
			return nil, err
		}
		i, ok := n.(int64)
		if f, isFloat := n.(float64); isFloat {
			r := math.Round(f)
			if r >= math.MaxInt64 || r < math.MinInt64 || math.IsNaN(r) {
				return nil, fmt.Errorf("spsql: integer overflow in %s (%s)", fn, textOf(f))
			}
			i, ok = int64(r), true
		}
		if !ok {
			return nil, fmt.Errorf("spsql: internal error: %s of %T", fn, n)
		}
		if to == "UNSIGNED" && i < 0 {
			return nil, fmt.Errorf("spsql: %s: %d is negative", fn, i)
		}
		return i, nil
	case "DECIMAL":
		n, err := asNumber()
		if err != nil {
			return nil, err
		}
		f, _ := toFloat(n)
		if scale, ok := mod.(int64); ok {
			f = roundFloat(f, scale)
		}
		return f, nil
	case "CHAR":
		s := textOf(v)
		if n, ok := mod.(int64); ok && int64(utf8.RuneCountInString(s)) > n {
			s = string([]rune(s)[:n])
		}
		return s, nil
	case "DATE":
		t, err := asTime()
		if err != nil {
			return nil, err
		}
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	case "DATETIME":
		t, err := asTime()
		if err != nil {
			return nil, err
		}
		return t.UTC(), nil
	}
	return nil, fmt.Errorf("spsql: internal error: CAST to %s", to)
}

// parseNumber reads text as a number: an integer if it is one, else a
// decimal (optionally with an exponent), with spaces around it allowed.
// Go's other forms (hexadecimal, underscores, Inf, NaN) are not SQL's
// and are refused.
func parseNumber(s string) (any, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return !strings.ContainsRune("0123456789+-.eE", r) }) {
		return nil, false
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, false
	}
	return f, true
}

// textOf renders a value for CONCAT and CAST AS CHAR.
func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// conform converts an int64 to float64 where the static type is NUMBER
// (COALESCE(intCol, 0.5)), so that a column's values share one Go type.
func conform(v any, t sqlType) any {
	if i, ok := v.(int64); ok && t == tFloat {
		return float64(i)
	}
	return v
}

// parseTime reads a date or date-time literal: RFC 3339, or
// "2006-01-02[ 15:04[:05]]" in loc (UTC, or the site's zone for
// date-only fields).
func parseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("spsql: %q is not a date: use 'YYYY-MM-DD', 'YYYY-MM-DD hh:mm:ss' (UTC) or RFC 3339", s)
}
