package sharepoint

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// pageDecoder turns one page of an items response into rows, straight from
// the body's bytes into typed values: no page is unmarshalled into maps or
// interface{} trees, and no token is materialised on the way. It reads the
// four envelopes SharePoint may answer in (docs/sharepoint.md §5.2):
// nometadata/minimalmetadata {"value":[…],"odata.nextLink"}, OData v4
// {"value":[…],"@odata.nextLink"} and verbose {"d":{"results":[…],"__next"}},
// with verbose's {"results":[…]} wrappers around multi-values and its
// __metadata/__deferred objects.
//
// It is a scanner specialised to those shapes (chosen by
// measurement over encoding/json's token loop, go-json-experiment/json's
// jsontext and valyala/fastjson; see docs/performance.md; the token loop
// is still measured beside it in decode_candidates_test.go). Each column's conversion is picked by its
// ValueType when a value is met, on the value's raw bytes: numbers are
// parsed in place, strings are copied once, out of the page.
//
// The rows it returns share no memory with the body, so the caller may
// reuse the body's buffer for the next page. A pageDecoder keeps scratch
// space between pages and is not safe for concurrent use: each
// ItemIterator has its own.
type pageDecoder struct {
	cols  []Column
	byKey map[string][]int // JSON property → indexes of the columns it feeds

	s scanner
	// intern says which columns repeat a few values over and over
	// (choices, a lookup's Title): their strings are boxed once per
	// decoder and shared by every row that holds them.
	intern   []bool
	interned map[string]any
	rowsHint int // rows in the last page, to size the next one's slice
	// sawItems: the page being decoded has an array of items ("value",
	// or verbose "results"); a page without one is no page at all.
	sawItems bool
	// geo: the columns reading a Geolocation field (geolocation.go).
	geo []bool

	// Scratch, reused from value to value and page to page.
	unq   []byte // a string's unescaped bytes
	strs  []string
	ints  []int64
	terms []TaxonomyValue
	subJ  []int // readExpandedArray: which column each of subS goes to
	subS  []string
}

// Bounds of the interning: enough for a list's choices and the people and
// projects its lookups name, small enough to stay in cache.
const (
	maxInterned    = 4096
	maxInternedLen = 64
)

func newPageDecoder(cols []Column) *pageDecoder {
	d := &pageDecoder{cols: cols, byKey: make(map[string][]int), intern: make([]bool, len(cols)), geo: make([]bool, len(cols))}
	for i, c := range cols {
		d.byKey[c.key] = append(d.byKey[c.key], i)
		d.intern[i] = c.subField != "" || (c.Field != nil && isChoice(c.Field))
		d.geo[i] = isGeolocation(&cols[i])
	}
	// SharePoint sends an item's ID as both "Id" and "ID" (docs/sharepoint.md §2.3):
	// either feeds a column on the other. Only when that column exists: a
	// nil entry would match "Id" on pages where no column wants it.
	for _, pair := range [][2]string{{"Id", "ID"}, {"ID", "Id"}} {
		if _, ok := d.byKey[pair[0]]; !ok && d.byKey[pair[1]] != nil {
			d.byKey[pair[0]] = d.byKey[pair[1]]
		}
	}
	return d
}

func isChoice(f *Field) bool {
	switch f.TypeName() {
	case "Choice", "MultiChoice", "GridChoice", "OutcomeChoice":
		return true
	}
	return false
}

// decode reads a whole page. A body cut short shows up as an error
// matching io.ErrUnexpectedEOF; bytes after the envelope's closing brace
// are not read. A JSON object without an array of items — {}, or an
// error object sent with HTTP 200 — is an error naming what it is.
func (d *pageDecoder) decode(body []byte) (rows [][]any, next string, err error) {
	s := &d.s
	s.data, s.pos = body, 0
	defer func() { s.data = nil }() // hold no page between calls
	if err := s.open('{'); err != nil {
		return nil, "", err
	}
	d.sawItems = false
	for first := true; ; first = false {
		key, ok, err := s.nextKey(first)
		if err != nil {
			return nil, "", err
		}
		if !ok {
			break
		}
		switch string(key) {
		case "value":
			rows, err = d.readItems(rows)
		case "odata.nextLink", "@odata.nextLink":
			next, err = d.readNext()
		case "d":
			rows, next, err = d.readVerbose(rows)
		default:
			err = s.skip()
		}
		if err != nil {
			return nil, "", err
		}
	}
	if !d.sawItems {
		// {} or an error object under HTTP 200 is no page of zero items.
		return nil, "", notAPage(body)
	}
	d.rowsHint = min(len(rows), 2*MaxPageSize)
	return rows, next, nil
}

