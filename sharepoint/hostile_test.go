package sharepoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// A misbehaving server — or a proxy in front of SharePoint — must never
// make a read end short without an error, loop, or take unbounded memory,
// and no redirect may take a request, or an answer, elsewhere. Each test
// here is a finding: it failed before the guard it names existed.

// ledger is a site with one synthetic list of n items.
func ledger(n int) sptest.Site {
	return sptest.Site{Lists: []sptest.List{{Title: "Ledger", Generator: sptest.Synthetic(5, n)}}}
}

// warmClient returns a client on srv whose metadata for Ledger is cached,
// so that the next request the server counts is the read's first, and
// whose waits are recorded instead of spent.
func warmClient(t *testing.T, srv *sptest.Server, waits *[]time.Duration, opts ...Option) *Client {
	t.Helper()
	c := emulatorClient(t, srv, nil, opts...)
	c.retry.sleep = func(ctx context.Context, d time.Duration) error {
		if waits != nil {
			*waits = append(*waits, d)
		}
		return ctx.Err()
	}
	if _, err := c.Lists(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Fields(context.Background(), "Ledger"); err != nil {
		t.Fatal(err)
	}
	return c
}

// The probes for a list's lowest and highest IDs ($top=1) are reads like
// any other: an empty page with a next link is followed, and a probe that
// finds no item makes the read follow next links instead of taking the
// list for empty. Before, SELECT ID over 12,000 items returned 0 rows.
func TestSlicedReadSurvivesAnEmptyProbePage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nth   int // which request of the read: 1 the lowest ID's probe, 2 the highest's
		fault sptest.Fault
	}{
		{"lowest ID: an empty page with a next link", 1, sptest.Fault{EmptyPage: true}},
		{"highest ID: an empty page with a next link", 2, sptest.Fault{EmptyPage: true}},
		{"lowest ID: an empty last page", 1, sptest.Fault{Body: []byte(`{"value":[]}`)}},
		{"highest ID: an empty last page", 2, sptest.Fault{Body: []byte(`{"value":[]}`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator(t, ledger(120))
			c := warmClient(t, srv, nil, WithPageSize(10))
			before := srv.RequestCount()
			srv.FailRequest(tc.nth, tc.fault)
			it, err := c.Items(context.Background(), "Ledger", Query{Select: []string{"ID"}, Parallel: 4})
			if err != nil {
				t.Fatal(err)
			}
			ids, err := collect(t, it)
			if err != nil {
				t.Fatal(err)
			}
			wantSequence(t, ids, 120)
			if q := srv.Requests()[before+tc.nth-1].Query(); q.Top != "1" {
				t.Errorf("the fault hit a request with $top=%s, not a probe", q.Top)
			}
		})
	}
}

