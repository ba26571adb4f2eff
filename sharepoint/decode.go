package sharepoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// pageDecoder turns one page of an items response into rows, straight from
// the JSON tokens into typed values: no page is unmarshalled into maps or
// interface{} trees. It reads the four envelopes SharePoint may answer in
// (reference §2): nometadata/minimalmetadata {"value":[…],"odata.nextLink"},
// OData v4 {"value":[…],"@odata.nextLink"} and verbose
// {"d":{"results":[…],"__next"}}, with verbose's {"results":[…]} wrappers
// around multi-values and its __metadata/__deferred objects.
type pageDecoder struct {
	cols  []Column
	byKey map[string][]int // JSON property → indexes of the columns it feeds
}

func newPageDecoder(cols []Column) *pageDecoder {
	d := &pageDecoder{cols: cols, byKey: make(map[string][]int)}
	for i, c := range cols {
		d.byKey[c.key] = append(d.byKey[c.key], i)
	}
	// SharePoint sends an item's ID as both "Id" and "ID" (reference §2):
	// either feeds a column on the other.
	for _, pair := range [][2]string{{"Id", "ID"}, {"ID", "Id"}} {
		if _, ok := d.byKey[pair[0]]; !ok {
			d.byKey[pair[0]] = d.byKey[pair[1]]
		}
	}
	return d
}

// decode reads a whole page. A body cut short shows up as an error
// matching io.ErrUnexpectedEOF.
func (d *pageDecoder) decode(body []byte) (rows [][]any, next string, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, "", err
	}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, "", err
		}
		switch key {
		case "value":
			if rows, err = d.readItems(dec, rows); err != nil {
				return nil, "", err
			}
		case "odata.nextLink", "@odata.nextLink":
			if next, err = readString(dec); err != nil {
				return nil, "", err
			}
		case "d":
			if rows, next, err = d.readVerbose(dec, rows); err != nil {
				return nil, "", err
			}
		default:
			if err := skipValue(dec); err != nil {
				return nil, "", err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, "", err
	}
	return rows, next, nil
}

// readVerbose reads the verbose envelope's "d" object.
func (d *pageDecoder) readVerbose(dec *json.Decoder, rows [][]any) ([][]any, string, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, "", err
	}
	var next string
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, "", err
		}
		switch key {
		case "results":
			if rows, err = d.readItems(dec, rows); err != nil {
				return nil, "", err
			}
		case "__next":
			if next, err = readString(dec); err != nil {
				return nil, "", err
			}
		default:
			if err := skipValue(dec); err != nil {
				return nil, "", err
			}
		}
	}
	return rows, next, expectDelim(dec, '}')
}

func (d *pageDecoder) readItems(dec *json.Decoder, rows [][]any) ([][]any, error) {
	if err := expectDelim(dec, '['); err != nil {
		return nil, err
	}
	for dec.More() {
		row, err := d.readItem(dec)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, expectDelim(dec, ']')
}

// readItem reads one item object into a row. Properties no column asks
// for (odata.*, __metadata, fields not selected) are skipped; a column
// whose property is missing stays nil (SQL NULL), never shifted.
func (d *pageDecoder) readItem(dec *json.Decoder) ([]any, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	row := make([]any, len(d.cols))
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, err
		}
		idx, ok := d.byKey[key]
		if !ok {
			if err := skipValue(dec); err != nil {
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
		v, err := readTyped(dec, &d.cols[idx[0]])
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", d.cols[idx[0]].Name, err)
		}
		for _, i := range idx {
			row[i] = v
		}
	}
	return row, expectDelim(dec, '}')
}

// readExpanded reads an expanded lookup or person: an object (single) or
// an array of objects (multi; verbose wraps it in {"results":[…]}), and
// sets the columns asking for its sub-fields.
func (d *pageDecoder) readExpanded(dec *json.Decoder, idx []int, row []any) error {
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
		key, err := readKey(dec)
		if err != nil {
			return err
		}
		if key == "results" && multi {
			if err := expectDelim(dec, '['); err != nil {
				return err
			}
			if err := d.readExpandedArray(dec, idx, row); err != nil {
				return err
			}
			continue
		}
		if !wantsSubField(d.cols, idx, key) {
			if err := skipValue(dec); err != nil {
				return err
			}
			continue
		}
		v, err := readScalarString(dec)
		if err != nil {
			return err
		}
		values[key] = v
	}
	if err := expectDelim(dec, '}'); err != nil {
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
func (d *pageDecoder) readExpandedArray(dec *json.Decoder, idx []int, row []any) error {
	lists := make([][]string, len(idx))
	for dec.More() {
		if err := expectDelim(dec, '{'); err != nil {
			return err
		}
		for dec.More() {
			key, err := readKey(dec)
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
					if v, err = readScalarString(dec); err != nil {
						return err
					}
					matched = true
				}
				s, _ := v.(string)
				lists[j] = append(lists[j], s)
			}
			if !matched {
				if err := skipValue(dec); err != nil {
					return err
				}
			}
		}
		if err := expectDelim(dec, '}'); err != nil {
			return err
		}
	}
	if err := expectDelim(dec, ']'); err != nil {
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

func wantsSubField(cols []Column, idx []int, key string) bool {
	for _, i := range idx {
		if cols[i].subField == key {
			return true
		}
	}
	return false
}

// readTyped reads one property value as the column's Go type.
func readTyped(dec *json.Decoder, col *Column) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if delim, ok := tok.(json.Delim); ok {
		return readComposite(dec, delim, col)
	}
	switch col.Type {
	case ValueString:
		return scalarString(tok), nil
	case ValueInt:
		return toInt(tok)
	case ValueFloat:
		return toFloat(tok)
	case ValueBool:
		return toBool(tok)
	case ValueTime:
		return toTime(tok)
	}
	return nil, fmt.Errorf("want a %s, got the scalar %v", typeName(col.Type), tok)
}

