package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// Invalidator is implemented by token sources that can drop a token the
// server refused (RefreshTokenSource does). NewTransport uses it to retry a
// request once after a 401.
type Invalidator interface {
	Invalidate(rejected *oauth2.Token)
}

// NewTransport returns a RoundTripper that authenticates requests to origin
// (scheme, host and port of SharePoint's URL) with a bearer token from src.
//
// Requests to any other origin — a redirect to another host, a link in a
// response — are sent without an Authorization header at all: the token is
// SharePoint's and must not reach anyone else. oauth2.Transport is not used
// because it puts the token on every request.
//
// When origin answers 401 and src is an Invalidator, the transport
// invalidates the refused token, obtains a new one and retries once, provided
// the body can be sent again (no body, or req.GetBody set). If no new token
// can be obtained, RoundTrip returns that error (for instance an
// ErrInvalidGrant or ErrAccessTokenRefused explanation) instead of the 401.
//
// The caller's request is never modified. base nil means
// http.DefaultTransport.
func NewTransport(base http.RoundTripper, src oauth2.TokenSource, origin *url.URL) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, src: src, origin: originOf(origin)}
}

type transport struct {
	base   http.RoundTripper
	src    oauth2.TokenSource
	origin string
}

// originOf normalises u to "scheme://host:port" with the default port made
// explicit, so https://x and https://x:443 compare equal.
func originOf(u *url.URL) string {
	if u == nil {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.origin == "" || originOf(req.URL) != t.origin {
		if req.Header.Get("Authorization") == "" {
			return t.base.RoundTrip(req)
		}
		r := req.Clone(req.Context())
		r.Header.Del("Authorization")
		return t.base.RoundTrip(r)
	}

	tok, err := tokenContext(req.Context(), t.src)
	if err != nil {
		closeBody(req)
		return nil, &TokenError{Err: err}
	}
	resp, err := t.base.RoundTrip(withToken(req, tok, req.Body))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}

	inv, ok := t.src.(Invalidator)
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if !ok || !replayable {
		return resp, nil
	}
	inv.Invalidate(tok)
	fresh, err := tokenContext(req.Context(), t.src)
	if err != nil {
		drain(resp)
		return nil, &TokenError{Err: fmt.Errorf("auth: SharePoint refused the access token (HTTP 401) and no new one could be obtained: %w", err)}
	}
	if fresh.AccessToken == tok.AccessToken {
		// The source has nothing newer; the 401 is the answer.
		return resp, nil
	}
	body := req.Body
	if req.GetBody != nil {
		if body, err = req.GetBody(); err != nil {
			drain(resp)
			return nil, fmt.Errorf("auth: replaying the request body after a 401: %w", err)
		}
	}
	drain(resp)
	return t.base.RoundTrip(withToken(req, fresh, body))
}

// withToken returns a copy of req carrying tok and body.
func withToken(req *http.Request, tok *oauth2.Token, body io.ReadCloser) *http.Request {
	r := req.Clone(req.Context())
	r.Body = body
	tok.SetAuthHeader(r)
	return r
}

// drain reads a little of a discarded response so its connection can be
// reused, then closes it.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}

// closeBody honours the RoundTripper contract: the request body is closed
// even when the request is never sent.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

var _ Invalidator = (*RefreshTokenSource)(nil)

// TokenError is what the transport returns when it could not obtain an
// access token. The token source has already retried within its login
// timeout, so callers must not retry the request for it: Retryable says
// so to HTTP clients (package sharepoint) that look for that method.
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// Retryable reports false: see TokenError.
func (e *TokenError) Retryable() bool { return false }

// contextTokenSource is a token source that can stop waiting when a
// context ends (RefreshTokenSource is one).
type contextTokenSource interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// tokenContext gets a token from src, but gives up waiting when ctx ends:
// a query's caller can always cancel, even while a refresh (which runs on
// its own context, shared by every waiting request) is slow. The refresh
// itself goes on and its result is kept for the next request.
func tokenContext(ctx context.Context, src oauth2.TokenSource) (*oauth2.Token, error) {
	if cs, ok := src.(contextTokenSource); ok {
		return cs.TokenContext(ctx)
	}
	return waitToken(ctx, src.Token)
}

// waitToken runs token on its own goroutine and waits for it or for ctx,
// whichever ends first; the goroutine finishes token either way.
func waitToken(ctx context.Context, token func() (*oauth2.Token, error)) (*oauth2.Token, error) {
	if ctx.Done() == nil {
		return token()
	}
	type result struct {
		tok *oauth2.Token
		err error
	}
	ch := make(chan result, 1) // buffered: the goroutine never blocks
	go func() {
		tok, err := token()
		ch <- result{tok, err}
	}()
	select {
	case r := <-ch:
		return r.tok, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("auth: waiting for an access token: %w", ctx.Err())
	}
}
