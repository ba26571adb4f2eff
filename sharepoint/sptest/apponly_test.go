package sptest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	testCertOnce sync.Once
	testCertA    *TestCertificate
	testCertB    *TestCertificate
)

// testCerts returns two certificates shared by this file's tests (key
// generation is the slow part).
func testCerts(t *testing.T) (a, b *TestCertificate) {
	t.Helper()
	testCertOnce.Do(func() {
		testCertA, _ = NewTestCertificate()
		testCertB, _ = NewTestCertificate()
	})
	if testCertA == nil || testCertB == nil {
		t.Fatal("NewTestCertificate failed")
	}
	return testCertA, testCertB
}

// assertionOpts shapes a client assertion for the tests: each field
// changes one thing from a valid PS256 assertion.
type assertionOpts struct {
	alg       string // "" PS256
	aud       string // "" the token URL
	iss, sub  string // "" the client ID
	jti       string // "" random
	nbf, exp  time.Time
	noX5t     bool // send only x5t#S256
	badSig    bool
	signedBy  *TestCertificate // nil: the certificate named
	thumbCert *TestCertificate // nil: cert
}

func signAssertion(t *testing.T, srv *Server, cert *TestCertificate, o assertionOpts) string {
	t.Helper()
	now := time.Now()
	if o.alg == "" {
		o.alg = "PS256"
	}
	if o.aud == "" {
		o.aud = srv.TokenURL()
	}
	if o.iss == "" {
		o.iss = srv.ClientID
	}
	if o.sub == "" {
		o.sub = o.iss
	}
	if o.jti == "" {
		o.jti = randomToken(12)
	}
	if o.nbf.IsZero() {
		o.nbf = now.Add(-time.Second)
	}
	if o.exp.IsZero() {
		o.exp = now.Add(5 * time.Minute)
	}
	if o.signedBy == nil {
		o.signedBy = cert
	}
	if o.thumbCert == nil {
		o.thumbCert = cert
	}
	s1, s256 := sha1.Sum(o.thumbCert.Certificate.Raw), sha256.Sum256(o.thumbCert.Certificate.Raw)
	h := map[string]string{"alg": o.alg, "typ": "JWT", "x5t#S256": base64.RawURLEncoding.EncodeToString(s256[:])}
	if !o.noX5t {
		h["x5t"] = base64.RawURLEncoding.EncodeToString(s1[:])
	}
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(map[string]any{"aud": o.aud, "iss": o.iss, "sub": o.sub, "jti": o.jti, "nbf": o.nbf.Unix(), "exp": o.exp.Unix()})
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	d := sha256.Sum256([]byte(in))
	var sig []byte
	var err error
	if o.alg == "RS256" {
		sig, err = rsa.SignPKCS1v15(rand.Reader, o.signedBy.Key, crypto.SHA256, d[:])
	} else {
		sig, err = rsa.SignPSS(rand.Reader, o.signedBy.Key, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	}
	if err != nil {
		t.Fatal(err)
	}
	if o.badSig {
		sig[0] ^= 0xff
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// postGrant sends a client_credentials request and returns the status,
// the error code, the first AADSTS number and the access token.
func postGrant(t *testing.T, srv *Server, tokenURL string, form url.Values) (status int, code string, aadsts int, at string) {
	t.Helper()
	resp, err := srv.Client().Post(tokenURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error       string `json:"error"`
		ErrorCodes  []int  `json:"error_codes"`
		AccessToken string `json:"access_token"`
		Refresh     string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Refresh != "" {
		t.Error("the client credentials grant issued a refresh token")
	}
	if len(body.ErrorCodes) > 0 {
		aadsts = body.ErrorCodes[0]
	}
	return resp.StatusCode, body.Error, aadsts, body.AccessToken
}

func certForm(srv *Server, assertion string) url.Values {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_id":             {srv.ClientID},
		"scope":                 {srv.URL + "/.default"},
		"client_assertion_type": {clientAssertionType},
		"client_assertion":      {assertion},
	}
}

func TestClientCredentialsAssertionChecks(t *testing.T) {
	srv := NewServer(Site{})
	defer srv.Close()
	a, b := testCerts(t)
	srv.RegisterAppCertificate(a.Certificate)
	old, err := NewTestCertificateValid(time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	srv.RegisterAppCertificate(old.Certificate)
	now := time.Now()

	tests := []struct {
		name   string
		cert   *TestCertificate
		o      assertionOpts
		form   func(url.Values)
		status int
		code   string
		aadsts int
	}{
		{name: "a PS256 assertion is accepted", cert: a, status: 200},
		{name: "an RS256 assertion is accepted", cert: a, o: assertionOpts{alg: "RS256"}, status: 200},
		{name: "x5t#S256 alone names the certificate", cert: a, o: assertionOpts{noX5t: true}, status: 200},
		{name: "an unregistered certificate is AADSTS700027", cert: b, status: 401, code: "invalid_client", aadsts: 700027},
		{name: "a registered but expired certificate is AADSTS700027", cert: old, status: 401, code: "invalid_client", aadsts: 700027},
		{name: "a signature by another key is AADSTS700027", cert: a, o: assertionOpts{signedBy: b}, status: 401, code: "invalid_client", aadsts: 700027},
		{name: "a damaged signature is AADSTS700027", cert: a, o: assertionOpts{badSig: true}, status: 401, code: "invalid_client", aadsts: 700027},
		{name: "aud must be the token endpoint", cert: a, o: assertionOpts{aud: "https://login.microsoftonline.com/x/oauth2/v2.0/token"}, status: 401, code: "invalid_client", aadsts: 700023},
		{name: "iss must be the client ID", cert: a, o: assertionOpts{iss: "someone-else"}, status: 401, code: "invalid_client", aadsts: 700021},
		{name: "sub must equal iss", cert: a, o: assertionOpts{sub: "someone-else"}, status: 401, code: "invalid_client", aadsts: 50048},
		{name: "an expired assertion is AADSTS700024", cert: a, o: assertionOpts{nbf: now.Add(-10 * time.Minute), exp: now.Add(-time.Minute)}, status: 401, code: "invalid_client", aadsts: 700024},
		{name: "an assertion not yet valid is AADSTS700024", cert: a, o: assertionOpts{nbf: now.Add(time.Hour), exp: now.Add(2 * time.Hour)}, status: 401, code: "invalid_client", aadsts: 700024},
		{name: "the wrong client_assertion_type is refused", cert: a, form: func(f url.Values) { f.Set("client_assertion_type", "jwt") }, status: 400, code: "invalid_request"},
		{name: "a scope without /.default is AADSTS1002012", cert: a, form: func(f url.Values) { f.Set("scope", srv.URL+"/AllSites.Read") }, status: 400, code: "invalid_scope", aadsts: 1002012},
		{name: "an assertion and a secret together are refused", cert: a, form: func(f url.Values) { f.Set("client_secret", srv.ClientSecret) }, status: 400, code: "invalid_request"},
		{name: "an unknown application is AADSTS700016", cert: a, o: assertionOpts{iss: "nobody"}, form: func(f url.Values) { f.Set("client_id", "nobody") }, status: 400, code: "unauthorized_client", aadsts: 700016},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := certForm(srv, signAssertion(t, srv, tc.cert, tc.o))
			if tc.form != nil {
				tc.form(f)
			}
			status, code, aadsts, at := postGrant(t, srv, srv.TokenURL(), f)
			if status != tc.status || code != tc.code || (tc.aadsts != 0 && aadsts != tc.aadsts) {
				t.Fatalf("got %d %q AADSTS%d, want %d %q AADSTS%d", status, code, aadsts, tc.status, tc.code, tc.aadsts)
			}
			if status == 200 {
				if info, ok := srv.Tokens.AppOnly(at); !ok || !info.Certificate || info.ClientID != srv.ClientID {
					t.Errorf("AppOnly(token) = %+v, %t", info, ok)
				}
			}
		})
	}
}

func TestClientCredentialsReplayedAssertion(t *testing.T) {
	srv := NewServer(Site{})
	defer srv.Close()
	a, _ := testCerts(t)
	srv.RegisterAppCertificate(a.Certificate)
	f := certForm(srv, signAssertion(t, srv, a, assertionOpts{}))
	if status, _, _, _ := postGrant(t, srv, srv.TokenURL(), f); status != 200 {
		t.Fatalf("first use: %d", status)
	}
	if status, code, aadsts, _ := postGrant(t, srv, srv.TokenURL(), f); status != 401 || code != "invalid_client" || aadsts != 50027 {
		t.Fatalf("replay: %d %q AADSTS%d, want 401 invalid_client AADSTS50027", status, code, aadsts)
	}
}

func TestClientCredentialsV1(t *testing.T) {
	srv := NewServer(Site{})
	defer srv.Close()
	a, _ := testCerts(t)
	srv.RegisterAppCertificate(a.Certificate)
	f := certForm(srv, signAssertion(t, srv, a, assertionOpts{aud: srv.TokenURLV1()}))
	f.Del("scope")
	if status, code, aadsts, _ := postGrant(t, srv, srv.TokenURLV1(), f); status != 400 || aadsts != 900144 {
		t.Fatalf("v1 without resource: %d %q AADSTS%d, want 400 AADSTS900144", status, code, aadsts)
	}
	f = certForm(srv, signAssertion(t, srv, a, assertionOpts{aud: srv.TokenURLV1()}))
	f.Del("scope")
	f.Set("resource", srv.URL)
	if status, code, _, at := postGrant(t, srv, srv.TokenURLV1(), f); status != 200 || at == "" {
		t.Fatalf("v1 with resource: %d %q", status, code)
	}
}

// getWeb reads /_api/web with tok.
func getWeb(t *testing.T, srv *Server, method, path, tok string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.ServiceURL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json;odata=nometadata")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, b.String()
}

func TestAppOnlyTokensOnTheRESTAPI(t *testing.T) {
	srv := NewServer(Site{Lists: []List{{Title: "Tasks"}}})
	defer srv.Close()
	a, _ := testCerts(t)
	srv.RegisterAppCertificate(a.Certificate)

	// A client secret obtains an app-only token, which SharePoint refuses.
	_, _, _, secretTok := postGrant(t, srv, srv.TokenURL(), url.Values{
		"grant_type": {"client_credentials"}, "client_id": {srv.ClientID},
		"client_secret": {srv.ClientSecret}, "scope": {srv.URL + "/.default"},
	})
	if info, ok := srv.Tokens.AppOnly(secretTok); !ok || info.Certificate {
		t.Fatalf("AppOnly(secret token) = %+v, %t", info, ok)
	}
	if status, body := getWeb(t, srv, "GET", "/_api/web", secretTok); status != 401 || !strings.Contains(body, "Unsupported app only token.") {
		t.Fatalf("secret app-only token: %d %s", status, body)
	}

	_, _, _, certTok := postGrant(t, srv, srv.TokenURL(), certForm(srv, signAssertion(t, srv, a, assertionOpts{})))
	if status, _ := getWeb(t, srv, "GET", "/_api/web", certTok); status != 200 {
		t.Fatalf("certificate app-only token: %d", status)
	}

	// Sites.Selected: 403 until granted; read grants refuse writes.
	srv.SetSitesSelected(srv.ClientID)
	if status, body := getWeb(t, srv, "GET", "/_api/web", certTok); status != 403 || !strings.Contains(body, "System.UnauthorizedAccessException") {
		t.Fatalf("Sites.Selected without a grant: %d %s", status, body)
	}
	srv.GrantSite(srv.ClientID, SiteRoleRead)
	if status, _ := getWeb(t, srv, "GET", "/_api/web", certTok); status != 200 {
		t.Fatalf("read grant, GET: %d", status)
	}
	if status, _ := getWeb(t, srv, "DELETE", "/_api/web/lists/getbytitle('Tasks')/items(1)", certTok); status != 403 {
		t.Fatalf("read grant, DELETE: %d, want 403", status)
	}
	// POST contextinfo reads the form digest: POST only against cross-site
	// scripting, not a write (docs/sharepoint.md §11.6).
	if status, body := getWeb(t, srv, "POST", "/_api/contextinfo", certTok); status != 200 {
		t.Fatalf("read grant, POST contextinfo: %d %s, want 200", status, body)
	}
	srv.GrantSite(srv.ClientID, SiteRoleWrite)
	if status, _ := getWeb(t, srv, "DELETE", "/_api/web/lists/getbytitle('Tasks')/items(1)", certTok); status == 403 {
		t.Fatal("write grant, DELETE: 403")
	}

	// A delegated token is not app-only and not limited.
	if _, ok := srv.Tokens.AppOnly("no-such-token"); ok {
		t.Error("AppOnly reports an unknown token")
	}
	req, _ := http.NewRequest("GET", srv.ServiceURL()+"/_api/web", nil)
	req.Header.Set("Authorization", "Bearer "+certTok)
	if info, ok := srv.appOnlyCaller(req); !ok || info.ClientID != srv.ClientID {
		t.Error("appOnlyCaller does not recognise an app-only request")
	}
	req.Header.Set("Authorization", "Bearer "+srv.NewRefreshToken())
	if _, ok := srv.appOnlyCaller(req); ok {
		t.Error("appOnlyCaller reports a request without an app-only token")
	}
	// Secrets lists the assertions and the app-only tokens.
	secrets := strings.Join(srv.Tokens.Secrets(), "\n")
	for _, s := range []string{secretTok, certTok} {
		if !strings.Contains(secrets, s) {
			t.Error("Secrets lacks an app-only token")
		}
	}
	if reqs := srv.Tokens.Requests(); !strings.Contains(secrets, reqs[len(reqs)-1].Form.Get("client_assertion")) {
		t.Error("Secrets lacks an assertion")
	}
}

func TestNewTestCertificateFiles(t *testing.T) {
	a, _ := testCerts(t)
	dir := t.TempDir()
	pemPath, err := a.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	pfxPath, err := a.WritePKCS12(dir, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if pemPath == pfxPath || !strings.HasSuffix(pfxPath, ".pfx") {
		t.Errorf("paths %s %s", pemPath, pfxPath)
	}
	if !strings.Contains(string(a.PEM()), "BEGIN CERTIFICATE") || !strings.Contains(string(a.PEM()), "BEGIN PRIVATE KEY") {
		t.Error("PEM lacks the certificate or the key")
	}
	if time.Until(a.Certificate.NotAfter) < 300*24*time.Hour {
		t.Errorf("NotAfter %s: want about a year", a.Certificate.NotAfter)
	}
}

// With a budget, RateLimit headers go by default to callers with an
// app-only token and not to delegated ones (docs/sharepoint.md §10.2).
func TestBudgetHeadersGoToAppOnlyCallers(t *testing.T) {
	srv := NewServer(Site{Lists: []List{{Title: "Tasks"}}}, WithBudget(Budget{RU: 10, Window: time.Hour}))
	defer srv.Close()
	a, _ := testCerts(t)
	srv.RegisterAppCertificate(a.Certificate)
	_, _, _, appTok := postGrant(t, srv, srv.TokenURL(), certForm(srv, signAssertion(t, srv, a, assertionOpts{})))
	_, _, _, delegated := postGrantRefresh(t, srv)

	headers := func(tok string) string {
		req, _ := http.NewRequest("GET", srv.ServiceURL()+"/_api/web", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("RateLimit-Remaining")
	}
	for range 8 { // 8 of 10 units: past 80%
		headers(delegated)
	}
	if h := headers(delegated); h != "" {
		t.Errorf("a delegated caller got RateLimit-Remaining %q", h)
	}
	if h := headers(appTok); h != "0" {
		t.Errorf("an app-only caller got RateLimit-Remaining %q, want 0", h)
	}
}

// postGrantRefresh redeems a refresh token the endpoint issued: a
// delegated access token.
func postGrantRefresh(t *testing.T, srv *Server) (int, string, int, string) {
	t.Helper()
	form := url.Values{
		"grant_type": {"refresh_token"}, "client_id": {srv.ClientID}, "client_secret": {srv.ClientSecret},
		"refresh_token": {srv.Tokens.IssueRefreshToken(srv.ClientID)}, "scope": {srv.URL + "/.default offline_access"},
	}
	resp, err := srv.Client().Post(srv.TokenURL(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("refresh grant: %d %v", resp.StatusCode, err)
	}
	return resp.StatusCode, "", 0, body.AccessToken
}
