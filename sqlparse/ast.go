package sqlparse

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xwb1989/sqlparser"

	"github.com/go-spsql/spsql/internal/suggest"
)

// Select is a parsed SELECT over one list. Its expressions are not yet
// resolved against the list's columns: the engine (internal/engine) does that.
type Select struct {
	// List is the list's name as written (quotes removed).
	List string
	// Schema is the qualifier written before the list ("information_schema"
	// in information_schema.tables), or "".
	Schema string
	// Alias is the list's alias (FROM Tasks AS t), or "".
	Alias string
	// Distinct is SELECT DISTINCT.
	Distinct bool

	// Describe: DESCRIBE's SELECT, which fails for a list that does not
	// exist (see Describe.Select).
	Describe bool

	Items   []SelectItem
	Where   Expr // nil without WHERE
	OrderBy []OrderItem
	Limit   Expr // *litNode (int64) or *paramNode; nil without LIMIT
	Offset  Expr
	Params  map[string]Placeholder // by bind name (see renderForParser)

	// Joins are the lists after the first in FROM, in order.
	Joins   []Join
	GroupBy []Expr
	Having  Expr
	// Union, when set, makes this Select a UNION of its parts; orderBy,
	// limit and offset then apply to the Union's result, and the other
	// fields are empty.
	Union *Union
}

// Join is one list joined to the lists before it.
type Join struct {
	Left                bool // LEFT [OUTER] JOIN; else an inner (or comma) join
	List, Schema, Alias string
	On                  Expr // nil for a comma join
}

// Union is SELECT … UNION [ALL] SELECT …: parts[0] followed by the rest,
// all[i] telling whether parts[i+1] was added with UNION ALL.
type Union struct {
	Parts []*Select
	All   []bool
}

// NumInput returns the number of arguments the statement takes, for
// driver.Stmt.NumInput: the number of ? placeholders, or of distinct
// :name/@name ones; -1 when both kinds are mixed (database/sql then
// leaves the count to the engine, which still checks every argument).
func (s *Select) NumInput() int {
	positional, named := 0, map[string]bool{}
	for _, p := range s.Params {
		if p.name == "" {
			positional++
		} else {
			named[p.name] = true
		}
	}
	switch {
	case positional > 0 && len(named) > 0:
		return -1
	case positional > 0:
		return positional
	}
	return len(named)
}

// SelectItem is one entry of the select list.
type SelectItem struct {
	Star     bool   // * or q.*
	StarQual string // the q of q.*
	count    bool   // COUNT(*)
	Expr     Expr
	Alias    string // AS name, "" when none
}

type OrderItem struct {
	Expr Expr
	Desc bool
}

// Expr is an unresolved expression.
type Expr interface{ SQL() string }

type (
	// ColumnRef is a column reference: path holds the dotted parts as
	// written (t.Project.Title is [t Project Title]). DoubleQuoted is
	// set on a one-part name written only in double quotes ("Blocked"),
	// which may be meant as text: an error that no such column exists
	// then says that text takes single quotes.
	ColumnRef struct {
		Path         []string
		DoubleQuoted bool
	}
	// Literal is a constant: string, int64, float64, bool or nil.
	Literal struct{ Value any }
	// Param is a placeholder, by its bind name.
	Param struct {
		Bind string
		p    Placeholder
	}
	Comparison struct {
		Op   string // = <> < <= > >= <=>
		L, R Expr
	}
	And struct{ L, R Expr }
	Or  struct{ L, R Expr }
	Not struct{ X Expr }
	Is  struct {
		X    Expr
		What string
	} // "null", "not null", "true", "not true", "false", "not false"
	Like struct {
		X, Pattern, Escape Expr // escape may be nil
		Not                bool
	}
	In struct {
		X    Expr
		List []Expr
		Not  bool
	}
	Between struct {
		X, Lo, Hi Expr
		Not       bool
	}
	Arith struct {
		Op   string // + - * / %
		L, R Expr
	}
	Neg  struct{ X Expr }
	Func struct {
		Name string // upper case
		Args []Expr
	}
	// Aggregate is an aggregate: COUNT(*) (arg nil), COUNT, SUM, AVG, MIN,
	// MAX, with DISTINCT or not.
	Aggregate struct {
		Name     string // upper case
		Distinct bool
		Arg      Expr
	}
	// InSelect is x [NOT] IN (SELECT …), uncorrelated.
	InSelect struct {
		X   Expr
		Sub *Select
		Not bool
	}
	// Case is CASE [operand] WHEN … THEN … [ELSE …] END.
	Case struct {
		Operand Expr // CASE x WHEN v …; nil for CASE WHEN cond …
		Whens   []When
		Else    Expr // nil without ELSE
	}
	// Cast is CAST(x AS to) or CONVERT(x, to).
	Cast struct {
		X  Expr
		To string // SIGNED, UNSIGNED, DECIMAL, CHAR, DATE or DATETIME
		// Length is n of CHAR(n), Scale d of DECIMAL(m, d); -1 when not
		// given.
		Length, Scale int
	}
)

