package sharepoint

import (
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads JSON from a byte slice for pageDecoder: it walks objects
// and arrays, hands out the raw bytes of strings and numbers, and skips
// whole values, validating as strictly as encoding/json does (RFC 8259:
// no trailing commas, no control characters in strings, only the escapes
// \" \\ \/ \b \f \n \r \t \uXXXX). Nothing it does allocates, except to
// grow its stack for skipping deeply nested values.
//
// Errors: a body that ends inside a value matches io.ErrUnexpectedEOF,
// which the client retries (a cut connection); anything else is a
// *jsonSyntaxError, which it does not.
type scanner struct {
	data  []byte
	pos   int
	stack []byte // open containers while skipping
}

// jsonSyntaxError reports malformed JSON at a byte offset of the page.
type jsonSyntaxError struct {
	msg    string
	offset int
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.offset, e.msg)
}

func (s *scanner) eof() error {
	return fmt.Errorf("the body ends at byte %d, inside a value: %w", len(s.data), io.ErrUnexpectedEOF)
}

func (s *scanner) syntax(msg string) error {
	if s.pos >= len(s.data) {
		return s.eof()
	}
	return &jsonSyntaxError{msg: fmt.Sprintf("%s, got %q", msg, s.data[s.pos]), offset: s.pos}
}

// peek skips white space and returns the next byte without consuming it.
func (s *scanner) peek() (byte, error) {
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c, nil
		}
	}
	return 0, s.eof()
}

// open consumes the '{' or '[' that must come next.
func (s *scanner) open(want byte) error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c == want {
		s.pos++
		return nil
	}
	return s.unexpected(fmt.Sprintf("want %q", want))
}

// unexpected reports a value of the wrong kind. A scalar is read first,
// so that one cut short still reads as a body cut short.
func (s *scanner) unexpected(want string) error {
	start := s.pos
	if c := s.data[s.pos]; c != '{' && c != '[' {
		if err := s.skip(); err != nil {
			return err
		}
	}
	got := s.data[start:min(s.pos, start+40)]
	if len(got) == 0 {
		got = s.data[start : start+1]
	}
	return &jsonSyntaxError{msg: fmt.Sprintf("%s, got %s", want, got), offset: start}
}

// nextKey advances to the next member of an object whose '{' is read,
// consuming the key and its colon. first says no member was read yet. It
// returns ok=false once it has consumed the closing '}'. The key is the
// unescaped name; it is valid until the next call.
func (s *scanner) nextKey(first bool) (key []byte, ok bool, err error) {
	c, err := s.peek()
	if err != nil {
		return nil, false, err
	}
	if c == '}' {
		s.pos++
		return nil, false, nil
	}
	if !first {
		if c != ',' {
			return nil, false, s.syntax("want ',' or '}' after an object member")
		}
		s.pos++
		if c, err = s.peek(); err != nil {
			return nil, false, err
		}
	}
	if c != '"' {
		return nil, false, s.syntax("want an object key")
	}
	raw, plain, err := s.str()
	if err != nil {
		return nil, false, err
	}
	if c, err = s.peek(); err != nil {
		return nil, false, err
	}
	if c != ':' {
		return nil, false, s.syntax("want ':' after an object key")
	}
	s.pos++
	if !plain {
		// Rare (SharePoint escapes no names): a fresh slice keeps the
		// key apart from the value's scratch.
		raw = unquote(nil, raw)
	}
	return raw, true, nil
}

// nextElem advances to the next element of an array whose '[' is read. It
// returns false once it has consumed the closing ']'.
func (s *scanner) nextElem(first bool) (bool, error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c == ']' {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.syntax("want ',' or ']' after an array element")
		}
		s.pos++
		if c, err = s.peek(); err != nil {
			return false, err
		}
		if c == ']' {
			return false, s.syntax("want a value after ','")
		}
	}
	return true, nil
}

