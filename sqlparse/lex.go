package sqlparse

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The pre-pass. github.com/xwb1989/sqlparser speaks MySQL: "…" is a
// string to it, [x] is a syntax error, a backslash escapes inside '…',
// unquoted identifiers are ASCII only and `?` becomes :v1. Our dialect is
// closer to the SQL standard, so every statement is first split into
// tokens here and re-rendered in the parser's terms:
//
//   - `x`, "x" and [x] are identifiers, rendered as `x` (` doubled);
//   - '…' is a string with '' for a quote; a backslash is an ordinary
//     character (rendered as \\ so the parser keeps it);
//   - ?, :name and @name are placeholders, renamed :p1… and :n_name so
//     that positional and named ones can never collide;
//   - comments (--, #, /* */, including MySQL's executable /*! */) become
//     a space, so no hidden text reaches the parser;
//   - a bare word with non-ASCII letters (Größe) is quoted for the parser;
//   - ODBC escapes, SUBSTRING's forms and CAST's type names are rewritten
//     into forms the parser has (see rewriteForParser).
//
// The same tokens classify the statements the parser cannot represent
// (DESCRIBE, SHOW COLUMNS, EXPLAIN lose their table in its AST).

type tokenKind int

const (
	tkWord   tokenKind = iota // bare identifier or keyword
	tkQuoted                  // `x`, "x" or [x]: val is the decoded name
	tkString                  // '…': val is the decoded text
	tkNumber                  // digits, as written
	tkParam                   // ?, :name, @name: val is the name ("" for ?)
	tkPunct                   // anything else, one rune or operator
	tkSpace                   // whitespace or a comment
	tkOpen                    // split mode only: a quote or comment open at the end
)

type token struct {
	kind tokenKind
	text string // as written
	val  string // decoded (tkQuoted, tkString, tkParam)
	pos  int    // byte offset in the statement, for messages
}

// lexError is the *SyntaxError for what the lexer refuses at byte offset
// at: near is the text found there, expected what would close it. Parse
// fills in the line, the column and the statement.
func lexError(at int, near, expected, message string) *SyntaxError {
	return &SyntaxError{Offset: at, Near: near, Expected: expected, Message: message, openAt: -1}
}

// lex splits a statement into tokens. It fails only on unterminated
// quotes and comments, and on placeholder forms we do not accept.
func lex(sql string) ([]token, error) { return lexText(sql, false) }

// lexText is lex; in split mode (SplitStatements) it never fails: what
// lex refuses is left for the parser to report statement by statement,
// and a quote or comment still open at the end of sql becomes one tkOpen
// token running to the end.
func lexText(sql string, split bool) ([]token, error) {
	var toks []token
	open := func(start int) ([]token, error) {
		return append(toks, token{kind: tkOpen, text: sql[start:], pos: start}), nil
	}
	i := 0
	for i < len(sql) {
		start := i
		r, size := utf8.DecodeRuneInString(sql[i:])
		switch {
		case r == utf8.RuneError && size == 1 && !split:
			return nil, fmt.Errorf("sqlparse: the statement is not valid UTF-8 (byte %d)", i)
		case unicode.IsSpace(r):
			for i < len(sql) {
				r, size := utf8.DecodeRuneInString(sql[i:])
				if !unicode.IsSpace(r) {
					break
				}
				i += size
			}
			toks = append(toks, token{kind: tkSpace, text: sql[start:i], pos: start})
		case r == '-' && strings.HasPrefix(sql[i:], "--"), r == '#':
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				end = len(sql) - i
			}
			i += end
			toks = append(toks, token{kind: tkSpace, text: sql[start:i], pos: start})
		case r == '/' && strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 && split {
				return open(start)
			}
			if end < 0 {
				return nil, lexError(start, "/*", "*/", "unterminated /* comment: it has no closing */")
			}
			i += 2 + end + 2
			toks = append(toks, token{kind: tkSpace, text: sql[start:i], pos: start})
		case r == '\'':
			val, n, ok := scanQuoted(sql[i:], '\'', '\'')
			if !ok && split {
				return open(start)
			}
			if !ok {
				return nil, lexError(start, "'", "'", "unterminated string: the ' here is never closed (write '' for a quote inside text)")
			}
			i += n
			toks = append(toks, token{kind: tkString, text: sql[start:i], val: val, pos: start})
		case r == '`' || r == '"' || r == '[':
			closing := r
			if r == '[' {
				closing = ']'
			}
			val, n, ok := scanQuoted(sql[i:], r, closing)
			if !ok && split {
				return open(start)
			}
			if !ok {
				return nil, lexError(start, string(r), string(closing),
					fmt.Sprintf("unterminated quoted identifier: the %c here is never closed by %c", r, closing))
			}
			if val == "" && !split {
				return nil, lexError(start, sql[start:i+n], "", "empty quoted identifier: a name needs at least one character")
			}
			i += n
			toks = append(toks, token{kind: tkQuoted, text: sql[start:i], val: val, pos: start})
		case r == '?':
			i++
			toks = append(toks, token{kind: tkParam, text: "?", pos: start})
		case (r == ':' || r == '@') && i+1 < len(sql):
			if r == '@' && sql[i+1] == '@' && !split {
				return nil, lexError(start, "@@", "", "@@ system variables are not supported")
			}
			if r == ':' && sql[i+1] == ':' && !split {
				return nil, lexError(start, "::", "", "'::' is not supported; use CAST-free comparisons or a placeholder")
			}
			j := i + 1
			for j < len(sql) && isNameByte(sql[j], j == i+1) {
				j++
			}
			if j == i+1 {
				// A lone ':' or '@' is no placeholder; let the parser say
				// what it makes of it.
				i++
				toks = append(toks, token{kind: tkPunct, text: sql[start:i], pos: start})
				break
			}
			i = j
			toks = append(toks, token{kind: tkParam, text: sql[start:i], val: sql[start+1 : i], pos: start})
		case r < utf8.RuneSelf && '0' <= r && r <= '9':
			for i < len(sql) && (isNameByte(sql[i], false) || sql[i] == '.') {
				i++
			}
			toks = append(toks, token{kind: tkNumber, text: sql[start:i], pos: start})
		case isWordRune(r):
			for i < len(sql) {
				r, size := utf8.DecodeRuneInString(sql[i:])
				if !isWordRune(r) && !unicode.IsDigit(r) && r != '$' {
					break
				}
				i += size
			}
			toks = append(toks, token{kind: tkWord, text: sql[start:i], pos: start})
		default:
			i += size
			// Two-character operators stay together so that classification
			// and rendering see them as one token.
			if i < len(sql) {
				switch sql[start:i] + sql[i:i+1] {
				case "<>", "<=", ">=", "!=", "||", "&&":
					i++
				}
			}
			toks = append(toks, token{kind: tkPunct, text: sql[start:i], pos: start})
		}
	}
	return toks, nil
}