type When struct{ Cond, Val Expr }

// Children returns n's operands, for walks over expressions.
func Children(n Expr) []Expr {
	switch n := n.(type) {
	case *Comparison:
		return []Expr{n.L, n.R}
	case *And:
		return []Expr{n.L, n.R}
	case *Or:
		return []Expr{n.L, n.R}
	case *Not:
		return []Expr{n.X}
	case *Is:
		return []Expr{n.X}
	case *Like:
		if n.Escape != nil {
			return []Expr{n.X, n.Pattern, n.Escape}
		}
		return []Expr{n.X, n.Pattern}
	case *In:
		return append([]Expr{n.X}, n.List...)
	case *Between:
		return []Expr{n.X, n.Lo, n.Hi}
	case *Arith:
		return []Expr{n.L, n.R}
	case *Neg:
		return []Expr{n.X}
	case *Func:
		return n.Args
	case *Aggregate:
		if n.Arg != nil {
			return []Expr{n.Arg}
		}
	case *InSelect:
		return []Expr{n.X} // the subquery is a statement of its own
	case *Case:
		var out []Expr
		if n.Operand != nil {
			out = append(out, n.Operand)
		}
		for _, w := range n.Whens {
			out = append(out, w.Cond, w.Val)
		}
		if n.Else != nil {
			out = append(out, n.Else)
		}
		return out
	case *Cast:
		return []Expr{n.X}
	}
	return nil
}

// Walk calls fn for n and every expression under it.
func Walk(n Expr, fn func(Expr)) {
	if n == nil {
		return
	}
	fn(n)
	for _, c := range Children(n) {
		Walk(c, fn)
	}
}

// convertSelect turns the parser's AST into ours. Everything outside the
// dialect is refused here, so that a plan is never built from a statement
// whose meaning we only partly understood.
func convertSelect(st *sqlparser.Select, params map[string]Placeholder) (*Select, error) {
	switch {
	case st.Lock != "":
		return nil, fmt.Errorf("sqlparse: %s is not supported: SharePoint has no locks", strings.TrimSpace(st.Lock))
	case st.Distinct != "" && st.Distinct != sqlparser.DistinctStr:
		return nil, fmt.Errorf("sqlparse: %s is not supported", strings.TrimSpace(st.Distinct))
	case st.Hints != "":
		return nil, fmt.Errorf("sqlparse: %s is not supported", strings.TrimSpace(st.Hints))
	}
	s := &Select{Distinct: st.Distinct != "", Params: params}
	first := true
	for _, te := range st.From {
		if err := s.addFrom(te, false, nil, &first, params); err != nil {
			return nil, err
		}
	}
	for _, se := range st.SelectExprs {
		item, err := convertSelectExpr(se, params)
		if err != nil {
			return nil, err
		}
		s.Items = append(s.Items, item)
	}
	if st.Where != nil {
		w, err := convertExpr(st.Where.Expr, params)
		if err != nil {
			return nil, err
		}
		s.Where = w
	}
	for _, g := range st.GroupBy {
		e, err := convertExpr(g, params)
		if err != nil {
			return nil, fmt.Errorf("%w (in GROUP BY)", err)
		}
		s.GroupBy = append(s.GroupBy, e)
	}
	if st.Having != nil {
		h, err := convertExpr(st.Having.Expr, params)
		if err != nil {
			return nil, fmt.Errorf("%w (in HAVING)", err)
		}
		s.Having = h
	}
	if err := s.convertOrderLimit(st.OrderBy, st.Limit, params); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Select) convertOrderLimit(orderBy sqlparser.OrderBy, limit *sqlparser.Limit, params map[string]Placeholder) error {
	for _, o := range orderBy {
		e, err := convertExpr(o.Expr, params)
		if err != nil {
			return err
		}
		s.OrderBy = append(s.OrderBy, OrderItem{Expr: e, Desc: o.Direction == sqlparser.DescScr})
	}
	if limit != nil {
		var err error
		if s.Limit, err = convertLimit(limit.Rowcount, "LIMIT", params); err != nil {
			return err
		}
		if limit.Offset != nil {
			if s.Offset, err = convertLimit(limit.Offset, "OFFSET", params); err != nil {
				return err
			}
		}
	}
	return nil
}

