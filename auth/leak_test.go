package auth_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/auth"
)

// TestNoSecretsInLogsOrErrors drives every path that logs or fails —
// refresh, rotation, retries, refusals, a 401 through the transport, a failed
// store save — and lets the harness check the text and JSON logs and every
// error for the client secret and all refresh and access tokens. Every other
// test is checked the same way when it ends; this one makes sure the check is
// not vacuous.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	h := newHarness(t)

	cfg := h.config()
	cfg.Store = auth.StoreFuncs{SaveFunc: func(_, rt string) error {
		// A careless store that quotes the token in its error.
		return errors.New("cannot save " + rt)
	}}
	s := h.source(cfg)
	c := h.spClient(s)
	if st, err := h.getWeb(c); err != nil || st != 200 {
		t.Fatalf("%d %v", st, err)
	}
	h.srv.Tokens.ExpireAccessTokens()
	h.srv.Tokens.FailNext(1, 503)
	if st, err := h.getWeb(c); err != nil || st != 200 {
		t.Fatalf("%d %v", st, err)
	}

	bad := h.config()
	bad.ClientSecret = "wrong-secret-value"
	h.addSecret(bad.ClientSecret)
	_, err := h.source(bad).Token()
	h.record(err)

	dead := h.config()
	h.srv.Tokens.RevokeRefreshToken(dead.RefreshToken)
	_, err = h.spClient(h.source(dead)).Get(h.srv.ServiceURL() + "/_api/web")
	h.record(err)

	logs := h.logs()
	for _, want := range []string{
		"auth: requesting an access token",                 // Debug
		"auth: access token refreshed",                     // Info
		"auth: token request failed; retrying",             // Warn, 503
		"auth: token request refused",                      // Warn, invalid_client / invalid_grant
		"auth: saving the rotated refresh token failed",    // Warn, store
		"auth: access token refused; it will be refreshed", // Debug, 401
	} {
		if strings.Count(logs, want) < 2 { // once per handler at least
			t.Errorf("the logs lack %q in both handlers", want)
		}
	}
	if len(h.errs) < 4 {
		t.Errorf("only %d error strings were collected", len(h.errs))
	}
}

func TestLeakCheckCatchesALeak(t *testing.T) {
	h := newHarness(t)
	rt := h.srv.NewRefreshToken()
	h.logger.Info("careless", "token", rt)
	h.record(errors.New("careless " + h.srv.ClientSecret))
	got := h.leaks()
	slices.Sort(got)
	if !slices.Equal(got, []string{"JSON log", "errors", "text log"}) {
		t.Fatalf("leak check found leaks in %v, want all three outputs", got)
	}
	// Clear the outputs so the harness's own check at cleanup passes.
	h.mu.Lock()
	h.text.Reset()
	h.json.Reset()
	h.errs = nil
	h.mu.Unlock()
}

// A gateway in front of the token endpoint that quotes the posted form in
// its error descriptions (refresh token and client secret included) must
// not put them into the source's errors or log records — not even a
// client secret with characters that form encoding escapes, as older
// Entra ID secrets had ("+", "/", "=").
func TestTokenEndpointEchoingTheFormLeaksNothing(t *testing.T) {
	h := newHarness(t)
	h.srv.Tokens.SetEchoForm(true)
	h.srv.Tokens.AddClient("legacy-app", "Legacy+Secret/Value=")
	cfg := h.config()
	cfg.ClientID, cfg.ClientSecret = "legacy-app", "Legacy+Secret/Value="
	cfg.RefreshToken = h.srv.Tokens.IssueRefreshToken("legacy-app")
	s := h.source(cfg)

	h.srv.Tokens.FailNext(2, 500) // retried: the echo reaches the Warn log
	mustToken(t, h, s)
	for _, sec := range h.srv.Tokens.Secrets() {
		h.srv.Tokens.RevokeRefreshToken(sec) // ignores what is not one
	}
	s.Invalidate(nil)
	_, err := s.Token()
	h.record(err)
	if !errors.Is(err, auth.ErrInvalidGrant) {
		t.Fatalf("Token = %v, want ErrInvalidGrant", err)
	}
	// The echo went through, redacted: this is what the user sees.
	// (Never print it: before the fix it held the secrets.)
	if msg := err.Error(); !strings.Contains(msg, "Received: ") || !strings.Contains(msg, "refresh_token=***") || !strings.Contains(msg, "client_secret=***") {
		t.Error("the error does not show the redacted echo")
	}
	if logs := h.logs(); strings.Count(logs, "Received: ") < 2 {
		t.Error("the retry log records do not show the echo")
	}
}
