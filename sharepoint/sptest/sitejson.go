package sptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// LoadSite reads a site declared in JSON (see ParseSite) from path.
func LoadSite(path string) (Site, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Site{}, fmt.Errorf("sptest: %w", err)
	}
	site, err := ParseSite(bytes.NewReader(b))
	if err != nil {
		return Site{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return site, nil
}

// ParseSite reads a site declared in JSON: the Site struct's fields by name,
// with item values as JSON values (dates as RFC 3339 or "2006-01-02"
// strings, URL values as {"Url":…,"Description":…}, lookups and persons as
// IDs). A list may use {"Synthetic":{"Seed":1,"Count":100000}} instead of
// Items. Unknown keys are errors, and the site is checked as NewServer
// would check it, so a mistake is reported here rather than as a panic:
//
//	{"Title":"Demo","TimeZone":"America/New_York","Lists":[
//	  {"Title":"Tasks","Fields":[{"Title":"Due Date","Type":"DateTime"}],
//	   "Items":[{"Title":"Write report","Due_x0020_Date":"2024-05-01"}]}]}
func ParseSite(r io.Reader) (Site, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var site Site
	if err := dec.Decode(&site); err != nil {
		return Site{}, fmt.Errorf("sptest: site JSON: %w", err)
	}
	if _, err := buildSite(site, 0); err != nil {
		return Site{}, err
	}
	return site, nil
}

// listJSON is List's JSON form: a Generator is written as its Synthetic
// parameters.
type listJSON struct {
	listNoMethods
	Synthetic *SyntheticItems `json:"Synthetic,omitempty"`
}

type listNoMethods List

// MarshalJSON writes the list; a Synthetic generator becomes
// "Synthetic":{"Seed":…,"Count":…}, other generators cannot be written.
func (l List) MarshalJSON() ([]byte, error) {
	j := listJSON{listNoMethods: listNoMethods(l)}
	if l.Generator != nil {
		g, ok := l.Generator.(*SyntheticItems)
		if !ok {
			return nil, fmt.Errorf("sptest: list %q: only Synthetic generators can be written as JSON", l.Title)
		}
		j.Synthetic = g
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the list, turning "Synthetic" into a Generator.
func (l *List) UnmarshalJSON(b []byte) error {
	var j listJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*l = List(j.listNoMethods)
	if j.Synthetic != nil {
		l.Generator = Synthetic(j.Synthetic.Seed, j.Synthetic.Count)
	}
	return nil
}
