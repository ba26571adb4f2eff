package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// These tests run the built command (see TestMain) as a user would.

func TestBinaryTakesFlagsAnywhere(t *testing.T) {
	code, out, errOut := runBinary(t, "", nil, "--demo", "SELECT ID FROM Tasks ORDER BY ID LIMIT 1", "--format", "csv")
	if code != exitOK || out != "ID\r\n1\r\n" || errOut != "" { // CSV ends lines with CRLF
		t.Errorf("flags after the SQL: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	code, out, errOut = runBinary(t, "", nil, "SELECT ID FROM Tasks ORDER BY ID LIMIT 2", "--format=tsv", "--demo")
	if code != exitOK || out != "ID\n1\n2\n" || errOut != "" {
		t.Errorf("flags around the SQL: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	// "--" ends the flags: what follows is SQL, even when it looks like a
	// flag (it does not parse, so nothing runs).
	code, out, errOut = runBinary(t, "", nil, "--demo", "--format", "tsv", "--", "SELECT ID FROM Tasks ORDER BY ID LIMIT 1", "-x")
	if code != exitError || out != "" || !strings.Contains(errOut, "sqlparse: ") || !strings.Contains(errOut, "in argument #2;") {
		t.Errorf("after --: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}

func TestBinaryRunsCommandsAndFilesInOrder(t *testing.T) {
	// Comments hold apostrophes, quotes and semicolons: they must neither
	// open a string nor end a statement.
	script := filepath.Join(t.TempDir(), "script.sql")
	if err := os.WriteFile(script, []byte("SELECT ID FROM Tasks ORDER BY ID LIMIT 1; -- don't\n"+
		"SELECT COUNT(*) AS n FROM Projects; # it's \"quoted\"; isn't it\n"+
		"/* a 'multi-line; comment\n */ SELECT ID AS last FROM Projects ORDER BY ID DESC LIMIT 1 -- no ';' at the end\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdin := "SELECT 'from stdin' AS s FROM Tasks LIMIT 1; -- that's all\n"
	code, out, errOut := runBinary(t, stdin, nil, "--demo", "--format", "tsv",
		"-c", "SELECT 'first' AS c FROM Tasks LIMIT 1",
		"-f", script,
		"SELECT 'an argument' AS a FROM Tasks LIMIT 1",
		"-c", "SELECT 'second' AS c FROM Tasks LIMIT 1; SELECT 'third' AS c FROM Tasks LIMIT 1;",
		"-f", "-")
	want := "c\nfirst\nID\n1\nn\n30\nlast\n30\na\nan argument\nc\nsecond\nc\nthird\ns\nfrom stdin\n"
	if code != exitOK || out != want || errOut != "" {
		t.Errorf("exit %d\nstdout %q, want\n       %q\nstderr %q", code, out, want, errOut)
	}
	code, _, errOut = runBinary(t, "", nil, "--demo", "-f", filepath.Join(t.TempDir(), "missing.sql"))
	if code != exitError || !strings.Contains(errOut, "spsql: -f: ") || !strings.Contains(errOut, "missing.sql") {
		t.Errorf("a missing -f file: exit %d, stderr %q", code, errOut)
	}
}

func TestBinarySuggestsAMisspelledFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--demo", "SELECT ID FROM Tasks", "--fromat", "csv"}, "flag provided but not defined: -fromat (did you mean --format?)"},
		{[]string{"--demo", "--verbsoe"}, "(did you mean --verbose?)"},
		{[]string{"serve", "--adr", "127.0.0.1:0"}, "(did you mean --addr?)"},
	} {
		code, out, errOut := runBinary(t, "", nil, tt.args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", tt.args, code, out, errOut, tt.want)
		}
	}
	code, _, errOut := runBinary(t, "", nil, "--demo", "--zzzzzzzz")
	if code != exitUsage || strings.Contains(errOut, "did you mean") {
		t.Errorf("nothing close: exit %d, stderr %q", code, errOut)
	}
}

func TestBinaryVerboseShowsRequestsWithoutSecrets(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	code, out, errOut := runBinary(t, "", nil, "--dsn", srv.ConnString(), "-c", "SELECT ID FROM Tasks ORDER BY ID LIMIT 1", "-v", "--format", "tsv")
	if code != exitOK || out != "ID\n1\n" {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	for _, want := range []string{
		"spsql: POST " + srv.TokenURL() + " → 200 OK (",
		"spsql: GET " + srv.ServiceURL() + "/_api/web/lists/getbytitle('Tasks')/items?",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// The token request's body held the client secret and the refresh
	// token, its answer new tokens: none may show.
	assertNoSecrets(t, srv, out, errOut)
	if len(srv.Tokens.Secrets()) < 3 {
		t.Errorf("the emulator knows %d secrets; the check above proves little", len(srv.Tokens.Secrets()))
	}
	// A failed request is shown too; without -v nothing is.
	srv.FailNext(10, 404)
	code, _, errOut = runBinary(t, "", nil, "--dsn", srv.ConnString(), "--verbose", "-c", "SELECT ID FROM Tasks")
	if code != exitError || !strings.Contains(errOut, "→ 404 Not Found (") {
		t.Errorf("a failing request: exit %d, stderr %q", code, errOut)
	}
	assertNoSecrets(t, srv, errOut)
	srv.ClearFaults()
	if code, _, errOut := runBinary(t, "", nil, "--dsn", srv.ConnString(), "-c", "SELECT ID FROM Tasks LIMIT 1"); code != exitOK || errOut != "" {
		t.Errorf("without -v: exit %d, stderr %q", code, errOut)
	}
}

// startServe starts the built "spsql serve" and returns it, the first
// line of its standard output and its standard error.
func startServe(t *testing.T, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var errOut syncBuffer
	cmd.Stderr = &errOut
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line of spsql serve: %v; stderr:\n%s", err, errOut.String())
	}
	return cmd, strings.TrimSuffix(line, "\n"), &errOut
}

func TestBinaryServeIsReachedByASecondProcess(t *testing.T) {
	cmd, dsn, errOut := startServe(t, "-v")
	if !strings.HasPrefix(dsn, "ServiceURL=http://127.0.0.1:") {
		t.Fatalf("first line %q", dsn)
	}
	code, out, qErr := runBinary(t, "", nil, "--dsn", dsn, "-c", "SELECT COUNT(*) AS n FROM Projects", "--format", "tsv")
	if code != exitOK || out != "n\n30\n" {
		t.Fatalf("second process: exit %d\nstdout %q\nstderr %q", code, out, qErr)
	}
	// -v logs the requests the server answered.
	waitFor(t, errOut, "/_api/web/lists/getbytitle('Projects')")
	if !strings.Contains(errOut.String(), "status=200") || !strings.Contains(errOut.String(), "/oauth2/v2.0/devicelogin") {
		t.Errorf("stderr:\n%s", errOut.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGINT: %v; stderr:\n%s", err, errOut.String())
	}
	if !strings.HasSuffix(errOut.String(), "spsql serve: stopped\n") {
		t.Errorf("stderr:\n%s", errOut.String())
	}
}

func TestBinaryServesASiteFromJSON(t *testing.T) {
	site := filepath.Join(t.TempDir(), "site.json")
	if err := os.WriteFile(site, []byte(`{"Title":"Mine","Path":"/sites/mine","Lists":[
		{"Title":"Books","Fields":[{"Title":"Pages","Type":"Number"}],
		 "Items":[{"Title":"Dune","Pages":412},{"Title":"Emma","Pages":474}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, dsn, errOut := startServe(t, "--site", site, "--addr", "127.0.0.1:0")
	if !strings.Contains(dsn, "/sites/mine;") {
		t.Fatalf("first line %q", dsn)
	}
	code, out, qErr := runBinary(t, "", nil, "--dsn", dsn, "-c", "SELECT Title, Pages FROM Books ORDER BY Title", "--format", "tsv")
	if code != exitOK || out != "Title\tPages\nDune\t412\nEmma\t474\n" {
		t.Fatalf("second process: exit %d\nstdout %q\nstderr %q", code, out, qErr)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v; stderr:\n%s", err, errOut.String())
	}
	if strings.Contains(errOut.String(), "sptest: request") {
		t.Errorf("requests logged without -v:\n%s", errOut.String())
	}
}

func TestBinaryServeRefusesBadArguments(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"Lists":[{"Title":"X","Nope":1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "0.0.0.0:0"}, "not a loopback address"},
		{[]string{"serve", "--site", bad}, "spsql: --site: "},
		{[]string{"serve", "extra"}, "serve takes no arguments"},
	} {
		code, out, errOut := runBinary(t, "", nil, tt.args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", tt.args, code, out, errOut, tt.want)
		}
	}
	var buf bytes.Buffer
	if code := run(t.Context(), []string{"serve", "--help"}, strings.NewReader(""), &buf, &buf); code != exitOK || !strings.Contains(buf.String(), "Usage: spsql serve") {
		t.Errorf("serve --help: exit %d, %q", code, buf.String())
	}
}

// TestBinarySplitsStatementsOutsideComments: an apostrophe in a comment
// opens no string, so the statement after it runs (standard input, as
// scripts are piped in).
func TestBinarySplitsStatementsOutsideComments(t *testing.T) {
	stdin := "SELECT ID FROM Tasks ORDER BY ID LIMIT 1; -- don't\nSELECT COUNT(*) AS n FROM Projects;\nSELECT COUNT(*) AS m FROM Tasks;\n"
	code, out, errOut := runBinary(t, stdin, nil, "--demo", "--format", "tsv")
	if code != exitOK || out != "ID\n1\nn\n30\nm\n250\n" || errOut != "" {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}

// TestShellEndsStatementsOutsideComments: the shell's check for a complete
// statement uses the same splitter.
func TestShellEndsStatementsOutsideComments(t *testing.T) {
	code, out, errOut := runShell(t, "SELECT COUNT(*) AS n FROM Projects; -- don't\nSELECT COUNT(*) AS m\nFROM Tasks; # it's\n", "--format", "tsv")
	if code != exitOK || errOut != "" || !strings.Contains(out, "n\n30\n") || !strings.Contains(out, "m\n250\n") {
		t.Errorf("exit %d, stderr %q, out:\n%s", code, errOut, out)
	}
}

// TestBinaryServeApprovesADeviceCodeSignIn follows the README's device
// code sign-in against spsql serve, as a client would: a device code for
// the public client the server prints, approved as a user would with
// "curl -d user_code=CODE" on the sign-in page, then redeemed for tokens
// that reach the site.
func TestBinaryServeApprovesADeviceCodeSignIn(t *testing.T) {
	cmd, dsn, errOut := startServe(t)
	waitFor(t, errOut, "/devicelogin\n")
	banner := errOut.String()
	field := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(banner)
		if m == nil {
			t.Fatalf("no %s in:\n%s", re, banner)
		}
		return m[1]
	}
	tokenURL := field(`--token-uri (\S+)`)
	clientID := field(`--client-id (\S+)`)
	serviceURL := field(`--service-url (\S+)`)
	loginPage := field(`then open (\S+)`)
	if !strings.Contains(dsn, "ServiceURL="+serviceURL+";") {
		t.Errorf("--service-url %s is not the connection string's: %s", serviceURL, dsn)
	}
	post := func(u string, form url.Values) (int, string) {
		t.Helper()
		resp, err := http.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	scope := strings.TrimSuffix(serviceURL, "/sites/demo") + "/.default offline_access"
	status, body := post(strings.Replace(tokenURL, "/token", "/devicecode", 1), url.Values{"client_id": {clientID}, "scope": {scope}})
	userCode, deviceCode := jsonField(t, body, "user_code"), jsonField(t, body, "device_code")
	if status != http.StatusOK || jsonField(t, body, "verification_uri") != loginPage {
		t.Fatalf("devicecode: %d %s; the banner's page is %s", status, body, loginPage)
	}
	if status, body := post(loginPage, url.Values{"user_code": {userCode}}); status != http.StatusOK || !strings.Contains(body, "You have signed in") {
		t.Fatalf("approving: %d %s", status, body)
	}
	status, body = post(tokenURL, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		"client_id": {clientID}, "device_code": {deviceCode}})
	refresh := jsonField(t, body, "refresh_token")
	if status != http.StatusOK || refresh == "" {
		t.Fatalf("redeeming: %d %s", status, body)
	}
	signedIn := "ServiceURL=" + serviceURL + ";ClientID=" + clientID + ";TokenURI=" + tokenURL + ";RefreshToken=" + refresh
	if code, out, qErr := runBinary(t, "", []string{"SPSQL_DSN=" + signedIn}, "-c", "SELECT COUNT(*) AS n FROM Tasks", "--format", "tsv"); code != exitOK || out != "n\n250\n" {
		t.Errorf("with the signed-in token: exit %d, stdout %q, stderr %q", code, out, qErr)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGINT: %v", err)
	}
}

// jsonField returns the string field name of the JSON object body.
func jsonField(t *testing.T, body, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	s, _ := m[name].(string)
	return s
}
