package sqlparse

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// binder resolves a Select's expressions against a list: columns through
// the resolver, placeholders to their bound values, with static types
// checked so that a mismatch is an error before any request is sent.
type binder struct {
	r      *resolver
	values map[string]any // placeholder values by bind name

	// columns, when set, resolves column references instead of r: over
	// the lists of a join (BuildQuery).
	columns func(path []string) (*column, string, error)
	// aggregates are allowed (the select list, HAVING and ORDER BY of a
	// grouped query); inAggregate is set inside one's argument.
	aggregates, inAggregate bool
	// subquery plans x IN (SELECT …); nil where subqueries are refused.
	subquery func(sel *Select) (*subquery, error)
}

func (b *binder) resolve(n node) (*rexpr, error) {
	switch n := n.(type) {
	case *colNode:
		resolve := b.r.resolvePath
		if b.columns != nil {
			resolve = b.columns
		}
		c, written, err := resolve(n.path)
		if err != nil {
			return nil, err
		}
		return &rexpr{op: opCol, col: c, typ: c.typ, text: quotePath(written)}, nil
	case *colRefNode:
		c, err := n.get(b.r)
		if err != nil {
			return nil, err
		}
		return &rexpr{op: opCol, col: c, typ: c.typ, text: n.text}, nil
	case *aggNode:
		return b.resolveAggregate(n)
	case *inSubNode:
		if b.subquery == nil {
			return nil, fmt.Errorf("sqlparse: IN (SELECT …) is not allowed here")
		}
		x, err := b.resolve(n.x)
		if err != nil {
			return nil, err
		}
		sq, err := b.subquery(n.sub)
		if err != nil {
			return nil, fmt.Errorf("%w (in the subquery of %s)", err, n.sqlText())
		}
		if !compatible(x.typ, sq.typ) {
			return nil, fmt.Errorf("sqlparse: cannot compare %s (%s) with the subquery's %s", x.text, x.typ, sq.typ)
		}
		return &rexpr{op: opInSub, args: []*rexpr{x}, sub: sq, not: n.not, typ: tBool, text: x.text + not(n.not) + " IN (subquery " + strconv.Itoa(sq.n) + ")"}, nil
	case *litNode:
		return constant(n.v), nil
	case *paramNode:
		v, ok := b.values[n.bind]
		if !ok {
			return nil, fmt.Errorf("sqlparse: internal error: placeholder %s is not bound", n.sqlText())
		}
		return constant(v), nil
	case *andNode, *orNode:
		var l, r node
		op := opAnd
		if a, ok := n.(*andNode); ok {
			l, r = a.l, a.r
		} else {
			o := n.(*orNode)
			l, r, op = o.l, o.r, opOr
		}
		le, err := b.condition(l)
		if err != nil {
			return nil, err
		}
		re, err := b.condition(r)
		if err != nil {
			return nil, err
		}
		word := map[rop]string{opAnd: " AND ", opOr: " OR "}[op]
		return &rexpr{op: op, args: []*rexpr{le, re}, typ: tBool, text: "(" + le.text + word + re.text + ")"}, nil
	case *notNode:
		x, err := b.condition(n.x)
		if err != nil {
			return nil, err
		}
		return &rexpr{op: opNot, args: []*rexpr{x}, typ: tBool, text: "NOT " + x.text}, nil
	case *cmpNode:
		l, err := b.resolve(n.l)
		if err != nil {
			return nil, err
		}
		r, err := b.resolve(n.r)
		if err != nil {
			return nil, err
		}
		if l, r, err = b.coercePair(l, r, n.op); err != nil {
			return nil, err
		}
		return &rexpr{op: opCmp, name: n.op, args: []*rexpr{l, r}, typ: tBool, text: l.text + " " + n.op + " " + r.text}, nil
	case *isNode:
		x, err := b.resolve(n.x)
		if err != nil {
			return nil, err
		}
		if n.what != "null" && n.what != "not null" && x.typ != tBool && x.typ != tNull && !x.typ.numeric() {
			return nil, fmt.Errorf("sqlparse: %s is %s, so IS %s does not apply", x.text, x.typ, strings.ToUpper(n.what))
		}
		return &rexpr{op: opIs, name: n.what, args: []*rexpr{x}, typ: tBool, text: x.text + " IS " + strings.ToUpper(n.what)}, nil
	case *likeNode:
		x, err := b.resolve(n.x)
		if err != nil {
			return nil, err
		}
		p, err := b.resolve(n.pattern)
		if err != nil {
			return nil, err
		}
		args := []*rexpr{x, p}
		text := x.text + not(n.not) + " LIKE " + p.text
		for _, e := range []*rexpr{x, p} {
			if e.typ != tString && e.typ != tNull {
				return nil, fmt.Errorf("sqlparse: LIKE compares text, but %s is %s", e.text, e.typ)
			}
		}
		if n.escape != nil {
			esc, err := b.resolve(n.escape)
			if err != nil {
				return nil, err
			}
			if esc.op != opConst {
				return nil, fmt.Errorf("sqlparse: ESCAPE takes a constant character, got %s", esc.text)
			}
			if _, err := escapeRune(esc.val); err != nil {
				return nil, err
			}
			args = append(args, esc)
			text += " ESCAPE " + esc.text
		}
		return &rexpr{op: opLike, args: args, not: n.not, typ: tBool, text: text}, nil
	case *inNode:
		x, err := b.resolve(n.x)
		if err != nil {
			return nil, err
		}
		args := []*rexpr{x}
		texts := make([]string, 0, len(n.list))
		for _, item := range n.list {
			v, err := b.resolve(item)
			if err != nil {
				return nil, err
			}
			if x, v, err = b.coercePair(x, v, "IN"); err != nil {
				return nil, err
			}
			args[0] = x
			args = append(args, v)
			texts = append(texts, v.text)
		}
		return &rexpr{op: opIn, args: args, not: n.not, typ: tBool, text: x.text + not(n.not) + " IN (" + strings.Join(texts, ", ") + ")"}, nil
	case *betweenNode:
		x, err := b.resolve(n.x)
		if err != nil {
			return nil, err
		}
		lo, err := b.resolve(n.lo)
		if err != nil {
			return nil, err
		}
		hi, err := b.resolve(n.hi)
		if err != nil {
			return nil, err
		}
		if x, lo, err = b.coercePair(x, lo, "BETWEEN"); err != nil {
			return nil, err
		}
		if x, hi, err = b.coercePair(x, hi, "BETWEEN"); err != nil {
			return nil, err
		}
		return &rexpr{op: opBetween, args: []*rexpr{x, lo, hi}, not: n.not, typ: tBool,
			text: x.text + not(n.not) + " BETWEEN " + lo.text + " AND " + hi.text}, nil
	case *arithNode:
		l, err := b.resolve(n.l)
		if err != nil {
			return nil, err
		}
		r, err := b.resolve(n.r)
		if err != nil {
			return nil, err
		}
		for _, e := range []*rexpr{l, r} {
			if !e.typ.numeric() && e.typ != tNull {
				return nil, fmt.Errorf("sqlparse: %s needs numbers, but %s is %s", n.op, e.text, e.typ)
			}
		}
		t := tInt
		if n.op == "/" || l.typ == tFloat || r.typ == tFloat {
			t = tFloat
		}
		e := &rexpr{op: opArith, name: n.op, args: []*rexpr{l, r}, typ: t, text: "(" + l.text + " " + n.op + " " + r.text + ")"}
		return foldConstant(e)
	case *negNode:
		x, err := b.resolve(n.x)
		if err != nil {
			return nil, err
		}
		if !x.typ.numeric() && x.typ != tNull {
			return nil, fmt.Errorf("sqlparse: cannot negate %s (%s)", x.text, x.typ)
		}
		return foldConstant(&rexpr{op: opNeg, args: []*rexpr{x}, typ: x.typ, text: "-" + x.text})
	case *funcNode:
		return b.resolveFunc(n)
	}
	return nil, fmt.Errorf("sqlparse: internal error: unexpected %T", n)
}

