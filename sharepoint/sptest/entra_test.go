package sptest_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// A refresh for https://host/.default is answered with the permissions
// granted for that resource, as Entra ID does (docs/sharepoint.md §12.4).
func TestTokenScopeListsTheGrantedScopes(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	r := refresh(t, srv, srv.NewRefreshToken())
	if r.status != 200 {
		t.Fatalf("HTTP %d", r.status)
	}
	if want := srv.URL + "/AllSites.Read " + srv.URL + "/AllSites.Write"; r.str("scope") != want {
		t.Errorf("scope = %q, want %q", r.str("scope"), want)
	}
}

// Entra ID lists the OpenID Connect scopes a client was granted (openid,
// profile, email) in "scope" beside the resource's permissions, and leaves
// out offline_access (docs/sharepoint.md §12.4).
func TestTokenScopeKeepsOpenIDScopes(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	f := url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {srv.NewRefreshToken()},
		"client_id": {srv.ClientID}, "client_secret": {srv.ClientSecret},
		"scope": {"openid profile email " + srv.URL + "/.default offline_access"},
	}
	r := postToken(t, srv.Client(), "POST", srv.TokenURL(), formType, f.Encode(), nil)
	if r.status != 200 {
		t.Fatalf("HTTP %d %q", r.status, r.str("error_description"))
	}
	got := strings.Fields(r.str("scope"))
	slices.Sort(got)
	want := []string{srv.URL + "/AllSites.Read", srv.URL + "/AllSites.Write", "email", "openid", "profile"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("scope = %q, want the scopes %q in any order", r.str("scope"), want)
	}
}
