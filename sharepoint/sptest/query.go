package sptest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SharePoint's error codes and texts for query options (docs/sharepoint.md §8.2).
const (
	codeInvalidQuery = "-1, Microsoft.SharePoint.Client.InvalidClientQueryException"
	codeArgument     = "-2147024809, System.ArgumentException"
)

// errInvalidExpression is SharePoint's answer to a $filter or $orderby it
// cannot parse or does not support: 400 "The expression "…" is not valid."
// The emulator gives the same answer for unsupported functions, operators
// and ill-typed literals (no other text is known, docs/sharepoint.md §4.2).
func errInvalidExpression(expr string) *apiError {
	return &apiError{http.StatusBadRequest, codeInvalidQuery, fmt.Sprintf("The expression %q is not valid.", expr)}
}

// errColumnNotExist is the answer to an unknown column in $filter or
// $orderby (docs/sharepoint.md §8.2; the HTTP status is unverified: 400 chosen).
func errColumnNotExist(name string) *apiError {
	return &apiError{http.StatusBadRequest, codeArgument, fmt.Sprintf("Column '%s' does not exist. It may have been deleted by another user.", name)}
}

// errFieldNotExist is the answer to an unknown name in $select or $expand.
func errFieldNotExist(name string) *apiError {
	return &apiError{http.StatusBadRequest, codeInvalidQuery, fmt.Sprintf("The field or property '%s' does not exist.", name)}
}

// errNeedsExpand is the answer to a lookup or person column (or one of its
// projections) used without $expand (docs/sharepoint.md §3.1).
func errNeedsExpand(path, base string) *apiError {
	return &apiError{http.StatusBadRequest, codeInvalidQuery, fmt.Sprintf("The query to field '%s' is not valid. The $select query string must specify the target fields and the $expand query string must contain %s.", path, base)}
}

// errCannotFilter is the answer to a filter or sort on a column SharePoint
// cannot query: multi-value lookups and persons (docs/sharepoint.md §4.5), multi-value
// taxonomy, multi-line text, and lookups named without Id or a projection.
func errCannotFilter(f *fieldModel, what string) *apiError {
	return &apiError{http.StatusBadRequest, codeInvalidQuery, fmt.Sprintf("The field '%s' of type '%s' cannot be used in the query %s expression.", f.entity, f.Type, what)}
}

// errThrottled is the list view threshold failure (docs/sharepoint.md §8.2, §9.1).
func errThrottled() *apiError {
	return &apiError{http.StatusInternalServerError, "-2147024860, Microsoft.SharePoint.SPQueryThrottledException", "The attempted operation is prohibited because it exceeds the list view threshold."}
}

// queryCtx holds what evaluating one request's query options needs.
type queryCtx struct {
	l        *listModel
	expanded map[*fieldModel]bool
	scratch  map[*listModel][]value // row buffers for lookup targets
	used     []ref                  // columns $filter and $orderby touch
}

func newQueryCtx(l *listModel) *queryCtx {
	return &queryCtx{l: l, expanded: map[*fieldModel]bool{}, scratch: map[*listModel][]value{}}
}

// ref is a column reference in $filter or $orderby.
type ref struct {
	f     *fieldModel // column of the queried list
	sub   *fieldModel // projected column of f.target, for "X/Y"
	subID bool        // "X/Id"
	asID  bool        // "XId"
}

// category is how a ref's values compare.
type category int

const (
	catText category = iota
	catNumber
	catBool
	catTime
	catMultiText
	catNone // not filterable or sortable
)

func (r ref) category() category {
	if r.asID || r.subID {
		return catNumber
	}
	f := r.f
	if r.sub != nil {
		f = r.sub
	}
	lt := f.logical
	if lt == ltCalculated {
		lt = f.calcLogical
	}
	switch lt {
	case ltText, ltGuid, ltURL, ltTaxonomy:
		return catText
	case ltNumber, ltInt:
		return catNumber
	case ltBool:
		return catBool
	case ltDateTime:
		return catTime
	case ltMultiChoice:
		return catMultiText
	}
	return catNone
}

// indexed reports whether the column may be queried on a list above the
// threshold. Projections of lookups are never indexed.
func (r ref) indexed() bool { return r.sub == nil && !r.subID && r.f.Indexed }

