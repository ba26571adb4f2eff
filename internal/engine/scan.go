package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// scanOp reads one list through its Plan — the request SharePoint
// answers, then the plan's residual filter and projection in the driver —
// placing the columns at the list's offset of the joined row.
type scanOp struct {
	t     *table
	width int
}

func (s *scanOp) open(rt *runtime) (rowFunc, error) {
	return s.openPlan(rt, s.t.plan)
}

// openPlan starts p (the table's plan, or one restricted to some IDs)
// and reads its first page.
func (s *scanOp) openPlan(rt *runtime, p *Plan) (rowFunc, error) {
	r, p, err := s.start(rt, p)
	if err != nil {
		return nil, err
	}
	n := len(s.t.cols)
	cols, residual := p.Columns, p.Residual
	if len(cols) != n {
		return nil, fmt.Errorf("spsql: internal error: %s gives %d columns, want %d", s.t.list, len(cols), n)
	}
	// When every column copies its own position of the fetched row and
	// the row is as wide as the joined one, the fetched row is handed on:
	// no copy, no allocation per row.
	pass := s.t.base == 0 && n == s.width && identity(cols, len(p.Query.Select))
	return func() ([]any, error) {
		for {
			row, err := r.Next()
			if err == io.EOF {
				r.Close()
			}
			if err != nil {
				return nil, err
			}
			if residual != nil {
				ok, err := residual(row)
				if err != nil {
					return nil, err
				}
				if !ok {
					if err := rt.tick(); err != nil {
						return nil, err
					}
					continue
				}
			}
			if pass && len(row) == n {
				return row, nil
			}
			out := make([]any, s.width)
			for i, c := range cols {
				if out[s.t.base+i], err = c.Eval(row); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
	}, nil
}

// start opens the stream of p and reads its first row, so that a refusal
// surfaces now. When SharePoint refuses p for the list view threshold
// (docs/sharepoint.md §9.1), it runs p's fallback instead — an ID-ordered
// scan evaluated in the driver, which returns the same rows, though not
// in p's order (the sort operator above sees it) — and logs which
// columns are worth indexing. It returns the plan it ran.
func (s *scanOp) start(rt *runtime, p *Plan) (Rows, *Plan, error) {
	if err := rt.ctx.Err(); err != nil {
		return nil, nil, err
	}
	if s.t.virtual {
		r, err := schemaRows(rt, p, strings.TrimPrefix(s.t.list, sqlparse.SchemaName+"."), s.t.describe)
		if err != nil {
			return nil, nil, err
		}
		return rt.track(r), p, nil
	}
	r, err := openPrimed(rt, p)
	if err != nil && errors.Is(err, sharepoint.ErrLookupThreshold) {
		// Not the view threshold, though SharePoint reports both as an
		// SPQueryThrottledException: a scan would be refused as well.
		return nil, nil, fmt.Errorf("spsql: SharePoint refused the query for its lookup column threshold (at most %d lookup and person columns per request): %w", sharepoint.LookupThreshold, err)
	}
	if err != nil && errors.Is(err, sharepoint.ErrViewThreshold) {
		fallback, ferr := p.Fallback()
		if ferr != nil {
			return nil, nil, ferr
		}
		if l := rt.opts.Logger; l != nil {
			l.WarnContext(rt.ctx, "spsql: SharePoint refused the query for the list view threshold; scanning the list by ID and filtering in the driver",
				"list", p.List, "index these columns to avoid it", strings.Join(p.Unindexed, ", "))
		}
		rt.fellBack[s] = true
		p = fallback
		r, err = openPrimed(rt, p)
	}
	if err != nil {
		return nil, nil, err
	}
	return r, p, nil
}

// openPrimed starts p's items request and reads its first row.
func openPrimed(rt *runtime, p *Plan) (Rows, error) {
	r, err := rt.src.Items(rt.ctx, p.List, p.Query)
	if err != nil {
		return nil, err
	}
	o := rt.track(r)
	row, err := o.Next()
	if err != nil && err != io.EOF {
		o.Close()
		return nil, err
	}
	return &primed{Rows: o, row: row, err: err}, nil
}

// primed is a stream whose first row (or end) was read ahead.
type primed struct {
	Rows
	row  []any
	err  error
	used bool
}

func (p *primed) Next() ([]any, error) {
	if !p.used {
		p.used = true
		return p.row, p.err
	}
	return p.Rows.Next()
}

func (s *scanOp) explain(lines *[]string, depth int) {
	*lines = append(*lines, indent(depth)+"scan "+s.t.name())
	if s.t.virtual {
		*lines = append(*lines, indent(depth+1)+schemaExplain(strings.TrimPrefix(s.t.list, sqlparse.SchemaName+"."), schemaList(s.t.plan.residual)))
		for _, l := range s.t.plan.Explain() {
			if strings.HasPrefix(l, "driver: keep") {
				*lines = append(*lines, indent(depth+1)+l)
			}
		}
		return
	}
	count := s.t.count
	if count < 0 && s.t.plan.counted {
		count = s.t.plan.itemCount
	}
	if l := plannedRequests(s.t.plan, count); l != "" {
		*lines = append(*lines, indent(depth+1)+l)
	}
	for _, l := range s.t.plan.Explain() {
		*lines = append(*lines, indent(depth+1)+l)
	}
}

// plannedRequests says how many requests reading p plans, by the list's
// ItemCount (count, -1 when unknown), so that a large read's cost
// against SharePoint's throttling budget shows before it runs; "" for a
// read of fewer than largeRead requests or an unknown count.
// largeRead is how many requests make a read large enough for EXPLAIN to
// count them.
const largeRead = 20

func plannedRequests(p *Plan, count int64) string {
	page := int64(p.opts.PageSize)
	q := p.Query
	if count < 0 || page <= 0 || (q.Top > 0 && int64(q.Top) <= page) {
		return ""
	}
	items := count
	if q.Top > 0 {
		items = min(items, int64(q.Top))
	}
	n := max(1, (items+page-1)/page)
	if n < largeRead {
		return ""
	}
	if q.Filter != "" || len(p.residualText) > 0 {
		return fmt.Sprintf("requests: at most %d pages of %d (the list has %d items)", n, page, count)
	}
	return fmt.Sprintf("requests: about %d pages of %d (the list has %d items)", n, page, count)
}

// CountItems reads, from src's (cached) lists, the ItemCount of each list
// the query scans, so that Explain can say how many requests a large read
// plans. Only EXPLAIN needs it; a query that runs does without. A failure
// only leaves the counts out.
func (q *Query) CountItems(ctx context.Context, src Source) {
	lists, err := src.Lists(ctx)
	if err != nil {
		return
	}
	for _, p := range q.scans {
		for _, l := range lists {
			if strings.EqualFold(l.Title, p.List) {
				p.itemCount, p.counted = l.ItemCount, true
				break
			}
		}
	}
}