// scanQuoted reads a quoted run starting at s[0] == open, where a doubled
// closing character stands for itself. It returns the decoded text and
// the number of bytes consumed.
func scanQuoted(s string, open, closing rune) (val string, n int, ok bool) {
	var b strings.Builder
	i := utf8.RuneLen(open)
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == closing {
			if strings.HasPrefix(s[i:], string(closing)) {
				b.WriteRune(closing)
				i += utf8.RuneLen(closing)
				continue
			}
			return b.String(), i, true
		}
		b.WriteRune(r)
	}
	return "", 0, false
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) }

// significant drops spaces and comments.
func significant(toks []token) []token {
	out := make([]token, 0, len(toks))
	for _, t := range toks {
		if t.kind != tkSpace {
			out = append(out, t)
		}
	}
	return out
}

// trimStatementEnd removes trailing semicolons (and the spaces around
// them) and refuses a second statement after one.
func trimStatementEnd(toks []token) ([]token, error) {
	end := len(toks)
	for end > 0 && (toks[end-1].kind == tkSpace || toks[end-1].kind == tkPunct && toks[end-1].text == ";") {
		end--
	}
	for _, t := range toks[:end] {
		if t.kind == tkPunct && t.text == ";" {
			return nil, errors.New("sqlparse: one statement at a time: the text has a ';' followed by more SQL")
		}
	}
	return toks[:end], nil
}

// Placeholder is one Placeholder as written: positional (name "") or named.
type Placeholder struct {
	ordinal int    // 1-based position among the positional ones; 0 for named
	name    string // :name or @name without the sigil
}

// renderForParser writes tokens in the parser's dialect (see the top of
// this file) and returns the placeholders in order of appearance, keyed
// by the bind variable name the parser will report, and where each token
// landed in the text, so that the parser's positions map back to the
// statement as written.
func renderForParser(toks []token) (string, map[string]Placeholder, []span) {
	toks = rewriteForParser(toks)
	var b strings.Builder
	params := map[string]Placeholder{}
	spans := make([]span, 0, len(toks))
	positional := 0
	for _, t := range toks {
		if t.kind != tkSpace {
			spans = append(spans, span{at: b.Len(), tok: t})
		}
		switch t.kind {
		case tkSpace:
			b.WriteByte(' ')
		case tkWord:
			if isASCII(t.text) {
				b.WriteString(t.text)
			} else {
				writeBackticked(&b, t.text)
			}
		case tkQuoted:
			writeBackticked(&b, t.val)
		case tkString:
			b.WriteByte('\'')
			for _, r := range t.val {
				switch r {
				case '\'':
					b.WriteString("''")
				case '\\':
					b.WriteString(`\\`)
				default:
					b.WriteRune(r)
				}
			}
			b.WriteByte('\'')
		case tkParam:
			var bind string
			if t.val == "" {
				positional++
				bind = fmt.Sprintf("p%d", positional)
				params[bind] = Placeholder{ordinal: positional}
			} else {
				bind = "n_" + t.val
				params[bind] = Placeholder{name: t.val}
			}
			b.WriteString(" :" + bind + " ")
		default:
			b.WriteString(t.text)
		}
	}
	return b.String(), params, spans
}

