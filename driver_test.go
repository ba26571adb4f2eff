package spsql_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// leakCheck collects every error string and log line a test produces and,
// at cleanup, asserts that none contains a secret the emulator knows of.
type leakCheck struct {
	srv  *sptest.Server
	mu   sync.Mutex
	logs bytes.Buffer
	errs []string
}

func newLeakCheck(t *testing.T, srv *sptest.Server, extra ...string) *leakCheck {
	lc := &leakCheck{srv: srv}
	t.Cleanup(func() {
		lc.mu.Lock()
		defer lc.mu.Unlock()
		out := lc.logs.String() + "\n" + strings.Join(lc.errs, "\n")
		for _, s := range append(srv.Tokens.Secrets(), extra...) {
			if s != "" && strings.Contains(out, s) {
				t.Error("an error or log line contains a secret")
			}
		}
	})
	return lc
}

func (lc *leakCheck) Write(p []byte) (int, error) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.logs.Write(p)
}

func (lc *leakCheck) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(lc, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (lc *leakCheck) err(err error) error {
	if err != nil {
		lc.mu.Lock()
		lc.errs = append(lc.errs, err.Error(), fmt.Sprintf("%+v", err))
		lc.mu.Unlock()
	}
	return err
}

func TestOpenAndPingAuthenticatesAgainstTheEmulator(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Title: "Marketing"})
	defer srv.Close()
	lc := newLeakCheck(t, srv)

	db, err := sql.Open("sharepoint", srv.ConnString())
	if err != nil {
		t.Fatal(lc.err(err))
	}
	defer db.Close()
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatal(lc.err(err))
	}
	reqs := srv.Tokens.Requests()
	if len(reqs) != 1 {
		t.Fatalf("token requests = %d, want 1", len(reqs))
	}
	form := reqs[0].Form
	if form.Get("grant_type") != "refresh_token" || form.Get("client_id") != srv.ClientID {
		t.Errorf("token request form: grant_type %q, client_id %q", form.Get("grant_type"), form.Get("client_id"))
	}
	if got, want := form.Get("scope"), strings.TrimSuffix(srv.URL, "/")+"/.default offline_access"; got != want {
		t.Errorf("scope = %q, want %q", got, want)
	}
	sp := srv.Requests()
	if len(sp) != 1 || !sp[0].Bearer || sp[0].Status != http.StatusOK || !strings.HasSuffix(sp[0].Path, "/_api/web") {
		t.Fatalf("SharePoint requests = %+v, want one authenticated GET of /_api/web", sp)
	}
}

