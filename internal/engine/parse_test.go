package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sqlparse"
)

// plan parses sql and plans it against the Tasks fixture.
// testPlan is a planned single-list SELECT as the tests look at it: its
// scan's request and residual, and the query's result columns.
type testPlan struct {
	*Plan
	Columns []OutputColumn
	q       *Query
}

func plan(t *testing.T, sql string, args ...any) *testPlan {
	t.Helper()
	p, err := tryPlan(t, sql, Options{Location: newYork(t)}, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return p
}

func tryPlan(t *testing.T, sql string, opts Options, args ...any) (*testPlan, error) {
	t.Helper()
	st, err := sqlparse.Parse(sql)
	if err != nil {
		return nil, err
	}
	sel, ok := st.(*sqlparse.Select)
	if !ok {
		t.Fatalf("%s parsed as %T", sql, st)
	}
	q, err := BuildQuery(context.Background(), sel, fixtureCatalog{}, namedValues(args...), opts)
	if err != nil {
		return nil, err
	}
	return &testPlan{Plan: q.scans[0], Columns: q.Columns, q: q}, nil
}

// namedValues turns arguments as database/sql passes them: sql.Named
// values keep their name, every argument gets its 1-based ordinal.
func namedValues(args ...any) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		if n, ok := a.(sql.NamedArg); ok {
			out[i].Name, out[i].Value = n.Name, n.Value
		}
	}
	return out
}

func TestEveryIdentifierStyleNamesTheSameColumn(t *testing.T) {
	for _, name := range []string{
		"DueDate", "duedate", "`Due Date`", `"Due Date"`, "[Due Date]", "`due date`", "Tasks.DueDate", "t.[Due Date]", `"t"."Due Date"`,
	} {
		t.Run(name, func(t *testing.T) {
			p := plan(t, "SELECT "+name+" FROM Tasks t WHERE "+name+" IS NOT NULL ORDER BY "+name)
			if got := p.Query.Select; !reflect.DeepEqual(got, []string{"DueDate"}) {
				t.Errorf("$select = %v, want [DueDate]", got)
			}
			if p.Query.Filter != "DueDate ne null" || p.Query.OrderBy != "DueDate asc" {
				t.Errorf("$filter = %q, $orderby = %q", p.Query.Filter, p.Query.OrderBy)
			}
		})
	}
}

func TestResultColumnsAreNamedAsWritten(t *testing.T) {
	p := plan(t, `SELECT t.Title, [Due Date], "percent complete", Estimate AS est, Project.Title, LOWER(Title), Status, 1 + 2 FROM Tasks t`)
	var got []string
	for _, c := range p.Columns {
		got = append(got, c.Name)
	}
	want := []string{"Title", "Due Date", "percent complete", "est", "Project.Title", "LOWER(Title)", "Status", "(1 + 2)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("column names = %q, want %q", got, want)
	}
}

