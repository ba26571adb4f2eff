package redact

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"testing"
)

const (
	accessToken  = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2NvbnRvc28uc2hhcmVwb2ludC5jb20ifQ.c2lnbmF0dXJl"
	refreshToken = "1.AXkA-opaque~refresh.token_value+with/odd=chars"
	clientSecret = "Xy8Q~abcdefghijklmnop.qrstuvwxyz012345"
)

func TestRedactRemovesKnownSecretsInEverySpelling(t *testing.T) {
	s := New()
	s.Add(clientSecret, "proxy-pw!&<x>")
	s.AddIssued(refreshToken)
	for _, tt := range []struct{ name, text, secret string }{
		{"as is", "token " + refreshToken + " refused", refreshToken},
		{"form-encoded", "got grant_type=refresh_token&rt=" + url.QueryEscape(refreshToken) + "&x=1", url.QueryEscape(refreshToken)},
		{"path-escaped", "/x/" + url.PathEscape(refreshToken), url.PathEscape(refreshToken)},
		{"JSON-escaped", `{"echo":"proxy-pw!\u0026\u003cx\u003e"}`, `proxy-pw!\u0026\u003cx\u003e`},
		{"HTML-escaped", "<p>proxy-pw!&amp;&lt;x&gt;</p>", "proxy-pw!&amp;&lt;x&gt;"},
		{"a client secret", "secret " + clientSecret + ".", clientSecret},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Redact(tt.text)
			if strings.Contains(got, tt.secret) || !strings.Contains(got, Mask) {
				t.Errorf("Redact(%q) = %q", tt.text, got)
			}
		})
	}
}

func TestShapeRulesCatchUnknownCredentials(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"a JWT", "token " + accessToken + " expired", "token *** expired"},
		{"a JWT without signature", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "***"},
		{"a bearer header", "Authorization: Bearer abc.def-ghi_jkl~mno", "Authorization: Bearer ***"},
		{"a URL-encoded bearer", "authorization=bearer%20abcdefghijk", "authorization=bearer%20***"},
		{"bearer with tabs", "bearer\tOPAQUEOPAQUE", "bearer\t***"},
		{"a basic credential", "Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==", "Proxy-Authorization: Basic ***"},
		{"the word basic", "Basic authentication is disabled", "Basic authentication is disabled"},
		{"a form", "grant_type=refresh_token&refresh_token=1.AXkA.xyz&client_id=abc&client_secret=s3cr3t~x", "grant_type=refresh_token&refresh_token=***&client_id=abc&client_secret=***"},
		{"JSON", `{"access_token": "opaque-at", "password":"pw"}`, `{"access_token": "***", "password":"***"}`},
		{"escaped JSON", `"{\"refresh_token\":\"rt-1\"}"`, `"{\"refresh_token\":\"***\"}"`},
		{"a short password", "user=a;password=abc;", "user=a;password=***;"},
		{"camel case", "accessToken=zzzz&x", "accessToken=***&x"},
		{"nothing secret", "List 'Tasks' does not exist at site with URL 'https://x'.", "List 'Tasks' does not exist at site with URL 'https://x'."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := (*Set)(nil).Redact(tt.text); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestShortSecretsAreNotRemovedEverywhere(t *testing.T) {
	s := New()
	s.Add("p", "abc")
	if got := s.Redact("a proxy password"); got != "a proxy password" {
		t.Errorf("Redact = %q: a short secret blanked ordinary words", got)
	}
}

func TestIssuedTokensAreBounded(t *testing.T) {
	s := New()
	s.Add(clientSecret)
	for i := range MaxIssued + 10 {
		s.AddIssued(fmt.Sprintf("issued-token-%03d", i))
	}
	if s.Known("issued-token-000") {
		t.Error("the oldest issued token is still remembered")
	}
	if !s.Known(fmt.Sprintf("issued-token-%03d", MaxIssued+9)) || !s.Known(clientSecret) {
		t.Error("the newest issued token or the client secret was forgotten")
	}
	if got := s.Redact("issued-token-073"); got != Mask {
		t.Errorf("Redact = %q", got)
	}
}

func TestErrorKeepsTheChain(t *testing.T) {
	s := New()
	s.Add(clientSecret)
	base := fmt.Errorf("echo %s: %w", clientSecret, fs.ErrPermission)
	err := s.Error(base)
	if strings.Contains(err.Error(), clientSecret) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), clientSecret) {
		t.Fatal("the secret survived")
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Error("errors.Is lost the cause")
	}
	plain := errors.New("nothing here")
	if s.Error(plain) != plain || s.Error(nil) != nil {
		t.Error("an error without secrets was wrapped")
	}
}

func TestConcurrentUse(t *testing.T) {
	s := New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				tok := fmt.Sprintf("token-%d-%d", i, j)
				s.AddIssued(tok)
				if got := s.Redact("x " + tok + " y"); strings.Contains(got, tok) && s.Known(tok) {
					t.Errorf("a remembered token survived: %q", got)
					return
				}
			}
		})
	}
	wg.Wait()
}
