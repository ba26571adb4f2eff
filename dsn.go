package spsql

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-spsql/spsql/internal/suggest"
)

// Authentication methods accepted by the AuthenticationMethod property.
const (
	// AuthOAuth2 authenticates with an OAuth 2.0 bearer token obtained from
	// Microsoft Entra ID with the refresh-token grant (or given as AccessToken).
	AuthOAuth2 = "OAuth2"
	// AuthClientCertificate authenticates the application itself, with no
	// user (app-only access for unattended jobs): the client-credentials
	// grant, with a client assertion signed by the certificate in
	// CertificateFile (docs/sharepoint.md §12.8). SharePoint accepts
	// app-only tokens only from certificate credentials.
	AuthClientCertificate = "OAuth2ClientCertificate"
	// AuthNone sends no Authorization header. It exists for tests against the
	// sptest emulator and is refused for anything but a loopback ServiceURL.
	AuthNone = "None"
)

// Values of the AuditColumns property.
const (
	AuditColumnsNone = "None"
	AuditColumnsAll  = "All"
)

// Values of the TransactionMode property (the ODBC driver's: 0 and 1).
const (
	// TransactionModeNone: BeginTx fails with ErrNoTransactions, since
	// SharePoint has no transactions.
	TransactionModeNone = "NoTransactions"
	// TransactionModeIgnore: BeginTx returns a transaction that does
	// nothing. Statements inside it run, and stay applied, at once;
	// Rollback undoes NOTHING.
	TransactionModeIgnore = "Ignore"
)

// Defaults applied by NewConfig.
const (
	DefaultFetchSize    = 1000
	DefaultTimeout      = 120 * time.Second
	DefaultRetryCount   = 5
	DefaultLoginTimeout = 30 * time.Second
	// DefaultParallelRequests is ParallelRequests's default.
	DefaultParallelRequests = 4
	// DefaultMaxMemoryRows is MaxMemoryRows's default: about a gigabyte
	// for rows of a dozen columns.
	DefaultMaxMemoryRows = 1_000_000

	// MaxFetchSize is SharePoint's cap on $top for list items.
	MaxFetchSize = 5000
)

