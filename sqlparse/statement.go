package sqlparse

import (
	"errors"
	"fmt"
	"strings"

	"github.com/xwb1989/sqlparser"

	"github.com/go-spsql/spsql/internal/suggest"
)

// Statement is one parsed statement: *Select, *ShowTables, *Describe,
// *Explain, or a write: *Insert, *Update, *Delete (write.go). The set is
// sealed: a type switch over those seven is complete.
type Statement interface{ statement() }

// ShowTables is SHOW TABLES: the site's lists.
type ShowTables struct{}

// Describe is DESCRIBE list, DESC list or SHOW COLUMNS|FIELDS FROM|IN list.
type Describe struct {
	// List is the list's name as written (quotes removed); lists are
	// matched by title case-insensitively by the caller.
	List string
}

// Explain is EXPLAIN <select>: the caller builds the plan and returns its
// Explain lines as rows instead of running it.
type Explain struct{ Select *Select }

func (*Select) statement()     {}
func (*ShowTables) statement() {}
func (*Describe) statement()   {}
func (*Explain) statement()    {}

var (
	_ Statement = (*Select)(nil)
	_ Statement = (*ShowTables)(nil)
	_ Statement = (*Describe)(nil)
	_ Statement = (*Explain)(nil)
)

// Parse classifies and parses one statement; it does no I/O and knows no
// list. A trailing ';' is allowed, a second statement is not. Statements
// outside the dialect are errors that name the construct.
func Parse(sql string) (Statement, error) {
	st, err := parse(sql)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) && se.Statement == "" {
			se.locate(sql)
		}
		return nil, err
	}
	if err := checkDepth(st); err != nil {
		return nil, err
	}
	if strings.IndexByte(sql, '"') >= 0 {
		markDoubleQuoted(st, sql)
	}
	return st, nil
}

// MaxExprDepth is how deeply expressions may nest — NOT NOT …, a chain
// of ANDs or ORs, functions of functions — counting every operator. It
// keeps planning quick and bounded whatever the statement: deeper ones
// are refused before anything else is done with them. (The parser
// refuses more than about 200 levels of parentheses on its own.)
const MaxExprDepth = 1000

// checkDepth refuses a statement whose expressions nest deeper than
// MaxExprDepth.
func checkDepth(st Statement) error {
	var exprs []Expr
	var add func(sel *Select)
	add = func(sel *Select) {
		if sel == nil {
			return
		}
		for _, it := range sel.Items {
			exprs = append(exprs, it.Expr)
		}
		exprs = append(exprs, sel.Where, sel.Having, sel.Limit, sel.Offset)
		exprs = append(exprs, sel.GroupBy...)
		for _, o := range sel.OrderBy {
			exprs = append(exprs, o.Expr)
		}
		for _, j := range sel.Joins {
			exprs = append(exprs, j.On)
		}
		if sel.Union != nil {
			for _, p := range sel.Union.Parts {
				add(p)
			}
		}
	}
	switch st := st.(type) {
	case *Select:
		add(st)
	case *Explain:
		add(st.Select)
	case *Update:
		exprs = append(exprs, st.Where)
		for _, a := range st.Set {
			exprs = append(exprs, a.Val)
		}
	case *Delete:
		exprs = append(exprs, st.Where)
	case *Insert:
		for _, row := range st.Rows {
			exprs = append(exprs, row...)
		}
	}
	for _, e := range exprs {
		if e != nil && depthOver(e, MaxExprDepth) {
			return fmt.Errorf("sqlparse: the statement nests expressions more than %d levels deep (NOT NOT …, a long chain of AND or OR, functions of functions); simplify it, for example with IN (…)", MaxExprDepth)
		}
	}
	return nil
}

// depthOver reports whether e nests deeper than limit, subqueries
// included; it stops looking as soon as it knows.
func depthOver(e Expr, limit int) bool {
	if limit < 0 {
		return true
	}
	if sub, ok := e.(*InSelect); ok && checkDepth(sub.Sub) != nil {
		return true
	}
	for _, c := range Children(e) {
		if c != nil && depthOver(c, limit-1) {
			return true
		}
	}
	return false
}

