package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// memStore is a RefreshTokenStore in memory whose Load can be made to
// see nothing, as a store does before another process's save lands.
type memStore struct {
	mu     sync.Mutex
	tokens map[string]string
	loads  int
	// blindLoads is how many Loads, counted from the first, find nothing.
	blindLoads int
}

func (m *memStore) Load(key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loads++
	if m.loads <= m.blindLoads {
		return "", false, nil
	}
	rt, ok := m.tokens[key]
	return rt, ok, nil
}

func (m *memStore) Save(key, rt string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tokens == nil {
		m.tokens = map[string]string{}
	}
	m.tokens[key] = rt
	return nil
}

func TestFileStoreLockExcludesOtherHolders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir", "tokens.json")
	a, b := auth.NewFileStore(path), auth.NewFileStore(path)
	unlockA, err := a.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + ".lock"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("lock file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}

	// While a holds it, b waits until its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("b.Lock while a holds the lock = %v, want context.DeadlineExceeded", err)
	}

	// Once a lets go, b gets it — and not before.
	var released atomic.Bool
	got := make(chan bool)
	go func() {
		unlockB, err := b.Lock(context.Background())
		if err != nil {
			t.Error(err)
			got <- false
			return
		}
		got <- released.Load()
		unlockB()
	}()
	time.Sleep(20 * time.Millisecond) // give b time to try while a holds it
	released.Store(true)
	unlockA()
	if !<-got {
		t.Fatal("b got the lock while a held it")
	}
}

// Another user of the store rotated the refresh token and its save was not
// visible yet when this source read the store: the refusal of the old token
// sends the source back to the store, where the new one now is.
func TestInvalidGrantRereadsTheStore(t *testing.T) {
	h := newHarness(t, sptest.WithRefreshTokenReuseDetection())
	cfg := h.config()

	other := cfg
	otherStore := &memStore{}
	other.Store = otherStore
	mustToken(t, h, h.source(other)) // uses the chain's token, saves its successor

	store := &memStore{blindLoads: 2} // construction and the read before refreshing
	cfg.Store = store
	s := h.source(cfg)
	store.tokens = otherStore.tokens // the other's save lands
	mustToken(t, h, s)

	reqs := h.srv.Tokens.Requests()
	if len(reqs) != 3 || reqs[1].Status != 400 || reqs[2].Status != 200 {
		t.Fatalf("token requests %s, want the other's, a refusal, then a success", statuses(reqs))
	}
}

// A source whose refresh token was refused keeps failing without asking
// again — until the store it shares holds a newer token.
func TestInvalidGrantIsForgottenWhenTheStoreHasANewerToken(t *testing.T) {
	h := newHarness(t, sptest.WithRefreshTokenReuseDetection())
	cfg := h.config()
	other := cfg
	otherStore := &memStore{}
	other.Store = otherStore
	mustToken(t, h, h.source(other)) // the chain moves on without s

	store := &memStore{}
	cfg.Store = store
	s := h.source(cfg)
	for range 2 {
		_, err := s.Token()
		h.record(err)
		if !errors.Is(err, auth.ErrInvalidGrant) {
			t.Fatalf("Token = %v, want ErrInvalidGrant", err)
		}
	}
	if n := h.srv.Tokens.RequestCount(); n != 2 {
		t.Fatalf("%d token requests, want 2: a refused token must not be posted again", n)
	}
	for k, v := range otherStore.tokens {
		_ = store.Save(k, v) // another process saves the chain's newest token
	}
	mustToken(t, h, s)
}

// A source holds the store's lock from reading the store to saving the
// rotated token: two sources refreshing at the same moment take turns, and
// the second starts from the token the first saved.
func TestSourcesTakeTurnsThroughTheFileLock(t *testing.T) {
	h := newHarness(t, sptest.WithRefreshTokenReuseDetection())
	h.srv.Tokens.SetLatency(50 * time.Millisecond) // both requests would overlap
	cfg := h.config()
	path := filepath.Join(t.TempDir(), "tokens.json")
	var sources []*auth.RefreshTokenSource
	for range 3 {
		c := cfg
		c.Store = auth.NewFileStore(path) // one FileStore each, as in separate processes
		sources = append(sources, h.source(c))
	}
	var wg sync.WaitGroup
	for _, s := range sources {
		wg.Go(func() {
			_, err := s.Token()
			h.record(err)
			if err != nil {
				t.Errorf("Token: %v", err)
			}
		})
	}
	wg.Wait()
	if got := statuses(h.srv.Tokens.Requests()); strings.Count(got, "200") != 3 {
		t.Fatalf("token requests %s, want three successes", got)
	}
}

// statuses lists the token requests' answers, e.g. "[200 400 200]".
func statuses(reqs []sptest.TokenRequest) string {
	var out []string
	for _, r := range reqs {
		out = append(out, strconv.Itoa(r.Status))
	}
	return "[" + strings.Join(out, " ") + "]"
}
