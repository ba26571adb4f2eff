package decodebench

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/go-spsql/spsql/sharepoint"
)

// newStdlibCandidate reads with encoding/json's Decoder.Token loop, the
// baseline every decoder is compared with.
func newStdlibCandidate(cols []sharepoint.Column) func([]byte) ([][]any, error) {
	d := newColumns(cols)
	return func(body []byte) ([][]any, error) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var rows [][]any
		if _, err := dec.Token(); err != nil { // {
			return nil, err
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			if tok != "value" {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return nil, err
				}
				continue
			}
			if _, err := dec.Token(); err != nil { // [
				return nil, err
			}
			for dec.More() {
				if _, err := dec.Token(); err != nil { // {
					return nil, err
				}
				row := make([]any, len(d.cols))
				for dec.More() {
					key, err := dec.Token()
					if err != nil {
						return nil, err
					}
					idx, ok := d.byKey[key.(string)]
					if !ok {
						var skip json.RawMessage
						if err := dec.Decode(&skip); err != nil {
							return nil, err
						}
						continue
					}
					v, err := stdlibValue(dec, d, idx[0])
					if err != nil {
						return nil, err
					}
					for _, i := range idx {
						row[i] = v
					}
				}
				if _, err := dec.Token(); err != nil { // }
					return nil, err
				}
				rows = append(rows, row)
			}
			if _, err := dec.Token(); err != nil { // ]
				return nil, err
			}
		}
		return rows, nil
	}
}

func stdlibValue(dec *json.Decoder, d *columns, ci int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case nil:
		return nil, nil
	case string:
		return d.convert(ci, '"', []byte(v))
	case json.Number:
		return d.convert(ci, '0', []byte(v))
	case bool:
		if v {
			return d.convert(ci, 't', nil)
		}
		return d.convert(ci, 'f', nil)
	case json.Delim:
		if v != '[' {
			return nil, fmt.Errorf("candidate: unexpected %v", v)
		}
		out := []string{}
		for dec.More() {
			var s string
			if err := dec.Decode(&s); err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		_, err := dec.Token() // ]
		return out, err
	}
	return nil, fmt.Errorf("candidate: unexpected %v", tok)
}
