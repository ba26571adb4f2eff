package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpdateINISection(t *testing.T) {
	set := []iniPair{{"ServiceURL", "https://new"}, {"RefreshToken", "rt2"}}
	drop := []string{"AccessToken"}
	for _, tt := range []struct{ name, in, want string }{
		{
			name: "an empty file gets the section",
			in:   "",
			want: "[Team]\nServiceURL=https://new\nRefreshToken=rt2\n",
		},
		{
			name: "other sections and comments are kept, the section is updated in place",
			in:   "; comment\n[Other]\nServiceURL=https://other\n\n[team]\n# note\nservice url=x\nServiceURL = https://old\nWSFetchSize=500\nAccessToken=old\n\n[Last]\nA=b\n",
			want: "; comment\n[Other]\nServiceURL=https://other\n\n[team]\n# note\nservice url=x\nServiceURL=https://new\nWSFetchSize=500\nRefreshToken=rt2\n\n[Last]\nA=b\n",
		},
		{
			name: "duplicated keys are written once",
			in:   "[Team]\nRefreshToken=a\nRefreshToken=b\n",
			want: "[Team]\nRefreshToken=rt2\nServiceURL=https://new\n",
		},
		{
			name: "a file without the section gets it at the end",
			in:   "[Other]\nA=b",
			want: "[Other]\nA=b\n\n[Team]\nServiceURL=https://new\nRefreshToken=rt2\n",
		},
		{
			name: "CRLF files stay CRLF",
			in:   "[Other]\r\nA=b\r\n",
			want: "[Other]\r\nA=b\r\n\r\n[Team]\r\nServiceURL=https://new\r\nRefreshToken=rt2\r\n",
		},
	} {
		if got := updateINISection(tt.in, "Team", set, drop); got != tt.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestWriteODBCSectionIsPrivateAndAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "odbc.ini")
	if err := os.WriteFile(path, []byte("[Other]\nA=b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeODBCSection(path, "Team", []iniPair{{"RefreshToken", "s3cr3t"}}, nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "[Other]\nA=b\n\n[Team]\nRefreshToken=s3cr3t\n" {
		t.Errorf("file = %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	for _, tt := range []struct {
		section string
		pairs   []iniPair
		want    string
	}{
		{"Bad]Name", nil, "data source name"},
		{"", nil, "data source name"},
		{"Team", []iniPair{{"ClientSecret", "two\nlines"}}, "value of ClientSecret cannot be written"},
	} {
		err := writeODBCSection(path, tt.section, tt.pairs, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "two") {
			t.Errorf("%q %v: %v", tt.section, tt.pairs, err)
		}
	}
}
