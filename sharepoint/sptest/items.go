package sptest

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Paging limits of /items (docs/sharepoint.md §3.3).
const (
	defaultTop = 100
	maxTop     = 5000
)

// itemsRequest is one GET …/items (or …/items(id)) being answered.
type itemsRequest struct {
	s    *Server
	l    *listModel
	f    format
	q    *queryCtx
	proj projection

	filter    pred
	filterSrc string
	order     []orderCol // empty: ID order
	orderSrc  string
	idDesc    bool
	// idLo and idHi bound the IDs the filter can match (1 and MaxInt
	// when it says nothing): a scan starts and stops there, as
	// SharePoint's index on ID lets it.
	idLo, idHi int
	top        int
	cursor     bool
	cursorID   int
	cursorKeys []sortKey

	site       string // the site's URL, for metadata
	listPath   string // Web/Lists(guid'…')
	editPrefix string // Web/Lists(guid'…')/Items(
	uriPrefix  string // https://…/_api/Web/Lists(guid'…')/Items(
	buf        []value

	items int // items page rendered, for Budget.ServiceTimePerItem
}

// newItemsRequest validates the query options of r against l, in the order
// SharePoint reports problems: $expand, $select, $filter, $orderby, $top,
// then the list view threshold.
func (s *Server) newItemsRequest(r *http.Request, f format, l *listModel, single bool) (*itemsRequest, *apiError) {
	qv := r.URL.Query()
	ir := &itemsRequest{s: s, l: l, f: f, q: newQueryCtx(l), site: s.ServiceURL(), top: defaultTop}
	ir.listPath = "Web/Lists(guid'" + l.ID + "')"
	ir.editPrefix = ir.listPath + "/Items("
	ir.uriPrefix = ir.site + "/_api/" + ir.editPrefix
	if err := ir.q.parseExpand(qv.Get("$expand")); err != nil {
		return nil, err
	}
	var err *apiError
	if ir.proj, err = ir.q.parseSelect(qv.Get("$select")); err != nil {
		return nil, err
	}
	if single {
		return ir, nil
	}
	ir.idLo, ir.idHi = 1, math.MaxInt
	if src := strings.TrimSpace(qv.Get("$filter")); src != "" {
		ir.filterSrc = src
		if ir.filter, err = ir.q.compileFilter(src); err != nil {
			return nil, err
		}
		if n, perr := parseFilter(src); perr == nil {
			ir.idLo, ir.idHi = idBounds(n)
		}
	}
	if src := strings.TrimSpace(qv.Get("$orderby")); src != "" {
		cols, err := ir.q.parseOrderBy(src)
		if err != nil {
			return nil, err
		}
		ir.orderSrc = src
		// ID is unique: whatever follows an ID term cannot change the order.
		if cols[0].r.f.index == l.idIdx && cols[0].r.sub == nil {
			ir.idDesc = cols[0].desc
		} else {
			ir.order = cols
		}
	}
	if t := qv.Get("$top"); t != "" {
		n, perr := strconv.Atoi(strings.TrimSpace(t))
		if perr != nil || n < 0 {
			return nil, errInvalidExpression("$top=" + t)
		}
		if n > maxTop {
			// Older reports have $top above 5000 fail
			// (docs/sharepoint.md §3.3); the emulator keeps that stricter behaviour so that
			// clients never rely on more.
			return nil, &apiError{http.StatusBadRequest, codeInvalidQuery, "The $top query option value " + t + " exceeds the maximum of 5000 items per page."}
		}
		ir.top = n
	}
	if tok := qv.Get("$skiptoken"); tok != "" {
		if err := ir.parseSkipToken(tok); err != nil {
			return nil, err
		}
	}
	// The lookup threshold (see LookupThreshold), whatever the list's size.
	if ir.lookupColumns() > LookupThreshold {
		return nil, errLookupThreshold()
	}
	// The list view threshold (docs/sharepoint.md §9.1): on a large list, any filter
	// or sort term on a non-indexed column fails, whatever $top says.
	if l.itemCount() > l.threshold {
		for _, u := range ir.q.used {
			if !u.indexed() {
				return nil, errThrottled()
			}
		}
		if ir.filterSrc != "" {
			if err := ir.firstClauseNarrows(); err != nil { // threshold_first.go
				return nil, err
			}
		}
	}
	return ir, nil
}

// parseSkipToken reads "Paged=TRUE&p_ID=N" plus a p_<Column> per $orderby
// term (absent when the value was empty).
func (ir *itemsRequest) parseSkipToken(tok string) *apiError {
	bad := errInvalidExpression("$skiptoken=" + tok)
	vals, err := url.ParseQuery(tok)
	if err != nil || !strings.EqualFold(vals.Get("Paged"), "TRUE") {
		return bad
	}
	if vals.Get("PagedPrev") != "" {
		// SharePoint pages backwards with PagedPrev=TRUE; the emulator does
		// not, and says so rather than answering wrongly.
		return &apiError{http.StatusBadRequest, codeInvalidQuery, "sptest: PagedPrev=TRUE skiptokens are not emulated."}
	}
	id, err := strconv.Atoi(vals.Get("p_ID"))
	if err != nil || id < 0 {
		return bad
	}
	ir.cursor, ir.cursorID = true, id
	for _, c := range ir.order {
		raw, ok := vals["p_"+c.name()]
		if !ok {
			ir.cursorKeys = append(ir.cursorKeys, sortKey{null: true})
			continue
		}
		k, ok := parseTokenValue(c.cat, raw[0])
		if !ok {
			return bad
		}
		ir.cursorKeys = append(ir.cursorKeys, k)
	}
	return nil
}

