package spsql

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/internal/redact"
)

// sharedSources holds the refresh-token sources of connectors that use a
// TokenCacheFile, one per cache file and configuration, for as long as a
// connector uses it. It is the driver's one piece of process-wide state
// besides its registration with database/sql, and it exists because each
// sql.Open makes its own connector: without it, two *sql.DBs with the same
// connection string would each refresh, twice as often as needed, and each
// with its own copy of a refresh token that the other may just have used.
// (The cache file's lock keeps them from ever sending the same token; see
// auth.FileStore.)
//
// Sources are shared only when everything their token requests depend on
// is the same: the cache file (by cleaned absolute path), the chain's
// starting refresh token, the client ID and secret, the token endpoint,
// scope and resource, the proxy and timeouts, and the program's
// WithHTTPClient and WithLogger (by identity). Connectors that differ in
// any of these get sources of their own, which still take turns through
// the cache file's lock. An entry is removed, and its source closed, when
// the last connector using it is closed.
var sharedSources = struct {
	mu      sync.Mutex
	entries map[sharedSourceKey]*sharedSource
}{entries: map[sharedSourceKey]*sharedSource{}}

type sharedSourceKey struct {
	path   string       // the cache file's cleaned absolute path
	config [32]byte     // SHA-256 of the rest of the token configuration
	client *http.Client // WithHTTPClient's, or nil
	logger *slog.Logger // WithLogger's, or nil
}

// sharedSource is one entry: the source, the set of secrets its connectors
// redact with, and how many open connectors use it.
type sharedSource struct {
	key  sharedSourceKey
	src  *auth.RefreshTokenSource
	red  *redact.Set
	refs int // under sharedSources.mu
}

// sharedUse is one connector's use of an entry; Close lets go of it once,
// however often it is called.
type sharedUse struct {
	*sharedSource
	once sync.Once
}

func (u *sharedUse) Close() (err error) {
	u.once.Do(func() { err = u.release() })
	return err
}

// acquireSharedSource returns the source for c's TokenCacheFile, making it
// if no open connector has one. The caller lets go of it with Close.
func acquireSharedSource(c *Config, o connectorOptions, base http.RoundTripper, logger *slog.Logger) (*sharedUse, error) {
	key, err := sharedKeyFor(c, o)
	if err != nil {
		return nil, err
	}
	sharedSources.mu.Lock()
	defer sharedSources.mu.Unlock()
	if e := sharedSources.entries[key]; e != nil {
		e.refs++
		return &sharedUse{sharedSource: e}, nil
	}
	red := redact.New()
	src, err := newRefreshTokenSource(c, base, nil, logger, red)
	if err != nil {
		return nil, err
	}
	e := &sharedSource{key: key, src: src, red: red, refs: 1}
	sharedSources.entries[key] = e
	return &sharedUse{sharedSource: e}, nil
}

// release lets go of the entry; the last connector to let go closes the
// source and forgets it.
func (e *sharedSource) release() error {
	sharedSources.mu.Lock()
	defer sharedSources.mu.Unlock()
	e.refs--
	if e.refs > 0 {
		return nil
	}
	if sharedSources.entries[e.key] == e {
		delete(sharedSources.entries, e.key)
	}
	return e.src.Close()
}

// sharedKeyFor is the registry key of c's token configuration. Secrets
// enter it only through the digest.
func sharedKeyFor(c *Config, o connectorOptions) (sharedSourceKey, error) {
	path, err := filepath.Abs(c.TokenCacheFile)
	if err != nil {
		return sharedSourceKey{}, fmt.Errorf("spsql: TokenCacheFile: %w", err)
	}
	h := sha256.New()
	proxy := ""
	if c.ProxyHost != "" {
		if u, err := c.proxyURL(); err == nil {
			proxy = u.String()
		}
	}
	for _, field := range []string{
		c.TokenURI, c.ClientID, c.ClientSecret, c.RefreshToken, c.AccessToken,
		strings.Join(c.Scopes(), " "), c.Resource(), proxy,
		c.LoginTimeout.String(), c.tokenRequestTimeout().String(),
	} {
		// Length-prefixed, so that no two lists of fields hash alike.
		fmt.Fprintf(h, "%d:%s;", len(field), field)
	}
	key := sharedSourceKey{path: filepath.Clean(path), client: o.httpClient, logger: o.logger}
	h.Sum(key.config[:0])
	return key, nil
}
