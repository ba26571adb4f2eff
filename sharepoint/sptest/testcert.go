package sptest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// TestCertificate is a self-signed RSA certificate with its private key,
// for tests of app-only access: register Certificate on a Server
// (RegisterAppCertificate) and give the driver the file WriteFiles or
// WritePKCS12 writes. Never use it outside tests.
type TestCertificate struct {
	Certificate *x509.Certificate
	Key         *rsa.PrivateKey
	// CertPEM and KeyPEM are the PEM encodings of Certificate and of Key
	// (PKCS#8, unencrypted).
	CertPEM, KeyPEM []byte
}

// NewTestCertificate creates a 2048-bit RSA certificate valid from an
// hour ago for a year.
func NewTestCertificate() (*TestCertificate, error) {
	now := time.Now()
	return NewTestCertificateValid(now.Add(-time.Hour), now.AddDate(1, 0, 0))
}

// NewTestCertificateValid creates a 2048-bit RSA certificate valid from
// notBefore to notAfter: an expired one for tests of expiry.
func NewTestCertificateValid(notBefore, notAfter time.Time) (*TestCertificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("sptest: generating a key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("sptest: generating a serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "sptest app-only " + serial.Text(16)},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("sptest: creating the certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("sptest: reading the certificate back: %w", err)
	}
	pk8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("sptest: encoding the key: %w", err)
	}
	return &TestCertificate{
		Certificate: cert,
		Key:         key,
		CertPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8}),
	}, nil
}

// PEM returns the certificate followed by its key, the content of a PEM
// CertificateFile.
func (c *TestCertificate) PEM() []byte {
	return append(append([]byte{}, c.CertPEM...), c.KeyPEM...)
}

// PKCS12 returns the certificate and key as a PKCS#12 (.pfx) file
// protected by password, encrypted as current Windows and OpenSSL do
// (AES-256, PBKDF2).
func (c *TestCertificate) PKCS12(password string) ([]byte, error) {
	b, err := pkcs12.Modern.Encode(c.Key, c.Certificate, nil, password)
	if err != nil {
		return nil, fmt.Errorf("sptest: encoding PKCS#12: %w", err)
	}
	return b, nil
}

// WriteFiles writes PEM() to dir/app.pem (mode 0600) and returns its path.
func (c *TestCertificate) WriteFiles(dir string) (string, error) {
	path := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(path, c.PEM(), 0o600); err != nil {
		return "", fmt.Errorf("sptest: %w", err)
	}
	return path, nil
}

// WritePKCS12 writes PKCS12(password) to dir/app.pfx (mode 0600) and
// returns its path.
func (c *TestCertificate) WritePKCS12(dir, password string) (string, error) {
	b, err := c.PKCS12(password)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "app.pfx")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", fmt.Errorf("sptest: %w", err)
	}
	return path, nil
}

// AppOnlyConnString returns a connection string for app-only access as
// the server's default application (ClientID), with the certificate and
// key in certFile (register the certificate first with
// RegisterAppCertificate); password is CertificatePassword, "" for none:
//
//	ServiceURL=…;AuthenticationMethod=OAuth2ClientCertificate;ClientID=…;TokenURI=…;CertificateFile=…
func (s *Server) AppOnlyConnString(certFile, password string) string {
	pairs := [][2]string{
		{"ServiceURL", s.ServiceURL()},
		{"AuthenticationMethod", "OAuth2ClientCertificate"},
		{"ClientID", s.ClientID},
		{"TokenURI", s.TokenURL()},
		{"CertificateFile", certFile},
	}
	if password != "" {
		pairs = append(pairs, [2]string{"CertificatePassword", password})
	}
	out := ""
	for i, p := range pairs {
		if i > 0 {
			out += ";"
		}
		out += p[0] + "=" + quoteConnValue(p[1])
	}
	return out
}
