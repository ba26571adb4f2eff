//go:build decodecandidates

package sharepoint

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/valyala/fastjson"
)

// The third-party candidates of BenchmarkDecodeCandidates (see
// decode_candidates_test.go). Each reads the benchmark page's shapes
// (nometadata and verbose envelopes; scalar columns and string
// multi-values) and hands values to the scanner's conversions, so that the
// figures compare JSON layers.
func init() {
	decodeCandidates = append(decodeCandidates,
		decodeCandidate{"jsontext", newJSONTextCandidate},
		decodeCandidate{"fastjson", newFastJSONCandidate},
	)
}

// candidateColumns is what both candidates need from pageDecoder: the
// columns by JSON key, and the conversions.
func candidateColumns(cols []Column) *pageDecoder { return newPageDecoder(cols) }

// convertCandidate turns a scalar's raw JSON text (a string's unescaped
// value, a number's digits, true/false) into column ci's type.
func convertCandidate(d *pageDecoder, ci int, kind byte, text []byte) (any, error) {
	switch kind {
	case '"':
		return d.stringAs(ci, text, true)
	case '0':
		return numberAs(&d.cols[ci], text)
	case 't', 'f':
		if d.cols[ci].Type == ValueBool {
			return kind == 't', nil
		}
	}
	return nil, fmt.Errorf("candidate: %c for column %s", kind, d.cols[ci].Name)
}

// newJSONTextCandidate reads with jsontext.Decoder: ReadToken for braces
// and brackets, ReadValue for names and scalars (a view of its buffer, no
// Token boxing), SkipValue for the rest.
func newJSONTextCandidate(cols []Column) func([]byte) ([][]any, string, error) {
	d := candidateColumns(cols)
	dec := jsontext.NewDecoder(bytes.NewReader(nil))
	var unq []byte
	// text returns a string value's unescaped bytes.
	text := func(v jsontext.Value) ([]byte, error) {
		raw := v[1 : len(v)-1]
		if bytes.IndexByte(raw, '\\') < 0 {
			return raw, nil
		}
		var err error
		unq, err = jsontext.AppendUnquote(unq[:0], v)
		return unq, err
	}
	expect := func(k jsontext.Kind) error {
		tok, err := dec.ReadToken()
		if err == nil && tok.Kind() != k {
			err = fmt.Errorf("want %v, got %v", k, tok.Kind())
		}
		return err
	}
	readStrings := func() ([]string, error) {
		if err := expect('['); err != nil {
			return nil, err
		}
		var out []string
		for dec.PeekKind() != ']' {
			v, err := dec.ReadValue()
			if err != nil {
				return nil, err
			}
			t, err := text(v)
			if err != nil {
				return nil, err
			}
			out = append(out, string(t))
		}
		return out, expect(']')
	}
	readValue := func(ci int) (any, error) {
		switch k := dec.PeekKind(); k {
		case '[':
			return readStrings()
		case '{': // verbose {"__metadata":…,"results":[…]}
			if err := expect('{'); err != nil {
				return nil, err
			}
			var out any
			for dec.PeekKind() != '}' {
				name, err := dec.ReadValue()
				if err != nil {
					return nil, err
				}
				if string(name) == `"results"` {
					if out, err = readStrings(); err != nil {
						return nil, err
					}
				} else if err := dec.SkipValue(); err != nil {
					return nil, err
				}
			}
			return out, expect('}')
		default:
			v, err := dec.ReadValue()
			if err != nil || k == 'n' {
				return nil, err
			}
			if k == '"' {
				t, err := text(v)
				if err != nil {
					return nil, err
				}
				return convertCandidate(d, ci, '"', t)
			}
			return convertCandidate(d, ci, byte(k), v)
		}
	}
	readItems := func(rows [][]any) ([][]any, error) {
		if err := expect('['); err != nil {
			return nil, err
		}
		for dec.PeekKind() != ']' {
			if err := expect('{'); err != nil {
				return nil, err
			}
			row := make([]any, len(d.cols))
			for dec.PeekKind() != '}' {
				name, err := dec.ReadValue()
				if err != nil {
					return nil, err
				}
				key, err := text(name)
				if err != nil {
					return nil, err
				}
				idx, ok := d.byKey[string(key)]
				if !ok {
					if err := dec.SkipValue(); err != nil {
						return nil, err
					}
					continue
				}
				v, err := readValue(idx[0])
				if err != nil {
					return nil, err
				}
				for _, i := range idx {
					row[i] = v
				}
			}
			if err := expect('}'); err != nil {
				return nil, err
			}
			rows = append(rows, row)
		}
		return rows, expect(']')
	}
	readNext := func() (string, error) {
		v, err := dec.ReadValue()
		if err != nil || v.Kind() != '"' {
			return "", err
		}
		t, err := text(v)
		return string(t), err
	}
	return func(body []byte) (rows [][]any, next string, err error) {
		dec.Reset(bytes.NewReader(body))
		if err := expect('{'); err != nil {
			return nil, "", err
		}
		for dec.PeekKind() != '}' {
			name, err := dec.ReadValue()
			if err != nil {
				return nil, "", err
			}
			switch string(name) {
			case `"value"`:
				rows, err = readItems(rows)
			case `"odata.nextLink"`, `"@odata.nextLink"`:
				next, err = readNext()
			case `"d"`:
				if err = expect('{'); err != nil {
					return nil, "", err
				}
				for err == nil && dec.PeekKind() != '}' {
					var inner jsontext.Value
					if inner, err = dec.ReadValue(); err != nil {
						break
					}
					switch string(inner) {
					case `"results"`:
						rows, err = readItems(rows)
					case `"__next"`:
						next, err = readNext()
					default:
						err = dec.SkipValue()
					}
				}
				if err == nil {
					err = expect('}')
				}
			default:
				err = dec.SkipValue()
			}
			if err != nil {
				return nil, "", err
			}
		}
		return rows, next, expect('}')
	}
}

