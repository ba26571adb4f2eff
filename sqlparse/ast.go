package sqlparse

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xwb1989/sqlparser"
)

// Select is a parsed SELECT over one list. Its expressions are not yet
// resolved against the list's columns: BuildPlan does that.
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

	// describe: DESCRIBE's SELECT, which fails for a list that does not
	// exist (see Describe.Select).
	describe bool

	items   []selectItem
	where   node // nil without WHERE
	orderBy []orderItem
	limit   node // *litNode (int64) or *paramNode; nil without LIMIT
	offset  node
	params  map[string]placeholder // by bind name (see renderForParser)

	// joins are the lists after the first in FROM, in order.
	joins   []joinItem
	groupBy []node
	having  node
	// union, when set, makes this Select a UNION of its parts; orderBy,
	// limit and offset then apply to the union's result, and the other
	// fields are empty.
	union *union
}

// joinItem is one list joined to the lists before it.
type joinItem struct {
	left                bool // LEFT [OUTER] JOIN; else an inner (or comma) join
	list, schema, alias string
	on                  node // nil for a comma join
}

// union is SELECT … UNION [ALL] SELECT …: parts[0] followed by the rest,
// all[i] telling whether parts[i+1] was added with UNION ALL.
type union struct {
	parts []*Select
	all   []bool
}

// Simple reports whether the statement reads one list without grouping,
// aggregates (other than a lone COUNT(*)), joins, unions or subqueries:
// what BuildPlan plans. Anything else goes through BuildQuery.
func (s *Select) Simple() bool {
	if s.union != nil || len(s.joins) > 0 || len(s.groupBy) > 0 || s.having != nil {
		return false
	}
	complex := false
	visit := func(n node) {
		walkNodes(n, func(n node) {
			switch n.(type) {
			case *aggNode, *inSubNode:
				complex = true
			}
		})
	}
	for _, it := range s.items {
		if it.expr != nil && !it.count {
			visit(it.expr)
		}
	}
	if s.where != nil {
		visit(s.where)
	}
	for _, o := range s.orderBy {
		visit(o.expr)
	}
	return !complex && !(len(s.items) > 1 && s.hasCount())
}

func (s *Select) hasCount() bool {
	for _, it := range s.items {
		if it.count {
			return true
		}
	}
	return false
}

