package sptest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file emulates app-only access (docs/sharepoint.md §12.8): Entra
// ID's client-credentials grant, with a client assertion signed by a
// certificate registered on the application or with a client secret, and
// SharePoint's treatment of the app-only tokens it issues — those obtained
// with a secret are refused ("Unsupported app only token"), and an
// application limited to Sites.Selected gets 403 on a site it was not
// granted.

const (
	grantClientCredentials = "client_credentials"
	clientAssertionType    = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// appOnlyState is the token endpoint's part: registered certificates,
// the assertion IDs already used, and which access tokens are app-only.
type appOnlyState struct {
	certs      map[string][]*x509.Certificate // client ID → registered certificates
	jti        map[string]time.Time           // used assertion IDs → their exp
	tokens     map[string]AppOnlyToken        // app-only access tokens
	assertions []string                       // every assertion received, for Secrets
}

// AppOnlyToken describes an app-only access token the endpoint issued.
type AppOnlyToken struct {
	// ClientID is the application the token was issued to.
	ClientID string
	// Certificate reports that the application authenticated with a
	// certificate; false means a client secret, whose app-only tokens
	// SharePoint refuses.
	Certificate bool
}

// AddClientCertificate registers cert as a credential of application
// clientID, as uploading it under "Certificates & secrets" does. An
// application unknown to the endpoint becomes known, with no secret. An
// application may have several certificates.
func (e *TokenEndpoint) AddClientCertificate(clientID string, cert *x509.Certificate) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.apponly.certs == nil {
		e.apponly.certs = make(map[string][]*x509.Certificate)
	}
	e.apponly.certs[clientID] = append(e.apponly.certs[clientID], cert)
}

// AppOnly reports whether tok is an app-only access token this endpoint
// issued (by the client-credentials grant), and to whom. It does not check
// expiry (see ValidAccessToken). The Server uses it to treat app-only
// callers as SharePoint does; a model that answers app-only callers
// differently (RateLimit headers, say) can ask it too.
func (e *TokenEndpoint) AppOnly(tok string) (AppOnlyToken, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.apponly.tokens[tok]
	return t, ok
}

// appOnlySecretsLocked lists the assertions received: a client must keep
// them out of its output like any credential.
func (e *TokenEndpoint) appOnlySecretsLocked() []string {
	return e.apponly.assertions
}

