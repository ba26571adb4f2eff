package sharepoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-spsql/spsql/auth"
)

// Sentinel errors, matched with errors.Is against an *Error.
var (
	// ErrUnauthorized: SharePoint refused the access token (HTTP 401) even
	// after one refresh, or refused access to the resource (HTTP 403).
	ErrUnauthorized = errors.New("sharepoint: unauthorized")
	// ErrListNotFound: the list named in the request does not exist.
	ErrListNotFound = errors.New("sharepoint: list not found")
	// ErrFieldNotFound: a column named in $select, $filter, $orderby or
	// $expand does not exist on the list.
	ErrFieldNotFound = errors.New("sharepoint: field not found")
	// ErrViewThreshold: SharePoint refused the query because it would scan
	// more items than the list view threshold (5,000) allows — filtering
	// or ordering on a column that is not indexed, on a large list.
	ErrViewThreshold = errors.New("sharepoint: list view threshold exceeded")
	// ErrLookupThreshold: SharePoint refused a request naming more lookup
	// and person columns than its lookup column threshold (12) allows. It
	// is reported as an SPQueryThrottledException like the view threshold,
	// but no ID-ordered scan cures it; it does not match ErrViewThreshold.
	// Items refuses with it, before sending, a read whose filter and order
	// alone involve more (one whose selected columns do is split; see
	// LookupThreshold).
	ErrLookupThreshold = errors.New("sharepoint: lookup column threshold exceeded")
	// ErrThrottled: SharePoint answered 429 or 503 until the retries ran out.
	ErrThrottled = errors.New("sharepoint: throttled")
	// ErrRedirect: the server answered with a redirect (HTTP 3xx) that the
	// client did not follow — any redirect of a write, and a read's
	// redirect to another origin than the site's. A write refused so was
	// not applied by the site, which answered with the redirect instead,
	// and it was not sent on. The *Error's StatusCode is the redirect's.
	ErrRedirect = errors.New("sharepoint: redirect refused")
	// ErrUnreachable: nothing answered at the site's address (connection
	// refused, unknown host) after auth.UnreachableRetries quick retries,
	// or at the token endpoint's. The error is an *auth.UnreachableError
	// naming the property (ServiceURL or TokenURI) and the URL.
	ErrUnreachable = auth.ErrUnreachable
)

// Error is an error answer from SharePoint. Code is SharePoint's
// "<hresult>, <exception type>" string when the body had one.
type Error struct {
	StatusCode int
	Code       string
	Message    string
	// Method and URL are the request's; the URL never holds a secret
	// (tokens travel in headers only).
	Method string
	URL    string

	retryAfter       time.Duration // from the Retry-After header
	retriesExhausted bool          // set when throttling outlasted the retries
	appOnly          bool          // the request carried an app-only token (apponly.go)
}

// isRedirect reports a redirect answer the client did not follow.
func (e *Error) isRedirect() bool { return e.StatusCode >= 300 && e.StatusCode <= 399 }

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sharepoint: %s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	switch {
	case e.appOnlyHint() != "":
		b.WriteString(e.appOnlyHint())
	case e.StatusCode == http.StatusUnauthorized:
		b.WriteString("; the access token was refused: check that the refresh token is for this tenant and that the Scope names the SharePoint host")
	case e.StatusCode == http.StatusForbidden:
		b.WriteString("; the signed-in user or application has no access to this site or list")
	case errors.Is(e, ErrViewThreshold):
		b.WriteString("; filter or order on an indexed column (ID, Created, Modified, or one you index in the list settings)")
	case e.retriesExhausted:
		b.WriteString("; SharePoint kept throttling the requests after every retry: try again later, lower the request rate, or raise WSRetryCount")
	}
	return b.String()
}

// Is lets errors.Is match an *Error against the package's sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrListNotFound:
		return e.listNotFound()
	case ErrFieldNotFound:
		return e.fieldNotFound() != ""
	case ErrViewThreshold:
		return !e.lookupThreshold() && (strings.Contains(e.Code, "SPQueryThrottledException") ||
			strings.Contains(e.Message, "exceeds the list view threshold"))
	case ErrLookupThreshold:
		return e.lookupThreshold()
	case ErrThrottled:
		return e.throttled()
	case ErrRedirect:
		return e.isRedirect()
	}
	return false
}

// lookupThreshold recognises the lookup column threshold refusal by its
// HRESULT (-2147024749, reported by users; not in Microsoft's docs) or its
// text ("…exceeds the lookup column threshold…").
func (e *Error) lookupThreshold() bool {
	return strings.HasPrefix(e.Code, "-2147024749,") || strings.Contains(strings.ToLower(e.Message), "lookup column threshold")
}

// throttled reports a 429, or a 503 (SharePoint's other throttling answer).
func (e *Error) throttled() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusServiceUnavailable
}

// FieldName returns the column a field-not-found error names, or "".
func (e *Error) FieldName() string { return e.fieldNotFound() }

// listNotFound recognises SharePoint's answer for a list that does not
// exist: 404 with "-1, System.ArgumentException" to a request that names
// a list by title or GUID. The text is in the site's language ("List 'X'
// does not exist at site with URL '…'." in English, "Die Liste 'X' ist in
// der Website mit der URL '…' nicht vorhanden." in German,
// docs/sharepoint.md §8.4), so the status, the code and the request
// decide; the English texts are still recognised for a body without code.
// The same status and code also answer a path SharePoint has no resource
// for ("Cannot find resource for the request …"), whose text quotes the
// path: a text naming the list locator is not a missing list.
func (e *Error) listNotFound() bool {
	if e.StatusCode != http.StatusNotFound {
		return false
	}
	if strings.HasPrefix(e.Message, "List '") || strings.HasPrefix(e.Message, "List does not exist") {
		return true
	}
	if e.Code != "-1, System.ArgumentException" {
		return false
	}
	path := strings.ToLower(requestPath(e.URL))
	msg := strings.ToLower(e.Message)
	for _, locator := range []string{"/lists/getbytitle(", "/lists/getbyid(", "/lists(guid'", "/lists(%27"} {
		if strings.Contains(path, locator) {
			return !strings.Contains(msg, locator[len("/lists"):])
		}
	}
	return false
}

