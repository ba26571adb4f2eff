package spsql

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-spsql/spsql/sharepoint"
)

// maxLookups is SharePoint's list view lookup threshold: one items
// request may involve at most 12 lookup and person columns (each is a
// join), whether it selects, expands, filters or sorts on them; more
// fails the whole request with an SPQueryThrottledException ("…the number
// of lookup columns it contains exceeds the lookup column threshold",
// pnp/pnpjs#2721, vgrem/Office365-REST-Python-Client#758). Managed
// metadata columns are counted too: reports disagree on whether they
// count (sp-dev-docs#4660), and counting them only costs a request.
const maxLookups = 12

// isLookupField reports a column that joins another table in SharePoint's
// database and so counts toward the lookup threshold.
func isLookupField(f *sharepoint.Field) bool {
	switch f.Type {
	case "Lookup", "LookupMulti", "User", "UserMulti", "TaxonomyFieldType", "TaxonomyFieldTypeMulti":
		return true
	}
	return false
}

// lookupIndex finds lookup fields by the names a query uses for them: the
// entity property name ("Project", "Assigned_x0020_To"), also as the base
// of "ProjectId" and "Project/Title".
type lookupIndex map[string]*sharepoint.Field

func newLookupIndex(fields []sharepoint.Field) lookupIndex {
	idx := lookupIndex{}
	for i := range fields {
		if f := &fields[i]; isLookupField(f) {
			idx[strings.ToLower(f.EntityPropertyName)] = f
			idx[strings.ToLower(f.InternalName)] = f
		}
	}
	return idx
}

// field returns the lookup field a $select or $expand name reads, or nil.
func (x lookupIndex) field(name string) *sharepoint.Field {
	base, _, _ := strings.Cut(name, "/")
	key := strings.ToLower(base)
	if f := x[key]; f != nil {
		return f
	}
	if strings.HasSuffix(key, "id") {
		return x[strings.TrimSuffix(key, "id")]
	}
	return nil
}

