package sharepoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// LookupThreshold is SharePoint's list view lookup threshold: one items
// request may involve at most 12 lookup and person columns (each is a
// join in SharePoint's database), whether it selects, expands, filters or
// sorts on them or only reads their IDs; more fails the whole request
// with an SPQueryThrottledException ("…the number of lookup columns it
// contains exceeds the lookup column threshold", ErrLookupThreshold). On
// premises it is the web application's MaxQueryLookupFields. Items reads
// a query that involves more in several requests; see Query.FilterFields
// and Field.CountsTowardLookupThreshold for what it counts.
const LookupThreshold = 12

// A read over the threshold is split by columns: every part carries the
// query's Filter, OrderBy and Top, so that all parts return the same
// items in the same order, plus the lookup columns of the filter and the
// order (a part that filters on a lookup must count it) and ID; the
// other lookup columns are shared out among the parts, at most
// LookupThreshold in each, and the plain columns go to the first part.
// The parts are read side by side and their rows joined by ID, row by
// row: each part holds at most its page and the next, as a single
// request would.

// lookupSplit is a read cut into parts: from[k] says where column k of
// the query's Select is in the parts' rows.
type lookupSplit struct {
	parts []lookupPart
	from  []struct{ part, col int }
	// byID: the items come in ID order, so an item one part has and
	// another lacks (added or deleted between their requests) can be
	// told and left out.
	byID bool
}

// lookupPart is one request of a split read.
type lookupPart struct {
	query Query
	idCol int // the index of ID in the part's rows
}

// splitForLookups splits q, whose Select resolved to cols, when it
// involves more lookup columns than LookupThreshold; it returns nil when
// q can be sent as it is. It checks FilterFields and OrderByFields
// against Filter, OrderBy and the list's fields first.
func splitForLookups(list string, fields []Field, cols []Column, q Query) (*lookupSplit, error) {
	shared, err := expressionLookups(list, fields, q)
	if err != nil {
		return nil, err
	}
	isShared := map[*Field]bool{}
	for _, f := range shared {
		isShared[f] = true
	}
	// The other lookup columns, first use first: Select's, then Expand's.
	var order []*Field
	seen := map[*Field]bool{}
	note := func(f *Field) {
		if f != nil && f.CountsTowardLookupThreshold() && !isShared[f] && !seen[f] {
			seen[f] = true
			order = append(order, f)
		}
	}
	for _, c := range cols {
		note(c.Field)
	}
	expandField := make([]*Field, len(q.Expand))
	for i, e := range q.Expand {
		expandField[i] = findField(fields, strings.TrimSpace(e))
		note(expandField[i])
	}
	if len(shared)+len(order) <= LookupThreshold {
		return nil, nil
	}
	if (q.Filter != "" && len(q.FilterFields) == 0) || (q.OrderBy != "" && len(q.OrderByFields) == 0) {
		return nil, fmt.Errorf("sharepoint: the read of list %q involves %d lookup and person columns, more than SharePoint's %d per request, so it must be sent in parts that each carry the filter's and the order's lookup columns: list the fields that Query.Filter and Query.OrderBy name in Query.FilterFields and Query.OrderByFields", list, len(shared)+len(order), LookupThreshold)
	}
	room := LookupThreshold - len(shared)
	if room <= 0 {
		names := make([]string, len(shared))
		for i, f := range shared {
			names[i] = f.Title
		}
		return nil, &lookupThresholdError{fmt.Sprintf("sharepoint: the query filters or sorts on %d lookup and person columns (%s); SharePoint allows %d in one request: move some conditions into a query of their own", len(shared), strings.Join(names, ", "), LookupThreshold)}
	}
	chunkOf := map[*Field]int{}
	for i, f := range order {
		chunkOf[f] = i / room
	}
	split := &lookupSplit{
		parts: make([]lookupPart, (len(order)+room-1)/room),
		from:  make([]struct{ part, col int }, len(cols)),
		byID:  idOrdered(q.OrderBy),
	}
	for p := range split.parts {
		// Parallel is left out: a part is read page after page.
		split.parts[p] = lookupPart{idCol: -1, query: Query{
			Filter: q.Filter, FilterFields: q.FilterFields,
			OrderBy: q.OrderBy, OrderByFields: q.OrderByFields,
			Top: q.Top,
		}}
	}
	for k, c := range cols {
		p := 0
		if f := c.Field; f.CountsTowardLookupThreshold() && !isShared[f] {
			p = chunkOf[f]
		}
		part := &split.parts[p]
		split.from[k].part, split.from[k].col = p, len(part.query.Select)
		if part.idCol < 0 && c.subField == "" && c.Field.InternalName == "ID" {
			part.idCol = len(part.query.Select)
		}
		part.query.Select = append(part.query.Select, q.Select[k])
	}
	for i, e := range q.Expand {
		f := expandField[i]
		for p := range split.parts {
			// An expand that names no field goes once, for SharePoint to refuse.
			if f == nil && p == 0 || f != nil && (isShared[f] || chunkOf[f] == p) {
				split.parts[p].query.Expand = append(split.parts[p].query.Expand, e)
			}
		}
	}
	// Every part reads ID, to line the parts up.
	for p := range split.parts {
		part := &split.parts[p]
		if part.idCol < 0 {
			part.idCol = len(part.query.Select)
			part.query.Select = append(part.query.Select, "ID")
		}
	}
	return split, nil
}

