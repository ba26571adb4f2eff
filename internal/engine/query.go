package engine

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// A SELECT — over lists, information_schema, or both; plain, joined,
// grouped, a UNION — is planned into one tree of operators. Each list is
// read by its own Plan (a scan): its part of WHERE and ON pushed down to
// $filter where SharePoint evaluates it exactly, only the columns the
// query uses in $select, and for a single list with nothing above it but
// a projection, its ORDER BY and LIMIT as $orderby and $top. The driver
// does the rest — filters, joins, groups, sorts, DISTINCT, LIMIT — in
// operators that hold only what they must (a join's smaller side, the
// groups, a sort's top n), within Options.MaxMemoryRows.

// ErrMemoryLimit is returned when answering a query would hold more rows
// in memory than Options.MaxMemoryRows allows.
var ErrMemoryLimit = errors.New("spsql: memory limit (MaxMemoryRows) reached")

// Query is a planned SELECT: a tree of operators over one scan per list.
type Query struct {
	// Columns are the result columns, in order.
	Columns []OutputColumn

	root  operator
	subs  []*subquery // IN (SELECT …) subqueries, run before the root
	scans []*Plan     // every list's scan, in the order planned
	opts  Options

	lists  []string // the lists whose fields planning read
	reread bool     // planning already re-read their fields (run.go)
}

// BuildQuery resolves sel against the lists of src, binds args to its
// placeholders and plans it. It reads only metadata (fields, which may
// be cached). A query naming a column the cached fields lack re-reads
// the fields of its lists once before failing: a list's schema may have
// changed since they were cached.
func BuildQuery(ctx context.Context, sel *sqlparse.Select, src Source, args []driver.NamedValue, opts Options) (*Query, error) {
	return buildQuery(ctx, sel, src, args, opts, true)
}

// buildQuery is BuildQuery; reread says whether a column the fields lack
// may re-read them (Run's second planning, on fields it has just had
// re-read, may not).
func buildQuery(ctx context.Context, sel *sqlparse.Select, src Source, args []driver.NamedValue, opts Options, reread bool) (*Query, error) {
	if sel == nil {
		return nil, errors.New("spsql: BuildQuery needs a Select")
	}
	values, err := sqlparse.BindArgs(sel.Params, args)
	if err != nil {
		return nil, err
	}
	if opts.PageSize <= 0 {
		opts.PageSize = sharepoint.DefaultPageSize
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	// One NOW() for the whole statement, its scans and subqueries too.
	at := time.Now()
	if opts.Now != nil {
		at = opts.Now()
	}
	opts.Now = func() time.Time { return at }
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		qb := &queryBuilder{ctx: ctx, src: src, values: values, opts: opts, now: at}
		root, cols, err := qb.statement(sel, nil)
		if err != nil {
			if reread && attempt == 0 && errors.Is(err, sharepoint.ErrFieldNotFound) && len(qb.read) > 0 {
				for _, l := range qb.read {
					src.Invalidate(l)
				}
				continue
			}
			return nil, err
		}
		return &Query{Columns: cols, root: root, subs: qb.subs, scans: qb.scans, opts: opts,
			lists: qb.read, reread: attempt > 0}, nil
	}
}

// queryBuilder holds what the blocks of one statement share.
type queryBuilder struct {
	ctx    context.Context
	src    Source
	read   []string // the lists whose fields were read
	scans  []*Plan
	values map[string]any
	opts   Options
	subs   []*subquery
	subq   map[*sqlparse.Select]*subquery // by statement
	now    time.Time                      // NOW()
}

// statement plans a SELECT or a UNION.
func (qb *queryBuilder) statement(sel *sqlparse.Select, outer *blockBuilder) (operator, []OutputColumn, error) {
	if sel.Union != nil {
		return qb.union(sel, outer)
	}
	bb := &blockBuilder{qb: qb, sel: sel, outer: outer}
	return bb.build()
}

// subquery plans the SELECT of x IN (SELECT …): one column, no
// correlation (its names resolve against its own lists only).
func (qb *queryBuilder) subquery(sel *sqlparse.Select, outer *blockBuilder) (*subquery, error) {
	// An expression resolved twice (a select item and its GROUP BY, an
	// alias in HAVING) must name one subquery, run once.
	if sq, ok := qb.subq[sel]; ok {
		return sq, nil
	}
	op, cols, err := qb.statement(sel, outer)
	if err != nil {
		return nil, err
	}
	if len(cols) != 1 {
		return nil, fmt.Errorf("spsql: a subquery after IN must select one column, not %d", len(cols))
	}
	sq := &subquery{n: len(qb.subs) + 1, op: op, typ: sqlTypeOf(cols[0].Type), calendar: cols[0].calendar}
	if cols[0].null {
		sq.typ = tNull
	}
	qb.subs = append(qb.subs, sq)
	if qb.subq == nil {
		qb.subq = map[*sqlparse.Select]*subquery{}
	}
	qb.subq[sel] = sq
	return sq, nil
}

// colRefNode is a column already resolved once: get resolves it again
// in another resolver over the same fields (the scans of BuildQuery).
type colRefNode struct {
	text string
	get  func(r *resolver) (*column, error)
}

func (n *colRefNode) SQL() string { return n.text }

// table is one list of a SELECT's FROM, as the operators above its scan
// see it: the columns they use sit at base+i of the joined row.
type table struct {
	list, alias string
	fields      []sharepoint.Field
	r           *resolver // resolves the query's names; its columns index the joined row
	nullable    bool      // the right side of a LEFT JOIN
	count       int64     // ItemCount, -1 if unknown

	items []sqlparse.SelectItem // the scan's select list
	cols  []*column             // the joined row's columns read from this list, by item
	used  map[*column]int       // index in cols
	where []sqlparse.Expr       // conjuncts pushed into the scan
	base  int
	plan  *Plan
	sel   *sqlparse.Select // the scan's statement (for ID lookups)
	scan  *scanOp
	// virtual: a table of information_schema, made from metadata;
	// describe: DESCRIBE's, which fails for a list that does not exist.
	virtual, describe bool
}