// readVerbose reads the verbose envelope's "d" object.
func (d *pageDecoder) readVerbose(rows [][]any) ([][]any, string, error) {
	s := &d.s
	if err := s.open('{'); err != nil {
		return nil, "", err
	}
	var next string
	for first := true; ; first = false {
		key, ok, err := s.nextKey(first)
		if err != nil {
			return nil, "", err
		}
		if !ok {
			return rows, next, nil
		}
		switch string(key) {
		case "results":
			rows, err = d.readItems(rows)
		case "__next":
			next, err = d.readNext()
		default:
			err = s.skip()
		}
		if err != nil {
			return nil, "", err
		}
	}
}

// readNext reads a next link: a string, or null for none.
func (d *pageDecoder) readNext() (string, error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return "", err
	}
	switch c {
	case 'n':
		return "", s.literal("null")
	case '"':
		raw, plain, err := s.str()
		if err != nil {
			return "", err
		}
		return string(d.unquoted(raw, plain)), nil
	}
	return "", s.unexpected("want a string")
}

func (d *pageDecoder) readItems(rows [][]any) ([][]any, error) {
	s := &d.s
	if err := s.open('['); err != nil {
		return nil, err
	}
	d.sawItems = true
	for first := true; ; first = false {
		ok, err := s.nextElem(first)
		if err != nil {
			return nil, err
		}
		if !ok {
			return rows, nil
		}
		row, err := d.readItem()
		if err != nil {
			return nil, err
		}
		if rows == nil {
			rows = make([][]any, 0, max(d.rowsHint, 16))
		}
		rows = append(rows, row)
	}
}

// readItem reads one item object into a row. Properties no column asks
// for (odata.*, __metadata, fields not selected) are skipped; a column
// whose property is missing stays nil (SQL NULL), never shifted.
func (d *pageDecoder) readItem() ([]any, error) {
	s := &d.s
	if err := s.open('{'); err != nil {
		return nil, err
	}
	row := make([]any, len(d.cols))
	for first := true; ; first = false {
		key, ok, err := s.nextKey(first)
		if err != nil {
			return nil, err
		}
		if !ok {
			return row, nil
		}
		idx, ok := d.byKey[string(key)]
		if !ok {
			if err := s.skip(); err != nil {
				return nil, err
			}
			continue
		}
		if d.cols[idx[0]].subField != "" {
			if err := d.readExpanded(idx, row); err != nil {
				return nil, err
			}
			continue
		}
		// Several columns may read the same property (SELECT a, a):
		// decode once, share the value.
		v, err := d.readTyped(idx[0])
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", d.cols[idx[0]].Name, err)
		}
		for _, i := range idx {
			row[i] = v
		}
	}
}

// readExpanded reads an expanded lookup or person: an object (single) or
// an array of objects (multi; verbose wraps it in {"results":[…]}), and
// sets the columns asking for its sub-fields.
func (d *pageDecoder) readExpanded(idx []int, row []any) error {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch c {
	case 'n':
		return s.literal("null") // no value: every sub-field is NULL
	case '[':
		s.pos++
		return d.readExpandedArray(idx, row)
	case '{':
		s.pos++
	default:
		return s.unexpected(fmt.Sprintf("expanded %s: want an object or array", d.cols[idx[0]].key))
	}
	// An object: the item itself, or verbose's {"results":[…]} around a set.
	multi := d.cols[idx[0]].multi
	for first := true; ; first = false {
		key, ok, err := s.nextKey(first)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if multi && string(key) == "results" {
			if err := s.open('['); err != nil {
				return err
			}
			if err := d.readExpandedArray(idx, row); err != nil {
				return err
			}
			continue
		}
		if !d.wantsSubField(idx, key) {
			if err := s.skip(); err != nil {
				return err
			}
			continue
		}
		// The key is matched before the value is read: reading it may
		// reuse the key's scratch.
		var sets [4]int
		targets := sets[:0]
		for _, i := range idx {
			if d.cols[i].subField == string(key) {
				targets = append(targets, i)
			}
		}
		v, null, err := d.readScalarString(idx[0])
		if err != nil {
			return err
		}
		if multi {
			continue // a set's sub-fields come from "results" only
		}
		for _, i := range targets {
			if null {
				row[i] = nil
			} else {
				row[i] = v
			}
		}
	}
}

