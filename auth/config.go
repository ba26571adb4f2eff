// Package auth obtains and renews the OAuth 2.0 bearer tokens spsql sends to
// SharePoint Online, using the Entra ID (Azure AD) refresh_token grant, or
// for app-only access the client_credentials grant with a certificate
// (Config.ClientCertificate, LoadClientCertificate).
//
// RefreshTokenSource is an oauth2.TokenSource that caches the access token,
// refreshes it shortly before it expires or after SharePoint refuses it,
// follows refresh token rotation and can persist the newest refresh token in a
// RefreshTokenStore. NewTransport puts its tokens on requests to one origin
// only and retries once after a 401.
//
// Secrets — client secrets, refresh tokens and access tokens — never appear in
// this package's errors, log records or String output.
package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultLoginTimeout is the time allowed to obtain one token, retries
// included, when Config.LoginTimeout is zero.
const DefaultLoginTimeout = 30 * time.Second

// Config describes how to obtain tokens. RefreshToken (with TokenURL and
// ClientID), ClientCertificate (with TokenURL and ClientID) or AccessToken
// must be set.
type Config struct {
	// TokenURL is the Entra ID token endpoint. A path containing "/v2.0/"
	// selects the v2.0 protocol (Scopes are sent), anything else v1
	// (Resource is sent). Must be https unless the host is loopback.
	TokenURL string
	// ClientID is the application (client) ID.
	ClientID string
	// ClientSecret is the client secret's value; empty for public clients,
	// which must not send one.
	ClientSecret string
	// RefreshToken starts the refresh token chain. Required unless only an
	// AccessToken, or a ClientCertificate, is configured.
	RefreshToken string
	// ClientCertificate, if set, selects the client-credentials grant
	// with a certificate (app-only access, docs/sharepoint.md §12.8): each
	// token request carries a new client assertion signed with its key,
	// there is no refresh token, and a token near its expiry is replaced
	// by asking again. Exclusive with RefreshToken and ClientSecret
	// (SharePoint refuses app-only tokens obtained with a secret). Scopes
	// should be the single "https://TENANT.sharepoint.com/.default".
	ClientCertificate *ClientCertificate
	// AccessToken is an optional initial bearer token. Its expiry is unknown,
	// so it is used until SharePoint refuses it, then replaced by refreshing
	// (or, without RefreshToken, reported as ErrAccessTokenRefused).
	AccessToken string
	// Scopes are sent space-joined as "scope" to a v2.0 endpoint, which
	// requires them on refresh in practice (AADSTS90009 otherwise), e.g.
	// "https://contoso.sharepoint.com/.default", "offline_access".
	Scopes []string
	// Resource is sent as "resource" to a v1 endpoint, e.g.
	// "https://contoso.sharepoint.com".
	Resource string
	// HTTPClient sends token requests. nil uses a client with connect,
	// TLS and response header timeouts. It should not be a client bound to
	// one request: refreshes happen on behalf of many. Token requests go
	// through a copy of it that follows no redirect out of the TokenURL's
	// origin (the credentials travel in the body, which a 307 or 308 would
	// send on); HTTPClient itself is not modified.
	HTTPClient *http.Client
	// LoginTimeout bounds obtaining one token, retries included. Zero means
	// DefaultLoginTimeout.
	LoginTimeout time.Duration
	// Store, if set, persists rotated refresh tokens (see RefreshTokenStore).
	Store RefreshTokenStore
	// Logger, if set, receives Debug/Info/Warn records about refreshes. No
	// record carries a secret.
	Logger *slog.Logger
	// Redactor, if set, is told every secret the source holds or obtains
	// (the client secret, every refresh and access token) and removes them
	// from the token endpoint's text before it reaches an error or a log
	// record. Give the same one to whatever else quotes server text (the
	// driver gives its SharePoint client the same), so that a token this
	// source obtained is removed there too. nil: the source keeps its own,
	// which its Redact method uses.
	Redactor Redactor
}

// Redactor is a set of secrets that removes them, and anything shaped like
// a credential, from text: an error description may echo the posted form,
// refresh token and client secret included (some gateways and debugging
// proxies do).
type Redactor interface {
	// Add registers secrets that stay valid: the client secret, a
	// configured token.
	Add(secrets ...string)
	// AddIssued registers tokens obtained from the token endpoint; a
	// Redactor may forget the oldest of them.
	AddIssued(tokens ...string)
	// Redact returns text with every registered secret and every
	// credential-shaped string replaced.
	Redact(text string) string
}