func (t *table) name() string {
	if t.alias != "" {
		return sqlparse.QuoteIdent(t.list) + " AS " + sqlparse.QuoteIdent(t.alias)
	}
	return sqlparse.QuoteIdent(t.list)
}

// use makes c (one of t.r's columns) part of the joined row; get
// resolves the same column in the scan's own resolver.
func (t *table) use(c *column, text string, get func(r *resolver) (*column, error)) {
	if _, ok := t.used[c]; ok {
		return
	}
	t.used[c] = len(t.cols)
	t.cols = append(t.cols, c)
	t.items = append(t.items, sqlparse.SelectItem{Expr: &colRefNode{text: text, get: get}})
}

// blockBuilder plans one SELECT (no UNION).
type blockBuilder struct {
	qb     *queryBuilder
	sel    *sqlparse.Select
	tables []*table
	width  int           // of the joined row
	outer  *blockBuilder // the query this one is a subquery of
}

// outerTable returns the list of an enclosing query that q qualifies,
// or nil: for the error of a correlated subquery.
func (bb *blockBuilder) outerTable(q string) *table {
	for o := bb.outer; o != nil; o = o.outer {
		for _, t := range o.tables {
			if strings.EqualFold(t.alias, q) || t.alias == "" && strings.EqualFold(t.list, q) {
				return t
			}
		}
	}
	return nil
}

func (bb *blockBuilder) binder(aggregates bool) *binder {
	return &binder{
		r:          bb.tables[0].r,
		values:     bb.qb.values,
		columns:    bb.column,
		aggregates: aggregates,
		subquery:   func(sel *sqlparse.Select) (*subquery, error) { return bb.qb.subquery(sel, bb) },
		now:        bb.qb.now,
		ctx:        bb.qb.ctx,
	}
}

// find resolves a column reference against the FROM lists without
// using it: a qualifier (alias or list name) picks the list, else the
// one list that has the column.
func (bb *blockBuilder) find(path []string) (*table, *column, string, error) {
	if len(path) >= 2 {
		for _, t := range bb.tables {
			if t.alias != "" && strings.EqualFold(t.alias, path[0]) {
				c, written, err := t.r.resolvePath(path)
				return t, c, written, err
			}
		}
		var named []*table
		for _, t := range bb.tables {
			if strings.EqualFold(t.list, path[0]) {
				named = append(named, t)
			}
		}
		switch {
		case len(named) > 1:
			return nil, nil, "", fmt.Errorf("spsql: %s.%s is ambiguous: the query reads list %q more than once; qualify the column with an alias", path[0], strings.Join(path[1:], "."), named[0].list)
		case len(named) == 1:
			c, written, err := named[0].r.resolvePath(path)
			return named[0], c, written, err
		}
		if outer := bb.outerTable(path[0]); outer != nil {
			return nil, nil, "", fmt.Errorf("spsql: %s refers to %s of the outer query: correlated subqueries are not supported; write the condition as a JOIN", strings.Join(path, "."), outer.name())
		}
	}
	var (
		found           *table
		col             *column
		written         string
		firstErr        error
		foundIn, listed []string
	)
	for _, t := range bb.tables {
		listed = append(listed, t.name())
		c, w, err := t.r.resolvePath(path)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		foundIn = append(foundIn, t.name())
		if found == nil {
			found, col, written = t, c, w
		}
	}
	switch {
	case len(foundIn) > 1:
		return nil, nil, "", fmt.Errorf("spsql: column %q is ambiguous: it is in %s; qualify it (alias.%s)", strings.Join(path, "."), strings.Join(foundIn, ", "), strings.Join(path, "."))
	case found == nil && len(bb.tables) == 1:
		return nil, nil, "", firstErr
	case found == nil:
		return nil, nil, "", noColumnError(bb.tables, listed, path)
	}
	return found, col, written, nil
}

// column resolves a column reference of the block's expressions and
// makes it part of the joined row.
func (bb *blockBuilder) column(path []string) (*column, string, error) {
	t, c, written, err := bb.find(path)
	if err != nil {
		return nil, "", err
	}
	p := append([]string(nil), path...)
	t.use(c, quotePath(written), func(r *resolver) (*column, error) {
		c, _, err := r.resolvePath(p)
		return c, err
	})
	if len(bb.tables) > 1 {
		written = tableQualifier(t) + "." + written
	}
	return c, written, nil
}

func tableQualifier(t *table) string {
	if t.alias != "" {
		return t.alias
	}
	return t.list
}

// refs returns the indexes of the tables an expression reads, and
// whether it holds a subquery or an aggregate.
func (bb *blockBuilder) refs(n sqlparse.Expr) (tables map[int]bool, sub, agg bool, err error) {
	tables = map[int]bool{}
	sqlparse.Walk(n, func(n sqlparse.Expr) {
		switch n := n.(type) {
		case *sqlparse.ColumnRef:
			t, _, _, e := bb.find(n.Path)
			if e != nil {
				if err == nil {
					err = doubleQuotedHint(n, e)
				}
				return
			}
			for i, x := range bb.tables {
				if x == t {
					tables[i] = true
				}
			}
		case *sqlparse.InSelect:
			sub = true
		case *sqlparse.Aggregate:
			agg = true
		}
	})
	return tables, sub, agg, err
}

// splitAnd returns the AND-ed parts of a condition.
func splitAnd(n sqlparse.Expr) []sqlparse.Expr {
	if a, ok := n.(*sqlparse.And); ok {
		return append(splitAnd(a.L), splitAnd(a.R)...)
	}
	return []sqlparse.Expr{n}
}

func andAll(parts []sqlparse.Expr) sqlparse.Expr {
	var out sqlparse.Expr
	for _, p := range parts {
		if out == nil {
			out = p
		} else {
			out = &sqlparse.And{L: out, R: p}
		}
	}
	return out
}

