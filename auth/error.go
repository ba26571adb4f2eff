package auth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sentinel errors. errors.Is reports them for the *Error values the token
// endpoint's answers turn into, and for the access-token-only case.
var (
	// ErrInvalidGrant: Entra ID refused the refresh token (expired through
	// inactivity, revoked, or already rotated away). Only a new refresh token
	// helps; retrying never does.
	ErrInvalidGrant = errors.New("auth: refresh token rejected (invalid_grant): obtain a new refresh token (spsql login) and set TokenCacheFile to keep its rotations")
	// ErrInvalidClient: Entra ID refused the client credentials
	// (invalid_client), or does not know the application in the tenant
	// (unauthorized_client AADSTS700016, docs/sharepoint.md §12.6).
	ErrInvalidClient = errors.New("auth: client credentials rejected (invalid_client): check ClientID and ClientSecret")
	// ErrAccessTokenRefused: SharePoint refused a configured AccessToken and
	// no RefreshToken is configured to obtain another.
	ErrAccessTokenRefused = errors.New("auth: the access token was refused (expired or invalid) and no RefreshToken is configured to renew it")
	// ErrUnreachable: nothing answers at an endpoint's address — the
	// connection was refused or the host name is unknown. errors.Is
	// reports it for *UnreachableError, which this package returns for the
	// token endpoint (TokenURI) and package sharepoint for the site
	// (ServiceURL). Such a failure is retried only briefly (see
	// UnreachableRetries), not for the whole login timeout.
	ErrUnreachable = errors.New("auth: nothing answers at the endpoint (connection refused or unknown host): check the URL and the network")
)

// UnreachableRetries is how many times a request is made again after
// nothing answered at its address (connection refused, unknown host),
// with the usual short backoff between tries (at most 0.75 s of waiting
// for the token endpoint, 1.5 s for the site): enough to ride out a server
// or proxy that is restarting, short enough that a wrong URL is reported
// within a few seconds. Timeouts, 5xx and 429 keep their longer retries.
const UnreachableRetries = 2

// UnreachableError says that nothing answered at an endpoint's address.
// It names the connection property holding the URL and the URL itself,
// without its query string or userinfo; the underlying network error is
// kept for errors.Is and errors.As but not quoted.
type UnreachableError struct {
	Prefix   string // the reporting package's error prefix: "auth", "sharepoint"
	What     string // what could not be reached: "the token endpoint", "the SharePoint site"
	Property string // the connection property holding URL: "TokenURI", "ServiceURL"
	URL      string // scheme://host/path
	Err      error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s: cannot reach %s at %s (%s): %s — check the URL and the network",
		e.Prefix, e.What, e.URL, e.Property, UnreachableReason(e.Err))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnreachable) work on *UnreachableError.
func (e *UnreachableError) Is(target error) bool { return target == ErrUnreachable }

// UnreachableReason returns "connection refused" or "no such host" when
// err says that nothing answers at the address, and "" otherwise (a
// timeout, a reset, a TLS failure: those are not "unreachable").
func UnreachableReason(err error) string {
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "no such host"
	}
	return ""
}

// EndpointText is u's scheme, host and path: what an error may quote of a
// URL, never its userinfo, query or fragment.
func EndpointText(u *url.URL) string { return u.Scheme + "://" + u.Host + u.Path }

// Error is an error answer from the Entra ID token endpoint. Its fields come
// from Entra's JSON error body; none of them holds a token or secret (values
// the client sent are blanked out of Description before it is stored).
type Error struct {
	StatusCode    int    // HTTP status of the answer
	Code          string // OAuth error code: "invalid_grant", "invalid_client", …
	Description   string // error_description, e.g. "AADSTS70008: …"
	ErrorCodes    []int  // error_codes, the AADSTS numbers
	TraceID       string // trace_id, for Microsoft support
	CorrelationID string // correlation_id, for Microsoft support

	retryAfter time.Duration // from a Retry-After header on 429/503

	certificate bool // the request authenticated with a client certificate
}

// Error explains what happened and what to do about it, quoting Entra's error
// code and the first line of its description.
func (e *Error) Error() string {
	var b strings.Builder
	switch e.Code {
	case "invalid_grant":
		b.WriteString("auth: Entra ID rejected the refresh token")
	case "invalid_client":
		if e.certificate {
			b.WriteString("auth: Entra ID rejected the client certificate")
		} else {
			b.WriteString("auth: Entra ID rejected the client credentials")
		}
	case "unauthorized_client":
		b.WriteString("auth: Entra ID refused the application")
	default:
		b.WriteString("auth: token request failed")
	}
	fmt.Fprintf(&b, " (HTTP %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if d := e.summary(); d != "" {
		b.WriteString(": " + d)
	} else if len(e.ErrorCodes) > 0 {
		b.WriteString(": AADSTS" + strconv.Itoa(e.ErrorCodes[0]))
	}
	b.WriteString(")")
	switch e.Code {
	case "invalid_grant":
		b.WriteString("; it has expired, was revoked or was already used: obtain a new refresh token (spsql login signs in and prints it or writes it to odbc.ini) and set TokenCacheFile, where the rotated refresh tokens are kept, so that the next run does not present a used one")
	case "invalid_client":
		if e.certificate {
			b.WriteString(e.certificateHint())
		} else {
			b.WriteString("; check ClientID and ClientSecret (use the secret's value, not its ID) and that the secret has not expired")
		}
	case "unauthorized_client":
		if slices.Contains(e.ErrorCodes, 700016) {
			b.WriteString("; check ClientID, and that TokenURI names the tenant the application is registered in")
		}
	case "invalid_scope":
		b.WriteString("; check the scope (e.g. https://TENANT.sharepoint.com/.default offline_access)")
	case "interaction_required":
		b.WriteString("; the user must sign in interactively again (MFA or Conditional Access): obtain a new refresh token")
	}
	if e.TraceID != "" || e.CorrelationID != "" {
		fmt.Fprintf(&b, " [trace ID %s, correlation ID %s]", e.TraceID, e.CorrelationID)
	}
	return b.String()
}

// summary is the description's first line: Entra appends trace and
// correlation IDs and a timestamp on further CRLF-separated lines.
func (e *Error) summary() string {
	d, _, _ := strings.Cut(e.Description, "\n")
	return strings.TrimSpace(d)
}

// Is makes errors.Is(err, ErrInvalidGrant) and errors.Is(err,
// ErrInvalidClient) work on *Error.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInvalidGrant:
		return e.Code == "invalid_grant"
	case ErrInvalidClient:
		// An application the tenant does not know is a ClientID problem
		// too: Entra answers it 400 unauthorized_client AADSTS700016
		// (docs/sharepoint.md §12.6).
		return e.Code == "invalid_client" || e.Code == "unauthorized_client" && slices.Contains(e.ErrorCodes, 700016)
	case ErrCertificateRejected:
		return e.certificateRejected()
	}
	return false
}

// retryable reports whether another attempt might succeed: server errors and
// throttling are transient; every other 4xx answer will not change.
func (e *Error) retryable() bool {
	return e.StatusCode >= 500 || e.StatusCode == 429
}