// database/sql shares one connector per *sql.DB, so concurrent first uses
// and a later expiry each cost exactly one token request.
func TestConcurrentPingsShareOneTokenRequest(t *testing.T) {
	db, srv := openDB(t, sptest.Site{})
	db.SetMaxOpenConns(50)

	pingAll := func() {
		var wg sync.WaitGroup
		var failures atomic.Int32
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := db.PingContext(context.Background()); err != nil {
					failures.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := failures.Load(); n > 0 {
			t.Fatalf("%d pings failed", n)
		}
	}
	pingAll()
	if n := srv.Tokens.RequestCount(); n != 1 {
		t.Fatalf("50 concurrent first pings made %d token requests, want 1", n)
	}
	// SharePoint now refuses the access token (as after an expiry it did
	// not predict): every ping gets a 401, and one refresh serves them all.
	srv.Tokens.ExpireAccessTokens()
	pingAll()
	if n := srv.Tokens.RequestCount(); n != 2 {
		t.Fatalf("after expiry, 50 concurrent pings made %d token requests in all, want 2", n)
	}
}

func TestOpenDBBehavesLikeOpen(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	connector, err := spsql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := db.Driver().(*spsql.Driver); !ok {
		t.Errorf("db.Driver() = %T, want *spsql.Driver", db.Driver())
	}
	// The same string through sql.Open gives the same configuration.
	viaOpen, err := (&spsql.Driver{}).OpenConnector(cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := viaOpen.(*spsql.Connector).Config().FormatDSN(), connector.(*spsql.Connector).Config().FormatDSN(); got != want {
		t.Error("OpenConnector and NewConnector disagree on the configuration")
	}
}

func TestPingErrorsNameTheCause(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	lc := newLeakCheck(t, srv)

	t.Run("a revoked refresh token is invalid_grant", func(t *testing.T) {
		dsn := srv.ConnString()
		cfg, _ := spsql.ParseDSN(dsn)
		srv.Tokens.RevokeRefreshToken(cfg.RefreshToken)
		db, err := sql.Open("sharepoint", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		before := srv.Tokens.RequestCount()
		err = lc.err(db.PingContext(context.Background()))
		if !errors.Is(err, auth.ErrInvalidGrant) || !strings.Contains(err.Error(), "AADSTS70008") {
			t.Fatalf("Ping error = %v, want auth.ErrInvalidGrant quoting AADSTS70008", err)
		}
		if n := srv.Tokens.RequestCount() - before; n != 1 {
			t.Errorf("invalid_grant cost %d token requests, want 1 (never retried)", n)
		}
	})
	t.Run("a wrong client secret is invalid_client", func(t *testing.T) {
		cfg, _ := spsql.ParseDSN(srv.ConnString())
		cfg.ClientSecret = "wrong-secret-value"
		connector, err := spsql.NewConnector(cfg, spsql.WithLogger(lc.logger()))
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(connector)
		defer db.Close()
		err = lc.err(db.PingContext(context.Background()))
		if !errors.Is(err, auth.ErrInvalidClient) || strings.Contains(err.Error(), "wrong-secret-value") {
			t.Fatalf("Ping error = %v, want auth.ErrInvalidClient without the secret", err)
		}
	})
	t.Run("a refused access token without a refresh token says how to renew it", func(t *testing.T) {
		cfg := spsql.NewConfig()
		cfg.ServiceURL = srv.ServiceURL()
		cfg.AccessToken = "not-a-token-the-emulator-issued"
		connector, err := spsql.NewConnector(cfg)
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(connector)
		defer db.Close()
		err = lc.err(db.PingContext(context.Background()))
		if !errors.Is(err, auth.ErrAccessTokenRefused) || !strings.Contains(err.Error(), "RefreshToken") || strings.Contains(err.Error(), cfg.AccessToken) {
			t.Fatalf("Ping error = %v, want auth.ErrAccessTokenRefused without the token", err)
		}
	})
	t.Run("a wrong site path is reported with the URL", func(t *testing.T) {
		cfg, _ := spsql.ParseDSN(srv.ConnString())
		cfg.ServiceURL = srv.URL + "/sites/elsewhere"
		connector, err := spsql.NewConnector(cfg)
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(connector)
		defer db.Close()
		err = lc.err(db.PingContext(context.Background()))
		if err == nil || !strings.Contains(err.Error(), "/sites/elsewhere") {
			t.Fatalf("Ping error = %v, want one naming the site", err)
		}
	})
}

func TestAuthenticationNoneSendsNoAuthorization(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{}, sptest.WithoutAuth())
	defer srv.Close()
	db, err := sql.Open("sharepoint", "ServiceURL="+srv.ServiceURL()+";AuthenticationMethod=None")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Bearer {
		t.Fatalf("requests = %+v, want one without a bearer token", reqs)
	}
	if n := srv.Tokens.RequestCount(); n != 0 {
		t.Errorf("token requests = %d, want 0", n)
	}
}

func TestWithTokenSourceReplacesTheRefreshGrant(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	// Obtain one access token from the emulator through the auth package,
	// then hand the driver a static source with it.
	src, err := auth.NewRefreshTokenSource(auth.Config{
		TokenURL: srv.TokenURL(), ClientID: srv.ClientID, ClientSecret: srv.ClientSecret,
		RefreshToken: srv.NewRefreshToken(), Scopes: []string{srv.URL + "/.default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := spsql.NewConfig()
	cfg.ServiceURL = srv.ServiceURL()
	connector, err := spsql.NewConnector(cfg, spsql.WithTokenSource(src))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := srv.Tokens.RequestCount(); n != 1 {
		t.Errorf("token requests = %d, want 1 (the program's source)", n)
	}
}

func TestTokenCacheFileKeepsTheRotatedToken(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{}, sptest.WithRefreshTokenReuseDetection())
	defer srv.Close()
	cache := filepath.Join(t.TempDir(), "tokens.json")
	dsn := srv.ConnString() + ";TokenCacheFile=" + cache

	ping := func() error {
		db, err := sql.Open("sharepoint", dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		return db.PingContext(context.Background())
	}
	if err := ping(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(cache)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode = %v, want 0600", info.Mode().Perm())
	}
	// The original refresh token was rotated away (reuse detection is on):
	// a second program run with the same DSN only works if it starts from
	// the cached, newest token.
	if err := ping(); err != nil {
		t.Fatalf("second run with the same DSN: %v", err)
	}
	content, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := spsql.ParseDSN(dsn)
	if bytes.Contains(content, []byte(cfg.RefreshToken)) {
		t.Error("the cache file holds the original refresh token, want only the newest")
	}
}

// forwardProxy is a minimal HTTP forward proxy that records the requests
// it forwards and whether they carried proxy credentials.
type forwardProxy struct {
	mu       sync.Mutex
	hosts    []string
	authSeen []string
}

func (p *forwardProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.hosts = append(p.hosts, r.URL.Host+r.URL.Path)
	p.authSeen = append(p.authSeen, r.Header.Get("Proxy-Authorization"))
	p.mu.Unlock()
	out, _ := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), r.Body)
	out.Header = r.Header.Clone()
	out.Header.Del("Proxy-Authorization")
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func TestProxyPropertiesCarryEveryRequest(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	proxy := &forwardProxy{}
	ps := httptest.NewServer(proxy)
	defer ps.Close()
	pu, _ := url.Parse(ps.URL)

	dsn := fmt.Sprintf("%s;ProxyHost=%s;ProxyPort=%s;ProxyUser=alice;ProxyPassword=proxy-pass", srv.ConnString(), pu.Hostname(), pu.Port())
	db, err := sql.Open("sharepoint", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	if len(proxy.hosts) != 2 || !strings.Contains(proxy.hosts[0], "/oauth2/v2.0/token") || !strings.HasSuffix(proxy.hosts[1], "/_api/web") {
		t.Fatalf("proxied requests = %q, want the token request then /_api/web", proxy.hosts)
	}
	for _, a := range proxy.authSeen {
		if !strings.HasPrefix(a, "Basic ") {
			t.Errorf("Proxy-Authorization = %q, want Basic credentials", a)
		}
	}
}

func TestNewConnectorValidates(t *testing.T) {
	if _, err := spsql.NewConnector(nil); err == nil {
		t.Error("NewConnector(nil) succeeded")
	}
	cfg := spsql.NewConfig()
	if _, err := spsql.NewConnector(cfg); err == nil || !strings.Contains(err.Error(), "ServiceURL is required") {
		t.Errorf("NewConnector without ServiceURL: %v", err)
	}
	cfg.ServiceURL = "https://corp.sharepoint.com/sites/x"
	cfg.AccessToken = "t"
	cfg.ProxyHost = "proxy"
	if _, err := spsql.NewConnector(cfg, spsql.WithHTTPClient(http.DefaultClient)); err == nil || !strings.Contains(err.Error(), "ProxyHost cannot be combined") {
		t.Errorf("ProxyHost with WithHTTPClient: %v", err)
	}
}

func TestOpenRejectsABadConnectionStringBeforeAnyIO(t *testing.T) {
	db, err := sql.Open("sharepoint", "ServiceURL=https://corp.sharepoint.com/sites/x;ClientSecert=x;AccessToken=t")
	if err == nil {
		db.Close()
		t.Fatal("sql.Open accepted an unknown key")
	}
	if !errors.Is(err, spsql.ErrUnknownProperty) || !strings.Contains(err.Error(), `did you mean "ClientSecret"?`) {
		t.Errorf("sql.Open error = %v", err)
	}
}

func TestTransactionsAreRefused(t *testing.T) {
	db, _ := openDB(t, sptest.Site{})
	if _, err := db.Begin(); !errors.Is(err, spsql.ErrNoTransactions) {
		t.Errorf("Begin error = %v, want ErrNoTransactions", err)
	}
}

func TestWithRefreshTokenStoreReceivesEachRotation(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	var mu sync.Mutex
	saved := map[string]string{}
	store := auth.StoreFuncs{
		LoadFunc: func(key string) (string, bool, error) {
			mu.Lock()
			defer mu.Unlock()
			rt, ok := saved[key]
			return rt, ok, nil
		},
		SaveFunc: func(key, rt string) error {
			mu.Lock()
			defer mu.Unlock()
			saved[key] = rt
			return nil
		},
	}
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	original := cfg.RefreshToken
	for run := range 3 { // three program runs, one refresh each
		connector, err := spsql.NewConnector(cfg, spsql.WithRefreshTokenStore(store))
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(connector)
		if err := db.PingContext(context.Background()); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		db.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	newest, ok := saved[auth.ChainKey(original)]
	if !ok || newest == original {
		t.Fatal("the store does not hold a rotated refresh token under the original token's chain key")
	}
	if n := srv.Tokens.RequestCount(); n != 3 {
		t.Errorf("token requests = %d, want 3", n)
	}
}

// A *Connector holds the configuration in an unexported field, which fmt
// and slog would print raw: its own methods must redact.
func TestPrintingAConnectorShowsNoSecret(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	cfg, err := spsql.ParseDSN(srv.ConnString() + ";ProxyHost=proxy.invalid;ProxyUser=u;ProxyPassword=proxy-SECRET")
	if err != nil {
		t.Fatal(err)
	}
	connector, err := spsql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("connector", "c", connector)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("connector", "c", connector)
	for _, out := range []string{fmt.Sprintf("%v", connector), fmt.Sprintf("%+v", connector), fmt.Sprintf("%#v", connector), logged.String()} {
		for _, s := range append(srv.Tokens.Secrets(), "proxy-SECRET") {
			if strings.Contains(out, s) {
				t.Fatal("printing a connector shows a secret")
			}
		}
		if !strings.Contains(out, "***") {
			t.Errorf("printing a connector = %q, want secrets as ***", out)
		}
	}
}

// The refresh runs on its own context, but a query's caller can always
// stop waiting for it.
func TestPingStopsWaitingForASlowTokenEndpoint(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	srv.Tokens.SetLatency(3 * time.Second)
	db, err := sql.Open("sharepoint", srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = db.PingContext(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ping = %v, want context.DeadlineExceeded (it waited for the token instead)", err)
	}
	if n := srv.RequestCount(); n != 0 {
		t.Errorf("SharePoint received %d requests, want 0", n)
	}
}

// DB.Close closes the connector, which releases kept-alive connections.
func TestDBCloseReleasesIdleConnections(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	connector, err := spsql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := connector.(io.Closer); !ok {
		t.Fatal("the connector is not an io.Closer, so DB.Close cannot release its connections")
	}
	db := sql.OpenDB(connector)
	if err := db.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TLS is always verified: a server with a certificate the system does not
// trust is refused, and reachable only through a client that trusts it.
func TestTLSIsVerified(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{}, sptest.WithTLS())
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("WithTLS server URL %q", srv.URL)
	}
	db, err := sql.Open("sharepoint", srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.PingContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Ping over an untrusted certificate = %v, want a certificate error", err)
	}
	// A certificate error is final: no retrying until LoginTimeout.
	if strings.Contains(err.Error(), "within the login timeout") {
		t.Errorf("the certificate error was retried: %v", err)
	}
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	connector, err := spsql.NewConnector(cfg, spsql.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	trusted := sql.OpenDB(connector)
	defer trusted.Close()
	if err := trusted.PingContext(context.Background()); err != nil {
		t.Fatalf("Ping through a client that trusts the server: %v", err)
	}
}
