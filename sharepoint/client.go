// Package sharepoint is a client for the SharePoint Online REST API (the
// /_api endpoints of one site): list metadata and list items, read page by
// page in bounded memory, with retries for throttling and faults, and
// SharePoint's errors turned into ones a user understands; item writes,
// one by one or through $batch, each failure of which says whether the
// write was applied, not applied or is in doubt (see ErrWriteInDoubt). It
// knows nothing of database/sql; the spsql driver builds on it.
package sharepoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultUserAgent identifies the driver to SharePoint, which asks callers
// to decorate their traffic ("NONISV|Company|App/1.0") so that throttling
// can be attributed (reference §4).
const DefaultUserAgent = "NONISV|go-spsql|spsql"

// Defaults for the client's options.
const (
	DefaultPageSize    = 1000
	DefaultRetries     = 5
	DefaultMetadataTTL = 5 * time.Minute
	// MaxPageSize is SharePoint's cap on $top for list items.
	MaxPageSize = 5000
)

// Client talks to one SharePoint site. It is safe for concurrent use.
type Client struct {
	site      *url.URL
	origin    string // scheme://host[:port] of site, for next-link checks
	http      *http.Client
	userAgent string
	timeout   time.Duration
	logger    *slog.Logger
	pageSize  int
	retry     retryPolicy
	meta      metadataCache
	// life ends when the client is closed: shared metadata fetches, which
	// outlive the caller that started them, run on it.
	life context.Context
	stop context.CancelFunc
}

// Option configures a Client.
type Option func(*Client)

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithTimeout bounds each HTTP request, reading its body included; 0 means
// no limit beyond the context.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithLogger sets the logger for request-level messages (retries at Warn,
// requests at Debug). Nothing secret is logged: tokens travel in headers,
// which are never logged.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.logger = l } }

// WithPageSize sets the $top of each items request, 1 to MaxPageSize.
func WithPageSize(n int) Option {
	return func(c *Client) {
		if n >= 1 && n <= MaxPageSize {
			c.pageSize = n
		}
	}
}

// WithRetries bounds the retries of one request: throttling (429/503),
// other 5xx answers, network errors and bodies cut short. 0 disables them.
func WithRetries(n int) Option {
	return func(c *Client) {
		if n >= 0 {
			c.retry.max = n
		}
	}
}

// WithMetadataTTL sets how long list and field metadata is cached.
func WithMetadataTTL(d time.Duration) Option { return func(c *Client) { c.meta.ttl = d } }

