package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
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

// countingClient is an HTTP client that counts its dials.
func countingClient(dials *atomic.Int32) *http.Client {
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// A token endpoint where nothing listens is reported as such after a
// couple of quick retries, naming TokenURI and the endpoint, not after the
// whole login timeout.
func TestUnreachableTokenEndpoint(t *testing.T) {
	const rt, secret = "rt-unreachable-0123456789", "secret-unreachable-0123456789"
	endpoint := "http://" + closedAddr(t) + "/tenant/oauth2/token"
	var dials atomic.Int32
	src, err := auth.NewRefreshTokenSource(auth.Config{
		TokenURL:     endpoint + "?code=" + secret,
		ClientID:     "c",
		ClientSecret: secret,
		RefreshToken: rt,
		Resource:     "r",
		HTTPClient:   countingClient(&dials),
		LoginTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	auth.SetBackoff(src, time.Millisecond, time.Millisecond)
	_, err = src.Token()
	if err == nil {
		t.Fatal("a token from a closed port")
	}
	if !errors.Is(err, auth.ErrUnreachable) {
		t.Fatalf("error does not match ErrUnreachable: %v", err)
	}
	var ue *auth.UnreachableError
	if !errors.As(err, &ue) || ue.Property != "TokenURI" || ue.URL != endpoint {
		t.Fatalf("UnreachableError = %+v, want Property TokenURI and URL %s", ue, endpoint)
	}
	msg := err.Error()
	for _, want := range []string{"auth: cannot reach the token endpoint at " + endpoint + " (TokenURI): connection refused", "check the URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	for _, secretText := range []string{rt, secret, "?code"} {
		if strings.Contains(msg, secretText) {
			t.Errorf("error %q quotes %q", msg, secretText)
		}
	}
	if got, want := int(dials.Load()), 1+auth.UnreachableRetries; got != want {
		t.Errorf("%d dials, want %d (one attempt and %d quick retries)", got, want, auth.UnreachableRetries)
	}
}

// Only "nothing listens" and "no such host" count as unreachable; other
// network failures keep their retries within the login timeout.
func TestUnreachableReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "connection refused"},
		{fmt.Errorf("wrapped: %w", &net.DNSError{Err: "no such host", Name: "corp.invalid", IsNotFound: true}), "no such host"},
		{&net.DNSError{Err: "server misbehaving", Name: "corp.invalid", IsTemporary: true}, ""},
		{&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, ""},
		{context.DeadlineExceeded, ""},
		{nil, ""},
	} {
		if got := auth.UnreachableReason(tc.err); got != tc.want {
			t.Errorf("UnreachableReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
