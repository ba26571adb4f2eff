package sptest

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The sign-in endpoints and grants, besides the refresh_token grant in
// token.go: the device authorization grant (RFC 8628) here and the
// authorization code grant with PKCE in authorize.go, in the shapes of
// Entra ID's v2.0 endpoints (docs/sharepoint.md §12.7, and Microsoft's
// "OAuth 2.0 device authorization grant" page). They let a client such as
// "spsql login" obtain its first refresh token against the emulator.
const (
	grantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	grantAuthorizationCode = "authorization_code"

	pathDeviceCode = "/oauth2/v2.0/devicecode"
	pathAuthorize  = "/oauth2/v2.0/authorize"
	// pathDeviceLogin is the emulator's stand-in for
	// https://microsoft.com/devicelogin, where the user enters the code.
	pathDeviceLogin = "/oauth2/v2.0/devicelogin"
)

// Device code defaults, as Entra ID sends them: 15 minutes to sign in,
// polling every 5 seconds.
const (
	deviceCodeLifetime = 15 * time.Minute
	deviceCodeInterval = 5 * time.Second
)

// interactiveState is the TokenEndpoint's state for the sign-in flows,
// guarded by TokenEndpoint.mu. The zero value is ready to use.
type interactiveState struct {
	deviceCodes map[string]*deviceGrant   // by device_code
	authCodes   map[string]*authCodeGrant // by code
	autoApprove bool                      // device codes are approved when issued
	interval    time.Duration             // polling interval sent; 0 = deviceCodeInterval
	declineAuth bool                      // the authorize endpoint answers access_denied
}

type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDeclined
	deviceRedeemed
)

type deviceGrant struct {
	clientID string
	scope    string
	userCode string
	expiry   time.Time
	interval time.Duration // grows by 5 s with every slow_down
	lastPoll time.Time
	state    deviceState
}

// secrets returns the device codes and authorization codes issued: they
// are bearer credentials until redeemed. User codes are not: they are
// shown to the user on purpose.
func (s *interactiveState) secrets() []string {
	var out []string
	for c := range s.deviceCodes {
		out = append(out, c)
	}
	for c := range s.authCodes {
		out = append(out, c)
	}
	return out
}

// SetDeviceCodeAutoApprove makes every device code approved as soon as it
// is issued, as if the user signed in at once; off (the default), a test
// calls ApproveDeviceCode, or a person uses the device login page.
func (e *TokenEndpoint) SetDeviceCodeAutoApprove(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.interactive.autoApprove = on
}

// SetDeviceCodeInterval sets the polling interval sent with device codes
// issued from now on (default 5 s, Entra's); it is sent in whole seconds,
// at least 1. Clients polling faster than half of it get slow_down.
func (e *TokenEndpoint) SetDeviceCodeInterval(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.interactive.interval = max(d.Truncate(time.Second), time.Second)
}

// ApproveDeviceCode completes the user's side of a device code sign-in for
// userCode (as displayed; case and dashes are ignored): the client's next
// poll gets its tokens.
func (e *TokenEndpoint) ApproveDeviceCode(userCode string) error {
	return e.decideDeviceCode(userCode, deviceApproved)
}

// DeclineDeviceCode makes the user refuse the sign-in for userCode: the
// client's next poll gets authorization_declined.
func (e *TokenEndpoint) DeclineDeviceCode(userCode string) error {
	return e.decideDeviceCode(userCode, deviceDeclined)
}

// ExpireDeviceCodes makes every device code issued so far expired: polls
// get expired_token and approving fails.
func (e *TokenEndpoint) ExpireDeviceCodes() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, g := range e.interactive.deviceCodes {
		g.expiry = time.Time{}
	}
}

// errUnknownUserCode is returned for a user code that was never issued,
// has expired or was used.
var errUnknownUserCode = errors.New("sptest: no pending device code has this user code")

func (e *TokenEndpoint) decideDeviceCode(userCode string, to deviceState) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.pendingDeviceLocked(userCode)
	if g == nil {
		return errUnknownUserCode
	}
	g.state = to
	return nil
}

// pendingDeviceLocked finds the unexpired, undecided grant for userCode.
func (e *TokenEndpoint) pendingDeviceLocked(userCode string) *deviceGrant {
	norm := func(s string) string { return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "")) }
	want := norm(userCode)
	for _, g := range e.interactive.deviceCodes {
		if g.userCode == want && g.state == devicePending && time.Now().Before(g.expiry) {
			return g
		}
	}
	return nil
}