// expressionLookups checks q.FilterFields and q.OrderByFields and
// returns the lookup columns among them, in order.
func expressionLookups(list string, fields []Field, q Query) ([]*Field, error) {
	var out []*Field
	for _, e := range []struct {
		expr, option, listed string
		names                []string
	}{
		{q.Filter, "Filter", "FilterFields", q.FilterFields},
		{q.OrderBy, "OrderBy", "OrderByFields", q.OrderByFields},
	} {
		if len(e.names) > 0 && strings.TrimSpace(e.expr) == "" {
			return nil, fmt.Errorf("sharepoint: Query.%s names fields (%s) but Query.%s is empty: list only the fields the expression uses", e.listed, strings.Join(e.names, ", "), e.option)
		}
		for _, name := range e.names {
			f := findField(fields, strings.TrimSpace(name))
			if f == nil {
				return nil, columnError(list, name, "is named in Query."+e.listed+" but is not a field of the list (name the field itself: Project for ProjectId or Project/Title)")
			}
			if f.CountsTowardLookupThreshold() && !containsField(out, f) {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

func containsField(list []*Field, f *Field) bool {
	for _, x := range list {
		if x == f {
			return true
		}
	}
	return false
}

// idOrdered reports an $orderby whose first key is ID ascending, or none
// (SharePoint's default order is by ID).
func idOrdered(orderBy string) bool {
	first, _, _ := strings.Cut(orderBy, ",")
	f := strings.Fields(first)
	return len(f) == 0 || strings.EqualFold(f[0], "ID") && (len(f) == 1 || strings.EqualFold(f[1], "asc"))
}

// lookupThresholdError is a read Items refuses before sending it: no
// split can bring it within the lookup threshold. It matches
// ErrLookupThreshold.
type lookupThresholdError struct{ msg string }

func (e *lookupThresholdError) Error() string { return e.msg }

// Is makes errors.Is(err, ErrLookupThreshold) true.
func (e *lookupThresholdError) Is(target error) bool { return target == ErrLookupThreshold }

// itemsInParts starts every part of a split read and returns the
// iterator that merges them. Closing it closes every part.
func (c *Client) itemsInParts(ctx context.Context, list string, cols []Column, split *lookupSplit) (*ItemIterator, error) {
	ctx, cancel := context.WithCancel(ctx)
	parts := make([]*ItemIterator, 0, len(split.parts))
	closeAll := func() {
		cancel()
		for _, it := range parts {
			it.Close()
		}
	}
	for _, p := range split.parts {
		it, err := c.Items(ctx, list, p.query)
		if err != nil {
			closeAll()
			return nil, err
		}
		parts = append(parts, it)
	}
	m := &lookupMerge{split: split, pending: make([][]any, len(parts)), done: make([]bool, len(parts))}
	for _, it := range parts {
		m.its = append(m.its, it)
	}
	done := make(chan struct{})
	close(done) // no goroutine of its own: the parts have theirs
	return &ItemIterator{cols: cols, cancel: closeAll, done: done, merge: m}, nil
}

// nextMerged is Next for a split read.
func (it *ItemIterator) nextMerged() ([]any, error) {
	if it.err != nil {
		return nil, it.err
	}
	row, err := it.merge.next()
	if err != nil {
		it.end(err)
		return nil, err
	}
	return row, nil
}

// rowStream is what lookupMerge reads from a part: an *ItemIterator.
type rowStream interface {
	Next() ([]any, error)
}

// lookupMerge joins the parts of a split read row by row, by ID. In ID
// order an item that one part has and another lacks (added or deleted
// between their requests) is left out, as if read before or after the
// change; in any other order the parts must agree row for row, or the
// read fails rather than mix up items.
type lookupMerge struct {
	split   *lookupSplit
	its     []rowStream
	pending [][]any // a row read from part p but not used yet
	done    []bool  // part p has no more rows
	err     error
}

// errListChanged is returned when the parts of a split read disagree.
var errListChanged = errors.New("sharepoint: the list changed while it was read in parts (the query involves more lookup and person columns than SharePoint returns in one request); run the query again")

func (m *lookupMerge) id(p int, row []any) int64 {
	id, _ := row[m.split.parts[p].idCol].(int64)
	return id
}

// peek returns part p's next unused row, or nil at its end.
func (m *lookupMerge) peek(p int) []any {
	if m.pending[p] == nil && !m.done[p] {
		row, err := m.its[p].Next()
		switch {
		case err == nil:
			m.pending[p] = row
		case err == io.EOF:
			m.done[p] = true
		default:
			m.done[p] = true
			if m.err == nil {
				m.err = err
			}
		}
	}
	return m.pending[p]
}

// next returns the next merged row, or io.EOF at the end of the items, or
// the error that ended the read.
func (m *lookupMerge) next() ([]any, error) {
	for m.err == nil {
		lead := m.peek(0)
		if lead == nil {
			if m.err == nil {
				return nil, io.EOF
			}
			return nil, m.err
		}
		m.pending[0] = nil
		id := m.id(0, lead)
		rows := make([][]any, len(m.its))
		rows[0] = lead
		complete := true
		for p := 1; p < len(m.its) && m.err == nil; p++ {
			for {
				r := m.peek(p)
				if r == nil {
					break
				}
				rid := m.id(p, r)
				if rid == id {
					rows[p], m.pending[p] = r, nil
					break
				}
				if !m.split.byID {
					m.err = errListChanged
					break
				}
				if rid > id {
					break // the lead's item is missing here: skip it
				}
				m.pending[p] = nil // an item the lead lacks
			}
			if rows[p] == nil {
				complete = false
				if !m.split.byID && m.err == nil {
					m.err = errListChanged
				}
				break
			}
		}
		if m.err != nil {
			return nil, m.err
		}
		if !complete {
			continue
		}
		row := make([]any, len(m.split.from))
		for k, f := range m.split.from {
			row[k] = rows[f.part][f.col]
		}
		return row, nil
	}
	return nil, m.err
}
