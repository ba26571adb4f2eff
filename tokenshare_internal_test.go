package spsql

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func sharedSourceCount() int {
	sharedSources.mu.Lock()
	defer sharedSources.mu.Unlock()
	return len(sharedSources.entries)
}

// tokenSourceOf is the refresh-token source behind a connector that
// shares one.
func tokenSourceOf(t *testing.T, c *Connector) *sharedSource {
	t.Helper()
	u, ok := c.tokens.(*sharedUse)
	if !ok {
		t.Fatalf("the connector's token source is a %T, not a shared one", c.tokens)
	}
	return u.sharedSource
}

func TestConnectorsShareOneTokenSourcePerCacheFile(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "tokens.json")
	dsn := func(cacheFile string, replace ...string) string {
		props := []string{"ServiceURL=https://corp.sharepoint.com/sites/x", "ClientID=app", "ClientSecret=s3cret-value",
			"TokenURI=https://login.example.com/t/oauth2/v2.0/token", "RefreshToken=rt-original-value", "TokenCacheFile=" + cacheFile}
		for _, r := range replace {
			k, _, _ := strings.Cut(r, "=")
			props = slices.DeleteFunc(props, func(p string) bool { return strings.HasPrefix(p, k+"=") })
			props = append(props, r)
		}
		return strings.Join(props, ";")
	}

	open := func(dsn string, opts ...Option) *Connector {
		t.Helper()
		cfg, err := ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		c, err := newConnector(&Driver{}, cfg, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := open(dsn(cache))
	// The same file by another spelling of its path.
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, filepath.Join(dir, ".", "sub", "..", "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	b := open(dsn(rel))
	if tokenSourceOf(t, a) != tokenSourceOf(t, b) {
		t.Error("two connectors with the same configuration and cache file have two token sources")
	}
	if n := sharedSourceCount(); n != 1 {
		t.Errorf("%d shared sources, want 1", n)
	}

	// Anything else about the token requests keeps the sources apart.
	others := []*Connector{
		open(dsn(filepath.Join(dir, "other.json"))),
		open(dsn(cache), WithLogger(slog.New(slog.DiscardHandler))),
		open(dsn(cache, "ClientID=another-app")),
		open(dsn(cache, "RefreshToken=another-chain")),
		open(dsn(cache, "Scope=https://corp.sharepoint.com/AllSites.Read offline_access")),
		open(dsn(cache, "ProxyHost=proxy.corp:3128")),
	}
	for i, o := range others {
		if tokenSourceOf(t, o) == tokenSourceOf(t, a) {
			t.Errorf("connector %d shares the source of a connector configured differently", i)
		}
	}
	if n := sharedSourceCount(); n != 1+len(others) {
		t.Errorf("%d shared sources, want %d", n, 1+len(others))
	}

	// Closing lets go; the last one to close closes and forgets the source.
	shared := tokenSourceOf(t, a)
	for _, c := range append([]*Connector{a}, others...) {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := sharedSourceCount(); n != 1 {
		t.Errorf("%d shared sources while b is open, want 1", n)
	}
	if err := a.Close(); err != nil { // closing a again must not let go of b's use
		t.Fatal(err)
	}
	if n := sharedSourceCount(); n != 1 {
		t.Errorf("%d shared sources after a was closed twice, want 1: b lost its source", n)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if n := sharedSourceCount(); n != 0 {
		t.Errorf("%d shared sources after every connector closed, want 0: the registry leaks", n)
	}
	// The source was closed: it fails at once (its context has ended, so
	// no request goes out).
	if _, err := shared.src.Token(); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("Token after the last Close: %v, want a context canceled error", err)
	}
	// A new connector after that starts a new source.
	c := open(dsn(cache))
	defer c.Close()
	if tokenSourceOf(t, c) == shared {
		t.Error("a closed source was handed out again")
	}
}