// readExpandedArray reads the objects of a multi-value lookup or person
// (the opening '[' already consumed) into []string per sub-field column.
func (d *pageDecoder) readExpandedArray(idx []int, row []any) error {
	s := &d.s
	d.subJ, d.subS = d.subJ[:0], d.subS[:0]
	for first := true; ; first = false {
		ok, err := s.nextElem(first)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := s.open('{'); err != nil {
			return err
		}
		for first := true; ; first = false {
			key, ok, err := s.nextKey(first)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			at := len(d.subJ)
			for j, i := range idx {
				if d.cols[i].subField == string(key) {
					d.subJ = append(d.subJ, j)
				}
			}
			if at == len(d.subJ) {
				if err := s.skip(); err != nil {
					return err
				}
				continue
			}
			v, _, err := d.readScalarString(idx[0])
			if err != nil {
				return err
			}
			str, _ := v.(string)
			for range d.subJ[at:] {
				d.subS = append(d.subS, str)
			}
		}
	}
	// One exact-size slice per column; an empty set is an empty slice.
	for j, i := range idx {
		n := 0
		for _, jj := range d.subJ {
			if jj == j {
				n++
			}
		}
		list := make([]string, 0, n)
		for k, jj := range d.subJ {
			if jj == j {
				list = append(list, d.subS[k])
			}
		}
		row[i] = list
	}
	clear(d.subS) // drop references to this page's strings
	return nil
}

func (d *pageDecoder) wantsSubField(idx []int, key []byte) bool {
	for _, i := range idx {
		if d.cols[i].subField == string(key) {
			return true
		}
	}
	return false
}

// readTyped reads one property value as column ci's Go type.
func (d *pageDecoder) readTyped(ci int) (any, error) {
	s := &d.s
	col := &d.cols[ci]
	c, err := s.peek()
	if err != nil {
		return nil, err
	}
	switch c {
	case 'n':
		return nil, s.literal("null")
	case '{', '[':
		s.pos++
		return d.readComposite(c, ci)
	case '"':
		raw, plain, err := s.str()
		if err != nil {
			return nil, err
		}
		return d.stringAs(ci, raw, plain)
	case 't', 'f':
		b, err := s.boolean()
		if err != nil {
			return nil, err
		}
		switch col.Type {
		case ValueString:
			return strconv.FormatBool(b), nil
		case ValueBool:
			return b, nil
		case ValueInt, ValueFloat, ValueTime:
			return nil, fmt.Errorf("want %s, got %t", article(col.Type), b)
		}
		return nil, fmt.Errorf("want a %s, got the scalar %t", typeName(col.Type), b)
	}
	raw, err := s.number()
	if err != nil {
		return nil, err
	}
	return numberAs(col, raw)
}

// stringAs converts a JSON string to column ci's type. SharePoint sends
// Calculated values, XStringId and much of verbose as strings.
func (d *pageDecoder) stringAs(ci int, raw []byte, plain bool) (any, error) {
	col := &d.cols[ci]
	if col.Type == ValueString {
		return d.newString(ci, raw, plain), nil
	}
	if col.Type == ValueTime && plain {
		if t, ok := parseUTCSeconds(raw); ok {
			return t, nil // the usual "2026-03-05T08:00:00Z"
		}
	}
	v := view(d.unquoted(raw, plain))
	switch col.Type {
	case ValueInt:
		return intFromString(v)
	case ValueFloat:
		return floatFromString(v)
	case ValueBool:
		return boolFromString(v)
	case ValueTime:
		return timeFromString(v)
	}
	return nil, fmt.Errorf("want a %s, got the scalar %q", typeName(col.Type), v)
}

