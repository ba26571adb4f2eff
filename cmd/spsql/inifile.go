package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// iniPair is one key=value line to write into an odbc.ini section.
type iniPair struct{ key, value string }

// writeODBCSection sets the keys of the [section] data source in the
// odbc.ini file at path, creating the file or the section as needed.
//
// Keys in set replace the section's lines of the same name (matched
// case-insensitively, as the driver reads them); keys named in drop are
// removed; every other line of the file, comments included, is kept. The
// file is replaced atomically (a temporary file in the same directory,
// renamed over it) and ends up with mode 0600, since it holds secrets.
// Errors name keys, never values.
func writeODBCSection(path, section string, set []iniPair, drop []string) error {
	if section == "" || strings.ContainsAny(section, "[]\r\n") || strings.TrimSpace(section) != section {
		return fmt.Errorf("--section %q: a data source name must be non-empty, without brackets, line breaks or surrounding spaces", section)
	}
	for _, p := range set {
		// odbc.ini has no quoting: a value must survive as one trimmed line.
		if strings.ContainsAny(p.value, "\r\n") || strings.TrimSpace(p.value) != p.value {
			return fmt.Errorf("the value of %s cannot be written to odbc.ini (it has line breaks or surrounding spaces)", p.key)
		}
	}
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved // replace the file a link points to, not the link
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	updated := updateINISection(string(old), section, set, drop)

	tmp, err := os.CreateTemp(filepath.Dir(path), ".odbc.ini.tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(updated); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// updateINISection returns text with the [section] changes applied; see
// writeODBCSection. Line ends follow the file's (CRLF if it has any).
func updateINISection(text, section string, set []iniPair, drop []string) string {
	eol := "\n"
	if strings.Contains(text, "\r\n") {
		eol = "\r\n"
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1] // the final line end
	}
	isSetKey := func(k string) (int, bool) {
		for i, p := range set {
			if strings.EqualFold(p.key, k) {
				return i, true
			}
		}
		return 0, false
	}
	isDropKey := func(k string) bool {
		for _, d := range drop {
			if strings.EqualFold(d, k) {
				return true
			}
		}
		return false
	}
	written := make([]bool, len(set))
	var out []string
	// appendMissing adds the keys not written yet, before the blank lines
	// that end the section.
	appendMissing := func() {
		trailing := 0
		for trailing < len(out) && strings.TrimSpace(out[len(out)-1-trailing]) == "" {
			trailing++
		}
		tail := append([]string(nil), out[len(out)-trailing:]...)
		out = out[:len(out)-trailing]
		for i, p := range set {
			if !written[i] {
				out = append(out, p.key+"="+p.value)
				written[i] = true
			}
		}
		out = append(out, tail...)
	}
	inSection, found := false, false
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") {
			if inSection {
				appendMissing()
			}
			name := strings.TrimPrefix(trimmed, "[")
			if end := strings.IndexByte(name, ']'); end >= 0 {
				name = name[:end]
			}
			inSection = strings.EqualFold(strings.TrimSpace(name), section)
			found = found || inSection
			out = append(out, line)
			continue
		}
		if inSection && trimmed != "" && trimmed[0] != ';' && trimmed[0] != '#' {
			key, _, _ := strings.Cut(trimmed, "=")
			key = strings.TrimSpace(key)
			if i, ok := isSetKey(key); ok {
				if !written[i] {
					out = append(out, set[i].key+"="+set[i].value)
					written[i] = true
				}
				continue // a duplicate of a key already written
			}
			if isDropKey(key) {
				continue
			}
		}
		out = append(out, line)
	}
	if inSection {
		appendMissing()
	}
	if !found {
		if len(out) > 0 && strings.TrimSpace(out[len(out)-1]) != "" {
			out = append(out, "")
		}
		out = append(out, "["+section+"]")
		appendMissing()
	}
	return strings.Join(out, eol) + eol
}