// Config is a parsed connection string. Build one with NewConfig (which
// sets the defaults) or ParseDSN; FormatDSN turns it back into a string.
//
// Config's String, GoString and LogValue methods print secrets
// (ClientSecret, RefreshToken, AccessToken, ProxyPassword) as "***", so a
// Config can be logged or printed with %v safely.
type Config struct {
	// ServiceURL is the SharePoint site, e.g. https://corp.sharepoint.com/sites/x.
	// Required. A trailing slash is allowed: ParseDSN and NewConnector drop it.
	ServiceURL string

	// ClientID and ClientSecret identify the Entra ID application.
	ClientID     string
	ClientSecret string
	// TokenURI is the Entra ID token endpoint, e.g.
	// https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token. A path
	// without "v2.0" is treated as the v1 endpoint, which is sent "resource"
	// instead of "scope".
	TokenURI string
	// RefreshToken is exchanged for access tokens (the refresh-token grant).
	RefreshToken string
	// AccessToken is an optional bearer token used as is. With a
	// RefreshToken too, it is used first and refreshed when refused.
	AccessToken string
	// Scope is sent with each v2 token request. Empty means
	// "https://<ServiceURL host>/.default offline_access", or
	// "https://<ServiceURL host>/.default" with AuthClientCertificate;
	// see Scopes.
	Scope string
	// AuthenticationMethod is AuthOAuth2 (the default), AuthClientCertificate
	// or AuthNone.
	AuthenticationMethod string
	// CertificateFile is the certificate and private key of the Entra ID
	// application for AuthClientCertificate: a PEM file (certificate and
	// unencrypted key) or a PKCS#12 (.pfx/.p12) file.
	CertificateFile string
	// CertificatePassword opens a PKCS#12 CertificateFile. Secret.
	CertificatePassword string

	// FetchSize (WSFetchSize) is the number of rows asked for per request,
	// 1 to MaxFetchSize.
	FetchSize int
	// Timeout (WSTimeout) bounds one HTTP request; 0 means no limit.
	Timeout time.Duration
	// RetryCount (WSRetryCount) is how often a throttled or failed
	// idempotent request is retried.
	RetryCount int
	// LoginTimeout bounds obtaining one access token, retries included;
	// 0 means no limit beyond Timeout.
	LoginTimeout time.Duration
	// ParallelRequests (1–16) is how many requests a read of a whole
	// list in ID order (SELECT without WHERE or ORDER BY, the view
	// threshold fallback) keeps in flight on lists of 8 pages or more
	// with dense IDs: the ID range is read in slices of one page, rows
	// still in ID order (sharepoint.Query.Parallel). 1 reads page after
	// page.
	ParallelRequests int
	// NoPacing (Pacing=false) turns off the pacing of requests against
	// SharePoint's throttling budget: by default every connection and
	// *sql.DB of the process using the same application in the same
	// tenant shares one sharepoint.Pacer, which slows nothing until
	// SharePoint shows a budget (a 429 or RateLimit headers) and then
	// keeps the requests just under it. Without it, requests go as fast
	// as they can and only a throttled request waits its Retry-After.
	NoPacing bool
	// MaxMemoryRows caps the rows the driver holds in memory to answer
	// one query: rows being sorted in the driver, groups of GROUP BY,
	// DISTINCT keys, the side of a join held in memory, the values of an
	// IN (SELECT …). A query that needs more fails with an error wrapping
	// ErrMemoryLimit instead of exhausting memory; 0 means no
	// cap. Streaming queries hold a page or two whatever their size.
	MaxMemoryRows int
	// ReadOnly rejects every write statement before any request is sent.
	ReadOnly bool
	// AllowFullTableWrites lets UPDATE and DELETE without WHERE change
	// every item of a list. Without it they must say WHERE 1=1.
	AllowFullTableWrites bool
	// TransactionMode is TransactionModeNone (default: BeginTx fails) or
	// TransactionModeIgnore (BeginTx succeeds; Commit and Rollback do
	// nothing, and every statement is applied at once).
	TransactionMode string
	// TokenCacheFile, if set, names a file (mode 0600) where the newest
	// rotated refresh token is kept, so long-running jobs survive the
	// expiry of the token in the connection string. *sql.DBs and
	// processes sharing the file take turns to refresh through an
	// advisory lock on <file>.lock (see auth.FileStore); within a process,
	// *sql.DBs configured alike share one token source per file while any
	// of them is open.
	TokenCacheFile string

	// ProxyHost, ProxyPort, ProxyUser and ProxyPassword configure an HTTP(S)
	// proxy for every request, the token endpoint's included. Without
	// ProxyHost, the HTTPS_PROXY/NO_PROXY environment applies.
	ProxyHost     string
	ProxyPort     int
	ProxyUser     string
	ProxyPassword string

	// AuditColumns is AuditColumnsNone (default) or AuditColumnsAll: whether
	// SELECT * includes SharePoint's internal columns.
	AuditColumns string

	// AuthURI, RedirectURI and EnableLoginPrompt are used by the
	// command-line tool's login; the driver accepts and keeps them.
	AuthURI           string
	RedirectURI       string
	EnableLoginPrompt bool

	// ignored lists the documented DataDirect attributes the connection
	// string or odbc.ini section carried that spsql accepts and ignores
	// (long names, in order of appearance); NewConnector logs them once.
	ignored []string
}

// NewConfig returns a Config with every default set.
func NewConfig() *Config {
	return &Config{
		AuthenticationMethod: AuthOAuth2,
		FetchSize:            DefaultFetchSize,
		Timeout:              DefaultTimeout,
		RetryCount:           DefaultRetryCount,
		LoginTimeout:         DefaultLoginTimeout,
		MaxMemoryRows:        DefaultMaxMemoryRows,
		ParallelRequests:     DefaultParallelRequests,
		AuditColumns:         AuditColumnsNone,
		TransactionMode:      TransactionModeNone,
	}
}

// property describes one connection-string key: its canonical spelling, how
// to read it into a Config and how to write it back out.
type property struct {
	name   string
	secret bool
	set    func(c *Config, v string) error
	get    func(c *Config) string // "" means "not set / default": omitted by FormatDSN
}

func stringProp(name string, secret bool, field func(*Config) *string) property {
	return property{
		name:   name,
		secret: secret,
		set:    func(c *Config, v string) error { *field(c) = v; return nil },
		get:    func(c *Config) string { return *field(c) },
	}
}

func intProp(name string, min, max, def int, field func(*Config) *int) property {
	return property{
		name: name,
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("spsql: %s must be a whole number, got %q", name, v)
			}
			if n < min || n > max {
				return fmt.Errorf("spsql: %s must be between %d and %d, got %d", name, min, max, n)
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string {
			if *field(c) == def {
				return ""
			}
			return strconv.Itoa(*field(c))
		},
	}
}

// maxSeconds bounds the timeout properties: a day is far beyond any
// sensible HTTP or login timeout and keeps Durations from overflowing.
const maxSeconds = 24 * 60 * 60

