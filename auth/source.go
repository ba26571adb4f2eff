package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/go-spsql/spsql/internal/redact"
)

// maxRefreshMargin is how long before expiry a cached access token is
// replaced. SharePoint checks expiry against its own clock, so a token used
// in its last seconds may be refused mid-query; for short lifetimes the
// margin shrinks to a tenth of the lifetime so the token is still used.
const maxRefreshMargin = time.Minute

// RefreshTokenSource is an oauth2.TokenSource for Entra ID's refresh_token
// grant. It caches the access token, refreshes it when it is about to
// expire or after Invalidate, always refreshes with the newest refresh token
// it was given (rotation), and persists that token in Config.Store.
//
// It does not use oauth2.Config.TokenSource: that refresher never sends
// "scope", which Entra ID v2 needs in practice, tries HTTP Basic first and
// re-posts a dead refresh token in the body, and keeps the first caller's
// context for every later refresh.
//
// With Config.ClientCertificate the same source serves app-only access
// instead: each token request is a client_credentials grant with a newly
// signed client assertion, there is no refresh token (and no store), and
// a token near its expiry is replaced by asking again.
//
// All methods are safe for concurrent use. Concurrent callers that find the
// token expired wait for a single token request.
//
// Sources in several processes (or several sources in one) may share a
// store. Each refresh re-reads the store first and starts from the newest
// refresh token saved there; when the store is a StoreLocker (FileStore
// is), the source holds its lock from that read until the rotated token is
// saved, so that no two sources ever send the same refresh token. An
// identity provider that refuses a refresh token used twice would refuse
// the second (Entra ID tolerates reuse, but then the chain forks). After a
// refusal the store is read again, and the source retries when another
// participant saved a newer token there.
type RefreshTokenSource struct {
	cfg      Config
	tokenURL *url.URL // nil for an access-token-only config
	client   *http.Client
	timeout  time.Duration
	log      *slog.Logger
	red      Redactor
	storeKey string

	// life ends with Close: a refresh still retrying stops then.
	life context.Context
	stop context.CancelFunc

	// Retry pacing; tests shorten it.
	backoffBase, backoffMax time.Duration

	// mu is held for the whole of a refresh, which is what makes concurrent
	// callers share one token request.
	mu           sync.Mutex
	tok          *oauth2.Token // current access token; nil when none is usable
	refreshAt    time.Time     // when to stop using tok; zero: until refused
	refreshToken string        // newest refresh token of the chain
	savePending  bool          // the newest refresh token is not yet in the store
	fatal        error         // a refusal no retry can fix (invalid_grant)
}

// StoreLocker is implemented by a RefreshTokenStore that several processes
// may share (FileStore is one). A RefreshTokenSource holds the lock while
// it re-reads the store, asks for a token and saves the rotated refresh
// token.
type StoreLocker interface {
	// Lock waits until the caller holds the store's lock, or until ctx
	// ends, and returns the function that releases it.
	Lock(ctx context.Context) (unlock func(), err error)
}

