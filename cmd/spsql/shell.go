package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/reeflective/readline"
	"github.com/reeflective/readline/inputrc"

	"github.com/go-spsql/spsql/sqlparse"
)

// Shell prompts: the first line of a statement, and its continuation lines.
const (
	promptFirst = "spsql> "
	promptMore  = "    -> "
)

// historyFile is the shell's history, in the home directory.
const historyFile = ".spsql_history"

const shellHelp = `Statements end with ';' and may span lines. Commands:
  \d              list the tables (SHOW TABLES)
  \d LIST         describe a list's columns (DESCRIBE LIST)
  \x [on|off]     toggle expanded display: one block per row
  \timing [on|off] toggle printing how long each statement took
  \explain SQL    show how SQL would run (EXPLAIN SQL)
  \?              this help
  \q              quit (or Ctrl-D)
Ctrl-C cancels the running statement, or clears the line being typed.
`

// errInterrupt is what a lineReader returns when Ctrl-C is typed at the
// prompt.
var errInterrupt = errors.New("interrupt")

// lineReader reads the shell's input a line at a time.
type lineReader interface {
	// readLine shows prompt and returns the next line without its end,
	// or, from a line editor, the next statement's lines (until inputDone
	// says the input after pending is complete); io.EOF at the end of
	// input (Ctrl-D), errInterrupt for Ctrl-C.
	readLine(prompt, pending string) (string, error)
	Close() error
}

// shell is the interactive shell: statements and backslash commands read
// a line at a time, results written as the command line's flags say.
type shell struct {
	*cli
	db     *sql.DB
	rw     *resultWriter
	out    io.Writer // results; prompts and messages go to stdout/stderr
	timing bool
}

// run reads and runs statements until \q or the end of input. Failed
// statements are reported and the shell goes on, so the exit code is 0
// unless the input itself cannot be read.
func (sh *shell) run(ctx context.Context) int {
	lines, err := sh.openLineReader()
	if err != nil {
		fmt.Fprintf(sh.stderr, "spsql: %v\n", err)
		return exitError
	}
	defer lines.Close()
	var pending strings.Builder // an unfinished statement's lines
	for {
		prompt := promptFirst
		if pending.Len() > 0 {
			prompt = promptMore
		}
		text, err := lines.readLine(prompt, pending.String())
		switch {
		case errors.Is(err, errInterrupt):
			// As in psql: Ctrl-C at the prompt drops what was typed.
			pending.Reset()
			continue
		case errors.Is(err, io.EOF):
			if text == "" {
				fmt.Fprintln(sh.stdout)
				return exitOK
			}
		case err != nil:
			fmt.Fprintf(sh.stderr, "spsql: reading input: %v\n", err)
			return exitError
		}
		// The line editor returns a whole statement, its lines included.
		for _, line := range strings.Split(text, "\n") {
			if quit := sh.line(ctx, line, &pending); quit {
				return exitOK
			}
		}
		if errors.Is(err, io.EOF) {
			return exitOK
		}
	}
}

// line takes one line of input: a backslash command, or a line of SQL
// added to pending, whose finished statements are run.
func (sh *shell) line(ctx context.Context, line string, pending *strings.Builder) (quit bool) {
	// As in psql, a backslash command is run at once even in the
	// middle of a statement, whose lines are kept: \q always quits.
	if strings.HasPrefix(strings.TrimSpace(line), `\`) {
		return sh.command(ctx, strings.TrimSpace(line))
	}
	pending.WriteString(line)
	pending.WriteByte('\n')
	stmts, rest := sqlparse.SplitStatements(pending.String())
	pending.Reset()
	if strings.TrimSpace(rest) != "" {
		pending.WriteString(rest)
	}
	for _, stmt := range stmts {
		sh.exec(ctx, stmt)
	}
	return false
}

// inputDone reports whether the shell should run what was typed: a
// statement ended by ';' (with the unfinished statement pending from
// earlier input before it), a backslash command, or nothing. Otherwise
// the line editor goes on to a new line of the same entry.
func inputDone(pending, text string) bool {
	lines := strings.Split(text, "\n")
	if strings.HasPrefix(strings.TrimSpace(lines[len(lines)-1]), `\`) {
		return true
	}
	_, rest := sqlparse.SplitStatements(pending + text)
	return strings.TrimSpace(rest) == ""
}

// command runs one backslash command and reports whether it was \q.
func (sh *shell) command(ctx context.Context, line string) (quit bool) {
	name, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case `\q`, `\quit`:
		return true
	case `\?`, `\h`, `\help`:
		fmt.Fprint(sh.stdout, shellHelp)
	case `\d`:
		if arg == "" {
			sh.exec(ctx, "SHOW TABLES")
		} else {
			sh.exec(ctx, "DESCRIBE "+quoteListName(strings.TrimSuffix(arg, ";")))
		}
	case `\x`:
		if on, ok := toggle(arg, sh.rw.expanded); ok {
			sh.rw.expanded = on
			fmt.Fprintf(sh.stdout, "Expanded display is %s.\n", onOff(on))
		} else {
			fmt.Fprintf(sh.stderr, "spsql: \\x takes on or off, not %q\n", arg)
		}
	case `\timing`:
		if on, ok := toggle(arg, sh.timing); ok {
			sh.timing = on
			fmt.Fprintf(sh.stdout, "Timing is %s.\n", onOff(on))
		} else {
			fmt.Fprintf(sh.stderr, "spsql: \\timing takes on or off, not %q\n", arg)
		}
	case `\explain`:
		stmt := strings.TrimSpace(strings.TrimSuffix(arg, ";"))
		if stmt == "" {
			fmt.Fprintln(sh.stderr, `spsql: \explain needs a statement, e.g. \explain SELECT * FROM Tasks`)
			break
		}
		sh.exec(ctx, "EXPLAIN "+stmt)
	default:
		fmt.Fprintf(sh.stderr, "spsql: invalid command %s; try \\? for help\n", name)
	}
	return false
}

// exec runs one statement, reporting errors rather than stopping. Ctrl-C
// cancels the statement's context; the shell goes on.
func (sh *shell) exec(ctx context.Context, stmt string) {
	start := sh.now()
	err := sh.withInterrupts(ctx, func(ctx context.Context) error {
		return execute(ctx, sh.db, stmt, sh.rw, sh.out, sh.stderr)
	})
	if err != nil {
		fmt.Fprintln(sh.stderr, errorText(err))
	}
	if sh.timing {
		fmt.Fprintf(sh.stdout, "Time: %.3f ms\n", float64(sh.now().Sub(start).Microseconds())/1000)
	}
}

// toggle reads the argument of \x and \timing: none flips cur.
func toggle(arg string, cur bool) (on, ok bool) {
	switch strings.ToLower(arg) {
	case "":
		return !cur, true
	case "on":
		return true, true
	case "off":
		return false, true
	}
	return cur, false
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// quoteListName brackets a list title for DESCRIBE unless it is quoted
// already: titles often hold spaces ("Project Tasks").
func quoteListName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return name
	}
	switch name[0] {
	case '[', '"', '`':
		return name
	}
	return "[" + strings.ReplaceAll(name, "]", "]]") + "]"
}

