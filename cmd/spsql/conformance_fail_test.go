package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// frontOf serves srv through a front server that may answer a request
// itself (before, which reports that it did) or alter an item read's
// answer (after); it returns srv's connection string pointed at the front.
func frontOf(t *testing.T, srv *sptest.Server, before func(http.ResponseWriter, *http.Request) bool, after func([]byte) []byte) string {
	t.Helper()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if before != nil && before(w, r) {
			return
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if after != nil && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/items") {
			body = after(body)
		}
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(front.Close)
	return strings.ReplaceAll(srv.ConnString(), srv.URL, front.URL)
}

// A check that fails makes the command exit non-zero, after the FAIL line,
// the summary counting it, and the deletion of its lists.
func TestConformanceExitsNonZeroWhenACheckFails(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{TimeZone: "Europe/Berlin", Lists: []sptest.List{{Title: "Existing"}}})
	defer srv.Close()
	before := listTitles(t, srv)
	dsn := frontOf(t, srv, nil, func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`"plain text"`), []byte(`"plain texx"`)) })
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"conformance", "--dsn", dsn}, strings.NewReader(""), &stdout, &stderr)
	out := stdout.String()
	if code == exitOK {
		t.Errorf("exit %d with a failed check\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "conformance: ") || strings.Contains(last, " 0 failed") {
		t.Errorf("last line %q, want the summary counting the failure", last)
	}
	if !strings.Contains(out, "FAIL read/every-column-every-row: ") || !strings.Contains(out, "ok   cleanup/delete-scratch-lists") {
		t.Errorf("output:\n%s", out)
	}
	if after := listTitles(t, srv); strings.Join(after, "|") != strings.Join(before, "|") {
		t.Errorf("lists before %q, after %q", before, after)
	}
}

// Ctrl-C stops the run: the lists are deleted all the same, the command
// says so and exits non-zero.
func TestConformanceCtrlCDeletesTheLists(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Existing"}}})
	defer srv.Close()
	before := listTitles(t, srv)
	interrupts := make(chan os.Signal, 1)
	var sent atomic.Bool
	// Ctrl-C as the first rows are written; the front holds that write
	// until the run gives it up, and drops it.
	dsn := frontOf(t, srv, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.Contains(r.URL.Path, "$batch") || !sent.CompareAndSwap(false, true) {
			return false
		}
		// Read first: the server notices a client gone only once it has
		// the request's body.
		io.Copy(io.Discard, r.Body)
		interrupts <- os.Interrupt
		<-r.Context().Done()
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}, nil)
	var stdout, stderr bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, interrupts: interrupts, terminal: never, now: time.Now}
	code := c.run(context.Background(), []string{"conformance", "--dsn", dsn})
	if code == exitOK || !sent.Load() {
		t.Errorf("exit %d (interrupt sent: %v)\n%s", code, sent.Load(), stdout.String())
	}
	if !strings.Contains(stderr.String(), "conformance cancelled") || !strings.Contains(stdout.String(), "ok   cleanup/delete-scratch-lists") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if after := listTitles(t, srv); strings.Join(after, "|") != strings.Join(before, "|") {
		t.Errorf("lists before %q, after %q", before, after)
	}
}
