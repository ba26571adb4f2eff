package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeClock advances by step on every reading.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(step)
		return t
	}
}

func TestProgressShowsOnATerminalStderrDuringExports(t *testing.T) {
	var out, errOut bytes.Buffer
	path := filepath.Join(t.TempDir(), "tasks.csv")
	c := &cli{
		stdout: &out, stderr: &errOut,
		terminal: func(s any) bool { return s == &errOut },
		now:      fakeClock(100 * time.Millisecond),
	}
	code := c.run(context.Background(), []string{"--demo", "--format", "csv", "--output", path, "SELECT ID FROM Tasks"})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	got := errOut.String()
	if !strings.Contains(got, "\r\x1b[K5 rows  10 rows/s") {
		t.Errorf("no running progress line in %q", got)
	}
	if !strings.HasSuffix(got, "\r\x1b[K250 rows in 25.1s (9 rows/s)\n") {
		t.Errorf("no summary at the end of %q", got[max(0, len(got)-80):])
	}
	if b, _ := os.ReadFile(path); strings.Count(string(b), "\n") != 251 {
		t.Errorf("the export has %d lines", strings.Count(string(b), "\n"))
	}
}

func TestProgressIsQuietOffATerminalAndForTablesOnScreen(t *testing.T) {
	for name, terminal := range map[string]func(any) bool{
		"stderr not a terminal":   never,
		"results on the terminal": func(any) bool { return true },
	} {
		var out, errOut bytes.Buffer
		c := &cli{stdout: &out, stderr: &errOut, terminal: terminal, now: fakeClock(time.Second)}
		if code := c.run(context.Background(), []string{"--demo", "SELECT ID FROM Tasks"}); code != exitOK || errOut.Len() != 0 {
			t.Errorf("%s: exit %d, stderr %q", name, code, errOut.String())
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4321: "-4,321"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
