package auth_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// A token request follows a redirect within the token endpoint's origin,
// and none out of it: the client secret and refresh token travel in its
// body, which a 307 sends on. The refusal is final (not retried) and names
// the target's origin, not its path or query.
func TestTokenRequestRedirects(t *testing.T) {
	h := newHarness(t)
	var foreign atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		foreign.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"forged","token_type":"Bearer","expires_in":3600}`))
	}))
	defer other.Close()
	emulator, _ := url.Parse(h.srv.URL)
	tokenPath := strings.TrimPrefix(h.srv.TokenURL(), h.srv.URL)
	var front *httptest.Server
	var asked atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(emulator)
	front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		switch {
		case strings.HasPrefix(r.URL.Path, "/moved/"):
			http.Redirect(w, r, front.URL+tokenPath, http.StatusTemporaryRedirect)
		case strings.HasPrefix(r.URL.Path, "/away/"):
			http.Redirect(w, r, other.URL+tokenPath+"?sig=s3cr3t", http.StatusTemporaryRedirect)
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	defer front.Close()

	t.Run("within the origin", func(t *testing.T) {
		cfg := h.config()
		cfg.TokenURL = front.URL + "/moved/v2.0/token"
		mustToken(t, h, h.source(cfg))
	})
	t.Run("to another origin", func(t *testing.T) {
		asked.Store(0)
		cfg := h.config()
		cfg.TokenURL = front.URL + "/away/v2.0/token"
		// The caller's client would follow anything.
		cfg.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
		tok, err := h.source(cfg).Token()
		h.record(err)
		if err == nil || !strings.Contains(err.Error(), "redirected the request (HTTP 307) to "+other.URL+", another origin") {
			t.Fatalf("token %v, err = %v", tok, err)
		}
		if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), tokenPath) {
			t.Errorf("the error quotes the redirect's path or query: %v", err)
		}
		if n := foreign.Load(); n != 0 {
			t.Errorf("the other origin got %d requests", n)
		}
		if n := asked.Load(); n != 1 {
			t.Errorf("%d token requests, want 1: the refusal is final", n)
		}
		if cfg.HTTPClient.CheckRedirect == nil {
			t.Error("the caller's client was modified")
		}
	})
}
