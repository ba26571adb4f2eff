package main

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// binary is the spsql command, built once by TestMain for the tests that
// run it as a subprocess, as a user would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spsql-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "spsql")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building spsql:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// runBinary runs the built command with env added to the environment
// (SPSQL_DSN and ODBCINI cleared unless given) and returns its exit code,
// stdout and stderr.
func runBinary(t *testing.T, stdin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "SPSQL_DSN=", "ODBCINI="+filepath.Join(t.TempDir(), "none.ini"), "HOME="+t.TempDir())
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running spsql: %v", err)
		}
		code = ee.ExitCode()
	}
	return code, out.String(), errOut.String()
}

// watchedProxy puts a reverse proxy in front of target and reports, once
// armed, the first request whose path contains pathPart: the test then
// knows a query is waiting on SharePoint. The Host header is kept, so the
// emulator's links point back through the proxy.
type watchedProxy struct {
	*httptest.Server
	armed atomic.Bool
	seen  chan string
}

func newWatchedProxy(t *testing.T, target, pathPart string) *watchedProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &watchedProxy{seen: make(chan string, 1)}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
		// Cancelled requests are the point of these tests; don't log them.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(strings.ToLower(r.URL.Path), pathPart) && p.armed.CompareAndSwap(true, false) {
			p.seen <- r.URL.Path
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func TestBinaryRunsTheDemo(t *testing.T) {
	code, out, errOut := runBinary(t, "", nil, "--demo", "SELECT COUNT(*) FROM Tasks")
	if code != exitOK || out != "COUNT(*)\n--------\n     250\n(1 row)\n" || errOut != "" {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	code, out, _ = runBinary(t, "", nil, "--demo", "EXPLAIN SELECT Title FROM Tasks WHERE Status = 'Blocked' ORDER BY [Due Date] LIMIT 3")
	for _, want := range []string{"GET items of list 'Tasks'", "$filter=Status eq 'Blocked'", "$orderby=DueDate"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("EXPLAIN: exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	code, out, _ = runBinary(t, "SHOW TABLES;\nDESCRIBE Projects;\n", nil, "--demo", "--format", "tsv")
	if code != exitOK || !strings.Contains(out, "Tasks\t250\t") || !strings.Contains(out, "Column\tInternalName\tType") {
		t.Errorf("statements from stdin: exit %d\n%s", code, out)
	}
}

// directRows runs query straight through the driver and returns its rows
// as the text CSV and TSV print.
func directRows(t *testing.T, dsn, query string) (cols []string, rows [][]string) {
	t.Helper()
	db, err := sql.Open("sharepoint", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cols, _ = r.Columns()
	for r.Next() {
		vals, err := scanRow(r, len(cols))
		if err != nil {
			t.Fatal(err)
		}
		rec := make([]string, len(vals))
		for i, v := range vals {
			rec[i] = plainText(v)
		}
		rows = append(rows, rec)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, rows
}

// TestBinaryFormatsMatchTheDriver runs a query through the built command in
// every format against an emulator, parses the output back and compares
// it with the same query straight through the driver.
func TestBinaryFormatsMatchTheDriver(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite(), sptest.WithRefreshTokenReuseDetection())
	defer srv.Close()
	const query = "SELECT ID, Title, [Due Date], [Percent Complete], Tags, Notes FROM Tasks WHERE ID <= 40 ORDER BY ID"
	cols, want := directRows(t, srv.ConnString(), query)
	if len(want) != 40 {
		t.Fatalf("direct query: %d rows", len(want))
	}
	var outputs []string
	run := func(format string) string {
		t.Helper()
		// A fresh refresh token each run: the emulator refuses one that
		// was rotated away, as a run's refresh does.
		dsnFile := filepath.Join(t.TempDir(), "dsn")
		if err := os.WriteFile(dsnFile, []byte(srv.ConnString()), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runBinary(t, "", nil, "--dsn-file", dsnFile, "--format", format, query)
		if code != exitOK || errOut != "" {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		outputs = append(outputs, out, errOut)
		return out
	}

	records, err := csv.NewReader(strings.NewReader(run(formatCSV))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(records[0], cols) || !reflect.DeepEqual(records[1:], want) {
		t.Errorf("csv differs from the driver:\n%q\nwant %q", records, want)
	}

	tsv := strings.Split(strings.TrimSuffix(run(formatTSV), "\n"), "\n")
	unescape := strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n", `\r`, "\r")
	for i, line := range tsv[1:] {
		fields := strings.Split(line, "\t")
		for j := range fields {
			fields[j] = unescape.Replace(fields[j])
		}
		if !reflect.DeepEqual(fields, want[i]) {
			t.Errorf("tsv row %d = %q, want %q", i, fields, want[i])
		}
	}

	var objs []map[string]any
	if err := json.Unmarshal([]byte(run(formatJSON)), &objs); err != nil {
		t.Fatal(err)
	}
	jsonl := strings.Split(strings.TrimSuffix(run(formatJSONL), "\n"), "\n")
	if len(objs) != len(want) || len(jsonl) != len(want) {
		t.Fatalf("json has %d objects, jsonl %d lines, want %d", len(objs), len(jsonl), len(want))
	}
	for i, o := range objs {
		var line map[string]any
		if err := json.Unmarshal([]byte(jsonl[i]), &line); err != nil || !reflect.DeepEqual(line, o) {
			t.Errorf("jsonl line %d = %s, json object %v (%v)", i, jsonl[i], o, err)
		}
		for j, c := range cols {
			if got := jsonText(o[c]); got != want[i][j] {
				t.Errorf("json row %d column %s = %q, want %q", i, c, got, want[i][j])
			}
		}
		if _, ok := o["ID"].(float64); !ok {
			t.Errorf("json ID %v is not a number", o["ID"])
		}
	}
	assertNoSecrets(t, srv, outputs...)
}

// jsonText is a decoded JSON value as plainText prints the driver value.
func jsonText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// TestBinaryLoginThenODBCDataSource is the newcomer's path end to end with
// the built command: log in with a device code (the user approves the code
// the command shows), which writes an odbc.ini data source; a second run
// queries through it.
func TestBinaryLoginThenODBCDataSource(t *testing.T) {
	srv, secretFile := loginServer(t)
	dir := t.TempDir()
	ini := filepath.Join(dir, "odbc.ini")
	if err := os.WriteFile(ini, []byte("[Elsewhere]\nServiceURL=https://contoso.sharepoint.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, loginArgs(srv, secretFile, "--write-odbc-ini", ini, "--section", "Demo")...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "SPSQL_CLIENT_SECRET=")
	var out, errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &errOut, "Waiting for the sign-in")
	m := userCodeRE.FindStringSubmatch(errOut.String())
	if m == nil {
		cmd.Process.Kill()
		t.Fatalf("no code in %q", errOut.String())
	}
	if err := srv.Tokens.ApproveDeviceCode(m[2]); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("login: %v\n%s", err, errOut.String())
	}
	b, _ := os.ReadFile(ini)
	if !strings.HasPrefix(string(b), "[Elsewhere]\nServiceURL=https://contoso.sharepoint.com\n\n[Demo]\nServiceURL="+srv.ServiceURL()+"\n") {
		t.Errorf("odbc.ini:\n%s", b)
	}
	if fi, _ := os.Stat(ini); fi.Mode().Perm() != 0o600 {
		t.Errorf("odbc.ini mode %v", fi.Mode())
	}

	code, qout, qerr := runBinary(t, "", []string{"ODBCINI=" + ini}, "--odbc-dsn", "Demo", "--format", "jsonl", "SELECT ID, Title FROM Projects WHERE ID = 2")
	if code != exitOK || qout != `{"ID":2,"Title":"O'Brien & Co rebrand"}`+"\n" {
		t.Errorf("query through odbc.ini: exit %d, %q, %s", code, qout, qerr)
	}
	assertNoSecrets(t, srv, out.String(), errOut.String(), qout, qerr)
}

// TestBinaryErrors checks exit codes and messages, and that no secret
// appears on any stream, when things go wrong.
func TestBinaryErrors(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	dsn := srv.ConnString()
	revoked := srv.ConnString()
	srv.Tokens.RevokeRefreshToken(revoked[strings.LastIndex(revoked, "=")+1:])
	wrongSecret := strings.Replace(srv.ConnString(), srv.ClientSecret, "wrong-"+srv.ClientSecret[:4], 1)
	iniDir := t.TempDir()
	for _, tt := range []struct {
		name  string
		env   []string
		args  []string
		code  int
		wants []string
	}{
		{"an unknown flag", nil, []string{"--nope"}, exitUsage, []string{"spsql: flag provided but not defined: -nope", "(see spsql --help)"}},
		{"no connection", nil, []string{"SELECT 1"}, exitUsage, []string{"spsql: no connection"}},
		{"an unknown column", []string{"SPSQL_DSN=" + dsn}, []string{"SELECT Nope FROM Tasks"}, exitError, []string{`column "Nope"`}},
		{"a bad statement", []string{"SPSQL_DSN=" + dsn}, []string{"DELETE FROM"}, exitError, []string{"sqlparse: syntax error", "DELETE FROM\n"}},
		{"a revoked refresh token", nil, []string{"--dsn", revoked, "SELECT ID FROM Tasks"}, exitError, []string{"invalid_grant"}},
		{"a wrong client secret", nil, []string{"--dsn", wrongSecret, "SELECT ID FROM Tasks"}, exitError, []string{"invalid_client"}},
		{"a missing data source", []string{"ODBCINI=" + filepath.Join(iniDir, "odbc.ini")}, []string{"--odbc-dsn", "Nowhere", "SELECT 1"}, exitError, []string{"data source not found", "[Nowhere]"}},
		{"a missing dsn file", nil, []string{"--dsn-file", filepath.Join(iniDir, "nope"), "SELECT 1"}, exitUsage, []string{"--dsn-file"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runBinary(t, "", tt.env, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, errOut)
			}
			for _, w := range tt.wants {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic") {
				t.Errorf("a stack trace on stderr: %s", errOut)
			}
			assertNoSecrets(t, srv, out, errOut)
		})
	}
}
