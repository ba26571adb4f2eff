package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// syncBuffer is a bytes.Buffer that a command's goroutine may write while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until buf holds want, failing the test after a generous
// deadline (a guard against hangs, not a timing assertion).
func waitFor(t *testing.T, buf *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %q in:\n%s", want, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func never(any) bool { return false }

// runShell runs a scripted shell session on the demo site.
func runShell(t *testing.T, script string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(script), stdout: &out, stderr: &errOut, terminal: never, now: time.Now}
	code := c.run(context.Background(), append([]string{"--demo", "--shell"}, args...))
	return code, out.String(), errOut.String()
}

func TestShellRunsMultiLineStatementsEndedBySemicolons(t *testing.T) {
	code, out, errOut := runShell(t, "SELECT ID, Title\n  FROM Projects\n  ORDER BY ID LIMIT 2;\nSELECT COUNT(*) FROM Projects; SELECT ID FROM Projects WHERE ID = 3;\n")
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"spsql> SELECT ID, Title\n    ->   FROM Projects\n    ->   ORDER BY ID LIMIT 2;\nID | Title",
		"(2 rows)\n",
		"COUNT(*)\n--------\n      30\n(1 row)\n",
		"ID\n--\n 3\n(1 row)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestShellBackslashCommands(t *testing.T) {
	script := strings.Join([]string{
		`\?`,
		`\d`,
		`\d Tasks`,
		`\x`,
		`SELECT ID, Title FROM Projects WHERE ID = 1;`,
		`\x off`,
		`\timing`,
		`\explain SELECT Title FROM Tasks WHERE ID = 3;`,
		`\timing off`,
		`\explain`,
		`\x sideways`,
		`\nope`,
		`\q`,
		`SELECT 'never run' FROM Tasks;`,
	}, "\n") + "\n"
	code, out, errOut := runShell(t, script)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		`\explain SQL    show how SQL would run`,
		"Projects  |        30 |",
		"Due Date         | DueDate",
		"Expanded display is on.\n",
		"-[ RECORD 1 ]\nID    | 1\nTitle | Website relaunch\n",
		"Expanded display is off.\n",
		"Timing is on.\n",
		"$filter=ID eq 3",
		"Time: ",
		"Timing is off.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "Time: ") != 1 {
		t.Errorf("timing printed %d times, want once:\n%s", strings.Count(out, "Time: "), out)
	}
	if strings.Contains(out, "never run") {
		t.Error("a statement after \\q ran")
	}
	for _, want := range []string{
		`\explain needs a statement`,
		`\x takes on or off, not "sideways"`,
		`invalid command \nope; try \? for help`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestShellReportsErrorsAndGoesOn(t *testing.T) {
	code, out, errOut := runShell(t, "SELECT Nope FROM Tasks;\nSELECT * FROM Missing;\nSELECT COUNT(*) FROM Tasks;\n")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errOut, `column "Nope"`) || !strings.Contains(errOut, `list "Missing" does not exist`) {
		t.Errorf("stderr = %q", errOut)
	}
	if !strings.Contains(out, "     250\n(1 row)") {
		t.Errorf("the statement after the errors did not run:\n%s", out)
	}
}

func TestShellRunsBackslashCommandsInsideAStatement(t *testing.T) {
	code, out, errOut := runShell(t, "SELECT COUNT(*)\n\\x\nFROM Projects;\n\\x\nSELECT 1\n\\q\nFROM Tasks;\n")
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "Expanded display is on.\n    -> FROM Projects;\n-[ RECORD 1 ]\nCOUNT(*) | 30\n") || strings.Contains(out, "FROM Tasks") {
		t.Errorf("output:\n%s", out)
	}
}

func TestShellAtEndOfInputDropsAnUnfinishedStatement(t *testing.T) {
	code, out, errOut := runShell(t, "SELECT COUNT(*) FROM Tasks")
	if code != exitOK || errOut != "" || strings.Contains(out, "250") {
		t.Errorf("exit %d, stderr %q, out %q", code, errOut, out)
	}
}

