// Package sptest emulates SharePoint Online and its Entra ID token endpoint
// on loopback HTTP(S), for tests, examples and demos of spsql. It never talks
// to Microsoft: everything it answers is modelled on the behaviour recorded in
// docs/sharepoint.md (§15 lists what it does not model).
//
// A Server serves both the token endpoint (see TokenEndpoint) and a
// SharePoint site's REST API under Site.Path + "/_api/". Every _api request
// must carry a bearer token the server's token endpoint issued, exactly as
// SharePoint Online requires, unless the server was created WithoutAuth.
package sptest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// TenantID is the directory (tenant) ID every Server uses in its token URLs
// and in the realm of its 401 challenges. It is made up.
const TenantID = "5ea1b1e0-5e5e-4c0d-9a11-5b7e57000001"

// SharePointAppID is SharePoint Online's well-known application ID, which
// SharePoint names as client_id in its 401 challenges.
const SharePointAppID = "00000003-0000-0ff1-ce00-000000000000"

// Site describes the SharePoint site a Server emulates; the zero value is a
// valid, empty site. Sites can be declared in Go or loaded from JSON with
// LoadSite and ParseSite.
type Site struct {
	// Title is returned by /_api/web. Default "Demo".
	Title string `json:"Title,omitempty"`
	// Path is the site's server-relative path, e.g. "/sites/demo" (the
	// default). "/" serves the tenant's root site.
	Path string `json:"Path,omitempty"`
	// Lists are the site's lists. The hidden "User Information List" is
	// added automatically.
	Lists []List `json:"Lists,omitempty"`
	// Users are the site's users, whom User fields refer to; DefaultUsers
	// when empty.
	Users []User `json:"Users,omitempty"`
	// TimeZone is the site's time zone as an IANA name, default "UTC". It
	// is reported by web/RegionalSettings/TimeZone and decides where
	// date-only values fall in UTC.
	TimeZone string `json:"TimeZone,omitempty"`
}

// Option configures a Server.
type Option func(*config)

type config struct {
	tls       bool
	noAuth    bool
	logger    *slog.Logger
	threshold int    // list view threshold; 0 = 5000
	gzip      bool   // see WithGzip
	language  string // see WithLanguage
	reuse     bool   // see WithRefreshTokenReuseDetection

	listener net.Listener // see WithListener

	budget *Budget // see WithBudget (budget.go)
}

// WithTLS serves HTTPS with a self-signed certificate; Server.Client trusts it.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithoutAuth makes the SharePoint side accept requests without a bearer
// token, for AuthenticationMethod=None tests. The token endpoint still works.
func WithoutAuth() Option { return func(c *config) { c.noAuth = true } }

// WithLogger logs every request the server answers at Debug level (method,
// path, status; never tokens or form values).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// SPRequest is one request the SharePoint side received. The bearer token
// itself is never recorded.
type SPRequest struct {
	Method   string
	Path     string
	RawQuery string
	// Bearer reports whether an "Authorization: Bearer …" header was sent.
	Bearer bool
	// Origin is the scheme and Host header the request arrived with, e.g.
	// "http://127.0.0.1:41234".
	Origin string
	// Status is the answer's HTTP status; 0 when the connection was
	// dropped without an answer (Fault.Reset).
	Status int
	// Accept and ODataVersion are the request's Accept and OData-Version
	// headers, which choose the response format.
	Accept       string
	ODataVersion string
	// Faulted reports that a fault (FailRequest, FailNextWith, FailNext)
	// was applied to the request.
	Faulted bool
	// Cost is the resource units the server's Budget charged for the
	// request, and Throttled reports that the budget answered it 429
	// (see WithBudget); 0 and false without a budget.
	Cost      int
	Throttled bool
}

