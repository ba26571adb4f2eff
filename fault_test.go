package spsql_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// The fault matrix: realistic queries through database/sql while
// the emulator — or a proxy in front of it — misbehaves. Every scenario
// must end with exactly the right rows or an error naming the cause:
// never a short result without an error.

// faultQueries are multi-page reads with filters, orders and limits over
// a 3,000-item list read 50 items a request: each takes at least 9 pages,
// so every injected fault (at request 3 to 6) lands on a page.
var faultQueries = []string{
	"SELECT ID, Title, Amount, Status FROM Big WHERE Status = 'Open' ORDER BY ID",
	"SELECT ID, Amount FROM Big WHERE Amount > 500 ORDER BY Amount DESC LIMIT 700",
	"SELECT ID, Title FROM Big WHERE LOWER(Title) LIKE '%1%' LIMIT 450 OFFSET 20",
}

func faultSite() sptest.Site {
	return sptest.Site{Lists: []sptest.List{{
		Title: "Big",
		Fields: []sptest.Field{
			{Title: "Amount", Type: "Number"},
			{Title: "Status", Type: "Choice", Choices: []string{"Open", "Closed"}},
		},
		Generator: sptest.Synthetic(11, 3000),
	}}}
}

// collectRows runs query and returns its rows as strings.
func collectRows(ctx context.Context, db *sql.DB, query string) ([]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return out, err
		}
		out = append(out, fmt.Sprint(vals...))
	}
	return out, rows.Err()
}

// mangler is a reverse proxy in front of the emulator that rewrites the
// nth items answer: for faults the emulator cannot make itself.
type mangler struct {
	mu     sync.Mutex
	n      int                                           // items answers so far
	at     map[int]func(body []byte, self string) []byte // by answer number; self is the request's URL
	reset  map[int]bool                                  // drop the connection before any header
	target *url.URL
	front  string // the proxy's own origin
	fired  int    // resets and rewrites done
	proxy  *httputil.ReverseProxy
}

func newMangler(target string) *mangler {
	u, _ := url.Parse(target)
	m := &mangler{at: map[int]func([]byte, string) []byte{}, reset: map[int]bool{}, target: u}
	m.proxy = httputil.NewSingleHostReverseProxy(u)
	m.proxy.ErrorLog = log.New(io.Discard, "", 0) // cut connections are the point
	m.proxy.ModifyResponse = func(resp *http.Response) error {
		if !strings.HasSuffix(strings.ToLower(resp.Request.URL.Path), "/items") {
			return nil
		}
		m.mu.Lock()
		m.n++
		f := m.at[m.n]
		front := m.front
		m.mu.Unlock()
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		// Next links carry the emulator's origin; behind a proxy they
		// carry the proxy's, as SharePoint's carry the request's host.
		body = bytes.ReplaceAll(body, []byte(m.target.String()), []byte(front))
		if f != nil {
			self := strings.Replace(resp.Request.URL.String(), m.target.String(), front, 1)
			body = f(body, self)
			m.mu.Lock()
			m.fired++
			m.mu.Unlock()
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	return m
}

// resetAt drops the connection of the nth items request from now before
// any header.
func (m *mangler) resetAt(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reset[m.n+n] = true
}

// mangleAt rewrites the body of the nth items answer from now.
func (m *mangler) mangleAt(n int, f func(body []byte, self string) []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.at[m.n+n] = f
}

// firedCount is how many resets and rewrites happened.
func (m *mangler) firedCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fired
}

func (m *mangler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(strings.ToLower(r.URL.Path), "/items") {
		m.mu.Lock()
		reset := m.reset[m.n+1]
		if reset {
			delete(m.reset, m.n+1)
			m.fired++
		}
		m.mu.Unlock()
		if reset {
			panic(http.ErrAbortHandler) // connection closed before any header
		}
	}
	m.proxy.ServeHTTP(w, r)
}

type scenario struct {
	name string
	// set injects the fault(s) into srv (or the mangler) before the query.
	set func(srv *sptest.Server, m *mangler)
	// mayFail: the fault is one no retry can cure; the query must then
	// fail with an error containing one of these.
	mayFail []string
	// fired reports whether the fault really happened during the run
	// (a scenario whose fault never fires proves nothing).
	fired func(r run) bool
	// cold: the list's metadata is not read before the fault is set, so
	// that the fault lands on the metadata requests of the query.
	cold bool
	// shows are texts the run's output (errors and logs) must contain.
	shows []string
}

// run is what one faulted query did, for the fired checks.
type run struct {
	sp  []sptest.SPRequest
	tok []sptest.TokenRequest
	m   *mangler
}

// status: some SharePoint request was answered with code.
func status(code int) func(run) bool {
	return func(r run) bool {
		for _, q := range r.sp {
			if q.Status == code {
				return true
			}
		}
		return false
	}
}

// refetched: some page was requested twice, i.e. retried.
func refetched(r run) bool {
	seen := map[string]bool{}
	for _, q := range r.sp {
		key := q.Path + "?" + q.RawQuery
		if seen[key] {
			return true
		}
		seen[key] = true
	}
	return false
}

func tokenStatus(code int) func(run) bool {
	return func(r run) bool {
		for _, q := range r.tok {
			if q.Status == code {
				return true
			}
		}
		return false
	}
}

func mangled(r run) bool { return r.m.firedCount() > 0 }

// faulted: the emulator applied a fault to some request.
func faulted(r run) bool {
	for _, q := range r.sp {
		if q.Faulted {
			return true
		}
	}
	return false
}

// otherOrigin is a server that answers every request as an empty list
// would, and counts them: where a redirect out of the site leads.
func otherOrigin(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json;odata=nometadata")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"ID":4242}`)
			return
		}
		_, _ = io.WriteString(w, `{"value":[]}`)
	}))
	t.Cleanup(other.Close)
	return other, &hits
}

