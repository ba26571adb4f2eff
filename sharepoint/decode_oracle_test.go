package sharepoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// tokenDecoder is the page decoder spsql shipped before the scanner: a loop
// over encoding/json's Decoder.Token, about 20-25 MB/s. It is kept as the
// oracle that FuzzDecodePage and the decoder benchmarks hold pageDecoder
// against, with two bugs fixed in both (marked "Fixed here"); otherwise it
// is the old decode.go, renamed.
type tokenDecoder struct {
	cols     []Column
	byKey    map[string][]int // JSON property → indexes of the columns it feeds
	sawItems bool             // the page has an array of items
}

func newTokenDecoder(cols []Column) *tokenDecoder {
	d := &tokenDecoder{cols: cols, byKey: make(map[string][]int)}
	for i, c := range cols {
		d.byKey[c.key] = append(d.byKey[c.key], i)
	}
	// SharePoint sends an item's ID as both "Id" and "ID" (docs/sharepoint.md §2.3):
	// either feeds a column on the other.
	for _, pair := range [][2]string{{"Id", "ID"}, {"ID", "Id"}} {
		// Fixed here as in decode.go: aliasing an absent key made a nil
		// entry, and a page carrying "Id" with no ID column panicked.
		if _, ok := d.byKey[pair[0]]; !ok && d.byKey[pair[1]] != nil {
			d.byKey[pair[0]] = d.byKey[pair[1]]
		}
	}
	return d
}

// decode reads a whole page. A body cut short shows up as an error
// matching io.ErrUnexpectedEOF.
func (d *tokenDecoder) decode(body []byte) (rows [][]any, next string, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := oracleExpectDelim(dec, '{'); err != nil {
		return nil, "", err
	}
	d.sawItems = false
	for dec.More() {
		key, err := oracleReadKey(dec)
		if err != nil {
			return nil, "", err
		}
		switch key {
		case "value":
			if rows, err = d.readItems(dec, rows); err != nil {
				return nil, "", err
			}
		case "odata.nextLink", "@odata.nextLink":
			if next, err = oracleReadString(dec); err != nil {
				return nil, "", err
			}
		case "d":
			if rows, next, err = d.readVerbose(dec, rows); err != nil {
				return nil, "", err
			}
		default:
			if err := oracleSkipValue(dec); err != nil {
				return nil, "", err
			}
		}
	}
	if err := oracleExpectDelim(dec, '}'); err != nil {
		return nil, "", err
	}
	if !d.sawItems {
		// Added with decode.go's check: {} is no page of zero items.
		return nil, "", errors.New("no array of items")
	}
	return rows, next, nil
}

// readVerbose reads the verbose envelope's "d" object.
func (d *tokenDecoder) readVerbose(dec *json.Decoder, rows [][]any) ([][]any, string, error) {
	if err := oracleExpectDelim(dec, '{'); err != nil {
		return nil, "", err
	}
	var next string
	for dec.More() {
		key, err := oracleReadKey(dec)
		if err != nil {
			return nil, "", err
		}
		switch key {
		case "results":
			if rows, err = d.readItems(dec, rows); err != nil {
				return nil, "", err
			}
		case "__next":
			if next, err = oracleReadString(dec); err != nil {
				return nil, "", err
			}
		default:
			if err := oracleSkipValue(dec); err != nil {
				return nil, "", err
			}
		}
	}
	return rows, next, oracleExpectDelim(dec, '}')
}

func (d *tokenDecoder) readItems(dec *json.Decoder, rows [][]any) ([][]any, error) {
	if err := oracleExpectDelim(dec, '['); err != nil {
		return nil, err
	}
	d.sawItems = true
	for dec.More() {
		row, err := d.readItem(dec)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, oracleExpectDelim(dec, ']')
}

// readItem reads one item object into a row. Properties no column asks
// for (odata.*, __metadata, fields not selected) are skipped; a column
// whose property is missing stays nil (SQL NULL), never shifted.
func (d *tokenDecoder) readItem(dec *json.Decoder) ([]any, error) {
	if err := oracleExpectDelim(dec, '{'); err != nil {
		return nil, err
	}
	row := make([]any, len(d.cols))
	for dec.More() {
		key, err := oracleReadKey(dec)
		if err != nil {
			return nil, err
		}
		idx, ok := d.byKey[key]
		if !ok {
			if err := oracleSkipValue(dec); err != nil {
				return nil, err
			}
			continue
		}
		if d.cols[idx[0]].subField != "" {
			if err := d.readExpanded(dec, idx, row); err != nil {
				return nil, err
			}
			continue
		}
		// Several columns may read the same property (SELECT a, a):
		// decode once, share the value.
		v, err := oracleReadTyped(dec, &d.cols[idx[0]])
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", d.cols[idx[0]].Name, err)
		}
		for _, i := range idx {
			row[i] = v
		}
	}
	return row, oracleExpectDelim(dec, '}')
}

