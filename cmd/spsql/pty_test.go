package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// TestShellThroughATerminal drives the built command on a pseudo-terminal
// as a person would: line editing and history through the real line
// editor, Ctrl-C as the terminal's SIGINT while a query waits on a slow
// SharePoint, Ctrl-C at the prompt, and Ctrl-D to leave.
func TestShellThroughATerminal(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	front := newWatchedProxy(t, srv.URL, "/_api/")
	dsn := strings.ReplaceAll(srv.ConnString(), srv.URL, front.URL)
	dsnFile := filepath.Join(t.TempDir(), "dsn")
	if err := os.WriteFile(dsnFile, []byte(dsn), 0o600); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cmd := exec.Command(binary, "--dsn-file", dsnFile)
	cmd.Env = append(os.Environ(), "HOME="+home, "TERM=xterm", "SPSQL_DSN=")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer tty.Close()
	var screen syncBuffer
	copied := make(chan struct{})
	go func() { io.Copy(&screen, tty); close(copied) }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	}()
	typeKeys := func(s string) {
		t.Helper()
		if _, err := tty.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	// expect waits until want appears on the screen after what the last
	// expect matched, like expect(1).
	cursor := 0
	expect := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			if i := strings.Index(screen.String()[cursor:], want); i >= 0 {
				cursor += i + len(want)
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %q on the screen after:\n%s", want, screen.String()[cursor:])
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// The line editor prints its prompt once the terminal is in raw mode,
	// so keys typed after a prompt appeared reach the editor, not the
	// terminal's line discipline.
	expect("spsql> ")
	typeKeys("SELECT ID, Title\r")
	expect("    -> ")
	typeKeys("FROM Projects WHERE ID = 7;\r")
	expect("Café Menü redesign")
	expect("(1 row)")
	expect("spsql> ")

	// Ctrl-C while a query waits on SharePoint: the terminal, in cooked
	// mode while the query runs, turns it into SIGINT.
	srv.SetLatency(time.Hour)
	front.armed.Store(true)
	typeKeys("SELECT Title FROM Tasks;\r")
	select {
	case <-front.seen:
	case <-time.After(20 * time.Second):
		t.Fatalf("the query never reached SharePoint:\n%s", screen.String())
	}
	typeKeys("\x03")
	expect("spsql: query cancelled")
	srv.SetLatency(0)
	expect("spsql> ")

	// History: a statement typed over two lines is one entry. Up twice
	// goes back past "SELECT Title FROM Tasks;" to the whole first
	// statement, which Enter runs again.
	typeKeys("\x1b[A\x1b[A")
	expect("SELECT ID, Title")
	expect("FROM Projects WHERE ID = 7;")
	typeKeys("\r")
	expect("Café Menü redesign")
	expect("(1 row)")
	expect("spsql> ")

	// Completion: Tab after "FROM Ta" completes the list's name (the
	// statement then runs), and after "t." offers Tasks' columns, t being
	// Tasks' alias.
	typeKeys("SELECT ID FROM Ta\t")
	expect("Tasks")
	typeKeys(" LIMIT 1;\r")
	expect("(1 row)")
	expect("spsql> ")
	typeKeys("select id from ta\t") // completed ignoring case
	expect("Tasks")
	typeKeys(" limit 1;\r")
	expect("(1 row)")
	expect("spsql> ")
	typeKeys("SELECT * FROM Tasks t WHERE t.\t")
	for _, col := range []string{"t.Title", "t.Status", "t.[Due Date]"} {
		if !strings.Contains(waitScreen(t, &screen, cursor, col), col) {
			s := screen.String()[cursor:]
			t.Fatalf("completion did not offer %s:\n%q", col, s[max(0, len(s)-1500):])
		}
	}
	typeKeys("\x03")
	expect("spsql> ")

	// Ctrl-C at the prompt drops the line being typed; the shell goes on.
	typeKeys("SELECT garbage")
	expect("garbage")
	typeKeys("\x03")
	expect("spsql> ")
	typeKeys("\\timing\r")
	expect("Timing is on.")
	expect("spsql> ")
	typeKeys("\x04") // Ctrl-D on an empty line
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, screen.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("Ctrl-D did not end the shell:\n%s", screen.String())
	}
	<-copied
	if strings.Contains(screen.String(), "garbage") && strings.Contains(screen.String(), "does not exist") {
		t.Errorf("the line cleared by Ctrl-C ran:\n%s", screen.String())
	}

	hist, err := os.ReadFile(filepath.Join(home, ".spsql_history"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, line := range strings.Split(strings.TrimSpace(string(hist)), "\n") {
		var e struct{ Block string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("history line %q: %v", line, err)
		}
		entries = append(entries, e.Block)
	}
	for _, want := range []string{"SELECT ID, Title\nFROM Projects WHERE ID = 7;", "SELECT Title FROM Tasks;", "\\timing"} {
		if !slices.Contains(entries, want) {
			t.Errorf("history lacks %q: %q", want, entries)
		}
	}
	if fi, _ := os.Stat(filepath.Join(home, ".spsql_history")); fi.Mode().Perm() != 0o600 {
		t.Errorf("history mode %v", fi.Mode())
	}
}

// waitScreen waits until want appears on the screen after byte offset
// from, and returns the screen from there (without want after a timeout).
func waitScreen(t *testing.T, screen *syncBuffer, from int, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := screen.String()[from:]
		if strings.Contains(s, want) || time.Now().After(deadline) {
			return s
		}
		time.Sleep(10 * time.Millisecond)
	}
}
