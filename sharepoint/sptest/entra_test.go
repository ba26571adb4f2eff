package sptest_test

import (
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
