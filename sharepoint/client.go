// Package sharepoint is a client for the SharePoint Online REST API (the
// /_api endpoints of one site): list metadata and list items, read page by
// page in bounded memory, with retries for throttling and faults, and
// SharePoint's errors turned into ones a user understands; item writes,
// one by one or through $batch, each failure of which says whether the
// write was applied, not applied or is in doubt (see ErrWriteInDoubt). It
// knows nothing of database/sql; the spsql driver builds on it.
//
// # What the client trusts
//
// An answer is taken for the site's only when it comes from the site's
// origin (the scheme, host and port of its URL) and has the shape asked
// for; otherwise the read fails with an error naming what came back —
// never a short result. Every paged collection (list items, whole or in
// ID slices, and the lists and fields metadata) is read by one paging
// loop whose guards are:
//
//   - each page is a page: a "value" array (nometadata, minimalmetadata,
//     OData v4) or a verbose "d":{"results":[…]}; a JSON object without
//     one — {} or an error object under HTTP 200 — is an error;
//   - a page of items holds no more items than its $top asked for;
//   - an answer is read up to a size bound, and refused beyond it: by
//     default $top × (selected columns + 1) × 32 KiB, at least
//     MinPageBytes (32 MiB), which is also the bound on a metadata answer;
//     WithMaxPageBytes sets another;
//   - a next link is followed only to the site's origin, and never back to
//     a page already read;
//   - at most MaxEmptyPages pages in a row may come without items but with
//     a next link (SharePoint may send such pages), with a growing pause
//     before each after the first;
//   - redirects are followed only by reads, and only within the site's
//     origin; a write is never sent on to a redirect's target (ErrRedirect).
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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/internal/redact"
)

// DefaultUserAgent identifies the driver to SharePoint, which asks callers
// to decorate their traffic ("NONISV|Company|App/1.0") so that throttling
// can be attributed (docs/sharepoint.md §10.3).
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
	redactor  Redactor
	pageSize  int
	retry     retryPolicy
	meta      metadataCache
	// maxPageBytes, when above 0, bounds every answer's size instead of
	// the bound computed from the page's $top and columns.
	maxPageBytes int64
	// appOnly: the tokens are app-only (apponly.go).
	appOnly bool
	// life ends when the client is closed: shared metadata fetches, which
	// outlive the caller that started them, run on it.
	life context.Context
	stop context.CancelFunc
	// pacer, when set, gates every request (pacer.go).
	pacer *Pacer
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
// which are never logged, and text from the server passes through the
// client's Redactor first.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.logger = l } }

// Redactor removes secrets from text. auth.RefreshTokenSource is one: it
// knows every token it obtained.
type Redactor interface {
	Redact(text string) string
}

// WithRedactor sets what removes secrets from the text of SharePoint's
// answers — error bodies, HTML error pages, headers — before it reaches an
// error or a log record: proxies, WAFs and some error pages echo the
// request they refused, Authorization header included. Without it (or with
// nil), anything shaped like a JWT or a bearer credential is still removed,
// but an opaque token is not; give the token source (or the set of secrets
// the program shares with it) to remove those too.
func WithRedactor(r Redactor) Option {
	return func(c *Client) {
		if r != nil {
			c.redactor = r
		}
	}
}

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

// WithMaxPageBytes bounds the size of every answer the client reads (a
// page of items or of metadata, decompressed) to n bytes, instead of the
// default: $top × (selected columns + 1) × 32 KiB for a page of items, at
// least MinPageBytes, and MinPageBytes for anything else. A larger answer
// is refused, and the read fails, once n bytes were read: raise it for
// lists whose items hold very long texts; lower it to hold less memory
// against a misbehaving server. n <= 0 keeps the default.
func WithMaxPageBytes(n int64) Option {
	return func(c *Client) {
		if n > 0 {
			c.maxPageBytes = n
		}
	}
}

// WithMetadataTTL sets how long list and field metadata is cached.
func WithMetadataTTL(d time.Duration) Option { return func(c *Client) { c.meta.ttl = d } }

// NewClient returns a client for the site at siteURL (e.g.
// https://corp.sharepoint.com/sites/x). httpClient carries the
// authentication (see package auth); nil means http.DefaultClient. Each
// request goes through a copy of httpClient whose redirect policy is
// narrowed: a write follows no redirect, and a read none that leaves the
// site's origin (see ErrRedirect); other redirects are left to
// httpClient's own CheckRedirect. httpClient itself is not modified.
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
		redactor:  redact.New(),
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

