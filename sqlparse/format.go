package sqlparse

import (
	"strconv"
	"strings"
	"time"
)

// sqlText renders unresolved expressions back as SQL, for result column
// names and error messages. It is never used to build OData.

func (n *colNode) sqlText() string {
	parts := make([]string, len(n.path))
	for i, p := range n.path {
		parts[i] = quoteIdent(p)
	}
	return strings.Join(parts, ".")
}

func (n *litNode) sqlText() string { return sqlLiteral(n.v) }

func (n *paramNode) sqlText() string {
	if n.p.name != "" {
		return ":" + n.p.name
	}
	return "?"
}

func (n *cmpNode) sqlText() string { return n.l.sqlText() + " " + n.op + " " + n.r.sqlText() }
func (n *andNode) sqlText() string { return "(" + n.l.sqlText() + " AND " + n.r.sqlText() + ")" }
func (n *orNode) sqlText() string  { return "(" + n.l.sqlText() + " OR " + n.r.sqlText() + ")" }
func (n *notNode) sqlText() string { return "NOT " + n.x.sqlText() }
func (n *isNode) sqlText() string  { return n.x.sqlText() + " IS " + strings.ToUpper(n.what) }

func (n *likeNode) sqlText() string {
	s := n.x.sqlText() + not(n.not) + " LIKE " + n.pattern.sqlText()
	if n.escape != nil {
		s += " ESCAPE " + n.escape.sqlText()
	}
	return s
}

func (n *inNode) sqlText() string {
	parts := make([]string, len(n.list))
	for i, x := range n.list {
		parts[i] = x.sqlText()
	}
	return n.x.sqlText() + not(n.not) + " IN (" + strings.Join(parts, ", ") + ")"
}

func (n *betweenNode) sqlText() string {
	return n.x.sqlText() + not(n.not) + " BETWEEN " + n.lo.sqlText() + " AND " + n.hi.sqlText()
}

func (n *arithNode) sqlText() string {
	return "(" + n.l.sqlText() + " " + n.op + " " + n.r.sqlText() + ")"
}
func (n *negNode) sqlText() string { return "-" + n.x.sqlText() }

func (n *funcNode) sqlText() string {
	parts := make([]string, len(n.args))
	for i, x := range n.args {
		parts[i] = x.sqlText()
	}
	return n.name + "(" + strings.Join(parts, ", ") + ")"
}

func (n *caseNode) sqlText() string {
	var b strings.Builder
	b.WriteString("CASE")
	if n.operand != nil {
		b.WriteString(" " + n.operand.sqlText())
	}
	for _, w := range n.whens {
		b.WriteString(" WHEN " + w.cond.sqlText() + " THEN " + w.val.sqlText())
	}
	if n.els != nil {
		b.WriteString(" ELSE " + n.els.sqlText())
	}
	b.WriteString(" END")
	return b.String()
}

func (n *castNode) sqlText() string { return "CAST(" + n.x.sqlText() + " AS " + n.typeText() + ")" }

// typeText is the CAST type as SQL: CHAR(10), DECIMAL(65, 2).
func (n *castNode) typeText() string {
	switch {
	case n.length >= 0:
		return n.to + "(" + strconv.Itoa(n.length) + ")"
	case n.scale >= 0:
		return n.to + "(65, " + strconv.Itoa(n.scale) + ")"
	}
	return n.to
}

func not(b bool) string {
	if b {
		return " NOT"
	}
	return ""
}

// quoteIdent writes an identifier bare when it is a plain ASCII word, else
// in double quotes (SQL standard, and accepted back by Parse).
func quoteIdent(s string) string {
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

// sqlLiteral renders a value as a SQL literal.
func sqlLiteral(v any) string {
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

func (n *aggNode) sqlText() string {
	switch {
	case n.arg == nil:
		return n.name + "(*)"
	case n.distinct:
		return n.name + "(DISTINCT " + n.arg.sqlText() + ")"
	}
	return n.name + "(" + n.arg.sqlText() + ")"
}

func (n *inSubNode) sqlText() string { return n.x.sqlText() + not(n.not) + " IN (SELECT …)" }

func (n *colRefNode) sqlText() string { return n.text }