// resolve finds a column named in $filter ("what" = "filter") or $orderby
// ("order by").
func (q *queryCtx) resolve(name, what string) (ref, *apiError) {
	if base, subName, ok := strings.Cut(name, "/"); ok {
		f := q.l.field(base)
		if f == nil {
			return ref{}, errColumnNotExist(base)
		}
		if !f.logical.isLookup() {
			return ref{}, errInvalidExpression(name)
		}
		if !q.expanded[f] {
			return ref{}, errNeedsExpand(name, f.entity)
		}
		if f.logical == ltLookupMulti || f.logical == ltUserMulti {
			return ref{}, errCannotFilter(f, what)
		}
		if strings.EqualFold(subName, "Id") {
			return ref{f: f, subID: true}, nil
		}
		sub := f.target.field(subName)
		if sub == nil {
			return ref{}, errColumnNotExist(subName)
		}
		r := ref{f: f, sub: sub}
		if r.category() == catNone || sub.info.typeAsString == "Note" {
			return ref{}, errCannotFilter(sub, what)
		}
		return r, nil
	}
	if name == "Id" {
		name = "ID"
	}
	if f := q.l.field(name); f != nil {
		switch {
		case f.logical == ltLookupMulti || f.logical == ltUserMulti || f.logical == ltTaxonomyMulti || f.info.typeAsString == "Note":
			return ref{}, errCannotFilter(f, what)
		case f.logical.isLookup():
			if what == "order by" {
				// Sorting on a lookup or person column sorts by its shown
				// value; unlike a projection it needs no $expand.
				return ref{f: f, sub: f.targetField}, nil
			}
			return ref{}, errCannotFilter(f, what)
		case f.textual:
			return ref{}, errCannotFilter(f, what)
		}
		return ref{f: f}, nil
	}
	if base, ok := strings.CutSuffix(name, "Id"); ok {
		if f := q.l.field(base); f != nil && f.logical.isLookup() {
			if f.logical == ltLookupMulti || f.logical == ltUserMulti {
				return ref{}, errCannotFilter(f, what)
			}
			return ref{f: f, asID: true}, nil
		}
	}
	return ref{}, errColumnNotExist(name)
}

// get returns r's value in row.
func (q *queryCtx) get(r ref, row []value) value {
	v := row[r.f.index]
	if r.asID || (r.sub == nil && !r.subID) {
		return v
	}
	if v.kind != vInt {
		return value{}
	}
	if r.subID {
		return v
	}
	t := r.f.target
	buf := q.scratch[t]
	buf = t.scratch(buf)
	q.scratch[t] = buf
	trow, ok := t.row(v.int(), buf)
	if !ok {
		return value{}
	}
	return trow[r.sub.index]
}

// pred is a compiled $filter.
type pred func(q *queryCtx, row []value) bool

// compileFilter parses and type-checks a $filter against the list.
func (q *queryCtx) compileFilter(src string) (pred, *apiError) {
	n, err := parseFilter(src)
	if err != nil {
		return nil, errInvalidExpression(src)
	}
	p, aerr := q.compile(n, src)
	if aerr != nil {
		return nil, aerr
	}
	return p, nil
}

func (q *queryCtx) compile(n *node, src string) (pred, *apiError) {
	switch n.op {
	case "and", "or":
		a, err := q.compile(n.args[0], src)
		if err != nil {
			return nil, err
		}
		b, err := q.compile(n.args[1], src)
		if err != nil {
			return nil, err
		}
		if n.op == "and" {
			return func(q *queryCtx, row []value) bool { return a(q, row) && b(q, row) }, nil
		}
		return func(q *queryCtx, row []value) bool { return a(q, row) || b(q, row) }, nil
	case "not":
		a, err := q.compile(n.args[0], src)
		if err != nil {
			return nil, err
		}
		return func(q *queryCtx, row []value) bool { return !a(q, row) }, nil
	case "call":
		return q.compileCall(n, src)
	case "eq", "ne", "gt", "ge", "lt", "le":
		return q.compileComparison(n, src)
	}
	// A bare column or literal is not a condition SharePoint accepts.
	return nil, errInvalidExpression(src)
}

