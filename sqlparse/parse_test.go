package sqlparse

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseClassifiesStatements(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want Statement
	}{
		{"show tables", "SHOW TABLES", &ShowTables{}},
		{"show tables with a semicolon and lower case", "  show tables ; ", &ShowTables{}},
		{"describe a bare name", "DESCRIBE Tasks", &Describe{List: "Tasks"}},
		{"desc a double-quoted name with spaces", `DESC "Project Tasks"`, &Describe{List: "Project Tasks"}},
		{"describe a bracketed name", "describe [Project Tasks];", &Describe{List: "Project Tasks"}},
		{"show columns from a backticked name", "SHOW COLUMNS FROM `Project Tasks`", &Describe{List: "Project Tasks"}},
		{"show fields in a name", "show fields in Tasks", &Describe{List: "Tasks"}},
		{"describe an information_schema table", "DESCRIBE information_schema.columns", &Describe{List: "information_schema.columns"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %#v, want %#v", tt.sql, got, tt.want)
			}
		})
	}
}

func TestParseReadsTheSelectShape(t *testing.T) {
	st, err := Parse(`SELECT DISTINCT t.Title AS "Task Name" FROM [Project Tasks] AS t WHERE t.ID > 1 ORDER BY 1 LIMIT 5 OFFSET 2`)
	if err != nil {
		t.Fatal(err)
	}
	sel := st.(*Select)
	if sel.List != "Project Tasks" || sel.Alias != "t" || !sel.Distinct || sel.Schema != "" {
		t.Errorf("got list %q alias %q distinct %v schema %q", sel.List, sel.Alias, sel.Distinct, sel.Schema)
	}
	st, err = Parse("EXPLAIN SELECT * FROM information_schema.tables WHERE x = ?")
	if err != nil {
		t.Fatal(err)
	}
	ex := st.(*Explain)
	if ex.Select.Schema != "information_schema" || ex.Select.List != "tables" || ex.Select.NumInput() != 1 {
		t.Errorf("EXPLAIN select: schema %q list %q inputs %d", ex.Select.Schema, ex.Select.List, ex.Select.NumInput())
	}
}

