package sptest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file parses $filter expressions into a small AST. It accepts the
// OData v3 grammar SharePoint's /_api understands and rejects, with a
// reason, what SharePoint rejects (docs/sharepoint.md §4.2): arithmetic, "in", "has"
// and every function but startswith and substringof.

// node is a $filter AST node.
type node struct {
	op   string  // "or", "and", "not", "eq" … "le", "call", "ref", "lit"
	args []*node // operands; call arguments
	name string  // ref: the property path ("Title", "Author/Title"); call: the function
	lit  literal
}

type litKind int

const (
	litNull litKind = iota
	litString
	litNumber
	litBool
	litDateTime // datetime'…'
	litGUID     // guid'…'
)

type literal struct {
	kind  litKind
	s     string  // string, GUID, and a number's original text
	n     float64 // number
	isInt bool    // number without fraction or exponent
	b     bool
	t     time.Time
}

// filterError is a $filter the emulator refuses. unsupported marks syntax
// SharePoint's parser knows but /_api does not run (functions, arithmetic).
type filterError struct {
	msg         string
	unsupported bool
}

func (e *filterError) Error() string { return e.msg }

// unsupportedFunctions are OData functions SharePoint's /_api rejects
// (docs/sharepoint.md §4.2): the string functions, date parts (they only work on
// listdata.svc), math, and type functions.
var unsupportedFunctions = map[string]bool{
	"contains": true, "endswith": true, "tolower": true, "toupper": true, "substring": true,
	"trim": true, "concat": true, "length": true, "indexof": true, "replace": true,
	"year": true, "month": true, "day": true, "hour": true, "minute": true, "second": true,
	"round": true, "floor": true, "ceiling": true, "isof": true, "cast": true,
	"any": true, "all": true, "now": true, "date": true, "time": true,
}

var comparisonOps = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true}
var arithmeticOps = map[string]bool{"add": true, "sub": true, "mul": true, "div": true, "mod": true}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tTyped // datetime'…', guid'…', X'…'
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string // ident; string value; number text; typed prefix
	val  string // typed literal's quoted value
	pos  int
}

type filterParser struct {
	src  string
	toks []token
	i    int
}

// parseFilter parses a $filter expression.
func parseFilter(src string) (*node, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &filterParser{src: src, toks: toks}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errorf(t, "unexpected %q", p.text(t))
	}
	return n, nil
}

func tokenize(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '(':
			toks = append(toks, token{kind: tLParen, pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tRParen, pos: i})
			i++
		case c == ',':
			toks = append(toks, token{kind: tComma, pos: i})
			i++
		case c == '\'':
			s, n, err := readQuoted(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tString, text: s, pos: i})
			i = n
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9' || c == '.':
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == 'e' || src[j] == 'E' ||
				(src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E')) {
				j++
			}
			// OData v3 type suffixes: 5L, 1.5M, 2.0d, 1.0f.
			if j < len(src) && strings.IndexByte("LlMmDdFf", src[j]) >= 0 {
				j++
			}
			toks = append(toks, token{kind: tNumber, text: src[i:j], pos: i})
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			word := src[i:j]
			if j < len(src) && src[j] == '\'' {
				s, n, err := readQuoted(src, j)
				if err != nil {
					return nil, err
				}
				toks = append(toks, token{kind: tTyped, text: word, val: s, pos: i})
				i = n
				continue
			}
			toks = append(toks, token{kind: tIdent, text: word, pos: i})
			i = j
		default:
			return nil, &filterError{msg: fmt.Sprintf("unexpected character %q at position %d", c, i)}
		}
	}
	return append(toks, token{kind: tEOF, pos: len(src)}), nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '/' || c == '.'
}

// readQuoted reads a '…' literal at src[i] with ” as an escaped quote.
func readQuoted(src string, i int) (string, int, error) {
	var b strings.Builder
	j := i + 1
	for {
		k := strings.IndexByte(src[j:], '\'')
		if k < 0 {
			return "", 0, &filterError{msg: fmt.Sprintf("unterminated string literal at position %d", i)}
		}
		b.WriteString(src[j : j+k])
		j += k + 1
		if j < len(src) && src[j] == '\'' {
			b.WriteByte('\'')
			j++
			continue
		}
		return b.String(), j, nil
	}
}

func (p *filterParser) peek() token { return p.toks[p.i] }
func (p *filterParser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// keyword reports whether the next token is the (case-sensitive, as in
// OData) keyword w.
func (p *filterParser) keyword(w string) bool {
	t := p.peek()
	return t.kind == tIdent && t.text == w
}

func (p *filterParser) text(t token) string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tLParen:
		return "("
	case tRParen:
		return ")"
	case tComma:
		return ","
	}
	end := len(p.src)
	if p.i < len(p.toks) {
		end = p.toks[min(p.i, len(p.toks)-1)].pos
	}
	if end <= t.pos {
		end = len(p.src)
	}
	return strings.TrimSpace(p.src[t.pos:end])
}

