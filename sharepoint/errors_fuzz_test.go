package sharepoint

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseError feeds arbitrary error bodies to the parser: no panic, a
// message on one line of bounded length for non-JSON bodies, and the
// sentinels consistent with the status.
func FuzzParseError(f *testing.F) {
	for _, seed := range []string{
		`{"odata.error":{"code":"-1, System.ArgumentException","message":{"lang":"en-US","value":"List 'X' does not exist at site with URL 'https://t/sites/x'."}}}`,
		`{"error":{"code":"-2147024860, Microsoft.SharePoint.SPQueryThrottledException","message":{"lang":"en-US","value":"The attempted operation is prohibited because it exceeds the list view threshold."}}}`,
		`{"error":{"code":"-1","message":"Column 'Nope' does not exist. It may have been deleted by another user."}}`,
		`{"error_description":"Invalid issuer or signature."}`,
		"<html>\n<body>502 Bad Gateway</body></html>",
		`{"odata.error":null}`,
		``,
	} {
		for _, status := range []int{400, 401, 404, 429, 500, 503} {
			f.Add(status, []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseError(status, "GET", "https://t/sites/x/_api/web", body)
		msg := e.Error()
		if !strings.HasPrefix(msg, "sharepoint: GET ") {
			t.Fatalf("Error() = %q", msg)
		}
		if errors.Is(e, ErrThrottled) != (status == 429 || status == 503) {
			t.Fatalf("ErrThrottled for status %d", status)
		}
		if errors.Is(e, ErrListNotFound) && status != 404 {
			t.Fatalf("ErrListNotFound for status %d", status)
		}
		if errors.Is(e, ErrFieldNotFound) && e.FieldName() == "" && !strings.Contains(e.Message, "''") {
			t.Fatalf("ErrFieldNotFound without a field name: %q", e.Message)
		}
		if utf8.ValidString(string(body)) && strings.ContainsAny(e.Message, "\n\r") && !strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
			t.Fatalf("a non-JSON body's excerpt spans lines: %q", e.Message)
		}
	})
}
