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
