package spsql_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// appOnlySite is a small site for the app-only tests.
var appOnlySite = sptest.Site{Lists: []sptest.List{{
	Title: "Tasks",
	Items: []sptest.Item{{"Title": "one"}, {"Title": "two"}},
}}}

// appOnlyServer starts an emulator whose default application has cert
// registered, and returns the certificate file it wrote (PEM, or PKCS#12
// when password is set) and the secrets a leak check must look for: the
// key's PEM, the password.
func appOnlyServer(t *testing.T, password string) (srv *sptest.Server, cert *sptest.TestCertificate, certFile string, secrets []string) {
	t.Helper()
	cert = testCertificate(t)
	srv = sptest.NewServer(appOnlySite)
	t.Cleanup(srv.Close)
	srv.RegisterAppCertificate(cert.Certificate)
	var err error
	if password == "" {
		certFile, err = cert.WriteFiles(t.TempDir())
	} else {
		certFile, err = cert.WritePKCS12(t.TempDir(), password)
	}
	if err != nil {
		t.Fatal(err)
	}
	return srv, cert, certFile, append(keySecrets(cert), password)
}

// testCertificate is one certificate shared by the tests of this file:
// RSA key generation is the slow part.
var sharedCert *sptest.TestCertificate

func testCertificate(t *testing.T) *sptest.TestCertificate {
	t.Helper()
	if sharedCert == nil {
		c, err := sptest.NewTestCertificate()
		if err != nil {
			t.Fatal(err)
		}
		sharedCert = c
	}
	return sharedCert
}

// keySecrets are lines of the private key's PEM body: any of them in an
// output means the key leaked.
func keySecrets(c *sptest.TestCertificate) []string {
	var out []string
	for line := range strings.Lines(string(c.KeyPEM)) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "-----") && len(line) > 20 {
			out = append(out, line)
		}
	}
	return out
}

func TestAppOnlyThroughDatabaseSQL(t *testing.T) {
	for _, tc := range []struct{ name, password string }{{"PEM", ""}, {"PKCS12", "p@ss;word{1}"}} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cert, file, secrets := appOnlyServer(t, tc.password)
			lc := newLeakCheck(t, srv, secrets...)
			dsn := srv.AppOnlyConnString(file, tc.password)
			db, err := sql.Open("sharepoint", dsn)
			if err != nil {
				t.Fatal(lc.err(err))
			}
			defer db.Close()
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM Tasks").Scan(&n); err != nil {
				t.Fatal(lc.err(err))
			}
			if n != 2 {
				t.Fatalf("COUNT(*) = %d, want 2", n)
			}
			reqs := srv.Tokens.Requests()
			if len(reqs) != 1 {
				t.Fatalf("token requests = %d, want 1", len(reqs))
			}
			f := reqs[0].Form
			if f.Get("grant_type") != "client_credentials" || f.Get("client_id") != srv.ClientID ||
				f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
				f.Has("client_secret") || f.Has("refresh_token") {
				t.Errorf("token request has grant_type %q, client_id ok %t, client_assertion_type %q, client_secret %t, refresh_token %t",
					f.Get("grant_type"), f.Get("client_id") == srv.ClientID, f.Get("client_assertion_type"), f.Has("client_secret"), f.Has("refresh_token"))
			}
			if got, want := f.Get("scope"), srv.URL+"/.default"; got != want {
				t.Errorf("scope = %q, want %q", got, want)
			}
			checkAssertion(t, f.Get("client_assertion"), srv.TokenURL(), srv.ClientID, cert)
			for _, r := range srv.Requests() {
				if r.Status != http.StatusOK {
					t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
				}
			}
			// The password is a secret of the Config too.
			cfg, err := spsql.ParseDSN(dsn)
			if err != nil {
				t.Fatal(lc.err(err))
			}
			lc.err(errors.New(cfg.String() + " " + cfg.GoString()))
			if tc.password != "" && strings.Contains(cfg.String(), tc.password) {
				t.Error("Config.String shows CertificatePassword")
			}
		})
	}
}

