package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEOutputs runs the commands whose output README.md shows, against
// the demo site, and compares what they print with the README's blocks, so
// that the README cannot drift from what the driver does. A block is
// checked when an HTML comment (invisible on GitHub) comes before it:
//
//	<!-- check: the command above -->
//	    the first spsql command (go run ./cmd/spsql … or spsql …) of the
//	    last ```sh block before it
//	<!-- check: spsql ARGS -->
//	    that command line (it may span lines; "…" and '…' quote)
//	<!-- check: shell session -->
//	    a block starting "$ spsql --demo": the lines typed after the
//	    prompts are fed to the shell, and the whole transcript compared
//
// The commands must use --demo; "Time: … ms" lines match any time.
func TestREADMEOutputs(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	checks := readmeChecks(t, string(readme))
	if len(checks) < 4 {
		t.Fatalf("found %d checked blocks in README.md, want at least 4 (the demo, the report, its EXPLAIN, the shell session)", len(checks))
	}
	for _, c := range checks {
		t.Run(fmt.Sprintf("line %d", c.line), func(t *testing.T) {
			if !containsArg(c.args, "--demo") {
				t.Fatalf("checked command %q must use --demo", c.args)
			}
			code, out, errOut := runCLI(t, c.stdin, c.args...)
			if code != exitOK {
				t.Fatalf("spsql %q: exit %d: %s", c.args, code, errOut)
			}
			if got, want := maskTimes(out), maskTimes(c.want); got != want {
				t.Errorf("README.md line %d shows the output of spsql %q as\n%s\nbut it prints\n%s", c.line, c.args, want, got)
			}
		})
	}
}

// readmeCheck is one checked block: the command, its input and the output
// the README shows.
type readmeCheck struct {
	line  int // of the block's opening fence
	args  []string
	stdin string
	want  string
}

func readmeChecks(t *testing.T, readme string) []readmeCheck {
	t.Helper()
	lines := strings.Split(readme, "\n")
	var checks []readmeCheck
	var lastSh []string // the last ```sh block's lines
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "```sh" {
			lastSh = nil
			for i++; i < len(lines) && lines[i] != "```"; i++ {
				lastSh = append(lastSh, lines[i])
			}
			continue
		}
		if !strings.HasPrefix(line, "<!-- check:") {
			continue
		}
		marker := strings.TrimPrefix(line, "<!-- check:")
		for !strings.HasSuffix(strings.TrimSpace(marker), "-->") && i+1 < len(lines) {
			i++
			marker += "\n" + lines[i]
		}
		marker = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(marker), "-->"))
		if i+1 >= len(lines) || lines[i+1] != "```" {
			t.Fatalf("README.md line %d: a check marker must be followed by a ``` block", i+1)
		}
		i++
		c := readmeCheck{line: i + 1}
		var block []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			block = append(block, lines[i])
		}
		switch {
		case marker == "the command above":
			c.args = spsqlCommand(t, strings.Join(lastSh, "\n"), c.line)
			c.want = strings.Join(block, "\n") + "\n"
		case marker == "shell session":
			c.args, c.stdin, c.want = shellTranscript(t, block, c.line)
		case strings.HasPrefix(marker, "spsql "):
			c.args = shellWords(t, strings.TrimPrefix(marker, "spsql "), c.line)
			c.want = strings.Join(block, "\n") + "\n"
		default:
			t.Fatalf("README.md line %d: unknown check %q", c.line, marker)
		}
		checks = append(checks, c)
	}
	return checks
}

// spsqlCommand returns the arguments of the first spsql command in a sh
// block: a line starting "go run ./cmd/spsql " or "spsql ", with the lines
// an open quote continues onto.
func spsqlCommand(t *testing.T, sh string, line int) []string {
	t.Helper()
	for rest := sh; rest != ""; {
		var cmd string
		cmd, rest, _ = strings.Cut(rest, "\n")
		for strings.Count(cmd, `"`)%2 == 1 && rest != "" {
			var next string
			next, rest, _ = strings.Cut(rest, "\n")
			cmd += "\n" + next
		}
		for _, prefix := range []string{"go run ./cmd/spsql ", "spsql "} {
			if args, ok := strings.CutPrefix(cmd, prefix); ok {
				return shellWords(t, args, line)
			}
		}
	}
	t.Fatalf("README.md line %d: no spsql command in the sh block above", line)
	return nil
}

// shellTranscript reads a shell session block: its command line, the lines
// typed after the prompts, and what the shell prints (the typed lines
// echoed after their prompts, as the shell does when its input is not a
// terminal).
func shellTranscript(t *testing.T, block []string, line int) (args []string, stdin, want string) {
	t.Helper()
	if len(block) < 2 || !strings.HasPrefix(block[0], "$ spsql ") || block[len(block)-1] != "$" {
		t.Fatalf(`README.md line %d: a shell session starts with "$ spsql …" and ends with "$"`, line)
	}
	args = append(shellWords(t, strings.TrimPrefix(block[0], "$ spsql "), line), "--shell")
	var in strings.Builder
	for _, l := range block[1 : len(block)-1] {
		for _, prompt := range []string{promptFirst, promptMore} {
			if typed, ok := strings.CutPrefix(l, prompt); ok {
				in.WriteString(typed + "\n")
				break
			}
		}
	}
	return args, in.String(), strings.Join(block[1:len(block)-1], "\n") + "\n"
}

// shellWords splits a command line as a POSIX shell would for the simple
// quoting README commands use: "…" and '…', no escapes or expansions.
func shellWords(t *testing.T, s string, line int) []string {
	t.Helper()
	var words []string
	var word strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				word.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\n' || r == '\t':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("README.md line %d: unclosed quote in %q", line, s)
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}

func containsArg(args []string, want string) bool {
	for _, a := range args {
		if a == want {
			return true
		}
	}
	return false
}

var timeLine = regexp.MustCompile(`(?m)^Time: [0-9.]+ ms$`)

func maskTimes(s string) string { return timeLine.ReplaceAllString(s, "Time: … ms") }