// strSafe marks the bytes that need no attention inside a string.
var strSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads the string whose opening quote is next. raw is what lies
// between the quotes; plain says raw is the string's value as it is (no
// escapes, valid UTF-8), else it must go through unquote.
func (s *scanner) str() (raw []byte, plain bool, err error) {
	data := s.data
	start := s.pos + 1
	i := start
	escaped, high := false, false
	for {
		for i < len(data) && strSafe[data[i]] {
			i++
		}
		if i >= len(data) {
			return nil, false, s.eof()
		}
		switch c := data[i]; {
		case c == '"':
			raw = data[start:i]
			s.pos = i + 1
			plain = !escaped && (!high || utf8.Valid(raw))
			return raw, plain, nil
		case c == '\\':
			escaped = true
			i++
			if i >= len(data) {
				return nil, false, s.eof()
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				for k := 1; k <= 4; k++ {
					if i+k >= len(data) {
						return nil, false, s.eof()
					}
					if !isHex(data[i+k]) {
						s.pos = i + k
						return nil, false, s.syntax(`want a hex digit in a \u escape`)
					}
				}
				i += 5
			default:
				s.pos = i
				return nil, false, s.syntax("want an escape character")
			}
		case c < 0x20:
			s.pos = i
			return nil, false, s.syntax("control character in a string")
		default: // ≥ 0x80: UTF-8, checked once at the end
			high = true
			i++
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unquote appends the value of a string's raw bytes (valid escapes, as
// str checked) to dst. Like encoding/json, it turns invalid UTF-8 and
// unpaired surrogates into U+FFFD rather than failing.
func unquote(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			switch e := raw[i+1]; e {
			case 'u':
				r := hex4(raw[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						r2 = hex4(raw[i+2 : i+6])
					}
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						i += 6 // a valid pair: both halves consumed
						r = pair
					} else {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
				continue
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			default: // " \ /
				dst = append(dst, e)
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			dst = utf8.AppendRune(dst, r)
			i += size
		}
	}
	return dst
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// number reads the number that comes next and returns its text, checked
// against JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() ([]byte, error) {
	data := s.data
	start := s.pos
	i := start
	digits := func() bool { // one or more
		j := i
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
		return i > j
	}
	fail := func(msg string) ([]byte, error) {
		s.pos = i
		return nil, s.syntax(msg)
	}
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return nil, s.eof()
	case data[i] == '0':
		i++
	case '1' <= data[i] && data[i] <= '9':
		digits()
	default:
		return fail("want a value")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if !digits() {
			return fail("want a digit after '.'")
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if !digits() {
			return fail("want a digit in an exponent")
		}
	}
	s.pos = i
	return data[start:i], nil
}

// literal consumes word (true, false or null), which must come next.
func (s *scanner) literal(word string) error {
	rest := s.data[s.pos:]
	for k := 0; k < len(word); k++ {
		if k >= len(rest) {
			return s.eof()
		}
		if rest[k] != word[k] {
			s.pos += k
			return s.syntax("want " + word)
		}
	}
	s.pos += len(word)
	return nil
}

// boolean consumes true or false.
func (s *scanner) boolean() (bool, error) {
	if s.data[s.pos] == 't' {
		return true, s.literal("true")
	}
	return false, s.literal("false")
}

// skip consumes one whole value of any kind, checking its syntax. It
// loops rather than recursing, so no nesting depth overflows the stack.
func (s *scanner) skip() error {
	stack := s.stack[:0]
	defer func() { s.stack = stack }()
	for {
		// A value.
		c, err := s.peek()
		if err != nil {
			return err
		}
		switch c {
		case '{':
			s.pos++
			ok, err := s.skipKey(true)
			if err != nil {
				return err
			}
			if ok {
				stack = append(stack, '{')
				continue
			}
		case '[':
			s.pos++
			ok, err := s.nextElem(true)
			if err != nil {
				return err
			}
			if ok {
				stack = append(stack, '[')
				continue
			}
		case '"':
			if _, _, err := s.str(); err != nil {
				return err
			}
		case 't':
			err = s.literal("true")
		case 'f':
			err = s.literal("false")
		case 'n':
			err = s.literal("null")
		default:
			_, err = s.number()
		}
		if err != nil {
			return err
		}
		// After a value: close containers until one has another member.
		for {
			if len(stack) == 0 {
				return nil
			}
			var ok bool
			if stack[len(stack)-1] == '{' {
				ok, err = s.skipKey(false)
			} else {
				ok, err = s.nextElem(false)
			}
			if err != nil {
				return err
			}
			if ok {
				break
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// skipKey is nextKey for skipped objects: the key is checked, not kept.
func (s *scanner) skipKey(first bool) (bool, error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c == '}' {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.syntax("want ',' or '}' after an object member")
		}
		s.pos++
		if c, err = s.peek(); err != nil {
			return false, err
		}
	}
	if c != '"' {
		return false, s.syntax("want an object key")
	}
	if _, _, err := s.str(); err != nil {
		return false, err
	}
	if c, err = s.peek(); err != nil {
		return false, err
	}
	if c != ':' {
		return false, s.syntax("want ':' after an object key")
	}
	s.pos++
	return true, nil
}
