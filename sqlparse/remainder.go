package sqlparse

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Explain describes the plan in lines: the REST request and what runs in
// the driver. EXPLAIN returns these lines as rows; logs print the same.
func (p *Plan) Explain() []string {
	q := p.Query
	if p.Count == CountItemCount {
		return []string{
			fmt.Sprintf("GET list %s: ItemCount (no items are read)", quoteOData(p.List)),
			"driver: return ItemCount as " + p.Columns[0].Name,
		}
	}
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
		if order := strings.ToLower(q.OrderBy); p.opts.ParallelRequests > 1 && q.Filter == "" && (order == "" || order == "id asc") {
			lines = append(lines, fmt.Sprintf("  (on a list of 8 pages or more with dense IDs: ID slices of a page, %d requests in flight)", p.opts.ParallelRequests))
		}
	}
	if p.opts.ClientOnly {
		lines = append(lines, "driver: nothing pushed but $select: an ID-ordered scan")
	}
	for _, r := range p.residualText {
		lines = append(lines, "driver: keep rows where "+r)
	}
	if p.Count == CountRows {
		lines = append(lines, "driver: count the rows as "+p.Columns[0].Name)
	}
	if len(p.Sort) > 0 {
		keys := make([]string, len(p.Sort))
		for i, k := range p.Sort {
			keys[i] = k.Expr
			if k.Desc {
				keys[i] += " DESC"
			}
		}
		lines = append(lines, "driver: sort by "+strings.Join(keys, ", "))
	}
	if p.Distinct {
		lines = append(lines, "driver: drop duplicate rows (DISTINCT)")
	}
	if p.Offset > 0 {
		lines = append(lines, fmt.Sprintf("driver: skip %d rows (SharePoint ignores $skip on items)", p.Offset))
	}
	if p.Limit >= 0 {
		lines = append(lines, fmt.Sprintf("driver: return at most %d rows", p.Limit))
	}
	if len(p.Unindexed) > 0 {
		lines = append(lines, "note: not indexed, refused on lists over 5,000 items: "+strings.Join(p.Unindexed, ", "))
	}
	return lines
}

// Remainder runs the driver's part of the plan over the fetched rows.
// next returns the rows of Items (io.EOF at the end); the returned
// function returns output rows (the plan's Columns), then io.EOF. It stops
// calling next as soon as the answer is complete (LIMIT), so the caller
// can close the items stream. With Sort, every row is read (and held)
// before the first is returned. CountItemCount plans are answered by the
// caller from the list's ItemCount.
func (p *Plan) Remainder(next func() ([]any, error)) func() ([]any, error) {
	var (
		done     bool
		skipped  int
		returned int
		seen     map[string]bool
		sorted   [][]any
		sortDone bool
		counted  bool
	)
	if p.Distinct {
		seen = map[string]bool{}
	}
	// source yields fetched rows that pass the residual, sorted if needed.
	source := func() ([]any, error) {
		if len(p.Sort) > 0 {
			if !sortDone {
				sortDone = true
				var rows [][]any
				for {
					row, err := p.nextKept(next)
					if err == io.EOF {
						break
					}
					if err != nil {
						return nil, err
					}
					if err := p.checkMemory(len(rows)+1, "the rows to sort"); err != nil {
						return nil, err
					}
					rows = append(rows, row)
				}
				var err error
				if sorted, err = p.sortRows(rows); err != nil {
					return nil, err
				}
			}
			if len(sorted) == 0 {
				return nil, io.EOF
			}
			row := sorted[0]
			sorted[0] = nil
			sorted = sorted[1:]
			return row, nil
		}
		return p.nextKept(next)
	}
	return func() ([]any, error) {
		for !done {
			if p.Limit >= 0 && returned >= p.Limit {
				done = true
				break
			}
			var out []any
			if p.Count == CountRows {
				if counted {
					done = true
					break
				}
				n := int64(0)
				for {
					_, err := p.nextKept(next)
					if err == io.EOF {
						break
					}
					if err != nil {
						return nil, err
					}
					n++
				}
				counted = true
				out = []any{n}
			} else {
				row, err := source()
				if err == io.EOF {
					done = true
					break
				}
				if err != nil {
					return nil, err
				}
				if identity(p.Columns, row) {
					// The fetched row is ours (the items stream hands each
					// row over) and already is the output row: no copy,
					// no allocation per row.
					out = row
				} else {
					out = make([]any, len(p.Columns))
					for i, c := range p.Columns {
						if out[i], err = c.Eval(row); err != nil {
							return nil, err
						}
					}
				}
			}
			if seen != nil {
				k := rowKey(out)
				if seen[k] {
					continue
				}
				if err := p.checkMemory(len(seen)+1, "the keys of DISTINCT"); err != nil {
					return nil, err
				}
				seen[k] = true
			}
			if skipped < p.Offset {
				skipped++
				continue
			}
			returned++
			return out, nil
		}
		return nil, io.EOF
	}
}

