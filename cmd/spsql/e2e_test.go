package main

import (
	"bytes"
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
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
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
}
