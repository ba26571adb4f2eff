// Command spsql queries SharePoint Online lists with SQL through the spsql
// driver.
//
//	spsql --demo "SELECT Title, [Due Date] FROM Tasks ORDER BY [Due Date] LIMIT 5"
//	spsql --dsn-file ~/.spsql-dsn "SELECT * FROM Tasks" --format csv --output tasks.csv
//	spsql --demo -c "SHOW TABLES" -f report.sql
//	echo "SHOW TABLES;" | spsql --odbc-dsn "Microsoft SharePoint"
//	spsql --demo                       # the interactive shell
//	spsql login --tenant contoso.onmicrosoft.com --client-id … --service-url …
//	spsql serve                        # the emulator as a server
//	spsql conformance --dsn-file …     # check spsql against a real site
//
// --demo starts the sptest emulator with a demo site in-process and
// connects to it through the real driver over loopback, token endpoint
// included: no tenant and no set-up needed.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // a query or connection failed
	exitUsage = 2 // the command line is wrong
)

func main() {
	// SIGINT is caught for the whole run: it cancels the running query (and
	// in the shell only that query) rather than killing the process, so the
	// driver can close its requests and the shell can go on.
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	c := &cli{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		interrupts: interrupts,
		terminal:   isTerminal,
		now:        time.Now,
	}
	os.Exit(c.run(context.Background(), os.Args[1:]))
}

// cli is one run of the command: its streams, its interrupts and how it
// tells a terminal, all injected so that tests can drive it.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// interrupts delivers SIGINT (Ctrl-C); nil when nothing interrupts.
	interrupts <-chan os.Signal
	// terminal reports whether a stream is a terminal.
	terminal func(stream any) bool
	// now is the clock for progress and \timing.
	now func() time.Time
}

// isTerminal reports whether stream is an *os.File open on a terminal.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// run is the command with plain streams and no interrupts or terminals:
// what the in-process tests use.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, terminal: isTerminal, now: time.Now}
	return c.run(ctx, args)
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
	shell    bool
	version  bool
	verbose  bool
	// scripts are the -c, -f and SQL arguments, in command-line order.
	scripts []script
}

// script is one -c SQL or SQL argument, or one -f FILE.
type script struct {
	sql     string
	file    string // -f: a file, "-" for standard input
	command bool   // -c rather than an argument
}

// scriptFlag is -c or -f: each use appends to the options' scripts, so
// that they run in the order given, mixed with SQL arguments.
type scriptFlag struct {
	scripts *[]script
	file    bool
}

func (f scriptFlag) String() string { return "" }

func (f scriptFlag) Set(v string) error {
	if f.file {
		*f.scripts = append(*f.scripts, script{file: v})
	} else {
		*f.scripts = append(*f.scripts, script{sql: v, command: true})
	}
	return nil
}

const usageText = `Usage: spsql [flags] ["SQL" ...]
       spsql login [flags]     obtain a refresh token (see spsql login --help; not
                               needed for app-only access with a certificate)
       spsql serve [flags]     run the emulator as a server (see spsql serve --help)
       spsql conformance [flags]  check that spsql works on a site (see
                               spsql conformance --help)

Runs SQL against SharePoint Online lists. Statements are separated by ';'
(outside quotes and comments). SQL arguments, -c and -f run in the order
given; without any, statements are read from standard input or, when
standard input is a terminal, typed into the interactive shell (\? there
lists its commands). The first failing statement stops the run (exit 1);
all are parsed first, so that a syntax error stops it before any ran.
INSERT, UPDATE and DELETE report the items changed ("UPDATE 3").

SQL:
  -c SQL               run SQL (repeatable)
  -f FILE              run the statements in FILE, - for standard input (repeatable)

Connection (one of):
  --demo               use an in-process emulator with a demo site (no tenant needed)
  --dsn STRING         a connection string: "ServiceURL=…;ClientID=…;…" or "DSN=Name".
                       Avoid secrets on the command line (they land in shell history
                       and process lists): prefer --dsn-file, --odbc-dsn or SPSQL_DSN.
  --dsn-file FILE      read the connection string from FILE
  --odbc-dsn NAME      use the data source NAME from odbc.ini
  SPSQL_DSN            the connection string, from the environment

Unattended jobs (app-only: an Entra ID application with a certificate; no user,
no spsql login; see README.md, "Unattended jobs"), e.g. in SPSQL_DSN:
  ServiceURL=https://contoso.sharepoint.com/sites/x;AuthenticationMethod=OAuth2ClientCertificate;
  ClientID=<application ID>;TokenURI=https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token;
  CertificateFile=/etc/spsql/app.pfx;CertificatePassword=<the .pfx password>
spsql serve --app-only prints such a connection string for the emulator.

Output:
  --format FORMAT      table (default), csv, tsv, json or jsonl
  --output FILE        write the results to FILE instead of standard output
  -x, --expanded       table format: one block per row
  --shell              open the shell even when standard input is not a terminal

  -v, --verbose        show each HTTP request (method, URL, status, time) on standard error
  --version            print the version
  -h, --help           print this help

Flags may come before or after the SQL; -- ends them:
  spsql --demo "SELECT * FROM Tasks" --format csv
`

