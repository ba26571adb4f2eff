// Command spsql queries SharePoint Online lists with SQL through the spsql
// driver.
//
//	spsql --demo "SELECT Title, [Due Date] FROM Tasks ORDER BY [Due Date] LIMIT 5"
//	spsql --dsn-file ~/.spsql-dsn --format csv --output tasks.csv "SELECT * FROM Tasks"
//	echo "SHOW TABLES;" | spsql --odbc-dsn "Microsoft SharePoint"
//
// --demo starts the sptest emulator with a demo site in-process and
// connects to it through the real driver over loopback, token endpoint
// included: no tenant and no set-up needed.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // a query or connection failed
	exitUsage = 2 // the command line is wrong
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the parsed command line.
type options struct {
	demo     bool
	dsn      string
	dsnFile  string
	odbcDSN  string
	format   string
	output   string
	expanded bool
	version  bool
	sql      []string
}

const usageText = `Usage: spsql [flags] ["SQL" ...]

Runs SQL against SharePoint Online lists. Without SQL arguments, statements
are read from standard input, separated by ';'.

Connection (one of):
  --demo               use an in-process emulator with a demo site (no tenant needed)
  --dsn STRING         a connection string: "ServiceURL=…;ClientID=…;…" or "DSN=Name".
                       Avoid secrets on the command line (they land in shell history
                       and process lists): prefer --dsn-file, --odbc-dsn or SPSQL_DSN.
  --dsn-file FILE      read the connection string from FILE
  --odbc-dsn NAME      use the data source NAME from odbc.ini
  SPSQL_DSN            the connection string, from the environment

Output:
  --format FORMAT      table (default), csv, tsv, json or jsonl
  --output FILE        write the results to FILE instead of standard output
  -x, --expanded       table format: one block per row

  --version            print the version
  -h, --help           print this help

Flags go before the SQL: spsql --demo --format csv "SELECT * FROM Tasks"
`

// parseArgs reads the command line; errors are usage errors.
func parseArgs(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("spsql", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.demo, "demo", false, "")
	fs.StringVar(&o.dsn, "dsn", "", "")
	fs.StringVar(&o.dsnFile, "dsn-file", "", "")
	fs.StringVar(&o.odbcDSN, "odbc-dsn", "", "")
	fs.StringVar(&o.format, "format", formatTable, "")
	fs.StringVar(&o.output, "output", "", "")
	fs.BoolVar(&o.expanded, "x", false, "")
	fs.BoolVar(&o.expanded, "expanded", false, "")
	fs.BoolVar(&o.version, "version", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usageText)
			return nil, flag.ErrHelp
		}
		return nil, err
	}
	o.sql = fs.Args()
	valid := false
	for _, f := range formats {
		valid = valid || o.format == f
	}
	if !valid {
		return nil, fmt.Errorf("--format must be one of %s, got %q", strings.Join(formats, ", "), o.format)
	}
	sources := 0
	for _, set := range []bool{o.demo, o.dsn != "", o.dsnFile != "", o.odbcDSN != ""} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return nil, errors.New("give only one of --demo, --dsn, --dsn-file and --odbc-dsn")
	}
	return o, nil
}

// run is the whole command, with its streams and context injected so that
// tests can drive it. It returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "spsql: %v\n(see spsql --help)\n", err)
		return exitUsage
	}
	if o.version {
		fmt.Fprintf(stdout, "spsql %s\n", spsql.Version)
		return exitOK
	}
	dsn, cleanup, err := connectionString(o)
	if err != nil {
		fmt.Fprintf(stderr, "spsql: %v\n", err)
		return exitUsage
	}
	defer cleanup()

	db, err := sql.Open(spsql.DriverName, dsn)
	if err != nil {
		fmt.Fprintln(stderr, errorText(err))
		return exitError
	}
	defer db.Close()

	out := stdout
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			fmt.Fprintf(stderr, "spsql: %v\n", err)
			return exitError
		}
		defer f.Close()
		out = f
	}
	rw := &resultWriter{format: o.format, expanded: o.expanded}
	statements := o.sql
	if len(statements) == 0 {
		statements, err = readStatements(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "spsql: reading statements: %v\n", err)
			return exitError
		}
	}
	for _, stmt := range statements {
		if err := execute(ctx, db, stmt, rw, out); err != nil {
			fmt.Fprintln(stderr, errorText(err))
			return exitError
		}
	}
	return exitOK
}

// errorText is err for the terminal: the driver's errors already start
// with their package ("spsql: …", "sharepoint: …"); others get "spsql: ".
func errorText(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"spsql: ", "sharepoint: ", "auth: ", "sqlparse: "} {
		if strings.HasPrefix(msg, prefix) {
			return msg
		}
	}
	return "spsql: " + msg
}

// connectionString picks the connection string from the options or the
// environment. For --demo it starts the emulator; cleanup stops it.
func connectionString(o *options) (dsn string, cleanup func(), err error) {
	cleanup = func() {}
	switch {
	case o.demo:
		srv := sptest.NewServer(sptest.DemoSite())
		return srv.ConnString(), srv.Close, nil
	case o.dsn != "":
		return o.dsn, cleanup, nil
	case o.dsnFile != "":
		b, err := os.ReadFile(o.dsnFile)
		if err != nil {
			return "", cleanup, fmt.Errorf("--dsn-file: %w", err)
		}
		return strings.TrimSpace(string(b)), cleanup, nil
	case o.odbcDSN != "":
		return "DSN={" + strings.ReplaceAll(o.odbcDSN, "}", "}}") + "}", cleanup, nil
	case os.Getenv("SPSQL_DSN") != "":
		return os.Getenv("SPSQL_DSN"), cleanup, nil
	}
	return "", cleanup, errors.New("no connection: give --demo, --dsn, --dsn-file or --odbc-dsn, or set SPSQL_DSN")
}

// readStatements splits standard input into statements at ';' outside
// quotes.
func readStatements(r io.Reader) ([]string, error) {
	b, err := io.ReadAll(bufio.NewReader(r))
	if err != nil {
		return nil, err
	}
	return splitStatements(string(b)), nil
}

// splitStatements splits text at semicolons that are not inside '…',
// "…", `…` or […], dropping empty statements.
func splitStatements(text string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	for _, r := range text {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"' || r == '`':
			quote = r
		case r == '[':
			quote = ']'
		case r == ';':
			if s := strings.TrimSpace(cur.String()); s != "" {
				out = append(out, s)
			}
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// execute runs one statement and writes its rows.
func execute(ctx context.Context, db *sql.DB, stmt string, rw *resultWriter, out io.Writer) error {
	rows, err := db.QueryContext(ctx, stmt)
	if err != nil {
		return err
	}
	defer rows.Close()
	if _, err := rw.write(out, rows); err != nil {
		return err
	}
	return rows.Close()
}