// build plans the block: scans, joins, WHERE, grouping, the select list,
// DISTINCT, ORDER BY and LIMIT, in SQL's logical order.
func (bb *blockBuilder) build() (operator, []OutputColumn, error) {
	sel, qb := bb.sel, bb.qb
	if err := bb.addTable(sel.Schema, sel.List, sel.Alias, false); err != nil {
		return nil, nil, err
	}
	bb.tables[0].describe = sel.Describe
	for _, j := range sel.Joins {
		if err := bb.addTable(j.Schema, j.List, j.Alias, j.Left); err != nil {
			return nil, nil, err
		}
	}
	// A join chooses the side it holds by the lists' ItemCount (from the
	// cached lists): a single list needs none, and costs no request for it.
	if len(bb.tables) > 1 {
		for _, t := range bb.tables {
			if !t.virtual {
				t.count = qb.itemCount(t.list)
			}
		}
	}

	// ON: a list's own conditions go into its scan; equalities with the
	// lists before it are the join's keys; the rest is checked per pair.
	joins := make([]*joinSpec, len(bb.tables))
	for i := 1; i < len(bb.tables); i++ {
		joins[i] = &joinSpec{left: sel.Joins[i-1].Left}
		if on := sel.Joins[i-1].On; on != nil {
			for _, c := range splitAnd(on) {
				if err := bb.placeOn(i, c, joins[i]); err != nil {
					return nil, nil, fmt.Errorf("%w (in ON)", err)
				}
			}
		}
	}

	// WHERE: a conjunct on one list goes into its scan (unless the list
	// is the NULL-extended side of a LEFT JOIN, where filtering first
	// would bring the NULL rows back); an equality between lists of an
	// inner join is a join key; anything else is checked as soon as
	// every list it reads has been joined.
	filters := make([][]sqlparse.Expr, len(bb.tables))
	if sel.Where != nil {
		for _, c := range splitAnd(sel.Where) {
			refs, sub, agg, err := bb.refs(c)
			if err != nil {
				return nil, nil, fmt.Errorf("%w (in WHERE)", err)
			}
			if agg {
				return nil, nil, fmt.Errorf("spsql: aggregates are not allowed in WHERE (%s); use HAVING", c.SQL())
			}
			last := 0
			for i := range refs {
				last = max(last, i)
			}
			switch {
			case len(refs) == 1 && !sub && !bb.tables[last].nullable:
				bb.tables[last].where = append(bb.tables[last].where, c)
			case last > 0 && !joins[last].left && bb.joinKey(last, c, refs, joins[last]):
			default:
				filters[last] = append(filters[last], c)
			}
		}
	}

	grouped := len(sel.GroupBy) > 0 || sel.Having != nil || bb.hasAggregate()

	// Resolve everything above the scans now: the columns they read
	// become the scans' select lists.
	proj := &projection{}
	b := bb.binder(grouped)
	for i := 1; i < len(bb.tables); i++ {
		if err := bb.resolveJoin(joins[i]); err != nil {
			return nil, nil, err
		}
	}
	var filterExprs [][]*rexpr
	for _, fs := range filters {
		var es []*rexpr
		for _, f := range fs {
			e, err := bb.binder(false).condition(f)
			if err != nil {
				return nil, nil, fmt.Errorf("%w (in WHERE)", err)
			}
			es = append(es, e)
		}
		filterExprs = append(filterExprs, es)
	}
	var g *grouping
	if grouped {
		var err error
		if g, err = bb.grouping(); err != nil {
			return nil, nil, err
		}
	}
	outs, err := bb.outputs(b, g, proj)
	if err != nil {
		return nil, nil, err
	}
	var having *rexpr
	if sel.Having != nil {
		h, err := b.condition(bb.aliasesToExprs(sel.Having))
		if err == nil {
			h, err = g.regroup(h)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w (in HAVING)", err)
		}
		having = h
	}
	keys, err := bb.orderKeys(b, g, proj, outs)
	if err != nil {
		return nil, nil, err
	}
	limit, offset, err := qb.limits(sel.Limit, sel.Offset)
	if err != nil {
		return nil, nil, err
	}

	// A single list with nothing between its scan and the projection
	// hands its ORDER BY to $orderby when every key is a plain sortable
	// column, and its LIMIT to $top when nothing above drops rows: the
	// scan then returns the rows in order and stops after them.
	var pushOrder []sqlparse.OrderItem
	var pushLimit, pushOffset sqlparse.Expr
	if t := bb.tables[0]; len(bb.tables) == 1 && g == nil && len(filterExprs[0]) == 0 && !t.virtual {
		pushOrder = bb.pushableOrder(t, keys, proj)
		if limit >= 0 && !sel.Distinct && (len(keys) == 0 || pushOrder != nil) {
			pushLimit, pushOffset = &sqlparse.Literal{Value: int64(limit)}, &sqlparse.Literal{Value: int64(offset)}
		}
	}
	// A chain of LEFT JOINs returns every row of its first list at least
	// once: with nothing above it that drops or reorders rows, the first
	// list's scan can stop after OFFSET+LIMIT rows, which the rest of the
	// joins then extend.
	if len(bb.tables) > 1 && limit >= 0 && g == nil && len(keys) == 0 && !sel.Distinct && !bb.tables[0].virtual && leftJoinsOnly(joins[1:], filterExprs) {
		pushLimit, pushOffset = &sqlparse.Literal{Value: int64(limit)}, &sqlparse.Literal{Value: int64(offset)}
	}

	// The scans: each list's plan reads the columns used above.
	for _, t := range bb.tables {
		t.base = bb.width
		for j, c := range t.cols {
			c.idx = t.base + j
		}
		bb.width += len(t.cols)
		t.sel = &sqlparse.Select{List: t.list, Alias: t.alias, Items: t.items, Where: andAll(t.where), Params: sel.Params}
		if t == bb.tables[0] {
			t.sel.OrderBy, t.sel.Limit, t.sel.Offset = pushOrder, pushLimit, pushOffset
		}
		o := qb.opts
		o.ClientOnly = o.ClientOnly || t.virtual
		if t.plan, err = buildPlan(t.sel, t.list, t.fields, qb.values, o); err != nil {
			return nil, nil, err
		}
		qb.scans = append(qb.scans, t.plan)
	}
	// COUNT(*) of a whole list is its ItemCount, read when the query runs:
	// no item is read.
	if t := bb.tables[0]; g != nil && len(bb.tables) == 1 && !t.virtual && t.where == nil && len(filterExprs[0]) == 0 && len(g.keys) == 0 && onlyCountStar(g.aggs) {
		g.itemCount = t
	}

	// The operator tree, from the first scan up.
	for _, t := range bb.tables {
		t.scan = &scanOp{t: t, width: bb.width}
	}
	var op operator = bb.tables[0].scan
	if len(filterExprs[0]) > 0 {
		op = &filterOp{in: op, preds: filterExprs[0]}
	}
	for i := 1; i < len(bb.tables); i++ {
		j := joins[i]
		j.right = bb.tables[i].scan
		j.values, j.opts = qb.values, qb.opts
		j.leftIn = op
		j.chooseBuild(bb.tables[:i], bb.tables[i], qb.opts)
		op = j
		if len(filterExprs[i]) > 0 {
			op = &filterOp{in: op, preds: filterExprs[i]}
		}
	}
	if g != nil {
		g.in = op
		op = g
		if having != nil {
			op = &filterOp{in: op, preds: []*rexpr{having}, having: true}
		}
	}
	pr := &projectOp{in: op, cols: outs, hidden: proj.hidden}
	if len(bb.tables) == 1 && g == nil {
		pr.inPlace = inPlace(proj, bb.width)
	}
	op = pr
	if sel.Distinct {
		op = &distinctOp{in: op, width: len(outs)}
	}
	if len(keys) > 0 {
		s := &sortOp{in: op, keys: keys, top: topN(limit, offset)}
		if t := bb.tables[0]; t.plan.ordered {
			s.presorted = t.scan
		}
		op = s
	}
	if limit >= 0 || offset > 0 || len(proj.hidden) > 0 {
		op = &limitOp{in: op, limit: limit, offset: offset, width: len(outs)}
	}
	return op, outs, nil
}