// addFrom adds one FROM entry: the first list, or a list joined to the
// ones before it. Joins nest to the left (a JOIN b JOIN c is (a JOIN b)
// JOIN c); a parenthesised join on the right is refused.
func (s *Select) addFrom(te sqlparser.TableExpr, left bool, on sqlparser.Expr, first *bool, params map[string]Placeholder) error {
	switch from := te.(type) {
	case *sqlparser.AliasedTableExpr:
		tn, ok := from.Expr.(sqlparser.TableName)
		if !ok {
			return errors.New("sqlparse: subqueries in FROM are not supported; join the lists, or use IN (SELECT …) in WHERE")
		}
		if tn.Name.String() == "dual" && tn.Qualifier.IsEmpty() {
			return errors.New("sqlparse: SELECT needs FROM a list")
		}
		if from.Hints != nil || len(from.Partitions) > 0 {
			return errors.New("sqlparse: index hints and partitions are not supported")
		}
		if *first {
			*first = false
			s.List, s.Schema, s.Alias = tn.Name.String(), tn.Qualifier.String(), from.As.String()
			return nil
		}
		j := Join{Left: left, List: tn.Name.String(), Schema: tn.Qualifier.String(), Alias: from.As.String()}
		if on != nil {
			n, err := convertExpr(on, params)
			if err != nil {
				return fmt.Errorf("%w (in ON)", err)
			}
			j.On = n
		}
		s.Joins = append(s.Joins, j)
		return nil
	case *sqlparser.JoinTableExpr:
		switch from.Join {
		case sqlparser.JoinStr, sqlparser.StraightJoinStr, sqlparser.LeftJoinStr:
		case sqlparser.RightJoinStr:
			return errors.New("sqlparse: RIGHT JOIN is not supported; swap the lists and use LEFT JOIN")
		default:
			return fmt.Errorf("sqlparse: %s is not supported; use JOIN … ON or LEFT JOIN … ON", strings.ToUpper(from.Join))
		}
		if len(from.Condition.Using) > 0 {
			return errors.New("sqlparse: JOIN … USING is not supported; write JOIN … ON a.x = b.x")
		}
		if _, ok := from.RightExpr.(*sqlparser.AliasedTableExpr); !ok {
			return errors.New("sqlparse: a parenthesised join on the right of JOIN is not supported; write the joins one after the other")
		}
		if err := s.addFrom(from.LeftExpr, false, nil, first, params); err != nil {
			return err
		}
		if from.Condition.On == nil && from.Join == sqlparser.LeftJoinStr {
			return errors.New("sqlparse: LEFT JOIN needs ON")
		}
		return s.addFrom(from.RightExpr, from.Join == sqlparser.LeftJoinStr, from.Condition.On, first, params)
	case *sqlparser.ParenTableExpr:
		for _, e := range from.Exprs {
			if err := s.addFrom(e, false, nil, first, params); err != nil {
				return err
			}
		}
		return nil
	}
	return errors.New("sqlparse: this FROM clause is not supported; name lists, joined with JOIN … ON")
}

