package main

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Tab completion in the shell. completeSQL is the logic, independent of
// the terminal: given the statement being typed and the cursor, it says
// which text before the cursor to replace and with what. metaCache feeds
// it the site's list and column names, fetched on first need.

// catalog is what completion knows of the site.
type catalog interface {
	// lists returns the lists' titles; nil while unknown.
	lists() []string
	// columns returns list's column display names; nil while unknown.
	columns(list string) []string
}

// sqlKeywords are completed where no list or column is expected.
var sqlKeywords = []string{
	"ALL", "AND", "AS", "ASC", "AVG", "BETWEEN", "BY", "CASE", "CAST", "COLUMNS",
	"COUNT", "DELETE", "DESC", "DESCRIBE", "DISTINCT", "ELSE", "END", "EXPLAIN",
	"FALSE", "FROM", "GROUP", "HAVING", "IN", "INNER", "INSERT", "INTO", "IS",
	"JOIN", "LEFT", "LIKE", "LIMIT", "MAX", "MIN", "NOT", "NULL", "OFFSET", "ON",
	"OR", "ORDER", "SELECT", "SET", "SHOW", "SUM", "TABLES", "THEN", "TRUE",
	"UNION", "UPDATE", "VALUES", "WHEN", "WHERE",
}

var isKeyword = func() map[string]bool {
	m := make(map[string]bool, len(sqlKeywords))
	for _, k := range sqlKeywords {
		m[k] = true
	}
	return m
}()

// listKeywords are the keywords after which a list name comes.
var listKeywords = map[string]bool{"FROM": true, "JOIN": true, "INTO": true, "UPDATE": true, "DESCRIBE": true, "DESC": true, "TABLE": true}

// sqlToken is one token of a statement being typed: a name (bare or
// quoted, with quotes removed), a string, or one punctuation character.
type sqlToken struct {
	kind       byte // 'w' word, 'q' quoted name, 's' string, 'p' punctuation
	text       string
	start, end int  // byte offsets in the text
	open       bool // a quoted name or string not closed yet
}

// scanSQL splits text into tokens, skipping spaces and comments. It never
// fails: an unclosed quote or comment runs to the end of text.
func scanSQL(text string) []sqlToken {
	var toks []sqlToken
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case strings.HasPrefix(text[i:], "--") || r == '#':
			if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(text)
			}
		case strings.HasPrefix(text[i:], "/*"):
			if j := strings.Index(text[i+2:], "*/"); j >= 0 {
				i += 2 + j + 2
			} else {
				i = len(text)
			}
		case r == '[' || r == '"' || r == '`' || r == '\'':
			closer := r
			if r == '[' {
				closer = ']'
			}
			kind := byte('q')
			if r == '\'' {
				kind = 's'
			}
			var b strings.Builder
			j := i + 1
			open := true
			for j < len(text) {
				c, n := utf8.DecodeRuneInString(text[j:])
				j += n
				if c == closer {
					// A doubled closing quote is the quote itself.
					if strings.HasPrefix(text[j:], string(closer)) {
						b.WriteRune(c)
						j += n
						continue
					}
					open = false
					break
				}
				b.WriteRune(c)
			}
			toks = append(toks, sqlToken{kind: kind, text: b.String(), start: i, end: j, open: open})
			i = j
		case isNameRune(r):
			j := i
			for j < len(text) {
				c, n := utf8.DecodeRuneInString(text[j:])
				if !isNameRune(c) {
					break
				}
				j += n
			}
			toks = append(toks, sqlToken{kind: 'w', text: text[i:j], start: i, end: j})
			i = j
		default:
			toks = append(toks, sqlToken{kind: 'p', text: text[i : i+size], start: i, end: i + size})
			i += size
		}
	}
	return toks
}

func isNameRune(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// isName reports whether t names something (a list, column or alias).
func (t sqlToken) isName() bool {
	return t.kind == 'q' || (t.kind == 'w' && !isKeyword[strings.ToUpper(t.text)])
}

// statementLists returns the lists a statement names after FROM, JOIN,
// INTO, UPDATE or DESCRIBE, and its aliases (lower-cased) with the list
// each stands for.
func statementLists(toks []sqlToken) (lists []string, aliases map[string]string) {
	aliases = map[string]string{}
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].kind != 'w' || !listKeywords[strings.ToUpper(toks[i].text)] || !toks[i+1].isName() {
			continue
		}
		list := toks[i+1].text
		lists = append(lists, list)
		j := i + 2
		if j < len(toks) && toks[j].kind == 'w' && strings.EqualFold(toks[j].text, "AS") {
			j++
		}
		if j < len(toks) && toks[j].isName() && !toks[j].open {
			aliases[strings.ToLower(toks[j].text)] = list
		}
	}
	return lists, aliases
}

