package sptest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tokenResponse is a decoded token endpoint answer. json.Number keeps the
// difference between 3599 and "3599" visible.
type tokenResponse struct {
	status int
	header http.Header
	body   map[string]any
}

func (r tokenResponse) str(key string) string { s, _ := r.body[key].(string); return s }

func (r tokenResponse) aadsts(t *testing.T) []int {
	t.Helper()
	raw, _ := r.body["error_codes"].([]any)
	var out []int
	for _, v := range raw {
		n, err := v.(json.Number).Int64()
		if err != nil {
			t.Fatalf("error_codes holds %v", v)
		}
		out = append(out, int(n))
	}
	return out
}

type basicAuth struct{ user, pass string }

func postToken(t *testing.T, c *http.Client, method, tokenURL, contentType, body string, basic *basicAuth) tokenResponse {
	t.Helper()
	req, err := http.NewRequest(method, tokenURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if basic != nil {
		req.SetBasicAuth(url.QueryEscape(basic.user), url.QueryEscape(basic.pass))
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	out := tokenResponse{status: resp.StatusCode, header: resp.Header}
	if err := dec.Decode(&out.body); err != nil {
		t.Fatalf("token endpoint answered HTTP %d with a body that is not JSON: %v", resp.StatusCode, err)
	}
	return out
}

const formType = "application/x-www-form-urlencoded"

func TestTokenEndpointErrors(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	srv.Tokens.AddClient("public-app", "")
	otherRT := srv.Tokens.IssueRefreshToken("public-app")
	scope := srv.URL + "/.default offline_access"

	revoked := srv.NewRefreshToken()
	srv.Tokens.RevokeRefreshToken(revoked)

	// form builds a valid v2 body, then applies edits ("key=" deletes key).
	form := func(edits ...string) string {
		v := url.Values{
			"grant_type":    {"refresh_token"},
			"client_id":     {srv.ClientID},
			"client_secret": {srv.ClientSecret},
			"refresh_token": {srv.NewRefreshToken()},
			"scope":         {scope},
		}
		for _, e := range edits {
			k, val, _ := strings.Cut(e, "=")
			if val == "" {
				v.Del(k)
			} else {
				v.Set(k, val)
			}
		}
		return v.Encode()
	}

	tests := []struct {
		name        string
		method      string
		v1          bool
		contentType string
		body        string
		basic       *basicAuth
		status      int
		code        string
		aadsts      int
		descHas     string
	}{
		{name: "GET is not allowed", method: "GET", status: 405, code: "invalid_request", aadsts: 900561},
		{name: "a JSON body has no grant_type", contentType: "application/json", body: `{"grant_type":"refresh_token"}`, status: 400, code: "invalid_request", aadsts: 900144, descHas: "'grant_type'"},
		{name: "a missing grant_type is named", body: form("grant_type="), status: 400, code: "invalid_request", aadsts: 900144, descHas: "'grant_type'"},
		{name: "the password grant is unsupported", body: form("grant_type=password"), status: 400, code: "unsupported_grant_type", aadsts: 70003},
		{name: "a missing client_id is named", body: form("client_id=", "client_secret="), status: 400, code: "invalid_request", aadsts: 900144, descHas: "'client_id'"},
		{name: "a missing refresh_token is named", body: form("refresh_token="), status: 400, code: "invalid_request", aadsts: 900144, descHas: "'refresh_token'"},
		{name: "v2 without scope is AADSTS90009", body: form("scope="), status: 400, code: "invalid_request", aadsts: 90009, descHas: "is requesting a token for itself. This scenario is supported only if resource is specified using the GUID based App Identifier."},
		{name: "v2 with resource is AADSTS901002", body: form("resource=https://contoso.sharepoint.com"), status: 400, code: "invalid_request", aadsts: 901002},
		{name: "v1 without resource is AADSTS50001", v1: true, body: form(), status: 400, code: "invalid_request", aadsts: 50001, descHas: "resource"},
		{name: "a wrong secret is invalid_client 7000215", body: form("client_secret=wrong"), status: 401, code: "invalid_client", aadsts: 7000215, descHas: "not the client secret ID"},
		{name: "an unknown client is unauthorized_client 700016", body: form("client_id=00000000-0000-0000-0000-000000000000"), status: 400, code: "unauthorized_client", aadsts: 700016, descHas: "Application with identifier '00000000-0000-0000-0000-000000000000' was not found in the directory '" + sptest.TenantID + "'."},
		{name: "a confidential client without secret is 7000218", body: form("client_secret="), status: 401, code: "invalid_client", aadsts: 7000218},
		{name: "a public client sending a secret is 700025", body: form("client_id=public-app", "client_secret=x", "refresh_token="+otherRT), status: 401, code: "invalid_client", aadsts: 700025},
		{name: "a wrong Basic secret is invalid_client", body: form("client_secret="), basic: &basicAuth{srv.ClientID, "wrong"}, status: 401, code: "invalid_client", aadsts: 7000215},
		{name: "Basic and a body secret together are refused", body: form(), basic: &basicAuth{srv.ClientID, srv.ClientSecret}, status: 400, code: "invalid_request"},
		{name: "an unknown refresh token is invalid_grant 70008", body: form("refresh_token=nonsense"), status: 400, code: "invalid_grant", aadsts: 70008, descHas: "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity."},
		{name: "a revoked refresh token is invalid_grant 70008", body: form("refresh_token=" + revoked), status: 400, code: "invalid_grant", aadsts: 70008},
		{name: "another client's refresh token is invalid_grant", body: form("refresh_token=" + otherRT), status: 400, code: "invalid_grant", aadsts: 70000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, ct := tc.method, tc.contentType
			if method == "" {
				method = "POST"
			}
			if ct == "" {
				ct = formType
			}
			u := srv.TokenURL()
			if tc.v1 {
				u = srv.TokenURLV1()
			}
			r := postToken(t, srv.Client(), method, u, ct, tc.body, tc.basic)
			if r.status != tc.status || r.str("error") != tc.code {
				t.Fatalf("got HTTP %d error %q, want HTTP %d error %q", r.status, r.str("error"), tc.status, tc.code)
			}
			desc := r.str("error_description")
			if tc.aadsts != 0 {
				if got := r.aadsts(t); !slices.Equal(got, []int{tc.aadsts}) {
					t.Errorf("error_codes = %v, want [%d]", got, tc.aadsts)
				}
				if want := "AADSTS" + strconv.Itoa(tc.aadsts) + ": "; !strings.HasPrefix(desc, want) {
					t.Errorf("error_description %q does not start with %q", desc, want)
				}
			}
			if !strings.Contains(desc, tc.descHas) {
				t.Errorf("error_description %q lacks %q", desc, tc.descHas)
			}
			for _, k := range []string{"timestamp", "trace_id", "correlation_id"} {
				if r.str(k) == "" {
					t.Errorf("error body lacks %s", k)
				}
			}
			if _, ok := r.body["access_token"]; ok {
				t.Error("an error response carries an access_token")
			}
		})
	}
}

func TestTokenEndpointSuccess(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	resource := "https://contoso.sharepoint.com"
	scope := resource + "/AllSites.Read offline_access"

	tests := []struct {
		name  string
		v1    bool
		basic bool
	}{
		{name: "v2 with the secret in the body"},
		{name: "v2 with HTTP Basic", basic: true},
		{name: "v1 with the secret in the body", v1: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := srv.NewRefreshToken()
			f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
			var basic *basicAuth
			if tc.basic {
				basic = &basicAuth{srv.ClientID, srv.ClientSecret}
			} else {
				f.Set("client_id", srv.ClientID)
				f.Set("client_secret", srv.ClientSecret)
			}
			u := srv.TokenURL()
			if tc.v1 {
				u = srv.TokenURLV1()
				f.Set("resource", resource)
			} else {
				f.Set("scope", scope)
			}
			before := srv.Tokens.RequestCount()
			r := postToken(t, srv.Client(), "POST", u, formType, f.Encode(), basic)
			if r.status != 200 {
				t.Fatalf("HTTP %d %s", r.status, r.str("error_description"))
			}
			if r.str("token_type") != "Bearer" {
				t.Errorf("token_type = %q", r.str("token_type"))
			}
			at, newRT := r.str("access_token"), r.str("refresh_token")
			if at == "" || newRT == "" || newRT == rt {
				t.Fatal("want a non-empty access_token and a new, different refresh_token")
			}
			if !srv.Tokens.ValidAccessToken(at) {
				t.Error("the issued access token is not valid")
			}
			if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("Cache-Control = %q", cc)
			}
			if tc.v1 {
				// v1 sends numbers as strings (docs/sharepoint.md §12.2).
				for _, k := range []string{"expires_in", "ext_expires_in", "expires_on"} {
					if _, ok := r.body[k].(string); !ok {
						t.Errorf("v1 %s = %#v, want a JSON string", k, r.body[k])
					}
				}
				if r.str("expires_in") != "3600" || r.str("resource") != resource {
					t.Errorf("v1 expires_in = %q resource = %q", r.str("expires_in"), r.str("resource"))
				}
			} else {
				n, ok := r.body["expires_in"].(json.Number)
				if !ok || n.String() != "3600" {
					t.Errorf("v2 expires_in = %#v, want the number 3600", r.body["expires_in"])
				}
				if _, ok := r.body["ext_expires_in"].(json.Number); !ok {
					t.Errorf("v2 ext_expires_in = %#v, want a number", r.body["ext_expires_in"])
				}
				// Entra lists every permission granted for the resource,
				// not only the one asked for (docs/sharepoint.md §12.4).
				if want := resource + "/AllSites.Read " + resource + "/AllSites.Write"; r.str("scope") != want {
					t.Errorf("v2 scope = %q, want the granted scopes %q without offline_access", r.str("scope"), want)
				}
			}
			reqs := srv.Tokens.Requests()
			if len(reqs) != before+1 {
				t.Fatalf("recorded %d requests, want %d", len(reqs), before+1)
			}
			got := reqs[len(reqs)-1]
			wantVersion := sptest.TokenV2
			if tc.v1 {
				wantVersion = sptest.TokenV1
			}
			if got.Method != "POST" || got.Version != wantVersion || got.Tenant != sptest.TenantID || got.BasicAuth != tc.basic || got.Status != 200 {
				t.Errorf("recorded %s v=%s tenant=%s basic=%v status=%d", got.Method, got.Version, got.Tenant, got.BasicAuth, got.Status)
			}
			if got.Form.Get("refresh_token") != rt {
				t.Error("recorded refresh_token: mismatch")
			}
		})
	}
}

