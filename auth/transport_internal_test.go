package auth

import (
	"net/url"
	"testing"
)

func TestOriginOf(t *testing.T) {
	tests := []struct{ a, b string }{
		{"https://Contoso.SharePoint.com/sites/x", "https://contoso.sharepoint.com:443/other"},
		{"http://127.0.0.1/x", "http://127.0.0.1:80"},
		{"HTTPS://x.example", "https://x.example:443/"},
	}
	for _, tc := range tests {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if originOf(a) != originOf(b) {
			t.Errorf("%s and %s are the same origin: %s != %s", tc.a, tc.b, originOf(a), originOf(b))
		}
	}
	different := []struct{ a, b string }{
		{"https://x.example", "http://x.example"},
		{"https://x.example", "https://x.example:8443"},
		{"https://x.example", "https://x.example.evil.com"},
		{"https://contoso.sharepoint.com", "https://contoso-my.sharepoint.com"},
	}
	for _, tc := range different {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if originOf(a) == originOf(b) {
			t.Errorf("%s and %s are different origins", tc.a, tc.b)
		}
	}
}