// parse classifies and parses one statement.
func parse(sql string) (Statement, error) {
	toks, err := lex(sql)
	if err != nil {
		return nil, err
	}
	toks, err = trimStatementEnd(toks)
	if err != nil {
		return nil, err
	}
	sig := significant(toks)
	if len(sig) == 0 {
		return nil, errors.New("sqlparse: empty statement")
	}
	first := strings.ToUpper(sig[0].text)
	if sig[0].kind != tkWord {
		first = ""
	}
	switch first {
	case "SHOW":
		return parseShow(sig)
	case "DESCRIBE", "DESC":
		list, err := listName(sig[1:], first)
		if err != nil {
			return nil, err
		}
		return &Describe{List: list}, nil
	case "EXPLAIN":
		// Everything after the keyword is the SELECT; keep its original
		// tokens (spaces included) so its placeholders number from 1.
		rest := toks
		for i, t := range toks {
			if t.kind == tkWord && t.pos == sig[0].pos {
				rest = toks[i+1:]
				break
			}
		}
		s := significant(rest)
		if len(s) > 0 && s[0].kind == tkWord {
			switch strings.ToUpper(s[0].text) {
			case "SELECT":
				sel, err := parseSelect(rest)
				if err != nil {
					return nil, err
				}
				return &Explain{Select: sel}, nil
			case "SHOW", "DESCRIBE", "DESC":
				// SHOW TABLES and DESCRIBE are SELECTs over
				// information_schema: their plans are those.
				st, err := parse(rendered(rest))
				if err != nil {
					return nil, err
				}
				switch st := st.(type) {
				case *ShowTables:
					return &Explain{Select: st.Select()}, nil
				case *Describe:
					return &Explain{Select: st.Select()}, nil
				}
			}
		}
		return nil, errors.New("sqlparse: EXPLAIN needs a SELECT, SHOW TABLES or DESCRIBE statement after it")
	case "SELECT":
		return parseSelect(toks)
	case "INSERT", "UPDATE", "DELETE", "REPLACE":
		return parseWrite(toks)
	case "MERGE", "UPSERT":
		return nil, fmt.Errorf("sqlparse: %s is not supported; use INSERT, UPDATE or DELETE", first)
	case "CREATE", "ALTER", "DROP", "TRUNCATE", "RENAME":
		return nil, fmt.Errorf("sqlparse: %s is not supported: lists and columns are managed in SharePoint", first)
	case "WITH":
		return nil, errors.New("sqlparse: WITH (common table expressions) is not supported yet")
	case "BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT":
		return nil, fmt.Errorf("sqlparse: %s: SharePoint lists do not support transactions", first)
	case "":
		if sig[0].text == "(" {
			return nil, errors.New("sqlparse: a parenthesised SELECT (or UNION) is not supported yet")
		}
		return nil, fmt.Errorf("sqlparse: a statement cannot start with %q", sig[0].text)
	default:
		for _, kw := range []string{"SELECT", "INSERT", "UPDATE", "DELETE", "SHOW", "DESCRIBE", "EXPLAIN"} {
			if d := suggest.Distance(first, kw); d <= suggest.MaxDistance(first) && d < len(first)/2 {
				return nil, fmt.Errorf("sqlparse: %s is not a statement: did you mean %s?", first, kw)
			}
		}
		return nil, fmt.Errorf("sqlparse: %s statements are not supported; the dialect is SELECT, INSERT, UPDATE, DELETE, SHOW TABLES, DESCRIBE and EXPLAIN", first)
	}
}

// parseShow handles SHOW TABLES and SHOW COLUMNS|FIELDS FROM|IN list.
func parseShow(sig []token) (Statement, error) {
	words := make([]string, 0, 3)
	for _, t := range sig[1:] {
		if t.kind != tkWord || len(words) == 2 {
			break
		}
		words = append(words, strings.ToUpper(t.text))
	}
	switch {
	case len(sig) == 2 && len(words) == 1 && words[0] == "TABLES":
		return &ShowTables{}, nil
	case len(words) == 2 && (words[0] == "COLUMNS" || words[0] == "FIELDS") && (words[1] == "FROM" || words[1] == "IN"):
		list, err := listName(sig[3:], "SHOW "+words[0]+" "+words[1])
		if err != nil {
			return nil, err
		}
		return &Describe{List: list}, nil
	}
	return nil, errors.New("sqlparse: SHOW supports SHOW TABLES and SHOW COLUMNS FROM list only")
}