// NumInput returns the number of arguments the statement takes, for
// driver.Stmt.NumInput: the number of ? placeholders, or of distinct
// :name/@name ones; -1 when both kinds are mixed (database/sql then
// leaves the count to BuildPlan, which still checks every argument).
func (s *Select) NumInput() int {
	positional, named := 0, map[string]bool{}
	for _, p := range s.params {
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

// selectItem is one entry of the select list.
type selectItem struct {
	star     bool   // * or q.*
	starQual string // the q of q.*
	count    bool   // COUNT(*)
	expr     node
	alias    string // AS name, "" when none
}

type orderItem struct {
	expr node
	desc bool
}

// node is an unresolved expression.
type node interface{ sqlText() string }

type (
	// colNode is a column reference: path holds the dotted parts as
	// written (t.Project.Title is [t Project Title]).
	colNode struct{ path []string }
	// litNode is a constant: string, int64, float64, bool or nil.
	litNode struct{ v any }
	// paramNode is a placeholder, by its bind name.
	paramNode struct {
		bind string
		p    placeholder
	}
	cmpNode struct {
		op   string // = <> < <= > >= <=>
		l, r node
	}
	andNode struct{ l, r node }
	orNode  struct{ l, r node }
	notNode struct{ x node }
	isNode  struct {
		x    node
		what string
	} // "null", "not null", "true", "not true", "false", "not false"
	likeNode struct {
		x, pattern, escape node // escape may be nil
		not                bool
	}
	inNode struct {
		x    node
		list []node
		not  bool
	}
	betweenNode struct {
		x, lo, hi node
		not       bool
	}
	arithNode struct {
		op   string // + - * / %
		l, r node
	}
	negNode  struct{ x node }
	funcNode struct {
		name string // upper case
		args []node
	}
	// aggNode is an aggregate: COUNT(*) (arg nil), COUNT, SUM, AVG, MIN,
	// MAX, with DISTINCT or not.
	aggNode struct {
		name     string // upper case
		distinct bool
		arg      node
	}
	// inSubNode is x [NOT] IN (SELECT …), uncorrelated.
	inSubNode struct {
		x   node
		sub *Select
		not bool
	}
	// colRefNode is a column already resolved once: get resolves it again
	// in another resolver over the same fields (the scans of BuildQuery).
	colRefNode struct {
		text string
		get  func(r *resolver) (*column, error)
	}
	// caseNode is CASE [operand] WHEN … THEN … [ELSE …] END.
	caseNode struct {
		operand node // CASE x WHEN v …; nil for CASE WHEN cond …
		whens   []caseWhen
		els     node // nil without ELSE
	}
	// castNode is CAST(x AS to) or CONVERT(x, to).
	castNode struct {
		x  node
		to string // SIGNED, UNSIGNED, DECIMAL, CHAR, DATE or DATETIME
		// length is n of CHAR(n), scale d of DECIMAL(m, d); -1 when not
		// given.
		length, scale int
	}
)

type caseWhen struct{ cond, val node }

// childNodes returns n's operands, for walks over expressions.
func childNodes(n node) []node {
	switch n := n.(type) {
	case *cmpNode:
		return []node{n.l, n.r}
	case *andNode:
		return []node{n.l, n.r}
	case *orNode:
		return []node{n.l, n.r}
	case *notNode:
		return []node{n.x}
	case *isNode:
		return []node{n.x}
	case *likeNode:
		if n.escape != nil {
			return []node{n.x, n.pattern, n.escape}
		}
		return []node{n.x, n.pattern}
	case *inNode:
		return append([]node{n.x}, n.list...)
	case *betweenNode:
		return []node{n.x, n.lo, n.hi}
	case *arithNode:
		return []node{n.l, n.r}
	case *negNode:
		return []node{n.x}
	case *funcNode:
		return n.args
	case *aggNode:
		if n.arg != nil {
			return []node{n.arg}
		}
	case *inSubNode:
		return []node{n.x} // the subquery is a statement of its own
	case *caseNode:
		var out []node
		if n.operand != nil {
			out = append(out, n.operand)
		}
		for _, w := range n.whens {
			out = append(out, w.cond, w.val)
		}
		if n.els != nil {
			out = append(out, n.els)
		}
		return out
	case *castNode:
		return []node{n.x}
	}
	return nil
}

// walkNodes calls fn for n and every expression under it.
func walkNodes(n node, fn func(node)) {
	if n == nil {
		return
	}
	fn(n)
	for _, c := range childNodes(n) {
		walkNodes(c, fn)
	}
}

// convertSelect turns the parser's AST into ours. Everything outside the
// dialect is refused here, so that a plan is never built from a statement
// whose meaning we only partly understood.
func convertSelect(st *sqlparser.Select, params map[string]placeholder) (*Select, error) {
	switch {
	case st.Lock != "":
		return nil, fmt.Errorf("sqlparse: %s is not supported: SharePoint has no locks", strings.TrimSpace(st.Lock))
	case st.Distinct != "" && st.Distinct != sqlparser.DistinctStr:
		return nil, fmt.Errorf("sqlparse: %s is not supported", strings.TrimSpace(st.Distinct))
	case st.Hints != "":
		return nil, fmt.Errorf("sqlparse: %s is not supported", strings.TrimSpace(st.Hints))
	}
	s := &Select{Distinct: st.Distinct != "", params: params}
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
		s.items = append(s.items, item)
	}
	if st.Where != nil {
		w, err := convertExpr(st.Where.Expr, params)
		if err != nil {
			return nil, err
		}
		s.where = w
	}
	for _, g := range st.GroupBy {
		e, err := convertExpr(g, params)
		if err != nil {
			return nil, fmt.Errorf("%w (in GROUP BY)", err)
		}
		s.groupBy = append(s.groupBy, e)
	}
	if st.Having != nil {
		h, err := convertExpr(st.Having.Expr, params)
		if err != nil {
			return nil, fmt.Errorf("%w (in HAVING)", err)
		}
		s.having = h
	}
	if err := s.convertOrderLimit(st.OrderBy, st.Limit, params); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Select) convertOrderLimit(orderBy sqlparser.OrderBy, limit *sqlparser.Limit, params map[string]placeholder) error {
	for _, o := range orderBy {
		e, err := convertExpr(o.Expr, params)
		if err != nil {
			return err
		}
		s.orderBy = append(s.orderBy, orderItem{expr: e, desc: o.Direction == sqlparser.DescScr})
	}
	if limit != nil {
		var err error
		if s.limit, err = convertLimit(limit.Rowcount, "LIMIT", params); err != nil {
			return err
		}
		if limit.Offset != nil {
			if s.offset, err = convertLimit(limit.Offset, "OFFSET", params); err != nil {
				return err
			}
		}
	}
	return nil
}

// addFrom adds one FROM entry: the first list, or a list joined to the
// ones before it. Joins nest to the left (a JOIN b JOIN c is (a JOIN b)
// JOIN c); a parenthesised join on the right is refused.
func (s *Select) addFrom(te sqlparser.TableExpr, left bool, on sqlparser.Expr, first *bool, params map[string]placeholder) error {
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
		j := joinItem{left: left, list: tn.Name.String(), schema: tn.Qualifier.String(), alias: from.As.String()}
		if on != nil {
			n, err := convertExpr(on, params)
			if err != nil {
				return fmt.Errorf("%w (in ON)", err)
			}
			j.on = n
		}
		s.joins = append(s.joins, j)
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

func convertSelectExpr(se sqlparser.SelectExpr, params map[string]placeholder) (selectItem, error) {
	switch se := se.(type) {
	case *sqlparser.StarExpr:
		if !se.TableName.Qualifier.IsEmpty() {
			return selectItem{}, fmt.Errorf("sqlparse: %s.%s.* is not supported", se.TableName.Qualifier.String(), se.TableName.Name.String())
		}
		return selectItem{star: true, starQual: se.TableName.Name.String()}, nil
	case *sqlparser.AliasedExpr:
		item := selectItem{alias: se.As.String()}
		e, err := convertExpr(se.Expr, params)
		if err != nil {
			return selectItem{}, err
		}
		item.expr = e
		if a, ok := e.(*aggNode); ok && a.name == "COUNT" && a.arg == nil && !a.distinct {
			item.count = true
		}
		return item, nil
	default:
		return selectItem{}, fmt.Errorf("sqlparse: %s is not supported", sqlparser.String(se))
	}
}

// convertAggregate converts COUNT(*), COUNT([DISTINCT] x), SUM, AVG, MIN
// and MAX; other aggregates are refused by name.
func convertAggregate(f *sqlparser.FuncExpr, params map[string]placeholder) (node, error) {
	name := strings.ToUpper(f.Name.String())
	switch name {
	case "COUNT", "SUM", "AVG", "MIN", "MAX":
	default:
		return nil, fmt.Errorf("sqlparse: the aggregate %s is not supported (COUNT, SUM, AVG, MIN and MAX are)", name)
	}
	if !f.Qualifier.IsEmpty() || len(f.Exprs) != 1 {
		return nil, fmt.Errorf("sqlparse: %s takes one argument", name)
	}
	a := &aggNode{name: name, distinct: f.Distinct}
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
		a.arg = arg
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

func convertLimit(e sqlparser.Expr, what string, params map[string]placeholder) (node, error) {
	switch v := e.(type) {
	case *sqlparser.SQLVal:
		switch v.Type {
		case sqlparser.IntVal:
			n, err := strconv.ParseInt(string(v.Val), 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("sqlparse: %s must be a whole number ≥ 0, got %s", what, v.Val)
			}
			return &litNode{v: n}, nil
		case sqlparser.ValArg:
			return convertExpr(v, params)
		}
	}
	return nil, fmt.Errorf("sqlparse: %s must be a whole number or a placeholder, got %s", what, sqlparser.String(e))
}

// convertExpr converts one expression, refusing what the dialect lacks.
func convertExpr(e sqlparser.Expr, params map[string]placeholder) (node, error) {
	conv := func(e sqlparser.Expr) (node, error) { return convertExpr(e, params) }
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
		return &andNode{l, r}, nil
	case *sqlparser.OrExpr:
		l, err := conv(e.Left)
		if err != nil {
			return nil, err
		}
		r, err := conv(e.Right)
		if err != nil {
			return nil, err
		}
		return &orNode{l, r}, nil
	case *sqlparser.NotExpr:
		x, err := conv(e.Expr)
		if err != nil {
			return nil, err
		}
		return &notNode{x}, nil
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
		return &betweenNode{x: x, lo: lo, hi: hi, not: e.Operator == sqlparser.NotBetweenStr}, nil
	case *sqlparser.IsExpr:
		x, err := conv(e.Expr)
		if err != nil {
			return nil, err
		}
		return &isNode{x: x, what: strings.TrimPrefix(e.Operator, "is ")}, nil
	case *sqlparser.SQLVal:
		switch e.Type {
		case sqlparser.StrVal:
			return &litNode{v: string(e.Val)}, nil
		case sqlparser.IntVal:
			n, err := strconv.ParseInt(string(e.Val), 10, 64)
			if err != nil {
				// Too large for int64: keep it exact enough as a float.
				f, ferr := strconv.ParseFloat(string(e.Val), 64)
				if ferr != nil {
					return nil, fmt.Errorf("sqlparse: bad number %s", e.Val)
				}
				return &litNode{v: f}, nil
			}
			return &litNode{v: n}, nil
		case sqlparser.FloatVal:
			f, err := strconv.ParseFloat(string(e.Val), 64)
			if err != nil {
				return nil, fmt.Errorf("sqlparse: bad number %s", e.Val)
			}
			return &litNode{v: f}, nil
		case sqlparser.ValArg:
			bind := strings.TrimPrefix(string(e.Val), ":")
			p, ok := params[bind]
			if !ok {
				return nil, fmt.Errorf("sqlparse: unexpected bind variable %s", e.Val)
			}
			return &paramNode{bind: bind, p: p}, nil
		default:
			return nil, fmt.Errorf("sqlparse: the literal %s is not supported (hexadecimal and bit literals)", sqlparser.String(e))
		}
	case *sqlparser.NullVal:
		return &litNode{v: nil}, nil
	case sqlparser.BoolVal:
		return &litNode{v: bool(e)}, nil
	case *sqlparser.ColName:
		var path []string
		if q := e.Qualifier; !q.IsEmpty() {
			if !q.Qualifier.IsEmpty() {
				path = append(path, q.Qualifier.String())
			}
			path = append(path, q.Name.String())
		}
		path = append(path, e.Name.String())
		return &colNode{path: path}, nil
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
		return &arithNode{op: op, l: l, r: r}, nil
	case *sqlparser.UnaryExpr:
		x, err := conv(e.Expr)
		if err != nil {
			return nil, err
		}
		switch e.Operator {
		case sqlparser.UMinusStr:
			if l, ok := x.(*litNode); ok {
				switch v := l.v.(type) {
				case int64:
					return &litNode{v: -v}, nil
				case float64:
					return &litNode{v: -v}, nil
				}
			}
			return &negNode{x}, nil
		case sqlparser.UPlusStr:
			return x, nil
		case sqlparser.BangStr:
			return &notNode{x}, nil
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
		f := &funcNode{name: name}
		for _, a := range e.Exprs {
			ae, ok := a.(*sqlparser.AliasedExpr)
			if !ok || !ae.As.IsEmpty() {
				return nil, fmt.Errorf("sqlparse: bad argument to %s", name)
			}
			x, err := conv(ae.Expr)
			if err != nil {
				return nil, err
			}
			f.args = append(f.args, x)
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

func convertComparison(e *sqlparser.ComparisonExpr, params map[string]placeholder) (node, error) {
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
			return &inSubNode{x: l, sub: sub, not: e.Operator == sqlparser.NotInStr}, nil
		}
		tuple, ok := e.Right.(sqlparser.ValTuple)
		if !ok {
			return nil, fmt.Errorf("sqlparse: %s needs a list of values or a subquery", strings.ToUpper(e.Operator))
		}
		n := &inNode{x: l, not: e.Operator == sqlparser.NotInStr}
		for _, v := range tuple {
			x, err := convertExpr(v, params)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, x)
		}
		return n, nil
	}
	r, err := convertExpr(e.Right, params)
	if err != nil {
		return nil, err
	}
	switch e.Operator {
	case sqlparser.EqualStr, sqlparser.LessThanStr, sqlparser.GreaterThanStr, sqlparser.LessEqualStr, sqlparser.GreaterEqualStr, sqlparser.NullSafeEqualStr:
		return &cmpNode{op: e.Operator, l: l, r: r}, nil
	case sqlparser.NotEqualStr:
		return &cmpNode{op: "<>", l: l, r: r}, nil
	case sqlparser.LikeStr, sqlparser.NotLikeStr:
		n := &likeNode{x: l, pattern: r, not: e.Operator == sqlparser.NotLikeStr}
		if e.Escape != nil {
			if n.escape, err = convertExpr(e.Escape, params); err != nil {
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
func convertCase(e *sqlparser.CaseExpr, params map[string]placeholder) (node, error) {
	n := &caseNode{}
	var err error
	if e.Expr != nil {
		if n.operand, err = convertExpr(e.Expr, params); err != nil {
			return nil, err
		}
	}
	for _, w := range e.Whens {
		var cw caseWhen
		if cw.cond, err = convertExpr(w.Cond, params); err != nil {
			return nil, err
		}
		if cw.val, err = convertExpr(w.Val, params); err != nil {
			return nil, err
		}
		n.whens = append(n.whens, cw)
	}
	if e.Else != nil {
		if n.els, err = convertExpr(e.Else, params); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// convertCast converts CAST(x AS t) and CONVERT(x, t). The parser knows
// only its own type names; rewriteForParser has already mapped INTEGER,
// DOUBLE, VARCHAR, SQL_INTEGER… onto them.
func convertCast(e *sqlparser.ConvertExpr, params map[string]placeholder) (node, error) {
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
	n := &castNode{x: x, to: to, length: -1, scale: -1}
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
		if n.length, err = size(e.Type.Length, "length"); err != nil {
			return nil, err
		}
	case "DECIMAL":
		// DECIMAL(m) is DECIMAL(m, 0), as in MySQL; the precision m
		// itself is not enforced.
		if e.Type.Length != nil {
			n.scale = 0
		}
		if e.Type.Scale != nil {
			if n.scale, err = size(e.Type.Scale, "scale"); err != nil {
				return nil, err
			}
			if n.scale > 30 {
				return nil, fmt.Errorf("sqlparse: CAST to DECIMAL: the scale %d is over 30", n.scale)
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

func checkFunction(f *funcNode) error {
	want, ok := functions[f.name]
	if !ok {
		names := []string{"CASE", "CAST", "CONVERT"}
		for name := range functions {
			names = append(names, name)
		}
		slices.Sort(names)
		return fmt.Errorf("sqlparse: unknown function %s (supported: %s)", f.name, strings.Join(names, ", "))
	}
	if len(f.args) < want.min || want.max >= 0 && len(f.args) > want.max {
		return fmt.Errorf("sqlparse: %s takes %s, got %d", f.name, want, len(f.args))
	}
	return nil
}