func (q *queryCtx) compileCall(n *node, src string) (pred, *apiError) {
	var col, lit *node
	if n.name == "startswith" {
		col, lit = n.args[0], n.args[1]
	} else { // substringof('needle', Column)
		lit, col = n.args[0], n.args[1]
	}
	if col.op != "ref" || lit.op != "lit" || lit.lit.kind != litString {
		return nil, errInvalidExpression(src)
	}
	r, err := q.resolve(col.name, "filter")
	if err != nil {
		return nil, err
	}
	if r.category() != catText {
		return nil, errInvalidExpression(src)
	}
	q.used = append(q.used, r)
	needle := strings.ToLower(lit.lit.s)
	if n.name == "startswith" {
		return func(q *queryCtx, row []value) bool {
			v := q.get(r, row)
			return !v.isNull() && strings.HasPrefix(strings.ToLower(v.textOf()), needle)
		}, nil
	}
	return func(q *queryCtx, row []value) bool {
		v := q.get(r, row)
		return !v.isNull() && strings.Contains(strings.ToLower(v.textOf()), needle)
	}, nil
}

func (q *queryCtx) compileComparison(n *node, src string) (pred, *apiError) {
	left, right := n.args[0], n.args[1]
	if left.op == "call" && right.op == "lit" {
		// startswith(…) eq true / eq false (no Boolean trap for functions).
		p, err := q.compileCall(left, src)
		if err != nil {
			return nil, err
		}
		want, ok := truthLiteral(right.lit)
		if !ok || (n.op != "eq" && n.op != "ne") {
			return nil, errInvalidExpression(src)
		}
		if (n.op == "eq") != want {
			return func(q *queryCtx, row []value) bool { return !p(q, row) }, nil
		}
		return p, nil
	}
	// SharePoint compares a column with a literal, in that order.
	if left.op != "ref" || right.op != "lit" {
		return nil, errInvalidExpression(src)
	}
	r, err := q.resolve(left.name, "filter")
	if err != nil {
		return nil, err
	}
	q.used = append(q.used, r)
	op := n.op
	lit := right.lit
	if lit.kind == litNull {
		switch op {
		case "eq":
			return func(q *queryCtx, row []value) bool { return q.get(r, row).isNull() }, nil
		case "ne":
			return func(q *queryCtx, row []value) bool { return !q.get(r, row).isNull() }, nil
		}
		return nil, errInvalidExpression(src)
	}
	cat := r.category()
	if cat == catMultiText {
		// MultiChoice eq 'A' matches items whose set contains A (docs/sharepoint.md
		// §4.5, unverified); ne is its negation; ordering comparisons are refused.
		if lit.kind != litString || (op != "eq" && op != "ne") {
			return nil, errInvalidExpression(src)
		}
		want := lit.s
		has := func(q *queryCtx, row []value) bool {
			for _, s := range q.get(r, row).strs {
				if strings.EqualFold(s, want) {
					return true
				}
			}
			return false
		}
		if op == "ne" {
			return func(q *queryCtx, row []value) bool { return !has(q, row) }, nil
		}
		return has, nil
	}
	key, ok := literalKey(cat, lit)
	if !ok {
		return nil, errInvalidExpression(src)
	}
	return func(q *queryCtx, row []value) bool {
		v := q.get(r, row)
		if v.isNull() {
			// A comparison with an empty value is false, except ne, which
			// CAML's Neq answers true for empty values (unverified, docs/sharepoint.md §4.4).
			return op == "ne"
		}
		return opHolds(op, compareKeys(keyOf(cat, v), key))
	}, nil
}

// opHolds reports whether comparison operator op (eq, ne, gt, ge, lt, le)
// holds for a three-way comparison result c.
func opHolds(op string, c int) bool {
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	}
	return c <= 0
}

// truthLiteral reads true/false/1/0 as a condition's expected outcome.
func truthLiteral(l literal) (bool, bool) {
	switch {
	case l.kind == litBool:
		return l.b, true
	case l.kind == litNumber && (l.n == 0 || l.n == 1):
		return l.n == 1, true
	}
	return false, false
}

// sortKey is a comparable form of a value of one category.
type sortKey struct {
	null bool
	n    float64
	s    string // text as stored
	fold string // lower-cased text: SharePoint compares text case-insensitively
}

