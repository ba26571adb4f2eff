package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// Rows is a stream of rows: Next returns io.EOF at the end; Close stops
// it (idempotent) and releases what it holds. Every stream of the engine
// has this shape: a list's items as Source.Items returns them (a
// *sharepoint.ItemIterator has it, so is returned as it is), each
// operator's output, and a Cursor.
type Rows interface {
	Next() ([]any, error)
	Close() error
}

// Source is where a query's lists come from: their metadata and items, in
// the sharepoint package's types. The root package's connection provides
// it over a *sharepoint.Client.
type Source interface {
	// Lists returns the site's lists (metadata may be cached).
	Lists(ctx context.Context) ([]sharepoint.List, error)
	// Fields returns a list's fields (metadata may be cached); an unknown
	// list is an error wrapping sharepoint.ErrListNotFound.
	Fields(ctx context.Context, list string) ([]sharepoint.Field, error)
	// Invalidate drops a list's cached fields: a query naming a column
	// they lack re-reads them once before failing.
	Invalidate(list string)
	// ItemCount returns a list's number of items as it is now (not from a
	// cache): COUNT(*) of a whole list is answered with it.
	ItemCount(ctx context.Context, list string) (int64, error)
	// Items starts reading the items q selects from list, in q's order;
	// the rows hold q.Select's columns in order. Errors may surface from
	// Items or from the first Next.
	Items(ctx context.Context, list string, q sharepoint.Query) (Rows, error)
}

// Cursor reads a Query's result rows.
type Cursor struct {
	next rowFunc
	rt   *runtime
}

// Next returns the next result row, or io.EOF.
func (c *Cursor) Next() ([]any, error) { return c.next() }

// Close stops every request still running.
func (c *Cursor) Close() error { return c.rt.close() }

// Open runs the query: subqueries first, then the operator tree. Work
// that needs all of its input — a join's in-memory side, grouping,
// sorting — is done before Open returns, and every list's first page is
// read, so that errors surface here rather than from the first Next. A
// Query is opened once; every operator stops within a few thousand rows
// of ctx being done.
func (q *Query) Open(ctx context.Context, src Source) (*Cursor, error) {
	rt := &runtime{ctx: ctx, src: src, limit: q.opts.MaxMemoryRows, opts: q.opts, fellBack: map[*scanOp]bool{}}
	for _, sq := range q.subs {
		if err := sq.run(rt); err != nil {
			rt.close()
			return nil, err
		}
	}
	next, err := q.root.open(rt)
	if err != nil {
		rt.close()
		return nil, err
	}
	return &Cursor{next: next, rt: rt}, nil
}

type rowFunc func() ([]any, error)

// operator is a node of a Query's tree.
type operator interface {
	open(rt *runtime) (rowFunc, error)
	explain(lines *[]string, depth int)
}

// runtime is one execution's state: open streams and the rows held.
type runtime struct {
	ctx   context.Context
	src   Source
	opts  Options
	limit int
	held  int
	open  []*onceRows
	// fellBack: the scans that ran their list view threshold fallback,
	// whose rows therefore do not come in the pushed-down order.
	fellBack map[*scanOp]bool
	ticks    int
}

// checkEvery is how many rows an operator loop handles between looks at
// the query's context: often enough that a cancelled query stops within
// milliseconds even in a nested loop, rarely enough to cost nothing.
const checkEvery = 1024

// tick is called once per row (or pair of rows) by every loop that may
// run long without reading from SharePoint; it returns the context's
// error once the query is cancelled or past its deadline.
func (rt *runtime) tick() error {
	rt.ticks++
	if rt.ticks%checkEvery != 0 {
		return nil
	}
	return rt.ctx.Err()
}

// hold accounts for n more rows kept in memory by what.
func (rt *runtime) hold(n int, what string) error {
	rt.held += n
	if rt.limit > 0 && rt.held > rt.limit {
		return memoryError(rt.limit, what)
	}
	return nil
}

func memoryError(limit int, what string) error {
	return fmt.Errorf("%w: the query needs more than %d rows in memory (%s); add a LIMIT (ORDER BY … LIMIT n keeps only n rows), narrow it with WHERE, or raise MaxMemoryRows (0 = no cap)", ErrMemoryLimit, limit, what)
}

func (rt *runtime) release(n int) { rt.held -= n }

// track closes r when the query ends, if it has not ended before.
func (rt *runtime) track(r Rows) *onceRows {
	o := &onceRows{Rows: r}
	rt.open = append(rt.open, o)
	return o
}

func (rt *runtime) close() error {
	var first error
	for _, o := range rt.open {
		if err := o.Close(); err != nil && first == nil {
			first = err
		}
	}
	rt.open = nil
	return first
}

// onceRows closes its stream once: at its end, or when the query ends.
type onceRows struct {
	Rows
	closed bool
}

func (o *onceRows) Close() error {
	if o.closed {
		return nil
	}
	o.closed = true
	return o.Rows.Close()
}

// filterOp keeps the rows for which every predicate is true.
type filterOp struct {
	in     operator
	preds  []*rexpr
	having bool
}

func (f *filterOp) open(rt *runtime) (rowFunc, error) {
	next, err := f.in.open(rt)
	if err != nil {
		return nil, err
	}
	return func() ([]any, error) {
		for {
			row, err := next()
			if err != nil {
				return nil, err
			}
			ok, err := allTrue(f.preds, row)
			if err != nil {
				return nil, err
			}
			if ok {
				return row, nil
			}
			if err := rt.tick(); err != nil {
				return nil, err
			}
		}
	}, nil
}

