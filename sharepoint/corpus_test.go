package sharepoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The corpus: SharePoint Online answers recorded by the PnP Core SDK
// (testdata/pnpcore/README.md), run through the driver's decoders.

const corpusDir = "../testdata/pnpcore"

// corpusFile is one recording: a response, and for a $batch its parts.
type corpusFile struct {
	path   string // relative to corpusDir, e.g. "items/ListItemTests/X-0-00003.response.json"
	test   string // the pnpcore test class and test, "ListItemTests/X"
	status int
	body   []byte
	parts  []corpusPart // a $batch's parts, in order
}

type corpusPart struct {
	status int
	body   []byte
}

// name is a file's short name for tables: its path without the
// .response.json suffix, and "#n" for part n of a batch.
func (f *corpusFile) name(part int) string {
	n := strings.TrimSuffix(f.path, ".response.json")
	if part >= 0 {
		n += fmt.Sprintf("#%d", part)
	}
	return n
}

// bodies are the JSON bodies the file holds with their statuses: the
// response's, or its parts'.
func (f *corpusFile) bodies() []corpusPart {
	if f.parts != nil {
		return f.parts
	}
	return []corpusPart{{f.status, f.body}}
}

var (
	corpusOnce  sync.Once
	corpusFiles []*corpusFile
	corpusErr   error
)

// loadCorpus reads every recording once per test binary.
func loadCorpus(t testing.TB) []*corpusFile {
	t.Helper()
	corpusOnce.Do(func() { corpusFiles, corpusErr = readCorpus() })
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusFiles
}

var testOfFile = regexp.MustCompile(`^(.*)-\d+-\d+\.response\.json$`)

