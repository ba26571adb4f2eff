package sharepoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors, matched with errors.Is against an *Error.
var (
	// ErrUnauthorized: SharePoint refused the access token (HTTP 401) even
	// after one refresh, or refused access to the resource (HTTP 403).
	ErrUnauthorized = errors.New("sharepoint: unauthorized")
	// ErrListNotFound: the list named in the request does not exist.
	ErrListNotFound = errors.New("sharepoint: list not found")
	// ErrThrottled: SharePoint answered 429 or 503 until the retries ran out.
	ErrThrottled = errors.New("sharepoint: throttled")
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
}

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
	case e.StatusCode == http.StatusUnauthorized:
		b.WriteString("; the access token was refused: check that the refresh token is for this tenant and that the Scope names the SharePoint host")
	case e.StatusCode == http.StatusForbidden:
		b.WriteString("; the signed-in user or application has no access to this site or list")
	}
	return b.String()
}

// Is lets errors.Is match an *Error against the package's sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrListNotFound:
		// SharePoint says "List 'X' does not exist at site with URL '…'."
		// with 404 and System.ArgumentException (reference §4).
		return e.StatusCode == http.StatusNotFound && strings.HasPrefix(e.Message, "List '")
	case ErrThrottled:
		return e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusServiceUnavailable
	}
	return false
}

// parseError builds an *Error from a non-2xx response body. It reads both
// shapes SharePoint uses (reference §4): {"error":{…}} in verbose mode and
// {"odata.error":{…}} in minimal/nometadata mode, plus the bare
// {"error_description":"…"} that comes with a 401.
func parseError(status int, method, url string, body []byte) *Error {
	e := &Error{StatusCode: status, Method: method, URL: url}
	type odataError struct {
		Code    string `json:"code"`
		Message struct {
			Value string `json:"value"`
		} `json:"message"`
	}
	var shapes struct {
		Verbose          *odataError `json:"error"`
		Light            *odataError `json:"odata.error"`
		ErrorDescription string      `json:"error_description"`
	}
	if json.Unmarshal(body, &shapes) == nil {
		switch {
		case shapes.Light != nil:
			e.Code, e.Message = shapes.Light.Code, shapes.Light.Message.Value
		case shapes.Verbose != nil:
			e.Code, e.Message = shapes.Verbose.Code, shapes.Verbose.Message.Value
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
