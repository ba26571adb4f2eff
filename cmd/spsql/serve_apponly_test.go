package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pemKeyLines are the base64 lines of the PRIVATE KEY block of a PEM file.
func pemKeyLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, key, ok := strings.Cut(string(b), "-----BEGIN PRIVATE KEY-----")
	if !ok {
		t.Fatalf("%s holds no PRIVATE KEY block", path)
	}
	var out []string
	for line := range strings.Lines(key) {
		if line = strings.TrimSpace(line); !strings.HasPrefix(line, "-----") && len(line) > 20 {
			out = append(out, line)
		}
	}
	return out
}

// noJWT fails when out holds what looks like a JWT: the emulator's access
// tokens and the client assertions both start with a base64url-encoded
// JSON header, "eyJ".
func noJWT(t *testing.T, what, out string) {
	t.Helper()
	if strings.Contains(out, "eyJ") {
		t.Errorf("%s shows a token or an assertion:\n%s", what, out)
	}
}

var certFileRE = regexp.MustCompile(`CertificateFile=([^;]+)`)

// TestBinaryServeAppOnly: spsql serve --app-only prints an app-only
// connection string on its first line, with the certificate and key in a
// private file; a second process queries with that line alone, as an
// unattended job would (no login), with -v on both sides; no output shows
// the key, an assertion or a token. The temporary directory goes when the
// server stops.
func TestBinaryServeAppOnly(t *testing.T) {
	cmd, dsn, errOut := startServe(t, "--app-only", "-v")
	if !strings.HasPrefix(dsn, "ServiceURL=http://127.0.0.1:") || !strings.Contains(dsn, ";AuthenticationMethod=OAuth2ClientCertificate;") ||
		strings.Contains(dsn, "ClientSecret") || strings.Contains(dsn, "RefreshToken") {
		t.Fatalf("first line %q", dsn)
	}
	m := certFileRE.FindStringSubmatch(dsn)
	if m == nil || !filepath.IsAbs(m[1]) {
		t.Fatalf("no absolute CertificateFile in %q", dsn)
	}
	certPath := m[1]
	if fi, err := os.Stat(certPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the certificate file: %v, %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Dir(certPath)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the certificate's directory: %v, %v", fi, err)
	}
	key := pemKeyLines(t, certPath)

	job := filepath.Join(t.TempDir(), "job.dsn")
	if err := os.WriteFile(job, []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, qErr := runBinary(t, "", nil, "--dsn-file", job, "-v", "-c", "SELECT COUNT(*) AS n FROM Tasks", "--format", "tsv")
	if code != exitOK || out != "n\n250\n" || !strings.Contains(qErr, "/oauth2/v2.0/token → 200 OK (") {
		t.Fatalf("second process: exit %d\nstdout %q\nstderr %q\nserver:\n%s", code, out, qErr, errOut.String())
	}
	waitFor(t, errOut, "/_api/web/lists/getbytitle('Tasks')")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGINT: %v; stderr:\n%s", err, errOut.String())
	}
	serverErr := errOut.String()
	if !strings.Contains(serverErr, "app-only access: the certificate and its private key are in "+certPath) {
		t.Errorf("the server's stderr does not say where the certificate is:\n%s", serverErr)
	}
	for _, o := range []string{dsn, out, qErr, serverErr} {
		noJWT(t, "an output", o)
		for _, l := range key {
			if strings.Contains(o, l) {
				t.Fatal("an output shows the private key")
			}
		}
	}
	if _, err := os.Stat(filepath.Dir(certPath)); !os.IsNotExist(err) {
		t.Errorf("the temporary certificate directory is still there after the server stopped: %v", err)
	}
}

// TestBinaryServeAppOnlyCertDir: --cert-dir puts app.pem where asked,
// readable by its owner only even when an app.pem readable by others was
// there, and keeps it on exit; --cert-dir alone is a usage error.
func TestBinaryServeAppOnlyCertDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, dsn, errOut := startServe(t, "--app-only", "--cert-dir", dir)
	if !strings.Contains(dsn, ";CertificateFile="+old) {
		t.Fatalf("first line %q, want CertificateFile=%s", dsn, old)
	}
	if fi, err := os.Stat(old); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("app.pem: %v, %v", fi, err)
	}
	if code, out, qErr := runBinary(t, "", []string{"SPSQL_DSN=" + dsn}, "-c", "SELECT COUNT(*) AS n FROM Projects", "--format", "tsv"); code != exitOK || out != "n\n30\n" {
		t.Fatalf("second process: exit %d\nstdout %q\nstderr %q", code, out, qErr)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGINT: %v; stderr:\n%s", err, errOut.String())
	}
	if b, err := os.ReadFile(old); err != nil || !bytes.Contains(b, []byte("-----BEGIN PRIVATE KEY-----")) {
		t.Errorf("app.pem after exit: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%s holds %d files, want app.pem only", dir, len(entries))
	}

	code, out, stderr := runBinary(t, "", nil, "serve", "--cert-dir", dir)
	if code != exitUsage || out != "" || !strings.Contains(stderr, "add --app-only") {
		t.Errorf("--cert-dir without --app-only: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

func TestServeHelpShowsTheAppOnlyConnectionString(t *testing.T) {
	code, out, _ := runCLI(t, "", "serve", "--help")
	for _, want := range []string{"--app-only", "--cert-dir DIR", "AuthenticationMethod=OAuth2ClientCertificate", "CertificateFile="} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("spsql serve --help lacks %q", want)
		}
	}
}