func TestParseRefusesWhatTheDialectLacksByName(t *testing.T) {
	tests := []struct {
		name, sql, want string
	}{
		{"insert select", "INSERT INTO Tasks (Title) SELECT Title FROM Tasks", "INSERT … SELECT is not supported"},
		{"update with limit", "update Tasks set Title = 'x' LIMIT 1", "LIMIT are not supported on UPDATE"},
		{"merge", "MERGE INTO Tasks USING x", "MERGE is not supported"},
		{"a window function", "SELECT Title, ROW_NUMBER() OVER (ORDER BY Title) FROM Tasks", "window functions (… OVER (…)) are not supported"},
		{"intersect", "SELECT Title FROM Tasks INTERSECT SELECT Title FROM Projects", "INTERSECT is not supported; use IN (SELECT …)"},
		{"except", "SELECT Title FROM Tasks EXCEPT SELECT Title FROM Projects", "EXCEPT is not supported"},
		{"a full join", "SELECT * FROM Tasks t FULL OUTER JOIN Projects p ON t.ProjectId = p.ID", "FULL JOIN is not supported"},
		{"with rollup", "SELECT Status, COUNT(*) FROM Tasks GROUP BY Status WITH ROLLUP", "WITH ROLLUP is not supported"},
		{"any subquery", "SELECT Title FROM Tasks WHERE ID = ANY (SELECT ID FROM Projects)", "ANY (SELECT …) is not supported"},
		{"a right join", "SELECT * FROM Tasks t RIGHT JOIN Projects p ON t.ProjectId = p.ID", "RIGHT JOIN is not supported; swap the lists and use LEFT JOIN"},
		{"a natural join", "SELECT * FROM Tasks NATURAL JOIN Projects", "NATURAL JOIN is not supported"},
		{"join using", "SELECT * FROM Tasks t JOIN Projects p USING (ID)", "USING is not supported"},
		{"left join without on", "SELECT * FROM Tasks t LEFT JOIN Projects p", "syntax error"},
		{"group_concat", "SELECT GROUP_CONCAT(Title) FROM Tasks", "GROUP_CONCAT"},
		{"another aggregate", "SELECT STD(Estimate) FROM Tasks", "the aggregate STD is not supported (COUNT, SUM, AVG, MIN and MAX are)"},
		{"count distinct star", "SELECT COUNT(DISTINCT *) FROM Tasks", "only COUNT(*) takes *"},
		{"sum of star", "SELECT SUM(*) FROM Tasks", "only COUNT(*) takes *"},
		{"exists", "SELECT Title FROM Tasks WHERE EXISTS (SELECT ID FROM Projects)", "only IN (SELECT …) subqueries are supported"},
		{"a scalar subquery", "SELECT Title FROM Tasks WHERE ID = (SELECT MAX(ID) FROM Projects)", "only IN (SELECT …) subqueries are supported"},
		{"a subquery in FROM", "SELECT * FROM (SELECT * FROM Tasks) x", "subqueries in FROM"},
		{"cast to time", "SELECT CAST(Created AS TIME) FROM Tasks", "CAST to TIME is not supported"},
		{"convert using", "SELECT CONVERT(Title USING utf8) FROM Tasks", "CONVERT … USING is not supported"},
		{"an unknown function", "SELECT SOUNDEX(Title) FROM Tasks", "unknown function SOUNDEX"},
		{"a misspelt aggregate with *", "SELECT CONUT(*) FROM Tasks", "unknown function CONUT: did you mean COUNT?"},
		{"a misspelt function", "SELECT LOWRE(Title) FROM Tasks", "unknown function LOWRE: did you mean LOWER?"},
		{"another dialect's function", "SELECT LEN(Title) FROM Tasks", "unknown function LEN: use CHAR_LENGTH"},
		{"a star in a scalar function", "SELECT LOWER(*) FROM Tasks", "LOWER(*) is not valid; only COUNT(*) takes *"},
		{"regexp", "SELECT Title FROM Tasks WHERE Title REGEXP 'a'", "REGEXP is not supported yet"},
		{"two statements", "SELECT 1 FROM Tasks; SELECT 2 FROM Tasks", "one statement at a time"},
		{"an unterminated string", "SELECT * FROM Tasks WHERE Title = 'x", "unterminated string"},
		{"an unterminated identifier", `SELECT "Title FROM Tasks`, "unterminated quoted identifier"},
		{"a reserved word as a name", "SELECT Key FROM Tasks", `reserved word; quote it as "Key"`},
		{"no FROM", "SELECT 1", "needs FROM a list"},
		{"for update", "SELECT * FROM Tasks FOR UPDATE", "no locks"},
		{"an empty statement", " ; ", "empty statement"},
		{"explain without select", "EXPLAIN Tasks", "EXPLAIN needs a SELECT"},
		{"describe without a name", "DESCRIBE", "needs a list name"},
		{"describe with two names", "DESCRIBE My List", "takes one list name"},
		{"a system variable", "SELECT @@version FROM Tasks", "@@ system variables"},
		{"a transaction", "BEGIN", "transactions"},
		{"ddl", "DROP TABLE Tasks", "managed in SharePoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.sql)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) error = %v, want one containing %q", tt.sql, err, tt.want)
			}
		})
	}
}

func TestNumInputCountsPlaceholders(t *testing.T) {
	tests := []struct {
		name, sql string
		want      int
	}{
		{"none", "SELECT * FROM Tasks", 0},
		{"positional", "SELECT * FROM Tasks WHERE ID > ? AND Title = ? LIMIT ?", 3},
		{"named, each name once", "SELECT * FROM Tasks WHERE ID > :id OR ID < @id AND Title = :title", 2},
		{"mixed", "SELECT * FROM Tasks WHERE ID > ? AND Title = :title", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.(*Select).NumInput(); got != tt.want {
				t.Errorf("NumInput() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestExplainTakesShowTablesAndDescribe(t *testing.T) {
	for sql, schemaTable := range map[string]string{
		"EXPLAIN SHOW TABLES":          "tables",
		"EXPLAIN DESCRIBE [Due Tasks]": "columns",
		"explain desc Tasks;":          "columns",
	} {
		st, err := Parse(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		ex, ok := st.(*Explain)
		if !ok || ex.Select.Schema != SchemaName || ex.Select.List != schemaTable {
			t.Errorf("%s: %#v", sql, st)
		}
	}
	if _, err := Parse("EXPLAIN INSERT INTO Tasks (Title) VALUES ('x')"); err == nil {
		t.Error("EXPLAIN of an INSERT parsed")
	}
}
