package sptest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
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
	// HTTP date, as SharePoint sends with 429 and 503 (reference §4).
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

	// Forward lets the request through to the site first — a write is
	// applied — and then fails it on the way back as the other fields say:
	// Status answers in place of the real answer, Latency delays it, Reset
	// drops it. It is a gateway or proxy in front of SharePoint that
	// forwarded the request and then failed. SharePoint itself never
	// answers an error for a write it applied, so Forward with Status is
	// meant with Gateway.
	Forward bool
	// Gateway makes a Status answer a gateway's or proxy's, not
	// SharePoint's: Body (an HTML page; no body at all when empty) instead
	// of an odata.error.
	Gateway bool
	Body    string
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
func (s *Server) takeFault(legacy int) (Fault, time.Duration) {
	s.sp.mu.Lock()
	defer s.sp.mu.Unlock()
	s.sp.seq++
	f, ok := s.sp.faults[s.sp.seq]
	delete(s.sp.faults, s.sp.seq)
	if !ok && s.sp.repeatN > 0 {
		f, ok = *s.sp.repeat, true
		s.sp.repeatN--
	}
	if !ok && legacy != 0 {
		f = Fault{Status: legacy}
	}
	return f, s.sp.latency
}

// serveWithFaults answers r with serve, applying the request's fault.
func (s *Server) serveWithFaults(w http.ResponseWriter, r *http.Request, legacyStatus int, serve func(http.ResponseWriter)) {
	f, latency := s.takeFault(legacyStatus)
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
			if f.Body != "" {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
			}
			w.WriteHeader(f.Status)
			_, _ = io.WriteString(w, f.Body)
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
		writeError(w, format, &apiError{f.Status, code, msg})
		return
	}
	if !f.Cut && served == nil {
		serve(w)
		return
	}
	rec := served
	if rec == nil {
		rec = &recordingWriter{header: http.Header{}, status: http.StatusOK}
		serve(rec)
	}
	body := rec.body.Bytes()
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	if !f.Cut {
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
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