// inPlace reports a projection that reads each output column from the
// same position of a row as wide as the output: the scan's fresh row can
// become the output row, its values converted where they stand.
func inPlace(proj *projection, width int) bool {
	if len(proj.hidden) > 0 || len(proj.outs) != width {
		return false
	}
	for i, e := range proj.outs {
		if e.op != opCol || e.col.idx != i {
			return false
		}
	}
	return true
}

// pushableOrder returns the ORDER BY of a single list's block as the
// scan's own, when every key is a plain sortable column of it; else nil.
func (bb *blockBuilder) pushableOrder(t *table, keys []sortKey, proj *projection) []sqlparse.OrderItem {
	if len(keys) == 0 {
		return nil
	}
	nOut := len(proj.outs)
	var order []sqlparse.OrderItem
	for _, k := range keys {
		var e *rexpr
		if k.pos < nOut {
			e = proj.outs[k.pos]
		} else {
			e = proj.hidden[k.pos-nOut]
		}
		if e.op != opCol || !e.col.sortable {
			return nil
		}
		i, ok := t.used[e.col]
		if !ok {
			return nil
		}
		order = append(order, sqlparse.OrderItem{Expr: t.items[i].Expr, Desc: k.desc})
	}
	return order
}

// leftJoinsOnly reports a FROM whose joins are all LEFT JOINs, with no
// filter applied above any of them.
func leftJoinsOnly(joins []*joinSpec, filters [][]*rexpr) bool {
	for _, j := range joins {
		if !j.left {
			return false
		}
	}
	for _, f := range filters {
		if len(f) > 0 {
			return false
		}
	}
	return true
}

// onlyCountStar reports aggregates that are all COUNT(*).
func onlyCountStar(aggs []*rexpr) bool {
	for _, a := range aggs {
		if len(a.args) != 0 {
			return false
		}
	}
	return len(aggs) > 0
}

func topN(limit, offset int) int {
	if limit < 0 {
		return -1
	}
	return limit + offset
}

// addTable adds a list (or, with a schema, a virtual table of
// information_schema) to the block's FROM.
func (bb *blockBuilder) addTable(schema, list, alias string, left bool) error {
	var fields []sharepoint.Field
	var err error
	virtual := schema != ""
	if virtual {
		fields, err = schemaFields(schema, list)
		list = sqlparse.SchemaName + "." + strings.ToLower(list)
	} else {
		fields, err = bb.qb.src.Fields(bb.qb.ctx, list)
		bb.qb.read = append(bb.qb.read, list)
	}
	if err != nil {
		return err
	}
	for _, t := range bb.tables {
		if strings.EqualFold(tableQualifier(t), alias) && alias != "" || alias == "" && t.alias == "" && strings.EqualFold(t.list, list) {
			return fmt.Errorf("spsql: list %q appears twice in FROM; give each an alias (FROM %s a JOIN %s b …)", list, sqlparse.QuoteIdent(list), sqlparse.QuoteIdent(list))
		}
	}
	t := &table{list: list, alias: alias, fields: fields, nullable: left, count: -1, virtual: virtual, used: map[*column]int{}}
	t.r = newResolver(list, alias, fields, bb.qb.opts.Location)
	bb.tables = append(bb.tables, t)
	return nil
}

// itemCount returns a list's ItemCount from the (cached) lists, or -1:
// only a join's choice of side depends on it.
func (qb *queryBuilder) itemCount(list string) int64 {
	lists, err := qb.src.Lists(qb.ctx)
	if err != nil {
		return -1
	}
	for _, l := range lists {
		if strings.EqualFold(l.Title, list) {
			return l.ItemCount
		}
	}
	return -1
}

