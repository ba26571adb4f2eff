package sharepoint

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// These tests pin the outcome of a failed write (the table in writes.go):
// applied, not applied, or in doubt — in doubt only when bytes of it may
// have reached SharePoint and no answer says what became of it. Each also
// reads the list back, so the outcome is checked against what happened.

func writeList() sptest.Site {
	return sptest.Site{Lists: []sptest.List{{Title: "Log", Items: []sptest.Item{{"Title": "a"}, {"Title": "b"}, {"Title": "c"}}}}}
}

// titles reads the list's titles, ordered by ID, through a client of its
// own with every fault cleared.
func titles(t *testing.T, srv *sptest.Server) []string {
	t.Helper()
	srv.ClearFaults()
	it, err := emulatorClient(t, srv, nil).Items(context.Background(), "Log", Query{Select: []string{"ID", "Title"}, OrderBy: "ID"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, row := range readAll(t, it) {
		out = append(out, row[1].(string))
	}
	return out
}

// outcomeOf says what a single write's error reports, and checks that
// its text says the same.
func outcomeOf(t *testing.T, err error) string {
	t.Helper()
	switch {
	case err == nil:
		return "applied"
	case errors.Is(err, ErrCreatedIDUnknown):
		if errors.Is(err, ErrWriteInDoubt) || errors.Is(err, ErrWriteNotApplied) {
			t.Errorf("a create whose ID is unknown also matches another outcome: %v", err)
		}
		return "applied, ID unknown"
	case errors.Is(err, ErrWriteInDoubt) && errors.Is(err, ErrWriteNotApplied):
		t.Errorf("the error matches both ErrWriteInDoubt and ErrWriteNotApplied: %v", err)
	case errors.Is(err, ErrWriteInDoubt):
		if !strings.Contains(err.Error(), "IN DOUBT") || !strings.Contains(err.Error(), "check the list") {
			t.Errorf("the error does not say the write is in doubt and what to do: %v", err)
		}
		return "in doubt"
	case errors.Is(err, ErrWriteNotApplied):
		if !strings.Contains(err.Error(), "was not applied") || !strings.Contains(err.Error(), "can be run again") {
			t.Errorf("the error does not say the write was not applied and what to do: %v", err)
		}
		return "not applied"
	}
	t.Errorf("the error says nothing of what became of the write: %v", err)
	return "unknown"
}

// noRedirects answers redirects instead of following them, as the client
// does for writes.
func noRedirects(srv *sptest.Server) *http.Client {
	hc := *srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

func TestAWriteAnsweredWithAFailureSaysWhetherItWasApplied(t *testing.T) {
	htmlPage := "<html><body><h1>502 Bad Gateway</h1></body></html>"
	for _, tc := range []struct {
		name  string
		fault sptest.Fault
		want  string
	}{
		{"SharePoint refuses it (400)", sptest.Fault{Status: 400, Code: "-1, Microsoft.SharePoint.Client.InvalidClientQueryException"}, "not applied"},
		{"SharePoint's own 500", sptest.Fault{Status: 500}, "not applied"},
		{"SharePoint's own 503 without Retry-After", sptest.Fault{Status: 503}, "not applied"},
		{"throttled: 429 with Retry-After, retries spent", sptest.Fault{Status: 429, RetryAfter: "1"}, "not applied"},
		{"throttled: 503 with Retry-After from a gateway, retries spent", sptest.Fault{Status: 503, RetryAfter: "1", Gateway: true}, "not applied"},
		{"a gateway's 502 page, not forwarded", sptest.Fault{Status: 502, Gateway: true, GatewayBody: htmlPage}, "in doubt"},
		{"a gateway forwards it, then 500 with a page", sptest.Fault{Forward: true, Status: 500, Gateway: true, GatewayBody: htmlPage}, "in doubt"},
		{"a gateway forwards it, then 502 with JSON of its own", sptest.Fault{Forward: true, Status: 502, Gateway: true, GatewayBody: `{"error":{"code":"BadGateway","message":"upstream failed"}}`}, "in doubt"},
		{"a gateway forwards it, then 504 with no body", sptest.Fault{Forward: true, Status: 504, Gateway: true}, "in doubt"},
		{"a gateway forwards it, then 503 without Retry-After", sptest.Fault{Forward: true, Status: 503, Gateway: true}, "in doubt"},
		{"a redirect 302, not followed", sptest.Fault{Status: 302, Gateway: true, Location: "https://login.example.com/"}, "not applied"},
		{"a redirect 308, not followed", sptest.Fault{Status: 308, Gateway: true, Location: "https://other.example.com/"}, "not applied"},
		{"303 See Other after the write", sptest.Fault{Forward: true, Status: 303, Gateway: true, Location: "https://other.example.com/"}, "in doubt"},
		{"reset before the body was read", sptest.Fault{Reset: true}, "in doubt"},
		{"reset after the write", sptest.Fault{Forward: true, Reset: true}, "in doubt"},
		{"201, the answer cut before the ID", sptest.Fault{Cut: true, CutAfterBytes: 3}, "applied, ID unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator(t, writeList())
			c, err := NewClient(srv.ServiceURL(), noRedirects(srv), WithRetries(1))
			if err != nil {
				t.Fatal(err)
			}
			c.retry.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
			if _, err := c.EntityType(context.Background(), "Log"); err != nil {
				t.Fatal(err)
			}
			srv.FailNextWith(2, tc.fault) // the retry, if any, fails alike
			_, err = c.CreateItem(context.Background(), "Log", Values{"Title": "new"})
			got := outcomeOf(t, err)
			if got != tc.want {
				t.Fatalf("%s, want %s: %v", got, tc.want, err)
			}
			created := slices.Contains(titles(t, srv), "new")
			switch {
			case strings.HasPrefix(got, "applied") && !created:
				t.Errorf("reported %s, but the list does not have the item", got)
			case got == "not applied" && created:
				t.Errorf("reported not applied, but the list has the item")
			}
		})
	}
}

// refreshSource is the driver's token source against the emulator.
func refreshSource(t *testing.T, srv *sptest.Server) *auth.RefreshTokenSource {
	t.Helper()
	src, err := auth.NewRefreshTokenSource(auth.Config{
		TokenURL: srv.TokenURL(), ClientID: srv.ClientID, ClientSecret: srv.ClientSecret,
		RefreshToken: srv.NewRefreshToken(), Scopes: []string{srv.URL + "/.default", "offline_access"},
		HTTPClient: srv.Client(), LoginTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func authClient(t *testing.T, srv *sptest.Server, src *auth.RefreshTokenSource) *Client {
	t.Helper()
	origin, _ := url.Parse(srv.URL)
	c, err := NewClient(srv.ServiceURL(), &http.Client{Transport: auth.NewTransport(srv.Client().Transport, src, origin)})
	if err != nil {
		t.Fatal(err)
	}
	c.retry.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return c
}

func revokeAll(srv *sptest.Server) {
	for _, s := range srv.Tokens.Secrets() {
		srv.Tokens.RevokeRefreshToken(s)
	}
}

func posts(srv *sptest.Server) int {
	n := 0
	for _, r := range srv.Received() {
		if r.Method == http.MethodPost {
			n++
		}
	}
	return n
}

// A write that never left — no access token, a context already ended, a
// TLS handshake that failed — was not applied, and says so.
func TestAWriteNeverSentIsNotApplied(t *testing.T) {
	t.Run("no access token: the refresh token is revoked", func(t *testing.T) {
		srv := sptest.NewServer(writeList())
		defer srv.Close()
		srv.Tokens.SetAccessTokenLifetime(900 * time.Millisecond) // expires_in 0: a token per request
		c := authClient(t, srv, refreshSource(t, srv))
		if _, err := c.EntityType(context.Background(), "Log"); err != nil {
			t.Fatal(err)
		}
		revokeAll(srv)
		err := c.UpdateItem(context.Background(), "Log", 1, Values{"Title": "x"})
		if got := outcomeOf(t, err); got != "not applied" || !errors.Is(err, auth.ErrInvalidGrant) {
			t.Fatalf("%s, want not applied, naming the refused refresh token: %v", got, err)
		}
		if n := posts(srv); n != 0 {
			t.Errorf("%d write requests reached the server, want 0", n)
		}
	})
	t.Run("no access token: the token endpoint fails", func(t *testing.T) {
		srv := sptest.NewServer(writeList())
		defer srv.Close()
		srv.Tokens.SetAccessTokenLifetime(900 * time.Millisecond)
		c := authClient(t, srv, refreshSource(t, srv))
		if _, err := c.EntityType(context.Background(), "Log"); err != nil {
			t.Fatal(err)
		}
		srv.Tokens.FailNext(1000, 500)
		_, err := c.CreateItem(context.Background(), "Log", Values{"Title": "x"})
		if got := outcomeOf(t, err); got != "not applied" {
			t.Fatalf("%s, want not applied: %v", got, err)
		}
		if n := posts(srv); n != 0 {
			t.Errorf("%d write requests reached the server, want 0", n)
		}
	})
	t.Run("the context ended before sending", func(t *testing.T) {
		srv := emulator(t, writeList())
		c := emulatorClient(t, srv, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := c.DeleteItem(ctx, "Log", 1)
		if got := outcomeOf(t, err); got != "not applied" || !errors.Is(err, context.Canceled) {
			t.Fatalf("%s, want not applied (context canceled): %v", got, err)
		}
		if n := posts(srv); n != 0 {
			t.Errorf("%d write requests reached the server, want 0", n)
		}
	})
	t.Run("the TLS handshake fails", func(t *testing.T) {
		srv := emulator(t, writeList(), sptest.WithTLS())
		// A client that does not trust the emulator's certificate.
		c, err := NewClient(srv.ServiceURL(), &http.Client{Transport: &http.Transport{}})
		if err != nil {
			t.Fatal(err)
		}
		err = c.DeleteItem(context.Background(), "Log", 1)
		if got := outcomeOf(t, err); got != "not applied" || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("%s, want not applied (certificate): %v", got, err)
		}
		if got := titles(t, srv); len(got) != 3 {
			t.Errorf("the list holds %q, want all 3 items", got)
		}
	})
}

// A $batch SharePoint refused with 401, whose token could then not be
// renewed, was not applied: no row of it is in doubt.
func TestABatchRefusedWith401AndNoNewTokenIsNotApplied(t *testing.T) {
	srv := sptest.NewServer(writeList())
	defer srv.Close()
	c := authClient(t, srv, refreshSource(t, srv))
	if _, err := c.EntityType(context.Background(), "Log"); err != nil {
		t.Fatal(err)
	}
	srv.FailRequest(1, sptest.Fault{Status: 401})
	revokeAll(srv)
	results, err := c.Batch(context.Background(), "Log", []Op{
		{Kind: OpCreate, Values: Values{"Title": "x"}, Row: 0},
		{Kind: OpDelete, ID: 1, Row: 1},
	})
	var be *BatchError
	if !errors.As(err, &be) || errors.Is(err, ErrWriteInDoubt) || !errors.Is(err, ErrWriteNotApplied) {
		t.Fatalf("err = %v, want a BatchError with every row not applied", err)
	}
	for _, r := range results {
		if r.State != OpNotSent {
			t.Errorf("row %d: state %d, want OpNotSent", r.Row, r.State)
		}
	}
	if !strings.Contains(err.Error(), "not applied") || strings.Contains(err.Error(), "IN DOUBT") {
		t.Errorf("the error does not say the rows were not applied: %v", err)
	}
}

// A $batch request answered as a whole: SharePoint's own error means no
// operation was applied; a gateway's page means every one is in doubt.
func TestABatchAnsweredWithAFailureSaysWhetherItWasApplied(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   sptest.Fault
		want    OpState
		created bool
	}{
		{"SharePoint's own 500", sptest.Fault{Status: 500}, OpFailed, false},
		{"a gateway forwards it, then 502", sptest.Fault{Forward: true, Status: 502, Gateway: true, GatewayBody: "<html>Bad Gateway</html>"}, OpInDoubt, true},
		{"a gateway's 504, not forwarded", sptest.Fault{Status: 504, Gateway: true}, OpInDoubt, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator(t, writeList())
			c := emulatorClient(t, srv, nil, WithRetries(0))
			if _, err := c.EntityType(context.Background(), "Log"); err != nil {
				t.Fatal(err)
			}
			srv.FailRequest(1, tc.fault)
			results, err := c.Batch(context.Background(), "Log", []Op{
				{Kind: OpCreate, Values: Values{"Title": "x"}, Row: 0},
				{Kind: OpCreate, Values: Values{"Title": "y"}, Row: 1},
			})
			var be *BatchError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v, want a BatchError", err)
			}
			for _, r := range results {
				if r.State != tc.want {
					t.Errorf("row %d: state %d, want %d", r.Row, r.State, tc.want)
				}
			}
			if inDoubt := tc.want == OpInDoubt; errors.Is(err, ErrWriteInDoubt) != inDoubt || errors.Is(err, ErrWriteNotApplied) == inDoubt {
				t.Errorf("errors.Is(ErrWriteInDoubt) = %v, errors.Is(ErrWriteNotApplied) = %v; want %v, %v",
					errors.Is(err, ErrWriteInDoubt), errors.Is(err, ErrWriteNotApplied), inDoubt, !inDoubt)
			}
			if got := slices.Contains(titles(t, srv), "x"); got != tc.created {
				t.Errorf("the list has the row: %v, want %v", got, tc.created)
			}
		})
	}
}

// A throttled $batch whose retry is given up while waiting (the context
// ended) was not applied: its rows are not in doubt.
func TestABatchGivenUpWhileWaitingToRetryIsNotApplied(t *testing.T) {
	srv := emulator(t, writeList())
	c := emulatorClient(t, srv, nil)
	if _, err := c.EntityType(context.Background(), "Log"); err != nil {
		t.Fatal(err)
	}
	c.retry.sleep = func(context.Context, time.Duration) error { return context.Canceled }
	srv.FailRequest(1, sptest.Fault{Status: 429, RetryAfter: "5"})
	results, err := c.Batch(context.Background(), "Log", []Op{
		{Kind: OpDelete, ID: 1, Row: 0},
		{Kind: OpDelete, ID: 2, Row: 1},
	})
	if errors.Is(err, ErrWriteInDoubt) || !errors.Is(err, ErrWriteNotApplied) {
		t.Fatalf("err = %v, want every row not applied", err)
	}
	for _, r := range results {
		if r.State == OpInDoubt || r.State == OpDone {
			t.Errorf("row %d: state %d, want not applied", r.Row, r.State)
		}
	}
	if got := titles(t, srv); len(got) != 3 {
		t.Errorf("the list holds %q, want all 3 items", got)
	}
}

func TestSharePointErrorCode(t *testing.T) {
	for code, want := range map[string]bool{
		"-2147024860, Microsoft.SharePoint.SPException":               true,
		"-1, Microsoft.SharePoint.Client.InvalidClientQueryException": true,
		"-2130575338, System.ArgumentException":                       true,
		"":                                                            false,
		"BadGateway":                                                  false,
		"InternalServerError, upstream failed":                        false,
		"-1,Microsoft.SharePoint.SPException":                         false,
	} {
		if got := sharePointErrorCode(code); got != want {
			t.Errorf("sharePointErrorCode(%q) = %v, want %v", code, got, want)
		}
	}
}

// A request that cannot be built never leaves: not applied.
func TestAWriteThatCannotBeBuiltIsNotApplied(t *testing.T) {
	c, err := NewClient("https://t.sharepoint.com/sites/x", &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		t.Fatal("a request was sent")
		return nil, nil
	})})
	if err != nil {
		t.Fatal(err)
	}
	err = c.doWrite(context.Background(), http.MethodPost, "https://t.sharepoint.com/sites/x/_api/\x7f", nil, discardBody)
	if got := outcomeOf(t, err); got != "not applied" {
		t.Fatalf("%s, want not applied: %v", got, err)
	}
}
