package conformance_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/internal/conformance"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func TestKitPassesAgainstTheEmulator(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{TimeZone: "Europe/Berlin"})
	defer srv.Close()
	cfg, open := opener(t, srv)
	c, err := spsql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	var out bytes.Buffer
	res, err := conformance.Run(context.Background(), conformance.Config{DB: db, Open: open, Schema: c.(*spsql.Connector).SharePoint(), Out: &out})
	if err != nil || !res.OK() || res.Skipped != 1 {
		t.Fatalf("%v %v, want only --large skipped:\n%s", res, err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; last != res.String() {
		t.Errorf("last line %q, want the summary %q", last, res)
	}
	if !strings.Contains(out.String(), "ok   read/small-pages-every-row") {
		t.Error("the small pages were not read")
	}
}

// Past the view threshold (40 here), the whole list is read in ID slices
// and a filter on a column that is not indexed falls back.
func TestKitLargeAgainstTheEmulator(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{}, sptest.WithThreshold(40))
	defer srv.Close()
	cfg, open := opener(t, srv)
	c, err := spsql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	var out bytes.Buffer
	res, err := conformance.Run(context.Background(), conformance.Config{DB: db, Open: open, Schema: c.(*spsql.Connector).SharePoint(), Out: &out, Large: true, LargeCount: 120})
	if err != nil || !res.OK() || !strings.Contains(out.String(), "ok   large/read-all-in-id-slices") {
		t.Fatalf("%v %v\n%s", res, err, out.String())
	}
	sliced := 0
	for _, r := range srv.Requests() {
		if strings.Contains(r.RawQuery, "ID+ge+") || strings.Contains(r.RawQuery, "ID%20ge%20") {
			sliced++
		}
	}
	if sliced < 8 {
		t.Errorf("%d ID-range requests, want the list read in slices", sliced)
	}
}

// opener opens more connections to srv with other page sizes, sharing
// one token source through a token cache file, as the command does.
func opener(t *testing.T, srv *sptest.Server) (*spsql.Config, func(int) (*sql.DB, error)) {
	t.Helper()
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	cfg.TokenCacheFile = filepath.Join(t.TempDir(), "tokens")
	return cfg, func(n int) (*sql.DB, error) {
		other := *cfg
		other.FetchSize = n
		c, err := spsql.NewConnector(&other)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(c), nil
	}
}

// corrupting changes what a site answers to reads of items: the kit must
// notice.
type corrupting struct {
	base     http.RoundTripper
	old, new string
	path     string // the answers changed are to GETs of paths holding this; "/items" when empty
}

func (c corrupting) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	path := c.path
	if path == "" {
		path = "/items"
	}
	if err != nil || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, path) {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte(c.old), []byte(c.new))
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// openKit opens the driver on srv through rt (nil: directly).
func openKit(t *testing.T, srv *sptest.Server, wrap func(http.RoundTripper) http.RoundTripper) (*sql.DB, conformance.Config) {
	t.Helper()
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	var opts []spsql.Option
	if wrap != nil {
		opts = append(opts, spsql.WithHTTPClient(&http.Client{Transport: wrap(http.DefaultTransport)}))
	}
	c, err := spsql.NewConnector(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return db, conformance.Config{DB: db, Schema: c.(*spsql.Connector).SharePoint()}
}

// A site that answers differently from what was written fails the
// checks that read the difference, and the run still cleans up.
func TestKitFailsWhenTheSiteAnswersWrongly(t *testing.T) {
	for _, tc := range []struct{ name, old, new, failing, path string }{
		{"text", `"plain text"`, `"plain texx"`, "FAIL read/every-column-every-row", ""},
		{"number", `"NumV":1.5`, `"NumV":1.25`, "FAIL read/number-", ""},
		{"date", `"WhenV":"2025-03-30T00:30:00Z"`, `"WhenV":"2025-03-30T01:30:00Z"`, "FAIL read/datetime-before-dst-change", ""},
		{"one of 13 lookups", `"L1":{"Title":"beta"}`, `"L1":{"Title":"betx"}`, "FAIL lookups/filter-on-13th-lookup", ""},
		{"a column's type", `"TypeAsString":"Currency"`, `"TypeAsString":"Number"`, "FAIL schema/describe", "/fields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := sptest.NewServer(sptest.Site{TimeZone: "Europe/Berlin"})
			defer srv.Close()
			_, cfg := openKit(t, srv, func(rt http.RoundTripper) http.RoundTripper { return corrupting{rt, tc.old, tc.new, tc.path} })
			var out bytes.Buffer
			cfg.Out = &out
			res, err := conformance.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK() || !strings.Contains(out.String(), tc.failing) {
				t.Errorf("result %v, want %q among:\n%s", res, tc.failing, out.String())
			}
			if left := scratchLists(t, srv); len(left) != 0 {
				t.Errorf("lists left behind: %q", left)
			}
		})
	}
}

