package engine

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-spsql/spsql/sqlparse"
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
	subquery func(sel *sqlparse.Select) (*subquery, error)
	// now is NOW()'s value: one instant for the whole statement, in UTC.
	// BuildQuery sets it from Options.Now; zero means read the clock when
	// first needed (see clock).
	now time.Time
	// ctx, when set, is the query's context: resolving a large statement
	// stops when it is done (every checkEvery nodes).
	ctx   context.Context
	steps int
}

// clock returns the statement's NOW(), reading the system clock once if
// the caller fixed none. Whole seconds, as MySQL's NOW() without a
// precision, which also lets a comparison with it go to $filter.
func (b *binder) clock() time.Time {
	if b.now.IsZero() {
		b.now = time.Now()
	}
	return b.now.UTC().Truncate(time.Second)
}

func (b *binder) resolve(n sqlparse.Expr) (*rexpr, error) {
	if b.ctx != nil {
		if b.steps++; b.steps%checkEvery == 0 {
			if err := b.ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	switch n := n.(type) {
	case *sqlparse.ColumnRef:
		resolve := b.r.resolvePath
		if b.columns != nil {
			resolve = b.columns
		}
		c, written, err := resolve(n.Path)
		if err != nil {
			return nil, doubleQuotedHint(n, err)
		}
		return &rexpr{op: opCol, col: c, typ: c.typ, text: quotePath(written)}, nil
	case *colRefNode:
		c, err := n.get(b.r)
		if err != nil {
			return nil, err
		}
		return &rexpr{op: opCol, col: c, typ: c.typ, text: n.text}, nil
	case *sqlparse.Aggregate:
		return b.resolveAggregate(n)
	case *sqlparse.InSelect:
		if b.subquery == nil {
			return nil, fmt.Errorf("spsql: IN (SELECT …) is not allowed here")
		}
		x, err := b.resolve(n.X)
		if err != nil {
			return nil, err
		}
		sq, err := b.subquery(n.Sub)
		if err != nil {
			return nil, fmt.Errorf("%w (in the subquery of %s)", err, n.SQL())
		}
		if !compatible(x.typ, sq.typ) {
			return nil, fmt.Errorf("spsql: cannot compare %s (%s) with the subquery's %s", x.text, x.typ, sq.typ)
		}
		if dateOnlyColumn(x) != nil && (sq.calendar || sq.typ == tString) {
			// The subquery's dates (or date text) are days: compare days.
			x = asCalendarDate(x)
		}
		if x.typ == tTime || sq.typ == tTime {
			sq.asTime = true
		}
		return &rexpr{op: opInSub, args: []*rexpr{x}, sub: sq, not: n.Not, typ: tBool, text: x.text + notText(n.Not) + " IN (subquery " + strconv.Itoa(sq.n) + ")"}, nil
	case *sqlparse.Literal:
		return constant(n.Value), nil
	case *sqlparse.Param:
		v, ok := b.values[n.Bind]
		if !ok {
			return nil, fmt.Errorf("spsql: internal error: placeholder %s is not bound", n.SQL())
		}
		return constant(v), nil
	case *sqlparse.And, *sqlparse.Or:
		var l, r sqlparse.Expr
		op := opAnd
		if a, ok := n.(*sqlparse.And); ok {
			l, r = a.L, a.R
		} else {
			o := n.(*sqlparse.Or)
			l, r, op = o.L, o.R, opOr
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
	case *sqlparse.Not:
		x, err := b.condition(n.X)
		if err != nil {
			return nil, err
		}
		return &rexpr{op: opNot, args: []*rexpr{x}, typ: tBool, text: "NOT " + x.text}, nil
	case *sqlparse.Comparison:
		l, err := b.resolve(n.L)
		if err != nil {
			return nil, err
		}
		r, err := b.resolve(n.R)
		if err != nil {
			return nil, err
		}
		if l, r, err = b.coercePair(l, r, n.Op); err != nil {
			return nil, err
		}
		return &rexpr{op: opCmp, name: n.Op, args: []*rexpr{l, r}, typ: tBool, text: l.text + " " + n.Op + " " + r.text}, nil
	case *sqlparse.Is:
		x, err := b.resolve(n.X)
		if err != nil {
			return nil, err
		}
		if n.What != "null" && n.What != "not null" && x.typ != tBool && x.typ != tNull && !x.typ.numeric() {
			return nil, fmt.Errorf("spsql: %s is %s, so IS %s does not apply", x.text, x.typ, strings.ToUpper(n.What))
		}
		return &rexpr{op: opIs, name: n.What, args: []*rexpr{x}, typ: tBool, text: x.text + " IS " + strings.ToUpper(n.What)}, nil
	case *sqlparse.Like:
		x, err := b.resolve(n.X)
		if err != nil {
			return nil, err
		}
		p, err := b.resolve(n.Pattern)
		if err != nil {
			return nil, err
		}
		args := []*rexpr{x, p}
		text := x.text + notText(n.Not) + " LIKE " + p.text
		for _, e := range []*rexpr{x, p} {
			if e.typ != tString && e.typ != tNull {
				return nil, fmt.Errorf("spsql: LIKE compares text, but %s is %s", e.text, e.typ)
			}
		}
		if n.Escape != nil {
			esc, err := b.resolve(n.Escape)
			if err != nil {
				return nil, err
			}
			if esc.op != opConst {
				return nil, fmt.Errorf("spsql: ESCAPE takes a constant character, got %s", esc.text)
			}
			if _, err := escapeRune(esc.val); err != nil {
				return nil, err
			}
			args = append(args, esc)
			text += " ESCAPE " + esc.text
		}
		return &rexpr{op: opLike, args: args, not: n.Not, typ: tBool, text: text}, nil
	case *sqlparse.In:
		x, err := b.resolve(n.X)
		if err != nil {
			return nil, err
		}
		items := make([]*rexpr, len(n.List))
		for i, item := range n.List {
			if items[i], err = b.resolve(item); err != nil {
				return nil, err
			}
		}
		// Decide on comparing days before any constant is converted.
		x = daysIfAnyCalendar(x, items...)
		args := []*rexpr{x}
		texts := make([]string, 0, len(n.List))
		for _, v := range items {
			if x, v, err = b.coercePair(x, v, "IN"); err != nil {
				return nil, err
			}
			args[0] = x
			args = append(args, v)
			texts = append(texts, v.text)
		}
		return &rexpr{op: opIn, args: args, not: n.Not, typ: tBool, text: x.text + notText(n.Not) + " IN (" + strings.Join(texts, ", ") + ")"}, nil
	case *sqlparse.Between:
		x, err := b.resolve(n.X)
		if err != nil {
			return nil, err
		}
		lo, err := b.resolve(n.Lo)
		if err != nil {
			return nil, err
		}
		hi, err := b.resolve(n.Hi)
		if err != nil {
			return nil, err
		}
		x = daysIfAnyCalendar(x, lo, hi)
		if x, lo, err = b.coercePair(x, lo, "BETWEEN"); err != nil {
			return nil, err
		}
		if x, hi, err = b.coercePair(x, hi, "BETWEEN"); err != nil {
			return nil, err
		}
		return &rexpr{op: opBetween, args: []*rexpr{x, lo, hi}, not: n.Not, typ: tBool,
			text: x.text + notText(n.Not) + " BETWEEN " + lo.text + " AND " + hi.text}, nil
	case *sqlparse.Arith:
		l, err := b.resolve(n.L)
		if err != nil {
			return nil, err
		}
		r, err := b.resolve(n.R)
		if err != nil {
			return nil, err
		}
		return resolveArith(n.Op, n.Op, l, r, "("+l.text+" "+n.Op+" "+r.text+")")
	case *sqlparse.Neg:
		x, err := b.resolve(n.X)
		if err != nil {
			return nil, err
		}
		if !x.typ.numeric() && x.typ != tNull {
			return nil, fmt.Errorf("spsql: cannot negate %s (%s)", x.text, x.typ)
		}
		return foldConstant(&rexpr{op: opNeg, args: []*rexpr{x}, typ: x.typ, text: "-" + x.text})
	case *sqlparse.Func:
		e, err := b.resolveFunc(n)
		if err != nil {
			return nil, err
		}
		return pinDays(e), nil
	case *sqlparse.Case:
		e, err := b.resolveCase(n)
		if err != nil {
			return nil, err
		}
		return pinDays(e), nil
	case *sqlparse.Cast:
		x, err := b.resolve(n.X)
		if err != nil {
			return nil, err
		}
		return resolveCast("CAST AS "+n.To, x, n.To, n.Length, n.Scale, "CAST("+x.text+" AS "+n.TypeText()+")")
	}
	return nil, fmt.Errorf("spsql: internal error: unexpected %T", n)
}

// resolveAggregate types COUNT, SUM, AVG, MIN and MAX; where they may
// appear is the binder's to say.
func (b *binder) resolveAggregate(n *sqlparse.Aggregate) (*rexpr, error) {
	if !b.aggregates {
		return nil, fmt.Errorf("spsql: the aggregate %s is not allowed here (aggregates go in the select list, HAVING or ORDER BY)", n.SQL())
	}
	if b.inAggregate {
		return nil, fmt.Errorf("spsql: %s: aggregates cannot be nested", n.SQL())
	}
	e := &rexpr{op: opAgg, name: n.Name, distinct: n.Distinct, text: n.SQL()}
	if n.Arg == nil {
		e.typ = tInt
		return e, nil
	}
	b.inAggregate = true
	arg, err := b.resolve(n.Arg)
	b.inAggregate = false
	if err != nil {
		return nil, err
	}
	e.args = []*rexpr{arg}
	e.text = n.Name + "(" + map[bool]string{true: "DISTINCT ", false: ""}[n.Distinct] + arg.text + ")"
	switch n.Name {
	case "COUNT":
		e.typ = tInt
	case "SUM", "AVG":
		if !arg.typ.numeric() && arg.typ != tNull {
			return nil, fmt.Errorf("spsql: %s needs numbers, but %s is %s", n.Name, arg.text, arg.typ)
		}
		e.typ = arg.typ
		if n.Name == "AVG" {
			e.typ = tFloat
		}
	default: // MIN, MAX
		e.typ = arg.typ
	}
	return e, nil
}

// condition resolves an expression used as a condition (WHERE, AND, OR,
// NOT): it must be boolean. A Boolean column alone (WHERE Done) is one.
func (b *binder) condition(n sqlparse.Expr) (*rexpr, error) {
	e, err := b.resolve(n)
	if err != nil {
		return nil, err
	}
	if e.typ != tBool && e.typ != tNull {
		return nil, fmt.Errorf("spsql: %s is %s, not a condition; compare it with something", e.text, e.typ)
	}
	return e, nil
}

func (b *binder) resolveFunc(n *sqlparse.Func) (*rexpr, error) {
	args := make([]*rexpr, len(n.Args))
	texts := make([]string, len(n.Args))
	for i, a := range n.Args {
		e, err := b.resolve(a)
		if err != nil {
			return nil, err
		}
		args[i], texts[i] = e, e.text
	}
	text := n.Name + "(" + strings.Join(texts, ", ") + ")"
	e := &rexpr{op: opFunc, name: n.Name, args: args, text: text}
	var err error
	switch n.Name {
	case "LOWER", "LCASE", "UPPER", "UCASE", "TRIM", "LTRIM", "RTRIM":
		e.typ, err = tString, needArgs(n.Name, "text", args, tString)
	case "LENGTH", "CHAR_LENGTH":
		e.typ, err = tInt, needArgs(n.Name, "text", args, tString)
	case "SUBSTRING", "SUBSTR":
		e.typ, err = tString, needArgs(n.Name, "text", args[:1], tString)
		if err == nil {
			err = needArgs(n.Name, "a number as its position and length", args[1:], tInt, tFloat)
		}
	case "YEAR", "MONTH", "DAY", "DAYOFMONTH":
		e.typ, err = tInt, needArgs(n.Name, "a date", args, tTime, tString)
	case "DATE":
		return resolveCast(n.Name, args[0], "DATE", -1, -1, text)
	case "NOW", "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIMESTAMP", "UTC_TIMESTAMP":
		c := constant(b.clock())
		c.text = text
		return c, nil
	case "CURDATE", "CURRENT_DATE":
		// Today is the site's today: the date that a date-only field
		// holding today shows (see doc.go, "Time").
		loc := b.r.loc
		if loc == nil {
			loc = time.UTC
		}
		y, m, d := b.clock().In(loc).Date()
		c := constant(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
		c.text = text
		return c, nil
	case "UTC_DATE":
		y, m, d := b.clock().Date()
		c := constant(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
		c.text = text
		return c, nil
	case "ABS":
		e.typ, err = args[0].typ, needArgs(n.Name, "a number", args, tInt, tFloat)
	case "ROUND":
		// An integer stays an integer (ROUND(1250, -2) is 1300), as in
		// MySQL; a NUMBER stays a NUMBER.
		e.typ, err = args[0].typ, needArgs(n.Name, "a number", args[:1], tInt, tFloat)
		if err == nil {
			err = needArgs(n.Name, "a whole number of digits", args[1:], tInt)
		}
	case "MOD":
		return resolveArith("%", n.Name, args[0], args[1], text)
	case "CONCAT":
		e.typ = tString
	case "COALESCE", "IFNULL":
		e.typ, err = unify(n.Name, args)
	default:
		return nil, fmt.Errorf("spsql: unknown function %s", n.Name)
	}
	if err != nil {
		return nil, err
	}
	// Calls are not folded even over constants, so that which conjuncts
	// reach $filter stays as it was (LIKE CONCAT(?, '%') runs in the
	// driver). CAST, DATE and NOW(), by contrast, are values: a date-only
	// field compared with them compares calendar dates (coerceConst).
	return e, nil
}

// needArgs checks that every argument has one of the types want (or is
// NULL), naming the function and the argument that does not.
func needArgs(fn, what string, args []*rexpr, want ...sqlType) error {
	for _, a := range args {
		if a.typ != tNull && !slices.Contains(want, a.typ) {
			return fmt.Errorf("spsql: %s needs %s, but %s is %s", fn, what, a.text, a.typ)
		}
	}
	return nil
}

// unify is the type of an expression whose value is one of args
// (COALESCE, CASE): their common type, NUMBER when integers and numbers
// mix, NULL when all are NULL. Other mixes are an error: the column's
// values must share one Go type.
func unify(fn string, args []*rexpr) (sqlType, error) {
	t := tNull
	for _, a := range args {
		switch {
		case a.typ == tNull:
		case t == tNull:
			t = a.typ
		case t.numeric() && a.typ.numeric():
			if a.typ == tFloat {
				t = tFloat
			}
		case t != a.typ:
			return tNull, fmt.Errorf("spsql: %s mixes %s and %s (%s); CAST one of them", fn, t, a.typ, a.text)
		}
	}
	return t, nil
}

// resolveArith types + - * / % (and MOD): numbers only; integers stay
// integers except for /, which always gives a NUMBER.
// fn names the operator in errors (MOD for MOD(a, b)).
func resolveArith(op, fn string, l, r *rexpr, text string) (*rexpr, error) {
	if err := needArgs(fn, "numbers", []*rexpr{l, r}, tInt, tFloat); err != nil {
		return nil, err
	}
	t := tInt
	if op == "/" || l.typ == tFloat || r.typ == tFloat {
		t = tFloat
	}
	return foldConstant(&rexpr{op: opArith, name: op, args: []*rexpr{l, r}, typ: t, text: text})
}

// resolveCase types CASE: a searched CASE's conditions must be
// conditions; a simple CASE compares its operand with each WHEN value as
// = does (coercing constants, case-insensitive text, NULL never
// matching). The result type is unified as COALESCE's; without ELSE the
// result is NULL when nothing matches.
func (b *binder) resolveCase(n *sqlparse.Case) (*rexpr, error) {
	var operand *rexpr
	text := "CASE"
	if n.Operand != nil {
		var err error
		if operand, err = b.resolve(n.Operand); err != nil {
			return nil, err
		}
		text += " " + operand.text
	}
	// args[0] is the ELSE value (a NULL constant without ELSE), then the
	// WHEN conditions and THEN values in pairs.
	args := []*rexpr{constant(nil)}
	var results []*rexpr
	for _, w := range n.Whens {
		var cond *rexpr
		if operand == nil {
			c, err := b.condition(w.Cond)
			if err != nil {
				return nil, fmt.Errorf("%w (in CASE WHEN)", err)
			}
			cond, text = c, text+" WHEN "+c.text
		} else {
			v, err := b.resolve(w.Cond)
			if err != nil {
				return nil, err
			}
			l, r, err := b.coercePair(operand, v, "CASE")
			if err != nil {
				return nil, fmt.Errorf("%w (in CASE WHEN)", err)
			}
			cond = &rexpr{op: opCmp, name: "=", args: []*rexpr{l, r}, typ: tBool, text: l.text + " = " + r.text}
			text += " WHEN " + r.text
		}
		val, err := b.resolve(w.Val)
		if err != nil {
			return nil, err
		}
		args = append(args, cond, val)
		results = append(results, val)
		text += " THEN " + val.text
	}
	if n.Else != nil {
		els, err := b.resolve(n.Else)
		if err != nil {
			return nil, err
		}
		args[0] = els
		results = append(results, els)
		text += " ELSE " + els.text
	}
	typ, err := unify("CASE", results)
	if err != nil {
		return nil, err
	}
	return &rexpr{op: opCase, args: args, typ: typ, text: text + " END"}, nil
}

// resolveCast types CAST(x AS to) and DATE(x) (which is CAST AS DATE;
// fn names either in errors). What each conversion does at run time is
// castValue's; here only the types that can never convert are refused.
func resolveCast(fn string, x *rexpr, to string, length, scale int, text string) (*rexpr, error) {
	e := &rexpr{op: opCast, name: to, args: []*rexpr{x}, text: text}
	var err error
	switch to {
	case "SIGNED", "UNSIGNED":
		e.typ, err = tInt, needArgs(fn, "a number, text or a boolean", e.args, tInt, tFloat, tString, tBool)
	case "DECIMAL":
		e.typ, err = tFloat, needArgs(fn, "a number, text or a boolean", e.args, tInt, tFloat, tString, tBool)
		if scale >= 0 {
			e.val = int64(scale)
		}
	case "CHAR":
		e.typ = tString
		if length >= 0 {
			e.val = int64(length)
		}
	case "DATE", "DATETIME":
		e.typ, err = tTime, needArgs(fn, "a date or text", e.args, tTime, tString)
	default:
		return nil, fmt.Errorf("spsql: internal error: CAST to %s", to)
	}
	if err != nil {
		return nil, err
	}
	return foldConstant(e)
}

// constant makes a constant expression from a literal or bound value.
func constant(v any) *rexpr {
	return &rexpr{op: opConst, val: v, typ: typeOfValue(v), text: sqlparse.SQLLiteral(v)}
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
		return nil, nil, fmt.Errorf("spsql: cannot compare %s (%s) with %s (%s)%s", l.text, l.typ, r.text, r.typ, hintFor(l, r))
	}
	// A date-only field compared with a calendar date (DATE(x)) means its
	// day: compare DATE(field), not the site-midnight instant it holds.
	switch {
	case dateOnlyColumn(l) != nil && isCalendarDate(r):
		l = asCalendarDate(l)
	case dateOnlyColumn(r) != nil && isCalendarDate(l):
		r = asCalendarDate(r)
	}
	return l, r, nil
}

// pinDays makes the date constants of COALESCE(dateOnlyField, {d '…'})
// or CASE … THEN dateOnlyField ELSE {d '…'} END midnight in the field's
// zone, like the field's own values, so that the expression is one
// date-only column's values (dateOnlyColumn): compared and shown as days.
func pinDays(e *rexpr) *rexpr {
	var values []int // the indexes of e.args that are values
	switch {
	case e.op == opFunc && (e.name == "COALESCE" || e.name == "IFNULL"):
		for i := range e.args {
			values = append(values, i)
		}
	case e.op == opCase:
		values = append(values, 0)
		for i := 2; i < len(e.args); i += 2 {
			values = append(values, i)
		}
	default:
		return e
	}
	dc := dateOnlyColumn(e)
	if dc == nil || dc.loc == nil {
		return e
	}
	for _, i := range values {
		if a := e.args[i]; a.op == opConst && isMidnight(a) {
			y, m, d := a.val.(time.Time).Date()
			// Kept in the zone: midnight there, still a date constant.
			pinned := constant(time.Date(y, m, d, 0, 0, 0, 0, dc.loc))
			pinned.text = a.text
			e.args[i] = pinned
		}
	}
	return e
}

// daysIfAnyCalendar returns DATE(x) when x is a date-only field's values
// and one of others is a calendar date, so that x is compared as days
// with all of them (IN, BETWEEN); else x.
func daysIfAnyCalendar(x *rexpr, others ...*rexpr) *rexpr {
	if dateOnlyColumn(x) == nil {
		return x
	}
	for _, o := range others {
		if isCalendarDate(o) {
			return asCalendarDate(x)
		}
	}
	return x
}

// isCalendarDate reports an expression whose values are calendar dates
// (midnight UTC of a day): DATE(x) and CAST(x AS DATE) of non-constants.
// (Constants are converted by coerceConst instead.)
func isCalendarDate(e *rexpr) bool {
	return e.op == opCast && e.name == "DATE"
}

// asCalendarDate is DATE(e).
func asCalendarDate(e *rexpr) *rexpr {
	return &rexpr{op: opCast, name: "DATE", args: []*rexpr{e}, typ: tTime, text: "DATE(" + e.text + ")"}
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

// dateOnlyColumn returns the date-only column whose values e has — the
// column itself, MIN or MAX of it, COALESCE, IFNULL or CASE of such
// columns and NULLs — or nil: a date literal compared with them means
// that calendar day in the site's zone, and they are shown as that day.
func dateOnlyColumn(e *rexpr) *column {
	switch {
	case e.op == opCol && e.col.dateOnly:
		return e.col
	case e.op == opAgg && (e.name == "MIN" || e.name == "MAX") && len(e.args) == 1:
		return dateOnlyColumn(e.args[0])
	case e.op == opFunc && (e.name == "COALESCE" || e.name == "IFNULL"):
		return allDateOnly(e.args)
	case e.op == opCase:
		// args: ELSE, then WHEN condition and THEN value pairs.
		values := []*rexpr{e.args[0]}
		for i := 2; i < len(e.args); i += 2 {
			values = append(values, e.args[i])
		}
		return allDateOnly(values)
	}
	return nil
}

// allDateOnly returns the date-only column of the first of values when
// each is one (of the same zone), a NULL or a date constant (midnight in
// its own location: pinDays makes it the site's), else nil.
func allDateOnly(values []*rexpr) *column {
	var first *column
	for _, v := range values {
		if v.op == opConst && (v.val == nil || isMidnight(v)) {
			continue
		}
		c := dateOnlyColumn(v)
		if c == nil || first != nil && c.loc != first.loc {
			return nil
		}
		if first == nil {
			first = c
		}
	}
	return first
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
		dc := dateOnlyColumn(other)
		dateOnly := dc != nil
		if dateOnly && dc.loc != nil {
			loc = dc.loc
		}
		switch v := c.val.(type) {
		case string:
			t, err := parseTime(v, loc)
			if err != nil {
				// err names the text and the formats; it has its own prefix.
				return nil, fmt.Errorf("spsql: comparing %s: %s", other.text, strings.TrimPrefix(err.Error(), "spsql: "))
			}
			return convert(t), nil
		case time.Time:
			// A date-only field holds midnight in the site's zone. A time
			// that is midnight in its own location means that calendar
			// date (time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC) is "2 Jan"),
			// not the instant, or reports would be a day off.
			// Against a calendar date (DATE(x)), that date is midnight UTC.
			if dateOnly || isCalendarDate(other) {
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
				return nil, fmt.Errorf("spsql: %s is %s, and %s is not a number", other.text, other.typ, c.text)
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
			return nil, fmt.Errorf("spsql: %s is BOOLEAN, and %s is not true or false", other.text, c.text)
		}
	}
	return c, nil
}

// quotePath renders a column path as written for Explain.
func quotePath(written string) string {
	parts := strings.Split(written, ".")
	for i, p := range parts {
		parts[i] = sqlparse.QuoteIdent(p)
	}
	return strings.Join(parts, ".")
}

// notText is " NOT" for a negated form (x NOT IN …), else "".
func notText(b bool) string {
	if b {
		return " NOT"
	}
	return ""
}
