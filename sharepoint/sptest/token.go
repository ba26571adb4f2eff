package sptest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Token endpoint versions, as reported in TokenRequest.Version.
const (
	TokenV1 = "v1" // /{tenant}/oauth2/token: "resource", string-typed expiry fields
	TokenV2 = "v2" // /{tenant}/oauth2/v2.0/token: "scope", numeric expiry fields
)

// TokenRequest is one request the TokenEndpoint received, as recorded for
// assertions. Form holds the decoded body, including client_secret and
// refresh_token: tests must compare those values, never print them.
type TokenRequest struct {
	Method    string
	Path      string
	Tenant    string     // the {tenant} path segment
	Version   string     // TokenV1 or TokenV2; "" when the path matched neither
	Form      url.Values // the parsed form body (nil when it was not form-encoded)
	BasicAuth bool       // the client authenticated with HTTP Basic instead of the body
	Status    int        // the status code the endpoint answered
}

// TokenEndpoint emulates the Entra ID (Azure AD) token endpoints for the
// refresh_token grant: v2.0 at /{tenant}/oauth2/v2.0/token and v1 at
// /{tenant}/oauth2/token. It is an http.Handler; Server mounts it, but it can
// be mounted on any server whose paths end that way.
//
// Its rules follow what Entra ID does and what a client must cope with (see
// docs/sharepoint.md §12): v2 insists on "scope" (real Entra answers
// AADSTS90009 when a refresh omits it) and rejects "resource"; v1 insists on
// "resource"; refresh tokens rotate on every use. As on Entra ID, a
// rotated-away refresh token stays valid (docs/sharepoint.md §12.5); with
// reuse detection on (SetReuseDetection, WithRefreshTokenReuseDetection) it
// is refused, as identity providers with refresh token rotation do, so that
// a client that falls back to an old token fails loudly.
//
// Create it with NewTokenEndpoint; all methods are safe for concurrent use.
type TokenEndpoint struct {
	mu             sync.Mutex
	clients        map[string]string // client ID → secret ("" for a public client)
	refresh        map[string]*refreshGrant
	access         map[string]accessGrant
	atLifetime     time.Duration
	reuseDetection bool
	rotate         bool
	failCount      int
	failStatus     int
	echoForm       bool
	latency        time.Duration
	requests       []TokenRequest
	// interactive holds the sign-in flows' state: device codes
	// (devicecode.go) and authorization codes (authorize.go).
	interactive interactiveState
	// apponly holds the client-credentials grant's state (apponly.go).
	apponly appOnlyState
}

type refreshGrant struct {
	clientID string
	used     bool // rotated away: a newer refresh token was issued from it
	revoked  bool
}

type accessGrant struct {
	expiry time.Time // zero once ExpireAccessTokens ran
}

// NewTokenEndpoint returns an endpoint with no clients, a one hour access
// token lifetime, rotation on and reuse detection off, as Entra ID.
func NewTokenEndpoint() *TokenEndpoint {
	return &TokenEndpoint{
		clients:    make(map[string]string),
		refresh:    make(map[string]*refreshGrant),
		access:     make(map[string]accessGrant),
		atLifetime: time.Hour,
		rotate:     true,
	}
}

// AddClient registers an application. An empty secret registers a public
// client, which must not send one (AADSTS700025).
func (e *TokenEndpoint) AddClient(id, secret string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clients[id] = secret
}

// IssueRefreshToken returns a new refresh token for clientID, as if the user
// had completed an authorization code flow. The client need not be registered
// yet, but refreshing fails until it is.
func (e *TokenEndpoint) IssueRefreshToken(clientID string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.issueRefreshLocked(clientID)
}

func (e *TokenEndpoint) issueRefreshLocked(clientID string) string {
	rt := "1.sptest-rt." + randomToken(48)
	e.refresh[rt] = &refreshGrant{clientID: clientID}
	return rt
}

// RevokeRefreshToken makes rt unusable, as a password reset or an admin's
// "revoke sessions" does. Unknown tokens are ignored.
func (e *TokenEndpoint) RevokeRefreshToken(rt string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if g, ok := e.refresh[rt]; ok {
		g.revoked = true
	}
}

// ExpireAccessTokens makes every access token issued so far invalid, as if
// their lifetime had run out. Tokens issued afterwards are valid as usual.
func (e *TokenEndpoint) ExpireAccessTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	// Keep the tokens (Secrets must still list them); only their expiry goes.
	for at := range e.access {
		e.access[at] = accessGrant{}
	}
}

