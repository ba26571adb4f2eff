package sqlparse

import (
	"strconv"
	"strings"
	"time"
)

// sqlText renders unresolved expressions back as SQL, for result column
// names and error messages. It is never used to build OData.

func (n *ColumnRef) SQL() string {
	parts := make([]string, len(n.Path))
	for i, p := range n.Path {
		parts[i] = QuoteIdent(p)
	}
	return strings.Join(parts, ".")
}

func (n *Literal) SQL() string { return SQLLiteral(n.Value) }

func (n *Param) SQL() string {
	if n.p.name != "" {
		return ":" + n.p.name
	}
	return "?"
}

func (n *Comparison) SQL() string { return n.L.SQL() + " " + n.Op + " " + n.R.SQL() }
func (n *And) SQL() string        { return "(" + n.L.SQL() + " AND " + n.R.SQL() + ")" }
func (n *Or) SQL() string         { return "(" + n.L.SQL() + " OR " + n.R.SQL() + ")" }
func (n *Not) SQL() string        { return "NOT " + n.X.SQL() }
func (n *Is) SQL() string         { return n.X.SQL() + " IS " + strings.ToUpper(n.What) }

func (n *Like) SQL() string {
	s := n.X.SQL() + notWord(n.Not) + " LIKE " + n.Pattern.SQL()
	if n.Escape != nil {
		s += " ESCAPE " + n.Escape.SQL()
	}
	return s
}

func (n *In) SQL() string {
	parts := make([]string, len(n.List))
	for i, x := range n.List {
		parts[i] = x.SQL()
	}
	return n.X.SQL() + notWord(n.Not) + " IN (" + strings.Join(parts, ", ") + ")"
}

func (n *Between) SQL() string {
	return n.X.SQL() + notWord(n.Not) + " BETWEEN " + n.Lo.SQL() + " AND " + n.Hi.SQL()
}

func (n *Arith) SQL() string {
	return "(" + n.L.SQL() + " " + n.Op + " " + n.R.SQL() + ")"
}
func (n *Neg) SQL() string { return "-" + n.X.SQL() }

func (n *Func) SQL() string {
	parts := make([]string, len(n.Args))
	for i, x := range n.Args {
		parts[i] = x.SQL()
	}
	return n.Name + "(" + strings.Join(parts, ", ") + ")"
}

func (n *Case) SQL() string {
	var b strings.Builder
	b.WriteString("CASE")
	if n.Operand != nil {
		b.WriteString(" " + n.Operand.SQL())
	}
	for _, w := range n.Whens {
		b.WriteString(" WHEN " + w.Cond.SQL() + " THEN " + w.Val.SQL())
	}
	if n.Else != nil {
		b.WriteString(" ELSE " + n.Else.SQL())
	}
	b.WriteString(" END")
	return b.String()
}

func (n *Cast) SQL() string { return "CAST(" + n.X.SQL() + " AS " + n.TypeText() + ")" }

// TypeText is the CAST type as SQL: CHAR(10), DECIMAL(65, 2).
func (n *Cast) TypeText() string {
	switch {
	case n.Length >= 0:
		return n.To + "(" + strconv.Itoa(n.Length) + ")"
	case n.Scale >= 0:
		return n.To + "(65, " + strconv.Itoa(n.Scale) + ")"
	}
	return n.To
}

func notWord(b bool) string {
	if b {
		return " NOT"
	}
	return ""
}

// QuoteIdent writes an identifier bare when it is a plain ASCII word, else
// in double quotes (SQL standard, and accepted back by Parse).
func QuoteIdent(s string) string {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i], i == 0) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// SQLLiteral renders a value as a SQL literal.
func SQLLiteral(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		if v {
			return "TRUE"
		}
		return "FALSE"
	case time.Time:
		return "'" + v.UTC().Format(time.RFC3339Nano) + "'"
	}
	return "?"
}

func (n *Aggregate) SQL() string {
	switch {
	case n.Arg == nil:
		return n.Name + "(*)"
	case n.Distinct:
		return n.Name + "(DISTINCT " + n.Arg.SQL() + ")"
	}
	return n.Name + "(" + n.Arg.SQL() + ")"
}

func (n *InSelect) SQL() string { return n.X.SQL() + notWord(n.Not) + " IN (SELECT …)" }