func TestFaultMatrix(t *testing.T) {
	httpDate := time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
	other, otherHits := otherOrigin(t)
	single := []scenario{
		{name: "429 with Retry-After seconds", fired: status(429), set: func(s *sptest.Server, m *mangler) {
			s.FailRequest(3, sptest.Fault{Status: 429, RetryAfter: "1"})
		}},
		{name: "429 with Retry-After HTTP-date", fired: status(429), set: func(s *sptest.Server, m *mangler) {
			s.FailRequest(3, sptest.Fault{Status: 429, RetryAfter: httpDate})
		}},
		{name: "429 without Retry-After", fired: status(429), set: func(s *sptest.Server, m *mangler) { s.FailRequest(4, sptest.Fault{Status: 429}) }},
		{name: "503 with Retry-After", fired: status(503), set: func(s *sptest.Server, m *mangler) {
			s.FailRequest(3, sptest.Fault{Status: 503, RetryAfter: "1"})
		}},
		{name: "503 without Retry-After", fired: status(503), set: func(s *sptest.Server, m *mangler) { s.FailRequest(5, sptest.Fault{Status: 503}) }},
		{name: "500", fired: status(500), set: func(s *sptest.Server, m *mangler) { s.FailRequest(3, sptest.Fault{Status: 500}) }},
		{name: "502", fired: status(502), set: func(s *sptest.Server, m *mangler) { s.FailRequest(3, sptest.Fault{Status: 502}) }},
		{name: "504", fired: status(504), set: func(s *sptest.Server, m *mangler) { s.FailRequest(6, sptest.Fault{Status: 504}) }},
		{name: "body cut mid-page", fired: refetched, set: func(s *sptest.Server, m *mangler) { s.FailRequest(4, sptest.Fault{Cut: true}) }},
		{name: "body cut after 20 bytes", fired: refetched, set: func(s *sptest.Server, m *mangler) {
			s.FailRequest(3, sptest.Fault{Cut: true, CutAfterBytes: 20})
		}},
		{name: "connection reset before headers", fired: mangled, set: func(s *sptest.Server, m *mangler) { m.resetAt(3) }},
		{name: "slow answer beyond WSTimeout", fired: refetched, set: func(s *sptest.Server, m *mangler) {
			s.FailRequest(3, sptest.Fault{Latency: 3 * time.Second})
		}},
		{name: "access token refused mid-stream (401)", fired: status(401), set: func(s *sptest.Server, m *mangler) {
			s.FailRequest(4, sptest.Fault{Status: 401})
		}},
		{name: "access tokens expired mid-stream", fired: status(401), set: func(s *sptest.Server, m *mangler) {
			s.Tokens.ExpireAccessTokens()
		}},
		{name: "token endpoint 503 then recovers", fired: tokenStatus(503), set: func(s *sptest.Server, m *mangler) {
			s.Tokens.ExpireAccessTokens()
			s.Tokens.FailNext(2, 503)
		}},
		{name: "malformed JSON page", fired: mangled, set: func(s *sptest.Server, m *mangler) {
			m.mangleAt(2, func(b []byte, _ string) []byte { return bytes.Replace(b, []byte(`,"`), []byte(`,,"`), 1) })
		}, mayFail: []string{"decoding the answer"}},
		{name: "HTML instead of JSON", fired: mangled, set: func(s *sptest.Server, m *mangler) {
			m.mangleAt(2, func([]byte, string) []byte { return []byte("<html><body>Sorry, something went wrong</body></html>") })
		}, mayFail: []string{"decoding the answer"}},
		{name: "an empty page with a next link", fired: mangled, set: func(s *sptest.Server, m *mangler) {
			// SharePoint may answer a page with no items but a next link
			// (a filtered scan through a window without matches): the
			// client must go on. Here the next link leads back to the page.
			m.mangleAt(2, func(_ []byte, self string) []byte {
				b, _ := json.Marshal(map[string]any{"value": []any{}, "odata.nextLink": self + "&again=1"})
				return b
			})
		}},
		{name: "a next link that loops", fired: mangled, set: func(s *sptest.Server, m *mangler) {
			m.mangleAt(2, func(b []byte, self string) []byte {
				var page map[string]any
				if json.Unmarshal(b, &page) != nil {
					return b
				}
				page["odata.nextLink"] = self // back to itself
				out, _ := json.Marshal(page)
				return out
			})
		}, mayFail: []string{"leads back to a page already read"}},
		{name: "next link to another origin", fired: nil, set: func(s *sptest.Server, m *mangler) {
			s.SetNextLinkOrigin("http://127.0.0.1:9")
		}, mayFail: []string{"another origin"}},
		// A hostile server, or a broken proxy in front of SharePoint. The
		// faults land past the first items answers, which may be the
		// probes for the lowest and highest IDs of a read in ID slices
		// (their own guards are tested in package sharepoint).
		{name: "redirect within the site", fired: status(307), set: func(s *sptest.Server, m *mangler) {
			s.FailRequest(3, sptest.Fault{RedirectTo: m.front})
		}},
		{name: "redirect to another origin", fired: status(307), set: func(s *sptest.Server, m *mangler) {
			s.FailRequest(3, sptest.Fault{RedirectTo: other.URL})
		}, mayFail: []string{"another origin than the site's"}},
		{name: `a page without "value": {}`, fired: mangled, set: func(s *sptest.Server, m *mangler) {
			m.mangleAt(4, func([]byte, string) []byte { return []byte(`{}`) })
		}, mayFail: []string{`an empty JSON object, not a page`}},
		{name: "an error object with HTTP 200", fired: mangled, set: func(s *sptest.Server, m *mangler) {
			m.mangleAt(5, func([]byte, string) []byte {
				return []byte(`{"odata.error":{"code":"-1, Microsoft.SharePoint.SPException","message":{"lang":"en-US","value":"Something went wrong."}}}`)
			})
		}, mayFail: []string{`with an error ("odata.error") instead of a page`}},
		{name: "more items than $top", fired: faulted, set: func(s *sptest.Server, m *mangler) {
			s.FailRequest(5, sptest.Fault{ExtraItems: 3})
		}, mayFail: []string{"its $top asked for"}},
		{name: "more items than $top, some repeated", fired: mangled, set: func(s *sptest.Server, m *mangler) {
			m.mangleAt(4, func(b []byte, _ string) []byte {
				var page map[string]any
				if json.Unmarshal(b, &page) != nil {
					return b
				}
				if items, ok := page["value"].([]any); ok && len(items) > 3 {
					page["value"] = append(items, items[:3]...)
				}
				out, _ := json.Marshal(page)
				return out
			})
		}, mayFail: []string{"its $top asked for"}},
		{name: "a page far larger than its bound", fired: faulted, set: func(s *sptest.Server, m *mangler) {
			s.FailRequest(5, sptest.Fault{PadBytes: 48 << 20})
		}, mayFail: []string{"the bound on one answer"}},
		{name: "empty pages without end", fired: faulted, set: func(s *sptest.Server, m *mangler) {
			s.FailNextWith(1<<30, sptest.Fault{EmptyPage: true})
		}, mayFail: []string{"pages in a row with no items"}},
		{name: "a metadata next link back to itself", fired: faulted, cold: true, set: func(s *sptest.Server, m *mangler) {
			s.FailNextWith(1<<30, sptest.Fault{SelfNextLink: true})
		}, mayFail: []string{"leads back to a page already read"}},
		{name: "refresh token revoked", fired: tokenStatus(400), set: func(s *sptest.Server, m *mangler) {
			for _, sec := range s.Tokens.Secrets() {
				s.Tokens.RevokeRefreshToken(sec)
			}
			s.Tokens.ExpireAccessTokens()
		}, mayFail: []string{"invalid_grant", "AADSTS70008"}},
	}

	rng := rand.New(rand.NewPCG(7, 7)) // fixed seed: reproducible combinations
	scenarios := append([]scenario(nil), single...)
	for i := range 12 {
		a, b := single[rng.IntN(len(single))], single[rng.IntN(len(single))]
		scenarios = append(scenarios, scenario{
			name: fmt.Sprintf("combination %d: %s + %s", i, a.name, b.name),
			set: func(s *sptest.Server, m *mangler) {
				a.set(s, m)
				b.set(s, m)
			},
			mayFail: append(append([]string(nil), a.mayFail...), b.mayFail...),
			cold:    a.cold || b.cold,
			fired: func(r run) bool {
				return (a.fired == nil || a.fired(r)) || (b.fired == nil || b.fired(r))
			},
		})
	}

	scenarios = append(scenarios, secretEchoScenarios()...)

	outcomes := map[string]int{}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			q := faultQueries[rng.IntN(len(faultQueries))]
			// The right answer comes from a server of its own with the
			// same (deterministic) data: a request the first run left in
			// flight must not reach the faulted server and take a fault.
			want := func() []string {
				ref := sptest.NewServer(faultSite())
				defer ref.Close()
				db, err := sql.Open("sharepoint", ref.ConnString()+";WSFetchSize=50")
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				rows, err := collectRows(context.Background(), db, q)
				if err != nil {
					t.Fatal(err)
				}
				return rows
			}()
			if len(want) < 2 {
				t.Fatalf("the query returns %d rows: too few to test", len(want))
			}

			srv := sptest.NewServer(faultSite())
			defer srv.Close()
			m := newMangler(srv.URL)
			front := httptest.NewServer(m)
			defer front.Close()
			m.front = front.URL

			// The driver talks to the proxy; the token endpoint is the
			// emulator's own. WSTimeout=2 makes the slow answer a timeout.
			dsn := strings.Replace(srv.ConnString(), "ServiceURL="+srv.URL, "ServiceURL="+front.URL, 1) + ";WSFetchSize=50;WSTimeout=2;WSRetryCount=3"
			// Everything the driver emits on these failing paths — errors
			// in every form, debug logs, EXPLAIN — is kept and searched
			// for secrets at the end.
			var emitted bytes.Buffer
			var emittedMu sync.Mutex
			logger := slog.New(slog.NewTextHandler(lockedBuffer{&emittedMu, &emitted}, &slog.HandlerOptions{Level: slog.LevelDebug}))
			cfg, err := spsql.ParseDSN(dsn)
			if err != nil {
				t.Fatal(err)
			}
			connector, err := spsql.NewConnector(cfg, spsql.WithLogger(logger))
			if err != nil {
				t.Fatal(err)
			}
			base := sql.OpenDB(connector)
			defer base.Close()
			if !sc.cold {
				if plan, err := collectRows(context.Background(), base, "EXPLAIN "+q); err == nil {
					emittedMu.Lock()
					fmt.Fprintln(&emitted, plan, connector, cfg)
					emittedMu.Unlock()
				}
				// Warm the metadata with a one-row read (LIMIT: no request
				// ahead), so that the faults land on pages of the query.
				if _, err := collectRows(context.Background(), base, "SELECT ID FROM Big LIMIT 1"); err != nil {
					t.Fatal(err)
				}
			}
			spBefore, tokBefore := srv.RequestCount(), srv.Tokens.RequestCount()
			sc.set(srv, m)
			// A read that never ends (a paging loop, pages without end)
			// fails at the deadline instead of hanging the test run.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			got, err := collectRows(ctx, base, q)
			if sc.fired != nil {
				r := run{sp: srv.Requests()[spBefore:], tok: srv.Tokens.Requests()[tokBefore:], m: m}
				if !sc.fired(r) {
					t.Fatalf("%s: the fault never fired, so the scenario proves nothing", q)
				}
			}
			switch {
			case err != nil && len(sc.mayFail) > 0 && containsAny(err.Error(), sc.mayFail):
				outcomes["failed, naming the cause"]++
			case err != nil:
				t.Fatalf("%s: unexpected error: %v", q, err)
			case !reflect.DeepEqual(got, want):
				t.Fatalf("%s: %d rows without an error, want %d: a wrong or short result", q, len(got), len(want))
			default:
				outcomes["exact rows"]++
			}
			emittedMu.Lock()
			if err != nil {
				fmt.Fprintf(&emitted, "%v\n%+v\n%#v\n%q\n", err, err, err, err)
			}
			out := emitted.String()
			emittedMu.Unlock()
			if !strings.Contains(out, "level=DEBUG") {
				t.Error("no debug log was captured: the leak check would prove nothing")
			}
			for _, s := range srv.Tokens.Secrets() {
				if strings.Contains(out, s) || strings.Contains(out, url.QueryEscape(s)) {
					t.Fatal("an error, a log line or a printed value shows a secret")
				}
			}
			for _, want := range sc.shows {
				if !strings.Contains(out, want) {
					t.Errorf("the output lacks %q", want)
				}
			}
		})
	}
	t.Logf("fault matrix: %d scenarios: %v", len(scenarios), outcomes)
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other origin got %d requests: a redirect out of the site was followed", n)
	}
}

