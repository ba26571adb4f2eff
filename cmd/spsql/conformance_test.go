package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// listTitles are the site's lists, as SHOW TABLES reports them.
func listTitles(t *testing.T, srv *sptest.Server) []string {
	t.Helper()
	db, err := sql.Open(spsql.DriverName, srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT TABLE_NAME FROM information_schema.tables ORDER BY TABLE_NAME")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// The kit passes against the emulator with every check, leaves the
// site's lists as it found them, and its recording holds none of the
// run's secrets nor the host.
func TestConformanceAgainstTheEmulator(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{TimeZone: "Europe/Berlin", Lists: []sptest.List{{Title: "Existing"}}}, sptest.WithThreshold(60))
	defer srv.Close()
	before := listTitles(t, srv)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"conformance", "--dsn", srv.ConnString(), "--record", dir}, strings.NewReader(""), &stdout, &stderr)
	out := stdout.String()
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "conformance: ") || !strings.Contains(last, " 0 failed") {
		t.Fatalf("last line %q", last)
	}
	t.Log(last)
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "ok   ") && !(strings.HasPrefix(l, "skip large/") || strings.HasPrefix(l, "skip ")) {
			t.Errorf("unexpected line %q", l)
		}
		if strings.HasPrefix(l, "skip ") && !strings.HasPrefix(l, "skip large/") {
			t.Errorf("a check other than --large was skipped against the emulator: %q", l)
		}
	}
	if after := listTitles(t, srv); strings.Join(after, "|") != strings.Join(before, "|") {
		t.Errorf("lists before %q, after %q", before, after)
	}

	// The recording: every exchange, no secret.
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) < 50 {
		t.Fatalf("%d exchanges recorded, want every one", len(files))
	}
	secrets := append(srv.Tokens.Secrets(), srv.ClientSecret, strings.TrimPrefix(srv.URL, "http://"), "127.0.0.1", sptest.TenantID)
	var all bytes.Buffer
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, s := range secrets {
		if s != "" && bytes.Contains(all.Bytes(), []byte(s)) {
			t.Errorf("the recording holds a secret or the host: %.12s…", s)
		}
	}
	if !bytes.Contains(all.Bytes(), []byte("createfieldasxml")) || !bytes.Contains(all.Bytes(), []byte("$batch")) || !bytes.Contains(all.Bytes(), []byte("oauth2")) {
		t.Error("the recording lacks the schema writes, the batches or the token requests")
	}
}