func keyOf(cat category, v value) sortKey {
	if v.isNull() {
		return sortKey{null: true}
	}
	if cat == catText {
		s := v.textOf()
		return sortKey{s: s, fold: strings.ToLower(s)}
	}
	return sortKey{n: v.n}
}

// literalKey converts a $filter literal to a key comparable with a column of
// category cat, following SharePoint's literal rules (docs/sharepoint.md §4.3).
func literalKey(cat category, l literal) (sortKey, bool) {
	switch cat {
	case catText:
		switch l.kind {
		case litString, litGUID, litNumber:
			return sortKey{s: l.s, fold: strings.ToLower(l.s)}, true
		}
	case catNumber:
		switch l.kind {
		case litNumber:
			return sortKey{n: l.n}, true
		case litString:
			if f, err := strconv.ParseFloat(l.s, 64); err == nil {
				return sortKey{n: f}, true
			}
		}
	case catBool:
		switch l.kind {
		case litNumber:
			if l.n == 0 || l.n == 1 {
				return sortKey{n: l.n}, true
			}
		case litString:
			if l.s == "0" || l.s == "1" {
				return sortKey{n: float64(l.s[0] - '0')}, true
			}
		case litBool:
			// The documented trap (docs/sharepoint.md §4.3): Booleans are 1/0 in
			// SharePoint filters, and "eq true" returns the opposite rows.
			// Emulated by reading true as 0 and false as 1.
			if l.b {
				return sortKey{n: 0}, true
			}
			return sortKey{n: 1}, true
		}
	case catTime:
		switch l.kind {
		case litDateTime:
			return sortKey{n: float64(l.t.Unix())}, true
		case litString:
			if t, ok := parseFilterTime(l.s); ok {
				return sortKey{n: float64(t.Unix())}, true
			}
		}
	}
	return sortKey{}, false
}

// compareKeys orders keys; empty values sort first, as SQL Server sorts
// NULLs.
func compareKeys(a, b sortKey) int {
	switch {
	case a.null && b.null:
		return 0
	case a.null:
		return -1
	case b.null:
		return 1
	}
	if a.fold != "" || b.fold != "" || a.s != "" || b.s != "" {
		return strings.Compare(a.fold, b.fold)
	}
	switch {
	case a.n < b.n:
		return -1
	case a.n > b.n:
		return 1
	}
	return 0
}

// orderCol is one $orderby term.
type orderCol struct {
	r    ref
	cat  category
	desc bool
}

// parseOrderBy parses "F [asc|desc], …". A trailing ID tie-break is implied
// by the paging code, not listed here.
func (q *queryCtx) parseOrderBy(src string) ([]orderCol, *apiError) {
	var cols []orderCol
	for term := range strings.SplitSeq(src, ",") {
		fields := strings.Fields(term)
		if len(fields) == 0 || len(fields) > 2 {
			return nil, errInvalidExpression(src)
		}
		desc := false
		if len(fields) == 2 {
			switch strings.ToLower(fields[1]) {
			case "asc":
			case "desc":
				desc = true
			default:
				return nil, errInvalidExpression(src)
			}
		}
		r, err := q.resolve(fields[0], "order by")
		if err != nil {
			return nil, err
		}
		cat := r.category()
		if cat == catNone || cat == catMultiText {
			return nil, errCannotFilter(r.f, "order by")
		}
		q.used = append(q.used, r)
		cols = append(cols, orderCol{r: r, cat: cat, desc: desc})
	}
	return cols, nil
}

// tokenValue encodes a sort key for a skiptoken's p_<Field>. Dates use
// SharePoint's "yyyyMMdd HH:mm:ss" form.
func tokenValue(cat category, k sortKey) string {
	switch cat {
	case catText:
		return k.s
	case catTime:
		return time.Unix(int64(k.n), 0).UTC().Format("20060102 15:04:05")
	}
	return strconv.FormatFloat(k.n, 'f', -1, 64)
}

// parseTokenValue is tokenValue's inverse.
func parseTokenValue(cat category, s string) (sortKey, bool) {
	switch cat {
	case catText:
		return sortKey{s: s, fold: strings.ToLower(s)}, true
	case catTime:
		t, err := time.Parse("20060102 15:04:05", s)
		if err != nil {
			return sortKey{}, false
		}
		return sortKey{n: float64(t.Unix())}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	return sortKey{n: f}, err == nil
}
