package sqlparse

import (
	"errors"
	"strings"
	"testing"
)

// The lexer's errors (unterminated quotes and comments, placeholder forms
// we refuse) are *SyntaxErrors like the parser's: line, column, the token
// found, and the statement's line with a caret, never a byte position.
func TestLexErrorsAreSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, sql    string
		line, column int
		near         string
		expected     string
		message      string // a part of Message
	}{
		{"an unterminated string", "SELECT * FROM Tasks WHERE Title = 'x", 1, 35, "'", "'", "unterminated string"},
		{"an unterminated string on line 2", "SELECT *\nFROM Tasks WHERE Title = 'it''s", 2, 26, "'", "'", "unterminated string"},
		{"an unterminated double-quoted name", `SELECT "Title FROM Tasks`, 1, 8, `"`, `"`, "unterminated quoted identifier"},
		{"an unterminated bracketed name", "SELECT [Due Date FROM Tasks", 1, 8, "[", "]", "unterminated quoted identifier"},
		{"an empty quoted name", `SELECT "" FROM Tasks`, 1, 8, `""`, "", "empty quoted identifier"},
		{"an unterminated comment", "SELECT Title /* note\nFROM Tasks", 1, 14, "/*", "*/", "unterminated /* comment"},
		{"a system variable", "SELECT Größe, @@version FROM Tasks", 1, 15, "@@", "", "@@ system variables are not supported"},
		{"a cast", "SELECT * FROM Tasks WHERE ID = :id::int", 1, 35, "::", "", "'::' is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.sql)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want a *SyntaxError", tt.sql, err)
			}
			if se.Line != tt.line || se.Column != tt.column || se.Near != tt.near || se.Expected != tt.expected || se.Statement != tt.sql {
				t.Errorf("Parse(%q): line %d column %d near %q expected %q statement %q; want %d, %d, %q, %q",
					tt.sql, se.Line, se.Column, se.Near, se.Expected, se.Statement, tt.line, tt.column, tt.near, tt.expected)
			}
			if !strings.HasPrefix(tt.sql[se.Offset:], tt.near) {
				t.Errorf("Parse(%q): offset %d is not at %q", tt.sql, se.Offset, tt.near)
			}
			if !strings.Contains(se.Message, tt.message) {
				t.Errorf("Parse(%q) message %q, want one containing %q", tt.sql, se.Message, tt.message)
			}
			if strings.Contains(err.Error(), "position") {
				t.Errorf("Parse(%q) error %q speaks of byte positions", tt.sql, err)
			}
		})
	}
}

func TestLexErrorShowsTheLineWithACaret(t *testing.T) {
	_, err := Parse("SELECT Title\nFROM Tasks\nWHERE Title = 'unterminated")
	want := "sqlparse: syntax error at line 3, column 15: unterminated string: the ' here is never closed (write '' for a quote inside text)\n" +
		"  WHERE Title = 'unterminated\n" +
		"                ^"
	if err == nil || err.Error() != want {
		t.Errorf("error =\n%v\nwant\n%s", err, want)
	}
}
