package sharepoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// One paging loop for every collection the client reads: list items
// (Items, whole or in ID slices, and the probes for a list's lowest and
// highest IDs) and metadata (Lists, Fields). A collection comes in pages,
// each naming the next one in a next link; walk follows them and applies
// the same guards between every two pages, so that no misbehaving server
// or proxy can make a read end short without an error, loop, or hold
// unbounded memory.

const (
	// MinPageBytes is the least size bound of one answer: the bound of a
	// metadata answer, and the floor of a page of items' bound (see
	// WithMaxPageBytes).
	MinPageBytes = 32 << 20
	// pageBytesPerCell is the room a page of items may take per item and
	// selected column (plus one for the item's own annotations): far
	// more than any page averages, even one whose every item holds a
	// multi-line text of thousands of characters.
	pageBytesPerCell = 32 << 10
	// MaxEmptyPages is how many pages in a row may come with no items but
	// a next link before a read fails. SharePoint may answer such a page
	// (a window of the list without a match); a server that keeps doing
	// so never ends.
	MaxEmptyPages = 16
	// Before following an empty page after the first in a row, the client
	// waits emptyPageBase·2^(n-2), at most emptyPageCap: a server sending
	// nothing but next links is not asked again at full speed.
	emptyPageBase = 25 * time.Millisecond
	emptyPageCap  = 250 * time.Millisecond
)

// pageLimits bound what one page may be.
type pageLimits struct {
	items int   // most items a page may hold: its $top; 0 for no bound
	bytes int64 // most bytes its body may have, decompressed
}

// itemLimits are the bounds of a page of items requested with $top=top
// and columns selected columns.
func (c *Client) itemLimits(top, columns int) pageLimits {
	if c.maxPageBytes > 0 {
		return pageLimits{items: top, bytes: c.maxPageBytes}
	}
	return pageLimits{items: top, bytes: max(int64(top)*int64(columns+1)*pageBytesPerCell, MinPageBytes)}
}

// metadataLimits are the bounds of a metadata answer: no $top, so no
// bound on its number of elements, and the least size bound.
func (c *Client) metadataLimits() pageLimits {
	if c.maxPageBytes > 0 {
		return pageLimits{bytes: c.maxPageBytes}
	}
	return pageLimits{bytes: MinPageBytes}
}

// walk describes one read of a collection for Client.walk.
type walk struct {
	limits pageLimits
	// decode reads a page's body: it keeps the page's elements and
	// returns how many there were and the page's next link ("" for
	// none). It must not keep a reference to body, whose buffer the next
	// page reuses.
	decode func(body []byte) (n int, next string, err error)
	// emit hands over the elements decode kept; false stops the read
	// (enough was read, or the reader is gone) without an error.
	emit func() bool
	// ahead sends the request for the next page before the current one
	// is decoded, its address found by a quick scan of the raw page, so
	// that the network's latency hides behind decoding. Only for reads
	// that will want the next page whatever the current one holds.
	ahead bool
}

// walk reads the collection whose first page is at first, page after
// page, until a page without a next link or until w.emit says stop.
// Between two pages it checks that the page held no more items than
// asked for, that its next link leads to the site's origin and not back
// to a page already read, and that empty pages with next links do not go
// on for ever (pausing before each after the first). A body cut short
// without HTTP noticing is fetched again, as a failed request is.
func (c *Client) walk(ctx context.Context, first string, w walk) error {
	var spare []byte    // the other body buffer, for a request sent ahead
	var ahead *download // the next page's request, sent early
	defer func() { ahead.abandon() }()
	// Pages already requested: a next link back to one of them would loop
	// for ever; SharePoint's skiptokens only move forward.
	visited := map[string]bool{}
	empties := 0 // pages in a row with no items but a next link
	target := first
	body, err := c.download(ctx, target, nil, w.limits.bytes)
	for attempt := 0; ; {
		if err != nil {
			return err
		}
		visited[target] = true
		if w.ahead && empties == 0 {
			if guess := scanNextLink(body); guess != "" && !visited[guess] && c.sameOrigin(guess) {
				ahead.abandon()
				ahead = c.startDownload(ctx, guess, spare, w.limits.bytes)
				spare = nil
			}
		}
		n, next, derr := w.decode(body)
		if derr != nil {
			if truncated(derr) && attempt < c.retry.max {
				// Cut short without HTTP noticing (no framing): fetch
				// the same page again; nothing of it was handed over.
				attempt++
				ahead.abandon()
				ahead = nil
				body, err = c.download(ctx, target, body, w.limits.bytes)
				continue
			}
			return fmt.Errorf("sharepoint: decoding the answer to GET %s: %w", target, derr)
		}
		attempt = 0
		if w.limits.items > 0 && n > w.limits.items {
			return fmt.Errorf("sharepoint: the answer to GET %s holds %d items, more than the %d its $top asked for; refusing it rather than trusting any of it", target, n, w.limits.items)
		}
		if !w.emit() {
			return nil
		}
		switch {
		case next == "":
			return nil
		case !c.sameOrigin(next):
			// The bearer token must never leave the site's origin (it
			// travels with every request), nor an answer from elsewhere
			// be taken for the site's.
			return fmt.Errorf("sharepoint: refusing to follow a next link to another origin (%s); the site is %s", originOf(next), c.origin)
		case visited[next]:
			return fmt.Errorf("sharepoint: the server's next link leads back to a page already read (%s); stopping instead of looping", next)
		}
		if n > 0 {
			empties = 0
		} else {
			empties++
			if empties > MaxEmptyPages {
				return fmt.Errorf("sharepoint: the server answered %d pages in a row with no items but a link to a further page (GET %s); stopping: a list's pages do not go on empty for ever", empties, target)
			}
			if empties > 1 {
				if err := c.retry.sleep(ctx, emptyPageWait(empties)); err != nil {
					return fmt.Errorf("sharepoint: reading the pages of GET %s: %w", first, err)
				}
			}
		}
		target = next
		if ahead != nil && ahead.target == next {
			spare = body
			body, err = ahead.wait()
			ahead = nil
		} else {
			// The quick scan guessed wrong (or was not tried): fetch the
			// page the decoded next link names.
			ahead.abandon()
			ahead = nil
			body, err = c.download(ctx, target, body, w.limits.bytes)
		}
	}
}