// Server is a running emulator: an Entra ID token endpoint and a SharePoint
// site on one loopback listener. Create it with NewServer and Close it.
type Server struct {
	// URL is the origin, e.g. "http://127.0.0.1:41234", without a slash.
	URL string
	// Tokens is the token endpoint, for test controls and assertions.
	Tokens *TokenEndpoint
	// ClientID and ClientSecret identify a confidential client registered
	// when the server started.
	ClientID     string
	ClientSecret string

	site   Site
	cfg    config
	server *httptest.Server
	model  *siteModel
	sp     spState
	writes writeState // writes.go

	apps appSiteState // apponly.go

	budget budgetState // budget.go

	mu         sync.Mutex
	requests   []SPRequest
	received   []SPRequest // as they arrive, before any answer
	failCount  int
	failStatus int
}

// NewServer starts an emulator for site on 127.0.0.1 and an ephemeral port.
// Like httptest.NewServer it panics when it cannot start, and also when site
// is invalid (say, an item value of the wrong type); LoadSite and ParseSite
// report such problems as errors.
func NewServer(site Site, opts ...Option) *Server {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if site.Title == "" {
		site.Title = "Demo"
	}
	switch site.Path {
	case "":
		site.Path = "/sites/demo"
	case "/":
		site.Path = ""
	default:
		site.Path = "/" + strings.Trim(site.Path, "/")
	}
	model, err := buildSite(site, cfg.threshold)
	if err != nil {
		panic(err)
	}
	s := &Server{
		model:        model,
		Tokens:       NewTokenEndpoint(),
		ClientID:     newGUID(),
		ClientSecret: newClientSecret(),
		site:         site,
		cfg:          cfg,
	}
	s.Tokens.AddClient(s.ClientID, s.ClientSecret)
	s.Tokens.SetReuseDetection(cfg.reuse)
	s.server = httptest.NewUnstartedServer(http.HandlerFunc(s.route))
	if cfg.listener != nil {
		s.server.Listener.Close()
		s.server.Listener = cfg.listener
	}
	if cfg.tls {
		s.server.StartTLS()
	} else {
		s.server.Start()
	}
	s.URL = s.server.URL
	return s
}

// ServiceURL is the site's URL, what a connection string's ServiceURL holds.
func (s *Server) ServiceURL() string { return s.URL + s.site.Path }

// TokenURL is the v2.0 token endpoint URL for the server's tenant.
func (s *Server) TokenURL() string { return s.URL + "/" + TenantID + "/oauth2/v2.0/token" }

// TokenURLV1 is the v1 token endpoint URL for the server's tenant.
func (s *Server) TokenURLV1() string { return s.URL + "/" + TenantID + "/oauth2/token" }

// NewRefreshToken issues a fresh refresh token for the default client.
func (s *Server) NewRefreshToken() string { return s.Tokens.IssueRefreshToken(s.ClientID) }

// ConnString returns a ready ODBC-style connection string for the default
// client with a freshly issued refresh token, so each call starts a new
// refresh token chain:
//
//	ServiceURL=…;ClientID=…;ClientSecret=…;TokenURI=…;RefreshToken=…
//
// Values containing ';', '{', '}' or surrounding spaces are wrapped in braces
// with '}' doubled, as ODBC does.
func (s *Server) ConnString() string {
	pairs := [][2]string{
		{"ServiceURL", s.ServiceURL()},
		{"ClientID", s.ClientID},
		{"ClientSecret", s.ClientSecret},
		{"TokenURI", s.TokenURL()},
		{"RefreshToken", s.NewRefreshToken()},
	}
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(p[0])
		b.WriteByte('=')
		b.WriteString(quoteConnValue(p[1]))
	}
	return b.String()
}

func quoteConnValue(v string) string {
	if !strings.ContainsAny(v, ";{}") && strings.TrimSpace(v) == v {
		return v
	}
	return "{" + strings.ReplaceAll(v, "}", "}}") + "}"
}

// Client returns an HTTP client for the server; it trusts the server's
// certificate when the server uses TLS.
func (s *Server) Client() *http.Client { return s.server.Client() }

// Handler is the server's HTTP handler, both the SharePoint side and the
// token endpoint, as its listener serves them: a test may call it in
// process, without TCP, through a RoundTripper of its own. Requests it
// serves are recorded like the listener's; a request's Host should be
// the server's (the host of URL), which the answers' next links use.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.route) }

