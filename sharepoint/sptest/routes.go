package sptest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// segment is one path segment after /_api/: a name and, for function-call
// style segments such as getbytitle('T') or items(5), its argument.
type segment struct {
	name   string // lower-cased
	arg    string // decoded argument text, e.g. 'T' or guid'…' or 5
	hasArg bool
}

// splitSegments splits the escaped path after /_api/ at slashes outside
// quotes and parentheses, so a title may contain a raw '/'.
func splitSegments(escaped string) ([]segment, bool) {
	// Clients that escape parentheses send %28/%29; quotes inside titles are
	// tracked below, so decoding them here cannot split a title.
	escaped = strings.NewReplacer("%28", "(", "%29", ")").Replace(escaped)
	var segs []segment
	depth, inQuote, start := 0, false, 0
	flush := func(end int) bool {
		raw := escaped[start:end]
		start = end + 1
		if raw == "" {
			return true
		}
		var seg segment
		if i := strings.IndexByte(raw, '('); i >= 0 {
			if !strings.HasSuffix(raw, ")") {
				return false
			}
			arg, err := url.PathUnescape(raw[i+1 : len(raw)-1])
			if err != nil {
				return false
			}
			seg.arg, seg.hasArg = arg, true
			raw = raw[:i]
		}
		name, err := url.PathUnescape(raw)
		if err != nil {
			return false
		}
		seg.name = strings.ToLower(name)
		segs = append(segs, seg)
		return true
	}
	for i := 0; i < len(escaped); i++ {
		switch c := escaped[i]; {
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '/' && depth == 0:
			if !flush(i) {
				return nil, false
			}
		}
		// %27 is a quote too: PnPjs-style clients send getbytitle('…')
		// with raw quotes, others percent-encode them.
		if !inQuote && strings.HasPrefix(escaped[i:], "%27") && depth > 0 {
			inQuote = true
			i += 2
		} else if inQuote && strings.HasPrefix(escaped[i:], "%27") {
			inQuote = false
			i += 2
		}
	}
	if !flush(len(escaped)) {
		return nil, false
	}
	return segs, true
}

