package spsql

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadIniSection feeds arbitrary odbc.ini files to the reader and the
// property rules: no panic, and whatever parses is a valid configuration
// that round-trips through FormatDSN.
func FuzzReadIniSection(f *testing.F) {
	f.Add(seedIni, "Microsoft SharePoint")
	f.Add("[SP]\nServiceURL = https://x.sharepoint.com/sites/a\nAccessToken=t\n; comment\n# comment\n", "sp")
	f.Add("\uFEFF[SP]\r\nServiceURL=https://x.sharepoint.com\r\nAccessToken=t\r\n", "SP")
	f.Add("[SP\nServiceURL=x\n", "SP")
	f.Add("[SP]\nDSN=other\n", "SP")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content, section string) {
		path := filepath.Join(dir, "odbc.ini")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		pairs, found, err := readIniSection(path, section)
		if err != nil || !found {
			return
		}
		cfg := NewConfig()
		if applyPairs(cfg, pairs) != nil || cfg.normalize() != nil {
			return
		}
		again, err := ParseDSN(cfg.FormatDSN())
		if err != nil {
			t.Fatalf("a config read from odbc.ini does not round-trip: %v", err)
		}
		if again.FormatDSN() != cfg.FormatDSN() {
			t.Fatal("FormatDSN is not a fixed point")
		}
	})
}