// refresh posts a v2 refresh for srv's default client and returns the
// response.
func refresh(t *testing.T, srv *sptest.Server, rt string) tokenResponse {
	t.Helper()
	f := url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {rt},
		"client_id": {srv.ClientID}, "client_secret": {srv.ClientSecret},
		"scope": {srv.URL + "/.default offline_access"},
	}
	return postToken(t, srv.Client(), "POST", srv.TokenURL(), formType, f.Encode(), nil)
}

func TestTokenEndpointRotation(t *testing.T) {
	t.Run("a rotated-away refresh token is refused with reuse detection on", func(t *testing.T) {
		srv := sptest.NewServer(sptest.Site{}, sptest.WithRefreshTokenReuseDetection())
		defer srv.Close()
		rt := srv.NewRefreshToken()
		seen := map[string]bool{rt: true}
		for range 3 {
			r := refresh(t, srv, rt)
			if r.status != 200 {
				t.Fatalf("refresh: HTTP %d", r.status)
			}
			next := r.str("refresh_token")
			if seen[next] {
				t.Fatal("a refresh token was issued twice")
			}
			seen[next] = true
			old := rt
			rt = next
			if r := refresh(t, srv, old); r.status != 400 || r.str("error") != "invalid_grant" {
				t.Fatalf("reusing an old refresh token: HTTP %d %q, want 400 invalid_grant", r.status, r.str("error"))
			}
		}
	})
	t.Run("old refresh tokens keep working by default, as on Entra ID", func(t *testing.T) {
		srv := sptest.NewServer(sptest.Site{})
		defer srv.Close()
		rt := srv.NewRefreshToken()
		for range 3 {
			r := refresh(t, srv, rt)
			if r.status != 200 {
				t.Fatalf("HTTP %d %q: a used refresh token must stay valid (docs/sharepoint.md §12.5)", r.status, r.str("error"))
			}
			if r.str("refresh_token") == "" || r.str("refresh_token") == rt {
				t.Fatal("a refresh did not rotate the refresh token")
			}
		}
	})
	t.Run("SetReuseDetection turns the strict mode on and off", func(t *testing.T) {
		srv := sptest.NewServer(sptest.Site{})
		defer srv.Close()
		srv.Tokens.SetReuseDetection(true)
		rt := srv.NewRefreshToken()
		if r := refresh(t, srv, rt); r.status != 200 {
			t.Fatalf("HTTP %d", r.status)
		}
		if r := refresh(t, srv, rt); r.status != 400 || r.str("error") != "invalid_grant" {
			t.Fatalf("reuse with detection on: HTTP %d %q, want 400 invalid_grant", r.status, r.str("error"))
		}
		srv.Tokens.SetReuseDetection(false)
		if r := refresh(t, srv, rt); r.status != 200 {
			t.Fatalf("reuse with detection off: HTTP %d", r.status)
		}
	})
	t.Run("without rotation no refresh_token is returned and the old one stays valid", func(t *testing.T) {
		srv := sptest.NewServer(sptest.Site{})
		defer srv.Close()
		srv.Tokens.SetRotation(false)
		rt := srv.NewRefreshToken()
		for range 2 {
			r := refresh(t, srv, rt)
			if r.status != 200 {
				t.Fatalf("HTTP %d", r.status)
			}
			if _, ok := r.body["refresh_token"]; ok {
				t.Fatal("response carries a refresh_token with rotation off")
			}
		}
	})
}