func secondsProp(name string, def time.Duration, field func(*Config) *time.Duration) property {
	return property{
		name: name,
		set: func(c *Config, v string) error {
			d, err := parseSeconds(v)
			if err != nil {
				return fmt.Errorf("spsql: %s must be a number of seconds (or a duration such as 90s), got %q", name, v)
			}
			if d < 0 || d > maxSeconds*time.Second {
				return fmt.Errorf("spsql: %s must be between 0 and %d seconds, got %q", name, maxSeconds, v)
			}
			*field(c) = d
			return nil
		},
		get: func(c *Config) string {
			d := *field(c)
			if d == def {
				return ""
			}
			if d%time.Second == 0 {
				return strconv.FormatInt(int64(d/time.Second), 10)
			}
			return d.String()
		},
	}
}

// parseSeconds reads ODBC-style whole seconds ("120") and, for programs that
// prefer it, Go durations ("90s", "1m30s", "1.5s").
func parseSeconds(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > maxSeconds {
			return -1, nil // out of range, reported by the caller
		}
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}

func boolProp(name string, field func(*Config) *bool) property {
	return property{
		name: name,
		set: func(c *Config, v string) error {
			b, ok := parseBool(v)
			if !ok {
				return fmt.Errorf("spsql: %s must be true or false, got %q", name, v)
			}
			*field(c) = b
			return nil
		},
		get: func(c *Config) string {
			if *field(c) {
				return "true"
			}
			return ""
		},
	}
}

func parseBool(v string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		return true, true
	case "false", "0", "no", "off":
		return false, true
	}
	return false, false
}