func (bb *blockBuilder) hasAggregate() bool {
	found := false
	check := func(n sqlparse.Expr) {
		sqlparse.Walk(n, func(n sqlparse.Expr) {
			if _, ok := n.(*sqlparse.Aggregate); ok {
				found = true
			}
		})
	}
	for _, it := range bb.sel.Items {
		check(it.Expr)
	}
	for _, o := range bb.sel.OrderBy {
		check(o.Expr)
	}
	return found
}

// placeOn sorts one conjunct of join i's ON.
func (bb *blockBuilder) placeOn(i int, c sqlparse.Expr, j *joinSpec) error {
	refs, sub, agg, err := bb.refs(c)
	if err != nil {
		return err
	}
	switch {
	case agg:
		return fmt.Errorf("spsql: aggregates are not allowed in ON (%s)", c.SQL())
	case sub:
		return fmt.Errorf("spsql: IN (SELECT …) is not supported in ON; put it in WHERE")
	}
	for k := range refs {
		if k > i {
			return fmt.Errorf("spsql: ON of %s reads %s, which is joined after it", bb.tables[i].name(), bb.tables[k].name())
		}
	}
	if len(refs) == 1 && refs[i] {
		bb.tables[i].where = append(bb.tables[i].where, c)
		return nil
	}
	if bb.joinKey(i, c, refs, j) {
		return nil
	}
	j.residualNodes = append(j.residualNodes, c)
	return nil
}

// joinKey takes c as a key of join i when it is left = right with one
// side reading only list i and the other only lists before it.
func (bb *blockBuilder) joinKey(i int, c sqlparse.Expr, refs map[int]bool, j *joinSpec) bool {
	cmp, ok := c.(*sqlparse.Comparison)
	if !ok || cmp.Op != "=" || !refs[i] || len(refs) < 2 {
		return false
	}
	side := func(n sqlparse.Expr) int { // 1: only list i, -1: only lists before i, 0: neither
		r, sub, agg, err := bb.refs(n)
		if err != nil || sub || agg || len(r) == 0 {
			return 0
		}
		if len(r) == 1 && r[i] {
			return 1
		}
		if r[i] {
			return 0
		}
		return -1
	}
	l, r := side(cmp.L), side(cmp.R)
	switch {
	case l == -1 && r == 1:
		j.keyNodes = append(j.keyNodes, [2]sqlparse.Expr{cmp.L, cmp.R})
	case l == 1 && r == -1:
		j.keyNodes = append(j.keyNodes, [2]sqlparse.Expr{cmp.R, cmp.L})
	default:
		return false
	}
	return true
}

// resolveJoin types a join's keys and residual. Keys of different types
// (a text column = a date column) are compared in the residual instead,
// where = reads the text as a date.
func (bb *blockBuilder) resolveJoin(j *joinSpec) error {
	b := bb.binder(false)
	for _, k := range j.keyNodes {
		l, err := b.resolve(k[0])
		if err != nil {
			return fmt.Errorf("%w (in a join condition)", err)
		}
		r, err := b.resolve(k[1])
		if err != nil {
			return fmt.Errorf("%w (in a join condition)", err)
		}
		if l, r, err = b.coercePair(l, r, "="); err != nil {
			return fmt.Errorf("%w (in a join condition)", err)
		}
		if l.typ != r.typ && !(l.typ.numeric() && r.typ.numeric()) {
			e, err := b.condition(&sqlparse.Comparison{Op: "=", L: k[0], R: k[1]})
			if err != nil {
				return err
			}
			j.residual = append(j.residual, e)
			continue
		}
		j.leftKeys = append(j.leftKeys, l)
		j.rightKeys = append(j.rightKeys, r)
	}
	for _, n := range j.residualNodes {
		e, err := b.condition(n)
		if err != nil {
			return fmt.Errorf("%w (in ON)", err)
		}
		j.residual = append(j.residual, e)
	}
	return nil
}

// aliasesToExprs replaces, in a HAVING or ORDER BY expression, the names
// of select-list aliases by the aliased expressions (as MySQL allows).
func (bb *blockBuilder) aliasesToExprs(n sqlparse.Expr) sqlparse.Expr {
	if cn, ok := n.(*sqlparse.ColumnRef); ok && len(cn.Path) == 1 {
		for _, it := range bb.sel.Items {
			if it.Alias != "" && it.Expr != nil && strings.EqualFold(it.Alias, cn.Path[0]) {
				return it.Expr
			}
		}
		return n
	}
	switch x := n.(type) {
	case *sqlparse.Comparison:
		return &sqlparse.Comparison{Op: x.Op, L: bb.aliasesToExprs(x.L), R: bb.aliasesToExprs(x.R)}
	case *sqlparse.And:
		return &sqlparse.And{L: bb.aliasesToExprs(x.L), R: bb.aliasesToExprs(x.R)}
	case *sqlparse.Or:
		return &sqlparse.Or{L: bb.aliasesToExprs(x.L), R: bb.aliasesToExprs(x.R)}
	case *sqlparse.Not:
		return &sqlparse.Not{X: bb.aliasesToExprs(x.X)}
	case *sqlparse.Is:
		return &sqlparse.Is{X: bb.aliasesToExprs(x.X), What: x.What}
	case *sqlparse.In:
		out := &sqlparse.In{X: bb.aliasesToExprs(x.X), Not: x.Not}
		for _, v := range x.List {
			out.List = append(out.List, bb.aliasesToExprs(v))
		}
		return out
	case *sqlparse.Between:
		return &sqlparse.Between{X: bb.aliasesToExprs(x.X), Lo: bb.aliasesToExprs(x.Lo), Hi: bb.aliasesToExprs(x.Hi), Not: x.Not}
	case *sqlparse.Arith:
		return &sqlparse.Arith{Op: x.Op, L: bb.aliasesToExprs(x.L), R: bb.aliasesToExprs(x.R)}
	case *sqlparse.Neg:
		return &sqlparse.Neg{X: bb.aliasesToExprs(x.X)}
	case *sqlparse.Func:
		out := &sqlparse.Func{Name: x.Name}
		for _, a := range x.Args {
			out.Args = append(out.Args, bb.aliasesToExprs(a))
		}
		return out
	case *sqlparse.Like:
		out := *x
		out.X, out.Pattern = bb.aliasesToExprs(x.X), bb.aliasesToExprs(x.Pattern)
		return &out
	case *sqlparse.Cast:
		out := *x
		out.X = bb.aliasesToExprs(x.X)
		return &out
	case *sqlparse.Case:
		out := &sqlparse.Case{}
		if x.Operand != nil {
			out.Operand = bb.aliasesToExprs(x.Operand)
		}
		for _, w := range x.Whens {
			out.Whens = append(out.Whens, sqlparse.When{Cond: bb.aliasesToExprs(w.Cond), Val: bb.aliasesToExprs(w.Val)})
		}
		if x.Else != nil {
			out.Else = bb.aliasesToExprs(x.Else)
		}
		return out
	}
	return n
}

