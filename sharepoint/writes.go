package sharepoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-spsql/spsql/auth"
)

// Values are the fields of one item to write, keyed by entity property
// name (EntityPropertyName; "XId" for a lookup's or person's item ID).
// Values are string, int64, float64, bool, time.Time (sent in UTC),
// []string (MultiChoice), []int64 (LookupMulti/UserMulti IDs), URLValue
// (Hyperlink) or nil (clears the field).
type Values map[string]any

// Outcomes of a write. A write — CreateItem, UpdateItem, DeleteItem, or
// one operation of Batch — ends applied, not applied, or in doubt; in
// doubt only when bytes of it may have reached SharePoint and no answer
// says what became of it. Each way a write can fail is classed so:
//
//	what happened                                        outcome      retried
//	a 2xx answer (a create whose answer is cut before
//	  giving the new ID: ErrCreatedIDUnknown)            applied      -
//	the request could not be built; the context ended
//	  before it was sent                                 not applied  no
//	no access token: the token endpoint failing, the
//	  refresh token revoked, the context ending while
//	  waiting for a token (auth.TokenError)              not applied  no
//	401, and no new token could be obtained
//	  (auth.TokenError)                                  not applied  no
//	no connection: refused, unreachable, DNS, a failed
//	  TLS handshake or certificate                       not applied  dial errors
//	a connection, but nothing of the request written
//	  to it before it failed or the context ended        not applied  if transient
//	a 4xx answer (400, 401, 403, 404, 412, 429 …)        not applied  429 with Retry-After
//	503 with Retry-After (throttled)                     not applied  yes, after it
//	a 5xx answer with SharePoint's own error body
//	  (odata.error or error, with a "<hresult>, <type>"
//	  code)                                              not applied  no
//	a redirect 301, 302, 307 or 308 (never followed)     not applied  no
//	a 5xx answer without SharePoint's error body (a
//	  gateway's or proxy's HTML page, an empty body),
//	  303 See Other and any other redirect               in doubt     no
//	some of the request written, then a reset, a time-
//	  out, the context ending, or an answer that ends
//	  before its status                                  in doubt     no
//	$batch: operations whose parts are missing from a
//	  2xx answer (cut, or not multipart)                 in doubt     no
//
// What to do: a write not applied can be run again once the cause is
// fixed; a write in doubt must be looked for in the list before it is run
// again. A failed single write matches ErrWriteNotApplied or
// ErrWriteInDoubt (errors.Is) and says which in its text; a Batch reports
// each operation (OpResult, BatchError).
//
// Why: SharePoint authenticates (401) and throttles (429, or 503 with
// Retry-After) a request before acting on it, and answers an operation
// that failed with its OData error body. A gateway or proxy in front of
// it — a load balancer, a corporate proxy — may forward a write and then
// fail on the way back (502 Bad Gateway and 504 Gateway Timeout say an
// inbound server gave no valid answer in time, RFC 9110 §15.6), so a 5xx
// without SharePoint's own error says nothing about the write. 301, 302,
// 307 and 308 say the resource is elsewhere (RFC 9110 §15.4); 303 may
// follow a request that was processed. A redirect is classed by its status
// only when it reaches doWrite as an *Error (CheckRedirect answering
// http.ErrUseLastResponse); refused by any other error, it is in doubt.
// Whether any of a request was written to a connection comes from
// net/http's client trace (GotConn, WroteHeaderField); for a transport
// that does not report it, anything but a dial error counts as possibly
// sent.
var (
	// ErrWriteInDoubt matches (errors.Is) a write that may or may not
	// have been applied: some of the request may have reached SharePoint,
	// and no answer said what happened to it (the connection broke, the
	// answer was cut before its status, the time ran out, or a gateway
	// answered an error of its own). Such a write is never retried by the
	// client: read the list to find out before writing it again.
	ErrWriteInDoubt = errors.New("sharepoint: the write may or may not have been applied")

	// ErrWriteNotApplied matches (errors.Is) a write that was not
	// applied: it never reached SharePoint, or SharePoint answered that it
	// did not act on it. Running it again once the cause is fixed cannot
	// apply it twice.
	ErrWriteNotApplied = errors.New("sharepoint: the write was not applied")

	// ErrCreatedIDUnknown matches (errors.Is) a create that SharePoint
	// applied (it answered 2xx) but whose answer ended before the new
	// item's ID could be read. The item exists: it must not be created
	// again.
	ErrCreatedIDUnknown = errors.New("sharepoint: the item was created, but its ID is unknown")
)

// writeFailure is a failed write and its outcome: not applied, or in
// doubt. Its text says which, and what the user should do.
type writeFailure struct {
	err     error
	inDoubt bool
}

