package engine

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
)

// Pushdown: a WHERE conjunct goes to $filter only when SharePoint
// evaluates it exactly as the driver would (see eval.go). The filter is
// built from the typed tree, never from SQL text, and every value goes
// through odataLiteral: a parameter can only ever be one quoted literal.
//
// NOT is never emitted: it is pushed down to the comparisons (inverted
// operators, De Morgan), which is exact in SQL's three-valued logic
// because each emitted comparison is false, never true, on NULL, and a
// formula of AND and OR over such comparisons is true exactly when the
// SQL formula is. Two cases would break that and stay in the driver:
// negations that are true on NULL (IS NOT TRUE, NOT LIKE, which OData
// would write as "not substringof" and answer true on NULL) and anything
// involving a NULL constant.
//
// "ne" is sent as (X ne v and X ne null): whether SharePoint's ne (CAML
// Neq) matches empty fields is reported both ways; SQL's <> never does,
// and the guard makes the answer right either way.

// Operator precedence of a $filter fragment, for parentheses.
const (
	precAtom = iota
	precAnd
	precOr
)

// maxPushedList caps the $filter text of one IN list, percent-encoded as
// it travels: a longer list is
// checked in the driver, so that a URL stays within what SharePoint's
// front ends accept (IIS's default query string limit is 2,048
// characters; SharePoint Online's own is not documented).
const maxPushedList = 1500

// encodedLen is the length of s in a URL, percent-encoded as the client
// sends it (sharepoint's queryEscape): non-ASCII and most punctuation
// take three characters a byte.
func encodedLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~,'()/:$*", c) >= 0 {
			n++
		} else {
			n += 3
		}
	}
	return n
}

// odata is a $filter fragment with what it needs from the request.
type odata struct {
	text    string
	prec    int
	expands []string
	fields  []*sharepoint.Field
}

// group renders the fragment for use inside an outer operator of
// precedence outer, in parentheses when it is a different operator.
func (o odata) group(outer int) string {
	if o.prec != precAtom && o.prec != outer {
		return "(" + o.text + ")"
	}
	return o.text
}

func combine(prec int, word string, parts ...odata) odata {
	out := odata{prec: prec}
	texts := make([]string, len(parts))
	for i, p := range parts {
		texts[i] = p.group(prec)
		out.expands = append(out.expands, p.expands...)
		out.fields = append(out.fields, p.fields...)
	}
	out.text = strings.Join(texts, " "+word+" ")
	return out
}

// push translates e (negated when neg) into $filter, or reports false
// when SharePoint cannot evaluate it exactly.
func (pb *planBuilder) push(e *rexpr, neg bool) (odata, bool) {
	o, ok := pushExpr(e, neg)
	if ok {
		for _, x := range o.expands {
			pb.addExpand(x)
		}
		for _, f := range o.fields {
			if f != nil {
				pb.pushedFields = append(pb.pushedFields, f)
			}
		}
	}
	return o, ok
}

