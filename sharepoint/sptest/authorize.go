package sptest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// authCodeLifetime is how long an authorization code can be redeemed;
// Entra ID's last about ten minutes.
const authCodeLifetime = 10 * time.Minute

type authCodeGrant struct {
	clientID    string
	redirectURI string
	scope       string
	challenge   string // PKCE code_challenge; "" when none was sent
	method      string // "S256" or "plain"
	expiry      time.Time
	redeemed    bool
}

// DeclineAuthorizations makes the authorization endpoint answer as if the
// user refused consent (a redirect with error=access_denied), or, with
// false (the default), sign the user in at once.
func (e *TokenEndpoint) DeclineAuthorizations(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.interactive.declineAuth = on
}

// serveAuthorize answers GET /{tenant}/oauth2/v2.0/authorize, the page a
// browser is sent to. The emulator has no user to ask: the sign-in
// succeeds at once (unless DeclineAuthorizations) and the browser is
// redirected to redirect_uri with a code, or with an error.
//
// As at Entra ID, errors about the client or the redirect URI are shown
// rather than redirected (redirecting would hand them to an unverified
// address); the rest go to the redirect URI. Only loopback http redirect
// URIs, on any port, are accepted: what a native app such as spsql
// registers ("http://localhost"), for which Entra ignores the port.
func (e *TokenEndpoint) serveAuthorize(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	status, body, redirect := e.authorize(r, tenant, q)
	e.record(r, tenant, q, status)
	if redirect != "" {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, redirect, http.StatusFound)
		return
	}
	writeTokenJSON(w, status, body)
}

// authorize returns either a status and error body to show, or the URL to
// redirect to.
func (e *TokenEndpoint) authorize(r *http.Request, tenant string, q url.Values) (int, any, string) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, entraError("invalid_request", 900561, "The authorization endpoint accepts GET and POST requests."), ""
	}
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	if clientID == "" {
		return http.StatusBadRequest, missingParam("client_id"), ""
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.clients[clientID]; !ok {
		return http.StatusBadRequest, appNotFound(clientID, tenant), ""
	}
	if !isLoopbackRedirect(redirectURI) {
		return http.StatusBadRequest, entraError("invalid_request", 50011, "The redirect URI '"+redirectURI+"' specified in the request does not match the redirect URIs configured for the application '"+clientID+"'. The emulator accepts http://localhost, http://127.0.0.1 and http://[::1] on any port."), ""
	}
	fail := func(code, desc string) (int, any, string) {
		v := url.Values{"error": {code}, "error_description": {desc}}
		if s := q.Get("state"); s != "" {
			v.Set("state", s)
		}
		return http.StatusFound, nil, withQuery(redirectURI, v)
	}
	if q.Get("response_type") != "code" {
		return fail("unsupported_response_type", "AADSTS700054: response_type '"+q.Get("response_type")+"' is not enabled for the application; this emulator supports 'code'.")
	}
	if strings.TrimSpace(q.Get("scope")) == "" {
		return fail("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'scope'.")
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return fail("invalid_request", "AADSTS501491: code_challenge_method was sent without a code_challenge.")
	case challenge != "" && method == "":
		method = "plain" // RFC 7636 §4.3
	case challenge != "" && method != "S256" && method != "plain":
		return fail("invalid_request", "AADSTS501481: code_challenge_method must be S256 or plain, not '"+method+"'.")
	}
	if e.interactive.declineAuth {
		return fail("access_denied", "AADSTS65004: User declined to consent to access the app.")
	}
	if e.interactive.authCodes == nil {
		e.interactive.authCodes = make(map[string]*authCodeGrant)
	}
	code := "1.sptest-code." + randomToken(48)
	e.interactive.authCodes[code] = &authCodeGrant{
		clientID:    clientID,
		redirectURI: redirectURI,
		scope:       q.Get("scope"),
		challenge:   challenge,
		method:      method,
		expiry:      time.Now().Add(authCodeLifetime),
	}
	v := url.Values{"code": {code}, "session_state": {newGUID()}}
	if s := q.Get("state"); s != "" {
		v.Set("state", s)
	}
	return http.StatusFound, nil, withQuery(redirectURI, v)
}

// redeemAuthCodeLocked answers a token request with the authorization_code
// grant: the code must be fresh, unused, the client's, for the same
// redirect URI, and come with the PKCE verifier of its challenge.
func (e *TokenEndpoint) redeemAuthCodeLocked(f url.Values, clientID string) (int, any) {
	g := e.interactive.authCodes[f.Get("code")]
	switch {
	case g == nil:
		return http.StatusBadRequest, entraError("invalid_grant", 70000, "Provided grant is invalid or malformed: the authorization code was not issued by this endpoint.")
	case g.redeemed:
		return http.StatusBadRequest, entraError("invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
	case !time.Now().Before(g.expiry):
		return http.StatusBadRequest, invalidGrant()
	case g.clientID != clientID:
		return http.StatusBadRequest, entraError("invalid_grant", 70000, "Provided grant is invalid or malformed: the authorization code was issued to a different client.")
	case g.redirectURI != f.Get("redirect_uri"):
		return http.StatusBadRequest, entraError("invalid_grant", 50011, "The redirect URI '"+f.Get("redirect_uri")+"' does not match the redirect URI used to obtain the authorization code.")
	}
	if g.challenge != "" {
		verifier := f.Get("code_verifier")
		if verifier == "" {
			return http.StatusBadRequest, missingParam("code_verifier")
		}
		if !pkceMatches(g.challenge, g.method, verifier) {
			return http.StatusBadRequest, entraError("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
		}
	}
	g.redeemed = true
	return e.grantTokensLocked(clientID, g.scope)
}

// pkceMatches checks a PKCE verifier against its challenge (RFC 7636 §4.6).
func pkceMatches(challenge, method, verifier string) bool {
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// isLoopbackRedirect reports whether raw is an http URL on a loopback
// host, without a fragment.
func isLoopbackRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Fragment != "" || u.User != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// withQuery adds v to the query of raw.
func withQuery(raw string, v url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}