func allTrue(preds []*rexpr, row []any) (bool, error) {
	for _, p := range preds {
		ok, err := p.truth(row)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (f *filterOp) explain(lines *[]string, depth int) {
	word := "filter"
	if f.having {
		word = "having"
	}
	*lines = append(*lines, indent(depth)+"driver: "+word+" "+exprList(f.preds, " AND "))
	f.in.explain(lines, depth+1)
}

func exprList(es []*rexpr, sep string) string {
	texts := make([]string, len(es))
	for i, e := range es {
		texts[i] = e.text
	}
	return strings.Join(texts, sep)
}

// joinSpec is an INNER or LEFT join of the rows so far (leftIn) with one
// more list (right): a hash join on its keys, a nested loop without any.
type joinSpec struct {
	left          bool // LEFT JOIN
	keyNodes      [][2]sqlparse.Expr
	residualNodes []sqlparse.Expr

	leftKeys, rightKeys []*rexpr
	residual            []*rexpr // checked for each matching pair
	leftIn              operator
	right               *scanOp

	buildLeft bool   // hold the left rows, stream the right list
	why       string // for Explain
	leftCount int64  // the left list's ItemCount, -1 if unknown or several lists

	// byID: the right key is the right list's ID, so once the left rows
	// are held, the right list can be read by those IDs only (see
	// openByID); values and opts plan those reads.
	byID   bool
	values map[string]any
	opts   Options
}

// idsPerRequest is how many IDs one ID-lookup request asks for: an
// or-chain of "ID eq n" this long keeps the URL near 1,000 characters,
// well under the limits of SharePoint Online's front ends (2,048 for the
// query string in IIS's defaults; not documented for SharePoint).
const idsPerRequest = 30

// chooseBuild decides which side to hold in memory: the side with fewer
// items, by the lists' ItemCount. (Holding the left side of a LEFT JOIN
// returns its unmatched rows last.)
//
// A join on the right list's ID, when that list takes more than one page
// to read, reads it by ID instead (openByID).
func (j *joinSpec) chooseBuild(lefts []*table, right *table, opts Options) {
	j.why = "holding " + right.name()
	if len(j.rightKeys) == 1 && j.rightKeys[0].op == opCol && j.leftKeys[0].typ == tInt {
		c := j.rightKeys[0].col
		if c.kind == colValue && c.field != nil && c.field.InternalName == "ID" && (right.count < 0 || right.count > int64(opts.PageSize)) {
			j.byID = true
			return
		}
	}
	j.leftCount = -1
	if len(lefts) != 1 {
		return
	}
	l := lefts[0]
	j.leftCount = l.count
	if l.count >= 0 && right.count >= 0 && l.count < right.count {
		j.buildLeft = true
		j.why = fmt.Sprintf("holding %s, the smaller list (%d items, %d in %s)", l.name(), l.count, right.count, right.name())
		return
	}
	if l.count >= 0 && right.count >= 0 {
		j.why = fmt.Sprintf("holding %s, the smaller list (%d items, %d in %s)", right.name(), right.count, l.count, l.name())
	}
}

func (j *joinSpec) explain(lines *[]string, depth int) {
	kind := "inner join"
	if j.left {
		kind = "left join"
	}
	how := "hash " + kind
	var on []string
	for i := range j.leftKeys {
		on = append(on, j.leftKeys[i].text+" = "+j.rightKeys[i].text)
	}
	if len(on) == 0 {
		how = "nested-loop " + kind + " (no equality to hash on)"
	}
	line := indent(depth) + "driver: " + how
	if len(on) > 0 {
		line += " on " + strings.Join(on, " AND ")
	}
	if len(j.residual) > 0 {
		line += "; each pair checked for " + exprList(j.residual, " AND ")
	}
	if j.byID {
		line += fmt.Sprintf("; holding the left rows, then reading %s by the IDs they name, %d per request ($filter=ID eq … or …), when that takes fewer requests than reading all of it, else all of it", j.right.t.name(), idsPerRequest)
	} else {
		line += "; " + j.why + ", or the other side when its first page shows it is smaller"
	}
	*lines = append(*lines, line)
	j.leftIn.explain(lines, depth+1)
	j.right.explain(lines, depth+1)
}

// keyer computes the hash keys of rows, reusing its buffers.
type keyer struct {
	keys []*rexpr
	vals []any
	buf  []byte
}

// key returns the key of row's key values, valid until the next call;
// ok is false when one is NULL, which matches nothing. Looking the key up
// as m[string(key)] does not allocate.
func (k *keyer) key(row []any) (key []byte, ok bool, err error) {
	if k.vals == nil {
		k.vals = make([]any, len(k.keys))
	}
	for i, e := range k.keys {
		v, err := e.eval(row)
		if err != nil {
			return nil, false, err
		}
		if v == nil {
			return nil, false, nil
		}
		k.vals[i] = v
	}
	k.buf = appendRowKey(k.buf[:0], k.vals)
	return k.buf, true, nil
}

func (j *joinSpec) open(rt *runtime) (rowFunc, error) {
	if j.byID {
		return j.openByID(rt)
	}
	return j.openHash(rt)
}

// openHash opens a hash join. ItemCount chose the side to hold (the
// right one unless buildLeft); the other side's first page is read ahead,
// and when it shows that side, with its filters, to be the smaller, its
// rows are held instead.
func (j *joinSpec) openHash(rt *runtime) (rowFunc, error) {
	lnext, err := j.leftIn.open(rt)
	if err != nil {
		return nil, err
	}
	rnext, err := j.right.open(rt)
	if err != nil {
		return nil, err
	}
	streamed, heldCount := &lnext, j.right.t.count
	if j.buildLeft {
		streamed, heldCount = &rnext, j.leftCount
	}
	var small bool
	if *streamed, small, err = peek(rt, *streamed, heldCount); err != nil {
		return nil, err
	}
	if j.buildLeft != small {
		return j.holdLeft(rt, lnext, rnext)
	}
	return j.holdRightAndProbe(rt, rnext, lnext)
}

// holdRightAndProbe holds the rows rnext returns by key, then streams the
// rows of lnext past them.
func (j *joinSpec) holdRightAndProbe(rt *runtime, rnext, lnext rowFunc) (rowFunc, error) {
	table := map[string][][]any{}
	held := 0
	if err := j.holdRight(rt, rnext, table, &held); err != nil {
		return nil, err
	}
	return j.probe(rt, table, &keyer{keys: j.leftKeys}, lnext, func() { rt.release(held) }), nil
}

// peek reads ahead up to a page of next (at most a quarter of
// MaxMemoryRows; nothing when that is under 2 rows) to learn whether that side of a join, filtered, is
// smaller than the other side's otherCount items (-1: unknown): it is
// when it ends within what was read, with fewer rows. It returns a
// stream that gives the rows read ahead first, then the rest.
func peek(rt *runtime, next rowFunc, otherCount int64) (rowFunc, bool, error) {
	n := rt.opts.PageSize
	if rt.limit > 0 {
		n = min(n, rt.limit/4) // leave the held side most of the cap
	}
	var rows [][]any
	ended := false
	for n >= 2 && len(rows) <= n {
		row, err := next()
		if err == io.EOF {
			ended = true
			break
		}
		if err != nil {
			return nil, false, err
		}
		if err := rt.hold(1, "the rows read ahead to choose a join's held side"); err != nil {
			return nil, false, err
		}
		rows = append(rows, row)
	}
	pos := 0
	replay := func() ([]any, error) {
		if pos < len(rows) {
			row := rows[pos]
			rows[pos] = nil
			pos++
			rt.release(1)
			return row, nil
		}
		if ended {
			return nil, io.EOF
		}
		return next()
	}
	small := ended && (otherCount < 0 || int64(len(rows)) < otherCount)
	return replay, small, nil
}

// holdRight adds the right rows next returns to table by key (a row
// with a NULL key can match nothing and is dropped), counting them in
// *held against MaxMemoryRows.
func (j *joinSpec) holdRight(rt *runtime, next rowFunc, table map[string][][]any, held *int) error {
	rkey := &keyer{keys: j.rightKeys}
	for {
		if err := rt.tick(); err != nil {
			return err
		}
		row, err := next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		k, ok, err := rkey.key(row)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := rt.hold(1, "the rows of "+j.right.t.name()+" held for a join"); err != nil {
			return err
		}
		*held++
		table[string(k)] = append(table[string(k)], row)
	}
}

// probe returns the joined rows of each row nextLeft returns (in its
// order) with the held right rows of the same key: for a LEFT JOIN, the
// left row alone when none passes the residual. done runs at the end.
// The left row itself carries its first match, so a left row with one
// match costs no copy.
func (j *joinSpec) probe(rt *runtime, table map[string][][]any, lkey *keyer, nextLeft rowFunc, done func()) rowFunc {
	lo, hi := j.right.t.base, j.right.t.base+len(j.right.t.cols)
	var (
		cur     []any
		cands   [][]any
		emitted bool
	)
	return func() ([]any, error) {
		for {
			for len(cands) > 0 {
				if err := rt.tick(); err != nil {
					return nil, err
				}
				c := cands[0]
				cands = cands[1:]
				out := cur
				if emitted {
					out = make([]any, len(cur))
					copy(out, cur)
				}
				copy(out[lo:hi], c[lo:hi])
				ok, err := allTrue(j.residual, out)
				if err != nil {
					return nil, err
				}
				if ok {
					emitted = true
					return out, nil
				}
			}
			if cur != nil && !emitted && j.left {
				clear(cur[lo:hi])
				row := cur
				cur = nil
				return row, nil
			}
			row, err := nextLeft()
			if err != nil {
				if err == io.EOF && done != nil {
					done()
					done = nil
				}
				return nil, err
			}
			cur, emitted = row, false
			k, ok, err := lkey.key(row)
			if err != nil {
				return nil, err
			}
			cands = nil
			if ok {
				cands = table[string(k)]
			}
		}
	}
}

// openByID holds the left rows, then reads the right list by the IDs
// they join to, idsPerRequest at a time, when that takes fewer requests
// than reading the whole list (its ItemCount in pages); else it reads the
// whole list. Either way the right rows are held by ID and the left rows
// probe them in their order.
func (j *joinSpec) openByID(rt *runtime) (rowFunc, error) {
	lnext, err := j.leftIn.open(rt)
	if err != nil {
		return nil, err
	}
	var (
		lefts [][]any
		ids   []int64
		seen  = map[int64]bool{}
	)
	for {
		if err := rt.tick(); err != nil {
			return nil, err
		}
		row, err := lnext()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := rt.hold(1, "the rows held for a join"); err != nil {
			return nil, err
		}
		lefts = append(lefts, row)
		v, err := j.leftKeys[0].eval(row)
		if err != nil {
			return nil, err
		}
		if id, ok := v.(int64); ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	t := j.right.t
	table := map[string][][]any{}
	rightHeld := 0
	lkey := &keyer{keys: j.leftKeys}
	add := func(next rowFunc) error { return j.holdRight(rt, next, table, &rightHeld) }
	chunks := (len(ids) + idsPerRequest - 1) / idsPerRequest
	pages := int64(-1)
	if t.count >= 0 && rt.opts.PageSize > 0 {
		pages = (t.count + int64(rt.opts.PageSize) - 1) / int64(rt.opts.PageSize)
	}
	switch {
	case len(ids) == 0:
		// Nothing can match: the right list is not read at all.
	case pages < 0 || int64(chunks) < pages:
		for start := 0; start < len(ids); start += idsPerRequest {
			p, err := j.planIDs(ids[start:min(start+idsPerRequest, len(ids))])
			if err != nil {
				return nil, err
			}
			next, err := j.right.openPlan(rt, p)
			if err != nil {
				return nil, err
			}
			if err := add(next); err != nil {
				return nil, err
			}
		}
	default:
		next, err := j.right.open(rt)
		if err != nil {
			return nil, err
		}
		if err := add(next); err != nil {
			return nil, err
		}
	}
	pos := 0
	nextLeft := func() ([]any, error) {
		if pos >= len(lefts) {
			return nil, io.EOF
		}
		row := lefts[pos]
		lefts[pos] = nil
		pos++
		rt.release(1)
		return row, nil
	}
	return j.probe(rt, table, lkey, nextLeft, func() { rt.release(rightHeld) }), nil
}

// planIDs plans the right list's scan restricted to some IDs.
func (j *joinSpec) planIDs(ids []int64) (*Plan, error) {
	t := j.right.t
	in := &sqlparse.In{X: &sqlparse.ColumnRef{Path: []string{"ID"}}}
	for _, id := range ids {
		in.List = append(in.List, &sqlparse.Literal{Value: id})
	}
	sel := *t.sel
	sel.Where = andAll([]sqlparse.Expr{t.sel.Where, in})
	if t.sel.Where == nil {
		sel.Where = in
	}
	return buildPlan(&sel, t.list, t.fields, j.values, j.opts)
}

// holdLeft holds the rows lnext returns by key and streams the rows of
// rnext past them; for a LEFT JOIN, the held rows nothing matched follow.
func (j *joinSpec) holdLeft(rt *runtime, lnext, rnext rowFunc) (rowFunc, error) {
	// A LEFT JOIN returns the held rows no right row matched at the end,
	// in their order, so each held row remembers whether one did.
	type heldRow struct {
		row     []any
		matched bool
	}
	var all []*heldRow
	table := map[string][]*heldRow{}
	rkey, lkey := &keyer{keys: j.rightKeys}, &keyer{keys: j.leftKeys}
	for {
		if err := rt.tick(); err != nil {
			return nil, err
		}
		row, err := lnext()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		k, ok, err := lkey.key(row)
		if err != nil {
			return nil, err
		}
		if !ok && !j.left {
			continue // a NULL key matches nothing
		}
		if err := rt.hold(1, "the rows held for a join"); err != nil {
			return nil, err
		}
		h := &heldRow{row: row}
		all = append(all, h)
		if ok {
			table[string(k)] = append(table[string(k)], h)
		}
	}
	lo, hi := j.right.t.base, j.right.t.base+len(j.right.t.cols)
	var (
		cur       []any
		cands     []*heldRow
		rightDone bool
		pos       int // in all, returning the unmatched rows
	)
	return func() ([]any, error) {
		for {
			for len(cands) > 0 {
				if err := rt.tick(); err != nil {
					return nil, err
				}
				c := cands[0]
				cands = cands[1:]
				out := make([]any, len(c.row))
				copy(out, c.row)
				copy(out[lo:hi], cur[lo:hi])
				ok, err := allTrue(j.residual, out)
				if err != nil {
					return nil, err
				}
				if ok {
					c.matched = true
					return out, nil
				}
			}
			if rightDone {
				for pos < len(all) {
					h := all[pos]
					all[pos] = nil
					pos++
					rt.release(1)
					if j.left && !h.matched {
						return h.row, nil // its right columns were never set: NULL
					}
				}
				return nil, io.EOF
			}
			row, err := rnext()
			if err == io.EOF {
				rightDone = true
				continue
			}
			if err != nil {
				return nil, err
			}
			cur = row
			k, ok, err := rkey.key(row)
			if err != nil {
				return nil, err
			}
			cands = nil
			if ok {
				cands = table[string(k)]
			}
		}
	}, nil
}

// grouping is GROUP BY and the aggregates: it reads all its input and
// returns one row per group — the key values, then the aggregates — in
// the order the groups were first seen.
type grouping struct {
	in   operator
	keys []*rexpr
	aggs []*rexpr
	// explicit: the query says GROUP BY; without it, no rows still make
	// one group (COUNT(*) is 0), with it none.
	explicit bool
	// itemCount: the aggregates are all COUNT(*) of this whole list,
	// answered from its ItemCount without reading the input.
	itemCount *table
}

// regroup rewrites an expression of the select list, HAVING or ORDER BY
// to read the grouped row: GROUP BY expressions and aggregates become
// columns of it; any other column reference is an error.
func (g *grouping) regroup(e *rexpr) (*rexpr, error) {
	for i, k := range g.keys {
		if sameExpr(e, k) {
			return g.slot(i, e, k), nil
		}
	}
	switch e.op {
	case opAgg:
		for i, a := range g.aggs {
			if sameExpr(e, a) {
				return g.slot(len(g.keys)+i, e, a), nil
			}
		}
		g.aggs = append(g.aggs, e)
		return g.slot(len(g.keys)+len(g.aggs)-1, e, e), nil
	case opCol:
		return nil, fmt.Errorf("spsql: %s must be in GROUP BY or inside an aggregate such as MIN(%s)", e.text, e.text)
	case opConst:
		return e, nil
	}
	out := *e
	out.args = make([]*rexpr, len(e.args))
	for i, a := range e.args {
		r, err := g.regroup(a)
		if err != nil {
			return nil, err
		}
		out.args[i] = r
	}
	return &out, nil
}

// slot is a column of the grouped row at i holding what src computes. A
// group key or MIN/MAX of a plain column keeps that column's type (a
// date-only field stays a date).
func (g *grouping) slot(i int, e, src *rexpr) *rexpr {
	var c column
	arg := src
	if src.op == opAgg && (src.name == "MIN" || src.name == "MAX") && len(src.args) == 1 {
		arg = src.args[0]
	}
	if arg.op == opCol {
		c = *arg.col
	} else if dc := dateOnlyColumn(arg); dc != nil {
		// COALESCE, CASE… of date-only fields: still their days.
		c = column{kind: colValue, typ: tTime, vtype: sharepoint.ValueTime, dbType: dc.dbType, dateOnly: true, loc: dc.loc}
	} else {
		c = column{kind: colValue, typ: src.typ, vtype: valueTypeOf(src.typ), dbType: src.typ.String()}
		if src.typ == tNull {
			c.dbType = "NULL"
		}
	}
	if src.op == opAgg && src.name != "MIN" && src.name != "MAX" {
		c = column{kind: colValue, typ: src.typ, vtype: valueTypeOf(src.typ), dbType: src.typ.String(), count: src.name == "COUNT"}
	}
	c.idx = i
	return &rexpr{op: opCol, col: &c, typ: c.typ, text: e.text}
}

// sameExpr reports whether two resolved expressions compute the same.
func sameExpr(a, b *rexpr) bool {
	if a.op != b.op || a.name != b.name || a.not != b.not || a.distinct != b.distinct || len(a.args) != len(b.args) || a.sub != b.sub || a.typ != b.typ {
		return false
	}
	if a.op == opCol {
		return a.col == b.col
	}
	if a.val != nil || b.val != nil { // a constant, CAST's length or scale
		if fmt.Sprintf("%T %v", a.val, a.val) != fmt.Sprintf("%T %v", b.val, b.val) {
			return false
		}
	}
	for i := range a.args {
		if !sameExpr(a.args[i], b.args[i]) {
			return false
		}
	}
	return true
}

// aggState accumulates one aggregate of one group.
type aggState struct {
	count    int64
	sumI     int64
	sumF     float64
	floats   bool
	best     any     // MIN/MAX: the value as fetched
	bestNorm any     // and as compared
	seen     *keySet // DISTINCT: the values counted
}

type group struct {
	keys []any
	aggs []aggState
	held int // rows held for it: 1, and its DISTINCT values
}

func (g *grouping) open(rt *runtime) (rowFunc, error) {
	if g.itemCount != nil {
		n, err := rt.src.ItemCount(rt.ctx, g.itemCount.list)
		if err != nil {
			return nil, err
		}
		row := make([]any, len(g.aggs))
		for i := range row {
			row[i] = n
		}
		return oneRow(row), nil
	}
	next, err := g.in.open(rt)
	if err != nil {
		return nil, err
	}
	groups := map[string]*group{}
	var (
		order []*group
		buf   []byte
	)
	keyVals := make([]any, len(g.keys))
	for {
		if err := rt.tick(); err != nil {
			return nil, err
		}
		row, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		for i, k := range g.keys {
			if keyVals[i], err = k.eval(row); err != nil {
				return nil, err
			}
		}
		buf = appendRowKey(buf[:0], keyVals)
		gr := groups[string(buf)] // no allocation for a lookup
		if gr == nil {
			if err := rt.hold(1, "groups"); err != nil {
				return nil, err
			}
			gr = &group{keys: make([]any, len(g.keys)), aggs: make([]aggState, len(g.aggs)), held: 1}
			for i, k := range g.keys {
				gr.keys[i] = conform(keyVals[i], k.typ)
				if k.op == opCol {
					gr.keys[i] = row[k.col.idx] // as fetched: a date-only key stays a date
				}
			}
			groups[string(buf)] = gr
			order = append(order, gr)
		}
		for i, a := range g.aggs {
			n, err := gr.aggs[i].add(rt, a, row)
			if err != nil {
				return nil, err
			}
			gr.held += n
		}
	}
	if len(order) == 0 && !g.explicit {
		rt.held++ // released as it is returned, like every group
		order = append(order, &group{aggs: make([]aggState, len(g.aggs)), held: 1})
	}
	pos := 0
	return func() ([]any, error) {
		if pos >= len(order) {
			return nil, io.EOF
		}
		gr := order[pos]
		order[pos] = nil
		pos++
		rt.release(gr.held)
		out := make([]any, 0, len(g.keys)+len(g.aggs))
		out = append(out, gr.keys...)
		for i, a := range g.aggs {
			v, err := gr.aggs[i].result(a)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}, nil
}

// add accumulates row; it returns how many values it now holds more
// (a new DISTINCT value).
func (s *aggState) add(rt *runtime, a *rexpr, row []any) (int, error) {
	if len(a.args) == 0 { // COUNT(*)
		s.count++
		return 0, nil
	}
	v, err := a.args[0].eval(row)
	if err != nil || v == nil {
		return 0, err
	}
	held := 0
	if a.distinct {
		if s.seen == nil {
			s.seen = &keySet{what: "the distinct values of " + a.text}
		}
		first, err := s.seen.add(rt, []any{v})
		if err != nil || !first {
			return 0, err
		}
		held = 1
	}
	switch a.name {
	case "COUNT":
		s.count++
	case "SUM", "AVG":
		switch x := v.(type) {
		case int64:
			sum := s.sumI + x
			if (sum > s.sumI) != (x > 0) {
				if a.name == "SUM" {
					return held, fmt.Errorf("spsql: integer overflow in %s", a.text)
				}
				// An average needs no exact sum: go on in floats.
				s.sumF += float64(s.sumI) + float64(x)
				s.sumI = 0
				break
			}
			s.sumI = sum
		case float64:
			s.sumF += x
			s.floats = true
		default:
			return held, fmt.Errorf("spsql: %s needs numbers, got %s", a.text, typeOfValue(v))
		}
		s.count++
	case "MIN", "MAX":
		if s.bestNorm != nil {
			c, err := compareValues(v, s.bestNorm)
			if err != nil {
				return held, err
			}
			if a.name == "MIN" && c >= 0 || a.name == "MAX" && c <= 0 {
				return held, nil
			}
		}
		s.bestNorm, s.best = v, v
		if arg := a.args[0]; arg.op == opCol {
			s.best = row[arg.col.idx]
		}
	}
	return held, nil
}

func (s *aggState) result(a *rexpr) (any, error) {
	switch a.name {
	case "COUNT":
		return s.count, nil
	case "SUM":
		if s.count == 0 {
			return nil, nil
		}
		if s.floats || a.typ == tFloat {
			return s.sumF + float64(s.sumI), nil
		}
		return s.sumI, nil
	case "AVG":
		if s.count == 0 {
			return nil, nil
		}
		return (float64(s.sumI) + s.sumF) / float64(s.count), nil
	}
	return s.best, nil
}

// oneRow returns row, then io.EOF.
func oneRow(row []any) func() ([]any, error) {
	done := false
	return func() ([]any, error) {
		if done {
			return nil, io.EOF
		}
		done = true
		return row, nil
	}
}

func (g *grouping) explain(lines *[]string, depth int) {
	if g.itemCount != nil {
		*lines = append(*lines, indent(depth)+"driver: COUNT(*) is the list's ItemCount")
		*lines = append(*lines, indent(depth+1)+fmt.Sprintf("GET list %s: ItemCount (no items are read)", quoteOData(g.itemCount.list)))
		return
	}
	line := indent(depth) + "driver: "
	if len(g.keys) > 0 {
		line += "group by " + exprList(g.keys, ", ")
		if len(g.aggs) > 0 {
			line += ", computing " + exprList(g.aggs, ", ")
		}
		line += " (one row held per group)"
	} else {
		line += "aggregate " + exprList(g.aggs, ", ") + " over all rows (one row)"
	}
	*lines = append(*lines, line)
	g.in.explain(lines, depth+1)
}

// projectOp computes the select list (and hidden ORDER BY keys after it).
type projectOp struct {
	in     operator
	cols   []OutputColumn
	hidden []*rexpr
	// inPlace: each column reads its own position of the input row, and
	// the input rows are fresh (a single list's scan): the output row is
	// the input row, with only the columns that convert values (a
	// date-only field's day, a URL's description) rewritten. No
	// allocation per row.
	inPlace bool
}

func (p *projectOp) open(rt *runtime) (rowFunc, error) {
	next, err := p.in.open(rt)
	if err != nil {
		return nil, err
	}
	if p.inPlace {
		var convert []int
		for i, c := range p.cols {
			if !c.copies {
				convert = append(convert, i)
			}
		}
		return func() ([]any, error) {
			row, err := next()
			if err != nil {
				return nil, err
			}
			for _, i := range convert {
				if row[i], err = p.cols[i].Eval(row); err != nil {
					return nil, err
				}
			}
			return row, nil
		}, nil
	}
	return func() ([]any, error) {
		row, err := next()
		if err != nil {
			return nil, err
		}
		out := make([]any, len(p.cols)+len(p.hidden))
		for i, c := range p.cols {
			if out[i], err = c.Eval(row); err != nil {
				return nil, err
			}
		}
		for i, h := range p.hidden {
			v, err := h.eval(row)
			if err != nil {
				return nil, err
			}
			out[len(p.cols)+i] = conform(v, h.typ)
		}
		return out, nil
	}, nil
}

func (p *projectOp) explain(lines *[]string, depth int) {
	names := make([]string, len(p.cols))
	for i, c := range p.cols {
		names[i] = c.Name
	}
	line := indent(depth) + "driver: return " + strings.Join(names, ", ")
	if len(p.hidden) > 0 {
		line += " (sorting by " + exprList(p.hidden, ", ") + ")"
	}
	*lines = append(*lines, line)
	p.in.explain(lines, depth+1)
}

// distinctOp drops rows equal (in their first width columns) to an
// earlier one.
type distinctOp struct {
	in    operator
	width int
}

func (d *distinctOp) open(rt *runtime) (rowFunc, error) {
	next, err := d.in.open(rt)
	if err != nil {
		return nil, err
	}
	seen := &keySet{what: "the keys of DISTINCT"}
	return func() ([]any, error) {
		for {
			row, err := next()
			if err != nil {
				return nil, err
			}
			first, err := seen.add(rt, row[:d.width])
			if err != nil {
				return nil, err
			}
			if first {
				return row, nil
			}
			if err := rt.tick(); err != nil {
				return nil, err
			}
		}
	}, nil
}

func (d *distinctOp) explain(lines *[]string, depth int) {
	*lines = append(*lines, indent(depth)+"driver: drop duplicate rows (DISTINCT)")
	d.in.explain(lines, depth+1)
}

// keySet remembers rows by their key (rowKey), for DISTINCT and UNION,
// holding each new key against MaxMemoryRows.
type keySet struct {
	seen map[string]bool
	buf  []byte
	what string // for the memory error
}

// has reports whether row's key is in the set.
func (k *keySet) has(row []any) bool {
	k.buf = appendRowKey(k.buf[:0], row)
	return k.seen[string(k.buf)] // no allocation for a lookup
}

// len is the number of keys held.
func (k *keySet) len() int { return len(k.seen) }

// add reports whether row's key is new, remembering it.
func (k *keySet) add(rt *runtime, row []any) (bool, error) {
	if k.has(row) {
		return false, nil
	}
	if err := rt.hold(1, k.what); err != nil {
		return false, err
	}
	if k.seen == nil {
		k.seen = map[string]bool{}
	}
	k.seen[string(k.buf)] = true
	return true, nil
}

// sortKey is an ORDER BY key: a position in the projected row.
type sortKey struct {
	pos  int
	desc bool
	name string // for Explain
}

// sortOp sorts its input, stably; with top ≥ 0 only the first top rows
// are wanted, and it holds about twice that many instead of all.
type sortOp struct {
	in   operator
	keys []sortKey
	top  int
	// presorted: the scan's $orderby already gives this order, unless
	// that scan fell back to an ID-ordered read (see scanOp.start).
	presorted *scanOp
}

type sortRow struct {
	row  []any
	keys []any
}

func (s *sortOp) less(a, b *sortRow) (bool, error) {
	for i, k := range s.keys {
		c, err := compareForSort(a.keys[i], b.keys[i])
		if err != nil {
			return false, err
		}
		if c != 0 {
			return (c < 0) != k.desc, nil
		}
	}
	return false, nil
}

func (s *sortOp) sortRows(rt *runtime, rows []sortRow) error {
	var sortErr error
	sort.SliceStable(rows, func(i, j int) bool {
		if sortErr != nil {
			return false // finish quickly: the sort's result is dropped
		}
		if err := rt.tick(); err != nil {
			sortErr = err
			return false
		}
		l, err := s.less(&rows[i], &rows[j])
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return l
	})
	return sortErr
}

func (s *sortOp) open(rt *runtime) (rowFunc, error) {
	next, err := s.in.open(rt)
	if err != nil {
		return nil, err
	}
	if s.presorted != nil && !rt.fellBack[s.presorted] {
		return next, nil
	}
	var rows []sortRow
	for {
		if err := rt.tick(); err != nil {
			return nil, err
		}
		row, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		sr := sortRow{row: row, keys: make([]any, len(s.keys))}
		for i, k := range s.keys {
			if sr.keys[i], err = normaliseValue(row[k.pos], nil); err != nil {
				return nil, err
			}
		}
		if err := rt.hold(1, "the rows to sort"); err != nil {
			return nil, err
		}
		rows = append(rows, sr)
		if s.top >= 0 && len(rows) >= 2*s.top+8 {
			if err := s.sortRows(rt, rows); err != nil {
				return nil, err
			}
			rt.release(len(rows) - s.top)
			clear(rows[s.top:])
			rows = rows[:s.top]
		}
	}
	if err := s.sortRows(rt, rows); err != nil {
		return nil, err
	}
	if s.top >= 0 && len(rows) > s.top {
		rt.release(len(rows) - s.top)
		rows = rows[:s.top]
	}
	pos := 0
	return func() ([]any, error) {
		if pos >= len(rows) {
			return nil, io.EOF
		}
		row := rows[pos].row
		rows[pos] = sortRow{}
		pos++
		rt.release(1)
		return row, nil
	}, nil
}

func (s *sortOp) explain(lines *[]string, depth int) {
	keys := make([]string, len(s.keys))
	for i, k := range s.keys {
		keys[i] = k.name
		if k.desc {
			keys[i] += " DESC"
		}
	}
	line := indent(depth) + "driver: sort by " + strings.Join(keys, ", ")
	if s.presorted != nil {
		line = indent(depth) + "driver: rows come sorted by " + strings.Join(keys, ", ") + " ($orderby); sorted here only if the list view threshold makes the scan fall back"
		if s.top >= 0 {
			line += fmt.Sprintf(", keeping the first %d", s.top)
		}
	} else if s.top >= 0 {
		line += fmt.Sprintf(" (keeping the first %d)", s.top)
	} else {
		line += " (all rows held)"
	}
	*lines = append(*lines, line)
	s.in.explain(lines, depth+1)
}

// limitOp skips offset rows, returns at most limit (-1: all), and cuts
// the hidden sort keys off.
type limitOp struct {
	in            operator
	limit, offset int
	width         int
}

func (l *limitOp) open(rt *runtime) (rowFunc, error) {
	next, err := l.in.open(rt)
	if err != nil {
		return nil, err
	}
	skipped, returned := 0, 0
	return func() ([]any, error) {
		for {
			if l.limit >= 0 && returned >= l.limit {
				return nil, io.EOF
			}
			row, err := next()
			if err != nil {
				return nil, err
			}
			if skipped < l.offset {
				skipped++
				if err := rt.tick(); err != nil {
					return nil, err
				}
				continue
			}
			returned++
			return row[:l.width:l.width], nil
		}
	}, nil
}

func (l *limitOp) explain(lines *[]string, depth int) {
	var parts []string
	if l.offset > 0 {
		parts = append(parts, fmt.Sprintf("skip %d rows", l.offset))
	}
	if l.limit >= 0 {
		parts = append(parts, fmt.Sprintf("return at most %d rows", l.limit))
	}
	if len(parts) > 0 {
		*lines = append(*lines, indent(depth)+"driver: "+strings.Join(parts, ", then "))
		depth++
	}
	l.in.explain(lines, depth)
}

// unionOp returns its parts' rows one part after the other; the parts up
// to distinctUpTo (a UNION without ALL) are de-duplicated together.
type unionOp struct {
	parts        []operator
	distinctUpTo int
	conform      []OutputColumn
}

func (u *unionOp) open(rt *runtime) (rowFunc, error) {
	i := 0
	var next rowFunc
	seen := &keySet{what: "the keys of UNION"}
	return func() ([]any, error) {
		for {
			if next == nil {
				if i >= len(u.parts) {
					return nil, io.EOF
				}
				var err error
				if next, err = u.parts[i].open(rt); err != nil {
					return nil, err
				}
			}
			row, err := next()
			if err == io.EOF {
				next = nil
				i++
				continue
			}
			if err != nil {
				return nil, err
			}
			for k, c := range u.conform {
				if row[k], err = c.Eval(row); err != nil {
					return nil, err
				}
			}
			if i <= u.distinctUpTo && u.distinctUpTo > 0 {
				first, err := seen.add(rt, row)
				if err != nil {
					return nil, err
				}
				if !first {
					if err := rt.tick(); err != nil {
						return nil, err
					}
					continue
				}
			}
			return row, nil
		}
	}, nil
}

func (u *unionOp) explain(lines *[]string, depth int) {
	line := indent(depth) + "driver: UNION ALL of the parts, in order"
	if u.distinctUpTo > 0 {
		line = indent(depth) + fmt.Sprintf("driver: UNION of the parts, duplicates dropped among parts 1 to %d", u.distinctUpTo+1)
	}
	*lines = append(*lines, line)
	for _, p := range u.parts {
		p.explain(lines, depth+1)
	}
}

// subquery is the SELECT of an IN (SELECT …): run once, before the
// query, its values held as a set.
type subquery struct {
	n        int
	op       operator
	typ      sqlType
	calendar bool    // its values are calendar days
	asTime   bool    // compared with a date: text values are read as dates
	set      *keySet // its non-NULL values; nil until it ran
	hasNull  bool
}

func (sq *subquery) run(rt *runtime) error {
	next, err := sq.op.open(rt)
	if err != nil {
		return err
	}
	sq.set, sq.hasNull = &keySet{what: fmt.Sprintf("the values of subquery %d", sq.n)}, false
	for {
		if err := rt.tick(); err != nil {
			return err
		}
		row, err := next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		v, err := sq.canon(row[0])
		if err != nil {
			return fmt.Errorf("%w (a value of subquery %d)", err, sq.n)
		}
		if v == nil {
			sq.hasNull = true
			continue
		}
		if _, err := sq.set.add(rt, []any{v}); err != nil {
			return err
		}
	}
}

// canon puts a value of either side of the IN in the form both are
// compared in, as = compares them: a boolean as 0 or 1, and text as a
// date when the other side is a date.
func (sq *subquery) canon(v any) (any, error) {
	v, err := normaliseValue(v, nil)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case bool:
		return boolInt(x), nil
	case string:
		if sq.asTime {
			return parseTime(x, time.UTC)
		}
	}
	return v, nil
}

// contains is SQL's x IN (values): true when found, else NULL if x is
// NULL or the values hold a NULL, else false; NOT IN negates it. Over no
// values at all, IN is false and NOT IN true, even for a NULL x.
func (sq *subquery) contains(v any, not bool) (any, error) {
	if sq.set == nil {
		return nil, errors.New("spsql: internal error: subquery read before it ran")
	}
	if sq.set.len() == 0 && !sq.hasNull {
		return not, nil
	}
	if v == nil {
		return nil, nil
	}
	v, err := sq.canon(v)
	if err != nil {
		return nil, err
	}
	if sq.set.has([]any{v}) {
		return !not, nil
	}
	if sq.hasNull {
		return nil, nil
	}
	return not, nil
}
