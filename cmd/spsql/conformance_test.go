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
	"github.com/go-spsql/spsql/internal/conformance"
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
	srv := sptest.NewServer(sptest.Site{TimeZone: "Europe/Berlin", Lists: []sptest.List{{Title: "Existing"}}})
	defer srv.Close()
	before := listTitles(t, srv)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"conformance", "--large", "--dsn", srv.ConnString()}, strings.NewReader(""), &stdout, &stderr)
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
		if !strings.HasPrefix(l, "ok   ") {
			t.Errorf("a check did not pass against the emulator: %q", l)
		}
	}
	if !strings.Contains(out, "ok   large/read-all-in-id-order") {
		t.Error("--large did not run")
	}
	if after := listTitles(t, srv); strings.Join(after, "|") != strings.Join(before, "|") {
		t.Errorf("lists before %q, after %q", before, after)
	}

}

// --record writes every exchange, token requests included, and none of
// the run's secrets (client secret, refresh and access tokens), the host,
// the tenant, nor the name or e-mail address of a person.
func TestConformanceRecordingHoldsNoSecret(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{TimeZone: "Europe/Berlin"})
	defer srv.Close()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"conformance", "--dsn", srv.ConnString(), "--record", dir}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	// A request cancelled in flight (the second half of a split read
	// whose first half settled the answer) is recorded with its error,
	// whether or not it reached the server.
	rec, err := conformance.LoadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	answered := 0
	for _, ex := range rec.Exchanges {
		if ex.Error == "" {
			answered++
		}
	}
	if n := srv.RequestCount() + srv.Tokens.RequestCount(); answered > n || n > len(files) {
		t.Errorf("%d exchanges recorded (%d answered), the server received %d", len(files), answered, n)
	}
	secrets := append(srv.Tokens.Secrets(), srv.ClientSecret, strings.TrimPrefix(srv.URL, "http://"), "127.0.0.1", sptest.TenantID)
	// The people of the site (the signed-in user among them): their names,
	// e-mail addresses and login names.
	for _, u := range sptest.DefaultUsers() {
		secrets = append(secrets, u.Title, u.Email, u.LoginName)
	}
	if len(secrets) < 5 {
		t.Fatalf("the run used too few secrets to test: %d", len(secrets))
	}
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
			t.Errorf("the recording holds a secret, the host or a person: %.12s…", s)
		}
	}
	for _, want := range []string{"createfieldasxml", "$batch", "oauth2", "X-HTTP-Method", "DELETE"} {
		if !bytes.Contains(all.Bytes(), []byte(want)) {
			t.Errorf("the recording lacks %q", want)
		}
	}
}

// --cleanup deletes the lists an interrupted run left, and nothing else.
func TestConformanceCleanupRemovesLeftovers(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Existing"}}})
	defer srv.Close()
	cfg, err := spsql.ParseDSN(srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := spsql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	schema := conn.(*spsql.Connector).SharePoint()
	for _, title := range []string{"spsql-conformance-dead", "spsql-conformance-dead-target"} {
		if _, err := schema.CreateList(context.Background(), title, ""); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"conformance", "--cleanup", "--dsn", srv.ConnString()}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `deleted "spsql-conformance-dead"`) || !strings.Contains(stdout.String(), `deleted "spsql-conformance-dead-target"`) {
		t.Errorf("output %q", stdout.String())
	}
	if got := strings.Join(listTitles(t, srv), "|"); got != "Existing" {
		t.Errorf("lists after --cleanup: %s", got)
	}
}

// Signed in as an application with a certificate, the recording holds
// none of the client assertions (signed JWTs) sent, the access tokens
// issued, nor the certificate's password.
func TestConformanceRecordingHoldsNoAssertion(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{TimeZone: "Europe/Berlin"})
	defer srv.Close()
	cert, err := sptest.NewTestCertificate()
	if err != nil {
		t.Fatal(err)
	}
	srv.RegisterAppCertificate(cert.Certificate)
	const password = "pfx-password-42"
	pfx, err := cert.WritePKCS12(t.TempDir(), password)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"conformance", "--dsn", srv.AppOnlyConnString(pfx, password), "--record", dir}, strings.NewReader(""), &stdout, &stderr)
	if code != exitOK {
		t.Errorf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	rec, err := conformance.LoadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, ex := range rec.Exchanges {
		all.WriteString(ex.Request.Body + ex.Request.URL + ex.Response.Body + ex.Error)
	}
	if !strings.Contains(all.String(), "client_assertion=") {
		t.Fatal("the recording holds no token request with a client assertion")
	}
	secrets := append(srv.Tokens.Secrets(), password)
	if len(secrets) < 3 {
		t.Fatalf("the run used too few secrets to test: %d", len(secrets))
	}
	for _, s := range secrets {
		if strings.Contains(all.String(), s) {
			t.Errorf("the recording holds a secret: %.12s…", s)
		}
	}
}

// TestUsageListsEverySubcommand: spsql --help names each subcommand run
// dispatches, each with a --help of its own.
func TestUsageListsEverySubcommand(t *testing.T) {
	code, out, _ := runCLI(t, "", "--help")
	if code != exitOK {
		t.Fatalf("--help: exit %d", code)
	}
	for _, sub := range []string{"login", "serve", "conformance"} {
		if !strings.Contains(out, "spsql "+sub+" [flags]") {
			t.Errorf("--help does not list %q:\n%s", sub, out)
		}
		if c, subOut, _ := runCLI(t, "", sub, "--help"); c != exitOK || !strings.Contains(subOut, "Usage: spsql "+sub) {
			t.Errorf("%s --help: exit %d, %q", sub, c, subOut)
		}
	}
}

// spsql conformance takes its flags like the other commands: anywhere,
// with a suggestion for a misspelt one.
func TestConformanceSuggestsAMisspeltFlag(t *testing.T) {
	code, _, errOut := runCLI(t, "", "conformance", "--demo", "--lareg")
	if code != exitUsage || !strings.Contains(errOut, "(did you mean --large?)") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
