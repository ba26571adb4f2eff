package main

import (
	"os"
	"path/filepath"
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