// scratchLists are the lists of srv whose titles start with the kit's
// prefix.
func scratchLists(t *testing.T, srv *sptest.Server) []string {
	t.Helper()
	_, cfg := openKit(t, srv, nil)
	lists, err := cfg.Schema.Lists(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range lists {
		if strings.HasPrefix(l.Title, conformance.DefaultPrefix) {
			out = append(out, l.Title)
		}
	}
	return out
}

// Cancelling the run (Ctrl-C) stops it and still deletes its lists;
// --cleanup deletes the leftovers of a run that could not.
func TestKitCleansUpAfterCancelAndLeftovers(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel as soon as the first item write is sent.
	_, cfg := openKit(t, srv, func(rt http.RoundTripper) http.RoundTripper {
		return cancelOn{rt, "$batch", cancel}
	})
	res, err := conformance.Run(ctx, cfg)
	if err == nil {
		t.Errorf("a cancelled run reported no error (%v)", res)
	}
	if left := scratchLists(t, srv); len(left) != 0 {
		t.Errorf("lists left behind after cancel: %q", left)
	}

	_, cfg = openKit(t, srv, nil)
	for _, title := range []string{conformance.DefaultPrefix + "old", conformance.DefaultPrefix + "old-target"} {
		if _, err := cfg.Schema.CreateList(context.Background(), title, ""); err != nil {
			t.Fatal(err)
		}
	}
	deleted, err := conformance.Cleanup(context.Background(), cfg.Schema, "", io.Discard)
	if err != nil || len(deleted) != 2 {
		t.Errorf("Cleanup deleted %q, %v", deleted, err)
	}
	if left := scratchLists(t, srv); len(left) != 0 {
		t.Errorf("lists left behind after Cleanup: %q", left)
	}
}

type cancelOn struct {
	base   http.RoundTripper
	path   string
	cancel func()
}

func (c cancelOn) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, c.path) {
		c.cancel()
	}
	return c.base.RoundTrip(r)
}

// refuseNth answers the nth request whose path holds path with a 500, as
// a site failing halfway through the setup would.
type refuseNth struct {
	base http.RoundTripper
	path string
	n    int
	seen *atomic.Int32
}

func (f refuseNth) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, f.path) && int(f.seen.Add(1)) == f.n {
		body := `{"odata.error":{"code":"-2146232832, Microsoft.SharePoint.SPException","message":{"lang":"en-US","value":"Refused by the test."}}}`
		return &http.Response{StatusCode: http.StatusInternalServerError, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	}
	return f.base.RoundTrip(r)
}

// A setup that fails halfway (the fifth column of the main list refused)
// ends the run with FAIL setup, its error, and no list left behind.
func TestKitCleansUpAfterAFailedSetup(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	var seen atomic.Int32
	_, cfg := openKit(t, srv, func(rt http.RoundTripper) http.RoundTripper { return refuseNth{rt, "createfieldasxml", 6, &seen} })
	var out bytes.Buffer
	cfg.Out = &out
	res, err := conformance.Run(context.Background(), cfg)
	if err == nil || res.OK() || !strings.Contains(out.String(), "FAIL setup: creating column") {
		t.Errorf("%v %v:\n%s", res, err, out.String())
	}
	if !strings.Contains(out.String(), "ok   cleanup/delete-scratch-lists") {
		t.Errorf("no cleanup line:\n%s", out.String())
	}
	if left := scratchLists(t, srv); len(left) != 0 {
		t.Errorf("lists left behind: %q", left)
	}
}

// A connection said to read pages of 2 that reads pages of 1,000 makes
// the paging checks fail, rather than pass without paging.
func TestKitNoticesPagesThatAreNotSmall(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	_, cfg := openKit(t, srv, nil)
	cfg.Open = func(int) (*sql.DB, error) { return sql.Open(spsql.DriverName, srv.ConnString()) }
	var out bytes.Buffer
	cfg.Out = &out
	res, err := conformance.Run(context.Background(), cfg)
	if err != nil || res.OK() || !strings.Contains(out.String(), "FAIL read/small-pages-plan: ") {
		t.Errorf("%v %v:\n%s", res, err, out.String())
	}
}
