package sptest_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// authorizeRedirect opens an authorization URL without following the
// redirect and returns where it points.
func authorizeRedirect(t *testing.T, srv *sptest.Server, authURL string) (int, *url.URL) {
	t.Helper()
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return resp.StatusCode, nil
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, loc
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	cfg := signInConfig(srv)
	cfg.RedirectURL = "http://localhost:8400/callback"
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	verifier := oauth2.GenerateVerifier()

	status, loc := authorizeRedirect(t, srv, cfg.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier)))
	if status != http.StatusFound || loc.Host != "localhost:8400" || loc.Path != "/callback" || loc.Query().Get("state") != "st4te" {
		t.Fatalf("authorize: %d %v", status, loc)
	}
	code := loc.Query().Get("code")
	if _, err := cfg.Exchange(ctx, code, oauth2.VerifierOption("not-the-verifier-"+verifier)); !strings.Contains(errString(err), "invalid_grant") || !strings.Contains(errString(err), "AADSTS501481") {
		t.Errorf("wrong verifier: %v", err)
	}
	if _, err := cfg.Exchange(ctx, code); !strings.Contains(errString(err), "code_verifier") {
		t.Errorf("no verifier: %v", err)
	}
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Tokens.ValidAccessToken(tok.AccessToken) || tok.RefreshToken == "" {
		t.Error("no usable tokens")
	}
	if _, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier)); !strings.Contains(errString(err), "AADSTS54005") {
		t.Errorf("second redemption: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestAuthorizationCodeRefusals(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	base := srv.URL + "/" + sptest.TenantID + "/oauth2/v2.0/authorize?"
	good := url.Values{
		"client_id": {srv.ClientID}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:5555/"},
		"scope": {srv.URL + "/.default offline_access"}, "state": {"s"},
	}
	with := func(k, v string) string {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return base + q.Encode()
	}
	// Errors about the client or redirect URI are shown, not redirected.
	for _, u := range []string{with("client_id", ""), with("client_id", "nobody"), with("redirect_uri", "https://evil.example/cb"), with("redirect_uri", "")} {
		if status, _ := authorizeRedirect(t, srv, u); status != 400 {
			t.Errorf("%s: HTTP %d, want 400", u, status)
		}
	}
	for _, tt := range []struct{ url, err string }{
		{with("response_type", "token"), "unsupported_response_type"},
		{with("scope", ""), "invalid_request"},
		{with("code_challenge_method", "S256"), "invalid_request"},
	} {
		status, loc := authorizeRedirect(t, srv, tt.url)
		if status != http.StatusFound || loc.Query().Get("error") != tt.err || loc.Query().Get("state") != "s" {
			t.Errorf("%s: %d %v", tt.url, status, loc)
		}
	}
	srv.Tokens.DeclineAuthorizations(true)
	if _, loc := authorizeRedirect(t, srv, with("state", "s")); loc == nil || loc.Query().Get("error") != "access_denied" {
		t.Errorf("declined: %v", loc)
	}
	srv.Tokens.DeclineAuthorizations(false)

	// Redeeming: the redirect URI must match the one authorized.
	_, loc := authorizeRedirect(t, srv, with("state", "s"))
	r := postToken(t, srv.Client(), "POST", srv.TokenURL(), formType, url.Values{
		"grant_type": {"authorization_code"}, "client_id": {srv.ClientID}, "client_secret": {srv.ClientSecret},
		"code": {loc.Query().Get("code")}, "redirect_uri": {"http://127.0.0.1:6666/"},
	}.Encode(), nil)
	if r.status != 400 || r.str("error") != "invalid_grant" {
		t.Errorf("other redirect URI: %d %s", r.status, r.str("error"))
	}
	// Without PKCE in the request, none is needed to redeem.
	r = postToken(t, srv.Client(), "POST", srv.TokenURL(), formType, url.Values{
		"grant_type": {"authorization_code"}, "client_id": {srv.ClientID}, "client_secret": {srv.ClientSecret},
		"code": {loc.Query().Get("code")}, "redirect_uri": {"http://127.0.0.1:5555/"},
	}.Encode(), nil)
	if r.status != 200 || r.str("refresh_token") == "" {
		t.Errorf("redeem: %d %s", r.status, r.str("error"))
	}
	// The v1 endpoint does not serve the sign-in grants.
	r = postToken(t, srv.Client(), "POST", srv.TokenURLV1(), formType, url.Values{
		"grant_type": {"authorization_code"}, "client_id": {srv.ClientID}, "client_secret": {srv.ClientSecret},
		"code": {"x"}, "redirect_uri": {"http://127.0.0.1:5555/"},
	}.Encode(), nil)
	if r.str("error") != "unsupported_grant_type" {
		t.Errorf("v1: %s", r.str("error"))
	}
}