// parseArgs reads the command line; errors are usage errors.
func parseArgs(args []string, stdout io.Writer) (*options, error) {
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
	fs.BoolVar(&o.shell, "shell", false, "")
	fs.BoolVar(&o.version, "version", false, "")
	fs.BoolVar(&o.verbose, "v", false, "")
	fs.BoolVar(&o.verbose, "verbose", false, "")
	fs.Var(scriptFlag{scripts: &o.scripts}, "c", "")
	fs.Var(scriptFlag{scripts: &o.scripts, file: true}, "f", "")
	if err := parseInterspersed(fs, args, func(arg string) {
		o.scripts = append(o.scripts, script{sql: arg})
	}); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageText)
			return nil, flag.ErrHelp
		}
		return nil, err
	}
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

// run is the whole command. It returns the exit code.
func (c *cli) run(ctx context.Context, args []string) int {
	stdin, stdout, stderr := c.stdin, c.stdout, c.stderr
	if len(args) > 0 && args[0] == "login" {
		return c.login(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "serve" {
		return c.serve(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "conformance" {
		return c.conformance(ctx, args[1:]) // conformance.go
	}
	if len(args) > 0 {
		if cmd, ok := misspeltCommand(args[0]); ok {
			fmt.Fprintf(stderr, "spsql: unknown command %q (did you mean spsql %s?)\n(see spsql --help)\n", args[0], cmd)
			return exitUsage
		}
	}
	o, err := parseArgs(args, stdout)
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

	db, closeDB, err := openDB(dsn, o.verbose, stderr)
	if err != nil {
		fmt.Fprintln(stderr, errorText(err))
		return exitError
	}
	defer closeDB()

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
	if len(o.scripts) == 0 && (o.shell || c.terminal(stdin)) {
		sh := &shell{cli: c, db: db, rw: rw, out: out}
		return sh.run(ctx)
	}
	scripts := o.scripts
	if len(scripts) == 0 {
		scripts = []script{{file: "-"}}
	}
	statements, err := c.readScripts(scripts)
	if err != nil {
		fmt.Fprintf(stderr, "spsql: %v\n", err)
		return exitError
	}
	// Progress is for exports: shown when stderr is a terminal and the
	// rows go elsewhere (a file, a pipe), never mixed into a table on screen.
	showProgress := c.terminal(stderr) && (o.output != "" || !c.terminal(stdout))
	// A statement the driver refuses to prepare (it does not parse, or is
	// a write on a ReadOnly connection) stops the run before any statement
	// ran: SharePoint has no transactions to roll back earlier writes with.
	// Preparing only parses; nothing is sent.
	for _, stmt := range statements {
		ps, err := db.PrepareContext(ctx, stmt.sql)
		if err == nil {
			ps.Close()
		} else {
			fmt.Fprintln(stderr, errorText(err))
			if len(statements) > 1 {
				fmt.Fprintf(stderr, "spsql: in %s; no statement ran\n", stmt.at)
			}
			return exitError
		}
	}
	var pace func() sharepoint.PaceStats
	if showProgress {
		var release func()
		pace, release = sharedPace(dsn) // pace.go
		defer release()
	}
	for _, stmt := range statements {
		var p *progress
		if showProgress {
			p = newProgress(stderr, c.now)
			p.pace, p.total = pace, expectedRows(ctx, db, stmt.sql)
			rw.progress = p.tick
		}
		err := c.withInterrupts(ctx, func(ctx context.Context) error {
			return execute(ctx, db, stmt.sql, rw, out, stderr)
		})
		if p != nil {
			p.done()
		}
		if err != nil {
			fmt.Fprintln(stderr, errorText(err))
			if len(statements) > 1 {
				fmt.Fprintf(stderr, "spsql: in %s; the statements after it did not run\n", stmt.at)
			}
			return exitError
		}
	}
	return exitOK
}

// errCancelled reports a query stopped by Ctrl-C.
var errCancelled = errors.New("query cancelled")

// withInterrupts runs f with a context that an interrupt (Ctrl-C) cancels;
// f's error is then errCancelled, whatever the driver made of the
// cancellation.
func (c *cli) withInterrupts(ctx context.Context, f func(context.Context) error) error {
	if c.interrupts == nil {
		return f(ctx)
	}
	// Drop a Ctrl-C that came while nothing ran (say, while results were
	// printed): it was not meant for this statement.
	for drained := false; !drained; {
		select {
		case <-c.interrupts:
		default:
			drained = true
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	watched := make(chan bool, 1)
	go func() {
		select {
		case <-c.interrupts:
			cancel()
			watched <- true
		case <-done:
			watched <- false
		}
	}()
	err := f(ctx)
	close(done)
	if <-watched && err != nil {
		return errCancelled
	}
	return err
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

// execute runs one statement and writes its rows, or for a write the
// number of items changed (see executeWrite).
func execute(ctx context.Context, db *sql.DB, stmt string, rw *resultWriter, out, status io.Writer) error {
	if tag := writeTag(stmt); tag != "" {
		return executeWrite(ctx, db, stmt, tag, rw, out, status)
	}
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
