package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBinaryLoginThenThreeRunsWithUsedTokensRevoked: spsql login writes a
// data source with a TokenCacheFile, and three runs of the built command in
// a row query through it, against an identity provider that revokes a
// refresh token once it has been used. Each run rotates the refresh token;
// without the cache file the second run would present the used one from
// odbc.ini and fail with invalid_grant.
func TestBinaryLoginThenThreeRunsWithUsedTokensRevoked(t *testing.T) {
	srv, secretFile := loginServer(t)
	srv.Tokens.SetReuseDetection(true)
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	ini := filepath.Join(dir, "odbc.ini")
	cmd := exec.Command(binary, loginArgs(srv, secretFile, "--write-odbc-ini", ini, "--section", "Demo Site")...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+config, "SPSQL_CLIENT_SECRET=")
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &errOut, "Waiting for the sign-in")
	m := userCodeRE.FindStringSubmatch(errOut.String())
	if m == nil {
		cmd.Process.Kill()
		t.Fatalf("no code in %q", errOut.String())
	}
	if err := srv.Tokens.ApproveDeviceCode(m[2]); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("login: %v\n%s", err, errOut.String())
	}

	// The section names a cache file of its own in the user's config
	// directory, created with mode 0600.
	b, err := os.ReadFile(ini)
	if err != nil {
		t.Fatal(err)
	}
	cm := regexp.MustCompile(`(?m)^TokenCacheFile=(.+)$`).FindStringSubmatch(string(b))
	if cm == nil {
		t.Fatal("no TokenCacheFile in odbc.ini") // not quoted: it holds secrets
	}
	cache := cm[1]
	if filepath.Dir(cache) != filepath.Join(config, "spsql", "tokens") || !strings.HasPrefix(filepath.Base(cache), "Demo_Site-") {
		t.Errorf("TokenCacheFile = %s, want a file for Demo Site in %s", cache, filepath.Join(config, "spsql", "tokens"))
	}
	fi, err := os.Stat(cache)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token cache file: %v, mode %v", err, fi)
	}

	for run := 1; run <= 3; run++ {
		before := srv.Tokens.RequestCount()
		code, qout, qerr := runBinary(t, "", []string{"ODBCINI=" + ini}, "--odbc-dsn", "Demo Site", "--format", "csv", "SELECT COUNT(*) FROM Projects")
		if code != exitOK || qout != "COUNT(*)\r\n30\r\n" {
			t.Fatalf("run %d: exit %d, %q, %s", run, code, qout, qerr)
		}
		if srv.Tokens.RequestCount() == before {
			t.Fatalf("run %d did not refresh: nothing rotated, the test proves nothing", run)
		}
		assertNoSecrets(t, srv, qout, qerr)
	}
	assertNoSecrets(t, srv, out.String(), errOut.String())
}