// name is the p_<name> of an order column in a skiptoken.
func (c orderCol) name() string {
	if c.r.sub != nil && c.r.sub != c.r.f.targetField {
		return c.r.f.entity + "/" + c.r.sub.entity
	}
	return c.r.f.entity
}

// page renders one page and returns the body.
func (ir *itemsRequest) page(r *http.Request) []byte {
	l := ir.l
	ir.buf = l.scratch(ir.buf)
	var next string
	b := getBuffer()
	// The rows are rendered before the envelope: v3 puts the next link
	// before them, and it is known only once the page is complete.
	rows := getBuffer()
	defer func() { putBuffer(rows) }()
	count := 0
	if ir.order == nil {
		lastID, more := 0, false
		after := 0
		if ir.cursor {
			after = ir.cursorID
		}
		if !ir.idDesc {
			after = max(after, ir.idLo-1)
		}
		if ir.top > 0 {
			l.scan(after, ir.idDesc, ir.buf, func(row []value) bool {
				if !ir.idDesc && row[l.idIdx].int() > ir.idHi {
					return false // no later item can match
				}
				if ir.filter != nil && !ir.filter(ir.q, row) {
					return true
				}
				if count == ir.top {
					more = true
					return false
				}
				if count > 0 {
					rows = append(rows, ',')
				}
				rows = ir.appendItem(rows, row, false)
				ir.items++
				count++
				lastID = row[l.idIdx].int()
				return true
			})
		}
		if more {
			next = ir.nextLink(r, "Paged=TRUE&p_ID="+strconv.Itoa(lastID))
		}
	} else {
		sorted := ir.s.sorted(ir)
		start := 0
		if ir.cursor {
			start = sort.Search(len(sorted.ids), func(i int) bool {
				return ir.compareEntry(sorted, i, ir.cursorKeys, ir.cursorID) > 0
			})
		}
		end := min(start+ir.top, len(sorted.ids))
		for i := start; i < end; i++ {
			row, ok := l.row(sorted.ids[i], ir.buf)
			if !ok {
				continue
			}
			if i > start {
				rows = append(rows, ',')
			}
			rows = ir.appendItem(rows, row, false)
			ir.items++
		}
		if end < len(sorted.ids) && end > start {
			k := len(ir.order)
			tok := "Paged=TRUE"
			for j, c := range ir.order {
				key := sorted.keys[(end-1)*k+j]
				if !key.null {
					tok += "&p_" + url.QueryEscape(c.name()) + "=" + url.QueryEscape(tokenValue(c.cat, key))
				}
			}
			next = ir.nextLink(r, tok+"&p_ID="+strconv.Itoa(sorted.ids[end-1]))
		}
	}
	b = appendCollectionStart(b, ir.f, ir.site, ir.metadataSet(), next)
	b = append(b, rows...)
	return appendCollectionEnd(b, ir.f, next)
}

func (ir *itemsRequest) metadataSet() string {
	if ir.f.v4 {
		return "Collection(" + ir.l.itemType + ")"
	}
	return "SP.ListData." + ir.l.entityTypeName + "Items"
}

// compareEntry compares sorted entry i with a cursor position.
func (ir *itemsRequest) compareEntry(s *sortedItems, i int, keys []sortKey, id int) int {
	k := len(ir.order)
	for j, c := range ir.order {
		cmp := compareKeys(s.keys[i*k+j], keys[j])
		if c.desc {
			cmp = -cmp
		}
		if cmp != 0 {
			return cmp
		}
	}
	return s.ids[i] - id
}

// nextLink builds the absolute next page URL the way SharePoint does: the
// list addressed by GUID, $skiptoken first with its inner '&' and '='
// encoded, then the request's other parameters, percent-encoded with
// lower-case hex like the recorded
// …/items?%24skiptoken=Paged%3dTRUE%26p_ID%3d1&%24top=1.
func (ir *itemsRequest) nextLink(r *http.Request, token string) string {
	origin := ir.s.nextLinkOrigin()
	if origin == "" {
		origin = ir.s.URL
	}
	var b strings.Builder
	b.WriteString(origin + ir.s.site.Path + "/_api/web/lists(guid%27" + ir.l.ID + "%27)/items?%24skiptoken=")
	b.WriteString(percentEncode(token))
	for kv := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || key == "$skiptoken" {
			continue
		}
		b.WriteString("&" + percentEncode(key) + "=" + percentEncode(val))
	}
	return b.String()
}

