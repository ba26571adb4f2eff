package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// loginServer is a demo emulator whose device codes can be polled every
// second, and a file holding its client secret.
func loginServer(t *testing.T) (*sptest.Server, string) {
	t.Helper()
	srv := sptest.NewServer(sptest.DemoSite())
	t.Cleanup(srv.Close)
	srv.Tokens.SetDeviceCodeInterval(time.Second)
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(srv.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, secretFile
}

func loginArgs(srv *sptest.Server, secretFile string, more ...string) []string {
	return append([]string{"login", "--token-uri", srv.TokenURL(), "--client-id", srv.ClientID,
		"--client-secret-file", secretFile, "--service-url", srv.ServiceURL()}, more...)
}

// assertNoSecrets fails if any secret the emulator knows shows in outputs.
func assertNoSecrets(t *testing.T, srv *sptest.Server, outputs ...string) {
	t.Helper()
	for _, s := range srv.Tokens.Secrets() {
		for _, out := range outputs {
			if strings.Contains(out, s) {
				t.Errorf("a secret (%.6s…) leaked into output:\n%s", s, out)
			}
		}
	}
}

var userCodeRE = regexp.MustCompile(`open (\S+) and enter the code (\S+)`)

// startLogin runs spsql login in-process and returns its streams and a
// channel with its exit code.
func startLogin(t *testing.T, args []string) (*syncBuffer, *syncBuffer, chan int, chan os.Signal) {
	t.Helper()
	var out, errOut syncBuffer
	interrupts := make(chan os.Signal, 1)
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, interrupts: interrupts, terminal: never, now: time.Now}
	exited := make(chan int, 1)
	go func() { exited <- c.run(context.Background(), args) }()
	return &out, &errOut, exited, interrupts
}

func TestLoginWithDeviceCodeWritesAnODBCDataSource(t *testing.T) {
	srv, secretFile := loginServer(t)
	ini := filepath.Join(t.TempDir(), "odbc.ini")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // where the token cache file goes
	out, errOut, exited, _ := startLogin(t, loginArgs(srv, secretFile, "--write-odbc-ini", ini, "--section", "Demo Site"))
	waitFor(t, errOut, "Waiting for the sign-in")
	m := userCodeRE.FindStringSubmatch(errOut.String())
	if m == nil {
		t.Fatalf("no device code instructions in %q", errOut.String())
	}
	if err := srv.Tokens.ApproveDeviceCode(m[2]); err != nil {
		t.Fatal(err)
	}
	if code := <-exited; code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "Wrote data source [Demo Site] to "+ini) || !strings.Contains(errOut.String(), "spsql --odbc-dsn 'Demo Site'") {
		t.Errorf("stderr = %q", errOut.String())
	}
	assertNoSecrets(t, srv, out.String(), errOut.String())

	// The data source works, through odbc.ini as ODBCINI names it.
	t.Setenv("ODBCINI", ini)
	code, qout, qerr := runCLI(t, "", "--odbc-dsn", "Demo Site", "--format", "csv", "SELECT COUNT(*) FROM Projects")
	if code != exitOK || qout != "COUNT(*)\r\n30\r\n" {
		t.Errorf("query through the new data source: exit %d, %q, %s", code, qout, qerr)
	}
	assertNoSecrets(t, srv, qout, qerr)
}