// readExpanded reads an expanded lookup or person: an object (single) or
// an array of objects (multi; verbose wraps it in {"results":[…]}), and
// sets the columns asking for its sub-fields.
func (d *tokenDecoder) readExpanded(dec *json.Decoder, idx []int, row []any) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil // no value: every sub-field is NULL
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return fmt.Errorf("expanded %s: want an object or array, got %v", d.cols[idx[0]].key, tok)
	}
	multi := d.cols[idx[0]].multi
	if delim == '[' {
		return d.readExpandedArray(dec, idx, row)
	}
	// An object: the item itself, or verbose's {"results":[…]} around a set.
	values := make(map[string]any, len(idx))
	for dec.More() {
		key, err := oracleReadKey(dec)
		if err != nil {
			return err
		}
		if key == "results" && multi {
			if err := oracleExpectDelim(dec, '['); err != nil {
				return err
			}
			if err := d.readExpandedArray(dec, idx, row); err != nil {
				return err
			}
			continue
		}
		if !oracleWantsSubField(d.cols, idx, key) {
			if err := oracleSkipValue(dec); err != nil {
				return err
			}
			continue
		}
		v, err := oracleReadScalarString(dec)
		if err != nil {
			return err
		}
		values[key] = v
	}
	if err := oracleExpectDelim(dec, '}'); err != nil {
		return err
	}
	if multi {
		return nil // set from "results"
	}
	for _, i := range idx {
		if v, ok := values[d.cols[i].subField]; ok {
			row[i] = v
		}
	}
	return nil
}

// readExpandedArray reads the objects of a multi-value lookup or person
// (the opening '[' already consumed) into []string per sub-field column.
func (d *tokenDecoder) readExpandedArray(dec *json.Decoder, idx []int, row []any) error {
	lists := make([][]string, len(idx))
	for dec.More() {
		if err := oracleExpectDelim(dec, '{'); err != nil {
			return err
		}
		for dec.More() {
			key, err := oracleReadKey(dec)
			if err != nil {
				return err
			}
			matched := false
			var v any
			for j, i := range idx {
				if d.cols[i].subField != key {
					continue
				}
				if !matched {
					if v, err = oracleReadScalarString(dec); err != nil {
						return err
					}
					matched = true
				}
				s, _ := v.(string)
				lists[j] = append(lists[j], s)
			}
			if !matched {
				if err := oracleSkipValue(dec); err != nil {
					return err
				}
			}
		}
		if err := oracleExpectDelim(dec, '}'); err != nil {
			return err
		}
	}
	if err := oracleExpectDelim(dec, ']'); err != nil {
		return err
	}
	for j, i := range idx {
		if lists[j] == nil {
			lists[j] = []string{}
		}
		row[i] = lists[j]
	}
	return nil
}

func oracleWantsSubField(cols []Column, idx []int, key string) bool {
	for _, i := range idx {
		if cols[i].subField == key {
			return true
		}
	}
	return false
}

// readTyped reads one property value as the column's Go type.
func oracleReadTyped(dec *json.Decoder, col *Column) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if delim, ok := tok.(json.Delim); ok {
		return oracleReadComposite(dec, delim, col)
	}
	switch col.Type {
	case ValueString:
		return oracleScalarString(tok), nil
	case ValueInt:
		return oracleToInt(tok)
	case ValueFloat:
		return oracleToFloat(tok)
	case ValueBool:
		return oracleToBool(tok)
	case ValueTime:
		return oracleToTime(tok)
	}
	return nil, fmt.Errorf("want a %s, got the scalar %v", typeName(col.Type), tok)
}