// serveInteractive answers the sign-in endpoints and reports whether r
// was for one of them.
func (e *TokenEndpoint) serveInteractive(w http.ResponseWriter, r *http.Request) bool {
	tenant, endpoint := splitSignInPath(r.URL.Path)
	switch endpoint {
	case pathDeviceCode:
		e.serveDeviceCode(w, r, tenant)
	case pathDeviceLogin:
		e.serveDeviceLogin(w, r)
	case pathAuthorize:
		e.serveAuthorize(w, r, tenant)
	default:
		return false
	}
	return true
}

// splitSignInPath returns the tenant and which sign-in endpoint path is,
// or "" for other paths. Matched case-insensitively, like the token paths.
func splitSignInPath(path string) (tenant, endpoint string) {
	p := strings.Trim(path, "/")
	lower := strings.ToLower(p)
	for _, suffix := range []string{pathDeviceCode, pathAuthorize, pathDeviceLogin} {
		if strings.HasSuffix(lower, suffix) {
			t := p[:len(p)-len(suffix)]
			if t != "" && !strings.Contains(t, "/") {
				return t, suffix
			}
		}
	}
	return "", ""
}

// record appends a sign-in endpoint request to Requests, as ServeHTTP does
// for token requests.
func (e *TokenEndpoint) record(r *http.Request, tenant string, form url.Values, status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = append(e.requests, TokenRequest{
		Method: r.Method, Path: r.URL.Path, Tenant: tenant, Version: TokenV2,
		Form: form, Status: status,
	})
}

// serveDeviceCode answers POST /{tenant}/oauth2/v2.0/devicecode: the
// client asks for a device code and a user code for client_id and scope.
func (e *TokenEndpoint) serveDeviceCode(w http.ResponseWriter, r *http.Request, tenant string) {
	var form url.Values
	if r.Method == http.MethodPost {
		r.URL.RawQuery = ""
		if err := r.ParseForm(); err == nil {
			form = r.PostForm
		}
	}
	status, body := e.issueDeviceCode(r, tenant, form)
	e.record(r, tenant, form, status)
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	writeTokenJSON(w, status, body)
}

func (e *TokenEndpoint) issueDeviceCode(r *http.Request, tenant string, f url.Values) (int, any) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, entraError("invalid_request", 900561, "The endpoint only accepts POST requests. Received a "+r.Method+" request.")
	}
	clientID, scope := f.Get("client_id"), f.Get("scope")
	if clientID == "" {
		return http.StatusBadRequest, missingParam("client_id")
	}
	if strings.TrimSpace(scope) == "" {
		return http.StatusBadRequest, missingParam("scope")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.clients[clientID]; !ok {
		return http.StatusBadRequest, appNotFound(clientID, tenant)
	}
	st := &e.interactive
	if st.deviceCodes == nil {
		st.deviceCodes = make(map[string]*deviceGrant)
	}
	interval := st.interval
	if interval == 0 {
		interval = deviceCodeInterval
	}
	code := "DAQABAAEAAAD" + randomToken(48)
	g := &deviceGrant{
		clientID: clientID,
		scope:    scope,
		userCode: newUserCode(),
		expiry:   time.Now().Add(deviceCodeLifetime),
		interval: interval,
	}
	if st.autoApprove {
		g.state = deviceApproved
	}
	st.deviceCodes[code] = g
	verify := requestOrigin(r) + "/" + tenant + pathDeviceLogin
	return http.StatusOK, map[string]any{
		"user_code":        g.userCode,
		"device_code":      code,
		"verification_uri": verify,
		"expires_in":       int64(deviceCodeLifetime / time.Second),
		"interval":         int64(interval / time.Second),
		"message":          "To sign in, use a web browser to open the page " + verify + " and enter the code " + g.userCode + " to authenticate.",
	}
}

