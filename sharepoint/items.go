package sharepoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// Query selects the items of a list. Its parts go to SharePoint as OData
// query options; the client adds nothing the caller did not ask for.
type Query struct {
	// Select names the columns to read, in the order rows hold them:
	// entity property names, internal names or titles ("DueDate", "Due
	// Date"), "XId" for a lookup's or person's ID, "X/Title" for a field
	// of the item a lookup or person points at. Required.
	Select []string
	// Filter is a $filter expression, sent as is.
	Filter string
	// OrderBy is a $orderby value, e.g. "DueDate desc,ID".
	OrderBy string
	// FilterFields names every field that Filter uses, and OrderByFields
	// every field that OrderBy uses: internal names (entity property
	// names and titles are accepted too), the field itself for a lookup's
	// ID or sub-field ("Project" for "ProjectId eq 3" or "Project/Title
	// eq 'x'"). Items never reads field names out of Filter and OrderBy:
	// these lists are how it knows which lookup and person columns a
	// request involves. A read that involves more than LookupThreshold
	// is sent as several requests, each carrying the lookup columns of
	// the filter and the order, and their rows are merged by ID.
	//
	// Items refuses a name that is not a field of the list, and names
	// listed for an empty Filter or OrderBy. Left out while Filter or
	// OrderBy is set, the fields are unknown: the request is sent as it
	// is when Select and Expand are within the threshold (SharePoint
	// refuses it with ErrLookupThreshold if the filter's lookup columns
	// take it over), and refused when they are not.
	FilterFields, OrderByFields []string
	// Top is the number of items wanted in all; 0 means all of them.
	Top int
	// Expand names lookups or persons to $expand besides those that
	// Select's "X/Y" names imply.
	Expand []string
	// Parallel, when above 1, lets a read of the whole list in ID order
	// (no Filter, no Top, OrderBy empty or "ID asc") of a list of 8
	// pages or more have up to Parallel requests in flight: the ID range
	// is read in slices of one page each, and rows still come in ID
	// order (see slices.go). It costs two requests more (the lowest and
	// highest IDs) and pays off on lists of many pages over a link with
	// latency; up to Parallel decoded pages are then held ahead. A read
	// split for the lookup threshold (see FilterFields) is not sliced.
	Parallel int
}

// Items streams the items of list that q selects. Rows come page by page:
// while the caller reads one page, the next is fetched, so at most two
// pages are held in memory (Parallel + 1 with Query.Parallel; two per
// request of a read split for the lookup threshold). Values are typed as Columns says (nil is
// NULL). The caller must call Close (or cancel ctx) when done.
func (c *Client) Items(ctx context.Context, list string, q Query) (*ItemIterator, error) {
	if len(q.Select) == 0 {
		return nil, errors.New("sharepoint: Items needs Query.Select: SharePoint leaves fields out of a response that has no $select")
	}
	if q.Top < 0 {
		return nil, fmt.Errorf("sharepoint: Query.Top must not be negative, got %d", q.Top)
	}
	fields, err := c.Fields(ctx, list)
	if err != nil {
		return nil, err
	}
	cols, selects, expands, err := resolveColumns(list, fields, q.Select)
	if err != nil {
		return nil, err
	}
	// Over the lookup threshold: several requests (lookupsplit.go).
	split, err := splitForLookups(list, fields, cols, q)
	if err != nil {
		return nil, err
	}
	if split != nil {
		return c.itemsInParts(ctx, list, cols, split)
	}
	for _, e := range q.Expand {
		if !containsFold(expands, e) {
			expands = append(expands, e)
		}
	}
	first := c.apiURL(ListPath(list) + "/items?" + c.itemsQuery(selects, expands, q))
	limits := c.itemLimits(c.pageTop(q), len(selects))
	ctx, cancel := context.WithCancel(ctx)
	it := &ItemIterator{
		cols:   cols,
		pages:  make(chan page), // unbuffered: at most one page waits
		cancel: cancel,
		done:   make(chan struct{}),
	}
	if q.sliceable() {
		idCols, _, _, err := resolveColumns(list, fields, []string{"ID"})
		if err != nil {
			cancel()
			return nil, err
		}
		go it.fetchSlices(ctx, c, list, first, selects, expands, q, idCols, limits)
		return it, nil
	}
	go it.fetch(ctx, c, first, newPageDecoder(cols), q.Top, limits)
	return it, nil
}

