package auth_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func mustToken(t *testing.T, h *harness, s oauth2.TokenSource) *oauth2.Token {
	t.Helper()
	tok, err := s.Token()
	h.record(err)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}

func keys(f map[string][]string) []string {
	var k []string
	for key := range f {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

func TestRefreshRequestForm(t *testing.T) {
	tests := []struct {
		name      string
		v1        bool
		public    bool
		wantKeys  []string
		wantScope string // scope (v2) or resource (v1)
	}{
		{name: "v2 sends scope and the secret in the body",
			wantKeys: []string{"client_id", "client_secret", "grant_type", "refresh_token", "scope"}},
		{name: "v1 sends resource and the secret in the body", v1: true,
			wantKeys: []string{"client_id", "client_secret", "grant_type", "refresh_token", "resource"}},
		{name: "a public client sends no secret", public: true,
			wantKeys: []string{"client_id", "grant_type", "refresh_token", "scope"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			cfg := h.config()
			if tc.v1 {
				cfg = h.configV1()
			}
			if tc.public {
				h.srv.Tokens.AddClient("public-app", "")
				cfg.ClientID, cfg.ClientSecret = "public-app", ""
				cfg.RefreshToken = h.srv.Tokens.IssueRefreshToken("public-app")
			}
			tok := mustToken(t, h, h.source(cfg))
			if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.RefreshToken != "" {
				t.Errorf("token type %q, access token set %v, refresh token exposed %v", tok.TokenType, tok.AccessToken != "", tok.RefreshToken != "")
			}
			if !h.srv.Tokens.ValidAccessToken(tok.AccessToken) {
				t.Error("the returned access token is not one the endpoint issued")
			}
			reqs := h.srv.Tokens.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d token requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != "POST" || r.BasicAuth {
				t.Errorf("method %s, Basic auth %v; want POST with credentials in the body only", r.Method, r.BasicAuth)
			}
			if got := keys(r.Form); !slices.Equal(got, tc.wantKeys) {
				t.Errorf("form fields %v, want %v", got, tc.wantKeys)
			}
			if r.Form.Get("grant_type") != "refresh_token" || r.Form.Get("client_id") != cfg.ClientID {
				t.Errorf("grant_type %q client_id %q", r.Form.Get("grant_type"), r.Form.Get("client_id"))
			}
			if r.Form.Get("refresh_token") != cfg.RefreshToken {
				t.Error("refresh_token: mismatch")
			}
			if !tc.public && r.Form.Get("client_secret") != cfg.ClientSecret {
				t.Error("client_secret: mismatch")
			}
			if tc.v1 {
				if r.Version != sptest.TokenV1 || r.Form.Get("resource") != h.srv.URL {
					t.Errorf("version %s resource %q", r.Version, r.Form.Get("resource"))
				}
			} else if r.Version != sptest.TokenV2 || r.Form.Get("scope") != h.srv.URL+"/.default offline_access" {
				t.Errorf("version %s scope %q", r.Version, r.Form.Get("scope"))
			}
		})
	}
}

func TestExpiresInNumberAndString(t *testing.T) {
	for _, v1 := range []bool{false, true} {
		name := "v2 number"
		if v1 {
			name = "v1 string"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.srv.Tokens.SetAccessTokenLifetime(2 * time.Hour)
			cfg := h.config()
			if v1 {
				cfg = h.configV1()
			}
			before := time.Now()
			tok := mustToken(t, h, h.source(cfg))
			after := time.Now()
			if tok.ExpiresIn != 7200 {
				t.Errorf("ExpiresIn = %d, want 7200", tok.ExpiresIn)
			}
			if tok.Expiry.Before(before.Add(2*time.Hour)) || tok.Expiry.After(after.Add(2*time.Hour)) {
				t.Errorf("Expiry %v is not two hours after the request", tok.Expiry)
			}
		})
	}
}

func TestCachedTokenIsReused(t *testing.T) {
	h := newHarness(t)
	s := h.source(h.config())
	first := mustToken(t, h, s)
	for range 5 {
		if tok := mustToken(t, h, s); tok.AccessToken != first.AccessToken {
			t.Fatal("a valid cached token was replaced")
		}
	}
	if n := h.srv.Tokens.RequestCount(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

func TestTokenNearExpiryIsRefreshed(t *testing.T) {
	h := newHarness(t)
	// expires_in 0: the token is at its expiry margin as soon as it arrives.
	h.srv.Tokens.SetAccessTokenLifetime(0)
	s := h.source(h.config())
	mustToken(t, h, s)
	h.srv.Tokens.SetAccessTokenLifetime(time.Hour)
	mustToken(t, h, s)
	mustToken(t, h, s)
	if n := h.srv.Tokens.RequestCount(); n != 2 {
		t.Fatalf("%d token requests, want 2 (one for the stale token, then cached)", n)
	}
}

func TestRotationAlwaysUsesTheNewestRefreshToken(t *testing.T) {
	h := newHarness(t, sptest.WithRefreshTokenReuseDetection()) // an old token would be refused
	cfg := h.config()
	s := h.source(cfg)
	for range 4 {
		s.Invalidate(mustToken(t, h, s))
	}
	mustToken(t, h, s)
	reqs := h.srv.Tokens.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d token requests, want 5", len(reqs))
	}
	seen := map[string]bool{}
	for i, r := range reqs {
		if r.Status != 200 {
			t.Fatalf("refresh %d answered HTTP %d: an old refresh token was reused", i, r.Status)
		}
		rt := r.Form.Get("refresh_token")
		if seen[rt] {
			t.Fatalf("refresh %d reused a refresh token", i)
		}
		seen[rt] = true
	}
	if reqs[0].Form.Get("refresh_token") != cfg.RefreshToken {
		t.Fatal("the first refresh did not use the configured refresh token")
	}
	if !strings.Contains(h.logs(), "rotated=true") || !strings.Contains(h.logs(), `"rotated":true`) {
		t.Error("refreshes are not logged with rotated=true in both handlers")
	}
}

func TestMissingRefreshTokenInResponseKeepsTheCurrentOne(t *testing.T) {
	h := newHarness(t)
	h.srv.Tokens.SetRotation(false)
	cfg := h.config()
	s := h.source(cfg)
	for range 3 {
		s.Invalidate(mustToken(t, h, s))
	}
	for i, r := range h.srv.Tokens.Requests() {
		if r.Status != 200 || r.Form.Get("refresh_token") != cfg.RefreshToken {
			t.Fatalf("refresh %d: HTTP %d, or the refresh token changed", i, r.Status)
		}
	}
}

func TestConcurrentCallersCauseOneRequest(t *testing.T) {
	t.Run("50 callers with an expired token", func(t *testing.T) {
		h := newHarness(t)
		h.srv.Tokens.SetAccessTokenLifetime(0)
		s := h.source(h.config())
		stale := mustToken(t, h, s)
		h.srv.Tokens.SetAccessTokenLifetime(time.Hour)
		// Slow the endpoint so callers pile up behind the one refresh.
		h.srv.Tokens.SetLatency(20 * time.Millisecond)

		var wg sync.WaitGroup
		got := make([]string, 50)
		for i := range got {
			wg.Go(func() {
				tok, err := s.Token()
				h.record(err)
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = tok.AccessToken
			})
		}
		wg.Wait()
		if n := h.srv.Tokens.RequestCount(); n != 2 {
			t.Fatalf("%d token requests, want 2 (the initial one and one refresh)", n)
		}
		for _, g := range got {
			if g != got[0] || g == stale.AccessToken {
				t.Fatal("callers got different or stale tokens")
			}
		}
	})
	t.Run("20 callers invalidating the same refused token", func(t *testing.T) {
		h := newHarness(t)
		s := h.source(h.config())
		refused := mustToken(t, h, s)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				s.Invalidate(refused)
				_, err := s.Token()
				h.record(err)
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := h.srv.Tokens.RequestCount(); n != 2 {
			t.Fatalf("%d token requests, want 2", n)
		}
	})
}

func TestRefusalsAreExplainedAndNotRetried(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(h *harness, cfg *auth.Config)
		sentinel error
		wantText []string
	}{
		{
			name:     "a revoked refresh token is invalid_grant",
			setup:    func(h *harness, cfg *auth.Config) { h.srv.Tokens.RevokeRefreshToken(cfg.RefreshToken) },
			sentinel: auth.ErrInvalidGrant,
			wantText: []string{"auth: ", "invalid_grant", "AADSTS70008", "obtain a new refresh token", "spsql login", "TokenCacheFile"},
		},
		{
			name:     "an unknown refresh token is invalid_grant",
			setup:    func(h *harness, cfg *auth.Config) { cfg.RefreshToken = "1.not-a-real-token" },
			sentinel: auth.ErrInvalidGrant,
			wantText: []string{"AADSTS70008", "obtain a new refresh token"},
		},
		{
			name:     "a wrong secret is invalid_client",
			setup:    func(h *harness, cfg *auth.Config) { cfg.ClientSecret = "the-secret-id-not-its-value" },
			sentinel: auth.ErrInvalidClient,
			wantText: []string{"invalid_client", "AADSTS7000215", "check ClientID and ClientSecret", "not its ID"},
		},
		{
			name:     "an unknown client is unauthorized_client 700016, reported as ErrInvalidClient",
			setup:    func(h *harness, cfg *auth.Config) { cfg.ClientID = "11111111-2222-3333-4444-555555555555" },
			sentinel: auth.ErrInvalidClient,
			wantText: []string{"auth: Entra ID refused the application", "HTTP 400 unauthorized_client", "AADSTS700016", "check ClientID, and that TokenURI names the tenant"},
		},
		{
			name:     "another 4xx is not retried either",
			setup:    func(h *harness, cfg *auth.Config) { h.srv.Tokens.FailNext(1, 400) },
			wantText: []string{"auth: token request failed", "HTTP 400", "AADSTS"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			cfg := h.config()
			tc.setup(h, &cfg)
			h.addSecret(cfg.ClientSecret)
			h.addSecret(cfg.RefreshToken)
			s := h.source(cfg)
			_, err := s.Token()
			h.record(err)
			if err == nil {
				t.Fatal("Token succeeded")
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(err, %v) = false for %q", tc.sentinel, err)
			}
			for _, w := range tc.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var ae *auth.Error
			if !errors.As(err, &ae) || len(ae.ErrorCodes) != 1 || ae.TraceID == "" {
				t.Errorf("error is not an *auth.Error with Entra's codes and trace ID: %#v", err)
			}
			reqs := h.srv.Tokens.Requests()
			if len(reqs) != 1 || reqs[0].BasicAuth {
				t.Fatalf("%d token requests (Basic %v), want exactly 1 without Basic auth", len(reqs), len(reqs) > 0 && reqs[0].BasicAuth)
			}
		})
	}
}

func TestInvalidGrantIsRemembered(t *testing.T) {
	h := newHarness(t)
	cfg := h.config()
	h.srv.Tokens.RevokeRefreshToken(cfg.RefreshToken)
	s := h.source(cfg)
	for range 3 {
		_, err := s.Token()
		h.record(err)
		if !errors.Is(err, auth.ErrInvalidGrant) {
			t.Fatalf("err = %v", err)
		}
	}
	if n := h.srv.Tokens.RequestCount(); n != 1 {
		t.Fatalf("%d token requests, want 1: a dead refresh token must not be re-posted", n)
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504, 429} {
		t.Run(fmt.Sprintf("HTTP %d twice, then success", status), func(t *testing.T) {
			h := newHarness(t)
			h.srv.Tokens.FailNext(2, status)
			mustToken(t, h, h.source(h.config()))
			reqs := h.srv.Tokens.Requests()
			if len(reqs) != 3 || reqs[2].Status != 200 {
				t.Fatalf("%d token requests, want 3 ending in success", len(reqs))
			}
			if !strings.Contains(h.logs(), "retrying") {
				t.Error("retries are not logged")
			}
		})
	}
	t.Run("5xx until the login timeout gives up with the last error", func(t *testing.T) {
		h := newHarness(t)
		h.srv.Tokens.FailNext(1_000_000, 503)
		cfg := h.config()
		cfg.LoginTimeout = 200 * time.Millisecond
		_, err := h.source(cfg).Token()
		h.record(err)
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.StatusCode != 503 || !strings.Contains(err.Error(), "login timeout") {
			t.Fatalf("err = %v, want the last 503 wrapped with the login timeout", err)
		}
		if n := h.srv.Tokens.RequestCount(); n < 2 {
			t.Fatalf("%d token requests, want retries", n)
		}
	})
	t.Run("network errors are retried until the login timeout", func(t *testing.T) {
		h := newHarness(t)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			// Accept and hang up: a network error that is not "nothing
			// listens" (that one is retried only briefly).
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		cfg := h.config()
		cfg.TokenURL = "http://" + l.Addr().String() + "/common/oauth2/v2.0/token"
		cfg.LoginTimeout = 100 * time.Millisecond
		_, err = h.source(cfg).Token()
		h.record(err)
		if err == nil || errors.Is(err, auth.ErrUnreachable) || !strings.Contains(err.Error(), "login timeout") {
			t.Fatalf("err = %v, want a network error after retries until the login timeout", err)
		}
		if !strings.Contains(h.logs(), "retrying") {
			t.Error("no retry was logged")
		}
	})
}

func TestMalformedTokenResponses(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"a non-numeric expires_in", `{"token_type":"Bearer","access_token":"x","expires_in":"soon"}`, "not a token response"},
		{"no access token", `{"token_type":"Bearer","expires_in":3600}`, "no access_token"},
		{"a non-Bearer token", `{"token_type":"pop","access_token":"x","expires_in":3600}`, "SharePoint needs a Bearer token"},
		{"HTML", `<html>proxy</html>`, "not a token response"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, tc.body)
			}))
			defer fake.Close()
			cfg := h.config()
			cfg.TokenURL = fake.URL + "/t/oauth2/v2.0/token"
			cfg.HTTPClient = fake.Client()
			_, err := h.source(cfg).Token()
			h.record(err)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestAccessTokenOnly(t *testing.T) {
	h := newHarness(t)
	// A genuine access token, obtained out of band.
	at := mustToken(t, h, h.source(h.config())).AccessToken
	s := h.source(auth.Config{AccessToken: at, Logger: h.logger})
	if tok := mustToken(t, h, s); tok.AccessToken != at {
		t.Fatal("the configured access token was not used")
	}
	s.Invalidate(&oauth2.Token{AccessToken: at})
	_, err := s.Token()
	h.record(err)
	if !errors.Is(err, auth.ErrAccessTokenRefused) || !strings.Contains(err.Error(), "RefreshToken") {
		t.Fatalf("err = %v, want ErrAccessTokenRefused naming RefreshToken", err)
	}
}