// openLineReader returns a line editor with history and completion when
// standard input is a terminal, else a plain reader that still shows
// prompts (for --shell on a pipe, and tests).
func (sh *shell) openLineReader() (lineReader, error) {
	f, ok := sh.stdin.(*os.File)
	if !ok || !sh.terminal(f) || f != os.Stdin {
		return &plainReader{in: bufio.NewReader(sh.stdin), prompts: sh.stdout}, nil
	}
	return newEditor(newMetaCache(sh.db)), nil
}

// historyPath returns ~/.spsql_history ($HOME on Unix), creating it with
// mode 0600 if missing: statements may hold names and values worth keeping
// private, and the line editor would otherwise create it world-readable.
func historyPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(home, historyFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return "", err
	}
	return path, f.Close()
}

// editor is the line editor on a terminal: github.com/reeflective/readline,
// chosen because it edits a multi-line buffer (a statement typed over
// several lines is one history entry, recalled whole by Up) and completes
// with a caller's function; it puts the terminal in raw mode only while
// input is read, so Ctrl-C during a statement is a real SIGINT that
// cancels it. It reads os.Stdin and writes os.Stdout.
type editor struct {
	rl      *readline.Shell
	prompt  string
	pending string // the unfinished statement before this input
}

func newEditor(cat catalog) *editor {
	e := &editor{rl: readline.NewShell(inputrc.WithApp("spsql"))}
	cfg := e.rl.Config
	// Not every terminal answers the cursor position query (ESC[6n); the
	// prompt's width gives the position as well.
	cfg.Set("cursor-position-probe", false)
	cfg.Set("completion-ignore-case", true)
	cfg.Set("history-autosuggest", false)
	cfg.Set("multiline-column", true)
	// Tab inserts what all candidates share and lists them, as in bash.
	cfg.Set("menu-complete-display-prefix", true)
	e.rl.Prompt.Primary(func() string { return e.prompt })
	// A statement's lines after the first are drawn after promptMore (the
	// line being typed) or a bar (lines above it), in the margin promptFirst
	// takes on the first line.
	e.rl.Prompt.Secondary(func() string { return promptMore })
	e.rl.AcceptMultiline = func(line []rune) bool { return inputDone(e.pending, string(line)) }
	e.rl.Completer = func(line []rune, cursor int) readline.Completions {
		text := string(line)
		at := len(string(line[:cursor]))
		start, candidates := completeSQL(text, at, cat)
		comps := readline.CompleteValues(candidates...)
		comps.PREFIX = text[start:at]
		return comps
	}
	if path, err := historyPath(); err == nil {
		_ = migrateHistory(path) // at worst the older entries stay unrecalled
		e.rl.History.AddFromFile("history", path)
	}
	return e
}

func (e *editor) readLine(prompt, pending string) (string, error) {
	e.prompt, e.pending = prompt, pending
	line, err := e.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", errInterrupt
	}
	return line, err
}

func (e *editor) Close() error { return nil }

// plainReader reads lines from a non-terminal and echoes each after its
// prompt, so that a scripted session's output reads like a typed one.
type plainReader struct {
	in      *bufio.Reader
	prompts io.Writer
}

func (p *plainReader) readLine(prompt, _ string) (string, error) {
	line, err := p.in.ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if err == nil || line != "" {
		fmt.Fprintf(p.prompts, "%s%s\n", prompt, line)
	}
	if err != nil && line != "" && errors.Is(err, io.EOF) {
		return line, io.EOF
	}
	return line, err
}

func (p *plainReader) Close() error { return nil }

var _ lineReader = (*editor)(nil)
var _ lineReader = (*plainReader)(nil)
