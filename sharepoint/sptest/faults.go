package sptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a failure to inject into one SharePoint (_api) request, for
// testing a client's retries and error handling. The zero Fault answers
// normally. Faults apply to requests that passed authentication.
type Fault struct {
	// Status, when not 0, answers with this HTTP status and an odata.error
	// body instead of the real answer.
	Status int
	// RetryAfter is sent as the Retry-After header: seconds ("5") or an
	// HTTP date, as SharePoint sends with 429 and 503 (docs/sharepoint.md §10.1).
	RetryAfter string
	// Code and Message override the error body's code and text.
	Code, Message string
	// Cut sends the real answer's status, headers (with the full
	// Content-Length) and only its first CutAfterBytes bytes (half the body
	// when 0), then drops the connection: a response cut mid-page.
	Cut           bool
	CutAfterBytes int
	// Latency delays the answer; if the client goes away first, the
	// connection is dropped without an answer (and without serving the
	// request, unless Forward).
	Latency time.Duration

	// The faults below are a hostile or broken server's, for testing
	// that a client never takes a wrong answer for a right one.

	// Body, when not nil, answers HTTP 200 with these bytes as a JSON
	// body instead of the real answer: {} or an error object where a page
	// should be, say.
	Body []byte
	// EmptyPage answers with a collection of no items, in the request's
	// format, whose next link names the same request again with a
	// parameter sptestEmpty=<n> added, so that each link is new.
	// SharePoint may answer a page without items that has a next link;
	// given to every request (FailNextWith), it is a server whose pages
	// never end.
	EmptyPage bool
	// SelfNextLink gives the real answer a next link back to the request
	// itself: a paging loop.
	SelfNextLink bool
	// ExtraItems raises the request's $top by this much before it is
	// answered: a page with more items than the client asked for.
	ExtraItems int
	// PadBytes sends the real answer with this many bytes of JSON
	// whitespace before its closing brace, streamed without being held
	// in memory and without a Content-Length: a valid answer far larger
	// than any page. A client that stops reading makes the rest go
	// unsent.
	PadBytes int64
	// RedirectTo answers with a redirect (RedirectStatus; 307 Temporary
	// Redirect when 0) to the request's path and query on this origin
	// ("scheme://host:port"). The server's own URL makes a redirect
	// within the origin, which is then answered normally.
	RedirectTo     string
	RedirectStatus int
	// EchoAuthorization makes the error's message quote the request's
	// Authorization header, bearer token and all, as some proxies, WAFs
	// and error pages do: a client must not pass it on to its user.
	EchoAuthorization bool
	// HTML answers the error as an HTML page (a proxy's or gateway's)
	// instead of SharePoint's JSON.
	HTML bool
	// Forward lets the request through to the site first — a write is
	// applied — and then fails it on the way back as the other fields say:
	// Status answers in place of the real answer, Latency delays it, Reset
	// drops it. It is a gateway or proxy in front of SharePoint that
	// forwarded the request and then failed. SharePoint itself never
	// answers an error for a write it applied, so Forward with Status is
	// meant with Gateway.
	Forward bool
	// Gateway makes a Status answer a gateway's or proxy's, not
	// SharePoint's: GatewayBody (an HTML page; no body at all when empty)
	// instead of an odata.error.
	Gateway     bool
	GatewayBody string
	// Location is sent as the Location header of a Status answer: with a
	// 3xx Status, a redirect.
	Location string
	// Reset drops the connection without any answer: without Forward,
	// before the request's body is read (nothing of it reaches the site);
	// with Forward, after the site has served the request. The request
	// log records its Status as 0.
	Reset bool
}

// spState is the SharePoint side's mutable test state.
type spState struct {
	mu        sync.Mutex
	seq       int           // authenticated _api requests so far
	faults    map[int]Fault // by sequence number
	repeat    *Fault        // FailNextWith: applied to the next repeatN requests
	repeatN   int
	latency   time.Duration
	nextLinks string // origin for next links; "" = the server's
	empties   int    // empty pages sent (Fault.EmptyPage), for their links
	sortCache sortCache
}

// FailRequest makes the nth SharePoint request from now (1 = the next one)
// that passes authentication fail as f says. Several requests may be given
// faults; a later call for the same request replaces the fault.
func (s *Server) FailRequest(n int, f Fault) {
	if n < 1 {
		panic("sptest: FailRequest needs n >= 1")
	}
	s.sp.mu.Lock()
	defer s.sp.mu.Unlock()
	if s.sp.faults == nil {
		s.sp.faults = map[int]Fault{}
	}
	s.sp.faults[s.sp.seq+n] = f
}

