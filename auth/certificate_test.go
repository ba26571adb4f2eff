package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

var (
	certOnce       sync.Once
	certA, certB   *sptest.TestCertificate
	certExpired    *sptest.TestCertificate
	certOnceFailed error
)

// certs returns certificates shared by the tests (RSA key generation is
// the slow part): two valid ones and an expired one.
func certs(t *testing.T) (a, b, expired *sptest.TestCertificate) {
	t.Helper()
	certOnce.Do(func() {
		var err1, err2, err3 error
		certA, err1 = sptest.NewTestCertificate()
		certB, err2 = sptest.NewTestCertificate()
		certExpired, err3 = sptest.NewTestCertificateValid(time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-1, 0, 0))
		certOnceFailed = errors.Join(err1, err2, err3)
	})
	if certOnceFailed != nil {
		t.Fatal(certOnceFailed)
	}
	return certA, certB, certExpired
}

// keyLines are the base64 lines of a key's PEM: any of them in an output
// is a leak.
func keyLines(c *sptest.TestCertificate) []string {
	var out []string
	for line := range strings.Lines(string(c.KeyPEM)) {
		if line = strings.TrimSpace(line); !strings.HasPrefix(line, "-----") && len(line) > 20 {
			out = append(out, line)
		}
	}
	return out
}

// certConfig is a v2 client-certificate configuration for the emulator's
// default application, which has c registered.
func (h *harness) certConfig(c *sptest.TestCertificate) auth.Config {
	h.srv.RegisterAppCertificate(c.Certificate)
	cc, err := auth.ParseClientCertificate(c.PEM(), "")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, l := range keyLines(c) {
		h.addSecret(l)
	}
	return auth.Config{
		TokenURL:          h.srv.TokenURL(),
		ClientID:          h.srv.ClientID,
		ClientCertificate: cc,
		Scopes:            []string{h.srv.URL + "/.default"},
		HTTPClient:        h.srv.Client(),
		Logger:            h.logger,
	}
}

func TestParseClientCertificate(t *testing.T) {
	a, b, _ := certs(t)
	pfx, err := a.PKCS12("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.CreateCertificate(rand.Reader, a.Certificate, a.Certificate, &ecKey.PublicKey, a.Key)
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ecDER})
	ec8, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecPEM = append(ecPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ec8})...)
	pkcs1 := append(append([]byte{}, a.CertPEM...), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(a.Key)})...)
	encrypted := append(append([]byte{}, a.CertPEM...), []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n")...)

	tests := []struct {
		name     string
		data     []byte
		password string
		errHas   string // "" success
	}{
		{name: "PEM, certificate then key", data: a.PEM()},
		{name: "PEM, key then certificate", data: append(append([]byte{}, a.KeyPEM...), a.CertPEM...)},
		{name: "PEM with a PKCS#1 key", data: pkcs1},
		{name: "PKCS#12 with its password", data: pfx, password: "correct horse"},
		{name: "PKCS#12 with a wrong password", data: pfx, password: "wrong", errHas: "cannot be opened with CertificatePassword"},
		{name: "a key of another certificate", data: append(append([]byte{}, a.CertPEM...), b.KeyPEM...), errHas: "does not belong to the certificate"},
		{name: "a certificate without key", data: a.CertPEM, errHas: "no PRIVATE KEY block"},
		{name: "a key without certificate", data: a.KeyPEM, errHas: "no CERTIFICATE block"},
		{name: "an encrypted PEM key", data: encrypted, errHas: "PKCS#12 (.pfx) file with CertificatePassword"},
		{name: "an elliptic-curve certificate", data: ecPEM, errHas: "key is ECDSA"},
		{name: "neither PEM nor PKCS#12", data: []byte("hello"), errHas: "neither PEM nor a PKCS#12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := auth.ParseClientCertificate(tc.data, tc.password)
			if tc.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !c.Certificate.Equal(a.Certificate) {
					t.Error("another certificate came back")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("err = %v, want one containing %q", err, tc.errHas)
			}
			if tc.password != "" && strings.Contains(err.Error(), tc.password) {
				t.Error("the error shows the password")
			}
		})
	}
}

