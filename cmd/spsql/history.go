package main

import (
	"bytes"
	"encoding/json"
	"os"
	"time"
)

// historyItem is one entry of the history file as the line editor
// (github.com/reeflective/readline) reads and writes it: a JSON object per
// line, the statement in Block.
type historyItem struct {
	Index    int
	DateTime time.Time
	Block    string
}

// migrateHistory turns the lines of an older history file, written by the
// previous line editor as one plain entry per line, into the JSON lines
// the line editor reads (it skips any other line, so they would be lost to
// Up). Lines already in the new form are kept as they are. The file is
// rewritten only when it holds an old line, with mode 0600.
func migrateHistory(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	old := false
	n := 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var it historyItem
		if json.Unmarshal(line, &it) == nil && it.Block != "" {
			it.Index = n
		} else {
			old = true
			it = historyItem{Index: n, Block: string(bytes.TrimSpace(line))}
		}
		b, err := json.Marshal(it)
		if err != nil {
			return err
		}
		out.Write(b)
		out.WriteByte('\n')
		n++
	}
	if !old {
		return nil
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, out.Bytes(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
