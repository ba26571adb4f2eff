package auth

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/internal/redact"
)

// FuzzTokenResponse feeds arbitrary token endpoint answers to the parsing
// of success and error bodies: no panic, no negative lifetime, and no
// secret the source knows in any error text.
func FuzzTokenResponse(f *testing.F) {
	for _, seed := range []string{
		`{"token_type":"Bearer","scope":"https://t.sharepoint.com/.default","expires_in":3599,"ext_expires_in":3599,"access_token":"at","refresh_token":"rt2"}`,
		`{"token_type":"Bearer","expires_in":"3600","expires_on":"1460404526","resource":"https://t.sharepoint.com","access_token":"at"}`,
		`{"error":"invalid_grant","error_description":"AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.","error_codes":[70008],"trace_id":"t","correlation_id":"c"}`,
		`{"expires_in":1e300,"access_token":"x"}`,
		`{"expires_in":-5,"access_token":"x"}`,
		`<html>bad gateway</html>`,
		``,
	} {
		f.Add([]byte(seed), 200)
		f.Add([]byte(seed), 400)
	}
	const secret, refresh = "fuzz-client-SECRET", "fuzz-refresh-TOKEN"
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		u, _ := url.Parse("https://login.example.com/t/oauth2/v2.0/token")
		red := redact.New()
		red.Add(secret, refresh)
		s := &RefreshTokenSource{
			cfg:          Config{ClientSecret: secret, RefreshToken: refresh},
			tokenURL:     u,
			log:          slog.New(slog.DiscardHandler),
			red:          red,
			refreshToken: refresh,
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"2"}}}
		e := s.parseError(resp, body)
		if strings.Contains(e.Error(), secret) || strings.Contains(e.Error(), refresh) {
			t.Fatal("an error text shows a secret")
		}
		var tr tokenResponse
		if json.Unmarshal(body, &tr) != nil || tr.AccessToken == "" {
			return
		}
		tok, err := s.accept(&tr, 1)
		if err != nil {
			return
		}
		if tr.ExpiresIn.set && tok.Expiry.Before(time.Now().Add(-time.Second)) {
			t.Fatalf("expires_in %d gave an expiry in the past", tr.ExpiresIn.n)
		}
	})
}