// checkAssertion decodes a client assertion and checks its header and
// claims against Microsoft's format (docs/sharepoint.md §12.8).
func checkAssertion(t *testing.T, a, aud, clientID string, cert *sptest.TestCertificate) {
	t.Helper()
	parts := strings.Split(a, ".")
	if len(parts) != 3 {
		t.Fatalf("the assertion has %d parts, want 3", len(parts))
	}
	var h map[string]string
	var c map[string]any
	for i, v := range []any{&h, &c} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, v) != nil {
			t.Fatalf("assertion part %d is not base64url JSON", i)
		}
	}
	if h["alg"] != "PS256" || h["typ"] != "JWT" || h["x5t"] == "" || h["x5t#S256"] == "" {
		t.Errorf("assertion header = %v", h)
	}
	if c["aud"] != aud || c["iss"] != clientID || c["sub"] != clientID || c["jti"] == "" {
		t.Errorf("assertion claims aud %v iss %v sub %v jti %v", c["aud"], c["iss"], c["sub"], c["jti"])
	}
	nbf, _ := c["nbf"].(float64)
	exp, _ := c["exp"].(float64)
	if life := time.Duration(exp-nbf) * time.Second; life <= 0 || life > 10*time.Minute {
		t.Errorf("assertion lifetime = %s, want short (at most 10 minutes)", life)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal("the signature is not base64url")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	pub := cert.Certificate.PublicKey.(*rsa.PublicKey)
	if rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) != nil {
		t.Error("the assertion's PS256 signature does not verify with the certificate")
	}
	s1, s256 := sha1.Sum(cert.Certificate.Raw), sha256.Sum256(cert.Certificate.Raw)
	if h["x5t"] != base64.RawURLEncoding.EncodeToString(s1[:]) || h["x5t#S256"] != base64.RawURLEncoding.EncodeToString(s256[:]) {
		t.Error("the header's thumbprints are not the certificate's")
	}
}

// An access token near its expiry is replaced by a new grant with a new
// assertion (there is no refresh token); a replayed assertion would be
// refused by the emulator.
func TestAppOnlyRenewsWithANewAssertion(t *testing.T) {
	srv, _, file, secrets := appOnlyServer(t, "")
	lc := newLeakCheck(t, srv, secrets...)
	db, err := sql.Open("sharepoint", srv.AppOnlyConnString(file, ""))
	if err != nil {
		t.Fatal(lc.err(err))
	}
	defer db.Close()
	ping := func() {
		t.Helper()
		if err := db.PingContext(context.Background()); err != nil {
			t.Fatal(lc.err(err))
		}
	}
	ping()
	srv.Tokens.ExpireAccessTokens() // SharePoint refuses it: 401, then a new grant
	ping()
	reqs := srv.Tokens.Requests()
	if len(reqs) != 2 {
		t.Fatalf("token requests = %d, want 2", len(reqs))
	}
	a1, a2 := reqs[0].Form.Get("client_assertion"), reqs[1].Form.Get("client_assertion")
	if a1 == a2 || reqs[1].Status != http.StatusOK {
		t.Errorf("the second grant reused the assertion (same %t) or failed (%d)", a1 == a2, reqs[1].Status)
	}
}

// An application limited to Sites.Selected gets 403 on a site it was not
// granted; the error says to grant it this site, and keeps SharePoint's
// code. With a read grant, SELECT works and INSERT gets 403.
func TestAppOnlySitesSelected(t *testing.T) {
	srv, _, file, secrets := appOnlyServer(t, "")
	lc := newLeakCheck(t, srv, secrets...)
	srv.SetSitesSelected(srv.ClientID)
	db, err := sql.Open("sharepoint", srv.AppOnlyConnString(file, ""))
	if err != nil {
		t.Fatal(lc.err(err))
	}
	defer db.Close()
	_, err = db.Query("SELECT Title FROM Tasks")
	lc.err(err)
	if !errors.Is(err, sharepoint.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	for _, want := range []string{"403", "System.UnauthorizedAccessException", "Sites.Selected", "grant the app access to this very site"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("SharePoint requests = %d, want 1: a 403 is not retried", n)
	}

	srv.GrantSite(srv.ClientID, sptest.SiteRoleRead)
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM Tasks").Scan(&n); err != nil || n != 2 {
		t.Fatalf("with a read grant: %d, %v", n, lc.err(err))
	}
	_, err = db.Exec("INSERT INTO Tasks (Title) VALUES ('three')")
	lc.err(err)
	if err == nil || !strings.Contains(err.Error(), "Sites.Selected") {
		t.Fatalf("INSERT with a read grant: err = %v, want a 403 naming Sites.Selected", err)
	}
}

