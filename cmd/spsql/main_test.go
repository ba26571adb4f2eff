package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDemoQueryInEveryFormat(t *testing.T) {
	const query = "SELECT ID, Title, [Due Date], [Percent Complete], Tags FROM Tasks WHERE Status = 'Blocked' ORDER BY ID LIMIT 7"
	// The same query straight through the driver, against the same data.
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	db, err := sql.Open("sharepoint", srv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]string
	for rows.Next() {
		vals, err := scanRow(rows, 5)
		if err != nil {
			t.Fatal(err)
		}
		rec := make([]string, len(vals))
		for i, v := range vals {
			rec[i] = plainText(v)
		}
		want = append(want, rec)
	}
	rows.Close()
	if len(want) != 7 {
		t.Fatalf("direct query gave %d rows", len(want))
	}

	code, out, errOut := runCLI(t, "", "--demo", "--format", "csv", query)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(records[1:]) != fmt.Sprint(want) || strings.Join(records[0], ",") != "ID,Title,Due Date,Percent Complete,Tags" {
		t.Errorf("csv = %q\nwant %q", records, want)
	}

	code, out, errOut = runCLI(t, "", "--demo", "--format", "json", query)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var objs []map[string]any
	if err := json.Unmarshal([]byte(out), &objs); err != nil || len(objs) != 7 {
		t.Fatalf("json: %v, %d objects", err, len(objs))
	}
	for i, o := range objs {
		if fmt.Sprint(o["ID"]) != want[i][0] || o["Title"] != want[i][1] {
			t.Errorf("json row %d = %v, want %v", i, o, want[i])
		}
	}

	code, out, _ = runCLI(t, "", "--demo", query)
	if code != exitOK || !strings.Contains(out, "(7 rows)") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
}

func TestStatementsFromStdin(t *testing.T) {
	code, out, errOut := runCLI(t, "SHOW TABLES;\nSELECT COUNT(*) FROM Projects;", "--demo", "--format", "tsv")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Name\tItemCount\tDescription", "Projects\t30\t", "COUNT(*)\n30\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	code, out, errOut := runCLI(t, "", "--demo", "--format", "jsonl", "--output", path, "SELECT ID FROM Projects ORDER BY ID LIMIT 3")
	if code != exitOK || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "{\"ID\":1}\n{\"ID\":2}\n{\"ID\":3}\n" {
		t.Errorf("file = %q, %v", b, err)
	}
}

func TestExitCodesAndMessages(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--format", "xml", "--demo"}, exitUsage, `--format must be one of`},
		{[]string{"--bogus"}, exitUsage, "flag provided but not defined: -bogus"},
		{[]string{"--demo", "--dsn", "x"}, exitUsage, "give only one of"},
		{[]string{"--demo", "SELECT Nope FROM Tasks"}, exitError, `column "Nope"`},
		{[]string{"--demo", "SELECT * FROM Nope"}, exitError, `list "Nope" does not exist`},
		{[]string{"--dsn", "ServiceURL=https://x.sharepoint.com;ClientSecert=abc", "SELECT 1"}, exitError, `did you mean "ClientSecret"?`},
	} {
		code, _, errOut := runCLI(t, "", tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
		if strings.Count(errOut, "spsql: spsql:") > 0 {
			t.Errorf("%v: doubled prefix in %q", tt.args, errOut)
		}
	}
	t.Setenv("SPSQL_DSN", "")
	if code, _, errOut := runCLI(t, "", "SELECT 1"); code != exitUsage || !strings.Contains(errOut, "no connection") {
		t.Errorf("no connection: exit %d, %q", code, errOut)
	}
	if code, out, _ := runCLI(t, "", "--version"); code != exitOK || !strings.HasPrefix(out, "spsql ") {
		t.Errorf("--version: %d %q", code, out)
	}
	if code, _, errOut := runCLI(t, "", "--help"); code != exitOK || !strings.Contains(errOut, "Usage: spsql") {
		t.Errorf("--help: %d %q", code, errOut)
	}
}

// INSERT, UPDATE and DELETE run (with Exec): the table format says how
// many items changed, and a SELECT after them in the same run sees it.
func TestWritesRunFromTheCommandLine(t *testing.T) {
	code, out, errOut := runCLI(t, "", "--demo",
		"INSERT INTO Tasks (Title, Status) VALUES ('From the CLI', 'Blocked')",
		"UPDATE Tasks SET Status = 'Completed' WHERE Title = 'From the CLI'",
		"SELECT Title, Status FROM Tasks WHERE Title = 'From the CLI'",
		"DELETE FROM Tasks WHERE Title = 'From the CLI'",
		"SELECT COUNT(*) FROM Tasks WHERE Title = 'From the CLI'")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"(1 row affected)\n(1 row affected)\n", "From the CLI | Completed", "(1 row affected)\n", "--------\n       0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// csv output stays data only.
	code, out, errOut = runCLI(t, "", "--demo", "--format", "csv", "DELETE FROM Tasks WHERE ID = 1")
	if code != exitOK || out != "" {
		t.Errorf("csv: exit %d, output %q, errors %q; want 0 and no output", code, out, errOut)
	}
}