func TestTokenEndpointControls(t *testing.T) {
	t.Run("ExpireAccessTokens invalidates every issued token but not later ones", func(t *testing.T) {
		srv := sptest.NewServer(sptest.Site{})
		defer srv.Close()
		r := refresh(t, srv, srv.NewRefreshToken())
		at := r.str("access_token")
		srv.Tokens.ExpireAccessTokens()
		if srv.Tokens.ValidAccessToken(at) {
			t.Fatal("an expired access token is still valid")
		}
		r = refresh(t, srv, r.str("refresh_token"))
		if !srv.Tokens.ValidAccessToken(r.str("access_token")) {
			t.Fatal("a token issued after ExpireAccessTokens is not valid")
		}
		if srv.Tokens.ValidAccessToken("made-up") {
			t.Fatal("an unknown token is valid")
		}
	})
	t.Run("SetAccessTokenLifetime sets expires_in", func(t *testing.T) {
		srv := sptest.NewServer(sptest.Site{})
		defer srv.Close()
		srv.Tokens.SetAccessTokenLifetime(90 * time.Second)
		r := refresh(t, srv, srv.NewRefreshToken())
		if n, _ := r.body["expires_in"].(json.Number); n.String() != "90" {
			t.Fatalf("expires_in = %v, want 90", r.body["expires_in"])
		}
	})
	t.Run("FailNext fails exactly n requests with an Entra error body", func(t *testing.T) {
		srv := sptest.NewServer(sptest.Site{})
		defer srv.Close()
		rt := srv.NewRefreshToken()
		srv.Tokens.FailNext(2, 503)
		for range 2 {
			r := refresh(t, srv, rt)
			if r.status != 503 || r.str("error") != "server_error" || !strings.HasPrefix(r.str("error_description"), "AADSTS") {
				t.Fatalf("got HTTP %d %q", r.status, r.str("error"))
			}
		}
		// The failed requests consumed nothing: the refresh token still works.
		if r := refresh(t, srv, rt); r.status != 200 {
			t.Fatalf("after the failures: HTTP %d", r.status)
		}
		if n := srv.Tokens.RequestCount(); n != 3 {
			t.Fatalf("RequestCount = %d, want 3", n)
		}
		statuses := []int{}
		for _, r := range srv.Tokens.Requests() {
			statuses = append(statuses, r.Status)
		}
		if !slices.Equal(statuses, []int{503, 503, 200}) {
			t.Fatalf("recorded statuses %v", statuses)
		}
	})
	t.Run("SetLatency delays answers and Close cuts a delayed request off", func(t *testing.T) {
		srv := sptest.NewServer(sptest.Site{})
		srv.Tokens.SetLatency(time.Hour)
		done := make(chan error, 1)
		go func() {
			f := url.Values{"grant_type": {"refresh_token"}}
			resp, err := srv.Client().PostForm(srv.TokenURL(), f)
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		// Wait until the request is being held, then close: Close must not
		// wait out the hour.
		for srv.Tokens.RequestCount() == 0 {
			time.Sleep(time.Millisecond)
		}
		srv.Close()
		<-done
	})
	t.Run("Secrets lists the client secret and every issued token", func(t *testing.T) {
		srv := sptest.NewServer(sptest.Site{})
		defer srv.Close()
		rt := srv.NewRefreshToken()
		r := refresh(t, srv, rt)
		srv.Tokens.ExpireAccessTokens()
		secrets := srv.Tokens.Secrets()
		for _, want := range []string{srv.ClientSecret, rt, r.str("refresh_token"), r.str("access_token")} {
			if !slices.Contains(secrets, want) {
				t.Fatal("Secrets lacks a secret the endpoint knows")
			}
		}
	})
}

func TestTokenEndpointConcurrentUse(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			r := refresh(t, srv, srv.NewRefreshToken())
			if r.status != 200 {
				t.Errorf("HTTP %d", r.status)
			}
		})
	}
	wg.Wait()
	if n := srv.Tokens.RequestCount(); n != 20 {
		t.Fatalf("RequestCount = %d, want 20", n)
	}
}