// emptyPageWait is the pause before following the nth empty page in a
// row (n >= 2).
func emptyPageWait(n int) time.Duration {
	if n-2 >= 10 {
		return emptyPageCap
	}
	return min(emptyPageBase<<(n-2), emptyPageCap)
}

// errPageTooLarge: an answer exceeded its size bound.
var errPageTooLarge = errors.New("larger than its bound")

// download GETs one page's whole body into buf (its capacity reused),
// with the client's retries, reading at most limit bytes: a larger
// answer is refused, unread beyond the bound, and not fetched again. A
// body cut short by the transport is a retryable failure.
func (c *Client) download(ctx context.Context, target string, buf []byte, limit int64) ([]byte, error) {
	err := c.do(ctx, http.MethodGet, target, func(resp *http.Response) error {
		var err error
		buf, err = readBody(resp, buf, limit)
		switch {
		case errors.Is(err, errPageTooLarge):
			return fmt.Errorf("sharepoint: the answer to GET %s is larger than %d bytes, the bound on one answer (see WithMaxPageBytes); stopped reading it", target, limit)
		case err != nil:
			return &retryableError{err: fmt.Errorf("sharepoint: reading the answer to GET %s: %w", target, err)}
		}
		return nil
	})
	return buf, err
}

// maxPrealloc bounds the buffer a Content-Length may make us allocate up
// front; a bigger body still reads, growing as it comes.
const maxPrealloc = 64 << 20

// readBody reads resp's whole body into buf[:0], growing it only when the
// body is bigger than any before, and fails with errPageTooLarge as soon
// as it passes limit bytes (at once when the Content-Length says so). A
// gzipped answer that the transport decompresses has no known length: the
// buffer grows by doubling, once, and the bound applies to the
// decompressed bytes.
func readBody(resp *http.Response, buf []byte, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return buf[:0], errPageTooLarge
	}
	b := bytes.NewBuffer(buf[:0])
	if n := resp.ContentLength; n > 0 && n <= maxPrealloc {
		b.Grow(int(n) + bytes.MinRead) // room for the read that sees EOF
	}
	n, err := b.ReadFrom(io.LimitReader(resp.Body, limit+1))
	if err == nil && n > limit {
		err = errPageTooLarge
	}
	return b.Bytes(), err
}

// notAPage describes a JSON object that holds no collection: no "value"
// array and no verbose "d":{"results":[…]}. It quotes an error object's
// code and message (a proxy, or SharePoint itself, answering an error
// with HTTP 200), never anything else of the body.
func notAPage(body []byte) error {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return errors.New("the answer is not a page of a collection")
	}
	for _, key := range []string{"odata.error", "error"} {
		var e struct {
			Code    string       `json:"code"`
			Message errorMessage `json:"message"`
		}
		if raw, ok := top[key]; ok && json.Unmarshal(raw, &e) == nil && (e.Code != "" || e.Message != "") {
			msg := strings.Join(strings.Fields(string(e.Message)), " ")
			if len(msg) > 200 {
				msg = msg[:200] + "…"
			}
			return fmt.Errorf("the server answered HTTP 200 with an error (%q) instead of a page: %s (%s)", key, msg, e.Code)
		}
	}
	switch _, verbose := top["d"]; {
	case len(top) == 0:
		return errors.New(`the answer is an empty JSON object, not a page: it has no "value" array of items`)
	case verbose:
		return errors.New(`the answer's "d" object has no "results" array: it is not a page (a proxy may have answered instead of SharePoint)`)
	}
	return fmt.Errorf(`the answer is a JSON object with %d keys but no "value" array (nor a verbose "d":{"results":[…]}): it is not a page (a proxy may have answered instead of SharePoint)`, len(top))
}
