package auth

import (
	"fmt"
	"net/http"
	"net/url"
)

// The token request carries the client secret and the refresh token in
// its body, and a 307 or 308 redirect makes net/http send that body again
// to wherever the redirect points. So token requests follow redirects only
// within the token endpoint's origin (scheme, host and port).

// redirectError is a token request's redirect to another origin, which
// was not followed. It is final: asking again gets the same redirect.
type redirectError struct {
	status int
	to     string // the target's scheme://host:port, never its path or query
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("auth: the token endpoint redirected the request (HTTP %d) to %s, another origin; the credentials were not sent there: check the token URL", e.status, e.to)
}

// withinOrigin returns a copy of hc whose CheckRedirect refuses redirects
// that leave endpoint's origin, whatever hc's own policy, which decides
// the rest. hc itself is not modified.
func withinOrigin(hc *http.Client, endpoint *url.URL) *http.Client {
	narrowed := *hc
	own := hc.CheckRedirect
	origin := originOf(endpoint)
	narrowed.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if originOf(req.URL) != origin {
			status := 0
			if req.Response != nil {
				status = req.Response.StatusCode
			}
			return &redirectError{status: status, to: req.URL.Scheme + "://" + req.URL.Host}
		}
		if own != nil {
			return own(req, via)
		}
		if len(via) >= 10 { // net/http's default
			return fmt.Errorf("auth: the token endpoint redirected the request %d times; stopped", len(via))
		}
		return nil
	}
	return &narrowed
}