// grouping resolves GROUP BY: expressions, select-list positions
// (GROUP BY 1) or aliases that name no column.
func (bb *blockBuilder) grouping() (*grouping, error) {
	g := &grouping{explicit: len(bb.sel.GroupBy) > 0}
	b := bb.binder(false)
	for _, n := range bb.sel.GroupBy {
		target := n
		switch x := n.(type) {
		case *sqlparse.Literal:
			if i, ok := x.Value.(int64); ok {
				if i < 1 || int(i) > len(bb.sel.Items) || bb.sel.Items[i-1].Expr == nil {
					return nil, positionError("GROUP BY", i, len(bb.sel.Items))
				}
				target = bb.sel.Items[i-1].Expr
			}
		case *sqlparse.ColumnRef:
			if len(x.Path) == 1 {
				if _, _, _, err := bb.find(x.Path); err != nil {
					for _, it := range bb.sel.Items {
						if it.Alias != "" && it.Expr != nil && strings.EqualFold(it.Alias, x.Path[0]) {
							target = it.Expr
						}
					}
				}
			}
		}
		e, err := b.resolve(target)
		if err != nil {
			return nil, fmt.Errorf("%w (in GROUP BY)", err)
		}
		if e.op == opConst {
			continue // grouping by a constant groups nothing
		}
		g.keys = append(g.keys, e)
	}
	return g, nil
}

// projection collects ORDER BY keys that are not output columns: they
// are computed with the row and cut off after the sort.
type projection struct {
	hidden []*rexpr
	outs   []*rexpr // the select list's expressions, by output column
}