// fieldNotFound returns the column a field-not-found answer names, or "".
// SharePoint answers an unknown column with 400 and an ArgumentException
// ("Column 'X' does not exist. …", $filter and $orderby) or an
// InvalidClientQueryException ("The field or property 'X' does not
// exist.", $select and $expand), the text in the site's language
// (docs/sharepoint.md §8.2, §8.4). The English texts are recognised as
// such; otherwise a name the failed request put in its $select, $expand,
// $filter or $orderby, quoted in the text, is the unknown column.
func (e *Error) fieldNotFound() string {
	if e.StatusCode != http.StatusBadRequest {
		return ""
	}
	if (strings.HasPrefix(e.Message, "The field or property '") || strings.HasPrefix(e.Message, "Column '")) &&
		strings.Contains(e.Message, "does not exist") {
		_, rest, _ := strings.Cut(e.Message, "'")
		name, _, _ := strings.Cut(rest, "'")
		return name
	}
	if !strings.HasSuffix(e.Code, "System.ArgumentException") && !strings.HasSuffix(e.Code, "InvalidClientQueryException") {
		return ""
	}
	for _, name := range queryNames(e.URL) {
		if quotedIn(e.Message, name) {
			return name
		}
	}
	return ""
}

// requestPath is the path of a request URL, without its query.
func requestPath(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.EscapedPath()
	}
	path, _, _ := strings.Cut(raw, "?")
	return path
}

// queryNames lists the names a request's $select, $expand, $filter and
// $orderby mention: every run of name characters (letters, digits, '_')
// and each '/'-separated part of a projection.
func queryNames(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	q := u.Query()
	var names []string
	for _, key := range []string{"$select", "$expand", "$filter", "$orderby"} {
		for _, v := range q[key] {
			v = stripStrings(v)
			names = append(names, strings.FieldsFunc(v, func(r rune) bool {
				return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
			})...)
		}
	}
	return names
}

// stripStrings blanks the OData string literals ('…', a quote doubled
// inside) of
// a filter, whose words are values, not names.
func stripStrings(expr string) string {
	var b strings.Builder
	in := false
	for _, r := range expr {
		if r == '\'' {
			in = !in
			b.WriteByte(' ')
			continue
		}
		if in {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

// quotedIn reports whether msg quotes name: 'name', "name", „name“,
// «name», 「name」 and the like.
func quotedIn(msg, name string) bool {
	const quotes = "'\"‘’‚“”„«»‹›「」『』"
	for i := 0; ; {
		j := strings.Index(msg[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		before, _ := utf8.DecodeLastRuneInString(msg[:start])
		after, _ := utf8.DecodeRuneInString(msg[end:])
		if strings.ContainsRune(quotes, before) && strings.ContainsRune(quotes, after) {
			return true
		}
		i = start + 1
	}
}

// parseError builds an *Error from a non-2xx response body. It reads both
// shapes SharePoint uses (docs/sharepoint.md §8.1): {"error":{…}} in verbose mode and
// {"odata.error":{…}} in minimal/nometadata mode, plus the bare
// {"error_description":"…"} that comes with a 401.
func parseError(status int, method, url string, body []byte) *Error {
	e := &Error{StatusCode: status, Method: method, URL: url}
	type odataError struct {
		Code    string       `json:"code"`
		Message errorMessage `json:"message"`
	}
	var shapes struct {
		Verbose          *odataError `json:"error"`
		Light            *odataError `json:"odata.error"`
		ErrorDescription string      `json:"error_description"`
	}
	if json.Unmarshal(body, &shapes) == nil {
		switch {
		case shapes.Light != nil:
			e.Code, e.Message = shapes.Light.Code, string(shapes.Light.Message)
		case shapes.Verbose != nil:
			e.Code, e.Message = shapes.Verbose.Code, string(shapes.Verbose.Message)
		case shapes.ErrorDescription != "":
			e.Message = shapes.ErrorDescription
		}
		if e.Message != "" {
			return e
		}
	}
	// Not JSON (a proxy's HTML page, say): keep a short, single-line
	// excerpt so the user sees something of what came back.
	text := strings.Join(strings.Fields(string(body)), " ")
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	e.Message = text
	return e
}

// serverError is parseError with the server's text passed through the
// client's Redactor: an error body may echo the request's Authorization
// header (proxies, WAFs and some error pages do). The body is redacted
// before parseError cuts an excerpt of it, which could cut a secret in two
// and leave half of it; the fields are redacted again after decoding,
// which may have unescaped one.
func (c *Client) serverError(status int, method, url string, body []byte) *Error {
	e := parseError(status, method, url, []byte(c.redactor.Redact(string(body))))
	e.Code = c.redactor.Redact(e.Code)
	e.Message = c.redactor.Redact(e.Message)
	e.URL = c.redactor.Redact(e.URL)
	e.appOnly = c.appOnly
	return e
}

// errorMessage reads an error's message in either form: OData v3's
// {"lang":"en-US","value":"…"} or OData v4's plain string.
type errorMessage string

func (m *errorMessage) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*m = errorMessage(s)
		return nil
	}
	var v struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = errorMessage(v.Value)
	return nil
}