func (p *filterParser) errorf(t token, format string, args ...any) error {
	return &filterError{msg: fmt.Sprintf(format, args...) + fmt.Sprintf(" at position %d", t.pos)}
}

func (p *filterParser) parseOr() (*node, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		p.next()
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		left = &node{op: "or", args: []*node{left, right}}
	}
	return left, nil
}

func (p *filterParser) parseAnd() (*node, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		p.next()
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		left = &node{op: "and", args: []*node{left, right}}
	}
	return left, nil
}

func (p *filterParser) parseUnary() (*node, error) {
	if p.keyword("not") {
		p.next()
		operand, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &node{op: "not", args: []*node{operand}}, nil
	}
	return p.parseComparison()
}

func (p *filterParser) parseComparison() (*node, error) {
	left, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tIdent {
		return left, nil
	}
	switch {
	case comparisonOps[t.text]:
		p.next()
		right, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		return &node{op: t.text, args: []*node{left, right}}, nil
	case t.text == "in" || t.text == "has":
		return nil, &filterError{msg: fmt.Sprintf("the %q operator is not supported", t.text), unsupported: true}
	}
	return left, nil
}

func (p *filterParser) parseOperand() (*node, error) {
	left, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tIdent && arithmeticOps[t.text] {
		return nil, &filterError{msg: fmt.Sprintf("arithmetic (%q) is not supported", t.text), unsupported: true}
	}
	return left, nil
}

func (p *filterParser) parsePrimary() (*node, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.errorf(c, "expected )")
		}
		return n, nil
	case tString:
		return &node{op: "lit", lit: literal{kind: litString, s: t.text}}, nil
	case tNumber:
		return numberLiteral(t)
	case tTyped:
		return typedLiteral(t)
	case tIdent:
		switch t.text {
		case "null":
			return &node{op: "lit", lit: literal{kind: litNull}}, nil
		case "true", "false":
			return &node{op: "lit", lit: literal{kind: litBool, b: t.text == "true"}}, nil
		}
		if p.peek().kind == tLParen {
			return p.parseCall(t)
		}
		if comparisonOps[t.text] || arithmeticOps[t.text] || t.text == "and" || t.text == "or" {
			return nil, p.errorf(t, "expected an operand, found %q", t.text)
		}
		return &node{op: "ref", name: t.text}, nil
	}
	return nil, p.errorf(t, "expected an operand, found %s", p.text(t))
}

func (p *filterParser) parseCall(name token) (*node, error) {
	fn := strings.ToLower(name.text)
	if unsupportedFunctions[fn] {
		return nil, &filterError{msg: fmt.Sprintf("the function %q is not supported", name.text), unsupported: true}
	}
	if fn != "startswith" && fn != "substringof" {
		return nil, &filterError{msg: fmt.Sprintf("unknown function %q", name.text)}
	}
	p.next() // (
	n := &node{op: "call", name: fn}
	for {
		arg, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, arg)
		t := p.next()
		if t.kind == tRParen {
			break
		}
		if t.kind != tComma {
			return nil, p.errorf(t, "expected , or ) in %s()", fn)
		}
	}
	if len(n.args) != 2 {
		return nil, &filterError{msg: fmt.Sprintf("%s takes 2 arguments, not %d", fn, len(n.args))}
	}
	return n, nil
}

func numberLiteral(t token) (*node, error) {
	txt := strings.TrimRight(t.text, "LlMmDdFf")
	f, err := strconv.ParseFloat(txt, 64)
	if err != nil {
		return nil, &filterError{msg: fmt.Sprintf("%q is not a number", t.text)}
	}
	isInt := !strings.ContainsAny(txt, ".eE")
	return &node{op: "lit", lit: literal{kind: litNumber, n: f, isInt: isInt, s: txt}}, nil
}

func typedLiteral(t token) (*node, error) {
	switch strings.ToLower(t.text) {
	case "datetime", "datetimeoffset":
		tm, ok := parseFilterTime(t.val)
		if !ok {
			return nil, &filterError{msg: fmt.Sprintf("%s'%s' is not a valid date", t.text, t.val)}
		}
		return &node{op: "lit", lit: literal{kind: litDateTime, t: tm, s: t.val}}, nil
	case "guid":
		g, ok := normalizeGUID(t.val)
		if !ok {
			return nil, &filterError{msg: fmt.Sprintf("guid'%s' is not a valid GUID", t.val)}
		}
		return &node{op: "lit", lit: literal{kind: litGUID, s: g}}, nil
	}
	return nil, &filterError{msg: fmt.Sprintf("%s'…' literals are not supported", t.text), unsupported: true}
}

// parseFilterTime parses the date forms SharePoint accepts in filters:
// ISO 8601 with a zone, without one (taken as UTC), or a bare date (UTC
// midnight). Comparisons are in UTC (docs/sharepoint.md §4.3).
func parseFilterTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
