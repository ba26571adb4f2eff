package sptest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// errNoProperty is SharePoint's answer to an unknown property of a metadata
// type (SP.List, SP.Field) in a query option.
func errNoProperty(name, typeName string) *apiError {
	return &apiError{http.StatusBadRequest, codeInvalidQuery, "The property '" + name + "' does not exist on type '" + typeName + "'. Make sure to only use property names that are defined by the type."}
}

// metaQuery applies $filter, $orderby, $skip, $top and $select to metadata
// entities. Unlike item filters, these compare Booleans with true/false
// literally (docs/sharepoint.md §4.6).
func metaQuery(r *http.Request, typeName string, rows []obj, metas []entityMeta) ([]obj, []entityMeta, *apiError) {
	qv := r.URL.Query()
	if len(rows) == 0 {
		return rows, metas, nil
	}
	// Properties of derived types (SP.FieldLookup's LookupList, …) exist on
	// some rows only: a name is known when any row has it, and rows without
	// it read it as null.
	sample := obj{}
	seen := map[string]bool{}
	for _, row := range rows {
		for _, p := range row {
			if !seen[strings.ToLower(p.k)] {
				seen[strings.ToLower(p.k)] = true
				sample = append(sample, p)
			}
		}
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	if src := strings.TrimSpace(qv.Get("$filter")); src != "" {
		n, err := parseFilter(src)
		if err != nil {
			return nil, nil, errInvalidExpression(src)
		}
		p, aerr := compileMeta(n, src, typeName, sample)
		if aerr != nil {
			return nil, nil, aerr
		}
		idx = slices.DeleteFunc(idx, func(i int) bool { return !p(rows[i]) })
	}
	if src := strings.TrimSpace(qv.Get("$orderby")); src != "" {
		type term struct {
			key  string
			desc bool
		}
		var terms []term
		for t := range strings.SplitSeq(src, ",") {
			fs := strings.Fields(t)
			if len(fs) == 0 || len(fs) > 2 || len(fs) == 2 && !strings.EqualFold(fs[1], "asc") && !strings.EqualFold(fs[1], "desc") {
				return nil, nil, errInvalidExpression(src)
			}
			if _, ok := sample.get(fs[0]); !ok {
				return nil, nil, errNoProperty(fs[0], typeName)
			}
			terms = append(terms, term{fs[0], len(fs) == 2 && strings.EqualFold(fs[1], "desc")})
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			for _, t := range terms {
				va, _ := rows[a].get(t.key)
				vb, _ := rows[b].get(t.key)
				ka, _ := metaKey(va)
				kb, _ := metaKey(vb)
				c := compareKeys(ka, kb)
				if t.desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return 0
		})
	}
	if s := qv.Get("$skip"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, nil, errInvalidExpression("$skip=" + s)
		}
		idx = idx[min(n, len(idx)):]
	}
	if s := qv.Get("$top"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, nil, errInvalidExpression("$top=" + s)
		}
		idx = idx[:min(n, len(idx))]
	}
	var sel []string
	if src := strings.TrimSpace(qv.Get("$select")); src != "" && src != "*" {
		for name := range strings.SplitSeq(src, ",") {
			name = strings.TrimSpace(name)
			if name == "*" {
				sel = nil
				break
			}
			if _, ok := sample.get(name); !ok {
				return nil, nil, errNoProperty(name, typeName)
			}
			sel = append(sel, name)
		}
	}
	outRows := make([]obj, 0, len(idx))
	outMetas := make([]entityMeta, 0, len(idx))
	for _, i := range idx {
		row := rows[i]
		if sel != nil {
			picked := make(obj, 0, len(sel))
			for _, name := range sel {
				for _, p := range row {
					if strings.EqualFold(p.k, name) {
						picked = append(picked, p)
						break
					}
				}
			}
			row = picked
		}
		outRows = append(outRows, row)
		outMetas = append(outMetas, metas[i])
	}
	return outRows, outMetas, nil
}

// compileMeta compiles a $filter over metadata properties.
func compileMeta(n *node, src, typeName string, sample obj) (func(obj) bool, *apiError) {
	switch n.op {
	case "and", "or":
		a, err := compileMeta(n.args[0], src, typeName, sample)
		if err != nil {
			return nil, err
		}
		b, err := compileMeta(n.args[1], src, typeName, sample)
		if err != nil {
			return nil, err
		}
		if n.op == "and" {
			return func(o obj) bool { return a(o) && b(o) }, nil
		}
		return func(o obj) bool { return a(o) || b(o) }, nil
	case "not":
		a, err := compileMeta(n.args[0], src, typeName, sample)
		if err != nil {
			return nil, err
		}
		return func(o obj) bool { return !a(o) }, nil
	case "call":
		var col, lit *node
		if n.name == "startswith" {
			col, lit = n.args[0], n.args[1]
		} else {
			lit, col = n.args[0], n.args[1]
		}
		if col.op != "ref" || lit.op != "lit" || lit.lit.kind != litString {
			return nil, errInvalidExpression(src)
		}
		if _, ok := sample.get(col.name); !ok {
			return nil, errNoProperty(col.name, typeName)
		}
		needle, name, starts := strings.ToLower(lit.lit.s), col.name, n.name == "startswith"
		return func(o obj) bool {
			v, _ := o.get(name)
			s, ok := v.(string)
			if !ok {
				return false
			}
			if starts {
				return strings.HasPrefix(strings.ToLower(s), needle)
			}
			return strings.Contains(strings.ToLower(s), needle)
		}, nil
	case "eq", "ne", "gt", "ge", "lt", "le":
		left, right := n.args[0], n.args[1]
		if left.op != "ref" || right.op != "lit" {
			return nil, errInvalidExpression(src)
		}
		sv, ok := sample.get(left.name)
		if !ok {
			return nil, errNoProperty(left.name, typeName)
		}
		_, cat := metaKey(sv)
		var key sortKey
		lit := right.lit
		switch {
		case lit.kind == litNull:
			key = sortKey{null: true}
		case cat == catBool && lit.kind == litBool:
			key = sortKey{n: map[bool]float64{false: 0, true: 1}[lit.b]}
		default:
			if key, ok = literalKey(cat, lit); !ok || cat == catNone {
				return nil, errInvalidExpression(src)
			}
		}
		name, op := left.name, n.op
		return func(o obj) bool {
			v, _ := o.get(name)
			k, _ := metaKey(v)
			if key.null || k.null {
				same := key.null == k.null
				return op == "eq" && same || op == "ne" && !same
			}
			return opHolds(op, compareKeys(k, key))
		}, nil
	}
	return nil, errInvalidExpression(src)
}
