package sptest

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// valueKind says which fields of a value are set.
type valueKind uint8

const (
	vNull    valueKind = iota
	vText              // s
	vNumber            // n
	vInt               // n (an integer; IDs, Integer, Counter)
	vBool              // n: 0 or 1
	vTime              // n: Unix seconds, UTC (SharePoint keeps whole seconds)
	vTexts             // strs (MultiChoice); never empty (an empty set is vNull)
	vInts              // ints (LookupMulti, UserMulti); may be empty
	vURL               // s: URL, s2: description
	vTax               // taxs[0]
	vTaxes             // taxs
	vGUIDGen           // u: a GUID generated from a 64-bit seed, formatted on output
	vGeo               // geo (geolocation.go)
)

// value is one stored cell. It is a plain struct, not an interface, so that
// synthetic rows can be generated into a reused buffer without allocating.
type value struct {
	kind valueKind
	s    string
	s2   string
	n    float64
	u    uint64
	strs []string
	ints []int
	taxs []TaxonomyValue
	geo  *GeolocationValue
}

func textValue(s string) value    { return value{kind: vText, s: s} }
func intValue(i int) value        { return value{kind: vInt, n: float64(i)} }
func numberValue(f float64) value { return value{kind: vNumber, n: f} }
func timeValue(t time.Time) value { return value{kind: vTime, n: float64(t.Unix())} }
func unixValue(sec int64) value   { return value{kind: vTime, n: float64(sec)} }
func (v value) isNull() bool      { return v.kind == vNull }
func (v value) time() time.Time   { return time.Unix(int64(v.n), 0).UTC() }
func (v value) int() int          { return int(v.n) }
func boolValue(b bool) value {
	if b {
		return value{kind: vBool, n: 1}
	}
	return value{kind: vBool}
}

// guidString formats a value of kind vText or vGUIDGen as a GUID string.
func (v value) guidString() string {
	if v.kind == vGUIDGen {
		return string(appendGeneratedGUID(nil, v.u))
	}
	return v.s
}

// appendGeneratedGUID appends a version 4-shaped GUID derived from seed.
func appendGeneratedGUID(b []byte, seed uint64) []byte {
	const hexdigits = "0123456789abcdef"
	hi, lo := splitmix(seed), splitmix(seed^0x9e3779b97f4a7c15)
	var raw [16]byte
	for i := range 8 {
		raw[i] = byte(hi >> (8 * i))
		raw[8+i] = byte(lo >> (8 * i))
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	for i, c := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexdigits[c>>4], hexdigits[c&15])
	}
	return b
}

// splitmix is SplitMix64's finaliser: a fast, well-mixed hash of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// siteContext is what converting a declared Go value needs from the site.
type siteContext struct {
	loc   *time.Location
	users []User
}