// span is where a token starts in the text rendered for the parser.
type span struct {
	at  int // byte offset in the rendered text
	tok token
}

func writeBackticked(b *strings.Builder, name string) {
	b.WriteByte('`')
	b.WriteString(strings.ReplaceAll(name, "`", "``"))
	b.WriteByte('`')
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// rewriteForParser rewrites, on tokens, the syntax the parser lacks into
// forms it has. Working on tokens means that strings and quoted
// identifiers are never touched, whatever braces or keywords they hold.
//
//   - ODBC escapes, which ODBC applications (Excel, Power BI, Tableau)
//     send: {fn f(…)} is f(…); {oj a LEFT OUTER JOIN b ON …} is the join;
//     {escape 'c'} after LIKE is ESCAPE 'c'; {d '…'} is CAST('…' AS DATE) and {ts '…'}
//     is CAST('…' AS DATETIME) ({t '…'} becomes a CAST AS TIME, which is
//     refused with a message). Only a brace with its matching closing
//     brace is rewritten; anything else is left for the parser to refuse.
//   - SUBSTRING(s, …) and SUBSTR: the parser takes only a column as s
//     and knows no FROM without FOR, so the name is quoted (making it an
//     ordinary call) and FROM and FOR at the call's level become commas.
//   - The type of CAST(x AS t) and CONVERT(x, t): INTEGER, DOUBLE,
//     VARCHAR… and ODBC's SQL_INTEGER… become the parser's SIGNED,
//     DECIMAL, CHAR… (castTypeAliases).
func rewriteForParser(toks []token) []token {
	toks = rewriteODBCEscapes(toks)
	out := make([]token, len(toks))
	copy(out, toks)
	for i, t := range out {
		if t.kind != tkWord {
			continue
		}
		open := nextSignificant(out, i+1)
		if open < 0 || out[open].kind != tkPunct || out[open].text != "(" {
			continue
		}
		switch strings.ToUpper(t.text) {
		case "SUBSTRING", "SUBSTR":
			out[i] = token{kind: tkQuoted, text: t.text, val: t.text, pos: t.pos}
			forEachTopLevel(out, open, func(j int) {
				if out[j].kind == tkWord && (strings.EqualFold(out[j].text, "FROM") || strings.EqualFold(out[j].text, "FOR")) {
					out[j] = token{kind: tkPunct, text: ",", pos: out[j].pos}
				}
			})
		case "CAST", "CONVERT":
			sep := "AS"
			if strings.EqualFold(t.text, "CONVERT") {
				sep = ","
			}
			typeAt := -1
			forEachTopLevel(out, open, func(j int) {
				if typeAt < 0 && strings.EqualFold(out[j].text, sep) && out[j].kind != tkString && out[j].kind != tkQuoted {
					typeAt = nextSignificant(out, j+1)
				}
			})
			if typeAt >= 0 && out[typeAt].kind == tkWord {
				if to, ok := castTypeAliases[strings.ToUpper(out[typeAt].text)]; ok {
					out[typeAt].text = to
				}
			}
		}
	}
	return out
}

// castTypeAliases maps the type names of CAST and CONVERT that the parser
// lacks to the ones it has and the evaluator implements (see castValue).
var castTypeAliases = map[string]string{
	"INTEGER": "SIGNED", "INT": "SIGNED", "BIGINT": "SIGNED", "SMALLINT": "SIGNED", "TINYINT": "SIGNED",
	"DOUBLE": "DECIMAL", "FLOAT": "DECIMAL", "REAL": "DECIMAL", "NUMERIC": "DECIMAL",
	"VARCHAR": "CHAR", "NVARCHAR": "CHAR", "TEXT": "CHAR",
	"TIMESTAMP": "DATETIME",
	// ODBC's CONVERT types ({fn CONVERT(x, SQL_INTEGER)}).
	"SQL_INTEGER": "SIGNED", "SQL_BIGINT": "SIGNED", "SQL_SMALLINT": "SIGNED", "SQL_TINYINT": "SIGNED", "SQL_BIT": "SIGNED",
	"SQL_DOUBLE": "DECIMAL", "SQL_FLOAT": "DECIMAL", "SQL_REAL": "DECIMAL", "SQL_DECIMAL": "DECIMAL", "SQL_NUMERIC": "DECIMAL",
	"SQL_CHAR": "CHAR", "SQL_VARCHAR": "CHAR", "SQL_LONGVARCHAR": "CHAR", "SQL_WCHAR": "CHAR", "SQL_WVARCHAR": "CHAR", "SQL_WLONGVARCHAR": "CHAR",
	"SQL_DATE": "DATE", "SQL_TYPE_DATE": "DATE",
	"SQL_TIMESTAMP": "DATETIME", "SQL_TYPE_TIMESTAMP": "DATETIME",
	"SQL_TIME": "TIME", "SQL_TYPE_TIME": "TIME",
}

// rewriteODBCEscapes removes {fn …} around function calls and turns the
// date and timestamp escapes into CASTs. Escapes nest ({fn UCASE({fn
// LTRIM(x)})}); a brace without its partner is left as it is.
func rewriteODBCEscapes(toks []token) []token {
	closing := map[int]int{} // index of '{' → index of its '}'
	var open []int
	for i, t := range toks {
		switch {
		case t.kind != tkPunct:
		case t.text == "{":
			open = append(open, i)
		case t.text == "}" && len(open) > 0:
			closing[open[len(open)-1]] = i
			open = open[:len(open)-1]
		}
	}
	if len(closing) == 0 {
		return toks
	}
	drop := map[int]bool{}       // tokens that become a space
	skip := map[int]bool{}       // tokens that go
	replace := map[int][]token{} // index of '{' → the tokens that stand for the whole escape
	for start, end := range closing {
		kw := nextSignificant(toks, start+1)
		if kw < 0 || kw >= end || toks[kw].kind != tkWord {
			continue
		}
		switch word := strings.ToLower(toks[kw].text); word {
		case "fn", "oj":
			// {oj a LEFT OUTER JOIN b ON …} is the join itself.
			drop[start], drop[kw], drop[end] = true, true, true
		case "escape":
			// LIKE 'a\_%' {escape '\'} is LIKE … ESCAPE '\'.
			lit := nextSignificant(toks, kw+1)
			if lit < 0 || toks[lit].kind != tkString || nextSignificant(toks, lit+1) != end {
				continue
			}
			pos := toks[start].pos
			replace[start] = []token{{kind: tkWord, text: "ESCAPE", pos: pos}, {kind: tkSpace, text: " ", pos: pos}, toks[lit]}
			for j := start + 1; j <= end; j++ {
				skip[j] = true
			}
		case "d", "ts", "t":
			lit := nextSignificant(toks, kw+1)
			if lit < 0 || toks[lit].kind != tkString || nextSignificant(toks, lit+1) != end {
				continue
			}
			to := map[string]string{"d": "DATE", "ts": "DATETIME", "t": "TIME"}[word]
			pos := toks[start].pos
			replace[start] = []token{
				{kind: tkWord, text: "CAST", pos: pos}, {kind: tkPunct, text: "(", pos: pos}, toks[lit],
				{kind: tkSpace, text: " ", pos: pos}, {kind: tkWord, text: "AS", pos: pos},
				{kind: tkSpace, text: " ", pos: pos}, {kind: tkWord, text: to, pos: pos}, {kind: tkPunct, text: ")", pos: pos},
			}
			for j := start + 1; j <= end; j++ {
				skip[j] = true
			}
		}
	}
	out := make([]token, 0, len(toks))
	for i, t := range toks {
		if r, ok := replace[i]; ok {
			out = append(out, r...)
			continue
		}
		if skip[i] {
			continue
		}
		if drop[i] {
			// A space keeps neighbours apart ({fn x}AND … stays two words).
			out = append(out, token{kind: tkSpace, text: " ", pos: t.pos})
			continue
		}
		out = append(out, t)
	}
	return out
}

// nextSignificant returns the index of the first token at or after i that
// is not a space, or -1.
func nextSignificant(toks []token, i int) int {
	for ; i < len(toks); i++ {
		if toks[i].kind != tkSpace {
			return i
		}
	}
	return -1
}

// forEachTopLevel calls f with the index of every token inside the
// parentheses opening at toks[open], at their own level (not inside
// nested parentheses).
func forEachTopLevel(toks []token, open int, f func(i int)) {
	depth := 0
	for i := open; i < len(toks); i++ {
		if toks[i].kind == tkPunct {
			switch toks[i].text {
			case "(":
				depth++
				continue
			case ")":
				depth--
				if depth == 0 {
					return
				}
				continue
			}
		}
		if depth == 1 {
			f(i)
		}
	}
}
