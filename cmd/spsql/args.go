package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-spsql/spsql/internal/suggest"
	"github.com/go-spsql/spsql/sqlparse"
)

// parseInterspersed parses args with fs, accepting flags anywhere, as
// psql and usql do: "spsql --demo "SELECT …" --format csv" formats as CSV.
// Arguments that are not flags go to positional, in order; "--" makes
// every later argument positional. A flag's value is the next argument
// unless given as --name=value (or the flag is boolean), so SQL that starts
// with "-" can be passed as -c's value or after "--". An unknown flag is an
// error naming the closest known one.
func parseInterspersed(fs *flag.FlagSet, args []string, positional func(string)) error {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			for _, a := range args[i+1:] {
				positional(a)
			}
			return nil
		}
		name, hasValue, ok := flagName(arg)
		if !ok {
			positional(arg)
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			if name == "h" || name == "help" {
				return flag.ErrHelp
			}
			return unknownFlagError(fs, name)
		}
		n := 1
		if b, isBool := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(isBool && b.IsBoolFlag()) {
			n = 2 // the value is the next argument (flag reports it missing)
		}
		end := min(i+n, len(args))
		if err := fs.Parse(args[i:end]); err != nil {
			return err
		}
		i = end - 1
	}
	return nil
}

// flagName returns the name of a flag argument (-name, --name or
// --name=value) and whether it carries its value. Anything else, such as
// "-", "-- comment" or "-1", is not a flag.
func flagName(arg string) (name string, hasValue, ok bool) {
	body, found := strings.CutPrefix(arg, "--")
	if !found {
		body, found = strings.CutPrefix(arg, "-")
	}
	if !found {
		return "", false, false
	}
	name, _, hasValue = strings.Cut(body, "=")
	if name == "" || !isLetter(name[0]) {
		return "", false, false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isLetter(c) && !('0' <= c && c <= '9') && c != '-' {
			return "", false, false
		}
	}
	return name, hasValue, true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// unknownFlagError is the flag package's message for name, with the
// closest flag of fs when one is near enough.
func unknownFlagError(fs *flag.FlagSet, name string) error {
	best, bestDist := "", -1
	fs.VisitAll(func(f *flag.Flag) {
		if d := suggest.Distance(name, f.Name); bestDist < 0 || d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	msg := "flag provided but not defined: -" + name
	if best != "" && bestDist <= suggest.MaxDistance(name) && bestDist < len(name) {
		dashes := "--"
		if len(best) == 1 {
			dashes = "-"
		}
		msg += fmt.Sprintf(" (did you mean %s%s?)", dashes, best)
	}
	return errors.New(msg)
}

// statement is one statement of a script and where it was written, for
// errors: "report.sql:3" (its first line), "standard input:2", "-c #2" or
// "argument #1" (with ":line" past the first line of that text).
type statement struct {
	sql, at string
}

// readScripts reads the statements of scripts in order: each -c or SQL
// argument and each -f file is split at ';' outside quotes and comments
// (sqlparse.SplitStatements), and a last statement without ';' counts too.
func (c *cli) readScripts(scripts []script) ([]statement, error) {
	var out []statement
	commands, arguments := 0, 0
	for _, s := range scripts {
		text := s.sql
		var name string
		switch {
		case s.file == "-":
			b, err := io.ReadAll(c.stdin)
			if err != nil {
				return nil, fmt.Errorf("reading statements from standard input: %w", err)
			}
			text, name = string(b), "standard input"
		case s.file != "":
			b, err := os.ReadFile(s.file)
			if err != nil {
				return nil, fmt.Errorf("-f: %w", err)
			}
			text, name = string(b), s.file
		case s.command:
			commands++
			name = fmt.Sprintf("-c #%d", commands)
		default:
			arguments++
			name = fmt.Sprintf("argument #%d", arguments)
		}
		// A byte order mark, which Windows editors put at the start of
		// UTF-8 files, is no part of the SQL.
		text = strings.TrimPrefix(text, "\ufeff")
		stmts, rest := sqlparse.SplitStatements(text)
		if rest = strings.TrimSpace(rest); rest != "" {
			stmts = append(stmts, rest)
		}
		// Each statement is text as written, trimmed: find it from where
		// the last one ended to tell its line.
		offset := 0
		for _, stmt := range stmts {
			if i := strings.Index(text[offset:], stmt); i >= 0 {
				offset += i
			}
			at := name
			if line := 1 + strings.Count(text[:offset], "\n"); s.file != "" || line > 1 {
				at = fmt.Sprintf("%s:%d", name, line)
			}
			out = append(out, statement{sql: stmt, at: at})
			offset += len(stmt)
		}
	}
	return out, nil
}

// misspeltCommand reports whether arg, the first argument, is a single
// word close to a subcommand (login, serve) without being one: run as SQL
// it would only fail with "LOGN statements are not supported". It returns
// the subcommand meant.
func misspeltCommand(arg string) (string, bool) {
	for i := 0; i < len(arg); i++ {
		if !isLetter(arg[i]) {
			return "", false
		}
	}
	for _, cmd := range []string{"login", "serve", "conformance"} {
		if d := suggest.Distance(arg, cmd); d > 0 && d <= suggest.MaxDistance(cmd) {
			return cmd, true
		}
	}
	return "", false
}
