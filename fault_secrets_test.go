package spsql_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// secretEchoScenarios join the fault matrix: servers that echo a secret
// the driver sent — a proxy, WAF or error page quoting the Authorization
// header, in JSON or in an HTML page; a gateway quoting the posted token
// request form, refresh token and client secret included. The matrix
// searches every output (errors in every form, debug logs, printed values)
// for every secret; shows says what each scenario's output must contain,
// so that the echo demonstrably reached the output, redacted.
func secretEchoScenarios() []scenario {
	return []scenario{
		{name: "an error body echoes the Authorization header (500, retried)", fired: status(500),
			set: func(s *sptest.Server, m *mangler) {
				s.FailRequest(3, sptest.Fault{Status: 500, EchoAuthorization: true})
			},
			shows: []string{"sharepoint: retrying request", "Authorization: Bearer ***"}},
		{name: "an error body echoes the Authorization header (400)", fired: status(400),
			set: func(s *sptest.Server, m *mangler) {
				s.FailRequest(3, sptest.Fault{Status: 400, EchoAuthorization: true})
			},
			mayFail: []string{"400 Bad Request"}, shows: []string{"Authorization: Bearer ***"}},
		{name: "an HTML error page shows the bearer (502, retried)", fired: status(502),
			set: func(s *sptest.Server, m *mangler) {
				s.FailRequest(3, sptest.Fault{Status: 502, EchoAuthorization: true, HTML: true})
			},
			shows: []string{"sharepoint: retrying request", "Authorization: Bearer ***"}},
		{name: "an HTML error page shows the bearer (403)", fired: status(403),
			set: func(s *sptest.Server, m *mangler) {
				s.FailRequest(3, sptest.Fault{Status: 403, EchoAuthorization: true, HTML: true})
			},
			mayFail: []string{"403 Forbidden"}, shows: []string{"Authorization: Bearer ***"}},
		{name: "the token endpoint echoes the posted form (500, retried)", fired: tokenStatus(500),
			set: func(s *sptest.Server, m *mangler) {
				s.Tokens.SetEchoForm(true)
				s.Tokens.ExpireAccessTokens()
				s.Tokens.FailNext(2, 500)
			},
			shows: []string{"auth: token request failed; retrying", "refresh_token=***", "client_secret=***"}},
		{name: "the token endpoint echoes the posted form (invalid_grant)", fired: tokenStatus(400),
			set: func(s *sptest.Server, m *mangler) {
				s.Tokens.SetEchoForm(true)
				for _, sec := range s.Tokens.Secrets() {
					s.Tokens.RevokeRefreshToken(sec)
				}
				s.Tokens.ExpireAccessTokens()
			},
			mayFail: []string{"invalid_grant"}, shows: []string{"refresh_token=***", "client_secret=***"}},
	}
}

// A proxy whose error page quotes the request's Proxy-Authorization and
// Authorization headers: neither the proxy password (nor the Basic
// credential made of it) nor the bearer token may reach the error or the
// logs.
func TestProxyEchoingItsCredentialsLeaksNothing(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	const user, password = "alice", "proxy-pass-SECRET"
	forward := &forwardProxy{}
	echoing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/_api/") {
			forward.ServeHTTP(w, r) // the token endpoint answers
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "<html><body><h1>502 Bad Gateway</h1><pre>Proxy-Authorization: %s\nAuthorization: %s</pre></body></html>",
			r.Header.Get("Proxy-Authorization"), r.Header.Get("Authorization"))
	})
	ps := httptest.NewServer(echoing)
	defer ps.Close()
	pu, _ := url.Parse(ps.URL)
	dsn := fmt.Sprintf("%s;ProxyHost=%s;ProxyUser=%s;ProxyPassword=%s;WSRetryCount=1", srv.ConnString(), pu.Host, user, password)

	var logs bytes.Buffer
	var mu sync.Mutex
	cfg, err := spsql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	connector, err := spsql.NewConnector(cfg, spsql.WithLogger(slog.New(slog.NewTextHandler(lockedBuffer{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	err = db.PingContext(context.Background())
	if err == nil {
		t.Fatal("Ping succeeded through a proxy answering 502")
	}
	mu.Lock()
	out := fmt.Sprintf("%v\n%+v\n%#v\n%s", err, err, err, logs.String())
	mu.Unlock()
	secrets := append(srv.Tokens.Secrets(), password, base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Fatal("the error or a log record shows a secret")
		}
	}
	if !strings.Contains(err.Error(), "Proxy-Authorization: Basic ***") || !strings.Contains(err.Error(), "Authorization: Bearer ***") {
		t.Error("the error does not show the redacted echo")
	}
}
