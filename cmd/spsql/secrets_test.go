package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Servers that echo what the driver sent them — the Authorization header
// in an error body or an HTML page, the token request's form — must not
// get a secret onto the command's standard output or error.
func TestEchoedSecretsStayOffTheTerminal(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  func(*sptest.Server)
		want string // in stderr: the echo arrived, redacted
	}{
		{"an error body with the Authorization header", func(s *sptest.Server) {
			s.FailNextWith(100, sptest.Fault{Status: 400, EchoAuthorization: true})
		}, "Authorization: Bearer ***"},
		{"an HTML page with the Authorization header", func(s *sptest.Server) {
			s.FailNextWith(100, sptest.Fault{Status: 403, EchoAuthorization: true, HTML: true})
		}, "Authorization: Bearer ***"},
		{"a token error quoting the posted form", func(s *sptest.Server) {
			s.Tokens.SetEchoForm(true)
			s.Tokens.FailNext(100, 400)
		}, "client_secret=***"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := sptest.NewServer(sptest.DemoSite())
			defer srv.Close()
			tt.set(srv)
			code, out, errOut := runCLI(t, "", "--dsn", srv.ConnString()+";WSRetryCount=0", "SELECT ID, Title FROM Tasks")
			if code == exitOK {
				t.Fatal("the command succeeded against a failing server")
			}
			for _, s := range srv.Tokens.Secrets() {
				if strings.Contains(out+errOut, s) || strings.Contains(out+errOut, url.QueryEscape(s)) {
					t.Fatal("the command's output shows a secret")
				}
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr lacks %q: the echo never reached it", tt.want)
			}
		})
	}
}