func enumProp(name string, def string, allowed map[string]string, field func(*Config) *string) property {
	var names []string
	for _, canonical := range allowed {
		if !contains(names, canonical) {
			names = append(names, canonical)
		}
	}
	sort.Strings(names)
	return property{
		name: name,
		set: func(c *Config, v string) error {
			canonical, ok := allowed[strings.ToLower(strings.TrimSpace(v))]
			if !ok {
				return fmt.Errorf("spsql: %s must be one of %s, got %q", name, strings.Join(names, ", "), v)
			}
			*field(c) = canonical
			return nil
		},
		get: func(c *Config) string {
			if *field(c) == def {
				return ""
			}
			return *field(c)
		},
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// properties lists every key the driver understands, in the order FormatDSN
// writes them.
var properties = []property{
	stringProp("ServiceURL", false, func(c *Config) *string { return &c.ServiceURL }),
	stringProp("ClientID", false, func(c *Config) *string { return &c.ClientID }),
	stringProp("ClientSecret", true, func(c *Config) *string { return &c.ClientSecret }),
	stringProp("TokenURI", false, func(c *Config) *string { return &c.TokenURI }),
	stringProp("RefreshToken", true, func(c *Config) *string { return &c.RefreshToken }),
	stringProp("AccessToken", true, func(c *Config) *string { return &c.AccessToken }),
	stringProp("Scope", false, func(c *Config) *string { return &c.Scope }),
	// ODBC drivers also spell OAuth2 as the code 24 (Progress's "am" values).
	enumProp("AuthenticationMethod", AuthOAuth2,
		map[string]string{"oauth2": AuthOAuth2, "24": AuthOAuth2, "none": AuthNone,
			"oauth2clientcertificate": AuthClientCertificate},
		func(c *Config) *string { return &c.AuthenticationMethod }),
	stringProp("CertificateFile", false, func(c *Config) *string { return &c.CertificateFile }),
	stringProp("CertificatePassword", true, func(c *Config) *string { return &c.CertificatePassword }),
	intProp("WSFetchSize", 1, MaxFetchSize, DefaultFetchSize, func(c *Config) *int { return &c.FetchSize }),
	secondsProp("WSTimeout", DefaultTimeout, func(c *Config) *time.Duration { return &c.Timeout }),
	intProp("WSRetryCount", 0, 100, DefaultRetryCount, func(c *Config) *int { return &c.RetryCount }),
	secondsProp("LoginTimeout", DefaultLoginTimeout, func(c *Config) *time.Duration { return &c.LoginTimeout }),
	intProp("MaxMemoryRows", 0, math.MaxInt32, DefaultMaxMemoryRows, func(c *Config) *int { return &c.MaxMemoryRows }),
	intProp("ParallelRequests", 1, 16, DefaultParallelRequests, func(c *Config) *int { return &c.ParallelRequests }),
	pacingProp(),
	boolProp("ReadOnly", func(c *Config) *bool { return &c.ReadOnly }),
	boolProp("AllowFullTableWrites", func(c *Config) *bool { return &c.AllowFullTableWrites }),
	enumProp("TransactionMode", TransactionModeNone,
		map[string]string{"notransactions": TransactionModeNone, "0": TransactionModeNone, "none": TransactionModeNone,
			"ignore": TransactionModeIgnore, "1": TransactionModeIgnore},
		func(c *Config) *string { return &c.TransactionMode }),
	stringProp("TokenCacheFile", false, func(c *Config) *string { return &c.TokenCacheFile }),
	stringProp("ProxyHost", false, func(c *Config) *string { return &c.ProxyHost }),
	intProp("ProxyPort", 1, 65535, 0, func(c *Config) *int { return &c.ProxyPort }),
	stringProp("ProxyUser", false, func(c *Config) *string { return &c.ProxyUser }),
	stringProp("ProxyPassword", true, func(c *Config) *string { return &c.ProxyPassword }),
	enumProp("AuditColumns", AuditColumnsNone,
		map[string]string{"none": AuditColumnsNone, "all": AuditColumnsAll},
		func(c *Config) *string { return &c.AuditColumns }),
	stringProp("AuthURI", false, func(c *Config) *string { return &c.AuthURI }),
	stringProp("RedirectURI", false, func(c *Config) *string { return &c.RedirectURI }),
	boolProp("EnableLoginPrompt", func(c *Config) *bool { return &c.EnableLoginPrompt }),
}

// dsnKey names the odbc.ini data source to load; it is resolved by ParseDSN
// and not kept in Config. DataSourceName is ODBC's long name for it.
const dsnKey = "DSN"

func isDSNKey(key string) bool {
	return strings.EqualFold(key, dsnKey) || strings.EqualFold(key, "DataSourceName")
}

// ignoredProperties are accepted and ignored: "Driver" appears in every
// ODBC connection string and odbc.ini section; the rest are the attributes
// the Progress DataDirect SharePoint ODBC driver documents that have no
// meaning here (odbcAttributes rows marked attrIgnored, each with the reason
// the connector logs once at Debug level). Listing them keeps existing
// connection strings working unchanged; docs/odbc-attributes.md lists them.
var ignoredProperties = ignoredPropertyNames()

func ignoredPropertyNames() []string {
	names := []string{"Driver"}
	for _, a := range odbcAttributes {
		if a.use == attrIgnored {
			names = append(names, a.long)
		}
	}
	return names
}

// lookupProperty finds a property by case-insensitive name.
func lookupProperty(key string) (*property, bool) {
	key = canonicalKey(key)
	for i := range properties {
		if strings.EqualFold(properties[i].name, key) {
			return &properties[i], true
		}
	}
	return nil, false
}

func isIgnoredProperty(key string) bool {
	key = canonicalKey(key)
	for _, name := range ignoredProperties {
		if strings.EqualFold(name, key) {
			return true
		}
	}
	return false
}

// ErrUnknownProperty is wrapped by the error for a key the driver does not
// know; the message names the key and suggests the closest valid one.
var ErrUnknownProperty = errors.New("spsql: unknown connection property")

// unknownPropertyError builds the error for an unknown key, with a
// "did you mean" suggestion when a known key is a likely typo of it.
func unknownPropertyError(key string) error {
	if s := suggestProperty(key); s != "" {
		return fmt.Errorf("%w %q: did you mean %q?", ErrUnknownProperty, key, s)
	}
	return fmt.Errorf("%w %q (see README.md for the supported properties)", ErrUnknownProperty, key)
}

// suggestProperty returns the known property name closest to key, or "" if
// none is close enough to be a plausible typo.
func suggestProperty(key string) string {
	lower := strings.ToLower(key)
	best, bestDist := "", -1
	candidates := []string{dsnKey}
	for _, p := range properties {
		candidates = append(candidates, p.name)
	}
	candidates = append(candidates, ignoredProperties...)
	for _, name := range candidates {
		d := suggest.Distance(lower, strings.ToLower(name))
		if bestDist < 0 || d < bestDist {
			best, bestDist = name, d
		}
	}
	// Allow about one edit in three characters: "ClientSecert" (two
	// edits) suggests ClientSecret, "Foo" suggests nothing.
	if bestDist <= suggest.MaxDistance(key) && bestDist < len(key) {
		return best
	}
	return ""
}

// pair is one key=value of a connection string or odbc.ini section, with
// where it came from for error messages.
type pair struct {
	key, value string
	origin     string // "" for the connection string, "file:line" for odbc.ini
}

// ParseDSN parses an ODBC-style connection string:
//
//	ServiceURL=https://corp.sharepoint.com/sites/x;ClientID=…;ClientSecret=…;TokenURI=…;RefreshToken=…
//
// Keys are case-insensitive; a value runs from the first '=' to the next ';'
// unless it is wrapped in {braces}, inside which ';' and '=' are literal and
// "}}" stands for '}'. DSN=name loads the [name] section of odbc.ini first
// (the file $ODBCINI names, else ~/.odbc.ini, then odbc.ini in $ODBCSYSINI
// or /etc); the string's own properties override the file's. A connection
// URL of the DataDirect SharePoint JDBC driver (jdbc:datadirect:sharepoint:
// followed by the same key=value pairs) is accepted as the string it
// carries. The result is validated: errors name the offending key, never a
// secret's value.
func ParseDSN(dsn string) (*Config, error) {
	pairs, err := splitDSN(trimJDBCURL(dsn))
	if err != nil {
		return nil, err
	}
	var dsnName string
	var own []pair
	for _, p := range pairs {
		if isDSNKey(p.key) {
			if dsnName != "" {
				return nil, fmt.Errorf("spsql: property %s is given twice", dsnKey)
			}
			dsnName = p.value
			if strings.TrimSpace(dsnName) == "" {
				return nil, fmt.Errorf("spsql: %s must name a data source in odbc.ini", dsnKey)
			}
			continue
		}
		own = append(own, p)
	}
	cfg := NewConfig()
	if dsnName != "" {
		filePairs, err := loadDataSource(dsnName)
		if err != nil {
			return nil, err
		}
		if err := applyPairs(cfg, filePairs); err != nil {
			return nil, err
		}
	}
	if err := applyPairs(cfg, own); err != nil {
		return nil, err
	}
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// applyPairs sets cfg's properties from pairs, rejecting duplicates within
// pairs (but not across sources: a connection string overrides odbc.ini).
func applyPairs(cfg *Config, pairs []pair) error {
	seen := make(map[string]bool)
	for i, p := range pairs {
		at := ""
		if p.origin != "" {
			at = " (" + p.origin + ")"
		}
		if isIgnoredProperty(p.key) {
			if a, ok := ignoredAttribute(p.key); ok && !contains(cfg.ignored, a.long) {
				cfg.ignored = append(cfg.ignored, a.long)
			}
			continue
		}
		prop, ok := lookupProperty(p.key)
		if !ok {
			if isDSNKey(p.key) {
				return fmt.Errorf("spsql: %s cannot be used inside an odbc.ini data source%s", dsnKey, at)
			}
			// A value with an unbraced ';' splits in two, and its tail
			// looks like an unknown key: never echo it if it follows a
			// secret, since it is probably a piece of that secret. A
			// near-miss of a known key (ClientSecert) is a typo, not a
			// piece of a secret: it is named, with its suggestion.
			if i > 0 && isSecretKey(pairs[i-1].key) && pairs[i-1].origin == p.origin && !isKeyTypo(p.key) {
				prev, _ := lookupProperty(pairs[i-1].key)
				return fmt.Errorf("%w after %s%s: if the %s contains ';', wrap the value in {braces}",
					ErrUnknownProperty, prev.name, at, prev.name)
			}
			return fmt.Errorf("%w%s", unknownPropertyError(p.key), at)
		}
		if seen[prop.name] {
			return fmt.Errorf("spsql: property %s is given twice%s", prop.name, at)
		}
		seen[prop.name] = true
		if err := prop.set(cfg, p.value); err != nil {
			if prop.secret {
				// set never fails for string properties, but keep
				// secret values out of any message regardless.
				return fmt.Errorf("spsql: invalid value for %s%s", prop.name, at)
			}
			if at != "" {
				return fmt.Errorf("%w%s", err, at)
			}
			return err
		}
	}
	return nil
}

// isKeyTypo reports whether key, though unknown, is a near-miss of a known
// property name (within suggestProperty's distance) and at least four
// characters long. Such a key says no more than the name it misspells, so
// it may be named even right after a secret; a shorter fragment (xSN) is
// too likely to be a piece of the secret and stays unnamed.
func isKeyTypo(key string) bool {
	return utf8.RuneCountInString(key) >= 4 && suggestProperty(key) != ""
}

func isSecretKey(key string) bool {
	p, ok := lookupProperty(key)
	return ok && p.secret
}

// splitDSN is a small state machine over the connection string: before a
// key, in a key, in a plain value, in a braced value, after a closing brace.
func splitDSN(s string) ([]pair, error) {
	const (
		stateKey = iota
		stateValue
		stateBraced
		stateAfterBrace
	)
	var (
		pairs  []pair
		state  = stateKey
		key    strings.Builder
		value  strings.Builder
		braced bool
	)
	emit := func() error {
		k := strings.TrimSpace(key.String())
		v := value.String()
		if !braced {
			v = strings.TrimSpace(v)
		}
		key.Reset()
		value.Reset()
		wasBraced := braced
		braced = false
		if k == "" {
			if v == "" && !wasBraced {
				return nil // empty segment: ";;" or a trailing ';'
			}
			return errors.New("spsql: connection string has a value without a key (a segment starting with '=')")
		}
		pairs = append(pairs, pair{key: k, value: v})
		return nil
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch state {
		case stateKey:
			switch ch {
			case '=':
				state = stateValue
			case ';':
				if k := strings.TrimSpace(key.String()); k != "" {
					return nil, missingEquals(pairs, k)
				}
				key.Reset()
			default:
				key.WriteByte(ch)
			}
		case stateValue:
			switch {
			case ch == ';':
				if err := emit(); err != nil {
					return nil, err
				}
				state = stateKey
			case ch == '{' && strings.TrimSpace(value.String()) == "":
				value.Reset()
				braced = true
				state = stateBraced
			default:
				value.WriteByte(ch)
			}
		case stateBraced:
			if ch == '}' {
				if i+1 < len(s) && s[i+1] == '}' {
					value.WriteByte('}')
					i++
					continue
				}
				state = stateAfterBrace
				continue
			}
			value.WriteByte(ch)
		case stateAfterBrace:
			switch ch {
			case ';':
				if err := emit(); err != nil {
					return nil, err
				}
				state = stateKey
			case ' ', '\t', '\r', '\n':
			default:
				return nil, fmt.Errorf("spsql: unexpected text after the closing brace of %s", keyName(key.String()))
			}
		}
	}
	switch state {
	case stateKey:
		if k := strings.TrimSpace(key.String()); k != "" {
			return nil, missingEquals(pairs, k)
		}
	case stateBraced:
		return nil, fmt.Errorf("spsql: the value of %s has an opening '{' but no closing '}'", keyName(key.String()))
	default:
		if err := emit(); err != nil {
			return nil, err
		}
	}
	return pairs, nil
}

// missingEquals reports a segment with no '='. When it follows a secret it
// is most likely part of that secret, so it is not echoed.
func missingEquals(pairs []pair, segment string) error {
	if n := len(pairs); n > 0 && isSecretKey(pairs[n-1].key) {
		prev, _ := lookupProperty(pairs[n-1].key)
		return fmt.Errorf("spsql: connection string has text without '=' after %s: if the %s contains ';', wrap the value in {braces}", prev.name, prev.name)
	}
	return fmt.Errorf("spsql: connection string segment %q has no '=' (expected key=value)", segment)
}

// keyName gives the canonical spelling of a key for messages.
func keyName(k string) string {
	k = strings.TrimSpace(k)
	if p, ok := lookupProperty(k); ok {
		return p.name
	}
	return strconv.Quote(k)
}

// normalize validates cfg and puts it in canonical form (ServiceURL without
// a trailing slash), so that ParseDSN(c.FormatDSN()) reproduces c.
func (c *Config) normalize() error { return c.check(false) }

// check is normalize; externalTokens says a program supplies its own token
// source (WithTokenSource), so the configuration needs no credentials.
func (c *Config) check(externalTokens bool) error {
	if strings.TrimSpace(c.ServiceURL) == "" {
		return errors.New("spsql: ServiceURL is required (the SharePoint site, e.g. https://corp.sharepoint.com/sites/x)")
	}
	c.ServiceURL = strings.TrimRight(strings.TrimSpace(c.ServiceURL), "/")
	u, err := checkURL("ServiceURL", c.ServiceURL)
	if err != nil {
		return err
	}
	// "?" or "#" alone still ends the path, and every request built on the
	// URL would go astray, so any query or fragment is refused.
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.ContainsAny(c.ServiceURL, "?#") {
		return errors.New("spsql: ServiceURL must not have a query or fragment: give the site URL, e.g. https://corp.sharepoint.com/sites/x")
	}
	if c.TokenURI != "" {
		if _, err := checkURL("TokenURI", c.TokenURI); err != nil {
			return err
		}
	}
	if c.AuthURI != "" {
		if _, err := checkURL("AuthURI", c.AuthURI); err != nil {
			return err
		}
	}
	if c.FetchSize < 1 || c.FetchSize > MaxFetchSize {
		return fmt.Errorf("spsql: WSFetchSize must be between 1 and %d, got %d", MaxFetchSize, c.FetchSize)
	}
	if c.ParallelRequests < 1 || c.ParallelRequests > 16 {
		return fmt.Errorf("spsql: ParallelRequests must be between 1 and 16, got %d", c.ParallelRequests)
	}
	if c.MaxMemoryRows < 0 || c.MaxMemoryRows > math.MaxInt32 {
		return fmt.Errorf("spsql: MaxMemoryRows must be between 0 and %d, got %d", math.MaxInt32, c.MaxMemoryRows)
	}
	if c.RetryCount < 0 || c.RetryCount > 100 {
		return fmt.Errorf("spsql: WSRetryCount must be between 0 and 100, got %d", c.RetryCount)
	}
	if c.Timeout < 0 || c.Timeout > maxSeconds*time.Second {
		return fmt.Errorf("spsql: WSTimeout must be between 0 and %d seconds, got %v", maxSeconds, c.Timeout)
	}
	if c.LoginTimeout < time.Second || c.LoginTimeout > maxSeconds*time.Second {
		return fmt.Errorf("spsql: LoginTimeout must be between 1 and %d seconds, got %v", maxSeconds, c.LoginTimeout)
	}
	if c.ProxyPort < 0 || c.ProxyPort > 65535 {
		return fmt.Errorf("spsql: ProxyPort must be between 1 and 65535 (0: the port ProxyHost names, or the scheme's), got %d", c.ProxyPort)
	}
	if c.ProxyHost == "" && (c.ProxyPort != 0 || c.ProxyUser != "" || c.ProxyPassword != "") {
		return errors.New("spsql: ProxyPort, ProxyUser and ProxyPassword need ProxyHost")
	}
	if c.ProxyPassword != "" && c.ProxyUser == "" {
		return errors.New("spsql: ProxyPassword needs ProxyUser")
	}
	if c.ProxyHost != "" {
		if _, err := c.proxyURL(); err != nil {
			return err
		}
	}
	switch c.TransactionMode {
	case TransactionModeNone, TransactionModeIgnore:
	case "":
		c.TransactionMode = TransactionModeNone
	default:
		return fmt.Errorf("spsql: TransactionMode must be NoTransactions or Ignore, got %q", c.TransactionMode)
	}
	switch c.AuditColumns {
	case AuditColumnsNone, AuditColumnsAll:
	case "":
		c.AuditColumns = AuditColumnsNone
	default:
		return fmt.Errorf("spsql: AuditColumns must be None or All, got %q", c.AuditColumns)
	}
	switch c.AuthenticationMethod {
	case AuthOAuth2, "":
		c.AuthenticationMethod = AuthOAuth2
		if c.RefreshToken == "" && c.AccessToken == "" && !externalTokens {
			return errors.New("spsql: no credentials: set RefreshToken (with ClientID and TokenURI) or AccessToken")
		}
		if c.RefreshToken != "" {
			if c.TokenURI == "" {
				return errors.New("spsql: RefreshToken needs TokenURI (e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token)")
			}
			if c.ClientID == "" {
				return errors.New("spsql: RefreshToken needs ClientID")
			}
		}
	case AuthClientCertificate:
		if err := c.checkClientCertificate(externalTokens); err != nil {
			return err
		}
	case AuthNone:
		if !isLoopback(u.Hostname()) {
			return errors.New("spsql: AuthenticationMethod=None is only for the local emulator: ServiceURL must be a loopback address")
		}
	default:
		return fmt.Errorf("spsql: AuthenticationMethod must be OAuth2, OAuth2ClientCertificate or None, got %q", c.AuthenticationMethod)
	}
	if c.AuthenticationMethod != AuthClientCertificate && (c.CertificateFile != "" || c.CertificatePassword != "") {
		return errors.New("spsql: CertificateFile and CertificatePassword need AuthenticationMethod=OAuth2ClientCertificate")
	}
	if c.TokenCacheFile != "" && c.RefreshToken == "" {
		return errors.New("spsql: TokenCacheFile needs RefreshToken")
	}
	return nil
}

// checkURL parses an absolute URL property and insists on https, except on
// loopback hosts (the emulator), where plain http is allowed. Messages
// show the URL only through safeURL: a user may have pasted credentials or
// a secret-bearing query into it.
func checkURL(name, raw string) (*url.URL, error) {
	if next := runInKey(raw); next != "" {
		return nil, fmt.Errorf("spsql: %s runs into %s=: a ';' is missing before %s", name, next, next)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// *url.Error quotes the whole URL; keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("spsql: %s is not a valid URL: %w", name, err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("spsql: %s must not contain user information (user:password@)", name)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("spsql: %s must be an absolute https:// URL, got %q", name, safeURL(u))
	}
	if err := checkPort(name, u.Host); err != nil {
		return nil, err
	}
	if u.Scheme != "https" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("spsql: %s must use https (plain http is allowed only for localhost), got %q", name, safeURL(u))
	}
	return u, nil
}

// runInKey returns the property whose "Name=" appears inside a URL value
// after a space or comma, as in "https://…/sites/x AccessToken=…", where a
// ';' was forgotten; "" if none does. Such a URL must be refused before any
// message shows it: the text after the name may be a secret's value.
func runInKey(raw string) string {
	for i := 1; i < len(raw); i++ {
		if c := raw[i-1]; c != ' ' && c != '\t' && c != ',' {
			continue
		}
		key, _, ok := strings.Cut(raw[i:], "=")
		if !ok {
			return ""
		}
		key = strings.TrimSpace(key)
		if isDSNKey(key) {
			return dsnKey
		}
		for _, p := range properties {
			if strings.EqualFold(p.name, key) {
				return p.name
			}
		}
	}
	return ""
}

// checkPort insists that the port a URL's host names, if any, is one a
// connection can be made to: url.Parse accepts any digits, so
// "proxy:99999" would otherwise fail only at the first request.
func checkPort(name, host string) error {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.HasSuffix(host, "]") { // no port; "]" ends an IPv6 literal
		return nil
	}
	p := host[i+1:]
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("spsql: %s names port %q: a port must be between 1 and 65535", name, p)
	}
	return nil
}

// safeURL is u for messages: without user information, query or fragment.
func safeURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment, c.ForceQuery = nil, "", "", false
	return c.String()
}