// argument decodes a segment argument: a quoted string with ” for a quote,
// guid'…', a number, or a parameter alias @name whose value is in the query
// string (getbytitle(@t)?@t='…', docs/sharepoint.md §2.2).
func argument(arg string, q url.Values) (s string, isGUID bool, ok bool) {
	arg = strings.TrimSpace(arg)
	if strings.HasPrefix(arg, "@") {
		if v, found := q[arg]; found && len(v) > 0 {
			return argument(v[0], nil)
		}
		return "", false, false
	}
	if rest, found := cutPrefixFold(arg, "guid'"); found && strings.HasSuffix(rest, "'") {
		g, ok := normalizeGUID(rest[:len(rest)-1])
		return g, true, ok
	}
	if len(arg) >= 2 && arg[0] == '\'' && arg[len(arg)-1] == '\'' {
		inner := arg[1 : len(arg)-1]
		// Every quote inside must be doubled.
		if strings.Count(strings.ReplaceAll(inner, "''", ""), "'") != 0 {
			return "", false, false
		}
		return strings.ReplaceAll(inner, "''", "'"), false, true
	}
	if _, err := strconv.Atoi(arg); err == nil {
		return arg, false, true
	}
	if g, ok := normalizeGUID(arg); ok {
		return g, true, true
	}
	return "", false, false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// serveSite answers the _api resources beyond "web" itself: lists, fields,
// items and the time zone.
func (s *Server) serveSite(w http.ResponseWriter, r *http.Request) {
	f, ferr := negotiate(r)
	if ferr != nil {
		writeError(w, f, ferr)
		return
	}
	escaped := r.URL.EscapedPath()
	prefix := s.site.Path + "/_api/"
	if len(escaped) < len(prefix) || !strings.EqualFold(escaped[:len(prefix)], prefix) {
		writeError(w, f, notFoundResource(escaped))
		return
	}
	rest := strings.TrimSuffix(escaped[len(prefix):], "/")
	segs, ok := splitSegments(rest)
	if !ok {
		// Unbalanced quotes or parentheses, such as an undoubled quote in
		// getbytitle('O'Brien').
		writeError(w, f, errInvalidExpression(rest))
		return
	}
	if len(segs) < 2 || segs[0].name != "web" || segs[0].hasArg {
		writeError(w, f, notFoundResource(rest))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !isItemWrite(r.Method) {
		writeError(w, f, &apiError{http.StatusNotImplemented, "-1, Microsoft.SharePoint.Client.ClientServiceException", "sptest: only GET, POST, PATCH, MERGE or DELETE to list items (writes.go), creating lists and fields and deleting lists (schema_writes.go) are emulated."})
		return
	}
	q := r.URL.Query()
	segs = segs[1:]
	switch {
	case segs[0].name == "regionalsettings" && len(segs) == 2 && segs[1].name == "timezone":
		s.serveTimeZone(w, r, f)
		return
	case segs[0].name == "lists" && !segs[0].hasArg && len(segs) == 1 && r.Method == http.MethodPost:
		s.serveCreateList(w, r, f) // schema_writes.go
		return
	case segs[0].name == "lists" && !segs[0].hasArg && len(segs) == 1:
		s.serveLists(w, r, f)
		return
	}

	// Address one list: lists/getbytitle('T'), lists/getbyid('…'),
	// lists(guid'…'), lists('…') or GetList('/sites/x/Lists/T').
	var l *listModel
	switch seg := segs[0]; {
	case seg.name == "lists" && seg.hasArg:
		id, _, ok := argument(seg.arg, q)
		if !ok {
			writeError(w, f, errInvalidExpression(seg.arg))
			return
		}
		if l = s.model.listByID(id); l == nil {
			writeError(w, f, errListIDNotFound())
			return
		}
		segs = segs[1:]
	case seg.name == "lists" && len(segs) > 1 && (segs[1].name == "getbytitle" || segs[1].name == "getbyid") && segs[1].hasArg:
		arg, _, ok := argument(segs[1].arg, q)
		if !ok {
			writeError(w, f, errInvalidExpression(segs[1].arg))
			return
		}
		if segs[1].name == "getbyid" {
			if l = s.model.listByID(arg); l == nil {
				writeError(w, f, errListIDNotFound())
				return
			}
		} else if l = s.model.listByTitle(arg); l == nil {
			writeError(w, f, &apiError{http.StatusNotFound, "-1, System.ArgumentException", "List '" + arg + "' does not exist at site with URL '" + s.ServiceURL() + "'."})
			return
		}
		segs = segs[2:]
	case seg.name == "getlist" && seg.hasArg:
		arg, _, ok := argument(seg.arg, q)
		if !ok {
			writeError(w, f, errInvalidExpression(seg.arg))
			return
		}
		if l = s.model.listByURL(arg); l == nil {
			writeError(w, f, &apiError{http.StatusNotFound, "-2147024894, System.IO.FileNotFoundException", "File Not Found."})
			return
		}
		segs = segs[1:]
	default:
		writeError(w, f, notFoundResource(rest))
		return
	}
	s.serveList(w, r, f, l, segs)
}

// serveList answers a resource of list l: the list itself, its items, one
// item, its fields, or one field.
func (s *Server) serveList(w http.ResponseWriter, r *http.Request, f format, l *listModel, segs []segment) {
	if isItemWrite(r.Method) {
		// schema_writes.go answers POST and DELETE on a list or its fields.
		if (r.Method == http.MethodPost || r.Method == http.MethodDelete) && s.serveSchemaWrite(w, r, f, l, segs) {
			return
		}
		s.serveItemWrite(w, r, f, l, segs)
		return
	}
	q := r.URL.Query()
	switch {
	case len(segs) == 0:
		s.serveListEntity(w, r, f, l)
	case segs[0].name == "items" && len(segs) == 1 && !segs[0].hasArg:
		s.serveItems(w, r, f, l)
	case segs[0].name == "items" && len(segs) == 1:
		id, err := strconv.Atoi(strings.TrimSpace(segs[0].arg))
		if err != nil {
			writeError(w, f, errInvalidExpression(segs[0].arg))
			return
		}
		s.serveItem(w, r, f, l, id)
	case segs[0].name == "getitembyid" && len(segs) == 1 && segs[0].hasArg:
		id, err := strconv.Atoi(strings.TrimSpace(segs[0].arg))
		if err != nil {
			writeError(w, f, errInvalidExpression(segs[0].arg))
			return
		}
		s.serveItem(w, r, f, l, id)
	case segs[0].name == "fields" && len(segs) == 1 && !segs[0].hasArg:
		s.serveFields(w, r, f, l)
	case segs[0].name == "fields" && len(segs) == 1:
		id, _, ok := argument(segs[0].arg, q)
		s.serveField(w, r, f, l, l.fieldByID(id), ok)
	case segs[0].name == "fields" && len(segs) == 2 && segs[1].hasArg &&
		(segs[1].name == "getbyinternalnameortitle" || segs[1].name == "getbytitle" || segs[1].name == "getbyid"):
		arg, _, ok := argument(segs[1].arg, q)
		var fm *fieldModel
		switch segs[1].name {
		case "getbyid":
			fm = l.fieldByID(arg)
		case "getbytitle":
			fm = l.fieldByTitle(arg)
		default:
			if fm = l.byName[strings.ToLower(arg)]; fm == nil || fm.InternalName != arg && !strings.EqualFold(fm.InternalName, arg) {
				fm = l.fieldByTitle(arg)
			}
		}
		s.serveField(w, r, f, l, fm, ok)
	case len(segs) == 1 && !segs[0].hasArg && s.serveListProperty(w, f, l, segs[0].name):
		// A list property on its own, e.g. …/getbytitle('T')/ItemCount (properties.go).
	default:
		writeError(w, f, notFoundResource(segs[0].name))
	}
}

func notFoundResource(path string) *apiError {
	return &apiError{http.StatusNotFound, "-1, System.ArgumentException", "Cannot find resource for the request " + path + "."}
}

// errListIDNotFound is SharePoint's answer for a list GUID that names no
// list (its text for GUID access differs from getbytitle's).
func errListIDNotFound() *apiError {
	return &apiError{http.StatusNotFound, "-1, System.ArgumentException", "List does not exist.\n\nThe page you selected contains a list that does not exist.  It may have been deleted by another user."}
}

// listByTitle matches titles case-insensitively, as getbytitle does.
func (m *siteModel) listByTitle(title string) *listModel {
	for _, l := range m.listSnapshot() {
		if strings.EqualFold(l.Title, title) {
			return l
		}
	}
	return nil
}

func (m *siteModel) listByID(id string) *listModel {
	g, ok := normalizeGUID(id)
	if !ok {
		return nil
	}
	for _, l := range m.listSnapshot() {
		if l.ID == g {
			return l
		}
	}
	return nil
}

// listByURL finds a list by its server-relative URL (web/GetList).
func (m *siteModel) listByURL(u string) *listModel {
	u = strings.TrimSuffix(u, "/")
	for _, l := range m.listSnapshot() {
		if strings.EqualFold(l.serverRelURL, u) {
			return l
		}
	}
	return nil
}

func (l *listModel) fieldByID(id string) *fieldModel {
	g, ok := normalizeGUID(id)
	if !ok {
		return nil
	}
	for _, f := range l.fields {
		if f.ID == g {
			return f
		}
	}
	return nil
}

func (l *listModel) fieldByTitle(title string) *fieldModel {
	for _, f := range l.fields {
		if strings.EqualFold(f.Title, title) {
			return f
		}
	}
	return nil
}
