package auth_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// spClient returns an HTTP client authenticating to h's SharePoint site
// with src.
func (h *harness) spClient(src oauth2.TokenSource) *http.Client {
	return &http.Client{Transport: auth.NewTransport(h.srv.Client().Transport, src, mustParse(h.t, h.srv.URL))}
}

func (h *harness) getWeb(c *http.Client) (int, error) {
	resp, err := c.Get(h.srv.ServiceURL() + "/_api/web")
	h.record(err)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func spStatuses(srv *sptest.Server) []int {
	var out []int
	for _, r := range srv.Requests() {
		out = append(out, r.Status)
	}
	return out
}

func TestTransportRefreshesOnceAfter401(t *testing.T) {
	h := newHarness(t)
	c := h.spClient(h.source(h.config()))
	if st, err := h.getWeb(c); err != nil || st != 200 {
		t.Fatalf("first request: %d %v", st, err)
	}
	h.srv.Tokens.ExpireAccessTokens()
	if st, err := h.getWeb(c); err != nil || st != 200 {
		t.Fatalf("request with an expired token: %d %v, want 200 after one retry", st, err)
	}
	if got := spStatuses(h.srv); len(got) != 3 || got[1] != 401 || got[2] != 200 {
		t.Fatalf("SharePoint answered %v, want [200 401 200]", got)
	}
	if n := h.srv.Tokens.RequestCount(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

func TestTransport20Concurrent401sCauseOneRefresh(t *testing.T) {
	h := newHarness(t)
	c := h.spClient(h.source(h.config()))
	if st, err := h.getWeb(c); err != nil || st != 200 {
		t.Fatalf("first request: %d %v", st, err)
	}
	h.srv.Tokens.ExpireAccessTokens()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if st, err := h.getWeb(c); err != nil || st != 200 {
				t.Errorf("got %d %v", st, err)
			}
		})
	}
	wg.Wait()
	if n := h.srv.Tokens.RequestCount(); n != 2 {
		t.Fatalf("%d token requests, want 2 (initial and one refresh)", n)
	}
}

func TestTransportSendsTheTokenToItsOriginOnly(t *testing.T) {
	h := newHarness(t)
	src := h.source(h.config())

	var mu sync.Mutex
	foreignAuth := []string{}
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		foreignAuth = append(foreignAuth, r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer foreign.Close()

	// origin redirects to the foreign server, or to itself, after checking
	// that it got a valid token.
	var originMu sync.Mutex
	originSawToken := []bool{}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		originMu.Lock()
		originSawToken = append(originSawToken, ok && h.srv.Tokens.ValidAccessToken(tok))
		originMu.Unlock()
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, foreign.URL+"/landing", http.StatusFound)
		case "/home":
			http.Redirect(w, r, "/landing", http.StatusFound)
		}
	}))
	defer origin.Close()

	c := &http.Client{Transport: auth.NewTransport(origin.Client().Transport, src, mustParse(t, origin.URL))}
	do := func(u, authorization string) {
		t.Helper()
		req, err := http.NewRequest("GET", u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := c.Do(req)
		h.record(err)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.Header.Get("Authorization") != authorization {
			t.Error("the caller's request was modified")
		}
	}
	do(origin.URL+"/away", "")
	do(origin.URL+"/home", "")
	do(foreign.URL+"/direct", "")
	do(foreign.URL+"/direct", "Bearer caller-set")

	if want := []bool{true, true, true}; len(originSawToken) != 3 || !originSawToken[0] || !originSawToken[1] || !originSawToken[2] {
		t.Errorf("origin saw a valid token: %v, want %v (redirect target on the same origin included)", originSawToken, want)
	}
	if len(foreignAuth) != 3 {
		t.Fatalf("foreign server got %d requests, want 3", len(foreignAuth))
	}
	for i, a := range foreignAuth {
		if a != "" {
			t.Errorf("foreign request %d carried an Authorization header", i)
		}
	}
}