// proxyURL builds the proxy's URL from the Proxy* properties. ProxyHost
// is a host name, host:port, or an http(s):// URL; credentials belong in
// ProxyUser and ProxyPassword, never in ProxyHost (which is not treated as
// a secret and would be printed).
func (c *Config) proxyURL() (*url.URL, error) {
	raw := strings.TrimSpace(c.ProxyHost)
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("spsql: ProxyHost must be a host name, host:port or http://host:port")
	}
	if u.User != nil {
		return nil, errors.New("spsql: ProxyHost must not contain user information: use ProxyUser and ProxyPassword")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("spsql: ProxyHost must be an http or https proxy, got scheme %q", u.Scheme)
	}
	if err := checkPort("ProxyHost", u.Host); err != nil {
		return nil, err
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("spsql: ProxyHost must be a host name, host:port or http://host:port, without a path")
	}
	proxy := &url.URL{Scheme: u.Scheme, Host: u.Host}
	if c.ProxyPort != 0 {
		if u.Port() != "" && u.Port() != strconv.Itoa(c.ProxyPort) {
			return nil, fmt.Errorf("spsql: ProxyHost names port %s but ProxyPort is %d: give the port once", u.Port(), c.ProxyPort)
		}
		proxy.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(c.ProxyPort))
	}
	if c.ProxyUser != "" {
		proxy.User = url.UserPassword(c.ProxyUser, c.ProxyPassword)
	}
	return proxy, nil
}