// completeSQL completes the word before the cursor (a byte offset in
// line, the statement typed so far): after FROM, JOIN, INTO, UPDATE or
// DESCRIBE, list names; after "alias." or "list.", that list's columns;
// elsewhere the columns of the lists the statement names, and keywords.
// It returns the offset where the word starts, which the candidates
// replace up to the cursor, and the candidates, sorted.
func completeSQL(line string, cursor int, cat catalog) (start int, candidates []string) {
	// The statement's tokens for its lists and aliases, scanned in two
	// parts so that a bracket opened at the cursor does not swallow the
	// rest (offsets in the second part are not used).
	btoks := scanSQL(line[:cursor]) // the tokens before the cursor
	toks := append(append([]sqlToken(nil), btoks...), scanSQL(line[cursor:])...)
	start = cursor
	var word sqlToken // the word being completed; kind 0 when none
	if n := len(btoks); n > 0 && btoks[n-1].end == cursor && (btoks[n-1].kind == 'w' || btoks[n-1].kind == 'q') {
		word = btoks[n-1]
		start = word.start
		btoks = btoks[:n-1]
	} else if n > 0 && btoks[n-1].open {
		return cursor, nil // inside a string
	}
	// "qualifier." before the word: that list's columns.
	if n := len(btoks); n >= 2 && btoks[n-1].text == "." && btoks[n-1].kind == 'p' && btoks[n-1].end == start && btoks[n-2].end == btoks[n-1].start && (btoks[n-2].kind == 'w' || btoks[n-2].kind == 'q') {
		qual := btoks[n-2]
		_, aliases := statementLists(toks)
		list := qual.text
		if l, ok := aliases[strings.ToLower(qual.text)]; ok {
			list = l
		}
		prefix := line[qual.start:btoks[n-1].end]
		var out []string
		for _, c := range cat.columns(list) {
			if matchName(word, c) {
				out = append(out, prefix+quoteName(c, word.kind == 'q'))
			}
		}
		sort.Strings(out)
		return qual.start, out
	}
	var prev string
	if n := len(btoks); n > 0 && btoks[n-1].kind == 'w' {
		prev = strings.ToUpper(btoks[n-1].text)
	}
	var out []string
	if listKeywords[prev] {
		for _, l := range cat.lists() {
			if matchName(word, l) {
				out = append(out, quoteName(l, word.kind == 'q'))
			}
		}
		sort.Strings(out)
		return start, out
	}
	lists, _ := statementLists(toks)
	seen := map[string]bool{}
	for _, l := range lists {
		for _, c := range cat.columns(l) {
			if q := quoteName(c, word.kind == 'q'); matchName(word, c) && !seen[q] {
				seen[q] = true
				out = append(out, q)
			}
		}
	}
	if word.kind != 'q' {
		lower := word.text != "" && word.text == strings.ToLower(word.text)
		for _, k := range sqlKeywords {
			if strings.HasPrefix(k, strings.ToUpper(word.text)) {
				if lower {
					k = strings.ToLower(k)
				}
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return start, out
}

// matchName reports whether name completes word: word's text is a prefix
// of it, ignoring case. A bare word completes only names that need no
// quotes (the bracketed form would not start with what was typed).
func matchName(word sqlToken, name string) bool {
	if word.kind == 'w' && !isPlainName(name) {
		return false
	}
	return len(word.text) <= len(name) && strings.EqualFold(name[:len(word.text)], word.text)
}

// isPlainName reports whether name can be written bare.
func isPlainName(name string) bool {
	if name == "" || isKeyword[strings.ToUpper(name)] {
		return false
	}
	for i, r := range name {
		if !isNameRune(r) || (i == 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// quoteName writes name bare when it can be, else in brackets (always
// when the user opened a bracket).
func quoteName(name string, quoted bool) string {
	if !quoted && isPlainName(name) {
		return name
	}
	return "[" + strings.ReplaceAll(name, "]", "]]") + "]"
}

// metaCache is the shell's catalog: list and column names read from the
// site with SHOW TABLES and DESCRIBE the first time completion needs them,
// then kept for the session. A completion waits at most wait for a fetch;
// one still running then answers nil, and the names come at a later Tab.
type metaCache struct {
	db   *sql.DB
	wait time.Duration

	mu    sync.Mutex
	names map[string]*metaEntry // "" for the lists, else a list's lower-cased title
}

type metaEntry struct {
	done  chan struct{}
	names []string // set before done is closed; nil after a failure
}

// metaFetchTimeout bounds one background fetch.
const metaFetchTimeout = 30 * time.Second

func newMetaCache(db *sql.DB) *metaCache {
	return &metaCache{db: db, wait: 2 * time.Second, names: map[string]*metaEntry{}}
}

func (m *metaCache) lists() []string { return m.get("", "SHOW TABLES") }

func (m *metaCache) columns(list string) []string {
	// Use the list's title as the site spells it when known.
	if e := m.entry(""); e != nil {
		for _, l := range e.names {
			if strings.EqualFold(l, list) {
				list = l
			}
		}
	}
	return m.get(strings.ToLower(list), "DESCRIBE "+quoteName(list, true))
}

// entry returns the finished entry for key, or nil.
func (m *metaCache) entry(key string) *metaEntry {
	m.mu.Lock()
	e := m.names[key]
	m.mu.Unlock()
	if e == nil {
		return nil
	}
	select {
	case <-e.done:
		return e
	default:
		return nil
	}
}

// get returns the first column of query's rows, fetched once for key.
func (m *metaCache) get(key, query string) []string {
	m.mu.Lock()
	e := m.names[key]
	if e == nil {
		e = &metaEntry{done: make(chan struct{})}
		m.names[key] = e
		go m.fetch(key, e, query)
	}
	m.mu.Unlock()
	timer := time.NewTimer(m.wait)
	defer timer.Stop()
	select {
	case <-e.done:
		return e.names
	case <-timer.C:
		return nil
	}
}

func (m *metaCache) fetch(key string, e *metaEntry, query string) {
	defer close(e.done)
	ctx, cancel := context.WithTimeout(context.Background(), metaFetchTimeout)
	defer cancel()
	names, err := firstColumn(ctx, m.db, query)
	if err != nil {
		// Forget the failure: a later Tab tries again.
		m.mu.Lock()
		delete(m.names, key)
		m.mu.Unlock()
		return
	}
	e.names = names
}

func firstColumn(ctx context.Context, db *sql.DB, query string) ([]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	dest := make([]any, len(cols))
	var first sql.NullString
	dest[0] = &first
	for i := 1; i < len(dest); i++ {
		dest[i] = new(any)
	}
	var names []string
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		names = append(names, first.String)
	}
	return names, rows.Err()
}
