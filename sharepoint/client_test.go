package sharepoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// scripted is a minimal SharePoint stand-in for the client's own logic
// (retries, paging, origin checks): it answers the fields request of one
// list and serves numbered items in pages, with faults scripted per request.
// Conformance to SharePoint's behaviour is tested against sptest.
type scripted struct {
	t        *testing.T
	srv      *httptest.Server
	items    int
	pageSize int
	// fault, if set, may answer request n (1-based, items requests only)
	// itself and return true.
	fault func(n int, w http.ResponseWriter, r *http.Request) bool
	// nextOrigin, if set, replaces the origin of next links.
	nextOrigin string

	mu       sync.Mutex
	requests []string
	itemReqs atomic.Int32
}

func newScripted(t *testing.T, items, pageSize int) *scripted {
	s := &scripted{t: t, items: items, pageSize: pageSize}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scripted) client(opts ...Option) *Client {
	c, err := NewClient(s.srv.URL+"/sites/x", s.srv.Client(), opts...)
	if err != nil {
		s.t.Fatal(err)
	}
	// Record retry waits instead of spending them.
	c.retry.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return c
}

func (s *scripted) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.RequestURI())
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;odata=nometadata;charset=utf-8")
	switch {
	case strings.HasSuffix(r.URL.Path, "/fields"):
		fmt.Fprint(w, `{"value":[{"InternalName":"ID","EntityPropertyName":"ID","Title":"ID","TypeAsString":"Counter","FieldTypeKind":5},
			{"InternalName":"Title","EntityPropertyName":"Title","Title":"Title","TypeAsString":"Text","FieldTypeKind":2}]}`)
	case strings.HasSuffix(r.URL.Path, "/items"):
		n := int(s.itemReqs.Add(1))
		if s.fault != nil && s.fault(n, w, r) {
			return
		}
		after := 0
		if tok := r.URL.Query().Get("$skiptoken"); tok != "" {
			_, id, _ := strings.Cut(tok, "p_ID=")
			after, _ = strconv.Atoi(id)
		}
		top, _ := strconv.Atoi(r.URL.Query().Get("$top"))
		if top == 0 {
			top = 100
		}
		var b strings.Builder
		b.WriteString(`{"value":[`)
		last := min(after+top, s.items)
		for id := after + 1; id <= last; id++ {
			if id > after+1 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"ID":%d,"Title":"Item %d"}`, id, id)
		}
		b.WriteString("]")
		if last < s.items {
			origin := s.srv.URL
			if s.nextOrigin != "" {
				origin = s.nextOrigin
			}
			fmt.Fprintf(&b, `,"odata.nextLink":"%s%s?%%24skiptoken=Paged%%3dTRUE%%26p_ID%%3d%d&%%24top=%d"`, origin, r.URL.Path, last, top)
		}
		b.WriteString("}")
		fmt.Fprint(w, b.String())
	default:
		http.NotFound(w, r)
	}
}

// collect reads every row's ID.
func collect(t *testing.T, it *ItemIterator) ([]int64, error) {
	t.Helper()
	defer it.Close()
	var ids []int64
	for {
		row, err := it.Next()
		if err == io.EOF {
			return ids, nil
		}
		if err != nil {
			return ids, err
		}
		ids = append(ids, row[0].(int64))
	}
}

func wantSequence(t *testing.T, ids []int64, n int) {
	t.Helper()
	if len(ids) != n {
		t.Fatalf("got %d rows, want %d", len(ids), n)
	}
	for i, id := range ids {
		if id != int64(i+1) {
			t.Fatalf("row %d has ID %d, want %d: a row was lost or duplicated", i, id, i+1)
		}
	}
}

func TestItemsPagesThroughEveryItemOnce(t *testing.T) {
	for _, tt := range []struct {
		name           string
		items, page    int
		top            int
		want, requests int
	}{
		{"all items over many pages", 1050, 100, 0, 1050, 11},
		{"an exact multiple of the page size", 300, 100, 0, 300, 3},
		{"top smaller than a page is one request", 1050, 100, 10, 10, 1},
		{"top across pages stops early", 1050, 100, 250, 250, 3},
		{"top beyond the list", 30, 100, 500, 30, 1},
		{"an empty list", 0, 100, 0, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newScripted(t, tt.items, tt.page)
			c := s.client(WithPageSize(tt.page))
			it, err := c.Items(context.Background(), "Tasks", Query{Select: []string{"ID", "Title"}, Top: tt.top})
			if err != nil {
				t.Fatal(err)
			}
			ids, err := collect(t, it)
			if err != nil {
				t.Fatal(err)
			}
			wantSequence(t, ids, tt.want)
			if n := int(s.itemReqs.Load()); n != tt.requests {
				t.Errorf("items requests = %d, want %d", n, tt.requests)
			}
		})
	}
}

func TestItemsFirstRequestCarriesTheQuery(t *testing.T) {
	s := newScripted(t, 5, 100)
	c := s.client(WithPageSize(100))
	it, err := c.Items(context.Background(), "O'Brien & Co", Query{
		Select: []string{"ID", "title"}, Filter: "Title eq 'a b+c'", OrderBy: "ID desc", Top: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := collect(t, it); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want := "/sites/x/_api/web/lists/getbytitle('O''Brien%20%26%20Co')/items?$select=ID,Title&$filter=Title%20eq%20'a%20b%2Bc'&$orderby=ID%20desc&$top=3"
	if got := s.requests[len(s.requests)-1]; got != want {
		t.Errorf("request = %s\nwant      %s", got, want)
	}
}

func TestItemsRetriesWithoutLosingOrRepeatingRows(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(n int, w http.ResponseWriter, r *http.Request) bool
	}{
		{"429 with Retry-After on a later page", func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n == 3 {
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			}
			return false
		}},
		{"503 twice", func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n == 2 || n == 3 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		}},
		{"a body cut mid-page", func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n == 2 {
				w.Header().Set("Content-Length", "100000")
				fmt.Fprint(w, `{"value":[{"ID":101,"Title":"Item 101"},{"ID":102,`)
				return true // the handler returns: the connection closes short
			}
			return false
		}},
		{"a body cut at a clean item boundary without framing", func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n == 4 {
				w.(http.Flusher).Flush() // chunked: the cut ends the stream early
				fmt.Fprint(w, `{"value":[{"ID":301,"Title":"Item 301"}`)
				panic(http.ErrAbortHandler)
			}
			return false
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newScripted(t, 1000, 100)
			s.fault = tt.fault
			c := s.client(WithPageSize(100))
			it, err := c.Items(context.Background(), "Tasks", Query{Select: []string{"ID", "Title"}})
			if err != nil {
				t.Fatal(err)
			}
			ids, err := collect(t, it)
			if err != nil {
				t.Fatal(err)
			}
			wantSequence(t, ids, 1000)
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	s := newScripted(t, 10, 100)
	s.fault = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	}
	c := s.client()
	var waits []time.Duration
	c.retry.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	it, err := c.Items(context.Background(), "Tasks", Query{Select: []string{"ID"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := collect(t, it); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0] < 7*time.Second {
		t.Errorf("waits = %v, want one of at least 7s", waits)
	}
}

func TestThrottlingOutlastingTheRetriesIsErrThrottled(t *testing.T) {
	s := newScripted(t, 10, 100)
	s.fault = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
	c := s.client(WithRetries(3))
	it, err := c.Items(context.Background(), "Tasks", Query{Select: []string{"ID"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = collect(t, it)
	if !errors.Is(err, ErrThrottled) || !strings.Contains(err.Error(), "raise WSRetryCount") {
		t.Fatalf("err = %v, want ErrThrottled with advice", err)
	}
	if n := s.itemReqs.Load(); n != 4 {
		t.Errorf("requests = %d, want 4 (1 + 3 retries)", n)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	s := newScripted(t, 10, 100)
	s.fault = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"odata.error":{"code":"-1, System.ArgumentException","message":{"lang":"en-US","value":"Column 'Nope' does not exist. It may have been deleted by another user."}}}`)
		return true
	}
	it, err := s.client().Items(context.Background(), "Tasks", Query{Select: []string{"ID"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = collect(t, it)
	var spErr *Error
	if !errors.As(err, &spErr) || !errors.Is(err, ErrFieldNotFound) || spErr.FieldName() != "Nope" {
		t.Fatalf("err = %v, want ErrFieldNotFound naming Nope", err)
	}
	if n := s.itemReqs.Load(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestNextLinkToAnotherOriginIsRefused(t *testing.T) {
	var foreignHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreignHits.Add(1)
	}))
	defer foreign.Close()
	s := newScripted(t, 250, 100)
	s.nextOrigin = foreign.URL
	it, err := s.client(WithPageSize(100)).Items(context.Background(), "Tasks", Query{Select: []string{"ID"}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := collect(t, it)
	if err == nil || !strings.Contains(err.Error(), "refusing to follow a next link to another origin") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	wantSequence(t, ids, 100) // the first page, then the refusal
	if n := foreignHits.Load(); n != 0 {
		t.Errorf("the foreign origin received %d requests", n)
	}
}

func TestCloseMidStreamStopsThePrefetch(t *testing.T) {
	s := newScripted(t, 100000, 100)
	c := s.client(WithPageSize(100))
	it, err := c.Items(context.Background(), "Tasks", Query{Select: []string{"ID"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 150 {
		if _, err := it.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if err := it.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	if row, err := it.Next(); err != io.EOF {
		t.Errorf("Next after Close = %v, %v; want io.EOF", row, err)
	}
	// Pages 1 and 2 were read; at most page 3 was decoded and waiting
	// and page 4 requested ahead of it (walk sends the next page's
	// request before handing the current one over). Nothing further.
	if n := s.itemReqs.Load(); n > 4 {
		t.Errorf("items requests = %d, want at most 4", n)
	}
}

func TestCancelMidStreamEndsWithTheContextError(t *testing.T) {
	s := newScripted(t, 100000, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	it, err := s.client(WithPageSize(100)).Items(ctx, "Tasks", Query{Select: []string{"ID"}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for {
		if _, err = it.Next(); err != nil {
			break
		}
		n++
		if n == 250 {
			cancel()
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Next = %v, want context.Canceled", err)
	}
	if n >= 100000 {
		t.Fatal("cancellation did not stop the stream")
	}
}

func TestMetadataIsFetchedOnceAndCached(t *testing.T) {
	s := newScripted(t, 3, 100)
	c := s.client()
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Fields(context.Background(), "Tasks"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	fieldsRequests := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		n := 0
		for _, r := range s.requests {
			if strings.Contains(r, "/fields") {
				n++
			}
		}
		return n
	}
	if n := fieldsRequests(); n != 1 {
		t.Fatalf("20 concurrent first uses made %d fields requests, want 1", n)
	}
	if _, err := c.Fields(context.Background(), "tasks"); err != nil { // titles are case-insensitive
		t.Fatal(err)
	}
	if n := fieldsRequests(); n != 1 {
		t.Fatalf("a cached lookup made a request (%d in all)", n)
	}
	c.Invalidate("Tasks")
	if _, err := c.Fields(context.Background(), "Tasks"); err != nil {
		t.Fatal(err)
	}
	if n := fieldsRequests(); n != 2 {
		t.Fatalf("after Invalidate, fields requests = %d, want 2", n)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		"-3":                            0,
		"soon":                          0,
		"Thu, 26 Nov 2026 12:00:30 GMT": 30 * time.Second,
		"Thu, 26 Nov 2026 11:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

// finalNetError wraps a network error but says it must not be retried,
// as auth.TokenError does for a token endpoint that stayed unreachable
// through its own retries.
type finalNetError struct{ err error }

func (e finalNetError) Error() string   { return "no token: " + e.err.Error() }
func (e finalNetError) Unwrap() error   { return e.err }
func (e finalNetError) Retryable() bool { return false }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransportErrorsThatSayFinalAreNotRetried(t *testing.T) {
	var calls atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, finalNetError{err: syscall.ECONNREFUSED}
	})}
	c, err := NewClient("https://t.sharepoint.com/sites/x", hc, WithRetries(5))
	if err != nil {
		t.Fatal(err)
	}
	c.retry.sleep = func(ctx context.Context, d time.Duration) error { return nil }
	_, err = c.Web(context.Background())
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("requests = %d, want 1: the error said it is final", n)
	}
	// A network error without that say-so is retried (a refused
	// connection only briefly: see TestUnreachableSite).
	calls.Store(0)
	hc.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, syscall.ECONNRESET
	})
	if _, err := c.Web(context.Background()); err == nil {
		t.Fatal("want an error")
	}
	if n := calls.Load(); n != 6 {
		t.Errorf("requests = %d, want 6 (1 + 5 retries)", n)
	}
}

// waiters reads how many callers wait on key's unfinished fetch.
func waiters(c *Client, key string) int {
	c.meta.mu.Lock()
	defer c.meta.mu.Unlock()
	if e := c.meta.entries[key]; e != nil {
		return e.waiters
	}
	return 0
}

// One caller giving up must not fail the others waiting for the same
// metadata fetch.
func TestMetadataFetchSurvivesACancelledFirstCaller(t *testing.T) {
	s := newScripted(t, 3, 100)
	c := s.client()
	arrived := make(chan struct{})
	release := make(chan struct{})
	inner := s.srv.Config.Handler
	s.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/fields") {
			close(arrived) // the test makes exactly one fields request
			<-release
		}
		inner.ServeHTTP(w, r)
	})
	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := c.Fields(first, "Tasks")
		firstErr <- err
	}()
	<-arrived // the first caller's fetch is under way
	secondErr := make(chan error, 1)
	go func() {
		_, err := c.Fields(context.Background(), "Tasks")
		secondErr <- err
	}()
	// Cancel the first caller only once the second waits on the same
	// fetch (a fetch nobody waits for any more is abandoned).
	for waiters(c, "fields\x00tasks") < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Errorf("first caller: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-secondErr; err != nil {
		t.Errorf("second caller failed because the first gave up: %v", err)
	}
}

// Close ends a shared metadata fetch that outlived the caller who started
// it (goleak in TestMain checks nothing is left running).
func TestCloseEndsSharedFetches(t *testing.T) {
	s := newScripted(t, 3, 100)
	c := s.client()
	arrived := make(chan struct{})
	inner := s.srv.Config.Handler
	s.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/fields") {
			close(arrived)
			<-r.Context().Done() // hang until the client gives up
			return
		}
		inner.ServeHTTP(w, r)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Fields(ctx, "Tasks")
		done <- err
	}()
	<-arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Fields = %v, want context.Canceled", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// The fetch ends with the client: a new caller gets an error at once
	// instead of waiting for a request that no longer runs.
	if _, err := c.Fields(context.Background(), "Tasks"); err == nil {
		t.Fatal("Fields after Close succeeded")
	}
}

func TestNextLinkLoopIsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/fields") {
			fmt.Fprint(w, `{"value":[{"InternalName":"ID","EntityPropertyName":"ID","TypeAsString":"Counter"}]}`)
			return
		}
		// Every page links back to the first.
		fmt.Fprintf(w, `{"value":[{"ID":1}],"odata.nextLink":"http://%s/sites/x/_api/web/lists/getbytitle('T')/items?$select=ID&$top=1000"}`, r.Host)
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL+"/sites/x", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	it, err := c.Items(context.Background(), "T", Query{Select: []string{"ID"}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := collect(t, it)
	if err == nil || !strings.Contains(err.Error(), "leads back to a page already read") {
		t.Fatalf("err = %v, want the loop refused", err)
	}
	if len(ids) > 2 {
		t.Errorf("read %d rows before stopping", len(ids))
	}
}

// The next page's request goes out before the current page is decoded,
// its address found by a quick scan. A key that only looks like a next
// link (inside an item) makes a wrong guess: it must be dropped and the
// real next page read, with every row exactly once.
func TestEarlyNextRequestSurvivesAWrongGuess(t *testing.T) {
	var decoys atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/fields"):
			fmt.Fprint(w, `{"value":[{"InternalName":"ID","EntityPropertyName":"ID","TypeAsString":"Counter"},{"InternalName":"Meta","EntityPropertyName":"Meta","TypeAsString":"Note"}]}`)
		case r.URL.Query().Get("decoy") != "":
			decoys.Add(1)
			fmt.Fprint(w, `{"value":[{"ID":999}]}`)
		default:
			after, _ := strconv.Atoi(r.URL.Query().Get("after"))
			var b strings.Builder
			b.WriteString(`{"value":[`)
			for id := after + 1; id <= after+10; id++ {
				if id > after+1 {
					b.WriteByte(',')
				}
				// A nested object with a next-link-looking key, after the real one.
				fmt.Fprintf(&b, `{"ID":%d,"Nested":{"odata.nextLink":"%s/sites/x/_api/items?decoy=%d"}}`, id, srv.URL, id)
			}
			b.WriteString("]")
			if after+10 < 50 {
				fmt.Fprintf(&b, `,"odata.nextLink":"%s/sites/x/_api/web/lists/getbytitle('T')/items?after=%d"`, srv.URL, after+10)
			}
			b.WriteString("}")
			// Put the real next link first, as nometadata does, so the
			// scan's last match is the decoy.
			s := b.String()
			if i := strings.Index(s, `,"odata.nextLink"`); i > 0 {
				s = `{` + s[i+1:len(s)-1] + `,` + s[1:i] + `}`
			}
			fmt.Fprint(w, s)
		}
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL+"/sites/x", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	c.retry.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	it, err := c.Items(context.Background(), "T", Query{Select: []string{"ID"}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := collect(t, it)
	if err != nil {
		t.Fatal(err)
	}
	wantSequence(t, ids, 50)
}

// A metadata fetch stuck on a hung connection must not hold up later
// callers once everyone waiting for it has given up: the next caller
// starts a fresh request.
func TestAHungMetadataFetchIsAbandonedWithItsLastCaller(t *testing.T) {
	s := newScripted(t, 3, 100)
	c := s.client(WithTimeout(0))
	var calls atomic.Int32
	inner := s.srv.Config.Handler
	s.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/fields") && calls.Add(1) == 1 {
			<-r.Context().Done() // the first request hangs until abandoned
			return
		}
		inner.ServeHTTP(w, r)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Fields(ctx, "Tasks")
		done <- err
	}()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("first caller: %v, want context.Canceled", err)
	}
	if _, err := c.Fields(context.Background(), "Tasks"); err != nil {
		t.Fatalf("a later caller waited on the abandoned fetch: %v", err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("fields requests = %d, want 2 (the hung one and a fresh one)", n)
	}
}