// NewClient returns a client for the site at siteURL (e.g.
// https://corp.sharepoint.com/sites/x). httpClient carries the
// authentication (see package auth); nil means http.DefaultClient.
func NewClient(siteURL string, httpClient *http.Client, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(siteURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("sharepoint: site URL %q is not an absolute http(s) URL", siteURL)
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c := &Client{
		site:      u,
		origin:    u.Scheme + "://" + u.Host,
		http:      httpClient,
		userAgent: DefaultUserAgent,
		logger:    slog.New(slog.DiscardHandler),
		pageSize:  DefaultPageSize,
		retry:     defaultRetryPolicy(),
		meta:      metadataCache{ttl: DefaultMetadataTTL},
	}
	for _, opt := range opts {
		opt(c)
	}
	c.life, c.stop = context.WithCancel(context.Background())
	c.meta.life = c.life
	return c, nil
}

// Close stops the client's background work: shared metadata fetches still
// under way end, and later metadata fetches fail. Item and write requests
// run on their caller's context, which is the caller's to cancel. Close is
// idempotent.
func (c *Client) Close() error {
	c.stop()
	return nil
}

// SiteURL returns the site's URL, without a trailing slash.
func (c *Client) SiteURL() string { return c.site.String() }

// Web describes the site.
type Web struct {
	Title string `json:"Title"`
	URL   string `json:"Url"`
}

// Web fetches the site's title and URL. It is the cheapest authenticated
// request there is, which makes it the driver's Ping.
func (c *Client) Web(ctx context.Context) (*Web, error) {
	var w Web
	if err := c.getJSON(ctx, "_api/web?$select=Title,Url", &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// apiURL returns the absolute URL of path, relative to the site.
func (c *Client) apiURL(path string) string { return c.site.String() + "/" + path }

// getJSON GETs path (relative to the site) and decodes a JSON object
// answer into v, accepting the verbose {"d":{…}} envelope too.
func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	body, err := c.getBytes(ctx, c.apiURL(path))
	if err != nil {
		return err
	}
	var verbose struct {
		D json.RawMessage `json:"d"`
	}
	if json.Unmarshal(body, &verbose) == nil && len(verbose.D) > 0 {
		body = verbose.D
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("sharepoint: decoding the answer to %s: %w", path, err)
	}
	return nil
}

// getBytes GETs target with retries and returns the whole body. A body cut
// short is a retryable failure like a 503: the request is simply made again.
func (c *Client) getBytes(ctx context.Context, target string) ([]byte, error) {
	var body []byte
	err := c.do(ctx, http.MethodGet, target, func(resp *http.Response) error {
		var err error
		body, err = io.ReadAll(resp.Body)
		if err != nil {
			return &retryableError{err: fmt.Errorf("sharepoint: reading the answer to GET %s: %w", target, err)}
		}
		return nil
	})
	return body, err
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// do sends one request, retrying as the policy allows, and hands a 2xx
// response to handle (which must consume what it needs of the body; do
// closes it). Every attempt builds a new request, and waits happen in a
// select on ctx.Done(), so cancellation is prompt. Only GETs are sent
// through here: they are idempotent, so retrying them is always safe.
func (c *Client) do(ctx context.Context, method, target string, handle func(*http.Response) error) error {
	var last error
	for attempt := 0; ; attempt++ {
		err := c.attempt(ctx, method, target, handle)
		if err == nil {
			return nil
		}
		last = err
		wait, retry := c.retry.decide(err, attempt)
		if !retry {
			break
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			c.logger.WarnContext(ctx, "sharepoint: not retrying: the wait would pass the context deadline",
				"url", target, "wait", wait, "error", err)
			break
		}
		c.logger.WarnContext(ctx, "sharepoint: retrying request", "url", target,
			"attempt", attempt+1, "of", c.retry.max, "wait", wait, "error", err)
		if err := c.retry.sleep(ctx, wait); err != nil {
			return fmt.Errorf("sharepoint: %s %s: %w (while waiting to retry after: %v)", method, target, err, last)
		}
	}
	var spErr *Error
	if errors.As(last, &spErr) && spErr.throttled() && c.retry.max > 0 {
		spErr.retriesExhausted = true
	}
	var re *retryableError
	if errors.As(last, &re) {
		return re.err
	}
	return last
}

// attempt makes one request. Errors that may go away on a retry are
// *Error with a retryable status or *retryableError.
func (c *Client) attempt(ctx context.Context, method, target string, handle func(*http.Response) error) error {
	return c.attemptWith(ctx, method, target, nil, handle)
}

// attemptWith is attempt with an optional request body and headers (a
// write, see writes.go); nil sends a bodiless request.
func (c *Client) attemptWith(ctx context.Context, method, target string, wb *writeBody, handle func(*http.Response) error) error {
	parent := ctx
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, wb.reader())
	if err != nil {
		return &notSentError{fmt.Errorf("sharepoint: building request for %s: %w", target, err)}
	}
	req.Header.Set("Accept", "application/json;odata=nometadata")
	req.Header.Set("User-Agent", c.userAgent)
	wb.setHeaders(req)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		err = fmt.Errorf("sharepoint: %s %s: %w", method, target, unwrapURLError(err))
		switch {
		case parent.Err() != nil:
			return err // the caller gave up: final
		case ctx.Err() != nil, isTransient(err):
			// Our own per-request timeout (WSTimeout) or a network
			// fault: another attempt may succeed.
			return &retryableError{err: err}
		}
		return err
	}
	defer resp.Body.Close()
	c.logger.DebugContext(ctx, "sharepoint: request", "method", method, "url", target,
		"status", resp.StatusCode, "duration", time.Since(start))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		e := parseError(resp.StatusCode, method, target, body)
		e.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return e
	}
	return handle(resp)
}

