package engine

import (
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// Options tune BuildQuery.
type Options struct {
	// AuditColumns makes SELECT * include SharePoint's hidden and system
	// columns of plain types (version, GUID, content type ID…).
	AuditColumns bool
	// PageSize is the client's $top per request, for Explain only
	// (default sharepoint.DefaultPageSize).
	PageSize int
	// Location is the site's time zone (RegionalSettings/TimeZone).
	// Date-only DateTime fields hold midnight there: date literals
	// compared with them ('2024-01-02') and YEAR/MONTH/DAY of them are
	// read in this zone. Nil means UTC.
	Location *time.Location
	// ClientOnly pushes nothing but $select (and $expand): the driver
	// evaluates WHERE and ORDER BY itself over an ID-ordered scan. For the
	// list view threshold fallback (see Plan.Fallback) and for tables the
	// caller synthesises (information_schema).
	ClientOnly bool
	// ParallelRequests is the caller's sharepoint.Query.Parallel, for
	// Explain only: a whole-list read in ID order may be read in slices.
	ParallelRequests int
	// MaxMemoryRows caps the rows the driver holds at once to answer a
	// query — sorted rows, groups, DISTINCT keys, a join's in-memory
	// side, a subquery's values — so that a runaway query fails with
	// ErrMemoryLimit instead of exhausting memory. 0 means no cap.
	MaxMemoryRows int
	// Logger, when not nil, receives the warning of a list view threshold
	// fallback (which columns to index).
	Logger *slog.Logger
	// Now is the clock of NOW(), CURRENT_TIMESTAMP and CURDATE(): read
	// once per BuildQuery, so every use in a statement (and its Fallback)
	// sees the same instant. Nil means time.Now; tests fix it.
	Now func() time.Time
}

// Plan is one list's scan: the request SharePoint answers (Query) and
// what the driver does with each item it returns — keep it if Residual
// says so, then compute Columns from it. Everything above a scan
// (sorting, grouping, joins, DISTINCT, LIMIT) is an operator of the
// Query's tree.
type Plan struct {
	// List is the list's title as written in the statement.
	List string
	// Query is exactly what is pushed down. Select names every column
	// that the output and the residual need; rows of Items hold them in
	// this order (a caller may append names, such as ID, after them
	// without disturbing the indexes).
	Query sharepoint.Query
	// Columns are the scan's output columns, in order.
	Columns []OutputColumn

	// Residual, when not nil, is the part of WHERE SharePoint cannot
	// evaluate: a fetched row is kept only when it returns true.
	Residual func(row []any) (bool, error)
	// Unindexed names the fields in $filter and $orderby that are not
	// indexed: on a list over the view threshold, SharePoint refuses such
	// a query; these are the columns worth indexing.
	Unindexed []string

	// ordered: the scan's ORDER BY went to $orderby whole, so its rows
	// come sorted (unless it falls back, see Fallback).
	ordered      bool
	residual     []*rexpr
	residualText []string
	opts         Options
	rebuild      func(Options) (*Plan, error)

	// itemCount is the list's ItemCount when counted (Query.CountItems),
	// for EXPLAIN.
	itemCount int64
	counted   bool
}

// OutputColumn is one result column.
type OutputColumn struct {
	// Name is the column's name as the user wrote it (alias, or the name
	// as written); SELECT * uses display names, internal names where
	// display names collide.
	Name string
	// Field is the list field the column reads; nil for expressions.
	Field *sharepoint.Field
	// Type is the Go type of Eval's values (nil is NULL). Plain column
	// references keep the fetched value as is: []string and []int64 for
	// multi-values, sharepoint.URLValue, TaxonomyValue and
	// []TaxonomyValue; the caller renders them (see JSONArray).
	Type sharepoint.ValueType
	// DatabaseTypeName is the SharePoint type: COUNTER, INTEGER, NUMBER,
	// CURRENCY, TEXT, NOTE, CHOICE, DATETIME, BOOLEAN, LOOKUP, USER,
	// MULTICHOICE, LOOKUPMULTI, USERMULTI, URL, CALCULATED, TAXONOMY, GUID…
	DatabaseTypeName string
	// Eval computes the column's value from a fetched row.
	Eval func(row []any) (any, error)

	// NeverNull is set for the columns of a reporting query (BuildQuery)
	// that cannot be NULL: counts. (A plain SELECT's caller knows its
	// non-NULL columns from Field.)
	NeverNull bool

	// null: the column is the NULL literal, which goes with any type in
	// a UNION or an IN (SELECT …).
	null bool
	// calendar: BuildQuery's values are calendar days (midnight UTC):
	// date-only fields already converted, DATE(x).
	calendar bool

	// copies: Eval returns the row's value at the column's index as it
	// is (no conversion).
	copies bool

	// plain is 1 + the fetched row index this column copies as is, or 0
	// for anything else: when every column copies its own position, the
	// remainder hands the fetched row on instead of building a new one.
	plain int
}

// buildPlan plans one list's scan, with the arguments bound: BuildQuery plans each
// list of a join with it, under the statement's bound values.
func buildPlan(sel *sqlparse.Select, list string, fields []sharepoint.Field, values map[string]any, opts Options) (*Plan, error) {
	if list == "" {
		list = sel.List
	}
	if opts.PageSize <= 0 {
		opts.PageSize = sharepoint.DefaultPageSize
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	at := now()
	var build func(Options) (*Plan, error)
	build = func(o Options) (*Plan, error) {
		pb := &planBuilder{
			sel:  sel,
			opts: o,
			b:    &binder{r: newResolver(list, sel.Alias, fields, o.Location), values: values, now: at},
			plan: &Plan{List: list, opts: o, rebuild: build},
		}
		if err := pb.build(); err != nil {
			return nil, err
		}
		return pb.plan, nil
	}
	return build(opts)
}

// Fallback returns the plan that reads the list as an ID-ordered scan
// (always allowed, whatever the list's size) and evaluates WHERE and
// ORDER BY in the driver: what to run when SharePoint refuses this plan
// with sharepoint.ErrViewThreshold. It returns the same answer, slower.
func (p *Plan) Fallback() (*Plan, error) {
	o := p.opts
	o.ClientOnly = true
	return p.rebuild(o)
}

// planBuilder holds the state of one scan's planning.
type planBuilder struct {
	sel  *sqlparse.Select
	opts Options
	b    *binder
	plan *Plan

	needed   []*column // the Query.Select columns, in order
	expands  []string
	outExprs []*rexpr // each output column's expression (nil for COUNT(*))
	// pushedFields are the fields $filter and $orderby use; filterFields
	// and orderFields the same, by expression (Query.FilterFields and
	// Query.OrderByFields).
	pushedFields              []*sharepoint.Field
	filterFields, orderFields []*sharepoint.Field
}

func (pb *planBuilder) build() error {
	sel, plan := pb.sel, pb.plan

	limit, offset, err := pb.limits()
	if err != nil {
		return err
	}

	// WHERE: split into conjuncts; each goes to $filter if SharePoint can
	// evaluate it exactly, else to the residual.
	var residual []*rexpr
	var filters []string
	if sel.Where != nil {
		where, err := pb.b.condition(sel.Where)
		if err != nil {
			return fmt.Errorf("%w (in WHERE)", err)
		}
		for _, c := range conjuncts(where) {
			if !pb.opts.ClientOnly {
				if f, ok := pb.push(c, false); ok {
					filters = append(filters, f.group(precAnd))
					pb.filterFields = append(pb.filterFields, f.fields...)
					continue
				}
			}
			residual = append(residual, c)
		}
	}

	// The select list, then ORDER BY: $orderby when every key is a
	// plain sortable column (else the Query's sort operator sorts).
	if err := pb.outputs(); err != nil {
		return err
	}
	orderBy, err := pb.orderBy()
	if err != nil {
		return err
	}

	// Residual columns are fetched after the output columns.
	for _, r := range residual {
		pb.needColumns(r)
		plan.residualText = append(plan.residualText, r.text)
	}
	plan.residual = residual
	if len(residual) > 0 {
		pred := residual
		plan.Residual = func(row []any) (bool, error) {
			for _, r := range pred {
				ok, err := r.truth(row)
				if err != nil || !ok {
					return false, err
				}
			}
			return true, nil
		}
	}
	if len(pb.needed) == 0 {
		// SharePoint needs an explicit $select (docs/sharepoint.md §3.1):
		// ask for ID, the smallest column, when nothing else is needed
		// (SELECT 1, COUNT(*)).
		pb.needColumn(pb.idColumn())
	}

	q := &plan.Query
	for _, c := range pb.needed {
		q.Select = append(q.Select, c.sel)
		if c.expand != "" {
			pb.addExpand(c.expand)
		}
	}
	q.Expand = pb.expands
	q.Filter = strings.Join(filters, " and ")
	q.OrderBy = strings.Join(orderBy, ",")
	plan.ordered = len(orderBy) > 0
	// The client splits a read over the lookup threshold by these.
	q.FilterFields = internalNames(pb.filterFields)
	q.OrderByFields = internalNames(pb.orderFields)
	if pb.opts.ClientOnly {
		q.OrderBy = "ID asc" // ID order is indexed: allowed on any list
		q.OrderByFields = []string{"ID"}
		plan.ordered = false
	}
	q.Parallel = pb.opts.ParallelRequests

	// $top: a scan given a LIMIT (by a Query that has nothing above it
	// that drops rows) stops at it unless its residual may drop rows or
	// its order is not SharePoint's. SharePoint ignores $skip on items,
	// so OFFSET rows are fetched and skipped.
	if limit >= 0 && plan.Residual == nil && (len(sel.OrderBy) == 0 || plan.ordered) {
		top := int64(limit) + int64(offset)
		if top > 0 && top <= math.MaxInt32 {
			q.Top = int(top)
		}
		if limit == 0 {
			q.Top = 1 // nothing is wanted; never "all items" (Top 0)
		}
	}
	for _, f := range pb.pushedFields {
		if !f.Indexed && f.InternalName != "ID" {
			plan.Unindexed = appendUnique(plan.Unindexed, f.Title)
		}
	}
	return nil
}

// internalNames names fields once each, in order, by internal name.
func internalNames(fields []*sharepoint.Field) []string {
	var names []string
	for _, f := range fields {
		if f != nil && !contains(names, f.InternalName) {
			names = append(names, f.InternalName)
		}
	}
	return names
}

// limits evaluates LIMIT and OFFSET (literals or bound placeholders).
func (pb *planBuilder) limits() (limit, offset int, err error) {
	get := func(n sqlparse.Expr, what string, dflt int) (int, error) {
		if n == nil {
			return dflt, nil
		}
		e, err := pb.b.resolve(n)
		if err != nil {
			return 0, err
		}
		var v int64
		switch x := e.val.(type) {
		case int64:
			v = x
		case string:
			c, err := coerceConst(e, &rexpr{typ: tInt})
			if err != nil {
				return 0, fmt.Errorf("spsql: %s must be a whole number, got %s", what, e.text)
			}
			i, ok := c.val.(int64)
			if !ok {
				return 0, fmt.Errorf("spsql: %s must be a whole number, got %s", what, e.text)
			}
			v = i
		default:
			return 0, fmt.Errorf("spsql: %s must be a whole number, got %s", what, e.text)
		}
		if v < 0 || v > math.MaxInt32 {
			return 0, fmt.Errorf("spsql: %s must be between 0 and %d, got %d", what, math.MaxInt32, v)
		}
		return int(v), nil
	}
	if limit, err = get(pb.sel.Limit, "LIMIT", -1); err != nil {
		return 0, 0, err
	}
	offset, err = get(pb.sel.Offset, "OFFSET", 0)
	return limit, offset, err
}

// outputs resolves the select list into output columns.
func (pb *planBuilder) outputs() error {
	r := pb.b.r
	for _, it := range pb.sel.Items {
		if it.Star {
			if it.StarQual != "" && !r.isQualifier(it.StarQual) {
				return fmt.Errorf("spsql: %s.* names no list of this query (the list is %q)", it.StarQual, r.list)
			}
			cols, names, err := r.starColumns(pb.opts.AuditColumns)
			if err != nil {
				return err
			}
			for i, c := range cols {
				pb.addOutput(names[i], &rexpr{op: opCol, col: c, typ: c.typ, text: sqlparse.QuoteIdent(names[i])})
			}
			continue
		}
		e, err := pb.b.resolve(it.Expr)
		if err != nil {
			return err
		}
		name := it.Alias
		if name == "" {
			if cn, ok := it.Expr.(*sqlparse.ColumnRef); ok {
				path := cn.Path
				if len(path) >= 2 && r.isQualifier(path[0]) {
					path = path[1:]
				}
				name = strings.Join(path, ".")
			} else {
				name = it.Expr.SQL()
			}
		}
		pb.addOutput(name, e)
	}
	return nil
}

func (pb *planBuilder) addOutput(name string, e *rexpr) {
	pb.outExprs = append(pb.outExprs, e)
	oc := OutputColumn{Name: name}
	if e.op == opCol {
		c := e.col
		pb.needColumn(c)
		oc.Field, oc.DatabaseTypeName = c.field, c.dbType
		switch c.kind {
		case colURLDesc:
			oc.Type = sharepoint.ValueString
			oc.Eval = func(row []any) (any, error) { return c.read(row) }
		default:
			oc.Type = c.vtype
			oc.plain = c.idx + 1
			oc.Eval = func(row []any) (any, error) {
				if c.idx < 0 || c.idx >= len(row) {
					return nil, fmt.Errorf("spsql: internal error: column %s is not in the fetched row", c.sel)
				}
				return row[c.idx], nil
			}
		}
	} else {
		pb.needColumns(e)
		oc.Type, oc.DatabaseTypeName = valueTypeOf(e.typ), e.typ.String()
		if e.typ == tNull {
			oc.DatabaseTypeName = "TEXT"
		}
		oc.Eval = func(row []any) (any, error) {
			v, err := e.eval(row)
			return conform(v, e.typ), err
		}
		if dc := dateOnlyColumn(e); dc != nil {
			// COALESCE, CASE… of date-only fields show their day, as
			// the fields themselves do (and as BuildQuery's outputs do).
			oc.DatabaseTypeName = dc.dbType
			oc.Eval = func(row []any) (any, error) {
				v, err := e.eval(row)
				return calendarDay(v), err
			}
		}
	}
	pb.plan.Columns = append(pb.plan.Columns, oc)
}

func valueTypeOf(t sqlType) sharepoint.ValueType {
	switch t {
	case tInt:
		return sharepoint.ValueInt
	case tFloat:
		return sharepoint.ValueFloat
	case tTime:
		return sharepoint.ValueTime
	case tBool:
		return sharepoint.ValueBool
	}
	return sharepoint.ValueString
}

// orderBy resolves the scan's ORDER BY keys: an output position (ORDER
// BY 2), an output alias, or any expression. It returns the $orderby
// terms when every key is a plain sortable column, else none: the
// Query's sort operator then sorts.
func (pb *planBuilder) orderBy() ([]string, error) {
	var keys []*rexpr
	for _, o := range pb.sel.OrderBy {
		e, err := pb.orderKey(o.Expr)
		if err != nil {
			return nil, fmt.Errorf("%w (in ORDER BY)", err)
		}
		keys = append(keys, e)
	}
	if pb.opts.ClientOnly {
		return nil, nil
	}
	var terms []string
	for i, e := range keys {
		dir := " asc"
		if pb.sel.OrderBy[i].Desc {
			dir = " desc"
		}
		if e.op == opConst {
			continue // ordering by a constant orders nothing
		}
		if e.op != opCol || !e.col.sortable {
			return nil, nil
		}
		terms = append(terms, e.col.filterName+dir)
	}
	for _, e := range keys {
		if e.op == opCol {
			pb.pushedFields = append(pb.pushedFields, e.col.field)
			pb.orderFields = append(pb.orderFields, e.col.field)
		}
	}
	return terms, nil
}

func (pb *planBuilder) orderKey(n sqlparse.Expr) (*rexpr, error) {
	switch n := n.(type) {
	case *sqlparse.Literal:
		if i, ok := n.Value.(int64); ok {
			if i < 1 || int(i) > len(pb.outExprs) || pb.outExprs[i-1] == nil {
				return nil, positionError("ORDER BY", i, len(pb.outExprs))
			}
			return pb.outExprs[i-1], nil
		}
	case *sqlparse.ColumnRef:
		if len(n.Path) == 1 {
			for i, oc := range pb.plan.Columns {
				if strings.EqualFold(oc.Name, n.Path[0]) && pb.isAlias(oc.Name) {
					return pb.outExprs[i], nil
				}
			}
		}
	}
	return pb.b.resolve(n)
}

// isAlias reports whether name is an AS alias of the select list (ORDER
// BY an alias means the aliased expression, as in MySQL).
func (pb *planBuilder) isAlias(name string) bool {
	for _, it := range pb.sel.Items {
		if it.Alias != "" && strings.EqualFold(it.Alias, name) {
			return true
		}
	}
	return false
}

// needColumn adds c to Query.Select (once) and fixes its row index.
func (pb *planBuilder) needColumn(c *column) {
	if c.idx >= 0 {
		return
	}
	for _, n := range pb.needed {
		// A Hyperlink's URL and description are two columns of one
		// $select name: they share its index.
		if strings.EqualFold(n.sel, c.sel) {
			c.idx = n.idx
			return
		}
	}
	c.idx = len(pb.needed)
	pb.needed = append(pb.needed, c)
}

// needColumns adds every column e reads.
func (pb *planBuilder) needColumns(e *rexpr) {
	if e.op == opCol {
		pb.needColumn(e.col)
	}
	for _, a := range e.args {
		pb.needColumns(a)
	}
}

func (pb *planBuilder) idColumn() *column {
	c, err := pb.b.r.resolveName("ID")
	if err != nil || c.field.Type != "Counter" {
		// A list always has ID; a field list without it is a test's.
		return pb.b.r.column("ID", func() *column {
			return &column{sel: "ID", kind: colValue, vtype: sharepoint.ValueInt, typ: tInt, dbType: "COUNTER", filterName: "ID"}
		})
	}
	return c
}

func (pb *planBuilder) addExpand(e string) {
	for _, x := range pb.expands {
		if strings.EqualFold(x, e) {
			return
		}
	}
	pb.expands = append(pb.expands, e)
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// conjuncts splits a condition into parts that must all be true: the
// operands of top-level ANDs, and of NOT over OR (De Morgan), so that
// each part can go to $filter or the residual on its own.
func conjuncts(e *rexpr) []*rexpr {
	switch e.op {
	case opAnd:
		return append(conjuncts(e.args[0]), conjuncts(e.args[1])...)
	case opNot:
		x := e.args[0]
		switch x.op {
		case opOr:
			return append(conjuncts(negate(x.args[0])), conjuncts(negate(x.args[1]))...)
		case opNot:
			return conjuncts(x.args[0])
		}
	}
	return []*rexpr{e}
}

func negate(e *rexpr) *rexpr {
	return &rexpr{op: opNot, args: []*rexpr{e}, typ: tBool, text: "NOT " + e.text}
}

// Explain describes the scan in lines: the REST request, then what the
// driver does with each item. EXPLAIN shows them under the scan.
func (p *Plan) Explain() []string {
	q := p.Query
	lines := []string{fmt.Sprintf("GET items of list %s", quoteOData(p.List))}
	lines = append(lines, "  $select="+strings.Join(q.Select, ","))
	if len(q.Expand) > 0 {
		lines = append(lines, "  $expand="+strings.Join(q.Expand, ","))
	}
	if q.Filter != "" {
		lines = append(lines, "  $filter="+q.Filter)
	}
	if q.OrderBy != "" {
		lines = append(lines, "  $orderby="+q.OrderBy)
	}
	page := p.opts.PageSize
	switch {
	case q.Top > 0 && q.Top <= page:
		lines = append(lines, fmt.Sprintf("  $top=%d (one request)", q.Top))
	case q.Top > 0:
		lines = append(lines, fmt.Sprintf("  $top=%d, following next links until %d items", page, q.Top))
	default:
		lines = append(lines, fmt.Sprintf("  $top=%d, following next links to the end", page))
		if order := strings.ToLower(q.OrderBy); q.Parallel > 1 && q.Filter == "" && (order == "" || order == "id asc") {
			lines = append(lines, fmt.Sprintf("  (on a list of 8 pages or more with dense IDs: ID slices of a page, %d requests in flight)", q.Parallel))
		}
	}
	if p.opts.ClientOnly {
		lines = append(lines, "driver: nothing pushed but $select: an ID-ordered scan")
	}
	for _, r := range p.residualText {
		lines = append(lines, "driver: keep rows where "+r)
	}
	if len(p.Unindexed) > 0 {
		lines = append(lines, "note: not indexed, refused on lists over 5,000 items: "+strings.Join(p.Unindexed, ", "))
	}
	return lines
}