func TestShellDescribeQuotesListNames(t *testing.T) {
	for in, want := range map[string]string{
		"Tasks":         "[Tasks]",
		"Project Tasks": "[Project Tasks]",
		"[Odd]]Name]":   "[Odd]]Name]",
		"a]b":           "[a]]b]",
		`"Quoted"`:      `"Quoted"`,
	} {
		if got := quoteListName(in); got != want {
			t.Errorf("quoteListName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCtrlCCancelsTheRunningQuery sends SIGINT (as main's signal channel
// would) while a query waits on a slow SharePoint: the query is cancelled,
// the shell says so and runs the next statement.
func TestCtrlCCancelsTheRunningQuery(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	front := newWatchedProxy(t, srv.URL, "/items")
	stdin, typed := io.Pipe()
	defer typed.Close()
	var out, errOut syncBuffer
	interrupts := make(chan os.Signal, 1)
	c := &cli{stdin: stdin, stdout: &out, stderr: &errOut, interrupts: interrupts, terminal: never, now: time.Now}
	exited := make(chan int, 1)
	dsn := strings.ReplaceAll(srv.ConnString(), srv.URL, front.URL)
	go func() { exited <- c.run(context.Background(), []string{"--dsn", dsn, "--shell"}) }()

	// Warm up on the same list, so that the site's and the list's metadata
	// are cached and the slow request is the query's own page of items.
	// (The driver lets a metadata fetch run on for other callers when one
	// is cancelled; this test is about the query.)
	io.WriteString(typed, "SELECT Title FROM Tasks WHERE ID = 1;\n")
	waitFor(t, &out, "(1 row)")
	// A whole-list read also looks up the list's ItemCount in the site's
	// lists (to decide whether to read it in ID slices): cache them too.
	io.WriteString(typed, "SHOW TABLES;\n")
	waitFor(t, &out, "(3 rows)")
	srv.SetLatency(time.Hour)
	front.armed.Store(true)
	io.WriteString(typed, "SELECT Title FROM Tasks;\n")
	<-front.seen // the query waits on SharePoint
	interrupts <- os.Interrupt
	waitFor(t, &errOut, "spsql: query cancelled\n")
	srv.SetLatency(0)
	io.WriteString(typed, "SELECT COUNT(*) FROM Projects;\n\\q\n")
	if code := <-exited; code != exitOK {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(out.String(), "      30\n(1 row)") {
		t.Errorf("the next statement did not run:\n%s\nstderr: %s", out.String(), errOut.String())
	}
	if strings.Contains(errOut.String(), "context canceled") {
		t.Errorf("raw context error shown: %s", errOut.String())
	}
}

// Ctrl-C stops a query busy in the driver, not only one waiting on
// SharePoint: a four-way join of the demo's 250 tasks checks about 900
// million pairs, minutes of work without a request.
func TestCtrlCStopsAQueryBusyInTheDriver(t *testing.T) {
	stdin, typed := io.Pipe()
	defer typed.Close()
	var out, errOut syncBuffer
	interrupts := make(chan os.Signal, 1)
	c := &cli{stdin: stdin, stdout: &out, stderr: &errOut, interrupts: interrupts, terminal: never, now: time.Now}
	exited := make(chan int, 1)
	go func() { exited <- c.run(context.Background(), []string{"--demo", "--shell"}) }()
	io.WriteString(typed, "SELECT COUNT(*) FROM Tasks a, Tasks b, Tasks c, Tasks d WHERE a.ID < 60;\n")
	time.Sleep(300 * time.Millisecond) // the lists are read; the nested loop runs
	interrupts <- os.Interrupt
	waitFor(t, &errOut, "spsql: query cancelled\n")
	io.WriteString(typed, "SELECT COUNT(*) FROM Projects;\n\\q\n")
	if code := <-exited; code != exitOK {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(out.String(), "30\n(1 row)") {
		t.Errorf("the next statement did not run:\n%s\nstderr: %s", out.String(), errOut.String())
	}
}

func TestAStaleCtrlCDoesNotCancelTheNextQuery(t *testing.T) {
	var out, errOut bytes.Buffer
	interrupts := make(chan os.Signal, 1)
	interrupts <- os.Interrupt // typed while nothing ran
	c := &cli{stdin: strings.NewReader("SELECT COUNT(*) FROM Projects;\n"), stdout: &out, stderr: &errOut, interrupts: interrupts, terminal: never, now: time.Now}
	if code := c.run(context.Background(), []string{"--demo", "--shell"}); code != exitOK || errOut.Len() != 0 || !strings.Contains(out.String(), "30") {
		t.Errorf("exit %d, stderr %q, out %q", code, errOut.String(), out.String())
	}
}

func TestHistoryFileIsPrivate(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	path, err := historyPath()
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(home, ".spsql_history") {
		t.Errorf("history at %s", path)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("history file: %v, %v", fi.Mode(), err)
	}
}
