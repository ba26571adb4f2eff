package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A history file of the previous line editor (one plain entry per line)
// becomes JSON lines the line editor reads, entries in order; lines
// already in that form are kept, and the file stays private.
func TestMigrateHistoryKeepsOlderEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".spsql_history")
	old := "SELECT Title FROM Tasks;\nSHOW TABLES;\n" + `{"Index":0,"DateTime":"2026-12-01T10:00:00Z","Block":"SELECT 1 FROM Tasks LIMIT 1;"}` + "\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := migrateHistory(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var it historyItem
		if err := json.Unmarshal([]byte(line), &it); err != nil || it.Index != i {
			t.Fatalf("line %d %q: %v, index %d", i, line, err, it.Index)
		}
		blocks = append(blocks, it.Block)
	}
	want := []string{"SELECT Title FROM Tasks;", "SHOW TABLES;", "SELECT 1 FROM Tasks LIMIT 1;"}
	if strings.Join(blocks, "|") != strings.Join(want, "|") {
		t.Errorf("entries %q, want %q", blocks, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	// A file already in the new form is left untouched.
	before, _ := os.ReadFile(path)
	if err := migrateHistory(path); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("a migrated file was rewritten")
	}
}