func TestDoubleQuotesAndBackslashesKeepStandardMeaning(t *testing.T) {
	tests := []struct {
		name, where, filter string
	}{
		{"double quotes inside a string stay text", `Title = 'say "hi"'`, `Title eq 'say "hi"'`},
		{"a doubled quote is one quote", `Title = 'O''Neil'`, `Title eq 'O''Neil'`},
		{"a backslash is an ordinary character", `Title = 'C:\temp\'`, `Title eq 'C:\temp\'`},
		{"a bracket inside a string is text", `Title = '[x]'`, `Title eq '[x]'`},
		{"a placeholder sign inside a string is text", `Title = 'a ? :b @c'`, `Title eq 'a ? :b @c'`},
		{"a comment sign inside a string is text", `Title = 'a -- b # c /* d */'`, `Title eq 'a -- b # c /* d */'`},
		{"comments are dropped", "Title = 'x' -- and ID = 2\n /* or 1=1 */", `Title eq 'x'`},
		{"non-ASCII bare names are accepted", `Title = 'Größe'`, `Title eq 'Größe'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan(t, "SELECT ID FROM Tasks WHERE "+tt.where)
			if p.Query.Filter != tt.filter {
				t.Errorf("$filter = %q, want %q", p.Query.Filter, tt.filter)
			}
		})
	}
}

func TestPlaceholdersBindByPositionAndName(t *testing.T) {
	day := time.Date(2024, 3, 1, 12, 30, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name   string
		sql    string
		args   []any
		filter string
	}{
		{"positional in order", "SELECT ID FROM Tasks WHERE Estimate > ? AND Title = ?", []any{int64(3), "x"}, "Estimate gt 3 and Title eq 'x'"},
		{"colon names", "SELECT ID FROM Tasks WHERE Title = :t AND Estimate = :n", []any{sql.Named("n", 2), sql.Named("t", "a")}, "Title eq 'a' and Estimate eq 2"},
		{"at names", "SELECT ID FROM Tasks WHERE Title = @t", []any{sql.Named("t", "a")}, "Title eq 'a'"},
		{"one name used twice", "SELECT ID FROM Tasks WHERE Title = :t OR Status = @t", []any{sql.Named("t", "Done")}, "(Title eq 'Done' or Status eq 'Done')"},
		{"a name matched ignoring case", "SELECT ID FROM Tasks WHERE Title = :Title", []any{sql.Named("title", "a")}, "Title eq 'a'"},
		{"a time in another zone becomes UTC", "SELECT ID FROM Tasks WHERE Created > ?", []any{day}, "Created gt datetime'2024-03-01T11:30:00Z'"},
		{"a boolean becomes 1", "SELECT ID FROM Tasks WHERE Done = ?", []any{true}, "Done eq 1"},
		{"a false boolean becomes 0", "SELECT ID FROM Tasks WHERE Done <> ?", []any{false}, "(Done ne 0 and Done ne null)"},
		{"bytes are text", "SELECT ID FROM Tasks WHERE Title = ?", []any{[]byte("b")}, "Title eq 'b'"},
		{"an int becomes a number", "SELECT ID FROM Tasks WHERE Budget >= ?", []any{int32(7)}, "Budget ge 7"},
		{"a float", "SELECT ID FROM Tasks WHERE \"Percent Complete\" < ?", []any{0.25}, "PercentComplete lt 0.25"},
		{"a string for a number column is read as a number", "SELECT ID FROM Tasks WHERE Estimate = ?", []any{"12"}, "Estimate eq 12"},
		{"a Valuer is asked for its value", "SELECT ID FROM Tasks WHERE Title = ?", []any{sql.NullString{String: "v", Valid: true}}, "Title eq 'v'"},
		{"a NULL Valuer stays in the driver", "SELECT ID FROM Tasks WHERE Title = ? AND ID = 1", []any{sql.NullString{}}, "ID eq 1"},
		{"a LIKE pattern parameter", "SELECT ID FROM Tasks WHERE Title LIKE ?", []any{"ab%"}, "startswith(Title,'ab')"},
		{"LIMIT and OFFSET placeholders", "SELECT ID FROM Tasks WHERE ID = ? LIMIT ? OFFSET ?", []any{int64(1), int64(5), int64(2)}, "ID eq 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan(t, tt.sql, tt.args...)
			if p.Query.Filter != tt.filter {
				t.Errorf("$filter = %q, want %q", p.Query.Filter, tt.filter)
			}
		})
	}
	p := plan(t, "SELECT ID FROM Tasks LIMIT ? OFFSET ?", int64(5), int64(2))
	if ex := explainText(p.q); p.Query.Top != 7 || !strings.Contains(ex, "skip 2 rows, then return at most 5 rows") {
		t.Errorf("LIMIT ? OFFSET ?: top %d, plan:\n%s\nwant $top 7, skip 2, return 5", p.Query.Top, ex)
	}
}

func TestArgumentMistakesAreErrors(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		args []any
		want string
	}{
		{"a missing positional argument", "SELECT ID FROM Tasks WHERE ID = ? AND Title = ?", []any{int64(1)}, "the query has 2 ? placeholders but got 1 argument: pass one argument per ?, in order"},
		{"a missing named argument", "SELECT ID FROM Tasks WHERE ID = :id", nil, `no argument named "id" for the placeholder of that name: pass sql.Named("id", value)`},
		{"an unused argument", "SELECT ID FROM Tasks WHERE ID = ?", []any{int64(1), int64(2)}, "argument 2 is not used by the query, which has 1 ? placeholder: remove the argument or add a ?"},
		{"an unused named argument", "SELECT ID FROM Tasks WHERE ID = :id", []any{sql.Named("id", 1), sql.Named("x", 2)}, `argument "x" is not used by the query: it has no placeholder :x or @x`},
		{"a misspelt name", "SELECT ID FROM Tasks WHERE ID = :id", []any{sql.Named("di", 1)}, `no argument named "id" for the placeholder of that name: pass sql.Named("id", value) (the named arguments given are "di")`},
		{"a named argument for a ?", "SELECT ID FROM Tasks WHERE ID = ?", []any{sql.Named("id", 1)}, "got the named argument"},
		{"an unsupported type", "SELECT ID FROM Tasks WHERE ID = ?", []any{struct{}{}}, "unsupported type"},
		{"binary bytes", "SELECT ID FROM Tasks WHERE Title = ?", []any{[]byte{0xff}}, "UTF-8"},
		{"a too large unsigned", "SELECT ID FROM Tasks WHERE ID = ?", []any{uint64(1 << 63)}, "does not fit"},
		{"a negative LIMIT", "SELECT ID FROM Tasks LIMIT ?", []any{int64(-1)}, "LIMIT must be between"},
		{"a text LIMIT", "SELECT ID FROM Tasks LIMIT ?", []any{"ten"}, "LIMIT must be a whole number"},
		{"text for a number column", "SELECT ID FROM Tasks WHERE Estimate = ?", []any{"ten"}, "is not a number"},
		{"a number for a text column", "SELECT ID FROM Tasks WHERE Title = ?", []any{int64(5)}, "cannot compare Title (TEXT) with 5 (INTEGER)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tryPlan(t, tt.sql, Options{}, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// odataTokens splits a $filter into tokens, strings as one token each,
// to check that a value stayed inside its literal.
func odataTokens(t *testing.T, filter string) (tokens []string, strs []string) {
	t.Helper()
	for i := 0; i < len(filter); {
		switch c := filter[i]; {
		case c == ' ':
			i++
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(filter) {
					t.Fatalf("unterminated literal in %q", filter)
				}
				if filter[j] == '\'' {
					if j+1 < len(filter) && filter[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(filter[j])
				j++
			}
			tokens = append(tokens, "STRING")
			strs = append(strs, b.String())
			i = j + 1
		case c == '(' || c == ')' || c == ',':
			tokens = append(tokens, string(c))
			i++
		default:
			j := i
			for j < len(filter) && !strings.ContainsRune(" '(),", rune(filter[j])) {
				j++
			}
			tokens = append(tokens, filter[i:j])
			i = j
		}
	}
	return tokens, strs
}

func TestAParameterCannotChangeTheShapeOfTheFilter(t *testing.T) {
	attacks := []string{
		`' or 1 eq 1 or Title eq '`,
		`x' or ID gt 0 or Title eq 'x`,
		`'`, `''`, `'''`, `\'`, `\' or 1 eq 1 --`,
		`%27 or 1 eq 1`, `x') or (1 eq 1`, `' and substringof('a',Title) or '`,
		"line\nbreak' or '1' eq '1", `&$top=5000&$filter=ID gt 0`, `#`, `a%`, `%_`,
	}
	shapes := []struct {
		name   string
		sql    string
		tokens []string
	}{
		{"equality", "SELECT ID FROM Tasks WHERE Title = ?", []string{"Title", "eq", "STRING"}},
		{"a prefix LIKE", "SELECT ID FROM Tasks WHERE Title LIKE CONCAT(?, '%')", nil}, // CONCAT is evaluated in the driver
		{"an IN list", "SELECT ID FROM Tasks WHERE Status IN (?, 'Done')", []string{"(", "Status", "eq", "STRING", "or", "Status", "eq", "STRING", ")"}},
		{"a lookup value", "SELECT ID FROM Tasks WHERE Project = ?", []string{"Project/Title", "eq", "STRING"}},
	}
	for _, attack := range attacks {
		for _, shape := range shapes {
			t.Run(shape.name+"/"+attack, func(t *testing.T) {
				p := plan(t, shape.sql, attack)
				tokens, strs := odataTokens(t, p.Query.Filter)
				if shape.tokens == nil {
					if p.Query.Filter != "" || p.Residual == nil {
						t.Errorf("$filter = %q, want the predicate in the driver", p.Query.Filter)
					}
					return
				}
				if !reflect.DeepEqual(tokens, shape.tokens) {
					t.Errorf("$filter %q has the shape %q, want %q", p.Query.Filter, tokens, shape.tokens)
				}
				if strs[0] != attack {
					t.Errorf("the literal holds %q, want the whole parameter %q", strs[0], attack)
				}
			})
		}
	}
	// A LIKE parameter is analysed as a pattern, and its text still
	// stays one literal.
	p := plan(t, "SELECT ID FROM Tasks WHERE Title LIKE ?", `%' or 1 eq 1 or substringof('%`)
	if p.Query.Filter != "" && !strings.HasPrefix(p.Query.Filter, "substringof(") {
		t.Errorf("$filter = %q", p.Query.Filter)
	}
	tokens, strs := odataTokens(t, p.Query.Filter)
	if len(strs) != 1 || strs[0] != `' or 1 eq 1 or substringof('` || len(tokens) != 6 {
		t.Errorf("$filter = %q: tokens %q, strings %q", p.Query.Filter, tokens, strs)
	}
}

func TestAQuotedSubFieldCannotInjectIntoTheFilter(t *testing.T) {
	_, err := tryPlan(t, `SELECT ID FROM Tasks WHERE "Author.Title eq 'x' or ID" = 5`, Options{})
	if err == nil || !strings.Contains(err.Error(), "is not a field name") {
		t.Errorf("error = %v, want a refusal of the sub-field name", err)
	}
}

func TestColumnErrorsNameTheListAndSuggest(t *testing.T) {
	tests := []struct {
		name, sql, want string
	}{
		{"a typo", "SELECT Stauts FROM Tasks", `column "Stauts" of list "Tasks" does not exist; did you mean "Status"?`},
		{"a typo of a display name", "SELECT `Due Dat` FROM Tasks", `did you mean "Due Date"?`},
		{"nothing close", "SELECT Zzyzx FROM Tasks", `column "Zzyzx" of list "Tasks" does not exist (DESCRIBE Tasks lists its columns)`},
		{"in WHERE", "SELECT ID FROM Tasks WHERE Titel = 'x'", `did you mean "Title"?`},
		{"a sub-field of a text column", "SELECT Title.x FROM Tasks", `is a Text column, so it has no sub-field`},
		{"a computed column", "SELECT `Content Type` FROM Tasks", "Computed display column"},
		{"an unknown star qualifier", "SELECT x.* FROM Tasks t", "x.* names no list"},
		{"an unknown alias", "SELECT x.Title FROM Tasks t", `column "x" of list "Tasks" does not exist, and "x" is not the list's name or alias either: write t.Title`},
		{"a misspelt alias", "SELECT tt.Title FROM Tasks t", `did you mean t.Title?`},
		{"text that is no date", "SELECT ID FROM Tasks WHERE DueDate > 'tomorrow'", `spsql: comparing DueDate: "tomorrow" is not a date: use 'YYYY-MM-DD'`},
		{"a bad ORDER BY position", "SELECT Title FROM Tasks ORDER BY 3", "ORDER BY 3: a number there is a position in the select list, which has 1 column: give 1, or name the column"},
		{"a bad GROUP BY position", "SELECT Status, COUNT(*) FROM Tasks GROUP BY 3", "GROUP BY 3: a number there is a position in the select list, which has 2 columns: give 1 to 2, or name the column"},
		{"a non-condition WHERE", "SELECT ID FROM Tasks WHERE Title", "not a condition"},
		{"LIKE on a number", "SELECT ID FROM Tasks WHERE Estimate LIKE '1%'", "LIKE compares text"},
		{"arithmetic on text", "SELECT Title + 1 FROM Tasks", "needs numbers"},
		{"a lookup value against a number", "SELECT ID FROM Tasks WHERE Project = 5", "use ProjectId for its ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tryPlan(t, tt.sql, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	_, err := tryPlan(t, "SELECT Stauts FROM Tasks", Options{})
	if !errors.Is(err, sharepoint.ErrFieldNotFound) {
		t.Errorf("an unknown column error does not match sharepoint.ErrFieldNotFound: %v", err)
	}
}

func TestDoubleQuotedTextThatNamesNoColumnSaysToUseSingleQuotes(t *testing.T) {
	const hint = `"…" quotes a column name: write text in single quotes ('Blocked')`
	_, err := tryPlan(t, `SELECT ID FROM Tasks WHERE Status = "Blocked"`, Options{})
	if err == nil || !strings.Contains(err.Error(), hint) {
		t.Errorf("error = %v, want one containing %q", err, hint)
	}
	if !errors.Is(err, sharepoint.ErrFieldNotFound) {
		t.Errorf("the hinted error no longer matches sharepoint.ErrFieldNotFound: %v", err)
	}
	for _, sql := range []string{"SELECT ID FROM Tasks WHERE Status = Blocked", "SELECT ID FROM Tasks WHERE Status = [Blocked]"} {
		if _, err := tryPlan(t, sql, Options{}); err == nil || strings.Contains(err.Error(), "single quotes") {
			t.Errorf("%s: error = %v, want no single-quote hint for a name not in double quotes", sql, err)
		}
	}
	if _, err := tryPlan(t, `SELECT "Title" FROM Tasks WHERE "Status" = 'Blocked'`, Options{}); err != nil {
		t.Errorf("double-quoted column names: %v", err)
	}
}

func TestDisplayNameCollisionsAreResolved(t *testing.T) {
	// "Title" is the display name of both Title and the Computed LinkTitle:
	// the internal name decides.
	p := plan(t, "SELECT Title FROM Tasks")
	if !reflect.DeepEqual(p.Query.Select, []string{"Title"}) {
		t.Errorf("$select = %v", p.Query.Select)
	}
	fields := append(tasksFields(),
		sharepoint.Field{Title: "Status", InternalName: "Status0", EntityPropertyName: "Status0", Type: "Text"})
	src := &memSource{fields: map[string][]sharepoint.Field{"tasks": fields}}
	var names []string
	for _, c := range query(t, src, "SELECT * FROM Tasks", Options{}).Columns {
		names = append(names, c.Name)
	}
	if !strings.Contains(strings.Join(names, ","), "ID,Title,Status,Due Date") || !strings.Contains(strings.Join(names, ","), ",Status0") {
		t.Errorf("SELECT * names colliding display names by internal name: %q", names)
	}
	if pl := query(t, src, "SELECT Status FROM Tasks", Options{}).scans[0]; pl.Query.Select[0] != "Status" {
		t.Errorf("Status with a colliding display name: $select=%v (the internal name should decide)", pl.Query.Select)
	}
}

func TestAuditColumnsAddHiddenPlainFields(t *testing.T) {
	p, err := tryPlan(t, "SELECT * FROM Tasks", Options{AuditColumns: true})
	if err != nil {
		t.Fatal(err)
	}
	sel := strings.Join(p.Query.Select, ",")
	for _, want := range []string{"OData__UIVersionString", "GUID", "ContentTypeId", "Attachments"} {
		if !strings.Contains(sel, want) {
			t.Errorf("$select = %s lacks %s", sel, want)
		}
	}
	if strings.Contains(sel, "LinkTitle") || strings.Contains(sel, "ContentType,") {
		t.Errorf("$select = %s has a Computed field", sel)
	}
	p = plan(t, "SELECT * FROM Tasks")
	if sel := strings.Join(p.Query.Select, ","); strings.Contains(sel, "GUID") || strings.Contains(sel, "Attachments") {
		t.Errorf("SELECT * without audit columns: %s", sel)
	}
}