// NewRefreshTokenSource validates cfg and returns a source for it. With a
// Store it loads the chain's newest refresh token (see RefreshTokenStore);
// a store that cannot be read is an error, because silently falling back to
// an already rotated token would fail later and less clearly.
func NewRefreshTokenSource(cfg Config) (*RefreshTokenSource, error) {
	u, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	s := &RefreshTokenSource{
		cfg:          cfg,
		tokenURL:     u,
		client:       cfg.HTTPClient,
		timeout:      cfg.LoginTimeout,
		log:          cfg.Logger,
		red:          cfg.Redactor,
		refreshToken: cfg.RefreshToken,
		backoffBase:  250 * time.Millisecond,
		backoffMax:   8 * time.Second,
	}
	s.life, s.stop = context.WithCancel(context.Background())
	if s.client == nil {
		s.client = defaultHTTPClient()
	}
	if u != nil {
		s.client = withinOrigin(s.client, u)
	}
	if s.timeout == 0 {
		s.timeout = DefaultLoginTimeout
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.red == nil {
		s.red = redact.New()
	}
	s.red.Add(cfg.ClientSecret, cfg.RefreshToken, cfg.AccessToken)
	if cfg.ClientCertificate != nil {
		// Said at once rather than at the first query.
		if err := cfg.ClientCertificate.checkValidity(time.Now()); err != nil {
			return nil, err
		}
	}
	if cfg.AccessToken != "" {
		// Expiry unknown: treat as valid until SharePoint refuses it.
		s.tok = &oauth2.Token{AccessToken: cfg.AccessToken, TokenType: "Bearer"}
	}
	if cfg.Store != nil && cfg.RefreshToken != "" {
		s.storeKey = ChainKey(cfg.RefreshToken)
		rt, ok, err := cfg.Store.Load(s.storeKey)
		if err != nil {
			return nil, s.scrubErr("auth: reading the refresh token store", err)
		}
		if ok && rt != "" {
			s.red.AddIssued(rt)
			s.refreshToken = rt
			s.log.Debug("auth: resuming the refresh token chain from the store", "rotated", rt != cfg.RefreshToken)
		}
	}
	return s, nil
}

// Token returns a valid access token, refreshing it first when needed. The
// returned token carries no refresh token. A refresh that Entra ID refused
// with invalid_grant is remembered: later calls return the same error without
// another request, since only a new refresh token can help — unless the
// store, read again at each call, holds a newer one (another process or
// *sql.DB sharing it saved one, or the user put one there).
func (s *RefreshTokenSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && (s.refreshAt.IsZero() || time.Now().Before(s.refreshAt)) {
		return copyToken(s.tok), nil
	}
	if s.tokenURL == nil {
		return nil, fmt.Errorf("%w: SharePoint refuses it after about an hour; configure a RefreshToken (with ClientID and the token URL) for automatic renewal, or supply a new AccessToken", ErrAccessTokenRefused)
	}
	if s.fatal != nil {
		if !s.reloadFromStore() {
			return nil, s.fatal
		}
		s.fatal = nil
	}
	return s.refreshLocked()
}

// Close stops a refresh still under way (its retries included) and makes
// later calls fail. The driver closes its source with the connector
// (DB.Close). Close is idempotent.
func (s *RefreshTokenSource) Close() error {
	s.stop()
	return nil
}

// TokenContext is Token, except that it stops waiting when ctx ends. The
// refresh itself keeps its own context (never ctx, which belongs to one
// query while the token serves all of them), so when ctx ends first the
// refresh finishes in the background and its token is kept.
func (s *RefreshTokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	// Fast path: a cached token, without a goroutine.
	if s.mu.TryLock() {
		if s.tok != nil && (s.refreshAt.IsZero() || time.Now().Before(s.refreshAt)) {
			tok := copyToken(s.tok)
			s.mu.Unlock()
			return tok, nil
		}
		s.mu.Unlock()
	}
	return waitToken(ctx, s.Token)
}

// Invalidate drops the cached access token after SharePoint refused it with
// a 401, so that the next Token call refreshes. It does nothing when the
// cached token is no longer rejected — another caller already replaced it —
// which is how many concurrent 401s cause a single refresh. A nil rejected
// drops whatever token is cached.
func (s *RefreshTokenSource) Invalidate(rejected *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil || (rejected != nil && rejected.AccessToken != s.tok.AccessToken) {
		return
	}
	s.tok, s.refreshAt = nil, time.Time{}
	s.log.Debug("auth: access token refused; it will be refreshed")
}

// refreshLocked obtains a new access token, retrying transient failures with
// exponential backoff and jitter until LoginTimeout. The context derives from
// context.Background on purpose: a refresh serves every caller waiting on
// it, so one caller's cancellation must not fail the others.
func (s *RefreshTokenSource) refreshLocked() (*oauth2.Token, error) {
	// The source's own lifetime, never a caller's context: the refresh
	// serves every request waiting for it, and only Close ends it early.
	ctx, cancel := context.WithTimeout(s.life, s.timeout)
	defer cancel()
	unlock, err := s.lockStore(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s.reloadFromStore()
	var last error
	reloaded := false // the store was read again after a refusal
	unreachable := 0  // attempts that found nothing listening
	for attempt := 1; ; attempt++ {
		s.log.Debug("auth: requesting an access token", "token_url", s.endpoint(), "attempt", attempt)
		tr, transient, err := s.post(ctx)
		if err == nil {
			return s.accept(tr, attempt)
		}
		if ctx.Err() != nil && last != nil {
			// The login timeout cut this attempt short; the previous
			// failure (say, Entra's 503) tells the user more than
			// "context deadline exceeded".
			err = last
		}
		last = err
		var ae *Error
		errors.As(err, &ae)
		if !transient {
			if ae != nil {
				if ae.Code == "invalid_grant" {
					// Someone sharing the store without its lock (an
					// older spsql, another program) may have rotated the
					// token under us and saved the new one: use it once.
					if !reloaded && s.reloadFromStore() {
						reloaded = true
						s.log.Info("auth: the refresh token was refused, but the store holds a newer one; retrying with it")
						continue
					}
					s.fatal = err
				}
				s.log.Warn("auth: token request refused", "status", ae.StatusCode, "error", ae.Code, "error_codes", ae.ErrorCodes)
			}
			return nil, err
		}
		if reason := UnreachableReason(err); reason != "" {
			// Nothing listens there, or the name is unknown: a couple of
			// quick retries, then say so rather than wait out the login
			// timeout.
			unreachable++
			if unreachable > UnreachableRetries {
				s.log.Warn("auth: nothing answers at the token endpoint", "token_url", s.endpoint(), "attempts", attempt, "reason", reason)
				return nil, &UnreachableError{Prefix: "auth", What: "the token endpoint", Property: "TokenURI", URL: s.endpoint(), Err: err}
			}
		}
		wait := s.backoff(attempt)
		if ae != nil && ae.retryAfter > wait {
			wait = ae.retryAfter
		}
		deadline, _ := ctx.Deadline()
		if ctx.Err() != nil || time.Until(deadline) < wait {
			return nil, fmt.Errorf("auth: no access token obtained within the login timeout (%s, %d attempts): %w", s.timeout, attempt, err)
		}
		s.log.Warn("auth: token request failed; retrying", "attempt", attempt, "wait", wait, "error", err.Error())
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("auth: no access token obtained within the login timeout (%s, %d attempts): %w", s.timeout, attempt, err)
		}
	}
}

// reloadFromStore adopts a newer refresh token that another process (or
// another *sql.DB) sharing the store saved since we last looked: Entra ID
// rotates the token on each use, so refreshing with our older copy would
// fork the chain. A pending save of our own wins: ours is then the newest.
// It reports whether it adopted one.
func (s *RefreshTokenSource) reloadFromStore() bool {
	if s.cfg.Store == nil || s.storeKey == "" || s.savePending {
		return false
	}
	rt, ok, err := s.cfg.Store.Load(s.storeKey)
	if err != nil {
		s.log.Warn("auth: could not re-read the refresh token store; using the token in memory", "error", s.scrubErr("auth: store", err).Error())
		return false
	}
	if ok && rt != "" && rt != s.refreshToken {
		s.red.AddIssued(rt)
		s.refreshToken = rt
		s.log.Debug("auth: adopted a newer refresh token from the store")
		return true
	}
	return false
}

// lockStore takes the store's lock when it has one, waiting at most until
// ctx ends. A lock that cannot be taken for another reason than waiting
// (a lock file that cannot be created) is logged and done without: the
// refresh then goes on as if the store were not shared.
func (s *RefreshTokenSource) lockStore(ctx context.Context) (unlock func(), err error) {
	l, ok := s.cfg.Store.(StoreLocker)
	if !ok || s.storeKey == "" {
		return func() {}, nil
	}
	unlock, err = l.Lock(ctx)
	switch {
	case err == nil:
		return unlock, nil
	case ctx.Err() != nil:
		return nil, s.scrubErr(fmt.Sprintf("auth: no access token obtained within the login timeout (%s): another process or *sql.DB sharing the token cache kept it locked", s.timeout), err)
	}
	s.log.Warn("auth: could not lock the refresh token store; refreshing without coordinating with other processes", "error", s.scrubErr("auth: store", err).Error())
	return func() {}, nil
}

// Redact returns text with every secret this source holds or has held, and
// anything shaped like a credential, replaced by "***": for text a server
// sent. A SharePoint client may use it (sharepoint.WithRedactor).
func (s *RefreshTokenSource) Redact(text string) string { return s.red.Redact(text) }

// String describes the source without any secret; without it, printing a
// *RefreshTokenSource would show its unexported fields, tokens included.
func (s *RefreshTokenSource) String() string {
	return "auth.RefreshTokenSource{TokenURL:" + s.cfg.TokenURL + " ClientID:" + s.cfg.ClientID + "}"
}

// GoString makes %#v as safe as %v.
func (s *RefreshTokenSource) GoString() string { return s.String() }

// LogValue implements slog.LogValuer without any secret.
func (s *RefreshTokenSource) LogValue() slog.Value { return s.cfg.LogValue() }

// backoff returns the wait before attempt+1: exponential, capped, with
// "equal jitter" (half fixed, half random) so that many clients that failed
// together do not retry together.
func (s *RefreshTokenSource) backoff(attempt int) time.Duration {
	d := s.backoffBase << min(attempt-1, 20)
	if d > s.backoffMax || d <= 0 {
		d = s.backoffMax
	}
	return d/2 + rand.N(d/2+1)
}

// tokenResponse is a successful token endpoint answer.
type tokenResponse struct {
	AccessToken  string  `json:"access_token"`
	TokenType    string  `json:"token_type"`
	RefreshToken string  `json:"refresh_token"`
	ExpiresIn    seconds `json:"expires_in"`
}

// seconds decodes expires_in, which v2 sends as a number and v1 as a string
// ("3599").
type seconds struct {
	n   int64
	set bool
}

func (s *seconds) UnmarshalJSON(b []byte) error {
	str := strings.Trim(string(b), `"`)
	if str == "null" || str == "" {
		return nil
	}
	n, err := strconv.ParseFloat(str, 64)
	if err != nil || n != n { // n != n: NaN
		return fmt.Errorf("auth: expires_in is neither a number nor a numeric string")
	}
	// Capped like x/oauth2 does (docs/sharepoint.md §13): a huge value must not
	// overflow into a negative lifetime.
	s.n, s.set = int64(min(max(n, 0), math.MaxInt32)), true
	return nil
}

// post sends one refresh request. Credentials go in the body
// (client_secret_post): Entra accepts it for every client type, and a single
// style means a refused token costs exactly one request. transient reports
// whether the failure may go away on retry: network errors, 5xx and 429.
func (s *RefreshTokenSource) post(ctx context.Context) (tr *tokenResponse, transient bool, err error) {
	form, err := s.grantForm()
	if err != nil {
		return nil, false, err
	}
	if isV2(s.tokenURL) {
		form.Set("scope", strings.Join(s.cfg.Scopes, " "))
	} else {
		form.Set("resource", s.cfg.Resource)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.tokenURL.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, false, fmt.Errorf("auth: building the token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		// An untrusted or invalid certificate will not become valid by
		// retrying; other network failures may pass.
		var certErr *tls.CertificateVerificationError
		var hostErr x509.HostnameError
		var authErr x509.UnknownAuthorityError
		var redirErr *redirectError
		if errors.As(err, &redirErr) {
			// Final, and without *url.Error's text, which quotes the
			// redirect's whole target.
			return nil, false, redirErr
		}
		final := errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &authErr)
		return nil, !final, s.scrubErr("auth: token request failed", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, true, s.scrubErr("auth: reading the token response", err)
	}
	if resp.StatusCode != http.StatusOK {
		e := s.parseError(resp, body)
		e.certificate = s.cfg.ClientCertificate != nil
		return nil, e.retryable(), e
	}
	// A malformed 200 answer will not improve on retry: report it at once.
	tr = new(tokenResponse)
	if err := json.Unmarshal(body, tr); err != nil {
		return nil, false, fmt.Errorf("auth: the token endpoint answered HTTP 200 with a body that is not a token response (Content-Type %q)", s.red.Redact(resp.Header.Get("Content-Type")))
	}
	// Registered before anything else can quote them.
	s.red.AddIssued(tr.AccessToken, tr.RefreshToken)
	if tr.AccessToken == "" {
		return nil, false, errors.New("auth: the token endpoint's answer has no access_token")
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "Bearer") {
		return nil, false, fmt.Errorf("auth: the token endpoint issued a %q token; SharePoint needs a Bearer token", s.red.Redact(tr.TokenType))
	}
	return tr, false, nil
}

// parseError turns a non-200 answer into an *Error. Bodies that are not
// Entra's JSON (a proxy's HTML page) keep only the status. Every text field
// passes through the Redactor: a gateway may echo the posted form, refresh
// token and client secret included, in error_description.
func (s *RefreshTokenSource) parseError(resp *http.Response, body []byte) *Error {
	e := &Error{StatusCode: resp.StatusCode}
	var j struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		ErrorCodes       []int  `json:"error_codes"`
		TraceID          string `json:"trace_id"`
		CorrelationID    string `json:"correlation_id"`
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "application/json" || json.Valid(body) {
		if json.Unmarshal(body, &j) == nil {
			e.Code = s.red.Redact(j.Error)
			e.Description = s.red.Redact(j.ErrorDescription)
			e.ErrorCodes = j.ErrorCodes
			e.TraceID = s.red.Redact(j.TraceID)
			e.CorrelationID = s.red.Redact(j.CorrelationID)
		}
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && ra > 0 {
		e.retryAfter = time.Duration(ra) * time.Second
	}
	return e
}

// accept installs a successful answer: the access token, its refresh time,
// and a rotated refresh token (saved to the store).
func (s *RefreshTokenSource) accept(tr *tokenResponse, attempts int) (*oauth2.Token, error) {
	now := time.Now()
	tok := &oauth2.Token{AccessToken: tr.AccessToken, TokenType: "Bearer"}
	s.refreshAt = time.Time{}
	if tr.ExpiresIn.set {
		life := time.Duration(tr.ExpiresIn.n) * time.Second
		tok.Expiry = now.Add(life)
		tok.ExpiresIn = tr.ExpiresIn.n
		s.refreshAt = tok.Expiry.Add(-min(maxRefreshMargin, life/10))
	}
	s.tok = tok

	// A missing refresh_token means "keep using the current one" (RFC 6749
	// §6). A new one replaces the old for good: Entra may have stopped
	// honouring the old one, so there is no falling back to it.
	rotated := tr.RefreshToken != "" && tr.RefreshToken != s.refreshToken
	if rotated {
		s.refreshToken = tr.RefreshToken
		s.savePending = s.cfg.Store != nil
	}
	if s.savePending {
		if err := s.cfg.Store.Save(s.storeKey, s.refreshToken); err != nil {
			// The access token is good; keep serving and try to save again
			// after the next refresh. Losing the save only matters to the
			// next process that starts from the store.
			s.log.Warn("auth: saving the rotated refresh token failed; will retry at the next refresh", "error", s.scrub(err.Error()))
		} else {
			s.savePending = false
		}
	}
	s.log.Info("auth: access token refreshed", "token_url", s.endpoint(), "expires_in", tr.ExpiresIn.n, "rotated", rotated, "attempts", attempts)
	return copyToken(tok), nil
}

// endpoint is the token URL without query or fragment, for logs.
func (s *RefreshTokenSource) endpoint() string {
	return EndpointText(s.tokenURL)
}

// scrub blanks every secret the source knows, and anything shaped like a
// credential, out of text that came from elsewhere (a store's or the
// network's error).
func (s *RefreshTokenSource) scrub(text string) string { return s.red.Redact(text) }

// scrubErr wraps err with context; its text is scrubbed, while errors.Is and
// errors.As still see err.
func (s *RefreshTokenSource) scrubErr(context string, err error) error {
	return &scrubbedError{msg: s.scrub(context + ": " + err.Error()), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func copyToken(t *oauth2.Token) *oauth2.Token {
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, Expiry: t.Expiry, ExpiresIn: t.ExpiresIn}
}

var _ oauth2.TokenSource = (*RefreshTokenSource)(nil)

// grantForm is the body of one token request: the refresh_token grant,
// or with a ClientCertificate the client_credentials grant with a newly
// signed client assertion (docs/sharepoint.md §12.8). The assertion is
// registered with the Redactor before it is sent: an error body that
// echoes the form must not show it.
func (s *RefreshTokenSource) grantForm() (url.Values, error) {
	if c := s.cfg.ClientCertificate; c != nil {
		now := time.Now()
		if err := c.checkValidity(now); err != nil {
			return nil, err
		}
		a, err := c.assertion(EndpointText(s.tokenURL), s.cfg.ClientID, now)
		if err != nil {
			return nil, err
		}
		s.red.AddIssued(a)
		return url.Values{
			"grant_type":            {"client_credentials"},
			"client_id":             {s.cfg.ClientID},
			"client_assertion_type": {ClientAssertionType},
			"client_assertion":      {a},
		}, nil
	}
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {s.refreshToken},
		"client_id":     {s.cfg.ClientID},
	}
	if s.cfg.ClientSecret != "" {
		form.Set("client_secret", s.cfg.ClientSecret)
	}
	return form, nil
}