// listName reads a list name that must be the rest of the statement: one
// identifier, bare or quoted, or dotted parts (information_schema.tables).
func listName(toks []token, after string) (string, error) {
	var parts []string
	for i, t := range toks {
		if i%2 == 1 {
			if t.kind != tkPunct || t.text != "." {
				return "", fmt.Errorf("sqlparse: %s takes one list name; quote names with spaces as \"My List\" or [My List] (unexpected %q)", after, t.text)
			}
			continue
		}
		switch t.kind {
		case tkWord:
			parts = append(parts, t.text)
		case tkQuoted:
			parts = append(parts, t.val)
		case tkString:
			parts = append(parts, t.val) // DESCRIBE 'My List' is forgiven
		default:
			return "", fmt.Errorf("sqlparse: %s takes a list name, not %q", after, t.text)
		}
	}
	if len(parts) == 0 || len(toks)%2 == 0 {
		return "", fmt.Errorf("sqlparse: %s needs a list name", after)
	}
	return strings.Join(parts, "."), nil
}

// parseSelect renders the tokens for the parser, parses them and converts
// the AST into ours, rejecting everything outside the dialect.
func parseSelect(toks []token) (*Select, error) {
	text, params, spans := renderForParser(toks)
	st, err := sqlparser.ParseStrictDDL(text)
	if err != nil {
		if msg := unsupportedConstruct(significant(toks)); msg != "" {
			return nil, errors.New("sqlparse: " + msg)
		}
		return nil, syntaxError(err, spans, toks)
	}
	ss, ok := st.(sqlparser.SelectStatement)
	if !ok {
		return nil, fmt.Errorf("sqlparse: %T statements are not supported", st)
	}
	sel, err := convertSelectStatement(ss, params)
	if err != nil {
		return nil, err
	}
	respell(sel, toks)
	return sel, nil
}

// convertSelectStatement converts a SELECT, a UNION of SELECTs (which
// nest to the left in the parser's AST) or a parenthesised SELECT.
func convertSelectStatement(st sqlparser.SelectStatement, params map[string]Placeholder) (*Select, error) {
	switch st := st.(type) {
	case *sqlparser.Select:
		return convertSelect(st, params)
	case *sqlparser.ParenSelect:
		return convertSelectStatement(st.Select, params)
	case *sqlparser.Union:
		u := &Union{}
		var collect func(st sqlparser.SelectStatement, all bool) error
		collect = func(st sqlparser.SelectStatement, all bool) error {
			if nested, ok := st.(*sqlparser.Union); ok && len(nested.OrderBy) == 0 && nested.Limit == nil {
				if err := collect(nested.Left, false); err != nil {
					return err
				}
				return collect(nested.Right, nested.Type == sqlparser.UnionAllStr)
			}
			part, err := convertSelectStatement(st, params)
			if err != nil {
				return err
			}
			if len(u.Parts) > 0 {
				u.All = append(u.All, all)
			}
			u.Parts = append(u.Parts, part)
			return nil
		}
		if err := collect(st.Left, false); err != nil {
			return nil, err
		}
		if err := collect(st.Right, st.Type == sqlparser.UnionAllStr); err != nil {
			return nil, err
		}
		sel := &Select{Union: u, Params: params}
		if err := sel.convertOrderLimit(st.OrderBy, st.Limit, params); err != nil {
			return nil, err
		}
		return sel, nil
	}
	return nil, fmt.Errorf("sqlparse: %T statements are not supported", st)
}

// unsupportedConstruct names well-known SQL that the parser cannot read
// and the dialect lacks, so that the error says what instead of "syntax
// error near SELECT". It is consulted only when parsing failed.
func unsupportedConstruct(sig []token) string {
	word := func(i int) string {
		if i < 0 || i >= len(sig) || sig[i].kind != tkWord {
			return ""
		}
		return strings.ToUpper(sig[i].text)
	}
	punct := func(i int, p string) bool { return i < len(sig) && sig[i].kind == tkPunct && sig[i].text == p }
	for i := range sig {
		switch w := word(i); {
		case w == "OVER" && punct(i+1, "("):
			return "window functions (… OVER (…)) are not supported; use GROUP BY"
		case w == "INTERSECT" || w == "EXCEPT" || w == "MINUS":
			return w + " is not supported; use IN (SELECT …) or NOT IN (SELECT …)"
		case w == "FULL" && (word(i+1) == "JOIN" || word(i+1) == "OUTER"):
			return "FULL JOIN is not supported; use LEFT JOIN (and a UNION of the unmatched rows of the other side)"
		case w == "CROSS" && word(i+1) == "APPLY", w == "OUTER" && word(i+1) == "APPLY":
			return w + " APPLY is not supported"
		case w == "WITH" && word(i+1) == "ROLLUP":
			return "WITH ROLLUP is not supported; run the totals as a second query or a UNION"
		case (w == "ANY" || w == "SOME" || w == "ALL") && punct(i+1, "(") && word(i+2) == "SELECT" && word(i-1) != "UNION":
			return w + " (SELECT …) is not supported; use IN (SELECT …) or an aggregate such as MAX in the subquery"
		}
	}
	return ""
}