// FailNextWith makes each of the next n authenticated SharePoint requests
// fail as f says, e.g. three 429s with Retry-After: 1. Faults set with
// FailRequest take precedence for their request.
func (s *Server) FailNextWith(n int, f Fault) {
	s.sp.mu.Lock()
	defer s.sp.mu.Unlock()
	s.sp.repeat, s.sp.repeatN = &f, n
}

// SetLatency delays every SharePoint answer by d (on top of any Fault's
// Latency); 0 turns it off.
func (s *Server) SetLatency(d time.Duration) {
	s.sp.mu.Lock()
	defer s.sp.mu.Unlock()
	s.sp.latency = d
}

// SetNextLinkOrigin makes paging next links point at origin (scheme, host
// and port, e.g. "http://127.0.0.1:9") instead of the server itself, to test
// that a client refuses to follow a next link to another origin. "" restores
// the default.
func (s *Server) SetNextLinkOrigin(origin string) {
	s.sp.mu.Lock()
	defer s.sp.mu.Unlock()
	s.sp.nextLinks = origin
}

func (s *Server) nextLinkOrigin() string {
	s.sp.mu.Lock()
	defer s.sp.mu.Unlock()
	return s.sp.nextLinks
}

// ClearFaults drops every fault set with FailRequest, FailNextWith and
// FailNext that has not fired yet, so that a test can read the site back
// unhindered.
func (s *Server) ClearFaults() {
	s.sp.mu.Lock()
	s.sp.faults, s.sp.repeat, s.sp.repeatN = nil, nil, 0
	s.sp.mu.Unlock()
	s.mu.Lock()
	s.failCount, s.failStatus = 0, 0
	s.mu.Unlock()
}

// takeFault returns the fault for the request now arriving, counting it.
// legacy is FailNext's status, which applies when no Fault does.
// ok reports whether a fault was set for the request.
func (s *Server) takeFault(legacy int) (f Fault, latency time.Duration, ok bool) {
	s.sp.mu.Lock()
	defer s.sp.mu.Unlock()
	s.sp.seq++
	f, ok = s.sp.faults[s.sp.seq]
	delete(s.sp.faults, s.sp.seq)
	if !ok && s.sp.repeatN > 0 {
		f, ok = *s.sp.repeat, true
		s.sp.repeatN--
	}
	if !ok && legacy != 0 {
		f, ok = Fault{Status: legacy}, true
	}
	return f, s.sp.latency, ok
}