// readComposite reads an object or array value: URLs, taxonomy terms,
// multi-values (bare arrays, or verbose {"results":[…]} objects).
func oracleReadComposite(dec *json.Decoder, open json.Delim, col *Column) (any, error) {
	if open == '[' {
		return oracleReadArray(dec, col)
	}
	if isGeolocation(col) {
		return oracleReadGeolocation(dec)
	}
	// An object. For URL and taxonomy values, its fields; for multi-values
	// in verbose, {"__metadata":…, "results":[…]}.
	var (
		url    URLValue
		term   TaxonomyValue
		result any
	)
	for dec.More() {
		key, err := oracleReadKey(dec)
		if err != nil {
			return nil, err
		}
		switch {
		case key == "results":
			if err := oracleExpectDelim(dec, '['); err != nil {
				return nil, err
			}
			if result, err = oracleReadArray(dec, col); err != nil {
				return nil, err
			}
		case col.Type == ValueURL && (key == "Url" || key == "Description"):
			s, err := oracleReadScalarString(dec)
			if err != nil {
				return nil, err
			}
			str, _ := s.(string)
			if key == "Url" {
				url.URL = str
			} else {
				url.Description = str
			}
		case col.Type == ValueTaxonomy && (key == "Label" || key == "TermGuid" || key == "WssId"):
			if err := oracleReadTermField(dec, key, &term); err != nil {
				return nil, err
			}
		default:
			if err := oracleSkipValue(dec); err != nil {
				return nil, err
			}
		}
	}
	if err := oracleExpectDelim(dec, '}'); err != nil {
		return nil, err
	}
	switch {
	case result != nil:
		return result, nil
	case col.Type == ValueURL:
		return url, nil
	case col.Type == ValueTaxonomy:
		return term, nil
	case col.Type == ValueStrings || col.Type == ValueInts || col.Type == ValueTaxonomies:
		return nil, nil // {"results":null} or an empty wrapper
	}
	return nil, fmt.Errorf("want a %s, got an object", typeName(col.Type))
}

// readArray reads the elements of a multi-value (the '[' consumed).
func oracleReadArray(dec *json.Decoder, col *Column) (any, error) {
	switch col.Type {
	case ValueStrings:
		out := []string{}
		for dec.More() {
			v, err := oracleReadScalarString(dec)
			if err != nil {
				return nil, err
			}
			s, _ := v.(string)
			out = append(out, s)
		}
		return out, oracleExpectDelim(dec, ']')
	case ValueInts:
		out := []int64{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			n, err := oracleToInt(tok)
			if err != nil {
				return nil, err
			}
			if n == nil { // "" in a list of IDs, as the scanner reports it
				return nil, errors.New(`want an integer, got ""`)
			}
			out = append(out, n.(int64))
		}
		return out, oracleExpectDelim(dec, ']')
	case ValueTaxonomies:
		out := []TaxonomyValue{}
		for dec.More() {
			if err := oracleExpectDelim(dec, '{'); err != nil {
				return nil, err
			}
			var term TaxonomyValue
			for dec.More() {
				key, err := oracleReadKey(dec)
				if err != nil {
					return nil, err
				}
				if err := oracleReadTermField(dec, key, &term); err != nil {
					return nil, err
				}
			}
			if err := oracleExpectDelim(dec, '}'); err != nil {
				return nil, err
			}
			out = append(out, term)
		}
		return out, oracleExpectDelim(dec, ']')
	}
	return nil, fmt.Errorf("want a %s, got an array", typeName(col.Type))
}

func oracleReadTermField(dec *json.Decoder, key string, term *TaxonomyValue) error {
	switch key {
	case "Label", "TermGuid":
		v, err := oracleReadScalarString(dec)
		if err != nil {
			return err
		}
		s, _ := v.(string)
		if key == "Label" {
			term.Label = s
		} else {
			term.TermGuid = s
		}
	case "WssId":
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if delim, ok := tok.(json.Delim); ok {
			// Fixed here as in decode.go: an object or array WssId was
			// left half read, and the token stream went out of step.
			return oracleSkipRest(dec, delim)
		}
		if n, err := oracleToInt(tok); err == nil && n != nil {
			term.WssID = n.(int64)
		}
	default:
		return oracleSkipValue(dec)
	}
	return nil
}