// Close shuts the server down, cutting off requests still in progress (for
// instance ones delayed by SetLatency). Close is idempotent.
func (s *Server) Close() {
	s.server.CloseClientConnections()
	s.server.Close()
}

// FailNext makes the next n SharePoint (_api) requests that pass
// authentication fail with HTTP status and an odata.error body.
func (s *Server) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCount, s.failStatus = n, status
}

// Requests returns a copy of the SharePoint-side requests received so far,
// oldest first. Token endpoint requests are in Tokens.Requests.
func (s *Server) Requests() []SPRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SPRequest(nil), s.requests...)
}

// Received returns a copy of the SharePoint-side requests in the order
// they arrived, recorded before any answer (so with Status 0): unlike
// Requests, it has those still being served and those never answered —
// a request held up by a Fault's Latency, say, whose client gave up.
func (s *Server) Received() []SPRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SPRequest(nil), s.received...)
}

// RequestCount returns how many SharePoint-side requests were received.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// route sends token endpoint paths to Tokens and everything else to the
// SharePoint side. A hand-written router rather than http.ServeMux patterns:
// SharePoint paths are case-insensitive and a root site's "/_api/…" would
// conflict with "/{tenant}/oauth2/token".
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if _, v := splitTokenPath(r.URL.Path); v != "" {
		rw := &statusWriter{ResponseWriter: w}
		s.Tokens.ServeHTTP(rw, r)
		s.logRequest(r, rw.status)
		return
	}
	s.serveSharePoint(w, r)
}

func (s *Server) logRequest(r *http.Request, status int) {
	if s.cfg.logger != nil {
		s.cfg.logger.Debug("sptest: request", "method", r.Method, "path", r.URL.Path, "status", status)
	}
}

// statusWriter remembers the status code for logging and, for the
// SharePoint side, records the request when the status is sent: before
// the body, so a client that has read a whole answer always finds its
// request in the log (tests count requests right after a query).
type statusWriter struct {
	http.ResponseWriter
	status   int
	onHeader func(status int) // called once, before the header goes out
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.header()
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.header()
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) header() {
	if w.onHeader != nil {
		f := w.onHeader
		w.onHeader = nil
		f(w.status)
	}
}

// Unwrap lets http.ResponseController reach the connection (to flush).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) serveSharePoint(w http.ResponseWriter, r *http.Request) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	rec := SPRequest{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Origin:   scheme + "://" + r.Host,

		Accept:       r.Header.Get("Accept"),
		ODataVersion: r.Header.Get("OData-Version"),
	}
	token, hasBearer := bearerToken(r)
	rec.Bearer = hasBearer
	s.mu.Lock()
	s.received = append(s.received, rec)
	s.mu.Unlock()
	if s.cfg.language != "" {
		r = r.WithContext(context.WithValue(r.Context(), languageKey{}, s.cfg.language))
	}
	if s.cfg.gzip && acceptsGzip(r) {
		gz := newGzipResponseWriter(w)
		defer gz.finish()
		w = gz
	}
	rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rw.onHeader = func(status int) {
		rec.Status = status
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
		s.logRequest(r, status)
	}
	defer rw.header() // a handler that wrote nothing (or was cut off)

	// SharePoint matches paths case-insensitively (/_API/Web works).
	apiPrefix := strings.ToLower(s.site.Path) + "/_api/"
	lower := strings.ToLower(r.URL.Path)
	rest, ok := strings.CutPrefix(lower, apiPrefix)
	if !ok {
		// Outside the site's REST API SharePoint serves pages; the emulator
		// has none.
		http.NotFound(rw, r)
		return
	}
	if !s.cfg.noAuth && !(hasBearer && s.Tokens.ValidAccessToken(token)) {
		s.unauthorized(rw)
		return
	}
	if !s.cfg.noAuth && s.refuseAppOnly(rw, r, token) {
		return
	}
	if !s.charge(rw, r, strings.TrimSuffix(rest, "/"), &rec) {
		return // throttled (budget.go)
	}
	s.mu.Lock()
	failStatus := 0
	if s.failCount > 0 {
		s.failCount--
		failStatus = s.failStatus
	}
	s.mu.Unlock()
	s.serveWithFaults(rw, r, failStatus, func() { rec.Faulted = true }, func(w http.ResponseWriter) {
		s.serveAPI(w, r, strings.TrimSuffix(rest, "/"))
	})
}