// SharePoint refuses app-only tokens obtained with a client secret; the
// error keeps its text and says to use a certificate. The driver refuses
// the combination itself before any request.
func TestAppOnlyClientSecretRefused(t *testing.T) {
	srv := sptest.NewServer(appOnlySite)
	defer srv.Close()
	lc := newLeakCheck(t, srv)

	// The driver refuses ClientSecret with the certificate method.
	_, err := spsql.ParseDSN(srv.AppOnlyConnString("app.pem", "") + ";ClientSecret=" + srv.ClientSecret)
	lc.err(err)
	if err == nil || !strings.Contains(err.Error(), "Unsupported app only token") {
		t.Fatalf("ParseDSN with ClientSecret and OAuth2ClientCertificate: %v", err)
	}

	// A program that obtains a secret-based app-only token itself.
	form := "grant_type=client_credentials&client_id=" + srv.ClientID + "&client_secret=" + url.QueryEscape(srv.ClientSecret) + "&scope=" + url.QueryEscape(srv.URL+"/.default")
	resp, err := srv.Client().Post(srv.TokenURL(), "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		t.Fatalf("secret-based client credentials grant: %d", resp.StatusCode)
	}
	cfg := spsql.NewConfig()
	cfg.ServiceURL = srv.ServiceURL()
	conn, err := spsql.NewConnector(cfg, spsql.WithLogger(lc.logger()),
		spsql.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tr.AccessToken})))
	if err != nil {
		t.Fatal(lc.err(err))
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	err = db.Ping()
	lc.err(err)
	var spErr *sharepoint.Error
	if !errors.As(err, &spErr) || !spErr.UnsupportedAppOnlyToken() {
		t.Fatalf("err = %v, want SharePoint's Unsupported app only token", err)
	}
	for _, want := range []string{"401", "Unsupported app only token", "certificate", "OAuth2ClientCertificate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// A certificate not registered on the application: Entra's AADSTS700027
// is kept, and the error says to upload the certificate.
func TestAppOnlyCertificateNotRegistered(t *testing.T) {
	srv := sptest.NewServer(appOnlySite)
	defer srv.Close()
	cert := testCertificate(t)
	lc := newLeakCheck(t, srv, keySecrets(cert)...)
	file, err := cert.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sharepoint", srv.AppOnlyConnString(file, ""))
	if err != nil {
		t.Fatal(lc.err(err))
	}
	defer db.Close()
	err = db.Ping()
	lc.err(err)
	if !errors.Is(err, auth.ErrCertificateRejected) || !errors.Is(err, auth.ErrInvalidClient) {
		t.Fatalf("err = %v, want ErrCertificateRejected", err)
	}
	for _, want := range []string{"AADSTS700027", "not registered on the application", "Certificates & secrets"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := srv.Tokens.RequestCount(); n != 1 {
		t.Errorf("token requests = %d, want 1: a refused certificate is not retried", n)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("SharePoint requests = %d, want 0", n)
	}
}

// An expired certificate is reported before anything is sent.
func TestAppOnlyExpiredCertificate(t *testing.T) {
	srv := sptest.NewServer(appOnlySite)
	defer srv.Close()
	old, err := sptest.NewTestCertificateValid(time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	srv.RegisterAppCertificate(old.Certificate)
	lc := newLeakCheck(t, srv, keySecrets(old)...)
	file, err := old.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, err = sql.Open("sharepoint", srv.AppOnlyConnString(file, ""))
	lc.err(err)
	if !errors.Is(err, auth.ErrCertificateExpired) {
		t.Fatalf("err = %v, want ErrCertificateExpired", err)
	}
	for _, want := range []string{"expired on", "create a new certificate", "CertificateFile"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := srv.Tokens.RequestCount(); n != 0 {
		t.Errorf("token requests = %d, want 0", n)
	}
}

// The certificate sentinels re-exported at the root are auth's values.
func TestCertificateSentinelsAreAuthsValues(t *testing.T) {
	for name, pair := range map[string][2]error{
		"ErrCertificateRejected": {spsql.ErrCertificateRejected, auth.ErrCertificateRejected},
		"ErrCertificateExpired":  {spsql.ErrCertificateExpired, auth.ErrCertificateExpired},
	} {
		if pair[0] == nil || !errors.Is(pair[0], pair[1]) || !errors.Is(pair[1], pair[0]) {
			t.Errorf("spsql.%s is not auth's %s", name, name)
		}
	}
}

// A 401 to an app-only token that Entra issued (an application without
// admin-consented SharePoint permissions gets one) says to check the
// application's permissions, not a refresh token.
func TestAppOnly401SaysToCheckPermissions(t *testing.T) {
	srv, _, file, secrets := appOnlyServer(t, "")
	lc := newLeakCheck(t, srv, secrets...)
	db, err := sql.Open("sharepoint", srv.AppOnlyConnString(file, ""))
	if err != nil {
		t.Fatal(lc.err(err))
	}
	defer db.Close()
	srv.FailNext(2, http.StatusUnauthorized)
	err = db.Ping()
	lc.err(err)
	if !errors.Is(err, spsql.ErrUnauthorized) || !strings.Contains(err.Error(), "application permission") || strings.Contains(err.Error(), "refresh token") {
		t.Fatalf("err = %v, want a 401 explained for app-only access", err)
	}
	if n := srv.Tokens.RequestCount(); n != 2 {
		t.Errorf("token requests = %d, want 2 (one new token after the first 401)", n)
	}
}

// The app-only flow through servers that echo what they were sent: the
// token endpoint quoting the posted form (client assertion included) in
// errors that are retried, SharePoint error bodies quoting the app-only
// bearer token. Neither the errors nor the Debug log show the key, the
// .pfx password, an assertion or a token; the echoes arrive redacted.
func TestAppOnlyEchoedSecretsLeakNothing(t *testing.T) {
	const password = "pfx-SECRET-pass"
	srv, _, file, secrets := appOnlyServer(t, password)
	lc := newLeakCheck(t, srv, secrets...)
	cfg, err := spsql.ParseDSN(srv.AppOnlyConnString(file, password) + ";WSRetryCount=2")
	if err != nil {
		t.Fatal(lc.err(err))
	}
	conn, err := spsql.NewConnector(cfg, spsql.WithLogger(lc.logger()))
	if err != nil {
		t.Fatal(lc.err(err))
	}
	db := sql.OpenDB(conn)
	defer db.Close()

	srv.Tokens.SetEchoForm(true)
	srv.Tokens.FailNext(2, http.StatusInternalServerError)
	srv.FailNextWith(1, sptest.Fault{Status: http.StatusInternalServerError, EchoAuthorization: true})
	if err := db.Ping(); err != nil {
		t.Fatal(lc.err(err))
	}
	srv.FailNextWith(5, sptest.Fault{Status: http.StatusBadRequest, EchoAuthorization: true})
	_, err = db.Query("SELECT Title FROM Tasks")
	lc.err(err)
	if err == nil || !strings.Contains(err.Error(), "Authorization: Bearer ***") {
		t.Fatalf("err = %v, want the echoed header redacted", err)
	}
	lc.mu.Lock()
	logs := lc.logs.String()
	lc.mu.Unlock()
	for _, want := range []string{"client_assertion=***", "Authorization: Bearer ***"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the Debug log lacks %q: the echo never reached it", want)
		}
	}
}
