package spsql_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Several *sql.DBs, or several processes, sharing one TokenCacheFile
// against an identity provider that refuses a refresh token used twice
// (the emulator's reuse detection) and issues access tokens that last one
// second, so that every participant refreshes many times and all of them
// start by refreshing the same token at the same moment. Nobody may ever
// be refused: each refresh must start from the newest refresh token.

// Each process runs at least sharedCacheQueries queries (each of the
// in-process DBs half as many), and goes on until sharedCacheSpan has
// passed, which outlasts three access tokens however fast the machine.
const (
	sharedCacheQueries = 2000
	sharedCacheSpan    = 3 * time.Second
)

// sharedCacheServer is an emulator whose access tokens last one second,
// whose token answers take 30 ms (which widens the window in which two
// uncoordinated refreshes overlap) and whose SharePoint answers take 1 ms
// (which keeps the query rate, and the test's CPU, modest).
func sharedCacheServer(t *testing.T) *sptest.Server {
	t.Helper()
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{
		Title:     "Cache",
		Generator: sptest.Synthetic(3, 20),
	}}}, sptest.WithRefreshTokenReuseDetection())
	srv.Tokens.SetAccessTokenLifetime(time.Second)
	srv.Tokens.SetLatency(30 * time.Millisecond)
	srv.SetLatency(time.Millisecond)
	return srv
}

// tally counts what one participant's queries did.
type tally struct {
	ok, failed, invalidGrant int
	first                    error
}

func (t tally) String() string {
	return fmt.Sprintf("ok=%d failed=%d invalid_grant=%d", t.ok, t.failed, t.invalidGrant)
}

// runSharedCacheQueries waits for start, then runs small queries on db:
// at least n, for at least sharedCacheSpan.
func runSharedCacheQueries(db *sql.DB, n int, start <-chan struct{}) tally {
	<-start
	var r tally
	begin := time.Now()
	for i := 0; i < n || time.Since(begin) < sharedCacheSpan; i++ {
		var id int
		err := db.QueryRowContext(context.Background(), "SELECT ID FROM Cache WHERE ID = ?", 1+i%20).Scan(&id)
		switch {
		case err == nil:
			r.ok++
		default:
			r.failed++
			if errors.Is(err, auth.ErrInvalidGrant) {
				r.invalidGrant++
			}
			if r.first == nil {
				r.first = err
			}
		}
	}
	return r
}

// refusedRefreshes counts the token endpoint's refusals.
func refusedRefreshes(srv *sptest.Server) (refused, total int) {
	for _, r := range srv.Tokens.Requests() {
		if r.Status != 200 {
			refused++
		}
	}
	return refused, srv.Tokens.RequestCount()
}

// noSecretIn fails the test, without printing it, when out shows a secret
// the emulator knows.
func noSecretIn(t *testing.T, srv *sptest.Server, what, out string) {
	t.Helper()
	for _, s := range srv.Tokens.Secrets() {
		if strings.Contains(out, s) {
			t.Fatalf("the %s shows a secret", what)
		}
	}
}

func TestSharedTokenCacheTwoDBsInOneProcess(t *testing.T) {
	srv := sharedCacheServer(t)
	defer srv.Close()
	dsn := srv.ConnString() + ";TokenCacheFile=" + filepath.Join(t.TempDir(), "tokens.json")

	// Two *sql.DBs opened from the same connection string, and one made
	// with a logger of its own (which keeps its token source apart: the
	// cache file alone must coordinate that one with the others).
	var dbs []*sql.DB
	for range 2 {
		db, err := sql.Open("sharepoint", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	{
		cfg, err := spsql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		connector, err := spsql.NewConnector(cfg, spsql.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(connector)
		defer db.Close()
		dbs = append(dbs, db)
	}

	start := make(chan struct{})
	results := make([]tally, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() { results[i] = runSharedCacheQueries(db, sharedCacheQueries/2, start) })
	}
	close(start)
	wg.Wait()

	refused, total := refusedRefreshes(srv)
	t.Logf("%d DBs: %v; token requests %d, refused %d", len(dbs), results, total, refused)
	for i, r := range results {
		if r.failed > 0 {
			msg := r.first.Error()
			noSecretIn(t, srv, "error", msg)
			t.Errorf("DB %d: %v; first error: %s", i, r, msg)
		}
	}
	if refused > 0 {
		t.Errorf("the token endpoint refused %d of %d refreshes: a refresh token was used twice", refused, total)
	}
	if total < 6 { // two sources, each refreshing three times at least
		t.Errorf("only %d token requests: the test did not make the DBs refresh", total)
	}
}

// The child side of TestSharedTokenCacheTwoProcesses: it runs only when
// that test starts this test binary again with the variable set.
const sharedCacheChildEnv = "SPSQL_TEST_SHARED_CACHE_DSN"

func TestSharedTokenCacheChild(t *testing.T) {
	dsn := os.Getenv(sharedCacheChildEnv)
	if dsn == "" {
		t.Skip("run by TestSharedTokenCacheTwoProcesses")
	}
	db, err := sql.Open("sharepoint", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := make(chan struct{})
	go func() {
		// The parent writes a line when every child is ready.
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		close(start)
	}()
	fmt.Println("READY")
	r := runSharedCacheQueries(db, sharedCacheQueries, start)
	first := ""
	if r.first != nil {
		first = strings.ReplaceAll(r.first.Error(), "\n", " ")
	}
	fmt.Printf("RESULT %v\nFIRST %s\n", r, first)
}

func TestSharedTokenCacheTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	srv := sharedCacheServer(t)
	defer srv.Close()
	dsn := srv.ConnString() + ";TokenCacheFile=" + filepath.Join(t.TempDir(), "tokens.json")

	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
		log   strings.Builder
	}
	children := make([]*child, 2)
	for i := range children {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSharedTokenCacheChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), sharedCacheChildEnv+"="+dsn)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		c := &child{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
		cmd.Stderr = &c.log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		children[i] = c
	}
	// Wait until both are ready, then let them go together.
	for i, c := range children {
		for {
			line, err := c.out.ReadString('\n')
			if err != nil {
				t.Fatalf("child %d ended before it was ready: %v", i, err)
			}
			c.log.WriteString(line)
			if strings.HasPrefix(line, "READY") {
				break
			}
		}
	}
	for _, c := range children {
		fmt.Fprintln(c.stdin, "go")
	}
	for i, c := range children {
		rest, _ := io.ReadAll(c.out)
		c.log.Write(rest)
		err := c.cmd.Wait()
		out := c.log.String()
		noSecretIn(t, srv, "child's output", out)
		result, first := "", ""
		for line := range strings.Lines(out) {
			if s, ok := strings.CutPrefix(line, "RESULT "); ok {
				result = strings.TrimSpace(s)
			}
			if s, ok := strings.CutPrefix(line, "FIRST "); ok {
				first = strings.TrimSpace(s)
			}
		}
		t.Logf("process %d: %s", i, result)
		if err != nil || result == "" {
			t.Errorf("process %d: %v\n%s", i, err, out)
			continue
		}
		if !strings.Contains(result, "failed=0 ") {
			t.Errorf("process %d: %s; first error: %s", i, result, first)
		}
	}
	refused, total := refusedRefreshes(srv)
	t.Logf("token requests %d, refused %d", total, refused)
	if refused > 0 {
		t.Errorf("the token endpoint refused %d of %d refreshes: a refresh token was used twice", refused, total)
	}
	if total < 6 {
		t.Errorf("only %d token requests: the test did not make the processes refresh", total)
	}
}
