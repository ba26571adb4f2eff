package auth_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// harness runs one test against a fresh emulator and, when the test ends,
// checks that no secret the emulator knows (client secret, every refresh and
// access token it issued) nor any extra secret the test registered appears
// in the log output or in any error the test recorded. Every auth test goes
// through it, so the leak check covers all of them.
type harness struct {
	t   *testing.T
	srv *sptest.Server

	mu      sync.Mutex
	text    bytes.Buffer // slog text handler output
	json    bytes.Buffer // slog JSON handler output
	errs    []string
	secrets []string
	logger  *slog.Logger
}

// lockedWriter serialises writes from concurrent log calls.
type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newHarness(t *testing.T, opts ...sptest.Option) *harness {
	t.Helper()
	h := &harness{t: t, srv: sptest.NewServer(sptest.Site{Title: "Auth"}, opts...)}
	lvl := &slog.HandlerOptions{Level: slog.LevelDebug}
	h.logger = slog.New(slog.NewMultiHandler(
		slog.NewTextHandler(lockedWriter{&h.mu, &h.text}, lvl),
		slog.NewJSONHandler(lockedWriter{&h.mu, &h.json}, lvl),
	))
	t.Cleanup(h.checkNoLeaks)
	t.Cleanup(h.srv.Close)
	return h
}

// config returns a v2 configuration for the emulator's default client with
// a fresh refresh token.
func (h *harness) config() auth.Config {
	return auth.Config{
		TokenURL:     h.srv.TokenURL(),
		ClientID:     h.srv.ClientID,
		ClientSecret: h.srv.ClientSecret,
		RefreshToken: h.srv.NewRefreshToken(),
		Scopes:       []string{h.srv.URL + "/.default", "offline_access"},
		HTTPClient:   h.srv.Client(),
		Logger:       h.logger,
	}
}

// configV1 is config for the v1 endpoint.
func (h *harness) configV1() auth.Config {
	c := h.config()
	c.TokenURL = h.srv.TokenURLV1()
	c.Scopes = nil
	c.Resource = h.srv.URL
	return c
}

// source builds a source with fast retries; construction errors fail the
// test.
func (h *harness) source(cfg auth.Config) *auth.RefreshTokenSource {
	h.t.Helper()
	s, err := auth.NewRefreshTokenSource(cfg)
	h.record(err)
	if err != nil {
		h.t.Fatalf("NewRefreshTokenSource: %v", err)
	}
	auth.SetBackoff(s, time.Millisecond, 5*time.Millisecond)
	return s
}

// record keeps err's text in every form a caller might print it.
func (h *harness) record(err error) {
	if err == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, err.Error(), fmt.Sprintf("%v|%+v|%#v|%q", err, err, err, err))
}

// addSecret registers a secret the emulator does not know (a made-up static
// access token, a store's content).
func (h *harness) addSecret(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secrets = append(h.secrets, s)
}

func (h *harness) logs() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.text.String() + h.json.String()
}

func (h *harness) checkNoLeaks() {
	for _, where := range h.leaks() {
		// Never print the secret or the output holding it.
		h.t.Errorf("a secret leaked into the %s", where)
	}
}

// leaks names the outputs (text log, JSON log, errors) that contain a
// secret.
func (h *harness) leaks() []string {
	secrets := append(h.srv.Tokens.Secrets(), h.secrets...)
	h.mu.Lock()
	defer h.mu.Unlock()
	outputs := map[string]string{
		"text log": h.text.String(),
		"JSON log": h.json.String(),
		"errors":   strings.Join(h.errs, "\n"),
	}
	var where []string
	for name, out := range outputs {
		for _, s := range secrets {
			// As sent in a form too: a server echoing the form shows
			// "+" as "%2B".
			if s != "" && (strings.Contains(out, s) || strings.Contains(out, url.QueryEscape(s))) {
				where = append(where, name)
				break
			}
		}
	}
	return where
}
