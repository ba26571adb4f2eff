package sharepoint

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/internal/redact"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// syncBuffer is a bytes.Buffer safe for concurrent log calls.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A server (a proxy, a WAF, an error page) that echoes the request's
// Authorization header puts the bearer token into its answer: neither the
// client's error, in any form, nor its log records may show it. The token
// here is opaque (no JWT shape), so only the Redactor's set of known
// secrets can catch it; WithRedactor is how the client knows it.
func TestEchoedAuthorizationHeaderIsRedacted(t *testing.T) {
	const token = "opaque-access-token-value-42"
	for _, tt := range []struct {
		name  string
		fault sptest.Fault
		// retried: the fault comes with a status the client retries, so a
		// "retrying request" record quotes it.
		retried bool
	}{
		{"a 500 quoting the header (retried)", sptest.Fault{Status: 500, EchoAuthorization: true}, true},
		{"a 400 quoting the header", sptest.Fault{Status: 400, EchoAuthorization: true}, false},
		{"an HTML page with the header (502, retried)", sptest.Fault{Status: 502, EchoAuthorization: true, HTML: true}, true},
		{"an HTML page with the header (403)", sptest.Fault{Status: 403, EchoAuthorization: true, HTML: true}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := emulator(t, sptest.DemoSite())
			static := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"})
			origin, _ := url.Parse(srv.URL)
			secrets := redact.New()
			secrets.Add(token)
			var logs syncBuffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c := emulatorClient(t, srv, auth.NewTransport(srv.Client().Transport, static, origin),
				WithRetries(1), WithLogger(logger), WithRedactor(secrets))
			srv.FailNextWith(2, tt.fault)

			_, err := c.Web(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			out := fmt.Sprintf("%v\n%+v\n%#v\n%q\n%s", err, err, err, err, logs.String())
			if strings.Contains(out, token) {
				t.Fatal("the error or a log record shows the access token")
			}
			// The echo did reach the error, redacted.
			if !strings.Contains(err.Error(), "Authorization: Bearer ***") {
				t.Error("the error does not show the redacted echo")
			}
			if tt.retried && !strings.Contains(logs.String(), "sharepoint: retrying request") {
				t.Error("no retry was logged: the scenario proves less than it says")
			}
		})
	}
}

// Without WithRedactor the client still removes what looks like a bearer
// credential or a JWT.
func TestServerTextIsRedactedByShapeWithoutARedactor(t *testing.T) {
	srv := emulator(t, sptest.DemoSite())
	srv.FailRequest(1, sptest.Fault{Status: 400, Message: "denied: access_token=abcdefgh eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.sig"})
	c := emulatorClient(t, srv, nil)
	_, err := c.Web(context.Background())
	if err == nil || strings.Contains(err.Error(), "abcdefgh") || strings.Contains(err.Error(), "eyJ") {
		t.Fatalf("err = %v, want the credentials removed", err)
	}
}

// A URL the server sent (a next link) may carry a credential: the log
// records and the error quote it redacted.
func TestLoggedURLsAreRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusInternalServerError)
	}))
	defer srv.Close()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := NewClient(srv.URL, srv.Client(), WithRetries(1), WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	c.retry.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	const secret = "SECRETVALUE"
	_, err = c.getBytes(context.Background(), srv.URL+"/_api/web/lists/items?$skiptoken=x&access_token="+secret)
	if err == nil {
		t.Fatal("no error")
	}
	out := fmt.Sprintf("%v %+v %s", err, err, logs.String())
	if strings.Contains(out, secret) {
		t.Fatal("the error or a log record shows the credential in the URL")
	}
	if !strings.Contains(logs.String(), "sharepoint: retrying request") || !strings.Contains(logs.String(), "access_token=***") {
		t.Error("the logs do not show the retried request's redacted URL")
	}
}