func convertSelectExpr(se sqlparser.SelectExpr, params map[string]Placeholder) (SelectItem, error) {
	switch se := se.(type) {
	case *sqlparser.StarExpr:
		if !se.TableName.Qualifier.IsEmpty() {
			return SelectItem{}, fmt.Errorf("sqlparse: %s.%s.* is not supported", se.TableName.Qualifier.String(), se.TableName.Name.String())
		}
		return SelectItem{Star: true, StarQual: se.TableName.Name.String()}, nil
	case *sqlparser.AliasedExpr:
		item := SelectItem{Alias: se.As.String()}
		e, err := convertExpr(se.Expr, params)
		if err != nil {
			return SelectItem{}, err
		}
		item.Expr = e
		if a, ok := e.(*Aggregate); ok && a.Name == "COUNT" && a.Arg == nil && !a.Distinct {
			item.count = true
		}
		return item, nil
	default:
		return SelectItem{}, fmt.Errorf("sqlparse: %s is not supported", sqlparser.String(se))
	}
}

// convertAggregate converts COUNT(*), COUNT([DISTINCT] x), SUM, AVG, MIN
// and MAX; other aggregates are refused by name.
func convertAggregate(f *sqlparser.FuncExpr, params map[string]Placeholder) (Expr, error) {
	name := strings.ToUpper(f.Name.String())
	switch name {
	case "COUNT", "SUM", "AVG", "MIN", "MAX":
	default:
		return nil, fmt.Errorf("sqlparse: the aggregate %s is not supported (COUNT, SUM, AVG, MIN and MAX are)", name)
	}
	if !f.Qualifier.IsEmpty() || len(f.Exprs) != 1 {
		return nil, fmt.Errorf("sqlparse: %s takes one argument", name)
	}
	a := &Aggregate{Name: name, Distinct: f.Distinct}
	switch x := f.Exprs[0].(type) {
	case *sqlparser.StarExpr:
		if name != "COUNT" || f.Distinct || !x.TableName.IsEmpty() {
			return nil, fmt.Errorf("sqlparse: %s is not valid; only COUNT(*) takes *", sqlparser.String(f))
		}
		return a, nil
	case *sqlparser.AliasedExpr:
		if !x.As.IsEmpty() {
			return nil, fmt.Errorf("sqlparse: bad argument to %s", name)
		}
		arg, err := convertExpr(x.Expr, params)
		if err != nil {
			return nil, err
		}
		a.Arg = arg
		return a, nil
	}
	return nil, fmt.Errorf("sqlparse: bad argument to %s", name)
}

func isAggregate(name string) bool {
	switch name {
	case "count", "sum", "avg", "min", "max", "group_concat", "std", "stddev", "variance", "bit_and", "bit_or", "bit_xor":
		return true
	}
	return false
}

func convertLimit(e sqlparser.Expr, what string, params map[string]Placeholder) (Expr, error) {
	switch v := e.(type) {
	case *sqlparser.SQLVal:
		switch v.Type {
		case sqlparser.IntVal:
			n, err := strconv.ParseInt(string(v.Val), 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("sqlparse: %s must be a whole number ≥ 0, got %s", what, v.Val)
			}
			return &Literal{Value: n}, nil
		case sqlparser.ValArg:
			return convertExpr(v, params)
		}
	}
	return nil, fmt.Errorf("sqlparse: %s must be a whole number or a placeholder, got %s", what, sqlparser.String(e))
}

