package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// RefreshTokenStore persists the newest refresh token of a chain. Entra ID
// issues a new refresh token with every refresh; keeping only the one in the
// connection string would lose the chain at every restart once the original
// expires (90 days of inactivity) or is rejected as reused.
//
// A chain is keyed by ChainKey of the refresh token the chain started from
// (the one configured), so pasting a new token into the connection string
// starts a new chain instead of resuming an old one.
type RefreshTokenStore interface {
	// Load returns the newest refresh token saved for key, ok=false when
	// there is none.
	Load(key string) (refreshToken string, ok bool, err error)
	// Save records refreshToken as the newest for key.
	Save(key, refreshToken string) error
}

// ChainKey returns the store key for a chain started from refreshToken: its
// SHA-256 in hex, so the store never holds the original token itself.
func ChainKey(refreshToken string) string {
	sum := sha256.Sum256([]byte(refreshToken))
	return hex.EncodeToString(sum[:])
}

// StoreFuncs adapts two callbacks to a RefreshTokenStore, for applications
// that keep tokens elsewhere (a secrets manager, a database). A nil LoadFunc
// finds nothing; a nil SaveFunc discards.
type StoreFuncs struct {
	LoadFunc func(key string) (refreshToken string, ok bool, err error)
	SaveFunc func(key, refreshToken string) error
}

// Load calls LoadFunc.
func (f StoreFuncs) Load(key string) (string, bool, error) {
	if f.LoadFunc == nil {
		return "", false, nil
	}
	return f.LoadFunc(key)
}

// Save calls SaveFunc.
func (f StoreFuncs) Save(key, refreshToken string) error {
	if f.SaveFunc == nil {
		return nil
	}
	return f.SaveFunc(key, refreshToken)
}

// fileStoreVersion is the "version" of the JSON file FileStore writes.
const fileStoreVersion = 1

type fileContent struct {
	Version int                   `json:"version"`
	Chains  map[string]chainEntry `json:"chains"`
}

type chainEntry struct {
	RefreshToken string    `json:"refresh_token"`
	Updated      time.Time `json:"updated"`
}

// FileStore keeps refresh token chains in one JSON file:
//
//	{"version":1,"chains":{"<ChainKey>":{"refresh_token":"…","updated":"…"}}}
//
// The file is created with mode 0600 (its directory, if missing, 0700) and
// replaced atomically on every Save — written to a temporary file in the
// same directory, synced, then renamed over the old one — so a crash leaves
// either the old or the new content, never a torn file. Saves within one
// FileStore are serialised.
//
// FileStore is a StoreLocker: Lock takes an advisory lock on a sibling
// file, <path>.lock (created with mode 0600 and never removed: removing a
// lock file lets two lockers in). A RefreshTokenSource holds it from
// re-reading the store to saving the rotated token, so that processes and
// *sql.DBs sharing the file take turns to refresh, each starting from the
// token the previous one saved — and their saves to different chains no
// longer overwrite each other. The lock is flock(2) on Linux, macOS and the
// BSDs and LockFileEx on Windows; it is released when the holder closes it
// or exits. Elsewhere Lock does not lock, and processes sharing a file may
// send the same refresh token twice.
type FileStore struct {
	path string
	mu   sync.Mutex
}

// NewFileStore returns a store backed by the file at path. Nothing is read
// or written until Load or Save.
func NewFileStore(path string) *FileStore { return &FileStore{path: path} }

// Load implements RefreshTokenStore. A missing file holds no chains.
func (s *FileStore) Load(key string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.read()
	if err != nil {
		return "", false, err
	}
	e, ok := c.Chains[key]
	return e.RefreshToken, ok && e.RefreshToken != "", nil
}

// Save implements RefreshTokenStore.
func (s *FileStore) Save(key, refreshToken string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.read()
	if err != nil {
		return err
	}
	c.Chains[key] = chainEntry{RefreshToken: refreshToken, Updated: time.Now().UTC().Truncate(time.Second)}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("auth: encoding the refresh token store: %w", err)
	}
	return s.replace(append(data, '\n'))
}

// lockPoll bounds the wait between two tries for a lock another holder has;
// holders keep it for one token request, tens to hundreds of milliseconds.
const lockPoll = 20 * time.Millisecond

// Lock implements StoreLocker: it takes the exclusive lock on
// <path>.lock, creating the file (and its directory) if needed, and waits
// for another holder until ctx ends.
func (s *FileStore) Lock(ctx context.Context) (unlock func(), err error) {
	lockPath := s.path + ".lock"
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o700); err != nil {
		return nil, fmt.Errorf("auth: creating the refresh token store's directory: %w", err)
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("auth: opening the refresh token store's lock file: %w", err)
	}
	wait := time.Millisecond
	for {
		locked, err := tryLockFile(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("auth: locking %s: %w", lockPath, err)
		}
		if locked {
			return func() {
				unlockFile(f)
				f.Close()
			}, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("auth: waiting for the lock on %s: %w", lockPath, ctx.Err())
		}
		wait = min(2*wait, lockPoll)
	}
}

// read returns the file's content; a missing file is empty. Error texts name
// the file, never its content.
func (s *FileStore) read() (*fileContent, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return &fileContent{Version: fileStoreVersion, Chains: map[string]chainEntry{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: reading refresh token store: %w", err)
	}
	var c fileContent
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("auth: refresh token store %s is not valid JSON; delete it to start over (the connection string's refresh token is used then)", s.path)
	}
	if c.Version != fileStoreVersion {
		return nil, fmt.Errorf("auth: refresh token store %s has version %d; this version of spsql reads version %d", s.path, c.Version, fileStoreVersion)
	}
	if c.Chains == nil {
		c.Chains = map[string]chainEntry{}
	}
	return &c, nil
}

// replace writes data to a temporary file beside the store and renames it
// over the store. The temporary file is removed on any failure.
func (s *FileStore) replace(data []byte) (err error) {
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("auth: creating the refresh token store's directory: %w", err)
	}
	// os.CreateTemp creates the file with mode 0600.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("auth: writing refresh token store: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("auth: writing refresh token store: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("auth: writing refresh token store: %w", err)
	}
	// Sync before rename: otherwise a crash can leave the renamed file empty.
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("auth: writing refresh token store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("auth: writing refresh token store: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("auth: replacing refresh token store: %w", err)
	}
	return nil
}

var _ RefreshTokenStore = (*FileStore)(nil)
var _ StoreLocker = (*FileStore)(nil)
var _ RefreshTokenStore = StoreFuncs{}
