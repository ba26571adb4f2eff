package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBinaryRunsWrites: INSERT, UPDATE and DELETE given to the command run
// (the driver takes them through Exec, not Query) and report how many items
// they changed, as psql does: with the rows in the table format, on
// standard error in the data formats so that the export holds only data.
func TestBinaryRunsWrites(t *testing.T) {
	code, out, errOut := runBinary(t, "", nil, "--demo",
		"-c", "UPDATE Tasks SET Title = 'renamed' WHERE ID < 3",
		"-c", "INSERT INTO Tasks (Title) VALUES ('new one'), ('new two')",
		"-c", "DELETE FROM Tasks WHERE Title = 'new one'",
		"-c", "SELECT ID, Title FROM Tasks WHERE ID < 3 OR Title LIKE 'new%' ORDER BY ID")
	want := "UPDATE 2\nINSERT 2\nDELETE 1\n" +
		" ID | Title\n" +
		"----+--------\n" +
		"  1 | renamed\n" +
		"  2 | renamed\n" +
		"252 | new two\n" +
		"(3 rows)\n"
	if code != exitOK || out != want || errOut != "" {
		t.Errorf("exit %d\nstdout %q, want\n       %q\nstderr %q", code, out, want, errOut)
	}
	code, out, errOut = runBinary(t, "", nil, "--demo", "--format", "csv",
		"-c", "UPDATE Tasks SET Title = 'renamed' WHERE ID = 1; SELECT Title FROM Tasks WHERE ID = 1")
	if code != exitOK || out != "Title\r\nrenamed\r\n" || errOut != "UPDATE 1\n" {
		t.Errorf("csv: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}

// TestBinaryServeConnectionStringWorksRunAfterRun: the connection string
// spsql serve prints is what the README passes to --dsn-file run after
// run. Each run rotates its refresh token; the server keeps the rotated-away
// token valid, as Entra ID does, so the second and third runs work too.
func TestBinaryServeConnectionStringWorksRunAfterRun(t *testing.T) {
	cmd, dsn, errOut := startServe(t)
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	file := filepath.Join(t.TempDir(), "dsn.txt")
	if err := os.WriteFile(file, []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 3; run++ {
		code, out, qErr := runBinary(t, "", nil, "--dsn-file", file, "-c", "SELECT COUNT(*) AS n FROM Projects", "--format", "tsv")
		if code != exitOK || out != "n\n30\n" {
			t.Fatalf("run %d: exit %d\nstdout %q\nstderr %q\nserver:\n%s", run, code, out, qErr, errOut.String())
		}
	}
}

// TestBinarySuggestsAMisspelledCommand: a first argument that is a word
// close to login or serve is a usage error naming it, not SQL.
func TestBinarySuggestsAMisspelledCommand(t *testing.T) {
	for _, tt := range []struct{ arg, want string }{
		{"logn", `spsql: unknown command "logn" (did you mean spsql login?)`},
		{"sevre", `spsql: unknown command "sevre" (did you mean spsql serve?)`},
		{"Login", `(did you mean spsql login?)`},
	} {
		code, out, errOut := runBinary(t, "", nil, tt.arg, "--demo")
		if code != exitUsage || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", tt.arg, code, out, errOut, tt.want)
		}
	}
	// SQL that is no command is still SQL.
	code, _, errOut := runBinary(t, "", nil, "SHOW", "--demo")
	if code != exitError || !strings.Contains(errOut, "sqlparse: ") {
		t.Errorf("SHOW: exit %d, stderr %q", code, errOut)
	}
}

// TestREADMEDocumentsEveryFlag: each flag that spsql --help and spsql serve
// --help list is named in the README's section on the command-line tool.
func TestREADMEDocumentsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n## The command-line tool\n")
	section, _, _ = strings.Cut(section, "\n## ")
	if section == "" {
		t.Fatal("no section \"The command-line tool\" in README.md")
	}
	flagRE := regexp.MustCompile(`(?m)^\s+(-{1,2}[a-z][a-z-]*)(?:, (--[a-z][a-z-]*))?\b`)
	for _, usage := range []string{usageText, serveUsage} {
		flags := flagRE.FindAllStringSubmatch(usage, -1)
		if len(flags) < 4 {
			t.Fatalf("found only %d flags in\n%s", len(flags), usage)
		}
		for _, m := range flags {
			for _, name := range m[1:] {
				if name == "" || name == "-h" || name == "--help" {
					continue
				}
				if !regexp.MustCompile("`(spsql [^`]*)?" + regexp.QuoteMeta(name) + "[ =`]").MatchString(section) {
					t.Errorf("README.md's command-line section does not name %s", name)
				}
			}
		}
	}
}

// TestBinaryStopsAtTheFirstFailingStatement: as with psql's ON_ERROR_STOP,
// a failing statement ends the run with exit 1: the statements before it
// have printed their rows, the ones after it do not run. --help says so.
func TestBinaryStopsAtTheFirstFailingStatement(t *testing.T) {
	code, out, errOut := runBinary(t, "", nil, "--demo", "--format", "tsv",
		"-c", "SELECT COUNT(*) AS n FROM Projects",
		"-c", "SELECT Nope FROM Tasks; SELECT COUNT(*) AS m FROM Tasks",
		"-c", "SELECT COUNT(*) AS e FROM Employees")
	if code != exitError || out != "n\n30\n" || !strings.Contains(errOut, `column "Nope"`) {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	code, help, _ := runBinary(t, "", nil, "--help")
	if code != exitOK || !strings.Contains(help, "The first failing statement stops the run (exit 1)") {
		t.Errorf("--help: exit %d, does not say what a failing statement does:\n%s", code, help)
	}
}

// TestBinaryNamesWhereAStatementFailed: in a run of several statements,
// the error says where the failing one was written (file and line, or
// which -c or argument); a statement that does not parse stops the run
// before any statement ran, as SharePoint has no transactions to undo the
// writes before it.
func TestBinaryNamesWhereAStatementFailed(t *testing.T) {
	script := filepath.Join(t.TempDir(), "report.sql")
	if err := os.WriteFile(script, []byte("-- a report; it's short\nSELECT COUNT(*) AS n FROM Projects;\n\n"+
		"SELECT Nope\n  FROM Tasks;\nSELECT COUNT(*) AS m FROM Tasks\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBinary(t, "", nil, "--demo", "--format", "tsv", "-f", script)
	if code != exitError || out != "n\n30\n" || !strings.Contains(errOut, `column "Nope"`) ||
		!strings.Contains(errOut, "spsql: in "+script+":4; the statements after it did not run\n") {
		t.Errorf("a failing statement: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	code, out, errOut = runBinary(t, "", nil, "--demo", "--format", "tsv",
		"-c", "UPDATE Tasks SET Title = 'changed' WHERE ID = 1", "-c", "SELECT 1 FROM Tasks LIMIT 1;\nSELECT FROM Tasks")
	if code != exitError || out != "" || strings.Contains(errOut, "UPDATE") ||
		!strings.Contains(errOut, "sqlparse: syntax error") || !strings.Contains(errOut, "spsql: in -c #2:2; no statement ran\n") {
		t.Errorf("a statement that does not parse: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	// The stray words after -c are SQL arguments: caught before -c runs.
	code, out, errOut = runBinary(t, "", nil, "--demo", "-c", "SELECT 1 FROM Tasks LIMIT 1", "extra", "args")
	if code != exitError || out != "" || !strings.Contains(errOut, "spsql: in argument #1; no statement ran\n") {
		t.Errorf("extra arguments: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}

// TestBinaryHelpGoesToStandardOutput: --help, asked for, is the command's
// output (spsql --help | less), as with psql; usage errors stay on
// standard error.
func TestBinaryHelpGoesToStandardOutput(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"login", "--help"}, {"serve", "--help"}, {"--demo", "SELECT 1", "--help"}} {
		code, out, errOut := runBinary(t, "", nil, args...)
		if code != exitOK || !strings.HasPrefix(out, "Usage: spsql") || errOut != "" {
			t.Errorf("%q: exit %d\nstdout %.60q\nstderr %.60q", args, code, out, errOut)
		}
	}
}

// TestBinarySuggestsAMisspelledLoginFlag: spsql login's flags, long and
// easy to mistype, get the did-you-mean of the others, and may come in
// any order around stray arguments, which are refused.
func TestBinarySuggestsAMisspelledLoginFlag(t *testing.T) {
	code, out, errOut := runBinary(t, "", nil, "login", "--tenant", "contoso.onmicrosoft.com", "--clinet-id", "x")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "flag provided but not defined: -clinet-id (did you mean --client-id?)") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runBinary(t, "", nil, "login", "--tenant", "contoso.onmicrosoft.com", "extra", "--service-url", "https://contoso.sharepoint.com/sites/a", "--client-id", "x")
	if code != exitUsage || !strings.Contains(errOut, `login takes no arguments, got "extra"`) {
		t.Errorf("a stray argument: exit %d, stderr %q", code, errOut)
	}
	// A misspelt secret flag names the flag, never its value.
	code, _, errOut = runBinary(t, "", nil, "login", "--client-secert=S3cr3t~value", "--client-id", "x")
	if code != exitUsage || !strings.Contains(errOut, "(did you mean --client-secret?)") || strings.Contains(errOut, "S3cr3t") {
		t.Errorf("a misspelt --client-secret: exit %d, stderr %q", code, errOut)
	}
}

// TestBinaryReadsAFileSavedWithABOM: a script saved by a Windows editor
// (a UTF-8 byte order mark, CRLF line ends) runs as written.
func TestBinaryReadsAFileSavedWithABOM(t *testing.T) {
	script := filepath.Join(t.TempDir(), "windows.sql")
	if err := os.WriteFile(script, []byte("\ufeffSELECT COUNT(*) AS n FROM Projects;\r\nSELECT COUNT(*) AS m FROM Tasks\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBinary(t, "", nil, "--demo", "--format", "tsv", "-f", script)
	if code != exitOK || out != "n\n30\nm\n250\n" || errOut != "" {
		t.Errorf("-f: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	code, out, errOut = runBinary(t, "\ufeffSELECT COUNT(*) AS n FROM Projects\r\n", nil, "--demo", "--format", "tsv")
	if code != exitOK || out != "n\n30\n" || errOut != "" {
		t.Errorf("standard input: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
}