// readScalarString reads a scalar as a string (nil for null); objects and
// arrays are skipped and read as nil.
func oracleReadScalarString(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if delim, ok := tok.(json.Delim); ok {
		return nil, oracleSkipRest(dec, delim)
	}
	if tok == nil {
		return nil, nil
	}
	return oracleScalarString(tok), nil
}

func oracleScalarString(tok json.Token) string {
	switch v := tok.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(tok)
}

func oracleToInt(tok json.Token) (any, error) {
	switch v := tok.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, nil
		}
		// 67687.0 for an integer column: accept whole floats.
		if f, err := v.Float64(); err == nil && f == float64(int64(f)) {
			return int64(f), nil
		}
		return nil, fmt.Errorf("want an integer, got %s", v)
	case string: // Calculated output, XStringId, verbose strings
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
	return nil, fmt.Errorf("want an integer, got %v", tok)
}

func oracleToFloat(tok json.Token) (any, error) {
	switch v := tok.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, fmt.Errorf("want a number, got %s", v)
		}
		return f, nil
	case string: // Calculated: "0.500000000000000"
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
	return nil, fmt.Errorf("want a number, got %v", tok)
}

func oracleToBool(tok json.Token) (any, error) {
	switch v := tok.(type) {
	case bool:
		return v, nil
	case json.Number: // verbose sometimes: 0/1
		return v.String() != "0", nil
	case string: // verbose "0"/"1", Calculated "1"/"0", "true"/"false"
		switch strings.ToLower(strings.TrimSpace(calculatedPrefix(v))) {
		case "1", "true", "yes":
			return true, nil
		case "0", "false", "no":
			return false, nil
		case "":
			return nil, nil
		}
		return nil, fmt.Errorf("want a boolean, got %q", v)
	}
	return nil, fmt.Errorf("want a boolean, got %v", tok)
}

// toTime parses SharePoint's DateTime values: ISO 8601 in UTC ("…Z"), the
// same with an offset or without a zone (taken as UTC), and the verbose
// "/Date(ms)/" form.
func oracleToTime(tok json.Token) (any, error) {
	s, ok := tok.(string)
	if !ok {
		return nil, fmt.Errorf("want a date and time, got %v", tok)
	}
	s = strings.TrimSpace(calculatedPrefix(s))
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

// Token-level helpers.

func oracleExpectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

func oracleReadKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want an object key, got %v", tok)
	}
	return key, nil
}

func oracleReadString(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	if tok == nil {
		return "", nil
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %v", tok)
	}
	return s, nil
}

// oracleSkipValue skips one whole value.
func oracleSkipValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if delim, ok := tok.(json.Delim); ok {
		return oracleSkipRest(dec, delim)
	}
	return nil
}

// oracleSkipRest skips to the end of the object or array opened by open.
func oracleSkipRest(dec *json.Decoder, open json.Delim) error {
	if open != '{' && open != '[' {
		return fmt.Errorf("unexpected %q", open)
	}
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// oracleReadGeolocation reads a Geolocation object (its '{' consumed) as
// its Well-Known Text, as geolocation.go does.
func oracleReadGeolocation(dec *json.Decoder) (any, error) {
	var g geoPoint
	for dec.More() {
		key, err := oracleReadKey(dec)
		if err != nil {
			return nil, err
		}
		if p, _ := g.member(key); p == nil {
			if err := oracleSkipValue(dec); err != nil {
				return nil, err
			}
			continue
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case nil:
		case json.Number:
			if err := g.set(key, []byte(t)); err != nil {
				return nil, err
			}
		default:
			// Read past it first, as the decoder does: a body cut inside
			// the value is cut short, not a wrong value.
			if d, ok := t.(json.Delim); ok {
				if err := oracleSkipRest(dec, d); err != nil {
					return nil, err
				}
			}
			return nil, fmt.Errorf("want a number for the Geolocation's %s", key)
		}
	}
	if err := oracleExpectDelim(dec, '}'); err != nil {
		return nil, err
	}
	return g.wkt()
}
