package sptest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// accessToken obtains a valid access token from srv's token endpoint.
func accessToken(t *testing.T, srv *sptest.Server) string {
	t.Helper()
	r := refresh(t, srv, srv.NewRefreshToken())
	if r.status != 200 {
		t.Fatalf("refresh: HTTP %d", r.status)
	}
	return r.str("access_token")
}

type spResponse struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, srv *sptest.Server, path, authorization string) spResponse {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return spResponse{resp.StatusCode, resp.Header, string(b)}
}

func TestServerWeb(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "over HTTP"
		var opts []sptest.Option
		if tls {
			name = "over HTTPS"
			opts = append(opts, sptest.WithTLS())
		}
		t.Run(name, func(t *testing.T) {
			srv := sptest.NewServer(sptest.Site{Title: "Sales"}, opts...)
			defer srv.Close()
			if tls != strings.HasPrefix(srv.URL, "https://") {
				t.Fatalf("URL %s", srv.URL)
			}
			if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") && !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
				t.Fatalf("URL %s is not on loopback", srv.URL)
			}
			if srv.ServiceURL() != srv.URL+"/sites/demo" {
				t.Fatalf("ServiceURL = %s", srv.ServiceURL())
			}
			r := get(t, srv, "/sites/demo/_api/web", "Bearer "+accessToken(t, srv))
			if r.status != 200 {
				t.Fatalf("HTTP %d %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json;odata=nometadata;charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			var web map[string]any
			if err := json.Unmarshal([]byte(r.body), &web); err != nil {
				t.Fatal(err)
			}
			if web["Title"] != "Sales" || web["Url"] != srv.ServiceURL() {
				t.Errorf("web = %v", web)
			}
		})
	}
}

func TestServerSharePointAnswers(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Title: "Demo site", Path: "/sites/x/"})
	defer srv.Close()
	expired := accessToken(t, srv)
	srv.Tokens.ExpireAccessTokens()
	valid := "Bearer " + accessToken(t, srv) // issued after the expiry, so valid

	tests := []struct {
		name   string
		path   string
		auth   string
		status int
		body   string // exact JSON body (compared after decoding); "" skips
		code   string // odata.error code; "" skips
	}{
		{name: "web answers with Title and Url", path: "/sites/x/_api/web", auth: valid, status: 200, body: `{"Title":"Demo site","Url":"` + srv.URL + `/sites/x","ServerRelativeUrl":"/sites/x"}`},
		{name: "paths are case-insensitive", path: "/Sites/X/_API/Web/", auth: valid, status: 200},
		{name: "$select=Title projects", path: "/sites/x/_api/web?$select=Title", auth: valid, status: 200, body: `{"Title":"Demo site"}`},
		{name: "an unknown $select property is a 400", path: "/sites/x/_api/web?$select=Nope", auth: valid, status: 400, code: "-1, Microsoft.SharePoint.Client.InvalidClientQueryException"},
		{name: "lowercase bearer scheme is accepted", path: "/sites/x/_api/web", auth: "bearer" + strings.TrimPrefix(valid, "Bearer"), status: 200},
		{name: "an unknown _api path is a 404 odata.error", path: "/sites/x/_api/nowhere", auth: valid, status: 404, code: "-1, System.ArgumentException"},
		{name: "a missing token is a 401", path: "/sites/x/_api/web", status: 401, body: `{"error_description":"Invalid issuer or signature."}`},
		{name: "an unknown token is a 401", path: "/sites/x/_api/web", auth: "Bearer made-up", status: 401},
		{name: "an expired token is a 401", path: "/sites/x/_api/web", auth: "Bearer " + expired, status: 401},
		{name: "Basic credentials are a 401", path: "/sites/x/_api/web", auth: "Basic dXNlcjpwYXNz", status: 401},
		{name: "an unknown _api path without a token is a 401", path: "/sites/x/_api/nowhere", status: 401},
		{name: "pages outside _api are a 404", path: "/sites/x/default.aspx", status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := get(t, srv, tc.path, tc.auth)
			if r.status != tc.status {
				t.Fatalf("HTTP %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.body != "" {
				var got, want any
				if err := json.Unmarshal([]byte(r.body), &got); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal([]byte(tc.body), &want); err != nil {
					t.Fatal(err)
				}
				if g, _ := json.Marshal(got); string(g) != mustJSON(want) {
					t.Errorf("body %s, want %s", g, tc.body)
				}
			}
			if tc.code != "" {
				var e struct {
					Err struct {
						Code    string `json:"code"`
						Message struct{ Lang, Value string }
					} `json:"odata.error"`
				}
				if err := json.Unmarshal([]byte(r.body), &e); err != nil {
					t.Fatal(err)
				}
				if e.Err.Code != tc.code || e.Err.Message.Lang != "en-US" || e.Err.Message.Value == "" {
					t.Errorf("odata.error = %+v, want code %q", e.Err, tc.code)
				}
			}
			if r.status == 401 {
				wantChallenge := `Bearer realm="` + sptest.TenantID + `",client_id="00000003-0000-0ff1-ce00-000000000000",trusted_issuers="00000001-0000-0000-c000-000000000000@*",authorization_uri="https://login.windows.net/common/oauth2/authorize"`
				if got := r.header.Get("WWW-Authenticate"); got != wantChallenge {
					t.Errorf("WWW-Authenticate = %s", got)
				}
				if got := r.header.Get("x-ms-diagnostics"); got != `3000006;reason="Token contains invalid signature.";category="invalid_client"` {
					t.Errorf("x-ms-diagnostics = %s", got)
				}
			}
		})
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestServerRootSite(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Path: "/"}, sptest.WithoutAuth())
	defer srv.Close()
	if srv.ServiceURL() != srv.URL {
		t.Fatalf("ServiceURL = %s", srv.ServiceURL())
	}
	if r := get(t, srv, "/_api/web", ""); r.status != 200 {
		t.Fatalf("HTTP %d", r.status)
	}
	// The token endpoint is still reachable beside a root site's _api.
	if r := refresh(t, srv, srv.NewRefreshToken()); r.status != 200 {
		t.Fatalf("token: HTTP %d", r.status)
	}
}

