package sqlparse

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestSyntaxErrorsSayWhereAndWhat(t *testing.T) {
	tests := []struct {
		name, sql    string
		line, column int
		near         string
		expected     string
		message      string // a part of Message
	}{
		{"a stray comma before FROM", "SELECT Title, FROM Tasks", 1, 15, "FROM", "an expression", "expected an expression between ',' and FROM"},
		{"two commas", "SELECT Title,, Status FROM Tasks", 1, 14, ",", "an expression", "expected an expression between ',' and ','"},
		{"an unclosed call", "SELECT COUNT(* FROM Tasks", 1, 16, "FROM", "')'", "unclosed parenthesis: expected ')' before FROM to close the '(' at column 13"},
		{"an unclosed parenthesis at the end", "SELECT * FROM Tasks WHERE (ID = 1", 1, 34, "", "')'", "the statement ends before the '(' at column 27 is closed"},
		{"a closing parenthesis too many", "SELECT * FROM Tasks WHERE ID = 1)", 1, 33, ")", "", "')' without a matching '('"},
		{"the end after WHERE", "SELECT Title FROM Tasks WHERE", 1, 30, "", "an expression", "the statement ends too early after WHERE"},
		{"a join without ON", "SELECT * FROM Tasks t LEFT JOIN Projects p", 1, 43, "", "ON", "LEFT JOIN needs ON"},
		{"a reserved word as a column", "SELECT Order FROM Tasks", 1, 8, "Order", "", `Order is a reserved word; quote it as "Order" or [Order]`},
		{"a reserved word after a comma", "SELECT Title, Key FROM Tasks", 1, 15, "Key", "", "Key is a reserved word"},
		{"a reserved word as a list", "SELECT * FROM Order", 1, 15, "Order", "", "Order is a reserved word"},
		{"two strings", "SELECT Title FROM Tasks WHERE Title = 'a' 'b'", 1, 43, "'b'", "", "unexpected 'b' after 'a'"},
		{"a second line", "SELECT Title\nFROM Tasks\nWHERE Status = ? AND\n\tOrder = 2", 4, 2, "Order", "", "Order is a reserved word"},
		{"after non-ASCII and a quoted name", "SELECT \"Größe\", [Due Date], FROM Tasks", 1, 29, "FROM", "an expression", "between ',' and FROM"},
		{"after EXPLAIN", "EXPLAIN SELECT Title, FROM Tasks", 1, 23, "FROM", "an expression", "between ',' and FROM"},
		{"after an ODBC escape", "SELECT {fn UCASE(Title)}, FROM Tasks", 1, 27, "FROM", "an expression", "between ',' and FROM"},
		{"in an UPDATE", "UPDATE Tasks SET Title = WHERE ID = 1", 1, 26, "WHERE", "an expression", "between '=' and WHERE"},
		{"in an INSERT", "INSERT INTO Tasks (Title, Order) VALUES ('a', 1)", 1, 27, "Order", "", "Order is a reserved word"},
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
			if !strings.Contains(se.Message, tt.message) {
				t.Errorf("Parse(%q) message %q, want one containing %q", tt.sql, se.Message, tt.message)
			}
			if tt.near != "" && !strings.HasPrefix(tt.sql[se.Offset:], tt.near) {
				t.Errorf("Parse(%q): offset %d is not at %q", tt.sql, se.Offset, tt.near)
			}
			if strings.Contains(err.Error(), "position") {
				t.Errorf("Parse(%q) error %q speaks of the parser's positions", tt.sql, err)
			}
		})
	}
}

func TestSyntaxErrorDoesNotBlameAKeywordAfterAStrayComma(t *testing.T) {
	for _, sql := range []string{"SELECT Title, FROM Tasks", "SELECT COUNT(* FROM Tasks", "SELECT Title FROM Tasks WHERE ID = 1 AND ORDER BY Title"} {
		if _, err := Parse(sql); err == nil || strings.Contains(err.Error(), "reserved word") {
			t.Errorf("Parse(%q) error = %v, want no reserved-word claim", sql, err)
		}
	}
}

func TestSyntaxErrorShowsTheLineWithACaret(t *testing.T) {
	_, err := Parse("SELECT Title\nFROM Tasks\nWHERE Status = 'x' AND\n\tOrder = 2\nORDER BY Title")
	want := "sqlparse: syntax error at line 4, column 2: Order is a reserved word; quote it as \"Order\" or [Order] to use it as a name\n" +
		"  \tOrder = 2\n" +
		"  \t^"
	if err == nil || err.Error() != want {
		t.Errorf("error =\n%v\nwant\n%s", err, want)
	}
	_, err = Parse("SELECT Größe, FROM Tasks")
	want = "sqlparse: syntax error at line 1, column 15: expected an expression between ',' and FROM\n" +
		"  SELECT Größe, FROM Tasks\n" +
		"                ^"
	if err == nil || err.Error() != want {
		t.Errorf("error =\n%v\nwant\n%s", err, want)
	}
}

