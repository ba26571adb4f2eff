package auth_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

type storeFile struct {
	Version int `json:"version"`
	Chains  map[string]struct {
		RefreshToken string    `json:"refresh_token"`
		Updated      time.Time `json:"updated"`
	} `json:"chains"`
}

func readStore(t *testing.T, path string) storeFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f storeFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("the store is not JSON: %v", err)
	}
	return f
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// refreshTwice makes s refresh twice, rotating its refresh token each time.
func refreshTwice(t *testing.T, h *harness, s *auth.RefreshTokenSource) {
	t.Helper()
	s.Invalidate(mustToken(t, h, s))
	mustToken(t, h, s)
}

func TestFileStoreKeepsTheNewestRefreshToken(t *testing.T) {
	h := newHarness(t, sptest.WithRefreshTokenReuseDetection()) // only the newest token works
	path := filepath.Join(t.TempDir(), "spsql", "tokens.json")
	cfg := h.config()
	cfg.Store = auth.NewFileStore(path)
	refreshTwice(t, h, h.source(cfg))

	f := readStore(t, path)
	entry, ok := f.Chains[auth.ChainKey(cfg.RefreshToken)]
	if f.Version != 1 || len(f.Chains) != 1 || !ok {
		t.Fatalf("store has version %d and %d chains (keyed by the original token: %v)", f.Version, len(f.Chains), ok)
	}
	if entry.RefreshToken == "" || entry.RefreshToken == cfg.RefreshToken || entry.Updated.IsZero() {
		t.Fatal("the store does not hold a rotated refresh token with its update time")
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), cfg.RefreshToken) {
		t.Fatal("the store holds the original refresh token instead of its hash")
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", filepath.Base(p), fi.Mode().Perm(), want)
		}
	}

	// A new process with the same connection string resumes the chain.
	before := h.srv.Tokens.RequestCount()
	mustToken(t, h, h.source(cfg))
	r := h.srv.Tokens.Requests()[before]
	if r.Status != 200 || r.Form.Get("refresh_token") != entry.RefreshToken {
		t.Fatalf("the resumed source got HTTP %d, or did not send the stored token", r.Status)
	}
}

func TestFileStoreReplacesTheFileAtomically(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.json")
	// An existing, too-open file is replaced by a private one.
	if err := os.WriteFile(path, []byte(`{"version":1,"chains":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	first := inode(t, path)
	cfg := h.config()
	cfg.Store = auth.NewFileStore(path)
	s := h.source(cfg)
	mustToken(t, h, s)
	second := inode(t, path)
	s.Invalidate(nil)
	mustToken(t, h, s)
	third := inode(t, path)
	if first == second || second == third {
		t.Error("the file was rewritten in place instead of replaced by rename")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after replacement, want 0600", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// The lock file stays: removing it would let two lockers in.
	if !slices.Equal(names, []string{"tokens.json", "tokens.json.lock"}) {
		t.Errorf("directory holds %v, want only tokens.json and its lock file (no temporary files left)", names)
	}
}

func TestFileStoreStartsANewChainForANewToken(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(t.TempDir(), "tokens.json")
	old := h.config()
	old.Store = auth.NewFileStore(path)
	refreshTwice(t, h, h.source(old))

	// The user pastes a new refresh token into the connection string.
	fresh := h.config()
	fresh.Store = auth.NewFileStore(path)
	before := h.srv.Tokens.RequestCount()
	mustToken(t, h, h.source(fresh))
	if h.srv.Tokens.Requests()[before].Form.Get("refresh_token") != fresh.RefreshToken {
		t.Fatal("a new connection string token did not start a new chain")
	}
	f := readStore(t, path)
	if len(f.Chains) != 2 {
		t.Fatalf("%d chains in the store, want 2", len(f.Chains))
	}
	if _, ok := f.Chains[auth.ChainKey(fresh.RefreshToken)]; !ok {
		t.Fatal("the new chain is not keyed by the new token's hash")
	}
}

func TestFileStoreRefusesAnUnreadableFile(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"corrupt JSON", `{"version":1,"chains":{"k":{"refresh_token":"1.stored-secret-value"`, "not valid JSON"},
		{"a future version", `{"version":2,"chains":{}}`, "version 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.addSecret("1.stored-secret-value")
			path := filepath.Join(t.TempDir(), "tokens.json")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := h.config()
			cfg.Store = auth.NewFileStore(path)
			_, err := auth.NewRefreshTokenSource(cfg)
			h.record(err)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want it to name the file and say %q", err, tc.want)
			}
		})
	}
}

func TestStoreFuncs(t *testing.T) {
	t.Run("a callback store resumes and records the chain", func(t *testing.T) {
		h := newHarness(t)
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
		cfg := h.config()
		cfg.Store = store
		refreshTwice(t, h, h.source(cfg))
		mu.Lock()
		want, ok := saved[auth.ChainKey(cfg.RefreshToken)]
		mu.Unlock()
		if !ok || len(saved) != 1 {
			t.Fatal("the rotated token was not saved under the chain key")
		}
		before := h.srv.Tokens.RequestCount()
		mustToken(t, h, h.source(cfg))
		r := h.srv.Tokens.Requests()[before]
		if r.Status != 200 || r.Form.Get("refresh_token") != want {
			t.Fatal("the second source did not resume from the callback store")
		}
	})
	t.Run("a failed save is retried at the next refresh", func(t *testing.T) {
		h := newHarness(t)
		fail := true
		var saved string
		cfg := h.config()
		cfg.Store = auth.StoreFuncs{SaveFunc: func(_, rt string) error {
			if fail {
				fail = false
				return errors.New("vault unavailable")
			}
			saved = rt
			return nil
		}}
		s := h.source(cfg)
		mustToken(t, h, s) // rotates; the save fails
		if !strings.Contains(h.logs(), "saving the rotated refresh token failed") || !strings.Contains(h.logs(), "vault unavailable") {
			t.Fatal("the failed save was not logged")
		}
		h.srv.Tokens.SetRotation(false) // the next refresh does not rotate
		s.Invalidate(nil)
		mustToken(t, h, s)
		reqs := h.srv.Tokens.Requests()
		if saved == "" || saved != reqs[len(reqs)-1].Form.Get("refresh_token") {
			t.Fatal("the newest refresh token was not saved at the next refresh")
		}
	})
	t.Run("a load error fails construction", func(t *testing.T) {
		h := newHarness(t)
		boom := errors.New("vault sealed")
		cfg := h.config()
		cfg.Store = auth.StoreFuncs{LoadFunc: func(string) (string, bool, error) { return "", false, boom }}
		_, err := auth.NewRefreshTokenSource(cfg)
		h.record(err)
		if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "auth: ") {
			t.Fatalf("err = %v, want the store's error wrapped", err)
		}
	})
	t.Run("nil callbacks find nothing and discard", func(t *testing.T) {
		var s auth.StoreFuncs
		if _, ok, err := s.Load("k"); ok || err != nil {
			t.Fatal("a nil LoadFunc found something")
		}
		if err := s.Save("k", "v"); err != nil {
			t.Fatal(err)
		}
	})
}