func TestServerWithoutAuthAcceptsAnonymousRequests(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{}, sptest.WithoutAuth())
	defer srv.Close()
	if r := get(t, srv, "/sites/demo/_api/web", ""); r.status != 200 {
		t.Fatalf("HTTP %d %s", r.status, r.body)
	}
}

func TestServerRequestLog(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	tok := accessToken(t, srv)
	get(t, srv, "/sites/demo/_api/web?$select=Title", "Bearer "+tok)
	get(t, srv, "/sites/demo/_api/web", "")
	reqs := srv.Requests()
	if len(reqs) != 2 || srv.RequestCount() != 2 {
		t.Fatalf("logged %d requests, want 2", len(reqs))
	}
	want := []sptest.SPRequest{
		{Method: "GET", Path: "/sites/demo/_api/web", RawQuery: "$select=Title", Bearer: true, Origin: srv.URL, Status: 200},
		{Method: "GET", Path: "/sites/demo/_api/web", Bearer: false, Origin: srv.URL, Status: 401},
	}
	for i := range want {
		if reqs[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, reqs[i], want[i])
		}
	}
	// The token endpoint's requests are logged separately.
	if srv.Tokens.RequestCount() != 1 {
		t.Errorf("token RequestCount = %d, want 1", srv.Tokens.RequestCount())
	}
}

func TestServerFailNext(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	auth := "Bearer " + accessToken(t, srv)
	srv.FailNext(1, 503)
	if r := get(t, srv, "/sites/demo/_api/web", auth); r.status != 503 || !strings.Contains(r.body, `"odata.error"`) {
		t.Fatalf("HTTP %d %s, want an injected 503", r.status, r.body)
	}
	if r := get(t, srv, "/sites/demo/_api/web", auth); r.status != 200 {
		t.Fatalf("HTTP %d after the injected failure", r.status)
	}
}

func TestConnString(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	cs := srv.ConnString()
	fields := map[string]string{}
	for kv := range strings.SplitSeq(cs, ";") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("malformed pair in the connection string")
		}
		fields[k] = v
	}
	if fields["ServiceURL"] != srv.ServiceURL() || fields["ClientID"] != srv.ClientID || fields["TokenURI"] != srv.TokenURL() {
		t.Errorf("ServiceURL/ClientID/TokenURI wrong: %s %s %s", fields["ServiceURL"], fields["ClientID"], fields["TokenURI"])
	}
	if fields["ClientSecret"] != srv.ClientSecret {
		t.Error("ClientSecret: mismatch")
	}
	// The refresh token is a fresh one the endpoint accepts.
	if r := refresh(t, srv, fields["RefreshToken"]); r.status != 200 {
		t.Errorf("the connection string's RefreshToken is refused: HTTP %d", r.status)
	}
	if u, err := url.Parse(fields["TokenURI"]); err != nil || !strings.HasSuffix(u.Path, "/oauth2/v2.0/token") {
		t.Errorf("TokenURI is not a v2 token URL")
	}
	if srv.TokenURLV1() != srv.URL+"/"+sptest.TenantID+"/oauth2/token" {
		t.Errorf("TokenURLV1 = %s", srv.TokenURLV1())
	}
}