// echoOrigin is a SharePoint stand-in that accepts the emulator's tokens and
// echoes request bodies, for testing body replay.
func echoOrigin(h *harness, bodies *[]string, mu *sync.Mutex) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		*bodies = append(*bodies, string(b))
		mu.Unlock()
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !h.srv.Tokens.ValidAccessToken(tok) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write(b)
	}))
}

func TestTransportReplaysBodiesOnlyWhenItCan(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	var bodies []string
	origin := echoOrigin(h, &bodies, &mu)
	defer origin.Close()
	src := h.source(h.config())
	c := &http.Client{Transport: auth.NewTransport(origin.Client().Transport, src, mustParse(t, origin.URL))}

	t.Run("a replayable body is sent again after a 401", func(t *testing.T) {
		mustToken(t, h, src) // cache a token, then make the origin refuse it
		h.srv.Tokens.ExpireAccessTokens()
		mu.Lock()
		bodies = nil
		mu.Unlock()
		resp, err := c.Post(origin.URL+"/items", "application/json", bytes.NewReader([]byte(`{"Title":"x"}`)))
		h.record(err)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(got) != `{"Title":"x"}` {
			t.Fatalf("HTTP %d %s", resp.StatusCode, got)
		}
		if len(bodies) != 2 || bodies[0] != bodies[1] {
			t.Fatalf("origin saw bodies %q, want the same body twice", bodies)
		}
	})
	t.Run("a one-shot body gets the 401 back and no refresh", func(t *testing.T) {
		mustToken(t, h, src)
		h.srv.Tokens.ExpireAccessTokens()
		before := h.srv.Tokens.RequestCount()
		req, _ := http.NewRequest("POST", origin.URL+"/items", io.NopCloser(strings.NewReader("once")))
		resp, err := c.Do(req)
		h.record(err)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("HTTP %d, want the 401", resp.StatusCode)
		}
		if n := h.srv.Tokens.RequestCount(); n != before {
			t.Fatalf("%d token requests were made", n-before)
		}
	})
}

func TestTransportWithoutInvalidatorReturnsThe401(t *testing.T) {
	h := newHarness(t)
	tok := mustToken(t, h, h.source(h.config()))
	h.srv.Tokens.ExpireAccessTokens()
	c := h.spClient(oauth2.StaticTokenSource(tok))
	if st, err := h.getWeb(c); err != nil || st != 401 {
		t.Fatalf("got %d %v, want the 401", st, err)
	}
	if n := h.srv.RequestCount(); n != 1 {
		t.Fatalf("%d SharePoint requests, want 1 (no retry)", n)
	}
}

func TestTransportExplainsWhyNoNewTokenCouldBeHad(t *testing.T) {
	t.Run("an access token alone", func(t *testing.T) {
		h := newHarness(t)
		at := mustToken(t, h, h.source(h.config())).AccessToken
		c := h.spClient(h.source(auth.Config{AccessToken: at}))
		if st, err := h.getWeb(c); err != nil || st != 200 {
			t.Fatalf("with a valid access token: %d %v", st, err)
		}
		h.srv.Tokens.ExpireAccessTokens()
		_, err := h.getWeb(c)
		if !errors.Is(err, auth.ErrAccessTokenRefused) || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "RefreshToken") {
			t.Fatalf("err = %v, want ErrAccessTokenRefused after a 401, naming RefreshToken", err)
		}
	})
	t.Run("a dead refresh token", func(t *testing.T) {
		h := newHarness(t)
		at := mustToken(t, h, h.source(h.config())).AccessToken
		cfg := h.config()
		cfg.AccessToken = at
		h.srv.Tokens.RevokeRefreshToken(cfg.RefreshToken)
		c := h.spClient(h.source(cfg))
		h.srv.Tokens.ExpireAccessTokens()
		before := h.srv.Tokens.RequestCount()
		_, err := h.getWeb(c)
		if !errors.Is(err, auth.ErrInvalidGrant) || !strings.Contains(err.Error(), "AADSTS70008") {
			t.Fatalf("err = %v, want ErrInvalidGrant with AADSTS70008", err)
		}
		if n := h.srv.Tokens.RequestCount() - before; n != 1 {
			t.Fatalf("%d token requests, want 1", n)
		}
	})
}