// lockedBuffer serialises writes from concurrent log calls.
type lockedBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Writes follow no redirect, within the site or out of it: the statement
// fails saying the site did not apply it, and the list is as it was.
// Before, a 307 on POST …/items sent the row to the redirect's host and
// took its 201 {"ID":4242} for success.
func TestFaultMatrixRedirectedWrites(t *testing.T) {
	other, otherHits := otherOrigin(t)
	for _, stmt := range []string{
		"INSERT INTO Log (Title, Count) VALUES ('new', 7)",
		"INSERT INTO Log (Title, Count) VALUES ('new', 7), ('newer', 8)",
		"UPDATE Log SET Count = 99 WHERE ID = 1",
		"DELETE FROM Log WHERE ID = 2",
	} {
		for _, to := range []string{"the site", "another origin"} {
			t.Run(stmt+" redirected to "+to, func(t *testing.T) {
				srv := sptest.NewServer(writeSite())
				defer srv.Close()
				// In front of the emulator, a server that redirects the
				// first write it sees.
				var armed atomic.Bool
				target, _ := url.Parse(srv.URL)
				proxy := httputil.NewSingleHostReverseProxy(target)
				var front *httptest.Server
				front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPost && armed.CompareAndSwap(true, false) {
						dest := other.URL
						if to == "the site" {
							dest = front.URL
						}
						http.Redirect(w, r, dest+r.URL.RequestURI(), http.StatusTemporaryRedirect)
						return
					}
					proxy.ServeHTTP(w, r)
				}))
				defer front.Close()
				db, err := sql.Open("sharepoint", strings.Replace(srv.ConnString(), "ServiceURL="+srv.URL, "ServiceURL="+front.URL, 1))
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if _, err := db.Exec("INSERT INTO Log (Title, Count) VALUES ('a', 1), ('b', 2)"); err != nil {
					t.Fatal(err)
				}
				before, err := collectRows(context.Background(), db, "SELECT ID, Title, Count FROM Log ORDER BY ID")
				if err != nil {
					t.Fatal(err)
				}
				armed.Store(true)
				_, err = db.Exec(stmt)
				if armed.Load() {
					t.Fatal("the statement sent no write: the fault never fired")
				}
				if !errors.Is(err, sharepoint.ErrRedirect) || !strings.Contains(err.Error(), "the site did not apply it") {
					t.Fatalf("err = %v", err)
				}
				after, err := collectRows(context.Background(), db, "SELECT ID, Title, Count FROM Log ORDER BY ID")
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(after, before) {
					t.Errorf("the list changed: %v, then %v", before, after)
				}
				if n := otherHits.Load(); n != 0 {
					t.Errorf("the other origin got %d requests", n)
				}
			})
		}
	}
}