// percentEncode escapes everything but RFC 3986's unreserved characters,
// with lower-case hex as .NET's UrlEncode writes it.
func percentEncode(s string) string {
	const hexdigits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

// sortedItems is the filtered, sorted ID sequence of a non-ID $orderby,
// with each item's sort keys (len(ids)*len(order) of them).
type sortedItems struct {
	ids  []int
	keys []sortKey
}

// sortCache keeps recent sorted sequences, so that paging through a sorted
// list sorts it once rather than once per page. Lists never change, so
// entries never go stale.
type sortCache struct {
	mu      sync.Mutex
	entries map[string]*sortedItems
	order   []string
}

const sortCacheSize = 8

// sorted returns ir's sorted sequence, computing it on first use.
func (s *Server) sorted(ir *itemsRequest) *sortedItems {
	key := ir.l.ID + "\x00" + ir.filterSrc + "\x00" + ir.orderSrc
	c := &s.sp.sortCache
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.mu.Unlock()
		return e
	}
	c.mu.Unlock()

	k := len(ir.order)
	res := &sortedItems{}
	ir.buf = ir.l.scratch(ir.buf)
	ir.l.scan(0, false, ir.buf, func(row []value) bool {
		if ir.filter != nil && !ir.filter(ir.q, row) {
			return true
		}
		res.ids = append(res.ids, row[ir.l.idIdx].int())
		for _, c := range ir.order {
			res.keys = append(res.keys, keyOf(c.cat, ir.q.get(c.r, row)))
		}
		return true
	})
	perm := make([]int, len(res.ids))
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(a, b int) int {
		for j, c := range ir.order {
			cmp := compareKeys(res.keys[a*k+j], res.keys[b*k+j])
			if c.desc {
				cmp = -cmp
			}
			if cmp != 0 {
				return cmp
			}
		}
		return res.ids[a] - res.ids[b]
	})
	out := &sortedItems{ids: make([]int, len(perm)), keys: make([]sortKey, len(res.keys))}
	for i, p := range perm {
		out.ids[i] = res.ids[p]
		copy(out.keys[i*k:(i+1)*k], res.keys[p*k:(p+1)*k])
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*sortedItems{}
	}
	if _, ok := c.entries[key]; !ok {
		c.entries[key] = out
		c.order = append(c.order, key)
		if len(c.order) > sortCacheSize {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
	}
	return out
}

var bufferPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func getBuffer() []byte { return (*bufferPool.Get().(*[]byte))[:0] }

// putBuffer returns b to the pool. Page buffers of up to 64 MiB (a
// 5000-item verbose page is ~15 MiB) are kept, so that streaming a large
// list does not regrow a buffer for every page.
func putBuffer(b []byte) {
	if cap(b) <= 64<<20 {
		bufferPool.Put(&b)
	}
}

// serveItems answers GET …/items.
func (s *Server) serveItems(w http.ResponseWriter, r *http.Request, f format, l *listModel) {
	ir, err := s.newItemsRequest(r, f, l, false)
	if err != nil {
		writeError(w, f, err)
		return
	}
	b := ir.page(r)
	s.serviceTime(r, ir.items) // budget.go
	f.setHeaders(w)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	putBuffer(b)
}

// serveItem answers GET …/items(id): the item as a single entity with its
// ETag, or 404 "Item does not exist." (docs/sharepoint.md §8.2).
func (s *Server) serveItem(w http.ResponseWriter, r *http.Request, f format, l *listModel, id int) {
	ir, err := s.newItemsRequest(r, f, l, true)
	if err != nil {
		writeError(w, f, err)
		return
	}
	row, ok := l.row(id, l.scratch(nil))
	if !ok {
		writeError(w, f, &apiError{http.StatusNotFound, "-2130575338, System.ArgumentException", "Item does not exist. It may have been deleted by another user."})
		return
	}
	b := ir.appendItem(nil, row, true)
	if f.verbose {
		b = append(append([]byte(`{"d":`), b...), '}')
	}
	f.setHeaders(w)
	w.Header().Set("ETag", `"`+strconv.Itoa(max(row[l.versionIdx].int(), 1))+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// idBounds returns the range of IDs a $filter can match, from the ID
// comparisons AND-ed at its top (ID ge 11 and ID le 20 and …): the
// range an index seek on ID would read.
func idBounds(n *node) (lo, hi int) {
	lo, hi = 1, math.MaxInt
	var walk func(n *node)
	walk = func(n *node) {
		if n.op == "and" {
			walk(n.args[0])
			walk(n.args[1])
			return
		}
		if len(n.args) != 2 || n.args[0].op != "ref" || !strings.EqualFold(n.args[0].name, "ID") ||
			n.args[1].op != "lit" || n.args[1].lit.kind != litNumber || !n.args[1].lit.isInt {
			return
		}
		v := int(n.args[1].lit.n)
		switch n.op {
		case "eq":
			lo, hi = max(lo, v), min(hi, v)
		case "ge":
			lo = max(lo, v)
		case "gt":
			lo = max(lo, v+1)
		case "le":
			hi = min(hi, v)
		case "lt":
			hi = min(hi, v-1)
		}
	}
	walk(n)
	return lo, hi
}