// numberAs converts a JSON number to col's type.
func numberAs(col *Column, raw []byte) (any, error) {
	switch col.Type {
	case ValueString:
		return string(raw), nil
	case ValueInt:
		n, err := intFromNumber(raw)
		if err != nil {
			return nil, err
		}
		return n, nil
	case ValueFloat:
		f, err := strconv.ParseFloat(view(raw), 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %s", raw)
		}
		return f, nil
	case ValueBool: // verbose sometimes: 0/1
		return string(raw) != "0", nil
	case ValueTime:
		return nil, fmt.Errorf("want a date and time, got %s", raw)
	}
	return nil, fmt.Errorf("want a %s, got the scalar %s", typeName(col.Type), raw)
}

// readComposite reads an object or array value (its opening byte
// consumed): URLs, taxonomy terms, multi-values (bare arrays, or verbose
// {"results":[…]} objects).
func (d *pageDecoder) readComposite(open byte, ci int) (any, error) {
	col := &d.cols[ci]
	if open == '[' {
		return d.readArray(ci)
	}
	if d.geo[ci] {
		return d.readGeolocation()
	}
	// An object. For URL and taxonomy values, its fields; for multi-values
	// in verbose, {"__metadata":…, "results":[…]}.
	s := &d.s
	var (
		url    URLValue
		term   TaxonomyValue
		result any
	)
	for first := true; ; first = false {
		key, ok, err := s.nextKey(first)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch k := string(key); {
		case k == "results":
			if err := s.open('['); err != nil {
				return nil, err
			}
			if result, err = d.readArray(ci); err != nil {
				return nil, err
			}
		case col.Type == ValueURL && (k == "Url" || k == "Description"):
			isURL := k == "Url"
			v, _, err := d.readScalarString(-1)
			if err != nil {
				return nil, err
			}
			str, _ := v.(string)
			if isURL {
				url.URL = str
			} else {
				url.Description = str
			}
		case col.Type == ValueTaxonomy && (k == "Label" || k == "TermGuid" || k == "WssId"):
			if err := d.readTermField(key, &term); err != nil {
				return nil, err
			}
		default:
			if err := s.skip(); err != nil {
				return nil, err
			}
		}
	}
	switch {
	case result != nil:
		return result, nil
	case col.Type == ValueURL:
		return url, nil
	case col.Type == ValueTaxonomy:
		return term, nil
	case col.Type == ValueStrings || col.Type == ValueInts || col.Type == ValueTaxonomies:
		return nil, nil // an empty wrapper
	}
	return nil, fmt.Errorf("want a %s, got an object", typeName(col.Type))
}

// readArray reads the elements of a multi-value (the '[' consumed) into
// a slice of exactly their number.
func (d *pageDecoder) readArray(ci int) (any, error) {
	s := &d.s
	col := &d.cols[ci]
	switch col.Type {
	case ValueStrings:
		d.strs = d.strs[:0]
		for first := true; ; first = false {
			ok, err := s.nextElem(first)
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			v, _, err := d.readScalarString(ci)
			if err != nil {
				return nil, err
			}
			str, _ := v.(string)
			d.strs = append(d.strs, str)
		}
		out := append([]string{}, d.strs...)
		clear(d.strs)
		return out, nil
	case ValueInts:
		d.ints = d.ints[:0]
		for first := true; ; first = false {
			ok, err := s.nextElem(first)
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			n, err := d.readInt()
			if err != nil {
				return nil, err
			}
			d.ints = append(d.ints, n)
		}
		return append([]int64{}, d.ints...), nil
	case ValueTaxonomies:
		d.terms = d.terms[:0]
		for first := true; ; first = false {
			ok, err := s.nextElem(first)
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			if err := s.open('{'); err != nil {
				return nil, err
			}
			var term TaxonomyValue
			for first := true; ; first = false {
				key, ok, err := s.nextKey(first)
				if err != nil {
					return nil, err
				}
				if !ok {
					break
				}
				if err := d.readTermField(key, &term); err != nil {
					return nil, err
				}
			}
			d.terms = append(d.terms, term)
		}
		out := append([]TaxonomyValue{}, d.terms...)
		clear(d.terms)
		return out, nil
	}
	return nil, fmt.Errorf("want a %s, got an array", typeName(col.Type))
}