// SetAccessTokenLifetime sets the lifetime of access tokens issued from now
// on (default one hour). expires_in is reported in whole seconds.
func (e *TokenEndpoint) SetAccessTokenLifetime(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.atLifetime = d
}

// SetReuseDetection turns refresh token reuse detection on or off (the
// default). When on, a refresh token from which a newer one was issued is
// refused with invalid_grant 70008, as identity providers that detect
// refresh token reuse do. Entra ID does not revoke a rotated-away token: it
// stays valid until it expires, though clients must discard it
// (docs/sharepoint.md §12.5). Turn it on to catch a client that falls back
// to an old token.
func (e *TokenEndpoint) SetReuseDetection(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reuseDetection = on
}

// SetRotation turns refresh token rotation on (the default) or off. When off,
// successful responses carry no refresh_token and the presented one stays
// valid, which exercises a client's "keep the current token" path.
func (e *TokenEndpoint) SetRotation(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rotate = on
}

// FailNext makes the next n token requests fail with HTTP status, before any
// validation, with an Entra-style error body (server_error for 5xx,
// temporarily_unavailable for 429). Failed requests consume nothing.
func (e *TokenEndpoint) FailNext(n int, status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failCount, e.failStatus = n, status
}

// SetEchoForm makes every error answer quote the posted form, refresh
// token and client secret included, in the first line of its
// error_description, as some gateways and debugging proxies do; a client
// must not pass it on to its user. Off by default.
func (e *TokenEndpoint) SetEchoForm(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.echoForm = on
}

// SetLatency delays every token response by d. The delay ends early when the
// client goes away.
func (e *TokenEndpoint) SetLatency(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.latency = d
}

// Requests returns a copy of the requests received so far, oldest first.
func (e *TokenEndpoint) Requests() []TokenRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]TokenRequest, len(e.requests))
	for i, r := range e.requests {
		r.Form = cloneValues(r.Form)
		out[i] = r
	}
	return out
}

// RequestCount returns how many token requests were received, failed ones
// included.
func (e *TokenEndpoint) RequestCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.requests)
}

// ValidAccessToken reports whether tok was issued by this endpoint and has
// neither expired nor been expired with ExpireAccessTokens.
func (e *TokenEndpoint) ValidAccessToken(tok string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ok := e.access[tok]
	return ok && time.Now().Before(g.expiry)
}

// Secrets returns every secret this endpoint knows: client secrets and all
// refresh and access tokens it issued, expired or not. Leak tests assert that
// none of them appears in error strings or logs.
func (e *TokenEndpoint) Secrets() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, s := range e.clients {
		if s != "" {
			out = append(out, s)
		}
	}
	for rt := range e.refresh {
		out = append(out, rt)
	}
	for at := range e.access {
		out = append(out, at)
	}
	out = append(out, e.appOnlySecretsLocked()...)
	return append(out, e.interactive.secrets()...)
}