// respell restores the spelling of bare identifiers that the parser
// lower-cased because they are also keywords (Status, Double, Date…):
// result columns are named as the user wrote them. A lower-case name is
// left alone when the statement itself writes it in lower case (ID AS
// id): it may be that one.
func respell(sel *Select, toks []token) {
	spelling := map[string]string{}
	written := map[string]bool{}
	for _, t := range toks {
		if t.kind == tkWord {
			written[t.text] = true
			if _, ok := spelling[strings.ToLower(t.text)]; !ok {
				spelling[strings.ToLower(t.text)] = t.text
			}
		}
	}
	fix := func(s *string) {
		if w, ok := spelling[*s]; ok && *s == strings.ToLower(*s) && !written[*s] {
			*s = w
		}
	}
	var fixSelect func(sel *Select)
	walk := func(n Expr) {
		Walk(n, func(n Expr) {
			switch n := n.(type) {
			case *ColumnRef:
				for i := range n.Path {
					fix(&n.Path[i])
				}
			case *InSelect:
				fixSelect(n.Sub)
			}
		})
	}
	fixSelect = func(sel *Select) {
		fix(&sel.List)
		fix(&sel.Schema)
		fix(&sel.Alias)
		for i := range sel.Joins {
			j := &sel.Joins[i]
			fix(&j.List)
			fix(&j.Schema)
			fix(&j.Alias)
			walk(j.On)
		}
		for i := range sel.Items {
			fix(&sel.Items[i].Alias)
			fix(&sel.Items[i].StarQual)
			walk(sel.Items[i].Expr)
		}
		walk(sel.Where)
		for _, g := range sel.GroupBy {
			walk(g)
		}
		walk(sel.Having)
		for _, o := range sel.OrderBy {
			walk(o.Expr)
		}
		if sel.Union != nil {
			for _, p := range sel.Union.Parts {
				fixSelect(p)
			}
		}
	}
	fixSelect(sel)
}

// SchemaName is the one schema: its tables (tables and columns) describe
// the site's lists.
const SchemaName = "information_schema"

// Select returns SHOW TABLES as the SELECT over information_schema.tables
// it is: the lists' names, item counts and descriptions.
func (*ShowTables) Select() *Select {
	return &Select{Schema: SchemaName, List: "tables", Items: []SelectItem{
		{Expr: &ColumnRef{Path: []string{"TABLE_NAME"}}, Alias: "Name"},
		{Expr: &ColumnRef{Path: []string{"TABLE_ROWS"}}, Alias: "ItemCount"},
		{Expr: &ColumnRef{Path: []string{"TABLE_COMMENT"}}, Alias: "Description"},
	}}
}

// Select returns DESCRIBE list as the SELECT over
// information_schema.columns it is: the list's columns as SELECT *
// returns them, in order. Unlike that SELECT, it fails when the list does
// not exist.
func (d *Describe) Select() *Select {
	col := func(name string) Expr { return &ColumnRef{Path: []string{name}} }
	return &Select{Schema: SchemaName, List: "columns", Describe: true, Items: []SelectItem{
		{Expr: col("COLUMN_NAME"), Alias: "Column"},
		{Expr: col("INTERNAL_NAME"), Alias: "InternalName"},
		{Expr: col("SHAREPOINT_TYPE"), Alias: "Type"},
		{Expr: &Comparison{Op: "=", L: col("IS_NULLABLE"), R: &Literal{Value: "YES"}}, Alias: "Nullable"},
		{Expr: col("IS_READ_ONLY"), Alias: "ReadOnly"},
		{Expr: col("CHOICES"), Alias: "Choices"},
	}, Where: &Comparison{Op: "=", L: col("TABLE_NAME"), R: &Literal{Value: d.List}},
		OrderBy: []OrderItem{{Expr: col("ORDINAL_POSITION")}}}
}

// rendered is the text of toks as written.
func rendered(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.text)
	}
	return b.String()
}
