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
func (it *ItemIterator) fetchSlices(ctx context.Context, c *Client, list, first string, selects, expands []string, q Query, idCols []Column, limits pageLimits) {
	lo, hi, ok, err := c.sliceRange(ctx, list, idCols)
	if err == nil && !ok {
		it.fetch(ctx, c, first, newPageDecoder(it.cols), q.Top, limits)
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
			s.rows, s.err = c.readSlice(ctx, target, newPageDecoder(it.cols), limits)
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

// sliceRange returns list's lowest and highest item IDs, and whether
// slicing pays: the list has sliceMinPages pages or more by its
// ItemCount, and no more than about twice as many IDs as items. When the
// probes for the two IDs find no item (the list was emptied since its
// ItemCount was read, or a server answered oddly), slicing does not pay
// either: the read follows next links, and finds out for itself.
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
		// The probe is a read like any other: SharePoint may answer it
		// with an empty page and a next link, which must be followed
		// before concluding anything.
		dec := newPageDecoder(idCols)
		var rows [][]any
		err := c.walk(ctx, base+order, walk{
			limits: c.itemLimits(1, 1),
			decode: func(body []byte) (int, string, error) {
				var (
					next string
					err  error
				)
				rows, next, err = dec.decode(body)
				return len(rows), next, err
			},
			emit: func() bool { return len(rows) == 0 }, // on until an item
		})
		if err != nil {
			return 0, 0, false, err
		}
		if len(rows) == 0 {
			return 0, 0, false, nil
		}
		id, isInt := rows[0][0].(int64)
		if !isInt {
			return 0, 0, false, fmt.Errorf("sharepoint: an ID of list %q is %v, not a number", list, rows[0][0])
		}
		ends[i] = id
	}
	lo, hi = ends[0], ends[1]
	return lo, hi, hi >= lo && hi-lo+1 <= 2*count+page, nil
}

// readSlice reads one slice: normally one page, but it follows next
// links should the server page it further (a smaller page cap, or the
// open-ended last slice).
func (c *Client) readSlice(ctx context.Context, target string, dec *pageDecoder, limits pageLimits) ([][]any, error) {
	var all [][]any
	err := c.walk(ctx, target, walk{
		limits: limits,
		decode: func(body []byte) (int, string, error) {
			rows, next, err := dec.decode(body)
			all = append(all, rows...)
			return len(rows), next, err
		},
		emit: func() bool { return true },
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}