func TestClientCertificatePrintsNoKey(t *testing.T) {
	a, _, _ := certs(t)
	c, err := auth.ParseClientCertificate(a.PEM(), "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := auth.Config{ClientCertificate: c}
	out := fmt.Sprintf("%v %+v %#v %s %v %+v %#v", c, c, c, cfg, cfg, cfg, cfg)
	for _, l := range keyLines(a) {
		if strings.Contains(out, l) {
			t.Fatal("printing the certificate or the config shows the key")
		}
	}
	if !strings.Contains(out, c.Thumbprint()) {
		t.Error("the certificate is not named by its thumbprint")
	}
}

func TestLoadClientCertificateNamesTheFile(t *testing.T) {
	_, err := auth.LoadClientCertificate(filepath.Join(t.TempDir(), "missing.pfx"), "pw-secret")
	if err == nil || !strings.Contains(err.Error(), "CertificateFile") || strings.Contains(err.Error(), "pw-secret") {
		t.Fatalf("err = %v", err)
	}
	a, _, _ := certs(t)
	path := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(path, a.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadClientCertificate(path, ""); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want the file named", err)
	}
}

func TestClientCredentialsGrant(t *testing.T) {
	h := newHarness(t)
	a, _, _ := certs(t)
	s := h.source(h.certConfig(a))
	tok := mustToken(t, h, s)
	if tok.AccessToken == "" {
		t.Fatal("no token")
	}
	if info, ok := h.srv.Tokens.AppOnly(tok.AccessToken); !ok || !info.Certificate {
		t.Fatalf("the token is not a certificate app-only token: %+v %t", info, ok)
	}
	// Cached until near its expiry; then a new grant, a new assertion.
	mustToken(t, h, s)
	if n := h.srv.Tokens.RequestCount(); n != 1 {
		t.Fatalf("token requests = %d, want 1", n)
	}
	s.Invalidate(nil)
	mustToken(t, h, s)
	reqs := h.srv.Tokens.Requests()
	if len(reqs) != 2 || reqs[1].Status != 200 || reqs[0].Form.Get("client_assertion") == reqs[1].Form.Get("client_assertion") {
		t.Fatalf("the second grant failed or reused the assertion")
	}
}

func TestClientCredentialsV1SendsResource(t *testing.T) {
	h := newHarness(t)
	a, _, _ := certs(t)
	cfg := h.certConfig(a)
	cfg.TokenURL, cfg.Scopes, cfg.Resource = h.srv.TokenURLV1(), nil, h.srv.URL
	mustToken(t, h, h.source(cfg))
	f := h.srv.Tokens.Requests()[0].Form
	if f.Get("resource") != h.srv.URL || f.Has("scope") {
		t.Fatalf("v1 form: resource %q, scope sent %t", f.Get("resource"), f.Has("scope"))
	}
}

func TestClientCertificateRefusals(t *testing.T) {
	h := newHarness(t)
	a, b, expired := certs(t)

	// Not registered on the application: AADSTS700027, explained, final.
	cfg := h.certConfig(a)
	cc, err := auth.ParseClientCertificate(b.PEM(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range keyLines(b) {
		h.addSecret(l)
	}
	cfg.ClientCertificate = cc
	_, err = h.source(cfg).Token()
	h.record(err)
	if !errors.Is(err, auth.ErrCertificateRejected) || !errors.Is(err, auth.ErrInvalidClient) {
		t.Fatalf("err = %v, want ErrCertificateRejected", err)
	}
	for _, want := range []string{"AADSTS700027", "rejected the client certificate", "not registered on the application", "Certificates & secrets"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "ClientSecret") {
		t.Error("the error speaks of a client secret")
	}
	if n := h.srv.Tokens.RequestCount(); n != 1 {
		t.Errorf("token requests = %d, want 1 (not retried)", n)
	}

	// Expired: refused locally, at construction and without a request.
	cfg = h.certConfig(expired)
	_, err = auth.NewRefreshTokenSource(cfg)
	h.record(err)
	if !errors.Is(err, auth.ErrCertificateExpired) || !strings.Contains(err.Error(), "expired on") || !strings.Contains(err.Error(), "create a new certificate") {
		t.Fatalf("err = %v, want ErrCertificateExpired", err)
	}
	if n := h.srv.Tokens.RequestCount(); n != 1 {
		t.Errorf("token requests = %d, want still 1", n)
	}
}

func TestClientCertificateConfigValidation(t *testing.T) {
	h := newHarness(t)
	a, _, _ := certs(t)
	base := h.certConfig(a)
	tests := []struct {
		name   string
		change func(*auth.Config)
		errHas string
	}{
		{"with a refresh token", func(c *auth.Config) { c.RefreshToken = "rt" }, "either RefreshToken"},
		{"with a client secret", func(c *auth.Config) { c.ClientSecret = "s" }, "refuses app-only tokens obtained with a client secret"},
		{"without ClientID", func(c *auth.Config) { c.ClientID = "" }, "ClientID is required with a ClientCertificate"},
		{"without TokenURL", func(c *auth.Config) { c.TokenURL = "" }, "TokenURL is required with a ClientCertificate"},
		{"v2 without scope", func(c *auth.Config) { c.Scopes = nil }, "e.g. https://TENANT.sharepoint.com/.default"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.change(&cfg)
			_, err := auth.NewRefreshTokenSource(cfg)
			h.record(err)
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("err = %v, want %q", err, tc.errHas)
			}
		})
	}
}

// The client-credentials grant leaks nothing either — not the key, not an
// assertion, not an app-only token — even through a gateway echoing the
// posted form (assertion included) in its error descriptions, retries
// and a refusal included. The harness checks every output at cleanup.
func TestClientCredentialsLeakNothing(t *testing.T) {
	h := newHarness(t)
	h.srv.Tokens.SetEchoForm(true)
	a, b, _ := certs(t)
	s := h.source(h.certConfig(a))
	h.srv.Tokens.FailNext(2, 500)
	tok := mustToken(t, h, s)
	c := h.spClient(s)
	if st, err := h.getWeb(c); err != nil || st != 200 {
		t.Fatalf("%d %v", st, err)
	}

	bad := h.certConfig(a)
	cc, _ := auth.ParseClientCertificate(b.PEM(), "")
	for _, l := range keyLines(b) {
		h.addSecret(l)
	}
	bad.ClientCertificate = cc
	_, err := h.source(bad).Token()
	h.record(err)
	if err == nil || !strings.Contains(err.Error(), "Received: ") || !strings.Contains(err.Error(), "client_assertion=***") {
		t.Fatalf("the echoed form is not shown redacted: %v", err != nil)
	}
	if n := len(h.srv.Tokens.Secrets()); n < 4 {
		t.Fatalf("the emulator lists %d secrets; the check would be vacuous", n)
	}
	_ = tok
}

// A token at its expiry margin is replaced before SharePoint refuses it,
// by a new grant with a new assertion; the new token is then cached.
func TestClientCredentialsTokenNearExpiryIsReplaced(t *testing.T) {
	h := newHarness(t)
	a, _, _ := certs(t)
	// expires_in 0: the token is at its expiry margin as soon as it arrives.
	h.srv.Tokens.SetAccessTokenLifetime(0)
	s := h.source(h.certConfig(a))
	mustToken(t, h, s)
	h.srv.Tokens.SetAccessTokenLifetime(time.Hour)
	mustToken(t, h, s)
	mustToken(t, h, s)
	reqs := h.srv.Tokens.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d token requests, want 2 (one for the stale token, then cached)", len(reqs))
	}
	if reqs[1].Status != 200 || reqs[0].Form.Get("client_assertion") == reqs[1].Form.Get("client_assertion") {
		t.Error("the replacement failed or reused the assertion")
	}
}