// convertValue turns a declared Go (or JSON-decoded) value into the stored
// value of field f. It returns an error naming what is wrong, never the
// whole item.
func (sc *siteContext) convertValue(f *fieldModel, raw any) (value, error) {
	if raw == nil {
		return value{}, nil
	}
	lt := f.logical
	if lt == ltCalculated {
		lt = f.calcLogical
	}
	switch lt {
	case ltText:
		s, ok := raw.(string)
		if !ok {
			return value{}, fmt.Errorf("want a string, got %T", raw)
		}
		if s == "" {
			// SharePoint keeps no empty strings: a cleared text column is
			// null.
			return value{}, nil
		}
		return textValue(s), nil
	case ltGuid:
		s, ok := raw.(string)
		if !ok {
			return value{}, fmt.Errorf("want a GUID string, got %T", raw)
		}
		g, ok := normalizeGUID(s)
		if !ok {
			return value{}, fmt.Errorf("%q is not a GUID", s)
		}
		return textValue(g), nil
	case ltNumber:
		f, ok := toFloat(raw)
		if !ok {
			return value{}, fmt.Errorf("want a number, got %T", raw)
		}
		return numberValue(f), nil
	case ltInt:
		f, ok := toFloat(raw)
		if !ok || f != math.Trunc(f) {
			return value{}, fmt.Errorf("want an integer, got %v", raw)
		}
		return value{kind: vInt, n: f}, nil
	case ltBool:
		b, ok := raw.(bool)
		if !ok {
			return value{}, fmt.Errorf("want a bool, got %T", raw)
		}
		return boolValue(b), nil
	case ltDateTime:
		t, err := sc.toTime(raw, f.dateOnly)
		if err != nil {
			return value{}, err
		}
		return timeValue(t), nil
	case ltMultiChoice:
		ss, err := toStrings(raw)
		if err != nil {
			return value{}, err
		}
		if len(ss) == 0 {
			// An empty MultiChoice comes back as null (docs/sharepoint.md §6.4).
			return value{}, nil
		}
		return value{kind: vTexts, strs: ss}, nil
	case ltLookup:
		id, ok := toInt(raw)
		if !ok {
			return value{}, fmt.Errorf("want the looked-up item's ID, got %v", raw)
		}
		return intValue(id), nil
	case ltLookupMulti:
		ids, err := toInts(raw)
		if err != nil {
			return value{}, err
		}
		return value{kind: vInts, ints: ids}, nil
	case ltUser:
		id, err := sc.userID(raw)
		if err != nil {
			return value{}, err
		}
		return intValue(id), nil
	case ltUserMulti:
		var ids []int
		switch r := raw.(type) {
		case []int:
			ids = append(ids, r...)
		case []string:
			for _, s := range r {
				id, err := sc.userID(s)
				if err != nil {
					return value{}, err
				}
				ids = append(ids, id)
			}
		case []any:
			for _, e := range r {
				id, err := sc.userID(e)
				if err != nil {
					return value{}, err
				}
				ids = append(ids, id)
			}
		default:
			return value{}, fmt.Errorf("want user IDs or names, got %T", raw)
		}
		return value{kind: vInts, ints: ids}, nil
	case ltURL:
		switch r := raw.(type) {
		case string:
			return value{kind: vURL, s: r, s2: r}, nil
		case URLValue:
			return value{kind: vURL, s: r.URL, s2: r.Description}, nil
		case *URLValue:
			return value{kind: vURL, s: r.URL, s2: r.Description}, nil
		case map[string]any:
			var u URLValue
			if err := remarshal(r, &u); err != nil {
				return value{}, err
			}
			return value{kind: vURL, s: u.URL, s2: u.Description}, nil
		}
		return value{}, fmt.Errorf("want a URLValue, got %T", raw)
	case ltTaxonomy:
		var t TaxonomyValue
		switch r := raw.(type) {
		case TaxonomyValue:
			t = r
		case map[string]any:
			if err := remarshal(r, &t); err != nil {
				return value{}, err
			}
		default:
			return value{}, fmt.Errorf("want a TaxonomyValue, got %T", raw)
		}
		return value{kind: vTax, taxs: []TaxonomyValue{t}}, nil
	case ltTaxonomyMulti:
		var ts []TaxonomyValue
		switch r := raw.(type) {
		case []TaxonomyValue:
			ts = append(ts, r...)
		case []any:
			if err := remarshal(r, &ts); err != nil {
				return value{}, err
			}
		default:
			return value{}, fmt.Errorf("want []TaxonomyValue, got %T", raw)
		}
		return value{kind: vTaxes, taxs: ts}, nil
	case ltGeolocation:
		return geolocationValue(raw)
	}
	return value{}, fmt.Errorf("unsupported field type %s", f.Type)
}

// userID resolves a user reference: an ID, or an email, login name or
// display name.
func (sc *siteContext) userID(raw any) (int, error) {
	if id, ok := toInt(raw); ok {
		for _, u := range sc.users {
			if u.ID == id {
				return id, nil
			}
		}
		return 0, fmt.Errorf("no site user has ID %d", id)
	}
	s, ok := raw.(string)
	if !ok {
		return 0, fmt.Errorf("want a user ID or name, got %T", raw)
	}
	for _, u := range sc.users {
		if strings.EqualFold(u.Email, s) || strings.EqualFold(u.LoginName, s) || u.Title == s {
			return u.ID, nil
		}
	}
	return 0, fmt.Errorf("no site user is named %q", s)
}