func TestLoginPrintsTheConnectionStringMasked(t *testing.T) {
	srv, secretFile := loginServer(t)
	srv.Tokens.SetDeviceCodeAutoApprove(true)
	code, out, errOut := runCLI(t, "", loginArgs(srv, secretFile)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "ServiceURL=" + srv.ServiceURL() + ";ClientID=" + srv.ClientID + ";ClientSecret=***;TokenURI=" + srv.TokenURL() + ";RefreshToken=***\n"
	if out != want {
		t.Errorf("stdout = %q\nwant     %q", out, want)
	}
	assertNoSecrets(t, srv, out, errOut)

	// --show-secrets prints a connection string that works.
	code, out, errOut = runCLI(t, "", loginArgs(srv, secretFile, "--show-secrets", "--scope", srv.URL+"/AllSites.Read offline_access")...)
	if code != exitOK || !strings.Contains(out, "ClientSecret="+srv.ClientSecret+";") || !strings.Contains(out, ";Scope="+srv.URL+"/AllSites.Read offline_access") {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	code, qout, qerr := runCLI(t, "", "--dsn", strings.TrimSpace(out), "SELECT COUNT(*) FROM Projects")
	if code != exitOK || !strings.Contains(qout, "30") {
		t.Errorf("query with the printed string: exit %d, %q, %s", code, qout, qerr)
	}
}

func TestLoginWithAuthorizationCodeAndPKCE(t *testing.T) {
	srv, secretFile := loginServer(t)
	out, errOut, exited, _ := startLogin(t, loginArgs(srv, secretFile, "--auth-code", "--no-browser", "--show-secrets"))
	waitFor(t, errOut, "Waiting for the sign-in")
	authURL := regexp.MustCompile(`\s(http://\S+/authorize\?\S+)`).FindStringSubmatch(errOut.String())
	if authURL == nil {
		t.Fatalf("no sign-in address in %q", errOut.String())
	}
	if !strings.Contains(authURL[1], "code_challenge_method=S256") || !strings.Contains(authURL[1], "redirect_uri=http%3A%2F%2Flocalhost%3A") {
		t.Errorf("sign-in address %s", authURL[1])
	}
	// The browser: the emulator signs in and redirects to spsql's listener.
	resp, err := http.Get(authURL[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Signed in.") {
		t.Errorf("redirect page: %s", page)
	}
	if code := <-exited; code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	rt := regexp.MustCompile(`RefreshToken=([^;\n]+)`).FindStringSubmatch(out.String())
	if rt == nil {
		t.Fatalf("no refresh token in %q", out.String())
	}
	// The token endpoint saw the verifier and the redirect URI.
	var redeemed bool
	for _, r := range srv.Tokens.Requests() {
		if r.Form.Get("grant_type") == "authorization_code" && r.Status == 200 {
			redeemed = r.Form.Get("code_verifier") != "" && strings.HasPrefix(r.Form.Get("redirect_uri"), "http://localhost:")
		}
	}
	if !redeemed {
		t.Error("no PKCE redemption recorded")
	}
}

func TestLoginFailures(t *testing.T) {
	srv, secretFile := loginServer(t)

	t.Run("declined device code", func(t *testing.T) {
		_, errOut, exited, _ := startLogin(t, loginArgs(srv, secretFile))
		waitFor(t, errOut, "Waiting for the sign-in")
		if err := srv.Tokens.DeclineDeviceCode(userCodeRE.FindStringSubmatch(errOut.String())[2]); err != nil {
			t.Fatal(err)
		}
		if code := <-exited; code != exitError || !strings.Contains(errOut.String(), "spsql: login failed: the sign-in was declined") {
			t.Errorf("exit %d: %s", code, errOut.String())
		}
	})
	t.Run("Ctrl-C while waiting", func(t *testing.T) {
		_, errOut, exited, interrupts := startLogin(t, loginArgs(srv, secretFile))
		waitFor(t, errOut, "Waiting for the sign-in")
		interrupts <- os.Interrupt
		if code := <-exited; code != exitError || !strings.HasSuffix(errOut.String(), "spsql: login cancelled\n") {
			t.Errorf("exit %d: %s", code, errOut.String())
		}
	})
	t.Run("declined consent in the browser", func(t *testing.T) {
		srv.Tokens.DeclineAuthorizations(true)
		defer srv.Tokens.DeclineAuthorizations(false)
		_, errOut, exited, _ := startLogin(t, loginArgs(srv, secretFile, "--auth-code", "--no-browser"))
		waitFor(t, errOut, "Waiting for the sign-in")
		u := regexp.MustCompile(`\s(http://\S+/authorize\?\S+)`).FindStringSubmatch(errOut.String())[1]
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
		}
		if code := <-exited; code != exitError || !strings.Contains(errOut.String(), "login failed: access_denied: AADSTS65004") {
			t.Errorf("exit %d: %s", code, errOut.String())
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		srv.Tokens.SetDeviceCodeAutoApprove(true)
		defer srv.Tokens.SetDeviceCodeAutoApprove(false)
		code, out, errOut := runCLI(t, "", loginArgs(srv, secretFile, "--client-secret-file", "", "--client-secret", "not-the-secret")...)
		if code != exitError || !strings.Contains(errOut, "login failed: invalid_client: AADSTS7000215") || strings.Contains(errOut, "not-the-secret") {
			t.Errorf("exit %d: %s %s", code, out, errOut)
		}
		assertNoSecrets(t, srv, out, errOut)
	})
	t.Run("a token endpoint that quotes the posted form", func(t *testing.T) {
		srv.Tokens.SetDeviceCodeAutoApprove(true)
		defer srv.Tokens.SetDeviceCodeAutoApprove(false)
		srv.Tokens.SetEchoForm(true)
		defer srv.Tokens.SetEchoForm(false)
		const secret = "not+the/secret=value"
		code, out, errOut := runCLI(t, "", loginArgs(srv, secretFile, "--client-secret-file", "", "--client-secret", secret)...)
		if code != exitError || !strings.Contains(errOut, "client_secret=***") {
			t.Errorf("exit %d, the echo did not arrive redacted", code)
		}
		if strings.Contains(out+errOut, secret) || strings.Contains(out+errOut, url.QueryEscape(secret)) {
			t.Error("the output shows the client secret")
		}
		assertNoSecrets(t, srv, out, errOut)
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"login"}, "login needs --client-id"},
			{[]string{"login", "--client-id", "x"}, "login needs --service-url"},
			{[]string{"login", "--client-id", "x", "--service-url", "https://c.sharepoint.com"}, "login needs --tenant or --token-uri"},
			{[]string{"login", "--client-id", "x", "--service-url", "https://c.sharepoint.com", "--tenant", "t", "--section", "S"}, "--write-odbc-ini and --section go together"},
			{[]string{"login", "--client-id", "x", "--service-url", "https://c.sharepoint.com", "--tenant", "https://login"}, "not a URL"},
			{[]string{"login", "--client-id", "x", "--service-url", "https://c.sharepoint.com", "--token-uri", "https://idp.example/token"}, "needs --device-uri"},
			{[]string{"login", "--client-id", "x", "--service-url", "ftp://c.sharepoint.com", "--tenant", "t"}, "ServiceURL"},
			{[]string{"login", "--nope"}, "flag provided but not defined"},
		} {
			code, _, errOut := runCLI(t, "", tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("%v: exit %d, %q; want %q", tt.args, code, errOut, tt.want)
			}
		}
		if code, out, _ := runCLI(t, "", "login", "--help"); code != exitOK || !strings.Contains(out, "Usage: spsql login") {
			t.Errorf("login --help: %d %q", code, out)
		}
	})
}

func TestLoginTenantSetsTheEntraEndpoints(t *testing.T) {
	o, err := parseLoginArgs([]string{"--tenant", "contoso.onmicrosoft.com", "--client-id", "x", "--service-url", "https://contoso.sharepoint.com/sites/a"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	base := "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/"
	if o.tokenURI != base+"token" || o.deviceURI != base+"devicecode" || o.authURI != base+"authorize" {
		t.Errorf("endpoints %s %s %s", o.tokenURI, o.deviceURI, o.authURI)
	}
}