// getBytes GETs target with retries and returns the whole body, up to
// the size bound of an answer that is not a page of items. A body cut
// short is a retryable failure like a 503: the request is simply made
// again.
func (c *Client) getBytes(ctx context.Context, target string) ([]byte, error) {
	return c.download(ctx, target, nil, c.metadataLimits().bytes)
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
				"url", c.logText(target), "wait", wait, "error", err)
			break
		}
		c.logger.WarnContext(ctx, "sharepoint: retrying request", "url", c.logText(target),
			"attempt", attempt+1, "of", c.retry.max, "wait", wait, "error", err)
		if err := c.retry.sleep(ctx, c.pacedRetryWait(last, wait)); err != nil {
			return fmt.Errorf("sharepoint: %s %s: %w (while waiting to retry after: %v)", method, target, err, last)
		}
	}
	var spErr *Error
	if errors.As(last, &spErr) && spErr.throttled() && c.retry.max > 0 {
		spErr.retriesExhausted = true
	}
	var re *retryableError
	if errors.As(last, &re) {
		return c.redactErr(re.err) // what errors.As found may lie under a redacted wrapper
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
	// The pacer's waits come before the request's own timeout starts.
	ticket, err := c.pace(ctx, method, target, wb)
	if err != nil {
		return &notSentError{err}
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, wb.reader())
	if err != nil {
		c.paced(ctx, ticket, nil)
		return &notSentError{fmt.Errorf("sharepoint: building request for %s: %w", target, err)}
	}
	req.Header.Set("Accept", "application/json;odata=nometadata")
	req.Header.Set("User-Agent", c.userAgent)
	wb.setHeaders(req)
	start := time.Now()
	resp, err := c.narrowRedirects(c.http).Do(req)
	c.paced(ctx, ticket, resp)
	if err != nil {
		// A proxy's refusal, a dial or TLS error: no server text is
		// expected here, but a proxy may put some in (and an error may
		// quote a URL a server sent).
		var unreachable *auth.UnreachableError
		if errors.As(err, &unreachable) {
			// The token endpoint: the token source has retried already.
			return unreachable
		}
		err = c.redactErr(fmt.Errorf("sharepoint: %s %s: %w", method, target, unwrapURLError(err)))
		switch {
		case parent.Err() != nil:
			return err // the caller gave up: final
		case ctx.Err() == nil && isUnreachable(err):
			// Nothing listens at the site's address: retried only
			// briefly (see retryPolicy.decide), then reported as such.
			return &retryableError{err: &auth.UnreachableError{Prefix: "sharepoint", What: "the SharePoint site",
				Property: "ServiceURL", URL: auth.EndpointText(c.site), Err: err}}
		case ctx.Err() != nil, isTransient(err):
			// Our own per-request timeout (WSTimeout) or a network
			// fault: another attempt may succeed.
			return &retryableError{err: err}
		}
		return err
	}
	defer resp.Body.Close()
	c.logger.DebugContext(ctx, "sharepoint: request", "method", method, "url", c.logText(target),
		"status", resp.StatusCode, "duration", time.Since(start))
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return c.redirectError(resp, method, target)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		e := c.serverError(resp.StatusCode, method, target, body)
		e.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return e
	}
	// What handle reports may quote the answer (a header, a part of the
	// body): redacted like an error body.
	return c.redactErr(handle(resp))
}

// redactErr returns err with the client's Redactor applied to its text;
// errors.Is and errors.As still see err.
func (c *Client) redactErr(err error) error { return redact.Error(c.redactor, err) }

// logText is text for a log record, redacted only if the record is
// written: most loggers discard Debug records, and every request logs one.
func (c *Client) logText(text string) slog.LogValuer { return redactedText{c.redactor, text} }

type redactedText struct {
	r    Redactor
	text string
}

func (t redactedText) LogValue() slog.Value { return slog.StringValue(t.r.Redact(t.text)) }

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

// maxRedirects is how many redirects a read follows within the site's
// origin when the caller's http.Client has no CheckRedirect of its own
// (net/http's default is the same).
const maxRedirects = 10

// narrowRedirects returns a copy of hc, made for each request so that it
// sees hc as it is then, whose CheckRedirect refuses every
// redirect of a write (any method but GET and HEAD: POST, and the MERGE,
// PATCH and DELETE that travel as POST with X-HTTP-Method, and $batch) and
// every redirect to another origin than the site's, whatever hc's own
// policy, which decides the rest. A refused redirect is not followed: its
// answer comes back to attemptWith, which turns it into an *Error matching
// ErrRedirect. The copy shares hc's Transport and Jar.
//
// A write is never sent on because the site did not apply it: it answered
// with a redirect instead, and sending the write to wherever that points —
// another host above all — could apply it there, or twice. A read is
// followed within the origin only: an answer from elsewhere is not the
// site's, whatever it says.
func (c *Client) narrowRedirects(hc *http.Client) *http.Client {
	narrowed := *hc
	own := hc.CheckRedirect
	narrowed.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if m := via[0].Method; (m != http.MethodGet && m != http.MethodHead) || !c.sameOrigin(req.URL.String()) {
			return http.ErrUseLastResponse
		}
		if own != nil {
			return own(req, via)
		}
		if len(via) >= maxRedirects {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return &narrowed
}

// redirectError turns a redirect the client did not follow into an *Error
// matching ErrRedirect. It names where the redirect pointed by its origin
// alone: its path and query may carry anything.
func (c *Client) redirectError(resp *http.Response, method, target string) *Error {
	where := "nowhere (no Location header)"
	if loc, err := resp.Location(); err == nil {
		where = loc.Scheme + "://" + loc.Host
	}
	e := &Error{StatusCode: resp.StatusCode, Method: method, URL: target}
	switch {
	case method != http.MethodGet && method != http.MethodHead:
		e.Message = "the server redirected the write to " + where + "; the site did not apply it (it answered with a redirect instead) and the client did not send it on: a write never follows a redirect. Check that the ServiceURL is the site's own address"
	case !strings.EqualFold(where, c.origin):
		e.Message = "the server redirected the request to " + where + ", another origin than the site's (" + c.origin + "); the client does not follow it: an answer from there is not the site's. Check that the ServiceURL is the site's own address"
	default:
		e.Message = "the server redirected the request within the site, and the redirects did not end (" + strconv.Itoa(maxRedirects) + " followed) or the HTTP client's redirect policy stopped them"
	}
	return e
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