// readComposite reads an object or array value: URLs, taxonomy terms,
// multi-values (bare arrays, or verbose {"results":[…]} objects).
func readComposite(dec *json.Decoder, open json.Delim, col *Column) (any, error) {
	if open == '[' {
		return readArray(dec, col)
	}
	// An object. For URL and taxonomy values, its fields; for multi-values
	// in verbose, {"__metadata":…, "results":[…]}.
	var (
		url    URLValue
		term   TaxonomyValue
		result any
	)
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, err
		}
		switch {
		case key == "results":
			if err := expectDelim(dec, '['); err != nil {
				return nil, err
			}
			if result, err = readArray(dec, col); err != nil {
				return nil, err
			}
		case col.Type == ValueURL && (key == "Url" || key == "Description"):
			s, err := readScalarString(dec)
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
			if err := readTermField(dec, key, &term); err != nil {
				return nil, err
			}
		default:
			if err := skipValue(dec); err != nil {
				return nil, err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
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
func readArray(dec *json.Decoder, col *Column) (any, error) {
	switch col.Type {
	case ValueStrings:
		out := []string{}
		for dec.More() {
			v, err := readScalarString(dec)
			if err != nil {
				return nil, err
			}
			s, _ := v.(string)
			out = append(out, s)
		}
		return out, expectDelim(dec, ']')
	case ValueInts:
		out := []int64{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			n, err := toInt(tok)
			if err != nil {
				return nil, err
			}
			out = append(out, n.(int64))
		}
		return out, expectDelim(dec, ']')
	case ValueTaxonomies:
		out := []TaxonomyValue{}
		for dec.More() {
			if err := expectDelim(dec, '{'); err != nil {
				return nil, err
			}
			var term TaxonomyValue
			for dec.More() {
				key, err := readKey(dec)
				if err != nil {
					return nil, err
				}
				if err := readTermField(dec, key, &term); err != nil {
					return nil, err
				}
			}
			if err := expectDelim(dec, '}'); err != nil {
				return nil, err
			}
			out = append(out, term)
		}
		return out, expectDelim(dec, ']')
	}
	return nil, fmt.Errorf("want a %s, got an array", typeName(col.Type))
}

func readTermField(dec *json.Decoder, key string, term *TaxonomyValue) error {
	switch key {
	case "Label", "TermGuid":
		v, err := readScalarString(dec)
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
		if n, err := toInt(tok); err == nil && n != nil {
			term.WssID = n.(int64)
		}
	default:
		return skipValue(dec)
	}
	return nil
}

// readScalarString reads a scalar as a string (nil for null); objects and
// arrays are skipped and read as nil.
func readScalarString(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if delim, ok := tok.(json.Delim); ok {
		return nil, skipRest(dec, delim)
	}
	if tok == nil {
		return nil, nil
	}
	return scalarString(tok), nil
}

func scalarString(tok json.Token) string {
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

// calculatedPrefix strips the "float;#" style prefix that some SharePoint
// APIs put before a calculated value.
func calculatedPrefix(s string) string {
	if _, after, ok := strings.Cut(s, ";#"); ok {
		return after
	}
	return s
}

func toInt(tok json.Token) (any, error) {
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

func toFloat(tok json.Token) (any, error) {
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

func toBool(tok json.Token) (any, error) {
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
func toTime(tok json.Token) (any, error) {
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

// Token-level helpers.

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

func readKey(dec *json.Decoder) (string, error) {
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

func readString(dec *json.Decoder) (string, error) {
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

// skipValue skips one whole value.
func skipValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if delim, ok := tok.(json.Delim); ok {
		return skipRest(dec, delim)
	}
	return nil
}

// skipRest skips to the end of the object or array opened by open.
func skipRest(dec *json.Decoder, open json.Delim) error {
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

// truncated reports a decode error caused by a body that ended early.
func truncated(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