// toTime converts a declared date. Date-only fields keep the calendar date
// and store the site's local midnight in UTC, as SharePoint does (docs/sharepoint.md
// §6.8: "…T05:00:00Z"/"…T04:00:00Z" across DST for New York).
func (sc *siteContext) toTime(raw any, dateOnly bool) (time.Time, error) {
	var t time.Time
	switch r := raw.(type) {
	case time.Time:
		t = r
	case string:
		var err error
		if t, err = time.Parse(time.RFC3339, r); err != nil {
			if t, err = time.ParseInLocation("2006-01-02", r, sc.loc); err != nil {
				return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor a 2006-01-02 date", r)
			}
		}
	default:
		return time.Time{}, fmt.Errorf("want a time.Time or a date string, got %T", raw)
	}
	if dateOnly {
		y, m, d := t.Date()
		t = time.Date(y, m, d, 0, 0, 0, 0, sc.loc)
	}
	return t.UTC().Truncate(time.Second), nil
}

func toFloat(raw any) (float64, bool) {
	switch r := raw.(type) {
	case float64:
		return r, true
	case float32:
		return float64(r), true
	case int:
		return float64(r), true
	case int64:
		return float64(r), true
	case int32:
		return float64(r), true
	case json.Number:
		f, err := r.Float64()
		return f, err == nil
	}
	return 0, false
}

func toInt(raw any) (int, bool) {
	f, ok := toFloat(raw)
	if !ok || f != math.Trunc(f) {
		return 0, false
	}
	return int(f), true
}

func toInts(raw any) ([]int, error) {
	switch r := raw.(type) {
	case []int:
		return append([]int(nil), r...), nil
	case []any:
		out := make([]int, 0, len(r))
		for _, e := range r {
			i, ok := toInt(e)
			if !ok {
				return nil, fmt.Errorf("want item IDs, got %v", e)
			}
			out = append(out, i)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want []int, got %T", raw)
}

func toStrings(raw any) ([]string, error) {
	switch r := raw.(type) {
	case []string:
		return append([]string(nil), r...), nil
	case []any:
		out := make([]string, 0, len(r))
		for _, e := range r {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("want strings, got %T", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want []string, got %T", raw)
}

func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// appendCalculated renders a Calculated field's value the way SharePoint
// does: always a string (docs/sharepoint.md §6.7). Numbers have 15 significant digits,
// as the recorded "0.500000000000000" shows; booleans are "1"/"0" (Microsoft's
// sample Tasks list answers "Checkmark":"0"); dates are ISO 8601 UTC.
func appendCalculated(b []byte, v value) []byte {
	switch v.kind {
	case vNumber, vInt:
		return appendFloat15(b, v.n)
	case vBool:
		if v.n != 0 {
			return append(b, '1')
		}
		return append(b, '0')
	case vTime:
		return v.time().AppendFormat(b, "2006-01-02T15:04:05Z")
	}
	return append(b, v.s...)
}

// appendFloat15 formats f with 15 significant digits in fixed notation.
func appendFloat15(b []byte, f float64) []byte {
	decimals := 15
	if f != 0 {
		exp := int(math.Floor(math.Log10(math.Abs(f))))
		decimals = 14 - exp
	}
	decimals = max(decimals, 0)
	return strconv.AppendFloat(b, f, 'f', decimals, 64)
}

// textOf returns a value's text for comparisons and ordering of text-like
// columns.
func (v value) textOf() string {
	switch v.kind {
	case vText, vURL:
		return v.s
	case vGUIDGen:
		return v.guidString()
	case vTax:
		return v.taxs[0].Label
	case vNumber, vInt, vBool, vTime:
		return string(appendCalculated(nil, v))
	}
	return ""
}
