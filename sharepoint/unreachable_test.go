package sharepoint

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-spsql/spsql/auth"
)

// closedAddr returns a loopback address where nothing listens: a port
// just listened on and closed again.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// dialCountingTransport is an HTTP transport that counts its dials.
func dialCountingTransport(dials *atomic.Int32) *http.Transport {
	var d net.Dialer
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, network, addr)
	}}
}

// A site where nothing listens is retried only briefly, then reported as
// unreachable, naming ServiceURL and the site's URL.
func TestUnreachableSite(t *testing.T) {
	site := "http://" + closedAddr(t) + "/sites/x"
	var dials atomic.Int32
	c, err := NewClient(site, &http.Client{Transport: dialCountingTransport(&dials)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.retry.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	_, err = c.Web(context.Background())
	if err == nil {
		t.Fatal("Web succeeded against a closed port")
	}
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("error does not match ErrUnreachable: %v", err)
	}
	want := "sharepoint: cannot reach the SharePoint site at " + site + " (ServiceURL): connection refused — check the URL and the network"
	if err.Error() != want {
		t.Errorf("error:\n got %q\nwant %q", err, want)
	}
	if got, want := int(dials.Load()), 1+auth.UnreachableRetries; got != want {
		t.Errorf("%d dials, want %d (one attempt and %d quick retries; the default policy allows %d)", got, want, auth.UnreachableRetries, c.retry.max)
	}
}

// A token endpoint where nothing listens fails the request at once: the
// token source has made its quick retries, and the client adds none.
func TestUnreachableTokenEndpointThroughClient(t *testing.T) {
	siteSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the site got a request without a token: %s", r.URL)
	}))
	defer siteSrv.Close()
	tokenURL := "http://" + closedAddr(t) + "/tenant/oauth2/token"
	var dials atomic.Int32
	src, err := auth.NewRefreshTokenSource(auth.Config{
		TokenURL: tokenURL, ClientID: "c", RefreshToken: "rt-0123456789abcdef", Resource: "r",
		HTTPClient:   &http.Client{Transport: dialCountingTransport(&dials)},
		LoginTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	origin, _ := url.Parse(siteSrv.URL)
	c, err := NewClient(siteSrv.URL+"/sites/x", &http.Client{Transport: auth.NewTransport(siteSrv.Client().Transport, src, origin)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.retry.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	_, err = c.Web(context.Background())
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("error does not match ErrUnreachable: %v", err)
	}
	var ue *auth.UnreachableError
	if !errors.As(err, &ue) || ue.Property != "TokenURI" || ue.URL != tokenURL {
		t.Fatalf("UnreachableError = %+v, want Property TokenURI and URL %s", ue, tokenURL)
	}
	if !strings.HasPrefix(err.Error(), "auth: cannot reach the token endpoint at "+tokenURL+" (TokenURI)") {
		t.Errorf("error %q", err)
	}
	if got, want := int(dials.Load()), 1+auth.UnreachableRetries; got != want {
		t.Errorf("%d dials to the token endpoint, want %d", got, want)
	}
}