// isLoopback reports whether host is localhost, 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// FormatDSN returns the connection string for c: the properties that differ
// from NewConfig's defaults, in a fixed order, with values that need it
// wrapped in braces. ParseDSN(c.FormatDSN()) reproduces c.
func (c *Config) FormatDSN() string {
	return c.format(false)
}

func (c *Config) format(redact bool) string {
	var b strings.Builder
	for _, p := range properties {
		v := p.get(c)
		if v == "" {
			continue
		}
		if redact && p.secret {
			v = "***"
		}
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(quoteValue(v))
	}
	return b.String()
}

// quoteValue wraps v in braces when it would not survive as a plain value:
// it contains ';' or braces, or starts or ends with white space.
func quoteValue(v string) string {
	if strings.ContainsAny(v, ";{}") || strings.TrimSpace(v) != v {
		return "{" + strings.ReplaceAll(v, "}", "}}") + "}"
	}
	return v
}

// String returns the connection string with every secret shown as "***".
func (c Config) String() string { return c.format(true) }

// GoString makes %#v as safe as %v: it would otherwise print the fields,
// secrets included.
func (c Config) GoString() string { return "spsql.Config{" + c.format(true) + "}" }

// LogValue implements slog.LogValuer, with secrets shown as "***".
func (c Config) LogValue() slog.Value {
	var attrs []slog.Attr
	for _, p := range properties {
		v := p.get(&c)
		if v == "" {
			continue
		}
		if p.secret {
			v = "***"
		}
		attrs = append(attrs, slog.String(p.name, v))
	}
	return slog.GroupValue(attrs...)
}