// A 200 answer without an array of items is no page of zero items: the
// read fails naming what came back. Before, a {} on page 2 of 5 ended the
// read after 50 of 250 rows without an error.
func TestAnswerThatIsNotAPageFailsTheRead(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{}`, "an empty JSON object"},
		{`{"odata.error":{"code":"-2147024809, System.ArgumentException","message":{"lang":"en-US","value":"Value does not fall within the expected range."}}}`,
			`HTTP 200 with an error ("odata.error") instead of a page: Value does not fall within the expected range. (-2147024809, System.ArgumentException)`},
		{`{"error":{"code":"-1, Microsoft.SharePoint.Client.InvalidClientQueryException","message":"v4 says it plainly"}}`, `("error") instead of a page: v4 says it plainly`},
		{`{"d":{"__next":null}}`, `"d" object has no "results" array`},
		{`{"odata.metadata":"x","odata.nextLink":"y"}`, `2 keys but no "value" array`},
		{`{"value":null}`, "decoding the answer"},
	} {
		t.Run(tc.body, func(t *testing.T) {
			srv := emulator(t, ledger(250))
			c := warmClient(t, srv, nil, WithPageSize(50))
			srv.FailRequest(2, sptest.Fault{Body: []byte(tc.body)})
			it, err := c.Items(context.Background(), "Ledger", Query{Select: []string{"ID"}})
			if err != nil {
				t.Fatal(err)
			}
			ids, err := collect(t, it)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%d rows, err = %v; want an error saying %q", len(ids), err, tc.want)
			}
			if !strings.Contains(err.Error(), "decoding the answer to GET "+srv.ServiceURL()) {
				t.Errorf("the error does not name the request: %v", err)
			}
		})
	}
	t.Run("metadata", func(t *testing.T) {
		srv := emulator(t, ledger(10))
		c := emulatorClient(t, srv, nil)
		srv.FailRequest(1, sptest.Fault{Body: []byte(`{}`)})
		if fields, err := c.Fields(context.Background(), "Ledger"); err == nil || !strings.Contains(err.Error(), "an empty JSON object") {
			t.Fatalf("Fields: %d fields, err = %v", len(fields), err)
		}
		srv.FailRequest(1, sptest.Fault{Body: []byte(`{"d":{}}`)})
		if lists, err := c.Lists(context.Background()); err == nil || !strings.Contains(err.Error(), `no "results" array`) {
			t.Fatalf("Lists: %d lists, err = %v", len(lists), err)
		}
	})
}

// An empty collection is a page all the same, in every format.
func TestEmptyListReadsInEveryFormat(t *testing.T) {
	srv := emulator(t, sptest.Site{Lists: []sptest.List{{Title: "Empty"}}})
	base := srv.Client().Transport
	for name, rt := range map[string]http.RoundTripper{
		"nometadata":      base,
		"verbose":         acceptAs{base: base, accept: "application/json;odata=verbose"},
		"minimalmetadata": acceptAs{base: base, accept: "application/json;odata=minimalmetadata"},
		"v4 minimal":      acceptAs{base: base, accept: "application/json;odata.metadata=minimal", odataVersion: "4.0"},
		"v4 none":         acceptAs{base: base, accept: "application/json;odata.metadata=none", odataVersion: "4.0"},
	} {
		c := emulatorClient(t, srv, rt)
		it, err := c.Items(context.Background(), "Empty", Query{Select: []string{"ID", "Title"}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ids, err := collect(t, it); err != nil || len(ids) != 0 {
			t.Errorf("%s: %d rows, %v", name, len(ids), err)
		}
	}
}

// A page is refused, whole, when it holds more items than its $top asked
// for.
func TestPageWithMoreItemsThanAskedIsRefused(t *testing.T) {
	for _, q := range []Query{{Select: []string{"ID"}}, {Select: []string{"ID"}, Top: 80}} {
		srv := emulator(t, ledger(250))
		c := warmClient(t, srv, nil, WithPageSize(50))
		srv.FailRequest(2, sptest.Fault{ExtraItems: 7})
		it, err := c.Items(context.Background(), "Ledger", q)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := collect(t, it)
		const want = "holds 57 items, more than the 50 its $top asked for"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Top %d: %d rows, err = %v; want %q", q.Top, len(ids), err, want)
		}
		if len(ids) != 50 {
			t.Errorf("Top %d: %d rows handed over before the error, want the first page's 50", q.Top, len(ids))
		}
	}
}

// countingTransport counts the body bytes the client read.
type countingTransport struct {
	base http.RoundTripper
	read atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		resp.Body = countingBody{resp.Body, &t.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// An answer is read up to its size bound and refused there. Before, a
// 400 MiB page was read whole (and gave 5.5 million rows for $top=1000).
func TestAnswerLargerThanItsBoundIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []Option
		pad   int64
		bound int64
	}{
		// The default bound works alike, only bigger: for a page of 50
		// items of one column, the floor, MinPageBytes, which a page
		// padded to 400 MiB meets after 33,555,118 bytes read (the
		// bound and the first page); too slow a test to run each time.
		{"WithMaxPageBytes", []Option{WithMaxPageBytes(1 << 20)}, 64 << 20, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator(t, ledger(250))
			counter := &countingTransport{base: srv.Client().Transport}
			c := emulatorClient(t, srv, counter, append(tc.opts, WithPageSize(50))...)
			if _, err := c.Fields(context.Background(), "Ledger"); err != nil {
				t.Fatal(err)
			}
			srv.FailRequest(2, sptest.Fault{PadBytes: tc.pad})
			start := counter.read.Load()
			it, err := c.Items(context.Background(), "Ledger", Query{Select: []string{"ID"}})
			if err != nil {
				t.Fatal(err)
			}
			ids, err := collect(t, it)
			want := fmt.Sprintf("is larger than %d bytes, the bound on one answer", tc.bound)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("%d rows, err = %v; want %q", len(ids), err, want)
			}
			read := counter.read.Load() - start
			t.Logf("%s: a page padded to %d MiB: %d bytes read before the bound stopped the read", tc.name, tc.pad>>20, read)
			if read > tc.bound+1<<20 {
				t.Errorf("%d bytes read, more than the bound %d and a page", read, tc.bound)
			}
		})
	}
	t.Run("metadata", func(t *testing.T) {
		srv := emulator(t, ledger(10))
		c := emulatorClient(t, srv, nil, WithMaxPageBytes(1<<20))
		srv.FailRequest(1, sptest.Fault{PadBytes: 8 << 20})
		if _, err := c.Fields(context.Background(), "Ledger"); err == nil || !strings.Contains(err.Error(), "is larger than 1048576 bytes") {
			t.Fatalf("Fields: err = %v", err)
		}
	})
}

// The default bound grows with the page's $top and columns, from a floor.
func TestDefaultPageBounds(t *testing.T) {
	c, err := NewClient("https://t.sharepoint.com/sites/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		top, columns int
		want         int64
	}{
		{1, 1, MinPageBytes},
		{1000, 1, 1000 * 2 * 32 << 10}, // 62.5 MiB
		{5000, 10, 5000 * 11 * 32 << 10},
	} {
		if got := c.itemLimits(tc.top, tc.columns); got.bytes != tc.want || got.items != tc.top {
			t.Errorf("itemLimits(%d, %d) = %+v, want %d bytes", tc.top, tc.columns, got, tc.want)
		}
	}
	if got := c.metadataLimits(); got.bytes != MinPageBytes || got.items != 0 {
		t.Errorf("metadataLimits() = %+v", got)
	}
	c, _ = NewClient("https://t.sharepoint.com/sites/x", nil, WithMaxPageBytes(1234))
	if c.itemLimits(5000, 10).bytes != 1234 || c.metadataLimits().bytes != 1234 {
		t.Error("WithMaxPageBytes does not set every bound")
	}
}

// A Content-Length above the bound is refused before any byte is read.
func TestReadBodyRefusesADeclaredLengthAboveTheBound(t *testing.T) {
	var read atomic.Int64
	resp := &http.Response{ContentLength: 2 << 20, Body: countingBody{io.NopCloser(strings.NewReader(strings.Repeat(" ", 2<<20))), &read}}
	if _, err := readBody(resp, nil, 1<<20); !errors.Is(err, errPageTooLarge) || read.Load() != 0 {
		t.Errorf("err = %v after %d bytes", err, read.Load())
	}
	resp = &http.Response{ContentLength: -1, Body: io.NopCloser(strings.NewReader(strings.Repeat(" ", 1<<20)))}
	if b, err := readBody(resp, nil, 1<<20); err != nil || len(b) != 1<<20 {
		t.Errorf("a body of exactly the bound: %d bytes, %v", len(b), err)
	}
}

// Empty pages with next links are followed, but not for ever, and with a
// growing pause. Before, a server answering nothing but empty pages with
// new next links got 107,670 requests in 10 s.
func TestEndlessEmptyPagesEndTheRead(t *testing.T) {
	t.Run("a few are followed", func(t *testing.T) {
		srv := emulator(t, ledger(250))
		c := warmClient(t, srv, nil, WithPageSize(50))
		srv.FailNextWith(3, sptest.Fault{EmptyPage: true})
		it, err := c.Items(context.Background(), "Ledger", Query{Select: []string{"ID"}})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := collect(t, it)
		if err != nil {
			t.Fatal(err)
		}
		wantSequence(t, ids, 250)
	})
	for _, q := range []Query{{Select: []string{"ID"}}, {Select: []string{"ID"}, Parallel: 4}} {
		t.Run(fmt.Sprintf("Parallel %d", q.Parallel), func(t *testing.T) {
			srv := emulator(t, ledger(250))
			var waits []time.Duration
			c := warmClient(t, srv, &waits, WithPageSize(10))
			before := srv.RequestCount()
			srv.FailNextWith(1<<30, sptest.Fault{EmptyPage: true})
			// Without the bound the read would never end: the deadline
			// makes that a failure rather than a hung test.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			it, err := c.Items(ctx, "Ledger", q)
			if err != nil {
				t.Fatal(err)
			}
			ids, err := collect(t, it)
			if err == nil || !strings.Contains(err.Error(), "pages in a row with no items but a link to a further page") {
				t.Fatalf("%d rows, err = %v", len(ids), err)
			}
			n := srv.RequestCount() - before
			var total time.Duration
			for _, w := range waits {
				total += w
			}
			t.Logf("endless empty pages: %d requests, %v of pauses, before the read failed", n, total)
			if n != MaxEmptyPages+1 {
				t.Errorf("%d requests, want %d", n, MaxEmptyPages+1)
			}
			if len(waits) != MaxEmptyPages-1 || waits[0] <= 0 || waits[len(waits)-1] < waits[0] {
				t.Errorf("pauses %v: want one growing pause before each empty page after the first", waits)
			}
		})
	}
	t.Run("metadata", func(t *testing.T) {
		srv := emulator(t, ledger(10))
		c := emulatorClient(t, srv, nil)
		srv.FailNextWith(1<<30, sptest.Fault{EmptyPage: true})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := c.Fields(ctx, "Ledger"); err == nil || !strings.Contains(err.Error(), "pages in a row") {
			t.Fatalf("Fields: err = %v", err)
		}
	})
}

// The metadata readers have the items reader's loop detection. Before, a
// fields answer whose next link named itself made 5,404 requests in 15 s
// and never ended.
func TestMetadataNextLinkLoopIsRefused(t *testing.T) {
	srv := emulator(t, ledger(10))
	c := emulatorClient(t, srv, nil)
	srv.FailNextWith(1<<30, sptest.Fault{SelfNextLink: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Fields(ctx, "Ledger")
	if err == nil || !strings.Contains(err.Error(), "leads back to a page already read") {
		t.Fatalf("Fields: err = %v", err)
	}
	if _, err := c.Lists(ctx); err == nil || !strings.Contains(err.Error(), "leads back to a page already read") {
		t.Fatalf("Lists: err = %v", err)
	}
	t.Logf("metadata next-link loops: %d requests for Fields and Lists", srv.RequestCount())
	if n := srv.RequestCount(); n > 4 {
		t.Errorf("%d requests: the loop was not stopped at the first repeat", n)
	}
}

// foreignServer is another origin that answers every request as a
// SharePoint site would, and counts them.
func foreignServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json;odata=nometadata")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"ID":4242}`)
			return
		}
		_, _ = io.WriteString(w, `{"value":[]}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// Reads follow redirects within the site's origin only. Before, a GET
// redirected to another host took its {"value":[]} for the list's items.
func TestReadRedirectsStayWithinTheOrigin(t *testing.T) {
	foreign, hits := foreignServer(t)
	t.Run("within the origin", func(t *testing.T) {
		srv := emulator(t, ledger(250))
		c := warmClient(t, srv, nil, WithPageSize(50))
		srv.FailRequest(2, sptest.Fault{RedirectTo: srv.URL, RedirectStatus: http.StatusFound})
		ids, err := collect(t, must(t)(c.Items(context.Background(), "Ledger", Query{Select: []string{"ID"}})))
		if err != nil {
			t.Fatal(err)
		}
		wantSequence(t, ids, 250)
	})
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprintf("to another origin, %d", status), func(t *testing.T) {
			srv := emulator(t, ledger(250))
			c := warmClient(t, srv, nil, WithPageSize(50))
			srv.FailRequest(1, sptest.Fault{RedirectTo: foreign.URL + "/x?sig=s3cr3t", RedirectStatus: status})
			ids, err := collect(t, must(t)(c.Items(context.Background(), "Ledger", Query{Select: []string{"ID"}})))
			if !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "redirected the request to "+foreign.URL+", another origin") {
				t.Fatalf("%d rows, err = %v", len(ids), err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error quotes the redirect's query: %v", err)
			}
			if hits.Load() != 0 {
				t.Errorf("the other origin got %d requests", hits.Load())
			}
		})
	}
	t.Run("metadata to another origin", func(t *testing.T) {
		srv := emulator(t, ledger(10))
		c := emulatorClient(t, srv, nil)
		srv.FailRequest(1, sptest.Fault{RedirectTo: foreign.URL})
		if _, err := c.Fields(context.Background(), "Ledger"); !errors.Is(err, ErrRedirect) {
			t.Fatalf("Fields: err = %v", err)
		}
		if hits.Load() != 0 {
			t.Errorf("the other origin got %d requests", hits.Load())
		}
	})
}

// A write follows no redirect, within the origin or not, whatever the
// caller's http.Client would do: the site did not apply it. Before, a 307
// on POST …/items sent the row to another host, whose 201 {"ID":4242}
// came back as the new item's ID.
func TestWritesFollowNoRedirect(t *testing.T) {
	foreign, hits := foreignServer(t)
	site := func() sptest.Site {
		return sptest.Site{Lists: []sptest.List{{Title: "Notes", Items: []sptest.Item{{"Title": "kept"}}}}}
	}
	count := func(t *testing.T, c *Client) int {
		ids, err := collect(t, must(t)(c.Items(context.Background(), "Notes", Query{Select: []string{"ID"}})))
		if err != nil {
			t.Fatal(err)
		}
		return len(ids)
	}
	followAll := func(*http.Request, []*http.Request) error { return nil }
	writes := map[string]func(c *Client) error{
		"create": func(c *Client) error {
			_, err := c.CreateItem(context.Background(), "Notes", Values{"Title": "new"})
			return err
		},
		"update": func(c *Client) error {
			return c.UpdateItem(context.Background(), "Notes", 1, Values{"Title": "changed"})
		},
		"delete": func(c *Client) error { return c.DeleteItem(context.Background(), "Notes", 1) },
		"batch": func(c *Client) error {
			_, err := c.Batch(context.Background(), "Notes", []Op{{Kind: OpCreate, Values: Values{"Title": "new"}}})
			return err
		},
	}
	for name, write := range writes {
		for _, to := range []string{"the site", "another origin"} {
			t.Run(name+" redirected to "+to, func(t *testing.T) {
				srv := emulator(t, site())
				target := foreign.URL
				if to == "the site" {
					target = srv.URL
				}
				// The caller's client would follow anything.
				hc := &http.Client{Transport: srv.Client().Transport, CheckRedirect: followAll}
				c, err := NewClient(srv.ServiceURL(), hc)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.EntityType(context.Background(), "Notes"); err != nil {
					t.Fatal(err)
				}
				before := count(t, c)
				srv.FailRequest(1, sptest.Fault{RedirectTo: target})
				err = write(c)
				if !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "the site did not apply it") {
					t.Fatalf("err = %v", err)
				}
				if errors.Is(err, ErrWriteInDoubt) {
					t.Errorf("a write refused by a redirect is said to be in doubt: %v", err)
				}
				if after := count(t, c); after != before {
					t.Errorf("%d items before, %d after: the write was applied", before, after)
				}
				if name == "update" {
					rows := readAll(t, must(t)(c.Items(context.Background(), "Notes", Query{Select: []string{"Title"}})))
					if rows[0][0] != "kept" {
						t.Errorf("the item was updated to %v", rows[0][0])
					}
				}
				if hits.Load() != 0 {
					t.Errorf("the other origin got %d requests", hits.Load())
				}
			})
		}
	}
}

// The caller's own redirect policy still decides what it may within the
// origin: a client that follows no redirect gets ErrRedirect for one.
func TestCallersRedirectPolicyIsKept(t *testing.T) {
	srv := emulator(t, ledger(30))
	hc := &http.Client{Transport: srv.Client().Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c, err := NewClient(srv.ServiceURL(), hc)
	if err != nil {
		t.Fatal(err)
	}
	srv.FailRequest(1, sptest.Fault{RedirectTo: srv.URL})
	if _, err := c.Web(context.Background()); !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "redirect policy stopped them") {
		t.Fatalf("err = %v", err)
	}
	if hc.CheckRedirect == nil {
		t.Error("the caller's client was modified")
	}
}