func (e *writeFailure) Error() string {
	if e.inDoubt {
		return e.err.Error() + "; the write is IN DOUBT: it may have reached SharePoint and no answer says whether it was applied; it was not retried: check the list before running it again"
	}
	return e.err.Error() + "; the write was not applied: nothing was changed, and it can be run again once the cause is fixed"
}

func (e *writeFailure) Unwrap() []error {
	if e.inDoubt {
		return []error{e.err, ErrWriteInDoubt}
	}
	return []error{e.err, ErrWriteNotApplied}
}

// notApplied marks err, a failure before any request of a write was made
// (its metadata could not be read, a value could not be encoded), as not
// applied.
func notApplied(err error) error {
	var wf *writeFailure
	if errors.As(err, &wf) {
		return err
	}
	return &writeFailure{err: err}
}

// notSentError is a request that never left: it could not be built.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// Writes are sent in the verbose JSON format (docs/sharepoint.md §11.2): its shape is
// the documented one — "__metadata":{"type": ListItemEntityTypeFullName},
// multi-values as {"results":[…]}, Hyperlinks as SP.FieldUrlValue — while
// the JSON-light array forms for multi-values are not confirmed. Answers
// are asked for in nometadata, as for reads. Values travel in the body
// only: list titles reach the URL through ListPath's escaping, item IDs
// as integers, so no value can change which endpoint is addressed.
const verboseJSON = "application/json;odata=verbose"

// writeBody is the body and extra headers of a write request.
type writeBody struct {
	contentType string
	body        []byte
	headers     map[string]string
	// parts is the number of operations in a $batch, 0 otherwise: each
	// counts against the throttling budget (pacer.go).
	parts int
}

func (wb *writeBody) reader() io.Reader {
	if wb == nil {
		return nil
	}
	return bytes.NewReader(wb.body)
}

func (wb *writeBody) setHeaders(req *http.Request) {
	if wb == nil {
		return
	}
	req.Header.Set("Content-Type", wb.contentType)
	for k, v := range wb.headers {
		req.Header.Set(k, v)
	}
}