// serveWithFaults answers r with serve, applying the request's fault;
// faulted is called, before anything is written, when there is one.
func (s *Server) serveWithFaults(w http.ResponseWriter, r *http.Request, legacyStatus int, faulted func(), serve func(http.ResponseWriter)) {
	f, latency, ok := s.takeFault(legacyStatus)
	if ok {
		faulted()
	}
	// served is the site's real answer when the fault lets the request
	// through before failing it (Forward).
	var served *recordingWriter
	if f.Forward {
		served = &recordingWriter{header: http.Header{}, status: http.StatusOK}
		serve(served)
	}
	if f.Reset && !f.Forward {
		dropConnection(w) // before the body is read: nothing reaches the site
	}
	if d := latency + f.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			// The client went away. Returning would make net/http send
			// an empty 200, which a client still reading (a TLS
			// close_notify races with it) could take for an answer.
			t.Stop()
			dropConnection(w)
		}
	}
	if f.Reset {
		dropConnection(w)
	}
	if f.Status != 0 {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if f.Location != "" {
			w.Header().Set("Location", f.Location)
		}
		if f.Gateway {
			if f.GatewayBody != "" {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
			}
			w.WriteHeader(f.Status)
			_, _ = io.WriteString(w, f.GatewayBody)
			return
		}
		format, _ := negotiate(r)
		code, msg := f.Code, f.Message
		if code == "" {
			code = "-2147024860, Microsoft.SharePoint.SPException"
			if f.Status == http.StatusTooManyRequests || f.Status == http.StatusServiceUnavailable {
				code = "-2147024860, Microsoft.SharePoint.SPServerTooBusyException"
			}
		}
		if msg == "" {
			msg = fmt.Sprintf("sptest: injected failure (HTTP %d).", f.Status)
		}
		echo := ""
		if f.EchoAuthorization {
			echo = "Authorization: " + r.Header.Get("Authorization")
		}
		if f.HTML {
			// The echoed header comes first, where a client's excerpt
			// of the page would keep it.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(f.Status)
			fmt.Fprintf(w, "<html><body><h1>%d %s</h1>\n<pre>%s</pre>\n<p>%s</p>\n</body></html>\n",
				f.Status, http.StatusText(f.Status), html.EscapeString(echo), html.EscapeString(msg))
			return
		}
		if echo != "" {
			msg += " Request headers: " + echo
		}
		writeError(w, format, &apiError{f.Status, code, msg})
		return
	}
	switch {
	case f.RedirectTo != "":
		status := f.RedirectStatus
		if status == 0 {
			status = http.StatusTemporaryRedirect
		}
		w.Header().Set("Location", strings.TrimRight(f.RedirectTo, "/")+r.URL.RequestURI())
		w.WriteHeader(status)
		return
	case f.Body != nil:
		w.Header().Set("Content-Type", "application/json;odata=nometadata;charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(f.Body)
		return
	case f.EmptyPage:
		s.sp.mu.Lock()
		s.sp.empties++
		n := s.sp.empties
		s.sp.mu.Unlock()
		format, _ := negotiate(r)
		next := selfURL(r) + "&sptestEmpty=" + strconv.Itoa(n)
		if r.URL.RawQuery == "" {
			next = selfURL(r) + "?sptestEmpty=" + strconv.Itoa(n)
		}
		format.setHeaders(w)
		w.WriteHeader(http.StatusOK)
		b := appendCollectionStart(nil, format, s.ServiceURL(), "SP.ListData.EmptyItems", next)
		_, _ = w.Write(appendCollectionEnd(b, format, next))
		return
	}
	if f.ExtraItems > 0 {
		q := r.URL.Query()
		top, err := strconv.Atoi(q.Get("$top"))
		if err != nil {
			top = 100 // SharePoint's default page
		}
		q.Set("$top", strconv.Itoa(top+f.ExtraItems))
		r.URL.RawQuery = q.Encode()
	}
	if !f.Cut && !f.SelfNextLink && f.PadBytes == 0 && served == nil {
		serve(w)
		return
	}
	rec := served
	if rec == nil {
		rec = &recordingWriter{header: http.Header{}, status: http.StatusOK}
		serve(rec)
	}
	body := rec.body.Bytes()
	if f.SelfNextLink {
		body = withNextLink(r, body, selfURL(r))
		rec.header.Del("Content-Length")
	}
	if !f.Cut {
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		if f.PadBytes == 0 {
			w.WriteHeader(rec.status)
			_, _ = w.Write(body)
			return
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.status)
		end := bytes.LastIndexByte(body, '}')
		if end < 0 {
			end = len(body)
		}
		if _, err := w.Write(body[:end]); err != nil {
			return
		}
		pad := bytes.Repeat([]byte{' '}, 64<<10)
		for left := f.PadBytes; left > 0; left -= int64(len(pad)) {
			if _, err := w.Write(pad[:min(left, int64(len(pad)))]); err != nil {
				return // the client went away
			}
		}
		_, _ = w.Write(body[end:])
		return
	}
	n := f.CutAfterBytes
	if n <= 0 || n >= len(body) {
		n = len(body) / 2
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.status)
	_, _ = w.Write(body[:n])
	_ = http.NewResponseController(w).Flush()
	// Aborting the handler makes net/http close the connection without
	// finishing the body: the client sees an unexpected EOF mid-page.
	panic(http.ErrAbortHandler)
}

// selfURL is the absolute URL r was sent to.
func selfURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// withNextLink returns a collection answer with its next link set to
// next, under the key of the request's format: "odata.nextLink",
// "@odata.nextLink" (OData v4) or verbose "d"."__next". A body that is
// not a JSON object is returned as it is.
func withNextLink(r *http.Request, body []byte, next string) []byte {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return body
	}
	link, _ := json.Marshal(next)
	format, _ := negotiate(r)
	switch {
	case format.verbose:
		var d map[string]json.RawMessage
		if json.Unmarshal(top["d"], &d) != nil {
			return body
		}
		d["__next"] = link
		top["d"], _ = json.Marshal(d)
	case format.v4:
		top["@odata.nextLink"] = link
	default:
		top["odata.nextLink"] = link
	}
	out, err := json.Marshal(top)
	if err != nil {
		return body
	}
	return out
}

// dropConnection ends the request without an answer: net/http closes the
// connection of a handler that panics with http.ErrAbortHandler. The
// request log records the request with Status 0.
func dropConnection(w http.ResponseWriter) {
	if sw, ok := w.(*statusWriter); ok {
		sw.status = 0
	}
	panic(http.ErrAbortHandler)
}

// recordingWriter captures a whole answer so that a fault can cut it.
type recordingWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recordingWriter) Header() http.Header         { return w.header }
func (w *recordingWriter) WriteHeader(status int)      { w.status = status }
func (w *recordingWriter) Write(b []byte) (int, error) { return w.body.Write(b) }
