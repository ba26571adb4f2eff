package sptest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// signInConfig is an x/oauth2 client for srv's default confidential
// client and SharePoint scope, pointed at the emulator's v2.0 endpoints.
func signInConfig(srv *sptest.Server) *oauth2.Config {
	base := srv.URL + "/" + sptest.TenantID + "/oauth2/v2.0/"
	return &oauth2.Config{
		ClientID:     srv.ClientID,
		ClientSecret: srv.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:       base + "authorize",
			TokenURL:      base + "token",
			DeviceAuthURL: base + "devicecode",
			AuthStyle:     oauth2.AuthStyleInParams,
		},
		Scopes: []string{srv.URL + "/.default", "offline_access"},
	}
}

func TestDeviceCodeSignInWithOAuth2(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	srv.Tokens.SetDeviceCodeInterval(time.Second)
	cfg := signInConfig(srv)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())

	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(da.UserCode) != 9 || da.DeviceCode == "" || da.Interval != 1 ||
		da.VerificationURI != srv.URL+"/"+sptest.TenantID+"/oauth2/v2.0/devicelogin" ||
		time.Until(da.Expiry) < 14*time.Minute {
		t.Fatalf("device auth response = %+v", da)
	}
	// The user signs in on the device login page, as a browser would.
	resp, err := srv.Client().PostForm(da.VerificationURI, url.Values{"user_code": {strings.ToLower(da.UserCode)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("device login page answered %d", resp.StatusCode)
	}
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Tokens.ValidAccessToken(tok.AccessToken) || tok.RefreshToken == "" || tok.Extra("scope") != srv.URL+"/AllSites.Read "+srv.URL+"/AllSites.Write" {
		t.Errorf("token = %v, scope %v", tok.RefreshToken != "", tok.Extra("scope"))
	}
	// The refresh token works with the refresh_token grant, and the device
	// code cannot be redeemed twice.
	if r := refresh(t, srv, tok.RefreshToken); r.status != http.StatusOK {
		t.Errorf("refreshing the new token: HTTP %d %v", r.status, r.body)
	}
	r := postToken(t, srv.Client(), "POST", srv.TokenURL(), formType, url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {srv.ClientID},
		"client_secret": {srv.ClientSecret}, "device_code": {da.DeviceCode},
	}.Encode(), nil)
	if r.status != 400 || r.str("error") != "bad_verification_code" {
		t.Errorf("second redemption: %d %v", r.status, r.str("error"))
	}
	if secrets := strings.Join(srv.Tokens.Secrets(), " "); !strings.Contains(secrets, da.DeviceCode) || strings.Contains(secrets, da.UserCode) {
		t.Error("Secrets must list device codes, not user codes")
	}
}

// pollDevice sends one device_code token request for srv's client.
func pollDevice(t *testing.T, srv *sptest.Server, deviceCode string, extra url.Values) tokenResponse {
	t.Helper()
	v := url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {srv.ClientID},
		"client_secret": {srv.ClientSecret}, "device_code": {deviceCode},
	}
	for k, vs := range extra {
		v[k] = vs
	}
	return postToken(t, srv.Client(), "POST", srv.TokenURL(), formType, v.Encode(), nil)
}

func newDeviceCode(t *testing.T, srv *sptest.Server) (deviceCode, userCode string) {
	t.Helper()
	r := postToken(t, srv.Client(), "POST", srv.URL+"/"+sptest.TenantID+"/oauth2/v2.0/devicecode", formType,
		url.Values{"client_id": {srv.ClientID}, "scope": {srv.URL + "/.default offline_access"}}.Encode(), nil)
	if r.status != 200 {
		t.Fatalf("devicecode: HTTP %d %v", r.status, r.body)
	}
	if !strings.Contains(r.str("message"), r.str("user_code")) || r.str("verification_uri") == "" {
		t.Errorf("devicecode answer %v", r.body)
	}
	return r.str("device_code"), r.str("user_code")
}

