package sqlparse

import (
	"strings"
	"testing"
)

func TestRewriteForParserLeavesStringsAndNamesAlone(t *testing.T) {
	tests := []struct{ sql, want string }{
		{"SELECT {fn UCASE(a)} FROM t", "SELECT    UCASE(a)  FROM t"},
		{"SELECT SUBSTRING(a FROM 2 FOR 3) FROM t", "SELECT `SUBSTRING`(a , 2 , 3) FROM t"},
		{"SELECT SUBSTRING(a FROM (SELECT 1 FROM x)) FROM t", "SELECT `SUBSTRING`(a , (SELECT 1 FROM x)) FROM t"},
		{"SELECT CAST(a AS INTEGER), CONVERT(b, VARCHAR(3)), CAST(c AS SIGNED INTEGER) FROM t", "SELECT CAST(a AS SIGNED), CONVERT(b, CHAR(3)), CAST(c AS SIGNED INTEGER) FROM t"},
		{"SELECT CAST(CONVERT(a, SQL_REAL) AS TEXT) FROM t", "SELECT CAST(CONVERT(a, DECIMAL) AS CHAR) FROM t"},
		{"SELECT '{fn x}', [{d], `substring` FROM t", "SELECT '{fn x}', `{d`, `substring` FROM t"},
		{"SELECT {d '2024-01-02'} FROM t", "SELECT CAST('2024-01-02' AS DATE) FROM t"},
		{"SELECT {x} FROM t", "SELECT {x} FROM t"},
		{"SELECT } { FROM t", "SELECT } { FROM t"},
	}
	for _, tt := range tests {
		toks, err := lex(tt.sql)
		if err != nil {
			t.Fatal(err)
		}
		if got, _, _ := renderForParser(toks); got != tt.want {
			t.Errorf("renderForParser(%q) =\n%q, want\n%q", tt.sql, got, tt.want)
		}
	}
}

func TestDeeplyNestedExpressionsAreRefusedQuickly(t *testing.T) {
	for _, sql := range []string{
		"SELECT ID FROM Tasks WHERE " + strings.Repeat("NOT ", 40000) + "Title = 'x'",
		"SELECT ID FROM Tasks WHERE ID = 0" + strings.Repeat(" OR ID = 1", 2000),
		"UPDATE Tasks SET Done = 1 WHERE " + strings.Repeat("NOT ", 2000) + "Done = 1",
		"SELECT ID FROM Tasks WHERE ID IN (SELECT ID FROM Tasks WHERE " + strings.Repeat("NOT ", 2000) + "ID = 1)",
	} {
		_, err := Parse(sql)
		if err == nil || !strings.Contains(err.Error(), "more than 1000 levels") {
			t.Errorf("%.60s…: %v, want the nesting refused", sql, err)
		}
	}
	// Within the limit, a statement parses.
	if _, err := Parse("SELECT ID FROM Tasks WHERE " + strings.Repeat("NOT ", 500) + "Title = 'x'"); err != nil {
		t.Errorf("500 NOTs: %v", err)
	}
}