func TestAccessTokenWithRefreshToken(t *testing.T) {
	h := newHarness(t)
	at := mustToken(t, h, h.source(h.config())).AccessToken
	cfg := h.config()
	cfg.AccessToken = at
	s := h.source(cfg)
	if tok := mustToken(t, h, s); tok.AccessToken != at || !tok.Expiry.IsZero() {
		t.Fatal("the configured access token was not used first, or got an invented expiry")
	}
	if n := h.srv.Tokens.RequestCount(); n != 1 {
		t.Fatalf("%d token requests, want only the out-of-band one", n)
	}
	s.Invalidate(&oauth2.Token{AccessToken: at})
	if tok := mustToken(t, h, s); tok.AccessToken == at {
		t.Fatal("the refused access token was returned again")
	}
	if n := h.srv.Tokens.RequestCount(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

func TestInvalidateIgnoresAnOldToken(t *testing.T) {
	h := newHarness(t)
	s := h.source(h.config())
	first := mustToken(t, h, s)
	s.Invalidate(first)
	second := mustToken(t, h, s)
	s.Invalidate(first) // late 401 for the old token: must not drop the new one
	if tok := mustToken(t, h, s); tok.AccessToken != second.AccessToken {
		t.Fatal("invalidating an old token dropped the current one")
	}
	if n := h.srv.Tokens.RequestCount(); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
}

func TestConfigValidation(t *testing.T) {
	const secret = "s3cr3t-value-8Q~xyz"
	const rt = "1.refresh-token-value"
	tests := []struct {
		name string
		cfg  auth.Config
		want []string
	}{
		{"nothing configured", auth.Config{}, []string{"set RefreshToken", "or AccessToken"}},
		{"a refresh token alone", auth.Config{RefreshToken: rt, ClientSecret: secret}, []string{"TokenURL is required", "ClientID is required"}},
		{"v2 without scopes", auth.Config{RefreshToken: rt, ClientID: "c", TokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token"}, []string{"Scopes are required", "AADSTS90009"}},
		{"v1 without resource", auth.Config{RefreshToken: rt, ClientID: "c", TokenURL: "https://login.microsoftonline.com/common/oauth2/token"}, []string{"Resource is required"}},
		{"plain http to a remote host", auth.Config{RefreshToken: rt, ClientID: "c", Resource: "r", TokenURL: "http://login.example.com/t/oauth2/token"}, []string{"must use https"}},
		{"a relative token URL", auth.Config{RefreshToken: rt, ClientID: "c", Resource: "r", TokenURL: "/t/oauth2/token"}, []string{"absolute https URL"}},
		{"a negative login timeout", auth.Config{RefreshToken: rt, ClientID: "c", Resource: "r", TokenURL: "https://x/t/oauth2/token", LoginTimeout: -1}, []string{"LoginTimeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.NewRefreshTokenSource(tc.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, secret) || strings.Contains(msg, rt) {
				t.Fatal("the error contains a secret")
			}
			if !strings.HasPrefix(msg, "auth: ") {
				t.Errorf("error %q lacks the auth: prefix", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
	t.Run("http to loopback is allowed", func(t *testing.T) {
		_, err := auth.NewRefreshTokenSource(auth.Config{RefreshToken: rt, ClientID: "c", Resource: "r", TokenURL: "http://127.0.0.1:1/t/oauth2/token"})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestConfigPrintsNoSecrets(t *testing.T) {
	cfg := auth.Config{TokenURL: "https://x/t/oauth2/v2.0/token", ClientID: "client", ClientSecret: "secret-value", RefreshToken: "refresh-value", AccessToken: "access-value"}
	var out strings.Builder
	fmt.Fprintf(&out, "%v %+v %#v %s", cfg, cfg, cfg, cfg.String())
	logs := newHarness(t)
	logs.logger.Info("config", "cfg", cfg)
	out.WriteString(logs.logs())
	for _, s := range []string{"secret-value", "refresh-value", "access-value"} {
		if strings.Contains(out.String(), s) {
			t.Fatal("a secret was printed")
		}
	}
	if !strings.Contains(out.String(), "client") || !strings.Contains(out.String(), "***") {
		t.Error("the non-secret fields or the redaction marker are missing")
	}
}

func TestErrorText(t *testing.T) {
	e := &auth.Error{StatusCode: 400, Code: "invalid_grant", Description: "AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: t\r\nCorrelation ID: c", ErrorCodes: []int{700082}, TraceID: "t", CorrelationID: "c"}
	msg := e.Error()
	for _, w := range []string{"HTTP 400 invalid_grant: AADSTS700082: The refresh token has expired due to inactivity.)", "obtain a new refresh token", "trace ID t, correlation ID c"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q lacks %q", msg, w)
		}
	}
	if strings.Count(msg, "Trace ID") != 0 || strings.Contains(msg, "\n") {
		t.Errorf("%q repeats Entra's trailing lines", msg)
	}
	if !errors.Is(e, auth.ErrInvalidGrant) || errors.Is(e, auth.ErrInvalidClient) {
		t.Error("errors.Is does not follow Code")
	}
	if !errors.Is(&auth.Error{Code: "invalid_client"}, auth.ErrInvalidClient) {
		t.Error("invalid_client is not ErrInvalidClient")
	}
}
