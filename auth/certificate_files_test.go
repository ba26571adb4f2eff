package auth_test

import (
	"crypto/x509"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/go-spsql/spsql/auth"
)

// TestParseClientCertificateSaysWhatIsMissing: the files a user is likely
// to give by mistake — a .pfx without its password (or a password for a
// .pfx that has none), a .pfx or a .cer that holds no private key — each get an error saying what is missing, not
// the generic "neither PEM nor PKCS#12"; no error shows the password.
func TestParseClientCertificateSaysWhatIsMissing(t *testing.T) {
	a, _, _ := certs(t)
	const password = "s3cret-pfx-pw"
	pfx, err := a.PKCS12(password)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := pkcs12.LegacyDES.Encode(a.Key, a.Certificate, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	noPassword, err := pkcs12.Passwordless.Encode(a.Key, a.Certificate, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	certOnly, err := pkcs12.Modern.EncodeTrustStore([]*x509.Certificate{a.Certificate}, password)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, password string
		data           []byte
		errHas         string
	}{
		{"PKCS#12 without CertificatePassword", "", pfx, "CertificatePassword is not set"},
		{"PKCS#12 with a wrong password", "wrong-pw", pfx, "cannot be opened with CertificatePassword: check the password"},
		{"legacy 3DES PKCS#12 with a wrong password", "wrong-pw", legacy, "cannot be opened with CertificatePassword: check the password"},
		{"PKCS#12 without a password, given one", "wrong-pw", noPassword, "has no password: remove CertificatePassword"},
		{"PKCS#12 holding only the certificate", password, certOnly, "holds no private key"},
		{"a DER certificate (.cer)", "", a.Certificate.Raw, "a certificate alone (DER, as a .cer or .crt file) without its private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auth.ParseClientCertificate(tc.data, tc.password)
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("err = %v, want one containing %q", err, tc.errHas)
			}
			if !strings.HasPrefix(err.Error(), "auth: ") {
				t.Errorf("err = %v, want the auth: prefix", err)
			}
			for _, pw := range []string{password, "wrong-pw"} {
				if strings.Contains(err.Error(), pw) {
					t.Error("the error shows the password")
				}
			}
		})
	}
	// The legacy encoding opens with its password, the passwordless one
	// without.
	if _, err := auth.ParseClientCertificate(legacy, password); err != nil {
		t.Errorf("legacy 3DES PKCS#12: %v", err)
	}
	if _, err := auth.ParseClientCertificate(noPassword, ""); err != nil {
		t.Errorf("PKCS#12 without a password: %v", err)
	}
}
