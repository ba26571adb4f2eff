package sqlparse

import "strings"

// SplitStatements splits a script into statements at each ';' that is
// outside strings ('…'), quoted identifiers ("…", `…`, […]) and comments
// (--, #, /* */), with the lexer that Parse uses, so that a tool and the
// driver never disagree on where a statement ends: an apostrophe in a
// comment ("-- don't") opens no string.
//
// It returns the statements a ';' ends, as written (comments included)
// and trimmed of surrounding white space, leaving out those that hold only
// white space and comments; and rest, the text after the last such ';' as
// written, or "" when that holds only white space and comments. rest is a
// statement without its ';': a shell waits for more lines, a script runs it
// as its last statement. A string, quoted identifier or /* comment still
// open at the end of text keeps everything after it in rest.
//
// SplitStatements never fails: what the lexer would refuse inside a
// statement (an unsupported placeholder, say) is Parse's to report.
func SplitStatements(text string) (stmts []string, rest string) {
	toks, _ := lexText(text, true) // split mode never fails
	start := 0                     // byte offset where the current statement begins
	empty := true                  // the current statement holds only spaces and comments
	for _, t := range toks {
		switch {
		case t.kind == tkPunct && t.text == ";":
			if !empty {
				stmts = append(stmts, strings.TrimSpace(text[start:t.pos]))
			}
			start, empty = t.pos+1, true
		case t.kind != tkSpace:
			empty = false
		}
	}
	if empty {
		return stmts, ""
	}
	return stmts, text[start:]
}