// ServeHTTP answers one token request, or a request to the device code,
// authorization or device login endpoints.
func (e *TokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.serveInteractive(w, r) {
		return
	}
	rec := TokenRequest{Method: r.Method, Path: r.URL.Path}
	rec.Tenant, rec.Version = splitTokenPath(r.URL.Path)
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" && r.Method == http.MethodPost {
		// Ignore the URL's query: Entra reads credentials from the body only.
		r.URL.RawQuery = ""
		if err := r.ParseForm(); err == nil {
			rec.Form = r.PostForm
		}
	}
	_, _, rec.BasicAuth = r.BasicAuth()

	e.mu.Lock()
	idx := len(e.requests)
	e.requests = append(e.requests, rec)
	latency := e.latency
	failStatus := 0
	if e.failCount > 0 {
		e.failCount--
		failStatus = e.failStatus
	}
	e.mu.Unlock()

	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}

	status, body := e.answer(r, rec, failStatus)
	e.mu.Lock()
	e.requests[idx].Status = status
	echo := e.echoForm
	e.mu.Unlock()
	if eb, ok := body.(entraErrorBody); ok && echo {
		first, rest, _ := strings.Cut(eb.ErrorDescription, "\r\n")
		eb.ErrorDescription = first + " Received: " + rec.Form.Encode() + "\r\n" + rest
		body = eb
	}

	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	if status == http.StatusMethodNotAllowed {
		h.Set("Allow", http.MethodPost)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// answer validates the request in roughly the order Entra ID does and returns
// the status and JSON body to send.
func (e *TokenEndpoint) answer(r *http.Request, rec TokenRequest, failStatus int) (int, any) {
	if failStatus != 0 {
		code, aadsts, msg := "server_error", 90033, "A transient error has occurred. Please try again."
		if failStatus == http.StatusTooManyRequests {
			code, aadsts, msg = "temporarily_unavailable", 50196, "The server terminated an operation because it encountered a client request loop."
		} else if failStatus < 500 {
			code = "invalid_request"
		}
		return failStatus, entraError(code, aadsts, msg)
	}
	if rec.Version == "" {
		return http.StatusNotFound, entraError("invalid_request", 900561, "The endpoint only accepts POST requests to /{tenant}/oauth2/token or /{tenant}/oauth2/v2.0/token.")
	}
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, entraError("invalid_request", 900561, "The endpoint only accepts POST requests. Received a "+r.Method+" request.")
	}
	f := rec.Form
	if f == nil {
		// Entra parses nothing from a non-form body and so finds no grant_type.
		return http.StatusBadRequest, missingParam("grant_type")
	}
	switch gt := f.Get("grant_type"); gt {
	case "":
		return http.StatusBadRequest, missingParam("grant_type")
	case "refresh_token", grantDeviceCode, grantAuthorizationCode, grantClientCredentials:
	default:
		return http.StatusBadRequest, entraError("unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+gt+"'. This emulator supports refresh_token, authorization_code, device_code and client_credentials.")
	}

	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	_, sentSecret := f["client_secret"]
	if u, p, ok := r.BasicAuth(); ok {
		if sentSecret {
			// RFC 6749 §2.3: a client must use one authentication method per request.
			return http.StatusBadRequest, entraError("invalid_request", 50001, "The request used more than one client authentication method (HTTP Basic and client_secret).")
		}
		// RFC 6749 §2.3.1: Basic credentials are form-urlencoded first.
		uid, err1 := url.QueryUnescape(u)
		pw, err2 := url.QueryUnescape(p)
		if err1 != nil || err2 != nil {
			return http.StatusUnauthorized, invalidClient(u)
		}
		if clientID != "" && clientID != uid {
			return http.StatusBadRequest, entraError("invalid_request", 50001, "The client_id in the body does not match the HTTP Basic user name.")
		}
		clientID, secret, sentSecret = uid, pw, true
	}
	if clientID == "" {
		return http.StatusBadRequest, missingParam("client_id")
	}
	if f.Get("grant_type") == grantClientCredentials {
		// App-only access: apponly.go.
		return e.answerClientCredentials(r, rec, clientID, secret, sentSecret)
	}
	if gt := f.Get("grant_type"); gt != "refresh_token" {
		// The sign-in grants: devicecode.go and authorize.go.
		return e.answerSignIn(rec, gt, clientID, secret, sentSecret)
	}
	if f.Get("refresh_token") == "" {
		return http.StatusBadRequest, missingParam("refresh_token")
	}

	var audience string
	if rec.Version == TokenV2 {
		if _, ok := f["resource"]; ok {
			return http.StatusBadRequest, entraError("invalid_request", 901002, "The 'resource' request parameter is not supported.")
		}
		audience = f.Get("scope")
		if audience == "" {
			return http.StatusBadRequest, entraError("invalid_request", 90009, "Application '"+clientID+"'("+clientID+") is requesting a token for itself. This scenario is supported only if resource is specified using the GUID based App Identifier.")
		}
	} else {
		audience = f.Get("resource")
		if audience == "" {
			return http.StatusBadRequest, entraError("invalid_request", 50001, "The resource principal named '' was not found in the tenant named '"+rec.Tenant+"'. The v1 endpoint requires the 'resource' parameter, e.g. https://contoso.sharepoint.com.")
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if status, body := e.checkClientLocked(rec.Tenant, clientID, secret, sentSecret); status != 0 {
		return status, body
	}

	rt := f.Get("refresh_token")
	g, ok := e.refresh[rt]
	if !ok || g.revoked || (g.used && e.reuseDetection) {
		return http.StatusBadRequest, invalidGrant()
	}
	if g.clientID != clientID {
		return http.StatusBadRequest, entraError("invalid_grant", 70000, "Provided grant is invalid or malformed: the refresh token was issued to a different client.")
	}

	lifetime := e.atLifetime
	at := "eyJ0eXAiOiJKV1QifQ.sptest-at." + randomToken(32)
	now := time.Now()
	e.access[at] = accessGrant{expiry: now.Add(lifetime)}
	secs := int64(lifetime / time.Second)

	resp := map[string]any{
		"token_type":   "Bearer",
		"access_token": at,
	}
	if e.rotate {
		g.used = true
		resp["refresh_token"] = e.issueRefreshLocked(clientID)
	}
	if rec.Version == TokenV2 {
		// v2 lists the granted scopes (docs/sharepoint.md §12.4).
		resp["scope"] = grantedScopes(audience)
		resp["expires_in"] = secs
		resp["ext_expires_in"] = secs
	} else {
		// v1 sends every number as a JSON string (docs/sharepoint.md §12.2).
		resp["scope"] = delegatedScopes
		resp["expires_in"] = strconv.FormatInt(secs, 10)
		resp["ext_expires_in"] = strconv.FormatInt(secs, 10)
		resp["expires_on"] = strconv.FormatInt(now.Add(lifetime).Unix(), 10)
		resp["not_before"] = strconv.FormatInt(now.Unix(), 10)
		resp["resource"] = audience
	}
	return http.StatusOK, resp
}

// checkClientLocked authenticates a client as Entra ID does; it returns a
// status and error body when the client is unknown or sent the wrong
// credentials, and 0 when it may go on. An application the tenant does not
// know is 400 unauthorized_client AADSTS700016, whatever the grant
// (docs/sharepoint.md §12.6).
func (e *TokenEndpoint) checkClientLocked(tenant, clientID, secret string, sentSecret bool) (int, any) {
	want, known := e.clients[clientID]
	switch {
	case !known:
		return http.StatusBadRequest, appNotFound(clientID, tenant)
	case want == "" && sentSecret:
		return http.StatusUnauthorized, entraError("invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
	case want != "" && !sentSecret:
		return http.StatusUnauthorized, entraError("invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	case want != secret:
		return http.StatusUnauthorized, invalidClient(clientID)
	}
	return 0, nil
}

// splitTokenPath returns the tenant and version of a token endpoint path, or
// empty strings when path is not one. The v2.0 sign-in endpoints
// (devicecode, authorize and the emulator's devicelogin page) count as v2
// token paths so that Server routes them here.
func splitTokenPath(path string) (tenant, version string) {
	// Matched case-insensitively: IIS-hosted endpoints such as Entra's
	// ignore the case of the path (assumed; no source found).
	p := strings.Trim(path, "/")
	lower := strings.ToLower(p)
	for suffix, v := range map[string]string{
		"/oauth2/v2.0/token": TokenV2, "/oauth2/token": TokenV1,
		pathDeviceCode: TokenV2, pathAuthorize: TokenV2, pathDeviceLogin: TokenV2,
	} {
		if strings.HasSuffix(lower, suffix) {
			t := p[:len(p)-len(suffix)]
			if t != "" && !strings.Contains(t, "/") {
				return t, v
			}
		}
	}
	return "", ""
}

// entraErrorBody is the JSON Entra ID sends with every token endpoint error.
type entraErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

func entraError(code string, aadsts int, msg string) entraErrorBody {
	now := time.Now().UTC()
	trace, corr := newGUID(), newGUID()
	ts := now.Format("2006-01-02 15:04:05Z")
	// Entra appends the trace and correlation IDs to the description with
	// CRLFs; clients quoting it should cope with the multi-line text.
	desc := fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", aadsts, msg, trace, corr, now.Format("2006-01-02 15:04:05.0000000Z"))
	return entraErrorBody{
		Error:            code,
		ErrorDescription: desc,
		ErrorCodes:       []int{aadsts},
		Timestamp:        ts,
		TraceID:          trace,
		CorrelationID:    corr,
		ErrorURI:         "https://login.microsoftonline.com/error?code=" + strconv.Itoa(aadsts),
	}
}

func missingParam(name string) entraErrorBody {
	return entraError("invalid_request", 900144, "The request body must contain the following parameter: '"+name+"'.")
}

func invalidClient(clientID string) entraErrorBody {
	return entraError("invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+clientID+"'.")
}

func invalidGrant() entraErrorBody {
	return entraError("invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
}

// randomToken returns n random bytes, base64url-encoded: opaque and free of
// characters that need quoting in a connection string.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
