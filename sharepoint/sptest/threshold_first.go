package sptest

import "strings"

// The list view threshold's rule for indexed columns (docs/sharepoint.md
// §9.1): on a list above the threshold, a filter whose every column is
// indexed still fails unless its first condition — the leftmost term of
// the AND chain at its top — itself matches no more items than the
// threshold. A first condition on ID is exempt: ID is the list's key, and
// ID ranges are allowed on any list.

// firstClauseNarrows checks ir's filter against that rule and returns the
// SPQueryThrottledException when the first condition matches too many
// items. It counts at most threshold+1 matches.
func (ir *itemsRequest) firstClauseNarrows() *apiError {
	n, err := parseFilter(ir.filterSrc)
	if err != nil {
		return nil // compileFilter reported it already
	}
	first := n
	for first.op == "and" {
		first = first.args[0]
	}
	if onID(first) {
		return nil
	}
	qc := newQueryCtx(ir.l)
	qc.expanded = ir.q.expanded
	pred, aerr := qc.compile(first, ir.filterSrc)
	if aerr != nil {
		return nil // the whole filter compiled; a part cannot fail
	}
	l := ir.l
	matches := 0
	l.scan(0, false, l.scratch(nil), func(row []value) bool {
		if pred(qc, row) {
			matches++
		}
		return matches <= l.threshold
	})
	if matches > l.threshold {
		return errThrottled()
	}
	return nil
}

// onID reports whether n compares ID with a value.
func onID(n *node) bool {
	return len(n.args) == 2 && comparisonOps[n.op] && n.args[0].op == "ref" && strings.EqualFold(n.args[0].name, "ID")
}