// convertExpr converts one expression, refusing what the dialect lacks.
func convertExpr(e sqlparser.Expr, params map[string]Placeholder) (Expr, error) {
	conv := func(e sqlparser.Expr) (Expr, error) { return convertExpr(e, params) }
	switch e := e.(type) {
	case *sqlparser.ParenExpr:
		return conv(e.Expr)
	case *sqlparser.AndExpr:
		l, err := conv(e.Left)
		if err != nil {
			return nil, err
		}
		r, err := conv(e.Right)
		if err != nil {
			return nil, err
		}
		return &And{l, r}, nil
	case *sqlparser.OrExpr:
		l, err := conv(e.Left)
		if err != nil {
			return nil, err
		}
		r, err := conv(e.Right)
		if err != nil {
			return nil, err
		}
		return &Or{l, r}, nil
	case *sqlparser.NotExpr:
		x, err := conv(e.Expr)
		if err != nil {
			return nil, err
		}
		return &Not{x}, nil
	case *sqlparser.ComparisonExpr:
		return convertComparison(e, params)
	case *sqlparser.RangeCond:
		x, err := conv(e.Left)
		if err != nil {
			return nil, err
		}
		lo, err := conv(e.From)
		if err != nil {
			return nil, err
		}
		hi, err := conv(e.To)
		if err != nil {
			return nil, err
		}
		return &Between{X: x, Lo: lo, Hi: hi, Not: e.Operator == sqlparser.NotBetweenStr}, nil
	case *sqlparser.IsExpr:
		x, err := conv(e.Expr)
		if err != nil {
			return nil, err
		}
		return &Is{X: x, What: strings.TrimPrefix(e.Operator, "is ")}, nil
	case *sqlparser.SQLVal:
		switch e.Type {
		case sqlparser.StrVal:
			return &Literal{Value: string(e.Val)}, nil
		case sqlparser.IntVal:
			n, err := strconv.ParseInt(string(e.Val), 10, 64)
			if err != nil {
				// Too large for int64: keep it exact enough as a float.
				f, ferr := strconv.ParseFloat(string(e.Val), 64)
				if ferr != nil {
					return nil, fmt.Errorf("sqlparse: bad number %s", e.Val)
				}
				return &Literal{Value: f}, nil
			}
			return &Literal{Value: n}, nil
		case sqlparser.FloatVal:
			f, err := strconv.ParseFloat(string(e.Val), 64)
			if err != nil {
				return nil, fmt.Errorf("sqlparse: bad number %s", e.Val)
			}
			return &Literal{Value: f}, nil
		case sqlparser.ValArg:
			bind := strings.TrimPrefix(string(e.Val), ":")
			p, ok := params[bind]
			if !ok {
				return nil, fmt.Errorf("sqlparse: unexpected bind variable %s", e.Val)
			}
			return &Param{Bind: bind, p: p}, nil
		default:
			return nil, fmt.Errorf("sqlparse: the literal %s is not supported (hexadecimal and bit literals)", sqlparser.String(e))
		}
	case *sqlparser.NullVal:
		return &Literal{Value: nil}, nil
	case sqlparser.BoolVal:
		return &Literal{Value: bool(e)}, nil
	case *sqlparser.ColName:
		var path []string
		if q := e.Qualifier; !q.IsEmpty() {
			if !q.Qualifier.IsEmpty() {
				path = append(path, q.Qualifier.String())
			}
			path = append(path, q.Name.String())
		}
		path = append(path, e.Name.String())
		return &ColumnRef{Path: path}, nil
	case *sqlparser.BinaryExpr:
		op := e.Operator
		switch op {
		case sqlparser.PlusStr, sqlparser.MinusStr, sqlparser.MultStr, sqlparser.DivStr, sqlparser.ModStr:
		default:
			return nil, fmt.Errorf("sqlparse: the operator %s is not supported", op)
		}
		l, err := conv(e.Left)
		if err != nil {
			return nil, err
		}
		r, err := conv(e.Right)
		if err != nil {
			return nil, err
		}
		return &Arith{Op: op, L: l, R: r}, nil
	case *sqlparser.UnaryExpr:
		x, err := conv(e.Expr)
		if err != nil {
			return nil, err
		}
		switch e.Operator {
		case sqlparser.UMinusStr:
			if l, ok := x.(*Literal); ok {
				switch v := l.Value.(type) {
				case int64:
					return &Literal{Value: -v}, nil
				case float64:
					return &Literal{Value: -v}, nil
				}
			}
			return &Neg{x}, nil
		case sqlparser.UPlusStr:
			return x, nil
		case sqlparser.BangStr:
			return &Not{x}, nil
		}
		return nil, fmt.Errorf("sqlparse: the operator %s is not supported", strings.TrimSpace(e.Operator))
	case *sqlparser.FuncExpr:
		name := strings.ToUpper(e.Name.String())
		if isAggregate(e.Name.Lowered()) {
			return convertAggregate(e, params)
		}
		if !e.Qualifier.IsEmpty() || e.Distinct {
			return nil, fmt.Errorf("sqlparse: %s is not supported", sqlparser.String(e))
		}
		f := &Func{Name: name}
		for _, a := range e.Exprs {
			ae, ok := a.(*sqlparser.AliasedExpr)
			if !ok || !ae.As.IsEmpty() {
				if _, known := functions[name]; !known && name != "CASE" && name != "CAST" && name != "CONVERT" {
					return nil, checkFunction(f) // CONUT(*): the name is the mistake
				}
				if _, star := a.(*sqlparser.StarExpr); star {
					return nil, fmt.Errorf("sqlparse: %s(*) is not valid; only COUNT(*) takes *", name)
				}
				return nil, fmt.Errorf("sqlparse: bad argument to %s", name)
			}
			x, err := conv(ae.Expr)
			if err != nil {
				return nil, err
			}
			f.Args = append(f.Args, x)
		}
		if err := checkFunction(f); err != nil {
			return nil, err
		}
		return f, nil
	case *sqlparser.Subquery, *sqlparser.ExistsExpr:
		return nil, errors.New("sqlparse: only IN (SELECT …) subqueries are supported (not EXISTS or a scalar subquery)")
	case *sqlparser.CaseExpr:
		return convertCase(e, params)
	case *sqlparser.ConvertExpr:
		return convertCast(e, params)
	case *sqlparser.ConvertUsingExpr:
		return nil, errors.New("sqlparse: CONVERT … USING is not supported: text is Unicode throughout")
	case *sqlparser.IntervalExpr:
		return nil, errors.New("sqlparse: INTERVAL is not supported yet")
	case *sqlparser.CollateExpr:
		return nil, errors.New("sqlparse: COLLATE is not supported: string comparisons are case-insensitive, as in SharePoint")
	case *sqlparser.SubstrExpr:
		// The parser's own SUBSTRING rule takes only a column;
		// rewriteForParser turns every SUBSTRING into an ordinary call.
		return nil, errors.New("sqlparse: internal error: SUBSTRING was not rewritten for the parser")
	case *sqlparser.GroupConcatExpr:
		return nil, errors.New("sqlparse: GROUP_CONCAT is not supported yet")
	case *sqlparser.MatchExpr:
		return nil, errors.New("sqlparse: MATCH … AGAINST is not supported")
	case sqlparser.ValTuple:
		return nil, errors.New("sqlparse: a parenthesised list of values is only allowed after IN")
	default:
		return nil, fmt.Errorf("sqlparse: the expression %s is not supported", sqlparser.String(e))
	}
}