// redeemDeviceCodeLocked answers a token request with the device_code
// grant: the client polls until the user has signed in.
func (e *TokenEndpoint) redeemDeviceCodeLocked(f url.Values, clientID string) (int, any) {
	code := f.Get("device_code")
	g := e.interactive.deviceCodes[code]
	if g == nil || g.state == deviceRedeemed {
		return http.StatusBadRequest, entraError("bad_verification_code", 70000, "The device_code was not recognized: it was never issued or has been redeemed already.")
	}
	if g.clientID != clientID {
		return http.StatusBadRequest, entraError("invalid_grant", 70000, "Provided grant is invalid or malformed: the device code was issued to a different client.")
	}
	now := time.Now()
	if !now.Before(g.expiry) {
		return http.StatusBadRequest, entraError("expired_token", 70019, "Verification code expired. Restart the sign-in to get a new code.")
	}
	switch g.state {
	case deviceDeclined:
		return http.StatusBadRequest, entraError("authorization_declined", 70000, "The user declined the sign-in request.")
	case devicePending:
		// RFC 8628 §3.5: a client polling faster than the interval must be
		// told to slow down, and then waits 5 s longer. Half the interval
		// is allowed, for timers that fire a little early.
		tooFast := !g.lastPoll.IsZero() && now.Sub(g.lastPoll) < g.interval/2
		g.lastPoll = now
		if tooFast {
			g.interval += 5 * time.Second
			return http.StatusBadRequest, entraError("slow_down", 70000, "The client is polling too often; wait the interval, plus 5 seconds.")
		}
		return http.StatusBadRequest, entraError("authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
	}
	g.state = deviceRedeemed
	return e.grantTokensLocked(clientID, g.scope)
}

// answerSignIn answers the token requests of the sign-in grants, once
// answer has read the client's credentials.
func (e *TokenEndpoint) answerSignIn(rec TokenRequest, grant, clientID, secret string, sentSecret bool) (int, any) {
	if rec.Version != TokenV2 {
		return http.StatusBadRequest, entraError("unsupported_grant_type", 70003, "This emulator serves the "+grant+" grant on the v2.0 endpoint only.")
	}
	f := rec.Form
	switch grant {
	case grantDeviceCode:
		if f.Get("device_code") == "" {
			return http.StatusBadRequest, missingParam("device_code")
		}
	case grantAuthorizationCode:
		for _, p := range []string{"code", "redirect_uri"} {
			if f.Get(p) == "" {
				return http.StatusBadRequest, missingParam(p)
			}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if status, body := e.checkClientLocked(rec.Tenant, clientID, secret, sentSecret); status != 0 {
		return status, body
	}
	if grant == grantDeviceCode {
		return e.redeemDeviceCodeLocked(f, clientID)
	}
	return e.redeemAuthCodeLocked(f, clientID)
}

// grantTokensLocked issues the tokens of a completed sign-in for scope: an
// access token, and a refresh token only when offline_access was asked
// for, as Entra ID does.
func (e *TokenEndpoint) grantTokensLocked(clientID, scope string) (int, any) {
	lifetime := e.atLifetime
	at := "eyJ0eXAiOiJKV1QifQ.sptest-at." + randomToken(32)
	e.access[at] = accessGrant{expiry: time.Now().Add(lifetime)}
	secs := int64(lifetime / time.Second)
	scopes := strings.Fields(scope)
	resp := map[string]any{
		"token_type":     "Bearer",
		"scope":          grantedScopes(scope), // docs/sharepoint.md §12.4
		"expires_in":     secs,
		"ext_expires_in": secs,
		"access_token":   at,
	}
	if slices.Contains(scopes, "offline_access") {
		resp["refresh_token"] = e.issueRefreshLocked(clientID)
	}
	return http.StatusOK, resp
}

// serveDeviceLogin is the emulator's device login page: GET shows a form
// for the user code; GET or POST with user_code approves it, or declines
// it with action=decline. It lets a person try a device code sign-in
// against the emulator with a browser or curl.
func (e *TokenEndpoint) serveDeviceLogin(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	userCode := r.Form.Get("user_code")
	if userCode == "" {
		fmt.Fprint(w, `<!doctype html><title>Sign in</title><form method="post">`+
			`<p>Enter the code shown on your device:</p><input name="user_code" autofocus> `+
			`<button name="action" value="approve">Sign in</button> `+
			`<button name="action" value="decline">Decline</button></form>`)
		return
	}
	to := deviceApproved
	if r.Form.Get("action") == "decline" {
		to = deviceDeclined
	}
	if err := e.decideDeviceCode(userCode, to); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "<!doctype html><title>Sign in</title><p>The code %s is not valid: it may have expired or been used. Start the sign-in again on your device.</p>\n", html.EscapeString(userCode))
		return
	}
	if to == deviceDeclined {
		fmt.Fprint(w, "<!doctype html><title>Sign in</title><p>You declined to sign in. You can close this window.</p>\n")
		return
	}
	fmt.Fprint(w, "<!doctype html><title>Sign in</title><p>You have signed in on your device. You can close this window.</p>\n")
}

// newUserCode returns a 9-character user code like Entra's ("FJ6Q8WD3P"),
// without easily confused characters.
func newUserCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := []byte(randomToken(9))
	for i, c := range b {
		b[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(b[:9])
}

// requestOrigin is the scheme and host r was sent to.
func requestOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func appNotFound(clientID, tenant string) entraErrorBody {
	return entraError("unauthorized_client", 700016, "Application with identifier '"+clientID+"' was not found in the directory '"+tenant+"'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")
}

// writeTokenJSON writes a token endpoint style JSON answer.
func writeTokenJSON(w http.ResponseWriter, status int, body any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
