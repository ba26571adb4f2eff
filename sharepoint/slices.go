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
// being indexed (reference §6) — and Query.Parallel of them requested at
// once. Rows still come in ID order: slices are handed over in order,
// and at most Parallel of them are held, decoded, ahead of the reader.

// sliceable reports whether q reads a whole list in ID order with
// Parallel > 1.
func (q Query) sliceable() bool {
	order := strings.ToLower(strings.Join(strings.Fields(q.OrderBy), " "))
	return q.Parallel > 1 && q.Filter == "" && q.Top == 0 && (order == "" || order == "id" || order == "id asc")
}

// fetchSlices is fetch for a sliceable query: it reads the highest ID,
// then the slices up to it, q.Parallel at a time.
func (it *ItemIterator) fetchSlices(ctx context.Context, c *Client, list string, selects, expands []string, q Query, idCols []Column) {
	defer close(it.done)
	defer close(it.pages)
	var wg sync.WaitGroup
	defer wg.Wait() // no slice request outlives the iterator
	send := func(p page) bool {
		select {
		case it.pages <- p:
			return true
		case <-ctx.Done():
			it.stopErr = fmt.Errorf("sharepoint: reading items: %w", ctx.Err())
			return false
		}
	}
	fail := func(err error) {
		if ctx.Err() != nil {
			err = fmt.Errorf("sharepoint: reading items: %w", ctx.Err())
		}
		send(page{err: err})
	}

	base := c.apiURL(ListPath(list) + "/items?")
	highest := base + "$select=ID&$orderby=ID%20desc&$top=1"
	body, err := c.download(ctx, highest, nil)
	if err != nil {
		fail(err)
		return
	}
	rows, _, err := newPageDecoder(idCols).decode(body)
	if err != nil {
		fail(fmt.Errorf("sharepoint: decoding the answer to GET %s: %w", highest, err))
		return
	}
	if len(rows) == 0 {
		return // an empty list
	}
	maxID, ok := rows[0][0].(int64)
	if !ok {
		fail(fmt.Errorf("sharepoint: the highest ID of list %q is %v, not a number", list, rows[0][0]))
		return
	}

	width := int64(c.pageSize)
	type slice struct {
		done chan struct{}
		rows [][]any
		err  error
	}
	start := func(lo int64) *slice {
		s := &slice{done: make(chan struct{})}
		sq := q
		sq.Filter = "ID ge " + strconv.FormatInt(lo, 10) + " and ID le " + strconv.FormatInt(lo+width-1, 10)
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
	next := int64(1)
	for next <= maxID || len(window) > 0 {
		for len(window) < q.Parallel && next <= maxID {
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

// readSlice reads one slice: normally one page, but it follows next
// links should the server page it further (a smaller page cap).
func (c *Client) readSlice(ctx context.Context, target string, dec *pageDecoder) ([][]any, error) {
	var all [][]any
	visited := map[string]bool{}
	var body []byte
	for attempt := 0; ; {
		var err error
		body, err = c.download(ctx, target, body)
		if err != nil {
			return nil, err
		}
		visited[target] = true
		rows, next, err := dec.decode(body)
		if err != nil {
			err = fmt.Errorf("sharepoint: decoding the answer to GET %s: %w", target, err)
			if truncated(err) && attempt < c.retry.max {
				attempt++
				continue
			}
			return nil, err
		}
		attempt = 0
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
