package sqlparse

import (
	"reflect"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	for _, tt := range []struct {
		text  string
		stmts []string
		rest  string
	}{
		{"SELECT 'a;b' FROM x; SELECT [c;d] FROM y;;\n SELECT \"e;f\", `g;h` FROM z",
			[]string{"SELECT 'a;b' FROM x", "SELECT [c;d] FROM y"}, "\n SELECT \"e;f\", `g;h` FROM z"},
		// Quotes inside comments open nothing; ';' inside them ends nothing.
		{"SELECT 1 FROM Tasks LIMIT 1; -- don't\nSELECT 2 FROM Tasks;",
			[]string{"SELECT 1 FROM Tasks LIMIT 1", "-- don't\nSELECT 2 FROM Tasks"}, ""},
		{"SELECT 1 # it's; here\nFROM t; /* \"x; [y; 'z; */ SELECT 2 FROM t;",
			[]string{"SELECT 1 # it's; here\nFROM t", "/* \"x; [y; 'z; */ SELECT 2 FROM t"}, ""},
		// Doubled quotes stay inside.
		{"SELECT 'it''s;' FROM [a]];b]; SELECT 3", []string{"SELECT 'it''s;' FROM [a]];b]"}, " SELECT 3"},
		// Statements and rests of only spaces and comments are dropped.
		{"-- only a comment\n; /* and */ ;\n# another", nil, ""},
		{"SELECT 1 FROM t; -- bye", []string{"SELECT 1 FROM t"}, ""},
		// Something open at the end keeps the rest whole, as written.
		{"SELECT 1 FROM t; SELECT 'a;\nb", []string{"SELECT 1 FROM t"}, " SELECT 'a;\nb"},
		{"SELECT [x;", nil, "SELECT [x;"},
		{"SELECT 1 /* ; */ FROM t /* ;", nil, "SELECT 1 /* ; */ FROM t /* ;"},
		// What Parse refuses does not stop the split.
		{"SELECT @@v; SELECT a::b FROM t; SELECT \"\" FROM t; SELECT '\xff'; x",
			[]string{"SELECT @@v", "SELECT a::b FROM t", "SELECT \"\" FROM t", "SELECT '\xff'"}, " x"},
	} {
		stmts, rest := SplitStatements(tt.text)
		if !reflect.DeepEqual(stmts, tt.stmts) || rest != tt.rest {
			t.Errorf("SplitStatements(%q) =\n%q, %q; want\n%q, %q", tt.text, stmts, rest, tt.stmts, tt.rest)
		}
	}
}

// TestSplitStatementsAgreesWithParse: each statement split from a script
// with comments and quotes parses on its own.
func TestSplitStatementsAgreesWithParse(t *testing.T) {
	stmts, rest := SplitStatements("SELECT Title FROM Tasks WHERE Title <> 'a;b' LIMIT 1; -- don't\n" +
		"SELECT [Due;Date] FROM Tasks; /* it's */ SHOW TABLES;\nDESCRIBE Tasks # that's all\n")
	if len(stmts) != 3 || rest == "" {
		t.Fatalf("got %q, %q", stmts, rest)
	}
	for _, s := range append(stmts, rest) {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
}
