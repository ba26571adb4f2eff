package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// keyLines are the base64 lines of a private key's PEM.
func keyLines(c *sptest.TestCertificate) []string {
	var out []string
	for line := range strings.Lines(string(c.KeyPEM)) {
		if line = strings.TrimSpace(line); !strings.HasPrefix(line, "-----") && len(line) > 20 {
			out = append(out, line)
		}
	}
	return out
}

// noSecrets fails the test when out shows any of secrets, raw or
// form-encoded.
func noSecrets(t *testing.T, out string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && (strings.Contains(out, s) || strings.Contains(out, url.QueryEscape(s))) {
			t.Fatal("the command's output shows a secret")
		}
	}
}

// The built binary runs an unattended job with app-only access: a
// PKCS#12 certificate with its password, from a --dsn-file, no login.
// Then the refusals (an unregistered certificate, Sites.Selected without a
// grant, an expired certificate) each say what to do; no output shows the
// key, the password, an assertion or a token.
func TestBinaryAppOnly(t *testing.T) {
	cert, err := sptest.NewTestCertificate()
	if err != nil {
		t.Fatal(err)
	}
	const password = "pfx;pass}word"
	dir := t.TempDir()
	pfx, err := cert.WritePKCS12(dir, password)
	if err != nil {
		t.Fatal(err)
	}
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	dsnFile := filepath.Join(dir, "job.dsn")
	if err := os.WriteFile(dsnFile, []byte(srv.AppOnlyConnString(pfx, password)), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := func() []string { return append(append(srv.Tokens.Secrets(), keyLines(cert)...), password) }

	// Not registered yet: AADSTS700027, with what to do; a gateway that
	// echoes the posted form gets no assertion onto the terminal.
	srv.Tokens.SetEchoForm(true)
	code, out, errOut := runBinary(t, "", nil, "--dsn-file", dsnFile, "SELECT COUNT(*) FROM Tasks")
	if code == exitOK || !strings.Contains(errOut, "AADSTS700027") || !strings.Contains(errOut, "Certificates & secrets") {
		t.Errorf("unregistered certificate: exit %d\nstderr %s", code, errOut)
	}
	if !strings.Contains(errOut, "client_assertion=***") {
		t.Error("stderr lacks the redacted echo of the form")
	}
	noSecrets(t, out+errOut, secrets())
	srv.Tokens.SetEchoForm(false)

	srv.RegisterAppCertificate(cert.Certificate)
	code, out, errOut = runBinary(t, "", nil, "--dsn-file", dsnFile, "SELECT COUNT(*) FROM Tasks")
	if code != exitOK || !strings.Contains(out, "250") {
		t.Errorf("app-only job: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	noSecrets(t, out+errOut, secrets())
	f := srv.Tokens.Requests()[1].Form
	if f.Get("grant_type") != "client_credentials" || f.Get("client_assertion") == "" {
		t.Errorf("the binary's token request: grant_type %q, assertion sent %t", f.Get("grant_type"), f.Has("client_assertion"))
	}

	// Sites.Selected without a grant on this site.
	srv.SetSitesSelected(srv.ClientID)
	code, out, errOut = runBinary(t, "", []string{"SPSQL_DSN=" + srv.AppOnlyConnString(pfx, password)}, "SELECT COUNT(*) FROM Tasks")
	if code == exitOK || !strings.Contains(errOut, "403") || !strings.Contains(errOut, "Sites.Selected") {
		t.Errorf("Sites.Selected without a grant: exit %d\nstderr %s", code, errOut)
	}
	noSecrets(t, out+errOut, secrets())

	// An expired certificate is refused before any request.
	old, err := sptest.NewTestCertificateValid(time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	oldFile, err := old.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Tokens.RequestCount()
	code, out, errOut = runBinary(t, "", []string{"SPSQL_DSN=" + srv.AppOnlyConnString(oldFile, "")}, "SELECT COUNT(*) FROM Tasks")
	if code == exitOK || !strings.Contains(errOut, "expired on") || srv.Tokens.RequestCount() != before {
		t.Errorf("expired certificate: exit %d\nstderr %s", code, errOut)
	}
	noSecrets(t, out+errOut, append(secrets(), keyLines(old)...))
}

func TestUsageShowsTheAppOnlyConnectionString(t *testing.T) {
	code, out, _ := runCLI(t, "", "--help")
	for _, want := range []string{"AuthenticationMethod=OAuth2ClientCertificate", "CertificateFile=", "Unattended jobs", "spsql serve --app-only"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
