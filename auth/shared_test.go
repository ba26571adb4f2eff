package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Two sources (two *sql.DBs, or two processes) sharing one store: each
// refresh must start from the newest token either saved, or the emulator's
// reuse detection (the strict mode of identity providers that detect
// refresh token reuse) refuses the older one.
func TestSourcesSharingAStoreFollowOneChain(t *testing.T) {
	h := newHarness(t, sptest.WithRefreshTokenReuseDetection())
	cfg := h.config()
	cfg.Store = auth.NewFileStore(filepath.Join(t.TempDir(), "tokens.json"))
	a, b := h.source(cfg), h.source(cfg)
	for round := range 3 {
		for name, s := range map[string]*auth.RefreshTokenSource{"a": a, "b": b} {
			s.Invalidate(nil)
			if _, err := s.Token(); err != nil {
				h.record(err)
				t.Fatalf("round %d, source %s: %v", round, name, err)
			}
		}
	}
	if n := h.srv.Tokens.RequestCount(); n != 6 {
		t.Errorf("token requests = %d, want 6", n)
	}
}

func TestTokenContextStopsWaitingButTheRefreshCompletes(t *testing.T) {
	h := newHarness(t)
	h.srv.Tokens.SetLatency(300 * time.Millisecond)
	s := h.source(h.config())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := s.TokenContext(ctx)
	h.record(err)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("TokenContext = %v, want context.DeadlineExceeded", err)
	}
	// The refresh went on without the caller; its token is then cached.
	tok, err := s.Token()
	h.record(err)
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("Token after the refresh: %v", err)
	}
	if n := h.srv.Tokens.RequestCount(); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
	if _, err := s.TokenContext(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPrintingASourceShowsNoSecret(t *testing.T) {
	h := newHarness(t)
	cfg := h.config()
	cfg.AccessToken = "static-access-SECRET"
	h.addSecret(cfg.AccessToken)
	s := h.source(cfg)
	if _, err := s.Token(); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("source", "s", s)
	out := fmt.Sprintf("%v %+v %#v %s", s, s, s, logged.String())
	h.mu.Lock()
	h.errs = append(h.errs, out) // the harness checks it for every secret
	h.mu.Unlock()
	if !strings.Contains(out, h.srv.ClientID) {
		t.Errorf("printing = %q, want the client ID at least", out)
	}
}

func TestV2IsRecognisedCaseInsensitively(t *testing.T) {
	h := newHarness(t)
	cfg := h.config()
	cfg.TokenURL = strings.Replace(cfg.TokenURL, "/v2.0/", "/V2.0/", 1)
	s := h.source(cfg)
	_, err := s.Token()
	h.record(err)
	reqs := h.srv.Tokens.Requests()
	if len(reqs) != 1 || reqs[0].Form.Get("scope") == "" || reqs[0].Form.Has("resource") {
		t.Fatalf("a /V2.0/ token URL was not sent scope: %v", err)
	}
}