func TestUnsupportedStatementsNameTheWholeDialect(t *testing.T) {
	_, err := Parse("GRANT SELECT ON Tasks TO bob")
	if err == nil || !strings.Contains(err.Error(), "SELECT, INSERT, UPDATE, DELETE, SHOW TABLES, DESCRIBE and EXPLAIN") {
		t.Errorf("error = %v, want the statements the dialect has, writes included", err)
	}
}

func TestAMisspeltStatementKeywordIsSuggested(t *testing.T) {
	for sql, want := range map[string]string{
		"SELEC Title FROM Tasks":      "sqlparse: SELEC is not a statement: did you mean SELECT?",
		"slect Title FROM Tasks":      "sqlparse: SLECT is not a statement: did you mean SELECT?",
		"DELTE FROM Tasks WHERE ID=1": "sqlparse: DELTE is not a statement: did you mean DELETE?",
		"UDPATE Tasks SET Title='x'":  "sqlparse: UDPATE is not a statement: did you mean UPDATE?",
		"GRANT SELECT ON Tasks TO b":  "sqlparse: GRANT statements are not supported",
	} {
		if _, err := Parse(sql); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: error = %v, want %q", sql, err, want)
		}
	}
}

func TestCommonSlipsAreExplained(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT Title FROM Tasks WHERE Due Date > '2024-01-01'": "unexpected Date after Due: if Due Date is one name, write it in brackets: [Due Date]",
		"SELECT TOP 5 Title FROM Tasks":                         "unexpected 5 after TOP: SELECT TOP n is not in this dialect; end the statement with LIMIT n",
		"SELECT Title FROM Tasks GROUP Status":                  "expected BY after GROUP (GROUP BY …)",
		"SELECT Title FROM Tasks ORDER Title":                   "expected BY after ORDER (ORDER BY …)",
		"SELECT Title FROM Tasks LIMIT 10 ORDER BY Title":       "unexpected ORDER after 10: ORDER BY comes before LIMIT",
		"SELECT Title FROM Tasks WHERE Status == 'Blocked'":     "unexpected '=' after '=': compare with a single '='",
		"SELECT Title FROM Tasks WHERE Status IS 'Blocked'":     "unexpected 'Blocked' after IS: IS takes NULL or NOT NULL; compare values with '='",
	} {
		_, err := Parse(sql)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Message != want {
			t.Errorf("%s: error = %v, want the message %q", sql, err, want)
		}
	}
}

func TestColumnRefRemembersDoubleQuotes(t *testing.T) {
	quoted := func(sql string) map[string]bool {
		t.Helper()
		st, err := Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		var where Expr
		switch st := st.(type) {
		case *Select:
			where = st.Where
		case *Update:
			where = st.Set[0].Val
		}
		got := map[string]bool{}
		Walk(where, func(n Expr) {
			if c, ok := n.(*ColumnRef); ok {
				got[c.Path[0]] = c.DoubleQuoted
			}
		})
		return got
	}
	if got := quoted(`SELECT ID FROM Tasks WHERE Status = "Blocked" AND [Due] > 1 AND Title = "Title"`); !reflect.DeepEqual(got, map[string]bool{"Status": false, "Blocked": true, "Due": false, "Title": false}) {
		t.Errorf("marks = %v", got)
	}
	if got := quoted(`UPDATE Tasks SET Status = "Done" WHERE ID = 1`); !got["Done"] {
		t.Errorf("marks = %v", got)
	}
}

// FuzzSyntaxError checks that whatever the statement, a syntax error
// points inside it and renders without panicking.
func FuzzSyntaxError(f *testing.F) {
	for _, s := range []string{
		"SELECT Title, FROM Tasks", "SELECT COUNT(* FROM Tasks", "SELECT Order FROM Tasks",
		"SELECT Title\nFROM Tasks\nWHERE\t(a = ", "EXPLAIN SELECT {fn UCASE(x)}, FROM T", "UPDATE T SET a = WHERE",
		"SELECT Größe,, [x] FROM Ä WHERE a = :n AND b = ? c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		_, err := Parse(sql)
		var se *SyntaxError
		if !errors.As(err, &se) {
			return
		}
		msg := se.Error()
		if se.Statement != sql || se.Offset < 0 || se.Offset > len(sql) || se.Line < 1 || se.Column < 1 || se.Message == "" {
			t.Errorf("Parse(%q): %+v", sql, se)
		}
		if se.Near != "" && !strings.HasPrefix(sql[se.Offset:], se.Near) {
			t.Errorf("Parse(%q): near %q is not at offset %d", sql, se.Near, se.Offset)
		}
		if !strings.Contains(msg, "^") {
			t.Errorf("Parse(%q): no caret in %q", sql, msg)
		}
	})
}