// resolveAggregate types COUNT, SUM, AVG, MIN and MAX; where they may
// appear is the binder's to say.
func (b *binder) resolveAggregate(n *aggNode) (*rexpr, error) {
	if !b.aggregates {
		return nil, fmt.Errorf("sqlparse: the aggregate %s is not allowed here (aggregates go in the select list, HAVING or ORDER BY)", n.sqlText())
	}
	if b.inAggregate {
		return nil, fmt.Errorf("sqlparse: %s: aggregates cannot be nested", n.sqlText())
	}
	e := &rexpr{op: opAgg, name: n.name, distinct: n.distinct, text: n.sqlText()}
	if n.arg == nil {
		e.typ = tInt
		return e, nil
	}
	b.inAggregate = true
	arg, err := b.resolve(n.arg)
	b.inAggregate = false
	if err != nil {
		return nil, err
	}
	e.args = []*rexpr{arg}
	e.text = n.name + "(" + map[bool]string{true: "DISTINCT ", false: ""}[n.distinct] + arg.text + ")"
	switch n.name {
	case "COUNT":
		e.typ = tInt
	case "SUM", "AVG":
		if !arg.typ.numeric() && arg.typ != tNull {
			return nil, fmt.Errorf("sqlparse: %s needs numbers, but %s is %s", n.name, arg.text, arg.typ)
		}
		e.typ = arg.typ
		if n.name == "AVG" {
			e.typ = tFloat
		}
	default: // MIN, MAX
		e.typ = arg.typ
	}
	return e, nil
}