func convertComparison(e *sqlparser.ComparisonExpr, params map[string]Placeholder) (Expr, error) {
	l, err := convertExpr(e.Left, params)
	if err != nil {
		return nil, err
	}
	switch e.Operator {
	case sqlparser.InStr, sqlparser.NotInStr:
		if sq, ok := e.Right.(*sqlparser.Subquery); ok {
			sub, err := convertSelectStatement(sq.Select, params)
			if err != nil {
				return nil, fmt.Errorf("%w (in the subquery)", err)
			}
			return &InSelect{X: l, Sub: sub, Not: e.Operator == sqlparser.NotInStr}, nil
		}
		tuple, ok := e.Right.(sqlparser.ValTuple)
		if !ok {
			return nil, fmt.Errorf("sqlparse: %s needs a list of values or a subquery", strings.ToUpper(e.Operator))
		}
		n := &In{X: l, Not: e.Operator == sqlparser.NotInStr}
		for _, v := range tuple {
			x, err := convertExpr(v, params)
			if err != nil {
				return nil, err
			}
			n.List = append(n.List, x)
		}
		return n, nil
	}
	r, err := convertExpr(e.Right, params)
	if err != nil {
		return nil, err
	}
	switch e.Operator {
	case sqlparser.EqualStr, sqlparser.LessThanStr, sqlparser.GreaterThanStr, sqlparser.LessEqualStr, sqlparser.GreaterEqualStr, sqlparser.NullSafeEqualStr:
		return &Comparison{Op: e.Operator, L: l, R: r}, nil
	case sqlparser.NotEqualStr:
		return &Comparison{Op: "<>", L: l, R: r}, nil
	case sqlparser.LikeStr, sqlparser.NotLikeStr:
		n := &Like{X: l, Pattern: r, Not: e.Operator == sqlparser.NotLikeStr}
		if e.Escape != nil {
			if n.Escape, err = convertExpr(e.Escape, params); err != nil {
				return nil, err
			}
		}
		return n, nil
	case sqlparser.RegexpStr, sqlparser.NotRegexpStr:
		return nil, errors.New("sqlparse: REGEXP is not supported yet")
	}
	return nil, fmt.Errorf("sqlparse: the operator %s is not supported", e.Operator)
}

