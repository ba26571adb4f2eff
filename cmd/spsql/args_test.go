package main

import (
	"bytes"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseInterspersed(t *testing.T) {
	for _, tt := range []struct {
		args       []string
		format     string
		demo       bool
		positional []string
	}{
		{[]string{"SELECT 1", "--format", "csv", "--demo"}, "csv", true, []string{"SELECT 1"}},
		{[]string{"--format=tsv", "a", "--demo=false", "b"}, "tsv", false, []string{"a", "b"}},
		// Not flags: a lone dash, negative numbers, SQL comments.
		{[]string{"-", "-1", "-- note\nSELECT 1", "--demo"}, "table", true, []string{"-", "-1", "-- note\nSELECT 1"}},
		// A flag's value is taken as is, even when it starts with a dash.
		{[]string{"--format", "-x", "SELECT 2"}, "-x", false, []string{"SELECT 2"}},
		{[]string{"--demo", "--", "--format", "csv"}, "table", true, []string{"--format", "csv"}},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		format := fs.String("format", "table", "")
		demo := fs.Bool("demo", false, "")
		var pos []string
		if err := parseInterspersed(fs, tt.args, func(a string) { pos = append(pos, a) }); err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if *format != tt.format || *demo != tt.demo || !reflect.DeepEqual(pos, tt.positional) {
			t.Errorf("%q: format %q, demo %v, positional %q", tt.args, *format, *demo, pos)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("format", "", "")
	if err := parseInterspersed(fs, []string{"SELECT 1", "--format"}, func(string) {}); err == nil || !strings.Contains(err.Error(), "needs an argument") {
		t.Errorf("a flag without its value: %v", err)
	}
}

// TestRequestLogShowsNoUserInfoNorBodies: the -v line has method, URL,
// status and time, and nothing of the URL's user information, the
// request's headers or either body.
func TestRequestLogShowsNoUserInfoNorBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, `{"access_token":"answer-secret"}`)
	}))
	defer srv.Close()
	var out bytes.Buffer
	tick := time.Unix(0, 0)
	log := &requestLog{next: srv.Client().Transport, out: &out, now: func() time.Time { tick = tick.Add(1500 * time.Microsecond); return tick }}
	client := &http.Client{Transport: log}
	u := strings.Replace(srv.URL, "http://", "http://user:url-secret@", 1) + "/t/oauth2/v2.0/token?p=1#frag"
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader("refresh_token=body-secret"))
	req.Header.Set("Authorization", "Bearer header-secret")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := "spsql: POST " + srv.URL + "/t/oauth2/v2.0/token?p=1 → 418 I'm a teapot (1.5ms)\n"
	if out.String() != want {
		t.Errorf("logged %q, want %q", out.String(), want)
	}
}

func TestVerboseWithProxyHostIsRefused(t *testing.T) {
	dsn := "ServiceURL=https://contoso.sharepoint.com/sites/a;AccessToken=tok-secret;ProxyHost=proxy.example:8080"
	code, out, errOut := runCLI(t, "", "--dsn", dsn, "-v", "-c", "SELECT ID FROM Tasks")
	if code != exitError || out != "" || !strings.Contains(errOut, "-v cannot be combined with the ProxyHost property") || strings.Contains(errOut, "tok-secret") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestRequestLogSaysWhenARequestIsSlow: a request unanswered after the
// slow threshold gets a line saying it is still waiting, before the line
// of its answer, so that -v against a slow server is not silent.
func TestRequestLogSaysWhenARequestIsSlow(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock() // before srv.Close, which waits for the handler
	var out syncBuffer
	log := &requestLog{next: srv.Client().Transport, out: &out, now: time.Now, slow: time.Millisecond}
	done := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Transport: log}).Get(srv.URL + "/sites/x/_api/web")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	waitFor(t, &out, "still waiting\n")
	unblock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || lines[0] != "spsql: GET "+srv.URL+"/sites/x/_api/web … no answer yet after 1ms, still waiting" ||
		!strings.HasPrefix(lines[1], "spsql: GET "+srv.URL+"/sites/x/_api/web → 200 OK (") {
		t.Errorf("logged %q", lines)
	}
}