// serveAPI answers one authenticated request for path, the lower-cased part
// after "/_api/" without a trailing slash. New endpoints go here.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, path string) {
	switch path {
	case "web":
		if r.Method != http.MethodGet {
			writeODataError(w, http.StatusMethodNotAllowed, "-1, Microsoft.SharePoint.Client.ClientServiceException", "The HTTP method '"+r.Method+"' cannot be used to access the resource 'Web'. The operation type of the resource is specified as 'Default'. Please use correct HTTP method to invoke the resource.")
			return
		}
		s.serveWeb(w, r)
	case "$batch":
		s.serveBatch(w, r)
	case "contextinfo":
		s.serveContextInfo(w, r) // properties.go
	default:
		if !isItemWrite(r.Method) {
			s.writes.mu.RLock() // writes.go: writes change declared lists
			defer s.writes.mu.RUnlock()
		}
		s.serveSite(w, r)
	}
}

// serveWeb answers GET _api/web, honouring $select.
func (s *Server) serveWeb(w http.ResponseWriter, r *http.Request) {
	props := map[string]any{
		"Title":             s.site.Title,
		"Url":               s.ServiceURL(),
		"ServerRelativeUrl": s.site.Path,
	}
	if s.site.Path == "" {
		props["ServerRelativeUrl"] = "/"
	}
	if sel := r.URL.Query().Get("$select"); sel != "" {
		picked := make(map[string]any)
		for name := range strings.SplitSeq(sel, ",") {
			name = strings.TrimSpace(name)
			if name == "*" {
				picked = props
				break
			}
			v, ok := lookupFold(props, name)
			if !ok {
				writeODataError(w, http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "The property '"+name+"' does not exist on type 'SP.Web'. Make sure to only use property names that are defined by the type.")
				return
			}
			picked[name] = v
		}
		props = picked
	}
	writeJSON(w, http.StatusOK, props)
}

func lookupFold(m map[string]any, name string) (any, bool) {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// unauthorized answers like SharePoint Online does for a missing, expired or
// foreign token (docs/sharepoint.md §8.3): a Bearer challenge naming the tenant
// and SharePoint's app ID, a diagnostics header and a short JSON body.
func (s *Server) unauthorized(w http.ResponseWriter) {
	h := w.Header()
	h.Set("WWW-Authenticate", `Bearer realm="`+TenantID+`",client_id="`+SharePointAppID+`",trusted_issuers="00000001-0000-0000-c000-000000000000@*",authorization_uri="https://login.windows.net/common/oauth2/authorize"`)
	h.Set("x-ms-diagnostics", `3000006;reason="Token contains invalid signature.";category="invalid_client"`)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error_description": "Invalid issuer or signature."})
}

// bearerToken returns the token of an "Authorization: Bearer …" header; the
// scheme is matched case-insensitively (RFC 7235).
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;odata=nometadata;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeODataError writes SharePoint's nometadata error shape:
// {"odata.error":{"code":"…","message":{"lang":"en-US","value":"…"}}}.
func writeODataError(w http.ResponseWriter, status int, code, msg string) {
	type message struct {
		Lang  string `json:"lang"`
		Value string `json:"value"`
	}
	type odataError struct {
		Code    string  `json:"code"`
		Message message `json:"message"`
	}
	writeJSON(w, status, map[string]odataError{"odata.error": {Code: code, Message: message{Lang: "en-US", Value: msg}}})
}

// newClientSecret returns a secret shaped like Entra's client secret values
// (40 characters with "8Q~" after the first three); its '~' and '.' are
// characters a connection string parser must pass through.
func newClientSecret() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-"
	raw := make([]byte, 40)
	_, _ = rand.Read(raw)
	for i, c := range raw {
		raw[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(raw[:3]) + "8Q~" + string(raw[6:])
}