// outputs resolves the select list.
func (bb *blockBuilder) outputs(b *binder, g *grouping, proj *projection) ([]OutputColumn, error) {
	var outs []OutputColumn
	for _, it := range bb.sel.Items {
		if it.Star {
			if g != nil {
				return nil, errors.New("spsql: SELECT * cannot be grouped; name the columns")
			}
			found := it.StarQual == ""
			for _, t := range bb.tables {
				if it.StarQual != "" && !t.r.isQualifier(it.StarQual) {
					continue
				}
				found = true
				cols, names, err := t.r.starColumns(bb.qb.opts.AuditColumns)
				if err != nil {
					return nil, err
				}
				for i, c := range cols {
					i := i
					t.use(c, sqlparse.QuoteIdent(names[i]), func(r *resolver) (*column, error) {
						cols, _, err := r.starColumns(bb.qb.opts.AuditColumns)
						if err != nil || i >= len(cols) {
							return nil, fmt.Errorf("spsql: internal error: star column %d of %s: %v", i, t.list, err)
						}
						return cols[i], nil
					})
					e := &rexpr{op: opCol, col: c, typ: c.typ, text: sqlparse.QuoteIdent(names[i])}
					outs = append(outs, bb.nullability(outputColumn(names[i], e), e))
					proj.outs = append(proj.outs, e)
				}
				if it.StarQual != "" {
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("spsql: %s.* names no list of this query", it.StarQual)
			}
			continue
		}
		e, err := b.resolve(it.Expr)
		if err != nil {
			return nil, err
		}
		if g != nil {
			if e, err = g.regroup(e); err != nil {
				return nil, err
			}
		}
		name := it.Alias
		if name == "" {
			if cn, ok := it.Expr.(*sqlparse.ColumnRef); ok {
				path := cn.Path
				if len(path) >= 2 {
					for _, t := range bb.tables {
						if t.r.isQualifier(path[0]) {
							path = path[1:]
							break
						}
					}
				}
				name = strings.Join(path, ".")
			} else {
				name = it.Expr.SQL()
			}
		}
		outs = append(outs, bb.nullability(outputColumn(name, e), e))
		proj.outs = append(proj.outs, e)
	}
	return outs, nil
}

// nullability marks a plain reference to a column that cannot be NULL
// (ID, see nullableField) as never NULL, unless its list is the
// NULL-extended side of a LEFT JOIN.
func (bb *blockBuilder) nullability(oc OutputColumn, e *rexpr) OutputColumn {
	if e.op != opCol || e.col.field == nil || nullableField(e.col.field) {
		return oc
	}
	for _, t := range bb.tables {
		if _, ok := t.used[e.col]; ok && !t.nullable {
			oc.NeverNull = true
		}
	}
	return oc
}

// calendarDay turns a date-only value, as the evaluator reads it (in the
// site's zone), into its day at midnight UTC; other values stay.
func calendarDay(v any) any {
	if t, ok := v.(time.Time); ok {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	return v
}

// isMidnight reports a constant time at midnight in its own location —
// CAST('2024-01-05' AS DATE), {d '…'}, a time.Time argument: a calendar
// day, as coerceConst reads it too.
func isMidnight(e *rexpr) bool {
	t, ok := e.val.(time.Time)
	if e.op != opConst || !ok {
		return false
	}
	y, m, d := t.Date()
	return t.Equal(time.Date(y, m, d, 0, 0, 0, 0, t.Location()))
}

// outputColumn describes a result column computed by e.
func outputColumn(name string, e *rexpr) OutputColumn {
	oc := OutputColumn{Name: name, NeverNull: e.op == opCol && e.col.count}
	if dc := dateOnlyColumn(e); dc != nil {
		// A date-only field's values are midnight in the site's zone:
		// the column shows the calendar day (midnight UTC), as a plain
		// SELECT does, so that results of every part agree (UNION) and
		// compare as days with DATE(x).
		oc.Type, oc.DatabaseTypeName, oc.calendar = sharepoint.ValueTime, dc.dbType, true
		if e.op == opCol {
			oc.Field = dc.field
		}
		oc.Eval = func(row []any) (any, error) {
			v, err := e.eval(row)
			return calendarDay(v), err
		}
		return oc
	}
	oc.calendar = isCalendarDate(e) || isMidnight(e)
	if e.op == opCol {
		c := e.col
		oc.Field, oc.DatabaseTypeName, oc.Type = c.field, c.dbType, c.vtype
		if c.kind == colURLDesc {
			oc.Type = sharepoint.ValueString
		}
		oc.copies = c.kind != colURLDesc
		oc.Eval = func(row []any) (any, error) {
			if c.kind == colURLDesc {
				return c.read(row)
			}
			return row[c.idx], nil
		}
		return oc
	}
	oc.Type, oc.DatabaseTypeName = valueTypeOf(e.typ), e.typ.String()
	if e.typ == tNull {
		oc.DatabaseTypeName, oc.null = "TEXT", true
	}
	oc.Eval = func(row []any) (any, error) {
		v, err := e.eval(row)
		return conform(v, e.typ), err
	}
	return oc
}

// orderKeys resolves ORDER BY: a position, an alias or an expression.
// Keys that are not output columns become hidden columns of the
// projection.
func (bb *blockBuilder) orderKeys(b *binder, g *grouping, proj *projection, outs []OutputColumn) ([]sortKey, error) {
	var keys []sortKey
	nOut := len(bb.outputsLen())
	for _, o := range bb.sel.OrderBy {
		pos := -1
		switch x := o.Expr.(type) {
		case *sqlparse.Literal:
			if i, ok := x.Value.(int64); ok {
				if i < 1 || int(i) > nOut {
					return nil, positionError("ORDER BY", i, nOut)
				}
				pos = int(i) - 1
			}
		case *sqlparse.ColumnRef:
			if len(x.Path) == 1 {
				for i, it := range bb.sel.Items {
					if it.Alias != "" && strings.EqualFold(it.Alias, x.Path[0]) {
						pos = bb.outputIndex(i)
					}
				}
			}
		}
		name := o.Expr.SQL()
		if pos >= 0 && pos < len(outs) {
			name = sqlparse.QuoteIdent(outs[pos].Name)
		}
		if pos < 0 {
			e, err := b.resolve(bb.aliasesToExprs(o.Expr))
			if err == nil && g != nil {
				e, err = g.regroup(e)
			}
			if err != nil {
				return nil, fmt.Errorf("%w (in ORDER BY)", err)
			}
			if e.op == opConst {
				continue // ordering by a constant orders nothing
			}
			for i, oe := range proj.outs {
				if sameExpr(e, oe) {
					pos = i // a selected expression, written out again
					break
				}
			}
			if pos < 0 {
				if bb.sel.Distinct {
					return nil, fmt.Errorf("spsql: with SELECT DISTINCT, ORDER BY must name selected columns (%s is not one)", e.text)
				}
				pos = nOut + len(proj.hidden)
				proj.hidden = append(proj.hidden, e)
			}
		}
		keys = append(keys, sortKey{pos: pos, desc: o.Desc, name: name})
	}
	return keys, nil
}

// outputsLen returns one entry per output column (stars expanded).
func (bb *blockBuilder) outputsLen() []int {
	var out []int
	for i := range bb.sel.Items {
		for range bb.itemWidth(i) {
			out = append(out, i)
		}
	}
	return out
}

func (bb *blockBuilder) outputIndex(item int) int {
	n := 0
	for i := 0; i < item; i++ {
		n += bb.itemWidth(i)
	}
	return n
}

func (bb *blockBuilder) itemWidth(i int) int {
	it := bb.sel.Items[i]
	if !it.Star {
		return 1
	}
	n := 0
	for _, t := range bb.tables {
		if it.StarQual != "" && !t.r.isQualifier(it.StarQual) {
			continue
		}
		cols, _, _ := t.r.starColumns(bb.qb.opts.AuditColumns)
		n += len(cols)
		if it.StarQual != "" {
			break
		}
	}
	return n
}

// limits evaluates LIMIT and OFFSET.
func (qb *queryBuilder) limits(limitNode, offsetNode sqlparse.Expr) (limit, offset int, err error) {
	pb := &planBuilder{sel: &sqlparse.Select{Limit: limitNode, Offset: offsetNode}, b: &binder{values: qb.values, now: qb.now}}
	return pb.limits()
}

// union plans SELECT … UNION [ALL] SELECT …: each part on its own, the
// result columns named by the first part.
func (qb *queryBuilder) union(sel *sqlparse.Select, outer *blockBuilder) (operator, []OutputColumn, error) {
	u := &unionOp{}
	var cols []OutputColumn
	for i, part := range sel.Union.Parts {
		op, pc, err := qb.statement(part, outer)
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			cols = append(cols, pc...)
		} else {
			if len(pc) != len(cols) {
				return nil, nil, fmt.Errorf("spsql: the SELECTs of a UNION must have as many columns: the first has %d, number %d has %d", len(cols), i+1, len(pc))
			}
			for k := range cols {
				t, err := unionType(cols[k], pc[k], k, i)
				if err != nil {
					return nil, nil, err
				}
				cols[k] = t
			}
			if !sel.Union.All[i-1] {
				u.distinctUpTo = i
			}
		}
		u.parts = append(u.parts, op)
	}
	for k := range cols {
		c := cols[k]
		typ := c.Type
		c.Eval = func(row []any) (any, error) {
			if i, ok := row[k].(int64); ok && typ == sharepoint.ValueFloat {
				return float64(i), nil
			}
			return row[k], nil
		}
		cols[k] = c
	}
	u.conform = cols
	var op operator = u
	var keys []sortKey
	for _, o := range sel.OrderBy {
		pos := -1
		switch x := o.Expr.(type) {
		case *sqlparse.Literal:
			if i, ok := x.Value.(int64); ok && i >= 1 && int(i) <= len(cols) {
				pos = int(i) - 1
			}
		case *sqlparse.ColumnRef:
			if len(x.Path) == 1 {
				for k, c := range cols {
					if strings.EqualFold(c.Name, x.Path[0]) {
						pos = k
						break
					}
				}
			}
		}
		if pos < 0 {
			names := make([]string, len(cols))
			for k, c := range cols {
				names[k] = sqlparse.QuoteIdent(c.Name)
			}
			return nil, nil, fmt.Errorf("spsql: ORDER BY of a UNION takes the result's column names (%s) or positions 1 to %d, not %s", strings.Join(names, ", "), len(cols), o.Expr.SQL())
		}
		keys = append(keys, sortKey{pos: pos, desc: o.Desc, name: sqlparse.QuoteIdent(cols[pos].Name)})
	}
	limit, offset, err := qb.limits(sel.Limit, sel.Offset)
	if err != nil {
		return nil, nil, err
	}
	if len(keys) > 0 {
		op = &sortOp{in: op, keys: keys, top: topN(limit, offset)}
	}
	if limit >= 0 || offset > 0 {
		op = &limitOp{in: op, limit: limit, offset: offset, width: len(cols)}
	}
	return op, cols, nil
}

// unionType is the type of a UNION's column k given part i's column.
// NULL goes with any type; integers and numbers mix as numbers; a column
// stays a date-only field's when it is one in every part.
func unionType(first, other OutputColumn, k, i int) (OutputColumn, error) {
	if other.null {
		return first, nil
	}
	if first.null {
		other.Name = first.Name
		return other, nil
	}
	a, b := sqlTypeOf(first.Type), sqlTypeOf(other.Type)
	switch {
	case a == b:
		if first.Field != other.Field {
			first.Field = nil
		}
	case a.numeric() && b.numeric():
		first.Type, first.DatabaseTypeName, first.Field = sharepoint.ValueFloat, tFloat.String(), nil
	default:
		return first, fmt.Errorf("spsql: column %d of the UNION is %s in the first SELECT and %s in SELECT number %d", k+1, a, b, i+1)
	}
	first.NeverNull = first.NeverNull && other.NeverNull
	// Days in any part make IN (SELECT … UNION …) compare days.
	first.calendar = first.calendar || other.calendar
	return first, nil
}

// Explain describes the operator tree, one line per operator, children
// indented under their parent; each list's request is shown as in
// Plan.Explain.
func (q *Query) Explain() []string {
	var lines []string
	for _, sq := range q.subs {
		lines = append(lines, "subquery "+strconv.Itoa(sq.n)+": run first, its values held in memory")
		sq.op.explain(&lines, 1)
	}
	q.root.explain(&lines, 0)
	return lines
}

func indent(depth int) string { return strings.Repeat("  ", depth) }

// positionError is the error of ORDER BY n or GROUP BY n where n is no
// position in the select list of count columns.
func positionError(clause string, n int64, count int) error {
	cols, give := "1 column", "1"
	if count != 1 {
		cols, give = fmt.Sprintf("%d columns", count), fmt.Sprintf("1 to %d", count)
	}
	return fmt.Errorf("spsql: %s %d: a number there is a position in the select list, which has %s: give %s, or name the column", clause, n, cols, give)
}

// noColumnError is the error of a column that no list of a join has: a
// qualifier that is no list or alias is named as such; otherwise the
// lists' closest columns are suggested, qualified. It matches
// sharepoint.ErrFieldNotFound, so that the fields are re-read once.
func noColumnError(tables []*table, listed, path []string) error {
	msg := fmt.Sprintf("spsql: no list of this query (%s) has a column %q", strings.Join(listed, ", "), strings.Join(path, "."))
	var quals, near []string
	for _, t := range tables {
		quals = append(quals, tableQualifier(t))
		if s := t.r.suggest(path[len(path)-1]); s != "" {
			near = append(near, sqlparse.QuoteIdent(tableQualifier(t))+"."+sqlparse.QuoteIdent(s))
		}
	}
	switch {
	case len(path) >= 2 && !slices.ContainsFunc(quals, func(q string) bool { return strings.EqualFold(q, path[0]) }) &&
		!slices.ContainsFunc(tables, func(t *table) bool { return strings.EqualFold(t.list, path[0]) }):
		msg += fmt.Sprintf(": %q is not a list or alias of the query; qualify the column with one of %s", path[0], strings.Join(quals, ", "))
	case len(near) > 0:
		msg += "; did you mean " + strings.Join(near, " or ") + "?"
	default:
		msg += " (DESCRIBE a list to see its columns)"
	}
	return fieldNotFoundError(msg)
}

// fieldNotFoundError is a message that matches sharepoint.ErrFieldNotFound
// without repeating its text.
type fieldNotFoundError string

func (e fieldNotFoundError) Error() string        { return string(e) }
func (e fieldNotFoundError) Is(target error) bool { return target == sharepoint.ErrFieldNotFound }