func pushExpr(e *rexpr, neg bool) (odata, bool) {
	switch e.op {
	case opAnd, opOr:
		isAnd := (e.op == opAnd) != neg // De Morgan under negation
		l, ok := pushExpr(e.args[0], neg)
		if !ok {
			return odata{}, false
		}
		r, ok := pushExpr(e.args[1], neg)
		if !ok {
			return odata{}, false
		}
		if isAnd {
			return combine(precAnd, "and", l, r), true
		}
		return combine(precOr, "or", l, r), true
	case opNot:
		return pushExpr(e.args[0], !neg)
	case opCmp:
		if e.name == "<=>" {
			return odata{}, false
		}
		col, val, op, ok := columnVsConstant(e.args[0], e.args[1], e.name)
		if !ok {
			return odata{}, false
		}
		if neg {
			op = invertOp[op]
		}
		return atom(col, op, val)
	case opIs:
		if e.args[0].op != opCol {
			return odata{}, false
		}
		col, what := e.args[0].col, e.name
		if neg {
			if strings.HasPrefix(what, "not ") {
				what = strings.TrimPrefix(what, "not ")
			} else {
				what = "not " + what
			}
		}
		switch what {
		case "null", "not null":
			if !col.nullOK {
				return odata{}, false
			}
			op := "eq"
			if what == "not null" {
				op = "ne"
			}
			return odata{text: col.filterName + " " + op + " null", fields: []*sharepoint.Field{col.field}}, true
		case "true", "false":
			if col.typ != tBool {
				return odata{}, false
			}
			return atom(col, "eq", what == "true")
		}
		return odata{}, false // IS NOT TRUE / IS NOT FALSE are true on NULL
	case opLike:
		if e.not != neg || e.args[0].op != opCol || e.args[1].op != opConst {
			return odata{}, false
		}
		col := e.args[0].col
		pat, ok := e.args[1].val.(string)
		if !ok || !col.likeOK {
			return odata{}, false
		}
		var esc rune
		if len(e.args) > 2 {
			if e.args[2].op != opConst {
				return odata{}, false
			}
			var err error
			if esc, err = escapeRune(e.args[2].val); err != nil {
				return odata{}, false
			}
		}
		return likeFilter(col, pat, esc)
	case opIn:
		not := e.not != neg
		x := e.args[0]
		if x.op != opCol {
			return odata{}, false
		}
		var parts []odata
		for _, item := range e.args[1:] {
			if item.op != opConst {
				return odata{}, false
			}
			if item.val == nil {
				if not {
					return odata{}, false // x NOT IN (…, NULL) is never true
				}
				continue // x = NULL is unknown: it adds nothing to an OR
			}
			op := "eq"
			if not {
				op = "ne"
			}
			a, ok := atom(x.col, op, item.val)
			if !ok {
				return odata{}, false
			}
			parts = append(parts, a)
		}
		if len(parts) == 0 {
			return odata{}, false
		}
		word, prec := "or", precOr
		if not {
			word, prec = "and", precAnd
		}
		o := combine(prec, word, parts...)
		if encodedLen(o.text) > maxPushedList {
			return odata{}, false // checked in the driver instead
		}
		return o, true
	case opBetween:
		not := e.not != neg
		x, lo, hi := e.args[0], e.args[1], e.args[2]
		if x.op != opCol || lo.op != opConst || hi.op != opConst || lo.val == nil || hi.val == nil {
			return odata{}, false
		}
		ops := [2]string{"ge", "le"}
		if not {
			ops = [2]string{"lt", "gt"}
		}
		a, ok1 := atom(x.col, ops[0], lo.val)
		b, ok2 := atom(x.col, ops[1], hi.val)
		if !ok1 || !ok2 {
			return odata{}, false
		}
		if not {
			return combine(precOr, "or", a, b), true
		}
		return combine(precAnd, "and", a, b), true
	case opCol:
		// A Boolean column used as a condition: WHERE Done, WHERE NOT Done.
		if e.col.typ != tBool {
			return odata{}, false
		}
		return atom(e.col, "eq", !neg)
	}
	return odata{}, false
}