// EntityType returns the list's ListItemEntityTypeFullName
// ("SP.Data.TasksListItem"), which a verbose write body must name;
// cached like the list's fields.
func (c *Client) EntityType(ctx context.Context, list string) (string, error) {
	key := "entitytype\x00" + strings.ToLower(list)
	v, err := c.meta.get(ctx, key, func(ctx context.Context) (any, error) {
		var l List
		if err := c.getJSON(ctx, ListPath(list)+"?$select=ListItemEntityTypeFullName", &l); err != nil {
			return nil, err
		}
		if l.ListItemEntityTypeFullName == "" {
			return nil, fmt.Errorf("sharepoint: list %q has no ListItemEntityTypeFullName; it cannot be written", list)
		}
		return l.ListItemEntityTypeFullName, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// encodeItem renders an item body in the verbose format. Keys are sorted
// so that bodies are reproducible.
func encodeItem(entityType string, v Values) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"__metadata":{"type":`)
	writeJSONString(&b, entityType)
	b.WriteString("}")
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteByte(',')
		writeJSONString(&b, k)
		b.WriteByte(':')
		if err := encodeValue(&b, v[k]); err != nil {
			return nil, fmt.Errorf("sharepoint: field %s: %w", k, err)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	out, _ := json.Marshal(s) // a string always marshals
	b.Write(out)
}

func encodeValue(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeJSONString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		out, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(out)
	case time.Time:
		writeJSONString(b, x.UTC().Format("2006-01-02T15:04:05Z"))
	case []string:
		b.WriteString(`{"__metadata":{"type":"Collection(Edm.String)"},"results":[`)
		for i, s := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, s)
		}
		b.WriteString("]}")
	case []int64:
		b.WriteString(`{"results":[`)
		for i, n := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(n, 10))
		}
		b.WriteString("]}")
	case URLValue:
		b.WriteString(`{"__metadata":{"type":"SP.FieldUrlValue"},"Url":`)
		writeJSONString(b, x.URL)
		b.WriteString(`,"Description":`)
		writeJSONString(b, x.Description)
		b.WriteByte('}')
	default:
		return fmt.Errorf("cannot write a %T", v)
	}
	return nil
}

// CreateItem adds an item to list (POST …/items) and returns its ID. A
// failure matches ErrWriteNotApplied or ErrWriteInDoubt, except when the
// item was created and only its ID is unknown (ErrCreatedIDUnknown).
func (c *Client) CreateItem(ctx context.Context, list string, v Values) (int, error) {
	et, err := c.EntityType(ctx, list)
	if err != nil {
		return 0, notApplied(err)
	}
	body, err := encodeItem(et, v)
	if err != nil {
		return 0, notApplied(err)
	}
	var id int
	err = c.doWrite(ctx, http.MethodPost, c.apiURL(ListPath(list)+"/items"),
		&writeBody{contentType: verboseJSON, body: body},
		func(resp *http.Response) error {
			data, err := io.ReadAll(resp.Body)
			if err == nil {
				id, err = createdID(data)
			}
			if err != nil {
				// The 2xx status says the item was created; only the
				// answer naming it was lost.
				return fmt.Errorf("%w (HTTP %d, %v): do not create it again; find it in the list", ErrCreatedIDUnknown, resp.StatusCode, err)
			}
			return nil
		})
	return id, err
}

// createdID reads the new item's ID from a create answer, in any format.
func createdID(data []byte) (int, error) {
	var item struct {
		ID *int `json:"ID"`
		Id *int `json:"Id"` // SharePoint sends both spellings
		D  *struct {
			ID *int `json:"ID"`
			Id *int `json:"Id"`
		} `json:"d"`
	}
	if err := json.Unmarshal(data, &item); err != nil {
		return 0, fmt.Errorf("sharepoint: decoding the new item: %w", err)
	}
	for _, p := range []*int{item.ID, item.Id} {
		if p != nil {
			return *p, nil
		}
	}
	if item.D != nil {
		for _, p := range []*int{item.D.ID, item.D.Id} {
			if p != nil {
				return *p, nil
			}
		}
	}
	return 0, errors.New("sharepoint: the answer to a new item has no ID")
}

// UpdateItem changes the given fields of item id (MERGE semantics, IF-MATCH
// * : the last writer wins, as SQL's UPDATE does). A failure matches
// ErrWriteNotApplied or ErrWriteInDoubt.
func (c *Client) UpdateItem(ctx context.Context, list string, id int, v Values) error {
	et, err := c.EntityType(ctx, list)
	if err != nil {
		return notApplied(err)
	}
	body, err := encodeItem(et, v)
	if err != nil {
		return notApplied(err)
	}
	return c.doWrite(ctx, http.MethodPost, c.itemURL(list, id), &writeBody{
		contentType: verboseJSON, body: body,
		headers: map[string]string{"X-HTTP-Method": "MERGE", "IF-MATCH": "*"},
	}, discardBody)
}

// DeleteItem deletes item id (X-HTTP-Method: DELETE, IF-MATCH: *),
// outright rather than to the recycle bin (…/recycle() would keep it). A
// failure matches ErrWriteNotApplied or ErrWriteInDoubt.
func (c *Client) DeleteItem(ctx context.Context, list string, id int) error {
	return c.doWrite(ctx, http.MethodPost, c.itemURL(list, id), &writeBody{
		contentType: verboseJSON,
		headers:     map[string]string{"X-HTTP-Method": "DELETE", "IF-MATCH": "*"},
	}, discardBody)
}

func (c *Client) itemURL(list string, id int) string {
	return c.apiURL(ListPath(list) + "/items(" + strconv.Itoa(id) + ")")
}

func discardBody(resp *http.Response) error {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	return nil
}

// doWrite sends a request that must not be applied twice. It retries only
// an attempt that was not applied and that another attempt may cure — a
// throttling answer with Retry-After, a connection that could not be
// opened or failed before any of the request was written — and classes
// every other failure as the table at the top of this file says. Its
// error is a *writeFailure, or handle's own error when SharePoint
// answered 2xx (the write was then applied; handle says what else went
// wrong).
func (c *Client) doWrite(ctx context.Context, method, target string, wb *writeBody, handle func(*http.Response) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return &writeFailure{err: fmt.Errorf("sharepoint: %s %s was not sent: %w", method, target, err)}
		}
		trace := &sendTrace{}
		answered := false
		err := c.attemptWith(httptrace.WithClientTrace(ctx, trace.hooks()), method, target, wb, func(resp *http.Response) error {
			answered = true
			return handle(resp)
		})
		if err == nil || answered {
			return err
		}
		var re *retryableError
		if errors.As(err, &re) {
			err = re.err // the marker has done its work; keep the cause
		}
		if writeInDoubt(err, trace) {
			return &writeFailure{err: err, inDoubt: true}
		}
		wait, retry := c.writeRetry(err, re != nil, attempt)
		if !retry {
			return &writeFailure{err: err}
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return &writeFailure{err: err}
		}
		c.logger.WarnContext(ctx, "sharepoint: retrying a write that was not applied", "url", target,
			"attempt", attempt+1, "of", c.retry.max, "wait", wait, "error", err)
		if serr := c.retry.sleep(ctx, c.pacedRetryWait(err, wait)); serr != nil {
			return &writeFailure{err: fmt.Errorf("sharepoint: %s %s: %w (while waiting to retry after: %v)", method, target, serr, err)}
		}
	}
}

// writeRetry is the retry policy for a write attempt that was not
// applied: see doWrite. transient says attemptWith found the failure
// worth another attempt (a network fault, the per-request timeout).
func (c *Client) writeRetry(err error, transient bool, attempt int) (time.Duration, bool) {
	if attempt >= c.retry.max {
		return 0, false
	}
	var spErr *Error
	if errors.As(err, &spErr) {
		if spErr.throttled() && spErr.retryAfter > 0 && spErr.retryAfter <= c.retry.maxRetryAfter {
			return max(spErr.retryAfter, c.retry.backoff(attempt)), true
		}
		return 0, false
	}
	// A connection that could not be opened sent nothing, whatever the
	// reason; other failures are retried when attemptWith found them
	// transient (the trace has shown nothing of the request was written).
	var op *net.OpError
	if transient || (errors.As(err, &op) && op.Op == "dial") {
		return c.retry.backoff(attempt), true
	}
	return 0, false
}

// writeInDoubt classes a failed write attempt (see the table at the top
// of this file): whether bytes of it may have reached SharePoint with no
// answer saying what became of them.
func writeInDoubt(err error, trace *sendTrace) bool {
	var ns *notSentError
	if errors.As(err, &ns) {
		return false
	}
	// The auth transport returns a TokenError when it had no token to send
	// the request with, or when SharePoint answered 401 and no new token
	// could be had: either way SharePoint did not act on the request.
	var te *auth.TokenError
	if errors.As(err, &te) {
		return false
	}
	var spErr *Error
	if errors.As(err, &spErr) {
		return !answeredNotApplied(spErr)
	}
	return trace.mayHaveReached(err)
}

// answeredNotApplied reports an answer that says the write was not
// applied (see the table at the top of this file).
func answeredNotApplied(e *Error) bool {
	switch code := e.StatusCode; {
	case code >= 400 && code <= 499:
		return true
	case code == http.StatusServiceUnavailable && e.retryAfter > 0:
		return true // throttled: refused before it was processed
	case code >= 500:
		return sharePointErrorCode(e.Code)
	case code == http.StatusMovedPermanently, code == http.StatusFound,
		code == http.StatusTemporaryRedirect, code == http.StatusPermanentRedirect:
		return true
	}
	return false
}

// sharePointErrorCode reports whether code has the shape of SharePoint's
// OData error codes, "<hresult>, <exception type>" (e.g. "-2147024860,
// Microsoft.SharePoint.SPException"): the error comes from SharePoint,
// not from a gateway that happens to answer JSON.
func sharePointErrorCode(code string) bool {
	hresult, typ, ok := strings.Cut(code, ", ")
	if !ok || typ == "" || strings.ContainsAny(typ, " ") {
		return false
	}
	_, err := strconv.ParseInt(hresult, 10, 64)
	return err == nil
}

// sendTrace records, from net/http's client trace, how far the latest
// round trip of a write attempt got: whether it had a connection, and
// whether any of the request was written to it. A new round trip (the
// transport's own retry of a request it wrote nothing of, or the auth
// transport's replay after a 401) starts afresh.
type sendTrace struct {
	mu      sync.Mutex
	getConn bool // the transport looked for a connection
	gotConn bool // it had one
	wrote   bool // it began writing the request
}

func (t *sendTrace) hooks() *httptrace.ClientTrace {
	set := func(f func()) {
		t.mu.Lock()
		f()
		t.mu.Unlock()
	}
	return &httptrace.ClientTrace{
		GetConn: func(string) { set(func() { t.getConn, t.gotConn, t.wrote = true, false, false }) },
		GotConn: func(httptrace.GotConnInfo) { set(func() { t.gotConn, t.wrote = true, false }) },
		// Headers go to a buffer first; from the first one on, bytes may
		// be on the wire.
		WroteHeaderField: func(string, []string) { set(func() { t.wrote = true }) },
		WroteHeaders:     func() { set(func() { t.wrote = true }) },
		WroteRequest:     func(httptrace.WroteRequestInfo) { set(func() { t.wrote = true }) },
	}
}

// mayHaveReached reports whether bytes of a request that failed with err
// (and no answer) may have reached the server.
func (t *sendTrace) mayHaveReached(err error) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.gotConn:
		return t.wrote
	case t.getConn:
		return false // no connection was ever had
	}
	// The transport said nothing (it is not net/http's, or it failed
	// before looking for a connection): only a dial error proves that
	// nothing was sent.
	var op *net.OpError
	return !errors.As(err, &op) || op.Op != "dial"
}
