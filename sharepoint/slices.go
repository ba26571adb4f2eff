package sharepoint

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Reading a whole list in ID slices, several at once.
//
// A list's pages are chained: each page's next link names the next, so a
// sequential read waits one round trip per page however early it asks.
// When the whole list is wanted in ID order (no $filter, no $top), the
// ID range can be cut into slices of one page each —
// $filter=ID ge a and ID le b, which SharePoint allows on any list, ID
// being indexed (docs/sharepoint.md §9.1) — and Query.Parallel of them requested at
// once. Rows still come in ID order: slices are handed over in order,
// and at most Parallel of them are held, decoded, ahead of the reader.

// sliceable reports whether q reads a whole list in ID order with
// Parallel > 1.
func (q Query) sliceable() bool {
	order := strings.ToLower(strings.Join(strings.Fields(q.OrderBy), " "))
	return q.Parallel > 1 && q.Filter == "" && q.Top == 0 && (order == "" || order == "id" || order == "id asc")
}

// sliceMinPages: a list of fewer pages is read page after page, saving
// the requests for its lowest and highest IDs.
const sliceMinPages = 8

// fetchSlices is fetch for a sliceable query. It reads the list's
// ItemCount (cached metadata) and its lowest and highest IDs; when the
// list has sliceMinPages pages or more and its IDs are dense enough that
// slices of one page of IDs hold about a page of items, it reads the
// slices, q.Parallel at a time; otherwise it follows next links as fetch
// does (a list whose items were mostly deleted would need many more
// requests in slices).
func (it *ItemIterator) fetchSlices(ctx context.Context, c *Client, list, first string, selects, expands []string, q Query, idCols []Column) {
	lo, hi, ok, err := c.sliceRange(ctx, list, idCols)
	if err == nil && !ok {
		it.fetch(ctx, c, first, newPageDecoder(it.cols), q.Top)
		return
	}
	defer close(it.done)
	defer close(it.pages)
	var wg sync.WaitGroup
	defer wg.Wait() // no slice request outlives the iterator
	// A failing slice stops those still in flight (this runs before Wait).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	send := func(p page) bool { return it.send(ctx, p) }
	fail := func(err error) { it.fail(ctx, err) }
	if err != nil {
		fail(err)
		return
	}
	if hi < lo {
		return // an empty list
	}

	width := int64(c.pageSize)
	type slice struct {
		done chan struct{}
		rows [][]any
		err  error
	}
	base := c.apiURL(ListPath(list) + "/items?")
	start := func(from int64) *slice {
		s := &slice{done: make(chan struct{})}
		sq := q
		sq.Filter = "ID ge " + strconv.FormatInt(from, 10)
		if from+width <= hi {
			sq.Filter += " and ID le " + strconv.FormatInt(from+width-1, 10)
		} // else the last slice is open-ended: items added since are read, as by next links
		target := base + c.itemsQuery(selects, expands, sq)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(s.done)
			s.rows, s.err = c.readSlice(ctx, target, newPageDecoder(it.cols))
		}()
		return s
	}
	var window []*slice
	next := lo
	for next <= hi || len(window) > 0 {
		for len(window) < q.Parallel && next <= hi {
			window = append(window, start(next))
			next += width
		}
		s := window[0]
		window[0] = nil
		window = window[1:]
		select {
		case <-s.done:
		case <-ctx.Done():
			fail(ctx.Err())
			return
		}
		if s.err != nil {
			fail(s.err)
			return
		}
		if len(s.rows) > 0 && !send(page{rows: s.rows}) {
			return
		}
	}
}

// sliceRange returns list's lowest and highest item IDs (hi < lo for an
// empty list), and whether slicing pays: the list has sliceMinPages pages
// or more by its ItemCount, and no more than about twice as many IDs as
// items.
func (c *Client) sliceRange(ctx context.Context, list string, idCols []Column) (lo, hi int64, ok bool, err error) {
	lists, err := c.Lists(ctx)
	if err != nil {
		return 0, 0, false, nil // only an optimisation: the read reports errors
	}
	count := int64(-1)
	for _, l := range lists {
		if strings.EqualFold(l.Title, list) {
			count = l.ItemCount
		}
	}
	page := int64(c.pageSize)
	if count < sliceMinPages*page {
		return 0, 0, false, nil
	}
	base := c.apiURL(ListPath(list) + "/items?$select=ID&$top=1&$orderby=")
	ends := [2]int64{}
	for i, order := range []string{"ID", "ID%20desc"} {
		rows, _, _, err := c.readPage(ctx, base+order, newPageDecoder(idCols), nil)
		if err != nil {
			return 0, 0, false, err
		}
		if len(rows) == 0 {
			return 1, 0, true, nil // emptied since ItemCount was read
		}
		id, isInt := rows[0][0].(int64)
		if !isInt {
			return 0, 0, false, fmt.Errorf("sharepoint: an ID of list %q is %v, not a number", list, rows[0][0])
		}
		ends[i] = id
	}
	lo, hi = ends[0], ends[1]
	return lo, hi, hi-lo+1 <= 2*count+page, nil
}

// readSlice reads one slice: normally one page, but it follows next
// links should the server page it further (a smaller page cap, or the
// open-ended last slice).
func (c *Client) readSlice(ctx context.Context, target string, dec *pageDecoder) ([][]any, error) {
	var all [][]any
	visited := map[string]bool{}
	var body []byte
	for {
		var (
			rows [][]any
			next string
			err  error
		)
		rows, next, body, err = c.readPage(ctx, target, dec, body)
		if err != nil {
			return nil, err
		}
		visited[target] = true
		all = append(all, rows...)
		switch {
		case next == "":
			return all, nil
		case !c.sameOrigin(next):
			return nil, fmt.Errorf("sharepoint: refusing to follow a next link to another origin (%s); the site is %s", originOf(next), c.origin)
		case visited[next]:
			return nil, fmt.Errorf("sharepoint: the server's next link leads back to a page already read (%s); stopping instead of looping", next)
		}
		target = next
	}
}

// readPage GETs and decodes one page, fetching it again when its body
// was cut short unnoticed (as fetch does); buf is reused for the body.
func (c *Client) readPage(ctx context.Context, target string, dec *pageDecoder, buf []byte) (rows [][]any, next string, body []byte, err error) {
	for attempt := 0; ; attempt++ {
		if buf, err = c.download(ctx, target, buf); err != nil {
			return nil, "", buf, err
		}
		rows, next, err = dec.decode(buf)
		if err == nil {
			return rows, next, buf, nil
		}
		err = fmt.Errorf("sharepoint: decoding the answer to GET %s: %w", target, err)
		if !truncated(err) || attempt >= c.retry.max {
			return nil, "", buf, err
		}
	}
}
