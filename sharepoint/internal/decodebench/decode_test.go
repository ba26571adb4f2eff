package decodebench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/valyala/fastjson"

	"github.com/go-spsql/spsql/sharepoint"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

const pageItems = 5000

// site is a reporting list: text, numbers, a date, a choice, a
// multi-choice, a boolean, a person and a lookup.
func site() sptest.Site {
	return sptest.Site{Lists: []sptest.List{
		{Title: "Projects", Generator: sptest.Synthetic(7, 20)},
		{
			Title: "Tasks",
			Fields: []sptest.Field{
				{Title: "Status", Type: "Choice", Choices: []string{"Not Started", "In Progress", "Completed"}},
				{Title: "Due Date", Type: "DateTime"},
				{Title: "Percent Complete", Type: "Number"},
				{Title: "Budget", Type: "Currency"},
				{Title: "Done", Type: "Boolean"},
				{Title: "Tags", Type: "MultiChoice", Choices: []string{"Red", "Blue", "Green"}},
				{Title: "Assigned To", Type: "User"},
				{Title: "Project", Type: "Lookup", LookupList: "Projects"},
			},
			Generator: sptest.Synthetic(42, pageItems),
		},
	}}
}

var query = sharepoint.Query{Select: []string{"ID", "Title", "Status", "Due Date", "Percent Complete", "Budget", "Done", "Tags", "Assigned ToId", "ProjectId"}}

// replay answers item requests with a page captured once, and passes
// every other request (the list's metadata) to the emulator.
type replay struct {
	next http.RoundTripper
	page []byte
}

func (r *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/items") {
		return r.next.RoundTrip(req)
	}
	if r.page == nil {
		resp, err := r.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if r.page, err = io.ReadAll(resp.Body); err != nil {
			return nil, err
		}
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json;odata=nometadata;charset=utf-8"}},
		Body:          io.NopCloser(bytes.NewReader(r.page)),
		ContentLength: int64(len(r.page)),
		Request:       req,
	}, nil
}

// fixture is the shipped client reading the list through replay, the
// captured page, and the columns the client resolved.
type fixture struct {
	client *sharepoint.Client
	page   []byte
	cols   []sharepoint.Column
	rows   [][]any // as the client yields them
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	srv := sptest.NewServer(site(), sptest.WithoutAuth())
	tb.Cleanup(srv.Close)
	rt := &replay{next: srv.Client().Transport}
	c, err := sharepoint.NewClient(srv.ServiceURL(), &http.Client{Transport: rt}, sharepoint.WithPageSize(pageItems))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	f := &fixture{client: c}
	f.rows, f.cols = f.read(tb)
	f.page = rt.page
	if len(f.rows) != pageItems || f.page == nil {
		tb.Fatalf("read %d rows, want %d in one page", len(f.rows), pageItems)
	}
	return f
}

// read reads the list through the shipped client.
func (f *fixture) read(tb testing.TB) ([][]any, []sharepoint.Column) {
	it, err := f.client.Items(context.Background(), "Tasks", query)
	if err != nil {
		tb.Fatal(err)
	}
	defer it.Close()
	var rows [][]any
	for {
		row, err := it.Next()
		if err == io.EOF {
			return rows, it.Columns()
		}
		if err != nil {
			tb.Fatal(err)
		}
		rows = append(rows, row)
	}
}

// candidate decodes one page into rows; it may keep state between pages.
type candidate struct {
	name string
	make func(cols []sharepoint.Column) func(body []byte) ([][]any, error)
}

var candidates = []candidate{
	{"tokens", newTokensCandidate},
	{"jsontext", newJSONTextCandidate},
	{"fastjson", newFastJSONCandidate},
}

