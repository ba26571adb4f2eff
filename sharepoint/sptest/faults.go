package sptest

import (
	"bytes"
	"fmt"
	"html"
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
	// Latency delays the answer; the delay ends early if the client goes
	// away.
	Latency time.Duration
	// EchoAuthorization makes the error's message quote the request's
	// Authorization header, bearer token and all, as some proxies, WAFs
	// and error pages do: a client must not pass it on to its user.
	EchoAuthorization bool
	// HTML answers the error as an HTML page (a proxy's or gateway's)
	// instead of SharePoint's JSON.
	HTML bool
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
	if d := latency + f.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if f.Status != 0 {
		format, _ := negotiate(r)
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
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
	if !f.Cut {
		serve(w)
		return
	}
	rec := &recordingWriter{header: http.Header{}, status: http.StatusOK}
	serve(rec)
	body := rec.body.Bytes()
	n := f.CutAfterBytes
	if n <= 0 || n >= len(body) {
		n = len(body) / 2
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.status)
	_, _ = w.Write(body[:n])
	_ = http.NewResponseController(w).Flush()
	// Aborting the handler makes net/http close the connection without
	// finishing the body: the client sees an unexpected EOF mid-page.
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