// convertCase converts both forms of CASE.
func convertCase(e *sqlparser.CaseExpr, params map[string]Placeholder) (Expr, error) {
	n := &Case{}
	var err error
	if e.Expr != nil {
		if n.Operand, err = convertExpr(e.Expr, params); err != nil {
			return nil, err
		}
	}
	for _, w := range e.Whens {
		var cw When
		if cw.Cond, err = convertExpr(w.Cond, params); err != nil {
			return nil, err
		}
		if cw.Val, err = convertExpr(w.Val, params); err != nil {
			return nil, err
		}
		n.Whens = append(n.Whens, cw)
	}
	if e.Else != nil {
		if n.Else, err = convertExpr(e.Else, params); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// convertCast converts CAST(x AS t) and CONVERT(x, t). The parser knows
// only its own type names; rewriteForParser has already mapped INTEGER,
// DOUBLE, VARCHAR, SQL_INTEGER… onto them.
func convertCast(e *sqlparser.ConvertExpr, params map[string]Placeholder) (Expr, error) {
	to := strings.ToUpper(e.Type.Type)
	switch to {
	case "SIGNED", "UNSIGNED", "DECIMAL", "CHAR", "DATE", "DATETIME":
	case "NCHAR":
		to = "CHAR"
	case "TIME":
		return nil, errors.New("sqlparse: CAST to TIME is not supported: there is no time-of-day type; use DATETIME")
	default:
		return nil, fmt.Errorf("sqlparse: CAST to %s is not supported (use SIGNED, UNSIGNED, DECIMAL, DOUBLE, CHAR, DATE or DATETIME)", to)
	}
	x, err := convertExpr(e.Expr, params)
	if err != nil {
		return nil, err
	}
	n := &Cast{X: x, To: to, Length: -1, Scale: -1}
	size := func(v *sqlparser.SQLVal, what string) (int, error) {
		if v == nil {
			return -1, nil
		}
		i, err := strconv.Atoi(string(v.Val))
		if err != nil || v.Type != sqlparser.IntVal || i < 0 || i > 65535 {
			return 0, fmt.Errorf("sqlparse: CAST to %s: bad %s %s", to, what, v.Val)
		}
		return i, nil
	}
	switch to {
	case "CHAR":
		if n.Length, err = size(e.Type.Length, "length"); err != nil {
			return nil, err
		}
	case "DECIMAL":
		// DECIMAL(m) is DECIMAL(m, 0), as in MySQL; the precision m
		// itself is not enforced.
		if e.Type.Length != nil {
			n.Scale = 0
		}
		if e.Type.Scale != nil {
			if n.Scale, err = size(e.Type.Scale, "scale"); err != nil {
				return nil, err
			}
			if n.Scale > 30 {
				return nil, fmt.Errorf("sqlparse: CAST to DECIMAL: the scale %d is over 30", n.Scale)
			}
		}
	}
	return n, nil
}

// functions lists the scalar functions the driver evaluates (resolveFunc
// types them, rexpr.call runs them) with the number of arguments each
// takes. CASE, CAST and CONVERT have syntax of their own.
var functions = map[string]arity{
	"LOWER": {1, 1}, "LCASE": {1, 1}, "UPPER": {1, 1}, "UCASE": {1, 1},
	"LENGTH": {1, 1}, "CHAR_LENGTH": {1, 1},
	"TRIM": {1, 1}, "LTRIM": {1, 1}, "RTRIM": {1, 1},
	"SUBSTRING": {2, 3}, "SUBSTR": {2, 3}, "CONCAT": {1, -1},
	"YEAR": {1, 1}, "MONTH": {1, 1}, "DAY": {1, 1}, "DAYOFMONTH": {1, 1}, "DATE": {1, 1},
	"NOW": {0, 0}, "CURRENT_TIMESTAMP": {0, 0}, "LOCALTIME": {0, 0}, "LOCALTIMESTAMP": {0, 0}, "UTC_TIMESTAMP": {0, 0},
	"CURDATE": {0, 0}, "CURRENT_DATE": {0, 0}, "UTC_DATE": {0, 0},
	"COALESCE": {1, -1}, "IFNULL": {2, 2},
	"ABS": {1, 1}, "ROUND": {1, 2}, "MOD": {2, 2},
}

// arity is how many arguments a function takes: min to max, max -1 for
// any number.
type arity struct{ min, max int }

func (a arity) String() string {
	switch {
	case a.max == 0:
		return "no arguments"
	case a.max < 0:
		return "one or more arguments"
	case a.min == a.max && a.min == 1:
		return "1 argument"
	case a.min == a.max:
		return strconv.Itoa(a.min) + " arguments"
	}
	return strconv.Itoa(a.min) + " or " + strconv.Itoa(a.max) + " arguments"
}

// otherDialects names this dialect's function for a few that users bring
// from SQL Server, Oracle and others.
var otherDialects = map[string]string{
	"LEN":     "CHAR_LENGTH",
	"GETDATE": "NOW()", "SYSDATE": "NOW()", "GETUTCDATE": "UTC_TIMESTAMP()", "TODAY": "CURDATE()",
	"ISNULL": "IFNULL(x, y) or COALESCE, or x IS NULL", "NVL": "IFNULL or COALESCE",
}

func checkFunction(f *Func) error {
	want, ok := functions[f.Name]
	if !ok {
		names := []string{"CASE", "CAST", "CONVERT"}
		for name := range functions {
			names = append(names, name)
		}
		slices.Sort(names)
		if alt, ok := otherDialects[f.Name]; ok {
			return fmt.Errorf("sqlparse: unknown function %s: use %s", f.Name, alt)
		}
		best, bestDist := "", 0
		for _, name := range append(names, "COUNT", "SUM", "AVG", "MIN", "MAX") {
			if d := suggest.Distance(f.Name, name); best == "" || d < bestDist {
				best, bestDist = name, d
			}
		}
		if bestDist <= suggest.MaxDistance(f.Name) && bestDist < len(f.Name)/2 {
			return fmt.Errorf("sqlparse: unknown function %s: did you mean %s?", f.Name, best)
		}
		return fmt.Errorf("sqlparse: unknown function %s (supported: %s; aggregates: COUNT, SUM, AVG, MIN, MAX)", f.Name, strings.Join(names, ", "))
	}
	if len(f.Args) < want.min || want.max >= 0 && len(f.Args) > want.max {
		return fmt.Errorf("sqlparse: %s takes %s, got %d", f.Name, want, len(f.Args))
	}
	return nil
}