// Scopes returns the scopes sent with a v2 token request: Scope split on
// spaces, or by default https://<ServiceURL host>/.default and
// offline_access — without offline_access for AuthClientCertificate, whose
// grant issues no refresh token and takes only "<resource>/.default"
// (docs/sharepoint.md §12.8).
func (c *Config) Scopes() []string {
	if s := strings.Fields(c.Scope); len(s) > 0 {
		return s
	}
	if c.AuthenticationMethod == AuthClientCertificate {
		return []string{c.Resource() + "/.default"}
	}
	return []string{c.Resource() + "/.default", "offline_access"}
}

// Resource returns https://<ServiceURL host>, the audience sent to a v1
// token endpoint as "resource".
func (c *Config) Resource() string {
	u, err := url.Parse(c.ServiceURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// pacingProp is the Pacing property, default true, kept inverted in
// Config.NoPacing so that a Config's zero value paces.
func pacingProp() property {
	b := boolProp("Pacing", func(c *Config) *bool { return &c.NoPacing })
	set := b.set
	b.set = func(c *Config, v string) error {
		if err := set(c, v); err != nil {
			return err
		}
		c.NoPacing = !c.NoPacing
		return nil
	}
	b.get = func(c *Config) string {
		if c.NoPacing {
			return "false"
		}
		return ""
	}
	return b
}