// answerClientCredentials answers a client_credentials grant. The client
// authenticates with a client assertion (certificate) or a client secret;
// the scope (v2) must be a single "<resource>/.default", the resource
// (v1) must be given. Entra issues no refresh token for this grant.
func (e *TokenEndpoint) answerClientCredentials(r *http.Request, rec TokenRequest, clientID, secret string, sentSecret bool) (int, any) {
	f := rec.Form
	var audience string
	if rec.Version == TokenV2 {
		if _, ok := f["resource"]; ok {
			return http.StatusBadRequest, entraError("invalid_request", 901002, "The 'resource' request parameter is not supported.")
		}
		audience = f.Get("scope")
		if audience == "" {
			return http.StatusBadRequest, missingParam("scope")
		}
		if strings.Contains(audience, " ") || !strings.HasSuffix(audience, "/.default") {
			return http.StatusBadRequest, entraError("invalid_scope", 1002012, "The provided value for scope "+audience+" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		}
	} else if audience = f.Get("resource"); audience == "" {
		return http.StatusBadRequest, missingParam("resource")
	}

	assertion, sentAssertion := f.Get("client_assertion"), f.Has("client_assertion")
	e.mu.Lock()
	defer e.mu.Unlock()
	if sentAssertion {
		e.apponly.assertions = append(e.apponly.assertions, assertion)
	}
	_, hasSecret := e.clients[clientID]
	certs := e.apponly.certs[clientID]
	switch {
	case !hasSecret && len(certs) == 0:
		return http.StatusBadRequest, entraError("unauthorized_client", 700016, "Application with identifier '"+clientID+"' was not found in the directory '"+rec.Tenant+"'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")
	case sentAssertion && sentSecret:
		return http.StatusBadRequest, entraError("invalid_request", 50001, "The request used more than one client authentication method (client_assertion and client_secret).")
	case sentAssertion:
		if f.Get("client_assertion_type") != clientAssertionType {
			return http.StatusBadRequest, entraError("invalid_request", 50027, "Invalid client_assertion_type: it must be "+clientAssertionType+".")
		}
		if status, body := e.checkAssertionLocked(r, rec, clientID, assertion, certs); status != 0 {
			return status, body
		}
	case !sentSecret:
		return http.StatusUnauthorized, entraError("invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	default:
		if want := e.clients[clientID]; want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
			return http.StatusUnauthorized, invalidClient(clientID)
		}
	}

	lifetime := e.atLifetime
	at := "eyJ0eXAiOiJKV1QifQ.sptest-app." + randomToken(32)
	now := time.Now()
	e.access[at] = accessGrant{expiry: now.Add(lifetime)}
	if e.apponly.tokens == nil {
		e.apponly.tokens = make(map[string]AppOnlyToken)
	}
	e.apponly.tokens[at] = AppOnlyToken{ClientID: clientID, Certificate: sentAssertion}
	secs := int64(lifetime / time.Second)
	resp := map[string]any{"token_type": "Bearer", "access_token": at}
	if rec.Version == TokenV2 {
		resp["expires_in"] = secs
		resp["ext_expires_in"] = secs
	} else {
		// v1 sends every number as a JSON string (docs/sharepoint.md §12.2).
		resp["expires_in"] = strconv.FormatInt(secs, 10)
		resp["ext_expires_in"] = strconv.FormatInt(secs, 10)
		resp["expires_on"] = strconv.FormatInt(now.Add(lifetime).Unix(), 10)
		resp["not_before"] = strconv.FormatInt(now.Unix(), 10)
		resp["resource"] = audience
	}
	return http.StatusOK, resp
}

// assertionHeader and assertionClaims are the parts of a client assertion
// the emulator checks (docs/sharepoint.md §12.8).
type assertionHeader struct {
	Alg     string `json:"alg"`
	X5t     string `json:"x5t"`
	X5tS256 string `json:"x5t#S256"`
}

type assertionClaims struct {
	Aud json.RawMessage `json:"aud"`
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Jti string          `json:"jti"`
	Nbf *int64          `json:"nbf"`
	Exp *int64          `json:"exp"`
}

// checkAssertionLocked verifies a client assertion as Entra ID does: the
// certificate named by the header's thumbprint must be registered on the
// application and valid, the signature must verify with it (RS256 or
// PS256), aud must be this token endpoint, iss and sub the client ID,
// nbf..exp must contain now, and the jti must not have been used before.
func (e *TokenEndpoint) checkAssertionLocked(r *http.Request, rec TokenRequest, clientID, assertion string, certs []*x509.Certificate) (int, any) {
	malformed := func(why string) (int, any) {
		return http.StatusBadRequest, entraError("invalid_client", 50027, "JWT token is invalid or malformed: "+why+".")
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return malformed("a JWT has three dot-separated parts")
	}
	var h assertionHeader
	var c assertionClaims
	if decodeJWTPart(parts[0], &h) != nil {
		return malformed("the header is not base64url-encoded JSON")
	}
	if decodeJWTPart(parts[1], &c) != nil {
		return malformed("the claims are not base64url-encoded JSON")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return malformed("the signature is not base64url-encoded")
	}

	thumb := h.X5t
	if thumb == "" {
		thumb = h.X5tS256
	}
	var cert *x509.Certificate
	for _, c := range certs {
		s1, s256 := sha1.Sum(c.Raw), sha256.Sum256(c.Raw)
		if (h.X5t != "" && h.X5t == base64.RawURLEncoding.EncodeToString(s1[:])) ||
			(h.X5tS256 != "" && h.X5tS256 == base64.RawURLEncoding.EncodeToString(s256[:])) {
			cert = c
			break
		}
	}
	invalidKey := func(reason string) (int, any) {
		return http.StatusUnauthorized, entraError("invalid_client", 700027, "Client assertion contains an invalid signature. [Reason - "+reason+", Thumbprint of key used by client: '"+thumb+"', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '"+clientID+"'.]")
	}
	now := time.Now()
	switch {
	case cert == nil:
		return invalidKey("The key was not found.")
	case now.After(cert.NotAfter) || now.Before(cert.NotBefore):
		return invalidKey("The key used is expired. Found key 'Start=" + cert.NotBefore.UTC().Format("01/02/2006 15:04:05") + ", End=" + cert.NotAfter.UTC().Format("01/02/2006 15:04:05") + "'")
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return invalidKey("The key is not an RSA key.")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch h.Alg {
	case "PS256":
		err = rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "RS256":
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	default:
		return malformed("alg must be RS256 or PS256, got " + strconv.Quote(h.Alg))
	}
	if err != nil {
		return invalidKey("The provided signature value did not match the expected signature value.")
	}

	var aud string
	if json.Unmarshal(c.Aud, &aud) != nil {
		var auds []string
		if json.Unmarshal(c.Aud, &auds) == nil && len(auds) == 1 {
			aud = auds[0]
		}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if endpoint := scheme + "://" + r.Host + rec.Path; !strings.EqualFold(strings.TrimSuffix(aud, "/"), endpoint) {
		return http.StatusUnauthorized, entraError("invalid_client", 700023, "The client assertion audience claim does not match the Realm issuer: aud must be the token endpoint "+endpoint+".")
	}
	switch {
	case c.Iss != clientID:
		return http.StatusUnauthorized, entraError("invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter.")
	case c.Sub != c.Iss:
		return http.StatusUnauthorized, entraError("invalid_client", 50048, "Subject mismatches Issuer claim in the client assertion.")
	case c.Jti == "":
		return malformed("the jti claim is missing")
	case c.Nbf == nil || c.Exp == nil:
		return malformed("the nbf and exp claims are required")
	case now.Unix() < *c.Nbf || now.Unix() >= *c.Exp:
		return http.StatusUnauthorized, entraError("invalid_client", 700024, "Client assertion is not within its valid time range. Current time: "+now.UTC().Format(time.RFC3339)+", assertion valid from "+time.Unix(*c.Nbf, 0).UTC().Format(time.RFC3339)+", expiry time of assertion "+time.Unix(*c.Exp, 0).UTC().Format(time.RFC3339)+".")
	}
	if e.apponly.jti == nil {
		e.apponly.jti = make(map[string]time.Time)
	}
	for id, exp := range e.apponly.jti {
		if now.After(exp) {
			delete(e.apponly.jti, id)
		}
	}
	if _, used := e.apponly.jti[clientID+"|"+c.Jti]; used {
		return http.StatusUnauthorized, entraError("invalid_client", 50027, "Invalid JWT token: the client assertion's jti was already used (replay).")
	}
	e.apponly.jti[clientID+"|"+c.Jti] = time.Unix(*c.Exp, 0)
	return 0, nil
}

func decodeJWTPart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// SiteRole is a per-site grant to an application that has the
// Sites.Selected permission.
type SiteRole string

// Roles of a Sites.Selected grant, as Microsoft Graph names them.
const (
	SiteRoleRead  SiteRole = "read"
	SiteRoleWrite SiteRole = "write"
)

// appSiteState is the SharePoint side's part: the applications limited to
// Sites.Selected and their grants on this site.
type appSiteState struct {
	mu       sync.Mutex
	selected map[string]SiteRole // client ID → role on this site ("" none)
}

// RegisterAppCertificate registers cert as a credential of the server's
// default application (ClientID), which can then obtain app-only tokens
// with the client-credentials grant. Without a Sites.Selected restriction
// (SetSitesSelected) the application has full control of the site, as
// with Sites.FullControl.All.
func (s *Server) RegisterAppCertificate(cert *x509.Certificate) {
	s.Tokens.AddClientCertificate(s.ClientID, cert)
}

// SetSitesSelected limits application clientID to the Sites.Selected
// permission: its app-only tokens get 403 on this site until GrantSite
// gives it a role here.
func (s *Server) SetSitesSelected(clientID string) {
	s.apps.mu.Lock()
	defer s.apps.mu.Unlock()
	if s.apps.selected == nil {
		s.apps.selected = make(map[string]SiteRole)
	}
	if _, ok := s.apps.selected[clientID]; !ok {
		s.apps.selected[clientID] = ""
	}
}

// GrantSite grants application clientID, limited to Sites.Selected, a
// role on this site, as an administrator's POST /sites/{id}/permissions
// on Microsoft Graph does. SiteRoleRead allows reads only.
func (s *Server) GrantSite(clientID string, role SiteRole) {
	s.apps.mu.Lock()
	defer s.apps.mu.Unlock()
	if s.apps.selected == nil {
		s.apps.selected = make(map[string]SiteRole)
	}
	s.apps.selected[clientID] = role
}

// refuseAppOnly answers, as SharePoint does, a request whose valid token
// is app-only and not acceptable here: 401 "Unsupported app only token."
// when the application authenticated with a client secret, 403 when it is
// limited to Sites.Selected without a grant on this site (or with a read
// grant, to a write). It reports whether it answered.
func (s *Server) refuseAppOnly(w http.ResponseWriter, r *http.Request, token string) bool {
	t, ok := s.Tokens.AppOnly(token)
	if !ok {
		return false
	}
	if !t.Certificate {
		h := w.Header()
		h.Set("WWW-Authenticate", `Bearer realm="`+TenantID+`",client_id="`+SharePointAppID+`",trusted_issuers="00000001-0000-0000-c000-000000000000@*",authorization_uri="https://login.windows.net/common/oauth2/authorize"`)
		h.Set("x-ms-diagnostics", `3001000;reason="There has been an error authenticating the request.";category="invalid_client"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error_description": "Unsupported app only token."})
		return true
	}
	s.apps.mu.Lock()
	role, limited := s.apps.selected[t.ClientID]
	s.apps.mu.Unlock()
	if !limited {
		return false
	}
	// POST contextinfo only reads the form digest (it takes POST against
	// cross-site scripting, docs/sharepoint.md §11.6).
	path := strings.ToLower(strings.TrimRight(r.URL.Path, "/"))
	write := r.Method != http.MethodGet && r.Method != http.MethodHead &&
		!strings.HasSuffix(path, "/_api/$batch") && !strings.HasSuffix(path, "/_api/contextinfo")
	if role == SiteRoleWrite || (role == SiteRoleRead && !write) {
		return false
	}
	writeODataError(w, http.StatusForbidden, "-2147024891, System.UnauthorizedAccessException", "Access denied. You do not have permission to perform this action or access this resource.")
	return true
}

// appOnlyCaller reports whether r carries an app-only access token, and
// whose: the hook for behaviour SharePoint reserves for app-only callers
// (such as RateLimit headers, docs/sharepoint.md §10.2). It does not check
// that the token is still valid.
func (s *Server) appOnlyCaller(r *http.Request) (AppOnlyToken, bool) {
	tok, ok := bearerToken(r)
	if !ok {
		return AppOnlyToken{}, false
	}
	return s.Tokens.AppOnly(tok)
}