// newFastJSONCandidate parses the page into fastjson's tree (its Parser
// reuses the tree's memory from page to page) and walks it.
func newFastJSONCandidate(cols []Column) func([]byte) ([][]any, string, error) {
	d := candidateColumns(cols)
	var (
		p   fastjson.Parser
		num []byte
	)
	scalar := func(ci int, v *fastjson.Value) (any, error) {
		switch v.Type() {
		case fastjson.TypeNull:
			return nil, nil
		case fastjson.TypeString:
			return convertCandidate(d, ci, '"', v.GetStringBytes())
		case fastjson.TypeNumber:
			num = v.MarshalTo(num[:0])
			return convertCandidate(d, ci, '0', num)
		case fastjson.TypeTrue:
			return convertCandidate(d, ci, 't', nil)
		case fastjson.TypeFalse:
			return convertCandidate(d, ci, 'f', nil)
		}
		return nil, errors.New("candidate: not a scalar")
	}
	strings := func(a []*fastjson.Value) []string {
		out := make([]string, len(a))
		for i, e := range a {
			out[i] = string(e.GetStringBytes())
		}
		return out
	}
	return func(body []byte) (rows [][]any, next string, err error) {
		root, err := p.ParseBytes(body)
		if err != nil {
			return nil, "", err
		}
		items := root.Get("value")
		nextV := root.Get("odata.nextLink")
		if items == nil {
			items, nextV = root.Get("d", "results"), root.Get("d", "__next")
		}
		arr, err := items.Array()
		if err != nil {
			return nil, "", err
		}
		if nextV != nil {
			next = string(nextV.GetStringBytes())
		}
		rows = make([][]any, 0, len(arr))
		for _, it := range arr {
			obj, err := it.Object()
			if err != nil {
				return nil, "", err
			}
			row := make([]any, len(d.cols))
			var verr error
			obj.Visit(func(key []byte, v *fastjson.Value) {
				idx, ok := d.byKey[string(key)]
				if !ok || verr != nil {
					return
				}
				var val any
				switch v.Type() {
				case fastjson.TypeArray:
					val = strings(v.GetArray())
				case fastjson.TypeObject:
					if res := v.GetArray("results"); res != nil {
						val = strings(res)
					}
				default:
					val, verr = scalar(idx[0], v)
				}
				for _, i := range idx {
					row[i] = val
				}
			})
			if verr != nil {
				return nil, "", verr
			}
			rows = append(rows, row)
		}
		return rows, next, nil
	}
}