func TestDeviceCodePollingAnswers(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()

	t.Run("pending until approved, then tokens once", func(t *testing.T) {
		dc, uc := newDeviceCode(t, srv)
		if r := pollDevice(t, srv, dc, nil); r.status != 400 || r.str("error") != "authorization_pending" {
			t.Errorf("first poll: %d %s", r.status, r.str("error"))
		}
		// An immediate second poll is faster than the 5 s interval.
		if r := pollDevice(t, srv, dc, nil); r.str("error") != "slow_down" {
			t.Errorf("fast poll: %d %s", r.status, r.str("error"))
		}
		if err := srv.Tokens.ApproveDeviceCode(uc); err != nil {
			t.Fatal(err)
		}
		if r := pollDevice(t, srv, dc, nil); r.status != 200 || r.str("refresh_token") == "" {
			t.Errorf("after approval: %d %v", r.status, r.str("error"))
		}
		if err := srv.Tokens.ApproveDeviceCode(uc); err == nil {
			t.Error("a used user code was approved again")
		}
	})
	t.Run("declined", func(t *testing.T) {
		dc, uc := newDeviceCode(t, srv)
		if err := srv.Tokens.DeclineDeviceCode(uc); err != nil {
			t.Fatal(err)
		}
		if r := pollDevice(t, srv, dc, nil); r.status != 400 || r.str("error") != "authorization_declined" {
			t.Errorf("declined: %d %s", r.status, r.str("error"))
		}
	})
	t.Run("expired", func(t *testing.T) {
		dc, uc := newDeviceCode(t, srv)
		srv.Tokens.ExpireDeviceCodes()
		if r := pollDevice(t, srv, dc, nil); r.status != 400 || r.str("error") != "expired_token" {
			t.Errorf("expired: %d %s", r.status, r.str("error"))
		}
		if err := srv.Tokens.ApproveDeviceCode(uc); err == nil {
			t.Error("an expired code was approved")
		}
	})
	t.Run("auto-approved, for another client's code, without offline_access", func(t *testing.T) {
		srv.Tokens.SetDeviceCodeAutoApprove(true)
		defer srv.Tokens.SetDeviceCodeAutoApprove(false)
		srv.Tokens.AddClient("public-app", "")
		dc, _ := newDeviceCode(t, srv)
		r := postToken(t, srv.Client(), "POST", srv.TokenURL(), formType, url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {"public-app"}, "device_code": {dc},
		}.Encode(), nil)
		if r.str("error") != "invalid_grant" {
			t.Errorf("another client's code: %d %v", r.status, r.str("error"))
		}
		r = postToken(t, srv.Client(), "POST", srv.URL+"/"+sptest.TenantID+"/oauth2/v2.0/devicecode", formType,
			url.Values{"client_id": {"public-app"}, "scope": {srv.URL + "/AllSites.Read"}}.Encode(), nil)
		tok := postToken(t, srv.Client(), "POST", srv.TokenURL(), formType, url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {"public-app"}, "device_code": {r.str("device_code")},
		}.Encode(), nil)
		if tok.status != 200 || tok.str("access_token") == "" || tok.str("refresh_token") != "" {
			t.Errorf("without offline_access: %d, refresh token %q", tok.status, tok.str("refresh_token"))
		}
	})
	t.Run("request errors", func(t *testing.T) {
		dcURL := srv.URL + "/" + sptest.TenantID + "/oauth2/v2.0/devicecode"
		for _, tt := range []struct {
			body   string
			status int
			code   string
		}{
			{"scope=x", 400, "invalid_request"},
			{"client_id=" + srv.ClientID, 400, "invalid_request"},
			{"client_id=nobody&scope=x", 400, "unauthorized_client"},
		} {
			if r := postToken(t, srv.Client(), "POST", dcURL, formType, tt.body, nil); r.status != tt.status || r.str("error") != tt.code {
				t.Errorf("%s: %d %s", tt.body, r.status, r.str("error"))
			}
		}
		if r := pollDevice(t, srv, "", nil); r.str("error") != "invalid_request" {
			t.Errorf("no device_code: %s", r.str("error"))
		}
		if r := pollDevice(t, srv, "made-up", nil); r.str("error") != "bad_verification_code" {
			t.Errorf("unknown device_code: %s", r.str("error"))
		}
		if r := pollDevice(t, srv, "made-up", url.Values{"client_secret": {"wrong"}}); r.status != 401 || r.str("error") != "invalid_client" {
			t.Errorf("wrong secret: %d %s", r.status, r.str("error"))
		}
	})
}

func TestDeviceLoginPage(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	page := srv.URL + "/" + sptest.TenantID + "/oauth2/v2.0/devicelogin"
	get := func(u string) (int, string) {
		resp, err := srv.Client().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get(page); status != 200 || !strings.Contains(body, `name="user_code"`) {
		t.Errorf("form: %d %s", status, body)
	}
	if status, body := get(page + "?user_code=NOPE"); status != 400 || !strings.Contains(body, "not valid") {
		t.Errorf("unknown code: %d %s", status, body)
	}
	dc, uc := newDeviceCode(t, srv)
	if status, _ := get(page + "?action=decline&user_code=" + uc); status != 200 {
		t.Errorf("decline: %d", status)
	}
	if r := pollDevice(t, srv, dc, nil); r.str("error") != "authorization_declined" {
		t.Errorf("after declining on the page: %s", r.str("error"))
	}
}

func TestADeclinedDeviceCodeEndsOAuth2Polling(t *testing.T) {
	// x/oauth2 stops at the first answer other than authorization_pending
	// and slow_down: a declined code ends DeviceAccessToken with the error.
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	srv.Tokens.SetDeviceCodeInterval(time.Second)
	cfg := signInConfig(srv)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Tokens.DeclineDeviceCode(da.UserCode); err != nil {
		t.Fatal(err)
	}
	_, err = cfg.DeviceAccessToken(ctx, da)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "authorization_declined" {
		t.Errorf("DeviceAccessToken after declining: %v", err)
	}
}
