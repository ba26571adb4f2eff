package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// TestBinaryAppOnlyCertificateFileErrors: a CertificateFile the driver
// cannot use stops the built binary (exit 1) before any request, with -v
// too, saying what is wrong with which file; no output shows the
// password or the key.
func TestBinaryAppOnlyCertificateFileErrors(t *testing.T) {
	cert, err := sptest.NewTestCertificate()
	if err != nil {
		t.Fatal(err)
	}
	const password = "pfx-Pa55;word"
	dir := t.TempDir()
	pfx, err := cert.WritePKCS12(dir, password)
	if err != nil {
		t.Fatal(err)
	}
	certOnly := filepath.Join(dir, "cert-only.pem")
	der := filepath.Join(dir, "app.cer")
	if err := os.WriteFile(certOnly, cert.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(der, cert.Certificate.Raw, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pfx")
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	srv.RegisterAppCertificate(cert.Certificate)
	secrets := append(keyLines(cert), password, "wrong-"+password)

	for _, tc := range []struct {
		name, file, password string
		want                 []string
	}{
		{"a wrong password", pfx, "wrong-" + password, []string{"cannot be opened with CertificatePassword: check the password", pfx}},
		{"no password", pfx, "", []string{"CertificatePassword is not set", pfx}},
		{"a PEM without its key", certOnly, "", []string{"no PRIVATE KEY block", certOnly}},
		{"a .cer", der, "", []string{"a certificate alone (DER", der}},
		{"a file that does not exist", missing, password, []string{"CertificateFile", missing, "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Tokens.RequestCount()
			code, out, errOut := runBinary(t, "", []string{"SPSQL_DSN=" + srv.AppOnlyConnString(tc.file, tc.password)}, "-v", "-c", "SELECT COUNT(*) FROM Tasks")
			if code != exitError || out != "" || !strings.HasPrefix(errOut, "spsql: ") {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q: %s", w, errOut)
				}
			}
			if srv.Tokens.RequestCount() != before || strings.Contains(errOut, " → ") {
				t.Errorf("a request was sent: %s", errOut)
			}
			noSecrets(t, out+errOut, secrets)
		})
	}
}