var (
	sqlToOData = map[string]string{"=": "eq", "<>": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
	invertOp   = map[string]string{"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "gt": "le", "le": "gt"}
	flipOp     = map[string]string{"eq": "eq", "ne": "ne", "lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}
)

// columnVsConstant matches "column op constant" in either order.
func columnVsConstant(l, r *rexpr, sqlOp string) (*column, any, string, bool) {
	op, ok := sqlToOData[sqlOp]
	if !ok {
		return nil, nil, "", false
	}
	switch {
	case l.op == opCol && r.op == opConst:
		return l.col, r.val, op, true
	case l.op == opConst && r.op == opCol:
		return r.col, l.val, flipOp[op], true
	}
	return nil, nil, "", false
}

// atom renders "column op value" if SharePoint supports it for the
// column's type and the value has an exact literal.
func atom(col *column, op string, v any) (odata, bool) {
	if v == nil || !col.pushOps[op] {
		return odata{}, false
	}
	lit, ok := odataLiteral(col, v)
	if !ok {
		return odata{}, false
	}
	o := odata{text: col.filterName + " " + op + " " + lit, fields: []*sharepoint.Field{col.field}}
	if col.expand != "" {
		o.expands = []string{col.expand}
	}
	if op == "ne" && !col.neverNull {
		o.text = "(" + o.text + " and " + col.filterName + " ne null)"
	}
	return o, true
}

// likeFilter pushes LIKE patterns SharePoint can evaluate: no wildcard
// (eq), 'abc%' (startswith), '%abc%' (substringof); '%' alone matches
// every non-NULL value. Any other use of % or _ stays in the driver.
func likeFilter(col *column, pattern string, esc rune) (odata, bool) {
	var text []rune
	var wild []bool // per position: an unescaped % (true) or a literal rune
	pr := []rune(pattern)
	for i := 0; i < len(pr); i++ {
		switch r := pr[i]; {
		case esc != 0 && r == esc:
			if i+1 >= len(pr) {
				return odata{}, false
			}
			i++
			text, wild = append(text, pr[i]), append(wild, false)
		case r == '_':
			return odata{}, false
		case r == '%':
			text, wild = append(text, r), append(wild, true)
		default:
			text, wild = append(text, r), append(wild, false)
		}
	}
	lead, trail := 0, len(wild)
	for lead < len(wild) && wild[lead] {
		lead++
	}
	for trail > lead && wild[trail-1] {
		trail--
	}
	for _, w := range wild[lead:trail] {
		if w {
			return odata{}, false // a % in the middle
		}
	}
	core := string(text[lead:trail])
	fields := []*sharepoint.Field{col.field}
	switch {
	case lead == 0 && trail == len(wild): // no wildcard at all
		return atom(col, "eq", core)
	case core == "":
		return odata{text: col.filterName + " ne null", fields: fields}, true
	case lead == 0:
		return odata{text: "startswith(" + col.filterName + "," + quoteOData(core) + ")", fields: fields}, true
	case trail < len(wild):
		return odata{text: "substringof(" + quoteOData(core) + "," + col.filterName + ")", fields: fields}, true
	}
	return odata{}, false // '%abc' would need endswith, which SharePoint lacks
}

// odataLiteral renders v as an OData literal for col, or false when no
// literal means exactly v to SharePoint.
func odataLiteral(col *column, v any) (string, bool) {
	switch col.typ {
	case tString:
		s, ok := v.(string)
		// SharePoint stores an empty text as NULL; "= ''" is left to the
		// driver, where it is simply never true.
		if !ok || s == "" {
			return "", false
		}
		return quoteOData(s), true
	case tInt:
		switch x := v.(type) {
		case int64:
			return strconv.FormatInt(x, 10), true
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return strconv.FormatInt(int64(x), 10), true
			}
		}
	case tFloat:
		switch x := v.(type) {
		case int64:
			return strconv.FormatInt(x, 10), true
		case float64:
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				return strconv.FormatFloat(x, 'f', -1, 64), true
			}
		}
	case tTime:
		if t, ok := v.(time.Time); ok && t.Nanosecond() == 0 {
			// SharePoint keeps whole seconds; a fractional bound would
			// need rounding that depends on the operator.
			return "datetime'" + t.UTC().Format("2006-01-02T15:04:05Z") + "'", true
		}
	case tBool:
		if b, ok := v.(bool); ok {
			// 1/0, never true/false: on list items "eq true" returns the
			// opposite rows (docs/sharepoint.md §4.3).
			if b {
				return "1", true
			}
			return "0", true
		}
	}
	return "", false
}

// quoteOData quotes a string literal: ' is doubled, nothing else needs
// escaping inside the quotes (the client percent-encodes the URL).
func quoteOData(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