// String describes c with every secret replaced by "***".
func (c Config) String() string {
	return fmt.Sprintf("auth.Config{TokenURL:%q ClientID:%q ClientSecret:%s RefreshToken:%s AccessToken:%s ClientCertificate:%s Scopes:%q Resource:%q LoginTimeout:%s Store:%t}",
		c.TokenURL, c.ClientID, mask(c.ClientSecret), mask(c.RefreshToken), mask(c.AccessToken), certText(c.ClientCertificate), c.Scopes, c.Resource, c.LoginTimeout, c.Store != nil)
}

// GoString keeps %#v from printing the secrets too.
func (c Config) GoString() string { return c.String() }

// LogValue makes slog print c with secrets replaced by "***".
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("token_url", c.TokenURL),
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", mask(c.ClientSecret)),
		slog.String("refresh_token", mask(c.RefreshToken)),
		slog.String("access_token", mask(c.AccessToken)),
		slog.String("client_certificate", certText(c.ClientCertificate)),
		slog.String("scope", strings.Join(c.Scopes, " ")),
		slog.String("resource", c.Resource),
	)
}

// mask shows whether a secret is set, never its value.
func mask(s string) string {
	if s == "" {
		return `""`
	}
	return "***"
}

// certText names a certificate by thumbprint, never its key.
func certText(c *ClientCertificate) string {
	if c == nil || c.Certificate == nil {
		return `""`
	}
	return c.Thumbprint()
}

// validate checks c and returns the parsed token URL (nil for an
// access-token-only config). The error names every missing or wrong field,
// never a value that could be secret.
func (c Config) validate() (*url.URL, error) {
	cert := c.ClientCertificate != nil
	grant := "a RefreshToken"
	if cert {
		grant = "a ClientCertificate"
	}
	if c.RefreshToken == "" && !cert {
		if c.AccessToken == "" {
			return nil, errors.New("auth: invalid configuration: set RefreshToken (with TokenURL and ClientID), ClientCertificate (with TokenURL and ClientID) or AccessToken")
		}
		return nil, nil
	}
	var problems []string
	var u *url.URL
	if cert {
		if c.RefreshToken != "" {
			problems = append(problems, "set either RefreshToken (delegated access) or ClientCertificate (app-only access), not both")
		}
		if c.ClientSecret != "" {
			problems = append(problems, "ClientSecret cannot be used with a ClientCertificate: SharePoint refuses app-only tokens obtained with a client secret")
		}
		if c.AccessToken != "" {
			problems = append(problems, "AccessToken cannot be used with a ClientCertificate")
		}
		if c.ClientCertificate.Certificate == nil || c.ClientCertificate.Key == nil {
			problems = append(problems, "ClientCertificate needs both the certificate and its private key")
		}
	}
	if c.TokenURL == "" {
		problems = append(problems, "TokenURL is required with "+grant)
	} else if pu, err := url.Parse(c.TokenURL); err != nil || pu.Host == "" || (pu.Scheme != "https" && pu.Scheme != "http") {
		problems = append(problems, "TokenURL must be an absolute https URL")
	} else if pu.Scheme == "http" && !isLoopback(pu.Hostname()) {
		// The client secret and refresh token travel in the body: never in
		// clear text beyond this machine.
		problems = append(problems, "TokenURL must use https (http is allowed only for loopback hosts)")
	} else {
		u = pu
	}
	if c.ClientID == "" {
		problems = append(problems, "ClientID is required with "+grant)
	}
	if u != nil {
		if isV2(u) && len(c.Scopes) == 0 {
			example := "https://TENANT.sharepoint.com/.default offline_access"
			if cert {
				example = "https://TENANT.sharepoint.com/.default"
			}
			problems = append(problems, "Scopes are required for a v2.0 TokenURL (Entra ID answers AADSTS90009 without them), e.g. "+example)
		}
		if !isV2(u) && c.Resource == "" {
			problems = append(problems, "Resource is required for a v1 TokenURL, e.g. https://TENANT.sharepoint.com")
		}
	}
	if c.LoginTimeout < 0 {
		problems = append(problems, "LoginTimeout must not be negative")
	}
	if len(problems) > 0 {
		return nil, errors.New("auth: invalid configuration: " + strings.Join(problems, "; "))
	}
	return u, nil
}

func isV2(u *url.URL) bool { return strings.Contains(strings.ToLower(u.Path), "/v2.0/") }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// defaultHTTPClient has timeouts for each phase; the overall bound is the
// LoginTimeout context. Keep-alives are off: a token is fetched about once
// an hour, so an idle connection would only linger.
func defaultHTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			DisableKeepAlives:     true,
			ForceAttemptHTTP2:     true,
		},
	}
}
