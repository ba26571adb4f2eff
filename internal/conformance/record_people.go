package conformance

import (
	"bytes"
	"encoding/json"
)

// People in a recording. SharePoint shows a person column's value as the
// person's name (Title) and, when asked, e-mail address and login name; the
// kit's own items show the signed-in user so (their Author, Editor and the
// person column it writes). A recording meant for a bug report must not
// name them: the Recorder learns which columns are person columns from the
// field definitions it sees (TypeAsString User or UserMulti), takes the
// values of those columns from every answer before it is written, and
// scrubs them like secrets.

// personProps are the properties of an expanded person that identify them.
var personProps = []string{"Title", "EMail", "Email", "Name", "LoginName", "UserPrincipalName", "SipAddress"}

// learnPeople reads body (JSON, or a $batch answer whose parts are JSON
// lines) for person columns and the people in them.
func (r *Recorder) learnPeople(body []byte) {
	if len(body) == 0 || !bytes.Contains(body, []byte("{")) {
		return
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		r.walkPeople(v)
		return
	}
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] == '{' && json.Unmarshal(line, &v) == nil {
			r.walkPeople(v)
		}
	}
}

// walkPeople first notes the person columns defined anywhere in v, then
// scrubs the people found in them.
func (r *Recorder) walkPeople(v any) {
	r.mu.Lock()
	if r.personCols == nil {
		r.personCols = map[string]bool{"Author": true, "Editor": true}
	}
	walkJSON(v, func(o map[string]any) {
		if t, _ := o["TypeAsString"].(string); t == "User" || t == "UserMulti" {
			for _, k := range []string{"InternalName", "EntityPropertyName", "StaticName"} {
				if n, _ := o[k].(string); n != "" {
					r.personCols[n] = true
				}
			}
		}
	})
	cols := make(map[string]bool, len(r.personCols))
	for k := range r.personCols {
		cols[k] = true
	}
	r.mu.Unlock()
	var found []string
	walkJSON(v, func(o map[string]any) {
		for k, x := range o {
			if cols[k] {
				found = append(found, personValues(x)...)
			}
		}
	})
	r.red.Add(found...)
}

// personValues are the identifying strings of one expanded person value:
// an object, a verbose {"results": […]} or a JSON array of them.
func personValues(x any) []string {
	var out []string
	switch p := x.(type) {
	case []any:
		for _, e := range p {
			out = append(out, personValues(e)...)
		}
	case map[string]any:
		if res, ok := p["results"].([]any); ok {
			return personValues(res)
		}
		for _, k := range personProps {
			if s, _ := p[k].(string); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// walkJSON calls fn on every object in v.
func walkJSON(v any, fn func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(x)
		for _, e := range x {
			walkJSON(e, fn)
		}
	case []any:
		for _, e := range x {
			walkJSON(e, fn)
		}
	}
}
