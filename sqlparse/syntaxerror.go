package sqlparse

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xwb1989/sqlparser"
)

// SyntaxError is a statement the parser could not read. Callers can
// find it with errors.As; Error renders the message with the statement's
// line and a caret under the spot:
//
//	sqlparse: syntax error at line 1, column 15: expected an expression before FROM
//	  SELECT Title, FROM Tasks
//	                ^
type SyntaxError struct {
	Line, Column int    // 1-based; Column counts characters (runes) in the line
	Offset       int    // 0-based byte offset in Statement
	Near         string // the token found there as written; "" at the end of the statement
	Expected     string // what would fit there, when it can be told ("an expression", "')'"); may be ""
	Message      string // what is wrong, without the position
	Statement    string // the statement as given to Parse

	openAt int // byte offset of an unclosed '(' named in Message as %s, or -1
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sqlparse: syntax error at line %d, column %d: %s", e.Line, e.Column, e.Message)
	if e.Statement == "" {
		return b.String()
	}
	start := strings.LastIndexByte(e.Statement[:e.Offset], '\n') + 1
	end := strings.IndexByte(e.Statement[e.Offset:], '\n')
	if end < 0 {
		end = len(e.Statement)
	} else {
		end += e.Offset
	}
	line := strings.TrimRight(e.Statement[start:end], "\r")
	b.WriteString("\n  ")
	b.WriteString(line)
	b.WriteString("\n  ")
	// Tabs stay tabs so that the caret lines up under them.
	for _, r := range e.Statement[start:e.Offset] {
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteByte('^')
	return b.String()
}

// locate fills Statement, Line and Column from Offset.
func (e *SyntaxError) locate(sql string) {
	if e.Offset > len(sql) {
		e.Offset = len(sql)
	}
	e.Statement = sql
	before := sql[:e.Offset]
	e.Line = strings.Count(before, "\n") + 1
	e.Column = utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	if e.openAt >= 0 && e.openAt <= len(sql) {
		o := &SyntaxError{Offset: e.openAt, openAt: -1}
		o.locate(sql)
		where := fmt.Sprintf("column %d", o.Column)
		if o.Line != e.Line {
			where = fmt.Sprintf("line %d, column %d", o.Line, o.Column)
		}
		e.Message = fmt.Sprintf(e.Message, where)
		e.openAt = -1
	}
}

// clauseWords are the keywords that may follow a name (a column, a list,
// an alias): a reserved word found just before one of them is being used
// as a name.
var clauseWords = map[string]bool{
	"FROM": true, "AS": true, "WHERE": true, "ORDER": true, "GROUP": true, "HAVING": true,
	"LIMIT": true, "OFFSET": true, "AND": true, "OR": true, "IS": true, "IN": true, "LIKE": true,
	"BETWEEN": true, "NOT": true, "ON": true, "JOIN": true, "LEFT": true, "INNER": true,
	"ASC": true, "DESC": true, "UNION": true, "SET": true, "VALUES": true,
}

// syntaxError turns the parser's error into a *SyntaxError. The parser
// reports "syntax error at position N near 'x'", where N counts in the
// rendered text one byte past the token it stopped at; spans map that
// back to the token as written (the statement is located by Parse).
func syntaxError(err error, spans []span, toks []token) error {
	msg := err.Error()
	i := strings.Index(msg, " at position ")
	if i < 0 {
		return fmt.Errorf("sqlparse: %s", msg)
	}
	rest := msg[i+len(" at position "):]
	if j := strings.IndexByte(rest, ' '); j >= 0 {
		rest = rest[:j]
	}
	n, convErr := strconv.Atoi(rest)
	if convErr != nil {
		return fmt.Errorf("sqlparse: %s", msg)
	}
	sig := significant(toks)
	e := &SyntaxError{Offset: -1, openAt: -1}
	// Where the parser stopped: the end of the statement, or the last
	// token starting before N-1.
	at := -1
	// Without "near", the parser stopped at the end or at a one-character
	// token (the only ones it does not name).
	hasNear := strings.Contains(msg, " near '")
	for k, s := range spans {
		if s.at <= n-2 {
			at = k
		}
	}
	if at >= 0 && !hasNear && !(spans[at].tok.kind == tkPunct && len(spans[at].tok.text) == 1 && spans[at].at == n-2) {
		at = -1
	}
	var prev token
	var next *token
	if at < 0 {
		e.Offset = 0
		if len(toks) > 0 {
			e.Offset = toks[len(toks)-1].pos + len(toks[len(toks)-1].text)
		}
		if len(sig) > 0 {
			prev = sig[len(sig)-1]
		}
	} else {
		t := spans[at].tok
		e.Offset, e.Near = t.pos, t.text
		for k, s := range sig {
			if s.pos == t.pos {
				if k > 0 {
					prev = sig[k-1]
				}
				if k+1 < len(sig) {
					next = &sig[k+1]
				}
				break
			}
		}
	}
	// Parentheses still open where the parser stopped.
	depth, lastOpen := 0, -1
	for _, t := range sig {
		if t.pos >= e.Offset {
			break
		}
		if t.kind == tkPunct && t.text == "(" {
			depth++
			lastOpen = t.pos
		} else if t.kind == tkPunct && t.text == ")" {
			depth--
		}
	}
	word := ""
	if at >= 0 && spans[at].tok.kind == tkWord {
		word = strings.ToUpper(e.Near)
	}
	reserved := word != "" && isReserved(e.Near)
	afterOperand := prev.kind == tkPunct && strings.Contains(",(=<>!+-*/%|&", prev.text[:1]) ||
		prev.kind == tkWord && (clauseWords[strings.ToUpper(prev.text)] || strings.EqualFold(prev.text, "SELECT") || strings.EqualFold(prev.text, "BY"))
	usedAsName := next == nil || next.kind == tkPunct && next.text != "(" ||
		next.kind == tkWord && clauseWords[strings.ToUpper(next.text)]
	switch {
	case at < 0 && depth > 0:
		e.Expected = "')'"
		e.Message, e.openAt = "unclosed parenthesis: the statement ends before the '(' at %s is closed", lastOpen
	case at < 0:
		e.Message = "the statement ends too early"
		if prev.text != "" {
			e.Message += " after " + show(prev)
		}
		if afterOperand {
			e.Expected = "an expression"
			e.Message += ": expected an expression"
		} else if j := lastJoinWithoutOn(sig); j != "" {
			e.Expected = "ON"
			e.Message += ": " + j + " needs ON followed by the join condition"
		}
	case word != "" && depth > 0 && clauseWords[word] && !usedAsName && (word == "FROM" || word == "WHERE" || word == "ORDER" || word == "GROUP" || word == "HAVING" || word == "LIMIT" || word == "UNION"):
		e.Expected = "')'"
		e.Message, e.openAt = "unclosed parenthesis: expected ')' before "+e.Near+" to close the '(' at %s", lastOpen
	case prev.kind == tkWord && (strings.EqualFold(prev.text, "GROUP") || strings.EqualFold(prev.text, "ORDER")) && word != "BY":
		e.Expected = "BY"
		e.Message = fmt.Sprintf("expected BY after %s (%s BY …)", prev.text, strings.ToUpper(prev.text))
	case reserved && afterOperand && usedAsName:
		e.Message = fmt.Sprintf("%s is a reserved word; quote it as \"%s\" or [%s] to use it as a name", e.Near, e.Near, e.Near)
	case afterOperand && prev.text != "" && (reserved || spans[at].tok.kind == tkPunct && (e.Near == "," || e.Near == ")" && prev.text != "(")):
		e.Expected = "an expression"
		e.Message = fmt.Sprintf("expected an expression between %s and %s", show(prev), show(spans[at].tok))
	case e.Near == ")" && depth <= 0:
		e.Message = "')' without a matching '('"
	default:
		e.Message = "unexpected " + show(spans[at].tok)
		if prev.text != "" {
			e.Message += " after " + show(prev)
		}
		e.Message += commonMistake(prev, spans[at].tok, sig)
	}
	return e
}

// commonMistake explains a token the parser did not expect after prev
// when the pair is a usual slip — SQL of another dialect, or a name with
// a space left unquoted — and is "" otherwise.
func commonMistake(prev, t token, sig []token) string {
	word, prevWord := strings.ToUpper(t.text), strings.ToUpper(prev.text)
	switch {
	case prevWord == "TOP" && prev.kind == tkWord:
		return ": SELECT TOP n is not in this dialect; end the statement with LIMIT n"
	case prev.kind == tkPunct && prev.text == "=" && t.kind == tkPunct && t.text == "=":
		return ": compare with a single '='"
	case prevWord == "IS" && prev.kind == tkWord && word != "NULL" && word != "NOT":
		return ": IS takes NULL or NOT NULL; compare values with '='"
	case t.kind == tkWord && (word == "WHERE" || word == "GROUP" || word == "HAVING" || word == "ORDER"):
		for _, s := range sig {
			if s.pos >= t.pos {
				break
			}
			if s.kind == tkWord && strings.EqualFold(s.text, "LIMIT") {
				if word == "GROUP" || word == "ORDER" {
					word += " BY"
				}
				return fmt.Sprintf(": %s comes before LIMIT", word)
			}
		}
	case prev.kind == tkWord && t.kind == tkWord && !isReserved(prev.text) && !clauseWords[word]:
		return fmt.Sprintf(": if %s %s is one name, write it in brackets: [%s %s]", prev.text, t.text, prev.text, t.text)
	}
	return ""
}

// isReserved reports whether the parser reads word as a keyword rather
// than a name.
func isReserved(word string) bool {
	if word == "" || !isNameByte(word[0], true) {
		return false
	}
	id, _ := sqlparser.NewStringTokenizer(word).Scan()
	return id != sqlparser.ID
}

// show writes a token for a message: punctuation in quotes, the rest as
// written.
func show(t token) string {
	if t.kind == tkPunct {
		return "'" + t.text + "'"
	}
	return t.text
}

// lastJoinWithoutOn returns "LEFT JOIN" or "JOIN" when the statement's
// last JOIN has no ON after it, else "".
func lastJoinWithoutOn(sig []token) string {
	found := ""
	for k, t := range sig {
		if t.kind != tkWord {
			continue
		}
		switch strings.ToUpper(t.text) {
		case "JOIN":
			found = "JOIN"
			if k > 0 && sig[k-1].kind == tkWord && strings.EqualFold(sig[k-1].text, "LEFT") {
				found = "LEFT JOIN"
			}
		case "ON":
			found = ""
		}
	}
	return found
}