func readCorpus() ([]*corpusFile, error) {
	paths, err := filepath.Glob(filepath.Join(corpusDir, "*", "*", "*.response.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) < 500 {
		return nil, fmt.Errorf("the corpus has %d recordings, want all 541 of testdata/pnpcore", len(paths))
	}
	var files []*corpusFile
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var rec struct {
			StatusCode int
			Response   string
		}
		if err := json.Unmarshal(bytes.TrimPrefix(raw, []byte("\ufeff")), &rec); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		rel, _ := filepath.Rel(corpusDir, p)
		rel = filepath.ToSlash(rel)
		segs := strings.Split(rel, "/")
		m := testOfFile.FindStringSubmatch(segs[2])
		if m == nil {
			return nil, fmt.Errorf("%s: not a <test>-<context>-<n>.response.json name", p)
		}
		f := &corpusFile{path: rel, test: segs[1] + "/" + m[1], status: rec.StatusCode, body: []byte(rec.Response)}
		if boundary, ok := batchBoundary(f.body); ok {
			err := readParts(bytes.NewReader(f.body), boundary, func(status int, body []byte) error {
				f.parts = append(f.parts, corpusPart{status, body})
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
		files = append(files, f)
	}
	return files, nil
}

// batchBoundary is a multipart answer's boundary, from its first line
// (the recorder kept no Content-Type).
func batchBoundary(body []byte) (string, bool) {
	line, _, _ := bytes.Cut(body, []byte("\r\n"))
	b, ok := bytes.CutPrefix(line, []byte("--"))
	if !ok || !bytes.HasPrefix(b, []byte("batchresponse_")) {
		return "", false
	}
	return string(b), true
}

// TestCorpusBatches runs every recorded $batch answer through
// parseBatchResponse, as Client.Batch reads it: every part is read, with
// the status its HTTP line gives, and the parts are as many as the answer
// has status lines.
func TestCorpusBatches(t *testing.T) {
	n, parts := 0, 0
	statusLine := regexp.MustCompile(`(?m)^HTTP/1\.1 (\d{3}) `)
	for _, f := range loadCorpus(t) {
		boundary, ok := batchBoundary(f.body)
		if !ok {
			if strings.HasPrefix(f.path, "batch/") {
				t.Errorf("%s: a batch recording without a batchresponse boundary", f.path)
			}
			continue
		}
		n++
		resp := &http.Response{
			Header: http.Header{"Content-Type": {"multipart/mixed; boundary=" + boundary}},
			Body:   io.NopCloser(bytes.NewReader(f.body)),
		}
		var got []int
		err := parseBatchResponse(resp, func(status int, body []byte) error {
			got = append(got, status)
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", f.path, err)
			continue
		}
		var want []int
		for _, m := range statusLine.FindAllSubmatch(f.body, -1) {
			var s int
			fmt.Sscan(string(m[1]), &s)
			want = append(want, s)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: parts with statuses %v, want %v", f.path, got, want)
		}
		parts += len(got)
	}
	if n < 100 {
		t.Errorf("read %d batch answers, want the corpus's 120 and more", n)
	}
	t.Logf("%d $batch answers, %d parts", n, parts)
}

// errorCode is SharePoint's "<hresult>, <exception type>" (docs/sharepoint.md §8.1).
var errorCode = regexp.MustCompile(`^-?\d+, [A-Za-z][\w.]*$`)

// TestCorpusErrors runs every recorded error body — each answer with a
// status of 400 or more, and each such part of a batch — through
// parseError: each gives SharePoint's code and message, and the driver's
// sentinels class it as its code and text say.
func TestCorpusErrors(t *testing.T) {
	n := 0
	codes := map[string]int{}
	for _, f := range loadCorpus(t) {
		for i, p := range f.bodies() {
			if p.status < 400 {
				continue
			}
			part := -1
			if f.parts != nil {
				part = i
			}
			n++
			name := f.name(part)
			e := parseError(p.status, http.MethodGet, "https://contoso.sharepoint.com/sites/x/_api/web", p.body)
			if !errorCode.MatchString(e.Code) || e.Message == "" {
				t.Errorf("%s: code %q, message %q; want SharePoint's code and message from %s", name, e.Code, e.Message, p.body)
				continue
			}
			codes[fmt.Sprintf("%d %s", p.status, e.Code)]++
			if !strings.HasPrefix(e.Error(), "sharepoint: GET ") || !strings.Contains(e.Error(), e.Message) {
				t.Errorf("%s: Error() = %q, want the message in it", name, e.Error())
			}
			// "List '…' does not exist at site with URL '…'." is the one
			// missing-list answer here; nothing else may be taken for one.
			wantList := p.status == http.StatusNotFound && strings.HasPrefix(e.Message, "List '")
			if got := e.Is(ErrListNotFound); got != wantList {
				t.Errorf("%s: errors.Is(ErrListNotFound) = %v, want %v for %d %q", name, got, wantList, p.status, e.Message)
			}
			for _, s := range []error{ErrFieldNotFound, ErrViewThreshold, ErrLookupThreshold, ErrThrottled, ErrUnauthorized, ErrRedirect} {
				if e.Is(s) {
					t.Errorf("%s: %d %q matches %v", name, p.status, e.Message, s)
				}
			}
		}
	}
	if n < 120 {
		t.Errorf("parsed %d error bodies, want at least the corpus's 127", n)
	}
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%4d× %s", codes[k], k)
	}
}

// corpusFields are the field definitions a pnpcore test's recordings
// hold (a list loaded with its fields, a field created), by entity
// property name: the columns of the items that test read.
func corpusFields(files []*corpusFile) map[string]map[string]*Field {
	byTest := map[string]map[string]*Field{}
	for _, f := range files {
		for _, p := range f.bodies() {
			if p.status >= 300 {
				continue
			}
			walkJSON(p.body, 3, func(obj map[string]json.RawMessage) {
				if obj["FieldTypeKind"] == nil || obj["InternalName"] == nil {
					return
				}
				raw, _ := json.Marshal(obj)
				var fd Field
				if json.Unmarshal(raw, &fd) != nil {
					return
				}
				if fd.EntityPropertyName == "" {
					fd.EntityPropertyName = entityPropertyName(fd.InternalName)
				}
				m := byTest[f.test]
				if m == nil {
					m = map[string]*Field{}
					byTest[f.test] = m
				}
				if m[fd.EntityPropertyName] == nil {
					m[fd.EntityPropertyName] = &fd
				}
			}, nil)
		}
	}
	return byTest
}

// walkJSON calls obj for each object of body down to depth levels, and
// items for each array of list items under "value" or "Items" (a list
// loaded with its items), with the array's bytes.
func walkJSON(body []byte, depth int, obj func(map[string]json.RawMessage), items func(json.RawMessage)) {
	var walk func(raw json.RawMessage, depth int)
	walk = func(raw json.RawMessage, depth int) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			return
		}
		switch raw[0] {
		case '{':
			var m map[string]json.RawMessage
			if json.Unmarshal(raw, &m) != nil {
				return
			}
			if obj != nil {
				obj(m)
			}
			for _, key := range []string{"value", "Items"} {
				var arr []map[string]json.RawMessage
				if items != nil && json.Unmarshal(m[key], &arr) == nil && len(arr) > 0 && isCorpusItem(arr[0]) {
					items(m[key])
				}
			}
			if depth > 0 {
				for _, v := range m {
					walk(v, depth-1)
				}
			}
		case '[':
			var arr []json.RawMessage
			if json.Unmarshal(raw, &arr) != nil || depth == 0 {
				return
			}
			for _, v := range arr {
				walk(v, depth-1)
			}
		}
	}
	walk(body, depth)
}

// isCorpusItem tells a list item from the other objects SharePoint
// lists under "value" (fields, lists, results of a validation).
func isCorpusItem(m map[string]json.RawMessage) bool {
	if m["FieldTypeKind"] != nil || m["BaseTemplate"] != nil {
		return false
	}
	return m["FileSystemObjectType"] != nil || m["ContentTypeId"] != nil || m["GUID"] != nil
}

// corpusColumns makes the columns that read every property of items, as
// the driver would resolve them: typed by the recording's field where it
// has one (a lookup's or person's "XId" by its field too), else by the
// values (a property with no field definition: system properties such as
// "Id", "FileSystemObjectType", "ServerRedirectedEmbedUrl"). Objects that
// are not values (expanded lookups, FieldValuesAsText, __deferred) are
// left to the decoder to skip.
func corpusColumns(items []map[string]any, fields map[string]*Field) []Column {
	var keys []string
	seen := map[string]bool{}
	for _, it := range items {
		ks := make([]string, 0, len(it))
		for k := range it {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	var cols []Column
	for _, k := range keys {
		if f := fields[k]; f != nil && !f.IsLookup() {
			cols = append(cols, Column{Name: k, Field: f, key: k, Type: f.ValueType()})
			continue
		}
		if base, ok := strings.CutSuffix(k, "Id"); ok && fields[base] != nil && fields[base].IsLookup() {
			f := fields[base]
			cols = append(cols, Column{Name: k, Field: f, key: k, Type: f.ValueType()})
			continue
		}
		if base, ok := strings.CutSuffix(k, "StringId"); ok && fields[base] != nil && fields[base].IsUser() {
			f := fields[base]
			typ := ValueString
			if f.IsMulti() {
				typ = ValueStrings
			}
			cols = append(cols, Column{Name: k, Field: f, key: k, Type: typ})
			continue
		}
		if fields[k] != nil { // an expanded lookup or person: an object, not a value
			continue
		}
		if typ, ok := inferType(items, k); ok {
			f := &Field{InternalName: k, EntityPropertyName: k}
			cols = append(cols, Column{Name: k, Field: f, key: k, Type: typ})
		}
	}
	return cols
}

// inferType types a property without a field definition by its values:
// the first that is not null decides; numbers are integers when all are.
func inferType(items []map[string]any, key string) (ValueType, bool) {
	typ, found := ValueString, false
	integral := true
	for _, it := range items {
		switch v := it[key].(type) {
		case nil:
		case string:
			typ, found = ValueString, true
		case bool:
			typ, found = ValueBool, true
		case json.Number:
			if _, err := v.Int64(); err != nil {
				integral = false
			}
			typ, found = ValueInt, true
		case []any:
			if len(v) == 0 {
				continue
			}
			switch e := v[0].(type) {
			case string:
				typ, found = ValueStrings, true
			case json.Number:
				typ, found = ValueInts, true
			case map[string]any:
				if _, ok := e["TermGuid"]; ok {
					typ, found = ValueTaxonomies, true
				}
			}
		case map[string]any:
			if _, ok := v["Url"]; ok {
				typ, found = ValueURL, true
			} else if _, ok := v["TermGuid"]; ok {
				typ, found = ValueTaxonomy, true
			}
		}
		if found && typ != ValueInt {
			return typ, true
		}
	}
	if found && typ == ValueInt && !integral {
		typ = ValueFloat
	}
	return typ, found
}

// corpusDecodeFailures are the item pages of the corpus the decoder
// refuses, each with the reason, pinned: a new refusal, or one of these
// decoding, fails TestCorpusItemPages. None since Geolocation values (an
// object, the pages of LocationFieldTest and
// ImageAndLocationFieldLoadListDataAsStreamTest) decode as their
// Well-Known Text (geolocation.go).
var corpusDecodeFailures = map[string]string{}

// TestCorpusItemPages runs every recorded page of list items — answers
// to …/items, lists loaded with their items, and such parts of batches —
// through the driver's page decoder, with the columns typed by the same
// recording's field definitions where it has them: each page decodes to
// as many rows as it has items, each value as encoding/json reads it, or
// fails as corpusDecodeFailures says.
func TestCorpusItemPages(t *testing.T) {
	files := loadCorpus(t)
	fieldsOf := corpusFields(files)
	pages, rows, typed, inferred := 0, 0, 0, 0
	failed := map[string]string{}
	typeCount := map[string]int{}
	for _, f := range files {
		for i, p := range f.bodies() {
			if p.status >= 300 {
				continue
			}
			part := -1
			if f.parts != nil {
				part = i
			}
			k := 0
			walkJSON(p.body, 2, nil, func(arr json.RawMessage) {
				name := f.name(part)
				if k > 0 {
					name += fmt.Sprintf("/%d", k)
				}
				k++
				pages++
				dec := json.NewDecoder(bytes.NewReader(arr))
				dec.UseNumber()
				var items []map[string]any
				if err := dec.Decode(&items); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				cols := corpusColumns(items, fieldsOf[f.test])
				for _, c := range cols {
					if c.Field.Kind != 0 || c.Field.Type != "" {
						typed++
					} else {
						inferred++
					}
				}
				page := append(append([]byte(`{"value":`), arr...), '}')
				got, _, err := newPageDecoder(cols).decode(page)
				if err != nil {
					failed[name] = err.Error()
					return
				}
				if len(got) != len(items) {
					t.Errorf("%s: %d rows, want %d", name, len(got), len(items))
					return
				}
				rows += len(got)
				for r, row := range got {
					for c, col := range cols {
						if row[c] != nil && col.Field.Type != "" {
							typeCount[col.Field.TypeName()]++
						}
						if why := corpusValueMismatch(col, row[c], items[r][col.key]); why != "" {
							t.Errorf("%s: item %d, %s (%s): %s", name, r, col.key, col.Field.TypeName(), why)
						}
					}
				}
			})
		}
	}
	for name, why := range failed {
		if want, ok := corpusDecodeFailures[name]; !ok || !strings.Contains(why, want) {
			t.Errorf("%s: the decoder refused the page: %s (pinned: %q)", name, why, want)
		}
	}
	for name := range corpusDecodeFailures {
		if _, ok := failed[name]; !ok {
			t.Errorf("%s: pinned as refused but decoded (or gone from the corpus): update corpusDecodeFailures", name)
		}
	}
	if pages < 90 || rows < 300 {
		t.Errorf("decoded %d pages, %d items; want the corpus's 100 pages and 300+ items", pages, rows)
	}
	var kinds []string
	for k, n := range typeCount {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	t.Logf("values read by field type: %s", strings.Join(kinds, ", "))
	t.Logf("%d item pages, %d items; %d columns typed by a recorded field, %d by their values", pages, rows, typed, inferred)
}

// corpusValueMismatch compares a decoded value with the JSON value
// encoding/json read (numbers as json.Number); "" when they agree.
func corpusValueMismatch(col Column, got, raw any) string {
	if raw == nil {
		if got != nil {
			return fmt.Sprintf("null decoded as %#v", got)
		}
		return ""
	}
	if got == nil {
		if s, ok := raw.(string); ok && s == "" && col.Type != ValueString {
			return "" // an empty string is no value of a typed column
		}
		if a, ok := raw.([]any); ok && len(a) == 0 {
			return ""
		}
		return fmt.Sprintf("%v decoded as NULL", raw)
	}
	switch col.Type {
	case ValueString:
		want := fmt.Sprint(raw)
		if m, ok := raw.(map[string]any); ok && col.Field.TypeName() == "Geolocation" {
			// Well-Known Text, longitude first (docs/sharepoint.md §6.11).
			want = fmt.Sprintf("POINT (%v %v)", m["Longitude"], m["Latitude"])
		}
		if col.Field.TypeName() == "Calculated" {
			want = calculatedPrefix(want)
		}
		if got != want {
			return fmt.Sprintf("%q decoded as %#v", want, got)
		}
	case ValueInt:
		if fmt.Sprint(got) != fmt.Sprint(raw) {
			return fmt.Sprintf("%v decoded as %#v", raw, got)
		}
	case ValueFloat:
		want, err := json.Number(fmt.Sprint(raw)).Float64()
		if g, ok := got.(float64); !ok || err != nil || math.Abs(g-want) > 1e-9*math.Abs(want) {
			return fmt.Sprintf("%v decoded as %#v", raw, got)
		}
	case ValueBool:
		if fmt.Sprint(got) != fmt.Sprint(raw) {
			return fmt.Sprintf("%v decoded as %#v", raw, got)
		}
	case ValueStrings:
		if a, ok := raw.([]any); ok && fmt.Sprint(got) != fmt.Sprint(a) {
			return fmt.Sprintf("%v decoded as %#v", raw, got)
		}
	case ValueInts:
		if a, ok := raw.([]any); ok && fmt.Sprint(got) != fmt.Sprint(a) {
			return fmt.Sprintf("%v decoded as %#v", raw, got)
		}
	}
	return ""
}