// condition resolves an expression used as a condition (WHERE, AND, OR,
// NOT): it must be boolean. A Boolean column alone (WHERE Done) is one.
func (b *binder) condition(n node) (*rexpr, error) {
	e, err := b.resolve(n)
	if err != nil {
		return nil, err
	}
	if e.typ != tBool && e.typ != tNull {
		return nil, fmt.Errorf("sqlparse: %s is %s, not a condition; compare it with something", e.text, e.typ)
	}
	return e, nil
}

func (b *binder) resolveFunc(n *funcNode) (*rexpr, error) {
	args := make([]*rexpr, len(n.args))
	texts := make([]string, len(n.args))
	for i, a := range n.args {
		e, err := b.resolve(a)
		if err != nil {
			return nil, err
		}
		args[i], texts[i] = e, e.text
	}
	e := &rexpr{op: opFunc, name: n.name, args: args, text: n.name + "(" + strings.Join(texts, ", ") + ")"}
	need := func(want ...sqlType) error {
		for _, a := range args {
			ok := a.typ == tNull
			for _, w := range want {
				ok = ok || a.typ == w
			}
			if !ok {
				return fmt.Errorf("sqlparse: %s needs %s, but %s is %s", n.name, want[0], a.text, a.typ)
			}
		}
		return nil
	}
	var err error
	switch n.name {
	case "LOWER", "LCASE", "UPPER", "UCASE", "TRIM", "LTRIM", "RTRIM":
		e.typ, err = tString, need(tString)
	case "LENGTH", "CHAR_LENGTH":
		e.typ, err = tInt, need(tString)
	case "YEAR", "MONTH", "DAY", "DAYOFMONTH":
		e.typ, err = tInt, need(tTime, tString)
	case "ABS":
		e.typ, err = args[0].typ, need(tInt, tFloat)
	case "CONCAT":
		e.typ = tString
	case "COALESCE", "IFNULL":
		e.typ = tNull
		for _, a := range args {
			switch {
			case a.typ == tNull:
			case e.typ == tNull:
				e.typ = a.typ
			case e.typ.numeric() && a.typ.numeric():
				if a.typ == tFloat {
					e.typ = tFloat
				}
			case e.typ != a.typ:
				return nil, fmt.Errorf("sqlparse: %s mixes %s and %s", n.name, e.typ, a.typ)
			}
		}
	default:
		return nil, fmt.Errorf("sqlparse: unknown function %s", n.name)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// constant makes a constant expression from a literal or bound value.
func constant(v any) *rexpr {
	return &rexpr{op: opConst, val: v, typ: typeOfValue(v), text: sqlLiteral(v)}
}

// foldConstant evaluates an expression over constants once (so that
// -5 or 2*3 can be pushed as literals), keeping errors for run time.
func foldConstant(e *rexpr) (*rexpr, error) {
	for _, a := range e.args {
		if a.op != opConst {
			return e, nil
		}
	}
	v, err := e.eval(nil)
	if err != nil {
		return nil, err
	}
	c := constant(conform(v, e.typ))
	c.text = e.text
	return c, nil
}

// coercePair checks that two compared expressions have compatible types
// and converts a constant to the other side's type where SQL would: a
// string to a number or a date, 0/1 to a boolean. Incompatible types are
// an error naming both sides, never a comparison that is silently false.
func (b *binder) coercePair(l, r *rexpr, op string) (*rexpr, *rexpr, error) {
	var err error
	if r.op == opConst && l.op != opConst {
		r, err = coerceConst(r, l)
	} else if l.op == opConst && r.op != opConst {
		l, err = coerceConst(l, r)
	}
	if err != nil {
		return nil, nil, err
	}
	if !compatible(l.typ, r.typ) {
		return nil, nil, fmt.Errorf("sqlparse: cannot compare %s (%s) with %s (%s)%s", l.text, l.typ, r.text, r.typ, hintFor(l, r))
	}
	return l, r, nil
}

func compatible(a, b sqlType) bool {
	switch {
	case a == tNull || b == tNull || a == b:
		return true
	case a.numeric() && b.numeric():
		return true
	case a == tBool && b.numeric() || b == tBool && a.numeric():
		return true
	case a == tTime && b == tString || a == tString && b == tTime:
		return true // read as a date at run time
	}
	return false
}

func hintFor(l, r *rexpr) string {
	for _, e := range []*rexpr{l, r} {
		if e.op == opCol && e.col.kind == colSub {
			return fmt.Sprintf("; %s is the lookup's display value, use %sId for its ID", e.text, e.col.field.EntityPropertyName)
		}
	}
	if l.typ == tString || r.typ == tString {
		return "; quote the value if it is text"
	}
	return ""
}

// coerceConst converts constant c to the type of the expression it is
// compared with.
func coerceConst(c, other *rexpr) (*rexpr, error) {
	if c.val == nil {
		return c, nil
	}
	convert := func(v any) *rexpr {
		out := constant(v)
		out.text = c.text
		return out
	}
	switch other.typ {
	case tTime:
		loc := time.UTC
		dateOnly := other.op == opCol && other.col.dateOnly
		if dateOnly && other.col.loc != nil {
			loc = other.col.loc
		}
		switch v := c.val.(type) {
		case string:
			t, err := parseTime(v, loc)
			if err != nil {
				return nil, fmt.Errorf("sqlparse: comparing %s: %w", other.text, err)
			}
			return convert(t), nil
		case time.Time:
			// A date-only field holds midnight in the site's zone. A time
			// that is midnight in its own location means that calendar
			// date (time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC) is "2 Jan"),
			// not the instant, or reports would be a day off.
			if dateOnly {
				if y, m, d := v.Date(); v.Equal(time.Date(y, m, d, 0, 0, 0, 0, v.Location())) {
					return convert(time.Date(y, m, d, 0, 0, 0, 0, loc).UTC()), nil
				}
			}
			return convert(v.UTC()), nil
		}
	case tInt, tFloat:
		if s, ok := c.val.(string); ok {
			s = strings.TrimSpace(s)
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return convert(i), nil
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("sqlparse: %s is %s, and %s is not a number", other.text, other.typ, c.text)
			}
			return convert(f), nil
		}
	case tBool:
		switch v := c.val.(type) {
		case int64:
			if v == 0 || v == 1 {
				return convert(v == 1), nil
			}
		case string:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true", "1", "yes":
				return convert(true), nil
			case "false", "0", "no":
				return convert(false), nil
			}
			return nil, fmt.Errorf("sqlparse: %s is BOOLEAN, and %s is not true or false", other.text, c.text)
		}
	}
	return c, nil
}

// quotePath renders a column path as written for Explain.
func quotePath(written string) string {
	parts := strings.Split(written, ".")
	for i, p := range parts {
		parts[i] = quoteIdent(p)
	}
	return strings.Join(parts, ".")
}