// Every candidate gives the rows the shipped decoder gives, or its figures
// would compare different work.
func TestCandidatesAgree(t *testing.T) {
	f := newFixture(t)
	for _, c := range candidates {
		t.Run(c.name, func(t *testing.T) {
			decode := c.make(f.cols)
			for range 2 { // the second page reuses the candidate's state
				rows, err := decode(f.page)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != len(f.rows) {
					t.Fatalf("%d rows, want %d", len(rows), len(f.rows))
				}
				for i := range rows {
					if !reflect.DeepEqual(rows[i], f.rows[i]) {
						t.Fatalf("row %d = %#v\nwant %#v", i, rows[i], f.rows[i])
					}
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	f := newFixture(b)
	b.Run("shipped", func(b *testing.B) {
		b.SetBytes(int64(len(f.page)))
		b.ReportAllocs()
		for b.Loop() {
			f.read(b)
		}
		b.ReportMetric(float64(pageItems*b.N)/b.Elapsed().Seconds(), "items/s")
	})
	for _, c := range candidates {
		b.Run(c.name, func(b *testing.B) {
			decode := c.make(f.cols)
			b.SetBytes(int64(len(f.page)))
			b.ReportAllocs()
			for b.Loop() {
				if rows, err := decode(f.page); err != nil || len(rows) != pageItems {
					b.Fatalf("%d rows, %v", len(rows), err)
				}
			}
			b.ReportMetric(float64(pageItems*b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// columns maps the JSON keys of a page to the columns reading them.
type columns struct {
	cols  []sharepoint.Column
	byKey map[string][]int
}

func newColumns(cols []sharepoint.Column) *columns {
	c := &columns{cols: cols, byKey: map[string][]int{}}
	for i, col := range cols {
		c.byKey[col.Name] = append(c.byKey[col.Name], i)
	}
	return c
}

// convert turns a scalar's JSON text (a string's unescaped value, a
// number's digits, true/false) into column ci's type, as the shipped
// decoder does for the types of this list.
func (c *columns) convert(ci int, kind byte, text []byte) (any, error) {
	col := &c.cols[ci]
	switch {
	case kind == '"' && col.Type == sharepoint.ValueString:
		return string(text), nil
	case kind == '"' && col.Type == sharepoint.ValueTime:
		return time.Parse(time.RFC3339, string(text))
	case kind == '0' && col.Type == sharepoint.ValueInt:
		return strconv.ParseInt(string(text), 10, 64)
	case kind == '0' && col.Type == sharepoint.ValueFloat:
		return strconv.ParseFloat(string(text), 64)
	case (kind == 't' || kind == 'f') && col.Type == sharepoint.ValueBool:
		return kind == 't', nil
	}
	return nil, fmt.Errorf("candidate: %c for column %s", kind, col.Name)
}

// newTokensCandidate reads with encoding/json's Decoder.Token loop.
func newTokensCandidate(cols []sharepoint.Column) func([]byte) ([][]any, error) {
	return newStdlibCandidate(cols)
}

// newJSONTextCandidate reads with jsontext.Decoder: ReadToken for braces
// and brackets, ReadValue for names and scalars (a view of its buffer, no
// Token boxing), SkipValue for the rest.
func newJSONTextCandidate(cols []sharepoint.Column) func([]byte) ([][]any, error) {
	d := newColumns(cols)
	dec := jsontext.NewDecoder(bytes.NewReader(nil))
	var unq []byte
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
		out := []string{}
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
				return d.convert(ci, '"', t)
			}
			return d.convert(ci, byte(k), v)
		}
	}
	readItems := func() ([][]any, error) {
		if err := expect('['); err != nil {
			return nil, err
		}
		var rows [][]any
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
	return func(body []byte) (rows [][]any, err error) {
		dec.Reset(bytes.NewReader(body))
		if err := expect('{'); err != nil {
			return nil, err
		}
		for dec.PeekKind() != '}' {
			name, err := dec.ReadValue()
			if err != nil {
				return nil, err
			}
			if string(name) == `"value"` {
				rows, err = readItems()
			} else {
				err = dec.SkipValue()
			}
			if err != nil {
				return nil, err
			}
		}
		return rows, expect('}')
	}
}

// newFastJSONCandidate parses the page into fastjson's tree (its Parser
// reuses the tree's memory from page to page) and walks it.
func newFastJSONCandidate(cols []sharepoint.Column) func([]byte) ([][]any, error) {
	d := newColumns(cols)
	var (
		p   fastjson.Parser
		num []byte
	)
	scalar := func(ci int, v *fastjson.Value) (any, error) {
		switch v.Type() {
		case fastjson.TypeNull:
			return nil, nil
		case fastjson.TypeString:
			return d.convert(ci, '"', v.GetStringBytes())
		case fastjson.TypeNumber:
			num = v.MarshalTo(num[:0])
			return d.convert(ci, '0', num)
		case fastjson.TypeTrue:
			return d.convert(ci, 't', nil)
		case fastjson.TypeFalse:
			return d.convert(ci, 'f', nil)
		}
		return nil, errors.New("candidate: not a scalar")
	}
	stringsOf := func(a []*fastjson.Value) []string {
		out := make([]string, len(a))
		for i, e := range a {
			out[i] = string(e.GetStringBytes())
		}
		return out
	}
	return func(body []byte) (rows [][]any, err error) {
		root, err := p.ParseBytes(body)
		if err != nil {
			return nil, err
		}
		arr, err := root.Get("value").Array()
		if err != nil {
			return nil, err
		}
		rows = make([][]any, 0, len(arr))
		for _, it := range arr {
			obj, err := it.Object()
			if err != nil {
				return nil, err
			}
			row := make([]any, len(d.cols))
			var verr error
			obj.Visit(func(key []byte, v *fastjson.Value) {
				idx, ok := d.byKey[string(key)]
				if !ok || verr != nil {
					return
				}
				var val any
				if v.Type() == fastjson.TypeArray {
					val = stringsOf(v.GetArray())
				} else {
					val, verr = scalar(idx[0], v)
				}
				for _, i := range idx {
					row[i] = val
				}
			})
			if verr != nil {
				return nil, verr
			}
			rows = append(rows, row)
		}
		return rows, nil
	}
}