// checkMemory fails when holding n rows passes Options.MaxMemoryRows.
func (p *Plan) checkMemory(n int, what string) error {
	if limit := p.opts.MaxMemoryRows; limit > 0 && n > limit {
		return memoryError(limit, what)
	}
	return nil
}

// nextKept returns the next fetched row the residual keeps.
func (p *Plan) nextKept(next func() ([]any, error)) ([]any, error) {
	for {
		row, err := next()
		if err != nil {
			return nil, err
		}
		if p.Residual == nil {
			return row, nil
		}
		ok, err := p.Residual(row)
		if err != nil {
			return nil, err
		}
		if ok {
			return row, nil
		}
	}
}

// sortRows sorts fetched rows by the plan's keys, stably (ties keep the
// fetch order, which is ID order). NULLs sort first ascending and last
// descending, as in SharePoint; strings case-insensitively.
func (p *Plan) sortRows(rows [][]any) ([][]any, error) {
	type keyed struct {
		row  []any
		keys []any
	}
	ks := make([]keyed, len(rows))
	for i, row := range rows {
		ks[i].row = row
		ks[i].keys = make([]any, len(p.Sort))
		for j, k := range p.Sort {
			v, err := k.Eval(row)
			if err != nil {
				return nil, err
			}
			if ks[i].keys[j], err = normaliseValue(v, nil); err != nil {
				return nil, err
			}
		}
	}
	var sortErr error
	sort.SliceStable(ks, func(a, b int) bool {
		for j, k := range p.Sort {
			c, err := compareForSort(ks[a].keys[j], ks[b].keys[j])
			if err != nil && sortErr == nil {
				sortErr = err
			}
			if c == 0 {
				continue
			}
			if k.Desc {
				return c > 0
			}
			return c < 0
		}
		return false
	})
	if sortErr != nil {
		return nil, sortErr
	}
	out := make([][]any, len(ks))
	for i := range ks {
		out[i] = ks[i].row
	}
	return out, nil
}

// compareForSort orders values with NULL lowest.
func compareForSort(a, b any) (int, error) {
	switch {
	case a == nil && b == nil:
		return 0, nil
	case a == nil:
		return -1, nil
	case b == nil:
		return 1, nil
	}
	return compareValues(a, b)
}

// rowKey identifies an output row for DISTINCT: values as the evaluator
// sees them, strings lower-cased (DISTINCT agrees with =), numbers by
// value (1 and 1.0 are one), times as instants.
func rowKey(row []any) string { return string(appendRowKey(nil, row)) }

// appendRowKey appends row's key (see rowKey) to b: callers that look
// keys up in a map reuse one buffer, and m[string(b)] does not allocate.
func appendRowKey(b []byte, row []any) []byte {
	for _, v := range row {
		n, err := normaliseValue(v, nil)
		if err != nil {
			n = fmt.Sprint(v)
		}
		switch x := n.(type) {
		case nil:
			b = append(b, 'N')
		case string:
			b = append(b, 'S')
			b = strconv.AppendInt(b, int64(foldedLen(x)), 10)
			b = append(b, ':')
			b = appendFolded(b, x)
		case int64:
			b = append(b, 'F')
			b = strconv.AppendFloat(b, float64(x), 'g', -1, 64)
			b = append(b, '/')
			b = strconv.AppendInt(b, x, 10)
		case float64:
			b = append(b, 'F')
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
			if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
				b = append(b, '/')
				b = strconv.AppendInt(b, int64(x), 10)
			}
		case bool:
			b = append(b, 'B')
			b = strconv.AppendBool(b, x)
		case time.Time:
			b = append(b, 'T')
			b = strconv.AppendInt(b, x.UnixNano(), 10)
		default:
			b = append(b, '?')
			b = append(b, fmt.Sprint(x)...)
		}
		b = append(b, 0)
	}
	return b
}

// foldedLen is the length in bytes of s folded (appendFolded).
func foldedLen(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			n := i
			for _, r := range s[i:] {
				n += utf8.RuneLen(foldRune(r))
			}
			return n
		}
	}
	return len(s)
}

// appendFolded appends s with every rune folded as compareFold folds it.
func appendFolded(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				b = utf8.AppendRune(b, foldRune(r))
			}
			return b
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// identity reports whether the output row is the fetched row itself: every
// column copies its own position and nothing else was fetched.
func identity(cols []OutputColumn, row []any) bool {
	if len(cols) != len(row) {
		return false
	}
	for i, c := range cols {
		if c.plain != i+1 {
			return false
		}
	}
	return true
}
