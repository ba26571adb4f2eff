// Package redact removes secrets from text that came from a server — an
// error body, a token endpoint's error description, an HTML error page, a
// header — before that text reaches an error, a log record or a panic.
//
// A Set holds the secrets the process knows (the client secret, the proxy
// password, and the access and refresh tokens it obtained) and also applies
// shape rules that catch credentials it was never told about: anything
// shaped like a JWT, an Authorization header value ("Bearer …", "Basic …")
// and the values of access_token, refresh_token, client_secret, password and
// similar keys in forms, query strings and JSON. Servers that echo the
// request they refused — proxies, WAFs, some error pages — would otherwise
// put the bearer token into the driver's error.
//
// The driver's connector owns one Set and hands it to its token source and
// its SharePoint client; there is no package-level state.
package redact

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Mask replaces every secret.
const Mask = "***"

// MinSecretLen is the shortest secret removed wherever it appears: a
// shorter one (a 3-character proxy password) would blank out ordinary
// words. Shorter secrets are still removed where a shape rule finds them
// ("password=abc").
const MinSecretLen = 4

// MaxIssued is how many issued tokens a Set remembers. Access tokens live
// about an hour and a refresh token rotated away is no longer sent, so a
// server can only echo one of the last few; the bound keeps a process that
// runs for months from growing its set (and the cost of Redact) forever.
// Tokens older than that are still caught by the JWT shape when they are
// JWTs, as Entra ID's access tokens are.
const MaxIssued = 64

// Set is a concurrency-safe set of known secrets plus the shape rules. The
// zero value and a nil *Set are ready to use: they know no secret and
// apply the shape rules only.
type Set struct {
	mu sync.RWMutex
	// kept are the secrets added with Add, for the process's lifetime.
	kept []string
	// issued are the tokens added with AddIssued, oldest first, at most
	// MaxIssued.
	issued []string
	// forms maps each secret's spellings (itself, URL-, JSON- and
	// HTML-escaped) to be removed, longest first.
	forms []string
}

// New returns an empty Set.
func New() *Set { return &Set{} }

// Add registers secrets that stay valid for as long as the process runs:
// a client secret, a proxy password, a configured refresh or access token.
// Empty and too short strings are ignored.
func (s *Set) Add(secrets ...string) {
	s.add(false, secrets)
}

// AddIssued registers tokens obtained from an identity provider. Only the
// MaxIssued most recent are remembered.
func (s *Set) AddIssued(tokens ...string) {
	s.add(true, tokens)
}

func (s *Set) add(issued bool, secrets []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for _, sec := range secrets {
		if len(sec) < MinSecretLen || slices.Contains(s.kept, sec) || slices.Contains(s.issued, sec) {
			continue
		}
		changed = true
		if !issued {
			s.kept = append(s.kept, sec)
			continue
		}
		if len(s.issued) == MaxIssued {
			s.issued = slices.Delete(s.issued, 0, 1)
		}
		s.issued = append(s.issued, sec)
	}
	if changed {
		s.rebuildLocked()
	}
}

// rebuildLocked recomputes forms from kept and issued.
func (s *Set) rebuildLocked() {
	var forms []string
	for _, sec := range slices.Concat(s.kept, s.issued) {
		forms = append(forms, spellings(sec)...)
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	s.forms = slices.Compact(forms)
}

// spellings are the ways sec may appear in a server's text: as sent, and
// escaped the way a form, a URL, a JSON string or an HTML page escapes it.
func spellings(sec string) []string {
	out := []string{sec, url.QueryEscape(sec), url.PathEscape(sec), html.EscapeString(sec)}
	if b, err := json.Marshal(sec); err == nil {
		out = append(out, string(b[1:len(b)-1]))
	}
	var kept []string
	for _, f := range out {
		if len(f) >= MinSecretLen && !slices.Contains(kept, f) {
			kept = append(kept, f)
		}
	}
	return kept
}

// Known reports whether sec was added (and, for an issued token, is still
// remembered).
func (s *Set) Known(sec string) bool {
	if s == nil {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Contains(s.kept, sec) || slices.Contains(s.issued, sec)
}

// The shape rules. Each match is replaced by Mask, keeping the part of the
// match before the credential (the scheme word, the key and its "=").
var (
	// A JWT (JWS compact serialization): a base64url JSON header, which
	// always starts "eyJ" ('{"'), then payload and signature, and for a
	// JWE two more segments.
	jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){2,4}`)
	// An Authorization or Proxy-Authorization credential other than
	// Basic: "Bearer", "Negotiate" or "NTLM", white space (or its URL
	// encoding), then at least 8 characters of the token68 alphabet.
	schemeShape = regexp.MustCompile(`((?i:bearer)|Negotiate|NTLM)(\s+|%20|\+)[A-Za-z0-9._~+/-]{8,}=*`)
	// A Basic credential: masked only when it decodes to "user:password",
	// so that "Basic authentication" in a sentence survives.
	basicShape = regexp.MustCompile(`(?i:basic)(\s+|%20|\+)([A-Za-z0-9+/]{4,}={0,2})`)
	// A secret-bearing key with its value in a form or query string
	// (key=value), a JSON object ("key":"value", also backslash-escaped
	// inside another JSON string) or a header-like line (key: value).
	keyShape = regexp.MustCompile(`(?i)((?:access|refresh|id)_?token|client_?secret|client_assertion|password|passwd|pwd|device_code|code_verifier|api_?key|fedauth|rtfa)` +
		`(\\?"?'?\s*[:=]\s*\\?"?'?)` +
		`[^\s"'&,;<>\\}\]]+`)
)

// Redact returns text with every known secret and every credential-shaped
// string replaced by Mask. It is safe to call on a nil *Set.
func (s *Set) Redact(text string) string {
	if text == "" {
		return text
	}
	if s != nil {
		s.mu.RLock()
		forms := s.forms
		s.mu.RUnlock()
		for _, f := range forms {
			if strings.Contains(text, f) {
				text = strings.ReplaceAll(text, f, Mask)
			}
		}
	}
	return Shapes(text)
}

// Shapes applies the shape rules only: for text no Set is at hand for.
func Shapes(text string) string {
	if text == "" {
		return text
	}
	text = jwtShape.ReplaceAllString(text, Mask)
	text = schemeShape.ReplaceAllString(text, "${1}${2}"+Mask)
	text = basicShape.ReplaceAllStringFunc(text, func(m string) string {
		sub := basicShape.FindStringSubmatch(m)
		cred, err := base64.StdEncoding.DecodeString(sub[2])
		if err != nil || !strings.Contains(string(cred), ":") {
			return m
		}
		return m[:len(m)-len(sub[2])] + Mask
	})
	return keyShape.ReplaceAllString(text, "${1}${2}"+Mask)
}

// Redactor is what Error needs: a *Set, or anything that redacts like one.
type Redactor interface {
	Redact(text string) string
}

// Error returns err with its text redacted: err itself when nothing needed
// removing, otherwise an error whose Error() is the redacted text and which
// unwraps to err, so errors.Is and errors.As still see the cause. nil stays
// nil.
func (s *Set) Error(err error) error { return Error(s, err) }

// Error is Set.Error for any Redactor; a nil r applies the shape rules.
func Error(r Redactor, err error) error {
	if err == nil {
		return nil
	}
	if r == nil {
		r = (*Set)(nil)
	}
	msg := err.Error()
	clean := r.Redact(msg)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// BasicCredential is the value a client puts after "Basic " in a
// (Proxy-)Authorization header for user and password: a proxy that echoes
// the header shows it, so it is a secret of its own.
func BasicCredential(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}