// inExpression returns the lookup fields an OData expression ($filter or
// $orderby) names, outside its string literals, in order of appearance.
func (x lookupIndex) inExpression(expr string) []*sharepoint.Field {
	var out []*sharepoint.Field
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '\'':
			// A string literal; '' inside is a quote.
			for i++; i < len(expr); i++ {
				if expr[i] == '\'' {
					if i+1 < len(expr) && expr[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
			i++
		case isNameByte(c):
			j := i
			for j < len(expr) && isNameByte(expr[j]) {
				j++
			}
			if f := x.field(expr[i:j]); f != nil {
				out = append(out, f)
			}
			i = j
		default:
			i++
		}
	}
	return out
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// lookupPart is one request of a read split for the lookup threshold.
type lookupPart struct {
	query sharepoint.Query
	idCol int // the index of ID in the part's rows
}

// lookupSplit is a read split into parts of at most maxLookups lookup
// columns each: every part has the same $filter, $orderby and $top, so
// they return the same items in the same order, and from[k] says where
// column k of the original $select is.
type lookupSplit struct {
	parts []lookupPart
	from  []struct{ part, col int }
}

// splitForLookups splits q when it involves more lookup and person
// columns than SharePoint allows in one request; it returns nil when q
// can be sent as it is. The columns that $filter and $orderby use must be
// in every part; the others are shared out in $select order, with the
// plain columns in the first part.
func splitForLookups(q sharepoint.Query, fields []sharepoint.Field) (*lookupSplit, error) {
	idx := newLookupIndex(fields)
	shared := map[*sharepoint.Field]bool{}
	for _, f := range idx.inExpression(q.Filter + " " + q.OrderBy) {
		shared[f] = true
	}
	var order []*sharepoint.Field // lookups of $select and $expand, first use first
	seen := map[*sharepoint.Field]bool{}
	note := func(f *sharepoint.Field) {
		if f != nil && !shared[f] && !seen[f] {
			seen[f] = true
			order = append(order, f)
		}
	}
	for _, s := range q.Select {
		note(idx.field(s))
	}
	for _, e := range q.Expand {
		note(idx.field(e))
	}
	if len(shared)+len(order) <= maxLookups {
		return nil, nil
	}
	room := maxLookups - len(shared)
	if room <= 0 {
		names := make([]string, 0, len(shared))
		for f := range shared {
			names = append(names, f.Title)
		}
		return nil, fmt.Errorf("spsql: the query filters or sorts on %d lookup and person columns (%s); SharePoint allows %d in one request: move some conditions into a query of their own", len(shared), strings.Join(names, ", "), maxLookups)
	}
	chunkOf := map[*sharepoint.Field]int{}
	for i, f := range order {
		chunkOf[f] = i / room
	}
	n := (len(order) + room - 1) / room
	split := &lookupSplit{parts: make([]lookupPart, n), from: make([]struct{ part, col int }, len(q.Select))}
	for p := range split.parts {
		split.parts[p] = lookupPart{query: sharepoint.Query{Filter: q.Filter, OrderBy: q.OrderBy, Top: q.Top}, idCol: -1}
	}
	for k, s := range q.Select {
		p := 0
		if f := idx.field(s); f != nil && !shared[f] {
			p = chunkOf[f]
		}
		part := &split.parts[p]
		split.from[k].part, split.from[k].col = p, len(part.query.Select)
		if strings.EqualFold(s, "ID") && part.idCol < 0 {
			part.idCol = len(part.query.Select)
		}
		part.query.Select = append(part.query.Select, s)
	}
	for _, e := range q.Expand {
		f := idx.field(e)
		for p := range split.parts {
			if f == nil && p == 0 || f != nil && (shared[f] || chunkOf[f] == p) {
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

// idOrdered reports an $orderby that sorts by ID ascending (or nothing,
// SharePoint's default).
func idOrdered(orderBy string) bool {
	first, _, _ := strings.Cut(orderBy, ",")
	f := strings.Fields(first)
	return len(f) == 0 || strings.EqualFold(f[0], "ID") && (len(f) == 1 || strings.EqualFold(f[1], "asc"))
}

// itemStream is a stream of fetched rows: a *sharepoint.ItemIterator, or
// the merge of a split read.
type itemStream interface {
	Next() bool
	Row() []any
	Err() error
	Close() error
}

// openSplit starts every part of a split read.
func (c *conn) openSplit(ctx context.Context, list string, split *lookupSplit, orderBy string) (*mergedItems, error) {
	m := &mergedItems{split: split, byID: idOrdered(orderBy), pending: make([][]any, len(split.parts)), done: make([]bool, len(split.parts))}
	for _, p := range split.parts {
		it, err := c.connector.client.Items(ctx, list, p.query)
		if err != nil {
			m.Close()
			return nil, err
		}
		m.its = append(m.its, it)
	}
	return m, nil
}

// mergedItems merges the parts of a split read row by row, streaming:
// each part holds at most its page and the next. Rows are lined up by
// ID. In ID order an item that one part has and another lacks (added or
// deleted between their requests) is left out, as if read before or
// after the change; in any other order the parts must agree row for row,
// or the read fails rather than mix up items.
type mergedItems struct {
	split   *lookupSplit
	its     []itemStream
	byID    bool
	pending [][]any // a row read from part p but not used yet
	done    []bool  // part p has no more rows
	row     []any
	err     error
}

// errListChanged is returned when the parts of a split read disagree.
var errListChanged = errors.New("spsql: the list changed while it was read in parts (it has more than 12 lookup and person columns, which SharePoint does not return in one request); run the query again")

func (m *mergedItems) id(p int, row []any) int64 {
	id, _ := row[m.split.parts[p].idCol].(int64)
	return id
}

// peek returns part p's next unused row, or nil at its end.
func (m *mergedItems) peek(p int) []any {
	if m.pending[p] == nil && !m.done[p] {
		if m.its[p].Next() {
			m.pending[p] = m.its[p].Row()
		} else {
			m.done[p] = true
			if err := m.its[p].Err(); err != nil && m.err == nil {
				m.err = err
			}
		}
	}
	return m.pending[p]
}

func (m *mergedItems) Next() bool {
	for m.err == nil {
		lead := m.peek(0)
		if lead == nil {
			return false
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
				if !m.byID {
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
				if !m.byID && m.err == nil {
					m.err = errListChanged
				}
				break
			}
		}
		if m.err != nil {
			return false
		}
		if !complete {
			continue
		}
		m.row = make([]any, len(m.split.from))
		for k, f := range m.split.from {
			m.row[k] = rows[f.part][f.col]
		}
		return true
	}
	return false
}

func (m *mergedItems) Row() []any { return m.row }

func (m *mergedItems) Err() error { return m.err }

// Close closes every part; it is idempotent, as ItemIterator.Close is.
func (m *mergedItems) Close() error {
	var first error
	for _, it := range m.its {
		if err := it.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

var (
	_ itemStream = (*sharepoint.ItemIterator)(nil)
	_ itemStream = (*mergedItems)(nil)
)