// itemsQuery builds the query string of the first items request. Spaces
// are sent as %20, not '+', and the '$' of option names is kept literal.
func (c *Client) itemsQuery(selects, expands []string, q Query) string {
	top := c.pageTop(q)
	parts := []string{"$select=" + queryEscape(strings.Join(selects, ","))}
	if len(expands) > 0 {
		parts = append(parts, "$expand="+queryEscape(strings.Join(expands, ",")))
	}
	if q.Filter != "" {
		parts = append(parts, "$filter="+queryEscape(q.Filter))
	}
	if q.OrderBy != "" {
		parts = append(parts, "$orderby="+queryEscape(q.OrderBy))
	}
	parts = append(parts, "$top="+strconv.Itoa(top))
	return strings.Join(parts, "&")
}

// pageTop is the $top of q's requests: the page size, or q.Top when
// smaller (LIMIT 10 is one request for 10 items).
func (c *Client) pageTop(q Query) int {
	if q.Top > 0 && q.Top < c.pageSize {
		return q.Top
	}
	return c.pageSize
}

// queryEscape percent-encodes a query value, spaces as %20: OData servers
// do not all read '+' as a space.
func queryEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ('a' <= ch && ch <= 'z') || ('A' <= ch && ch <= 'Z') || ('0' <= ch && ch <= '9') ||
			strings.IndexByte("-._~,'()/:$*", ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// page is one decoded page, or the error that ended the stream.
type page struct {
	rows [][]any
	err  error
}

// ItemIterator is a stream of rows from Items.
//
//	it, err := client.Items(ctx, "Tasks", sharepoint.Query{Select: []string{"ID", "Title"}})
//	if err != nil { … }
//	defer it.Close()
//	for {
//		row, err := it.Next()
//		if err == io.EOF {
//			break
//		}
//		if err != nil { … }
//		…
//	}
type ItemIterator struct {
	cols   []Column
	pages  chan page
	cancel context.CancelFunc
	done   chan struct{} // closed when the fetching goroutine has ended
	// stopErr is set by the fetching goroutine, before it closes pages,
	// when the context ended the stream with no one left to tell.
	stopErr error

	cur       [][]any
	pos       int
	err       error // what ended the stream: io.EOF or the error; Next returns it from then on
	closeOnce sync.Once

	merge *lookupMerge // the parts of a split read, which Next merges
}

// Columns describes the values of each row.
func (it *ItemIterator) Columns() []Column { return it.cols }

// Next returns the next row, waiting for the next page if needed. The
// slice belongs to the caller. At the end of the items it returns io.EOF;
// after the end, an error or Close, every call returns the same io.EOF
// or error.
func (it *ItemIterator) Next() ([]any, error) {
	if it.merge != nil {
		return it.nextMerged()
	}
	for it.pos >= len(it.cur) {
		if it.err != nil {
			return nil, it.err
		}
		p, ok := <-it.pages
		if !ok {
			it.end(it.stopErr)
			continue
		}
		if p.err != nil {
			it.end(p.err)
			continue
		}
		// Drop the consumed page before holding the next one.
		it.cur, it.pos = p.rows, 0
	}
	row := it.cur[it.pos]
	it.cur[it.pos] = nil // the caller owns the row now; let it go with them
	it.pos++
	return row, nil
}

// end ends the stream with err, or with io.EOF when err is nil.
func (it *ItemIterator) end(err error) {
	if err == nil {
		err = io.EOF
	}
	it.err, it.cur, it.pos = err, nil, 0
}

// Close stops the prefetch, releases the HTTP connection and waits for the
// fetching goroutine to end. It is idempotent and does not block long: an
// in-flight request is cancelled. Next returns io.EOF after it (or the
// error that ended the stream before).
func (it *ItemIterator) Close() error {
	it.closeOnce.Do(func() {
		it.cancel()
		<-it.done
		if it.err == nil {
			it.end(nil) // our own cancellation is no error
		}
	})
	return nil
}

// fetch runs in its own goroutine: it fetches and decodes page after page
// and hands each over, following next links (through Client.walk and its
// guards) until top rows were produced or none remain. While the consumer
// reads page n, page n+1 is decoded; and for unbounded reads (no Top) the
// request for the page after is sent before the current one is decoded —
// so the network's latency hides behind decoding. limits bound each page.
func (it *ItemIterator) fetch(ctx context.Context, c *Client, target string, dec *pageDecoder, top int, limits pageLimits) {
	defer close(it.done)
	defer close(it.pages)
	produced := 0
	var rows [][]any
	err := c.walk(ctx, target, walk{
		limits: limits,
		decode: func(body []byte) (int, string, error) {
			var (
				next string
				err  error
			)
			rows, next, err = dec.decode(body)
			return len(rows), next, err
		},
		emit: func() bool {
			if top > 0 && produced+len(rows) > top {
				rows = rows[:top-produced]
			}
			produced += len(rows)
			if len(rows) > 0 && !it.send(ctx, page{rows: rows}) {
				return false
			}
			rows = nil
			return top == 0 || produced < top
		},
		// With Top, a request sent early might be one too many.
		ahead: top == 0,
	})
	if err != nil {
		it.fail(ctx, err)
	}
}

// send hands a page to Next; false when ctx ended first.
func (it *ItemIterator) send(ctx context.Context, p page) bool {
	select {
	case it.pages <- p:
		return true
	case <-ctx.Done():
		// Read by Next after pages is closed (the close orders it).
		it.stopErr = fmt.Errorf("sharepoint: reading items: %w", ctx.Err())
		return false
	}
}

// fail ends the stream with err, or with ctx's error when ctx ended.
func (it *ItemIterator) fail(ctx context.Context, err error) {
	if ctx.Err() != nil {
		err = fmt.Errorf("sharepoint: reading items: %w", ctx.Err())
	}
	it.send(ctx, page{err: err})
}

// download is a page request sent ahead of need.
type download struct {
	target string
	cancel context.CancelFunc
	done   chan struct{}
	body   []byte
	err    error
}

func (c *Client) startDownload(ctx context.Context, target string, buf []byte, limit int64) *download {
	ctx, cancel := context.WithCancel(ctx)
	d := &download{target: target, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		d.body, d.err = c.download(ctx, target, buf, limit)
	}()
	return d
}

// wait returns the downloaded body.
func (d *download) wait() ([]byte, error) {
	<-d.done
	d.cancel()
	return d.body, d.err
}

// abandon cancels the download and waits for its goroutine to end (so
// none outlives the stream). It is a no-op on nil.
func (d *download) abandon() {
	if d == nil {
		return
	}
	d.cancel()
	<-d.done
}

// nextLinkKeys are the keys under which SharePoint puts the next page's
// address (docs/sharepoint.md §5.3).
var nextLinkKeys = [][]byte{[]byte(`"odata.nextLink":"`), []byte(`"@odata.nextLink":"`), []byte(`"__next":"`)}

// nextLinkWindow is how far from either end of a page scanNextLink looks:
// SharePoint puts the next link before the items (nometadata) or after
// them (verbose, OData v4) (docs/sharepoint.md §5.3), and a page of
// thousands of items runs to megabytes that need not be searched.
const nextLinkWindow = 8 << 10

// scanNextLink finds a page's next link without decoding the page, so
// that its request can go out first. A JSON string cannot contain an
// unescaped '"', so the key pattern only matches a real key; the guess is
// still checked against the decoded next link before it is used, and a
// link it misses only loses the early request.
func scanNextLink(body []byte) string {
	head := body[:min(len(body), nextLinkWindow)]
	tailStart := max(0, len(body)-nextLinkWindow)
	for _, key := range nextLinkKeys {
		i := bytes.Index(head, key)
		if i < 0 {
			if i = bytes.LastIndex(body[tailStart:], key); i >= 0 {
				i += tailStart
			}
		}
		if i < 0 {
			continue
		}
		rest := body[i+len(key)-1:] // from the opening quote
		end := 1
		for end < len(rest) && rest[end] != '"' {
			if rest[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(rest) {
			return ""
		}
		var s string
		if json.Unmarshal(rest[:end+1], &s) != nil {
			return ""
		}
		return s
	}
	return ""
}