// unwrapURLError drops *url.Error's "Get "<url>": " prefix, which the
// caller's message already carries, and keeps the cause (auth errors
// included) reachable with errors.Is/As.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// sameOrigin reports whether target has the site's scheme, host and port:
// the only place a next link may lead, since the request carries the
// bearer token.
func (c *Client) sameOrigin(target string) bool {
	u, err := url.Parse(target)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Scheme+"://"+u.Host, c.origin)
}

// metadataCache holds lists and fields for a TTL; concurrent first uses of
// a key share one fetch.
type metadataCache struct {
	ttl     time.Duration
	life    context.Context // the client's lifetime: fetches run on it
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	ready   chan struct{} // closed when val/err are set
	val     any
	err     error
	fetched time.Time
	// waiters counts the callers waiting for an unfinished fetch (under
	// metadataCache.mu); when the last one gives up, cancel stops it.
	waiters int
	cancel  context.CancelFunc
}

// get returns the cached value for key, fetching it (once, however many
// goroutines ask at the same time) when missing or older than the TTL.
// The fetch runs on its own goroutine on the client's lifetime, not on
// ctx, so one caller giving up does not fail the others waiting for the
// same fetch; each caller stops waiting when its own ctx ends. When the
// last waiting caller gives up, the fetch is cancelled and forgotten, so
// a fetch stuck on a hung connection cannot hold up every later caller:
// the next one starts afresh. Client.Close ends any fetch. Failures are
// not cached.
func (m *metadataCache) get(ctx context.Context, key string, fetch func(context.Context) (any, error)) (any, error) {
	m.mu.Lock()
	if m.entries == nil {
		m.entries = make(map[string]*cacheEntry)
	}
	e, ok := m.entries[key]
	if ok {
		select {
		case <-e.ready:
			if e.err != nil || time.Since(e.fetched) > m.ttl {
				ok = false
			}
		default: // a fetch is under way: wait for it below
		}
	}
	if !ok {
		fetchCtx, cancel := context.WithCancel(m.life)
		e = &cacheEntry{ready: make(chan struct{}), cancel: cancel}
		m.entries[key] = e
		go m.run(fetchCtx, key, e, fetch)
	}
	e.waiters++
	m.mu.Unlock()
	select {
	case <-e.ready:
		m.mu.Lock()
		e.waiters--
		m.mu.Unlock()
		return e.val, e.err
	case <-ctx.Done():
		m.mu.Lock()
		e.waiters--
		if e.waiters == 0 {
			select {
			case <-e.ready:
			default: // nobody wants it any more: stop it and forget it
				e.cancel()
				if m.entries[key] == e {
					delete(m.entries, key)
				}
			}
		}
		m.mu.Unlock()
		return nil, ctx.Err()
	}
}

// run performs one fetch for get and publishes its result.
func (m *metadataCache) run(ctx context.Context, key string, e *cacheEntry, fetch func(context.Context) (any, error)) {
	e.val, e.err = fetch(ctx)
	e.fetched = time.Now()
	close(e.ready)
	e.cancel() // release the context's resources
	if e.err != nil {
		m.mu.Lock()
		if m.entries[key] == e {
			delete(m.entries, key)
		}
		m.mu.Unlock()
	}
}

// invalidate drops key, or everything when key is "".
func (m *metadataCache) invalidate(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if key == "" {
		m.entries = nil
		return
	}
	delete(m.entries, key)
}
