package sptest_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func TestFaultEchoesTheAuthorizationHeader(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	bearer := "Bearer " + accessToken(t, srv)

	srv.FailRequest(1, sptest.Fault{Status: 500, EchoAuthorization: true})
	r := get(t, srv, "/sites/demo/_api/web", bearer)
	if r.status != 500 || !strings.Contains(r.body, bearer) || !strings.Contains(r.body, `"odata.error"`) {
		t.Errorf("JSON echo: HTTP %d, body %d bytes with the header: %t", r.status, len(r.body), strings.Contains(r.body, bearer))
	}

	srv.FailRequest(1, sptest.Fault{Status: 403, EchoAuthorization: true, HTML: true})
	r = get(t, srv, "/sites/demo/_api/web", bearer)
	if r.status != 403 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(r.body, "<html>") || !strings.Contains(r.body, bearer) {
		t.Errorf("HTML echo: HTTP %d, %s, with the header: %t", r.status, r.header.Get("Content-Type"), strings.Contains(r.body, bearer))
	}

	srv.FailRequest(1, sptest.Fault{Status: 502, HTML: true})
	if r = get(t, srv, "/sites/demo/_api/web", bearer); r.status != 502 || strings.Contains(r.body, bearer) {
		t.Errorf("an HTML fault without EchoAuthorization: HTTP %d, with the header: %t", r.status, strings.Contains(r.body, bearer))
	}
}

func TestTokenEndpointEchoesTheForm(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	srv.Tokens.SetEchoForm(true)
	rt := srv.NewRefreshToken()
	srv.Tokens.RevokeRefreshToken(rt)
	r := refresh(t, srv, rt)
	first, _, _ := strings.Cut(r.str("error_description"), "\r\n")
	if r.status != 400 || !strings.HasPrefix(first, "AADSTS70008: ") ||
		!strings.Contains(first, url.QueryEscape(rt)) || !strings.Contains(first, url.QueryEscape(srv.ClientSecret)) {
		t.Errorf("HTTP %d: the description's first line does not quote the form", r.status)
	}

	srv.Tokens.SetEchoForm(false)
	r = refresh(t, srv, rt)
	if strings.Contains(r.str("error_description"), url.QueryEscape(rt)) {
		t.Error("SetEchoForm(false) still echoes the form")
	}
	if ok := refresh(t, srv, srv.NewRefreshToken()); ok.status != 200 {
		t.Errorf("a good refresh: HTTP %d", ok.status)
	}
}