// readInt reads an element of a multi-value of IDs: a number, or a string
// holding one.
func (d *pageDecoder) readInt() (int64, error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return 0, err
	}
	switch c {
	case '"':
		raw, plain, err := s.str()
		if err != nil {
			return 0, err
		}
		v, err := intFromString(view(d.unquoted(raw, plain)))
		if err != nil {
			return 0, err
		}
		if v == nil {
			return 0, errors.New(`want an integer, got ""`)
		}
		return v.(int64), nil
	case '{', '[', 'n', 't', 'f':
		return 0, s.unexpected("want an integer")
	}
	raw, err := s.number()
	if err != nil {
		return 0, err
	}
	return intFromNumber(raw)
}

// readTermField reads one field of a taxonomy value. A WssId that is not
// an integer is left at 0: the label and term ID still identify the term.
func (d *pageDecoder) readTermField(key []byte, term *TaxonomyValue) error {
	switch string(key) {
	case "Label", "TermGuid":
		isLabel := string(key) == "Label"
		v, _, err := d.readScalarString(-1)
		if err != nil {
			return err
		}
		str, _ := v.(string)
		if isLabel {
			term.Label = str
		} else {
			term.TermGuid = str
		}
		return nil
	case "WssId":
		s := &d.s
		c, err := s.peek()
		if err != nil {
			return err
		}
		switch c {
		case '{', '[', 'n', 't', 'f':
			return s.skip()
		case '"':
			raw, plain, err := s.str()
			if err != nil {
				return err
			}
			if v, err := intFromString(view(d.unquoted(raw, plain))); err == nil && v != nil {
				term.WssID = v.(int64)
			}
			return nil
		}
		raw, err := s.number()
		if err != nil {
			return err
		}
		if n, err := intFromNumber(raw); err == nil {
			term.WssID = n
		}
		return nil
	}
	return d.s.skip()
}

// readScalarString reads a scalar as a string, null as (nil, true);
// objects and arrays are skipped and read as nil. ci is the column whose
// strings may be interned, or -1.
func (d *pageDecoder) readScalarString(ci int) (v any, null bool, err error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return nil, false, err
	}
	switch c {
	case '{', '[':
		return nil, false, s.skip()
	case 'n':
		return nil, true, s.literal("null")
	case '"':
		raw, plain, err := s.str()
		if err != nil {
			return nil, false, err
		}
		if ci < 0 {
			return string(d.unquoted(raw, plain)), false, nil
		}
		return d.newString(ci, raw, plain), false, nil
	case 't', 'f':
		b, err := s.boolean()
		return strconv.FormatBool(b), false, err
	}
	raw, err := s.number()
	if err != nil {
		return nil, false, err
	}
	return string(raw), false, nil
}

// newString returns a JSON string's value for column ci as a boxed
// string, copied out of the page. Interned columns share one box per
// distinct value.
func (d *pageDecoder) newString(ci int, raw []byte, plain bool) any {
	b := d.unquoted(raw, plain)
	if ci < 0 || !d.intern[ci] || len(b) > maxInternedLen {
		return string(b)
	}
	if v, ok := d.interned[string(b)]; ok {
		return v
	}
	var v any = string(b)
	if len(d.interned) < maxInterned {
		if d.interned == nil {
			d.interned = make(map[string]any)
		}
		d.interned[v.(string)] = v
	}
	return v
}

// unquoted returns a string's value given its raw bytes: raw itself when
// plain, else the unescaped bytes in d.unq (valid until the next call).
func (d *pageDecoder) unquoted(raw []byte, plain bool) []byte {
	if plain {
		return raw
	}
	d.unq = unquote(d.unq[:0], raw)
	return d.unq
}

// Conversions from a value's text. The string arguments may be views of
// the page (see view): they are parsed, never kept, and error messages
// copy them.

// intFromNumber reads a JSON number as an integer. 67687.0 and 1e3 are
// whole numbers and read as such (SharePoint writes some integers as
// floats); 0.5 is an error.
func intFromNumber(raw []byte) (int64, error) {
	if n, ok := smallInt(raw); ok {
		return n, nil
	}
	if n, err := strconv.ParseInt(view(raw), 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(view(raw), 64); err == nil && f == float64(int64(f)) {
		return int64(f), nil
	}
	return 0, fmt.Errorf("want an integer, got %s", raw)
}

// smallInt parses an optional minus and up to 18 digits, the common case,
// without strconv's generality.
func smallInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// calculatedPrefix strips the "float;#" style prefix that some SharePoint
// APIs put before a calculated value.
func calculatedPrefix(s string) string {
	if _, after, ok := strings.Cut(s, ";#"); ok {
		return after
	}
	return s
}

// intFromString reads a Calculated value, XStringId or verbose string as
// an integer; blank is NULL.
func intFromString(v string) (any, error) {
	s := strings.TrimSpace(calculatedPrefix(v))
	if s == "" {
		return nil, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int64(f)) {
		return int64(f), nil
	}
	return nil, fmt.Errorf("want an integer, got %q", v)
}

// floatFromString reads a Calculated number ("0.500000000000000").
func floatFromString(v string) (any, error) {
	s := strings.TrimSpace(calculatedPrefix(v))
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("want a number, got %q", v)
	}
	return f, nil
}

// boolFromString reads verbose "0"/"1", Calculated "1"/"0" and
// "true"/"false".
func boolFromString(v string) (any, error) {
	s := strings.TrimSpace(calculatedPrefix(v))
	switch {
	case s == "1", strings.EqualFold(s, "true"), strings.EqualFold(s, "yes"):
		return true, nil
	case s == "0", strings.EqualFold(s, "false"), strings.EqualFold(s, "no"):
		return false, nil
	case s == "":
		return nil, nil
	}
	return nil, fmt.Errorf("want a boolean, got %q", v)
}

// timeFromString parses SharePoint's DateTime values: ISO 8601 in UTC
// ("…Z"), the same with an offset or without a zone (taken as UTC), and
// the verbose "/Date(ms)/" form.
func timeFromString(v string) (any, error) {
	s := strings.TrimSpace(calculatedPrefix(v))
	if s == "" {
		return nil, nil
	}
	if ms, ok := strings.CutPrefix(s, "/Date("); ok {
		ms = strings.TrimSuffix(ms, ")/")
		n, err := strconv.ParseInt(ms, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("want a date and time, got %q", s)
		}
		return time.UnixMilli(n).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return nil, fmt.Errorf("want a date and time, got %q", s)
}

// parseUTCSeconds parses exactly "YYYY-MM-DDTHH:MM:SSZ", the form
// SharePoint Online writes every DateTime in, as time.Parse with
// time.RFC3339 would, at a fraction of its cost. Anything else is left to
// timeFromString.
func parseUTCSeconds(b []byte) (time.Time, bool) {
	if len(b) != 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(b[0:4]), num(b[5:7]), num(b[8:10])
	hour, minute, sec := num(b[11:13]), num(b[14:16]), num(b[17:19])
	if year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// view returns b's bytes as a string without copying them. Only for
// parsing: the string must not outlive the call it is passed to, since b
// is the page (whose buffer the next page reuses) or scratch.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func typeName(t ValueType) string {
	switch t {
	case ValueString:
		return "string"
	case ValueInt:
		return "integer"
	case ValueFloat:
		return "number"
	case ValueTime:
		return "date and time"
	case ValueBool:
		return "boolean"
	case ValueStrings:
		return "list of strings"
	case ValueInts:
		return "list of integers"
	case ValueURL:
		return "URL"
	case ValueTaxonomy:
		return "term"
	case ValueTaxonomies:
		return "list of terms"
	}
	return "value"
}

// article is typeName with its article: "an integer", "a number".
func article(t ValueType) string {
	if t == ValueInt {
		return "an integer"
	}
	return "a " + typeName(t)
}

// truncated reports a decode error caused by a body that ended early.
func truncated(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
