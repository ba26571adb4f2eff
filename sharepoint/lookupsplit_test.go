package sharepoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// wideSite has a list with 18 lookup and person columns besides Author
// and Editor, more than SharePoint's 12 per request.
func wideSite(items int) sptest.Site {
	fields := []sptest.Field{{Title: "Score", Type: "Number"}}
	for i := 1; i <= 10; i++ {
		fields = append(fields, sptest.Field{Title: fmt.Sprintf("Lookup %d", i), Type: "Lookup", LookupList: "Targets"})
	}
	for i := 1; i <= 6; i++ {
		fields = append(fields, sptest.Field{Title: fmt.Sprintf("Person %d", i), Type: "User"})
	}
	fields = append(fields,
		sptest.Field{Title: "Targets Multi", Type: "LookupMulti", LookupList: "Targets"},
		sptest.Field{Title: "People", Type: "UserMulti"})
	var targets []sptest.Item
	for _, t := range []string{"Oslo", "Lima", "Kyiv", "Baku", "Doha", "Riga", "Bern"} {
		targets = append(targets, sptest.Item{"Title": t})
	}
	return sptest.Site{Lists: []sptest.List{
		{Title: "Targets", Items: targets},
		{Title: "Wide", Fields: fields, Generator: sptest.Synthetic(11, items)},
	}}
}

// wideColumns selects every column of Wide: ID, Score, and the 20 lookup
// and person columns, some by ID and some by a sub-field.
func wideColumns() []string {
	cols := []string{"ID", "Score"}
	for i := 1; i <= 10; i++ {
		cols = append(cols, fmt.Sprintf("Lookup_x0020_%dId", i))
	}
	cols = append(cols, "Lookup_x0020_1/Title", "Lookup_x0020_9/Title")
	for i := 1; i <= 6; i++ {
		cols = append(cols, fmt.Sprintf("Person_x0020_%dId", i))
	}
	return append(cols, "Person_x0020_6/Title", "Targets_x0020_MultiId", "People/Title", "AuthorId", "EditorId")
}

// lookupsIn counts the lookup and person columns of Wide an items
// request involves, by their names in the request.
func lookupsIn(q sptest.QueryOptions) int {
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(q.Select+","+q.Expand+" "+q.Filter+" "+q.OrderBy, func(r rune) bool {
		return r == ' ' || r == '(' || r == ')' || r == ','
	}) {
		base, _, _ := strings.Cut(w, "/")
		base = strings.TrimSuffix(base, "Id")
		if strings.HasPrefix(base, "Lookup_x0020_") || strings.HasPrefix(base, "Person_x0020_") ||
			base == "Targets_x0020_Multi" || base == "People" || base == "Author" || base == "Editor" {
			seen[base] = true
		}
	}
	return len(seen)
}

func wideRequests(srv *sptest.Server) []sptest.SPRequest {
	var out []sptest.SPRequest
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/items") { // Wide's: tests read no other list's items
			out = append(out, r)
		}
	}
	return out
}

func TestItemsSplitsAReadOverTheLookupThresholdAndMergesByID(t *testing.T) {
	const items = 1500
	srv := emulator(t, wideSite(items))
	c := emulatorClient(t, srv, nil, WithPageSize(1000))
	ctx := context.Background()
	cols := wideColumns()
	it, err := c.Items(ctx, "Wide", Query{Select: cols})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(it.Columns()); got != len(cols) {
		t.Errorf("%d columns, want %d", got, len(cols))
	}
	got := readAll(t, it)
	if len(got) != items {
		t.Fatalf("got %d rows, want %d", len(got), items)
	}
	reqs := wideRequests(srv)
	// 20 lookup and person columns: two parts of two pages each.
	if len(reqs) != 4 {
		t.Errorf("%d items requests, want 4 (two parts of two pages)", len(reqs))
	}
	for _, r := range reqs {
		if r.Status != 200 {
			t.Errorf("request %s answered %d", r.RawQuery, r.Status)
		}
		if n := lookupsIn(r.Query()); n > LookupThreshold {
			t.Errorf("a request has %d lookup columns: %s", n, r.RawQuery)
		}
	}
	// Each column read on its own (well within the threshold) gives the
	// same values, so the merge put every value in its item's row.
	for k, name := range cols[1:] {
		one := readAll(t, must(t)(c.Items(ctx, "Wide", Query{Select: []string{"ID", name}})))
		for i := range one {
			if one[i][0] != got[i][0] || !reflect.DeepEqual(one[i][1], got[i][k+1]) {
				t.Fatalf("row %d column %s = %#v (ID %v), read alone %#v (ID %v)", i, name, got[i][k+1], got[i][0], one[i][1], one[i][0])
			}
		}
	}
}

func TestItemsSplitKeepsTheFilterOrderTopAndTheirLookupsInEveryPart(t *testing.T) {
	srv := emulator(t, wideSite(400))
	c := emulatorClient(t, srv, nil)
	ctx := context.Background()
	q := Query{
		Select: wideColumns(),
		Filter: "Lookup_x0020_2Id eq 2 and Person_x0020_3/Title ne null and Score gt 100", FilterFields: []string{"Lookup_x0020_2", "Person_x0020_3", "Score"},
		Expand:  []string{"Person_x0020_3"},
		OrderBy: "Score desc", OrderByFields: []string{"Score"},
		Top: 7,
	}
	got := readAll(t, must(t)(c.Items(ctx, "Wide", q)))
	want := readAll(t, must(t)(c.Items(ctx, "Wide", Query{Select: []string{"ID", "Score"}, Filter: q.Filter, Expand: q.Expand, OrderBy: q.OrderBy, Top: 7})))
	if len(got) != 7 || len(want) != 7 {
		t.Fatalf("got %d rows, want 7 and 7", len(got))
	}
	for i := range want {
		if got[i][0] != want[i][0] || got[i][1] != want[i][1] {
			t.Errorf("row %d is ID %v Score %v, want %v %v", i, got[i][0], got[i][1], want[i][0], want[i][1])
		}
	}
	var parts []sptest.QueryOptions
	for _, r := range wideRequests(srv) {
		if q := r.Query(); strings.Count(q.Select, ",") > 3 {
			parts = append(parts, q)
		}
	}
	if len(parts) != 2 {
		t.Fatalf("%d requests of the split read, want 2: %+v", len(parts), parts)
	}
	for _, p := range parts {
		if p.Filter != q.Filter || p.OrderBy != "Score desc" || p.Top != "7" || !strings.Contains(p.Expand, "Person_x0020_3") {
			t.Errorf("part $filter=%q $orderby=%q $top=%q $expand=%q; every part needs the query's", p.Filter, p.OrderBy, p.Top, p.Expand)
		}
		if n := lookupsIn(p); n > LookupThreshold {
			t.Errorf("a part has %d lookup columns: %+v", n, p)
		}
	}
}

func TestItemsWithinTheLookupThresholdIsOneRequest(t *testing.T) {
	srv := emulator(t, wideSite(50))
	c := emulatorClient(t, srv, nil)
	readAll(t, must(t)(c.Items(context.Background(), "Wide", Query{
		Select: []string{"ID", "Lookup_x0020_1Id", "Lookup_x0020_2/Title", "Person_x0020_1Id", "Targets_x0020_MultiId", "PeopleId", "AuthorId", "EditorId"},
		Filter: "Lookup_x0020_3Id eq 1", FilterFields: []string{"Lookup_x0020_3"},
	})))
	if n := len(wideRequests(srv)); n != 1 {
		t.Errorf("%d items requests, want 1", n)
	}
}

func TestItemsRefusesWhatItCannotSplitOrFindsInconsistent(t *testing.T) {
	var lookups []string
	for i := 1; i <= 10; i++ {
		lookups = append(lookups, fmt.Sprintf("Lookup_x0020_%d", i))
	}
	lookups = append(lookups, "Person_x0020_1", "Person_x0020_2", "Person_x0020_3")
	var conds []string
	for _, l := range lookups {
		conds = append(conds, l+"Id ne null")
	}
	for name, tt := range map[string]struct {
		q    Query
		want error
		text string
	}{
		"a filter on 13 lookup columns": {Query{Select: []string{"ID"}, Filter: strings.Join(conds, " and "), FilterFields: lookups},
			ErrLookupThreshold, "SharePoint allows 12 in one request"},
		"a field that does not exist": {Query{Select: []string{"ID"}, Filter: "Nope eq 1", FilterFields: []string{"Nope"}},
			ErrFieldNotFound, "Query.FilterFields"},
		"fields listed for no filter": {Query{Select: []string{"ID"}, FilterFields: []string{"Score"}}, nil, "Query.Filter is empty"},
		"fields listed for no order":  {Query{Select: []string{"ID"}, OrderByFields: []string{"Score"}}, nil, "Query.OrderBy is empty"},
		"a split read whose filter's fields are unknown": {Query{Select: wideColumns(), Filter: "Score gt 1"},
			nil, "list the fields that Query.Filter and Query.OrderBy name"},
		"a split read whose order's fields are unknown": {Query{Select: wideColumns(), Filter: "Score gt 1", FilterFields: []string{"Score"}, OrderBy: "Score"},
			nil, "list the fields that Query.Filter and Query.OrderBy name"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := emulator(t, wideSite(20))
			c := emulatorClient(t, srv, nil)
			_, err := c.Items(context.Background(), "Wide", tt.q)
			if err == nil || !strings.Contains(err.Error(), tt.text) || !strings.HasPrefix(err.Error(), "sharepoint: ") {
				t.Fatalf("error %v, want one saying %q", err, tt.text)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v does not match %v", err, tt.want)
			}
			if n := len(wideRequests(srv)); n != 0 {
				t.Errorf("%d items requests were sent", n)
			}
		})
	}
}

// A split read streams: before its first row it has not read more than
// the first pages of its parts, however long the list.
func TestASplitReadStreamsItsParts(t *testing.T) {
	srv := emulator(t, wideSite(3000))
	c := emulatorClient(t, srv, nil, WithPageSize(100))
	it, err := c.Items(context.Background(), "Wide", Query{Select: wideColumns()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := it.Next(); err != nil {
		t.Fatal(err)
	}
	// Two parts of 30 pages; each part holds its page and the next, and
	// may have asked for the one after.
	if n := len(wideRequests(srv)); n > 2*3 {
		t.Errorf("%d items requests before the first row was used, want at most 6", n)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if row, err := it.Next(); err != io.EOF {
		t.Errorf("Next after Close = %v, %v; want io.EOF", row, err)
	}
	// No goroutine is left behind (TestMain checks), nor request sent.
	n := len(wideRequests(srv))
	if _, err := it.Next(); err != io.EOF || len(wideRequests(srv)) != n {
		t.Error("the closed read went on")
	}
}

func TestASplitReadEndsWithItsContext(t *testing.T) {
	srv := emulator(t, wideSite(3000))
	c := emulatorClient(t, srv, nil, WithPageSize(100))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	it, err := c.Items(ctx, "Wide", Query{Select: wideColumns()})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	rows := 0
	for {
		if _, err = it.Next(); err != nil {
			break
		}
		if rows++; rows == 150 {
			cancel()
		}
	}
	if !errors.Is(err, context.Canceled) || rows >= 3000 {
		t.Errorf("after %d rows: %v, want context.Canceled", rows, err)
	}
}

// fakeStream serves rows of {ID, value}.
type fakeStream struct {
	rows [][]any
	pos  int
	err  error
}

func (f *fakeStream) Next() ([]any, error) {
	if f.pos >= len(f.rows) {
		if f.err != nil {
			return nil, f.err
		}
		return nil, io.EOF
	}
	f.pos++
	return f.rows[f.pos-1], nil
}

func rowsOf(ids ...int64) [][]any {
	out := make([][]any, len(ids))
	for i, id := range ids {
		out[i] = []any{id, id * 10}
	}
	return out
}

// merged merges two parts of {ID, value} rows into {ID, value0, value1}.
func merged(byID bool, a, b *fakeStream) *lookupMerge {
	split := &lookupSplit{
		parts: []lookupPart{{idCol: 0}, {idCol: 0}},
		from:  []struct{ part, col int }{{0, 0}, {0, 1}, {1, 1}},
		byID:  byID,
	}
	return &lookupMerge{split: split, its: []rowStream{a, b}, pending: make([][]any, 2), done: make([]bool, 2)}
}

func drain(m *lookupMerge) ([]int64, error) {
	var ids []int64
	for {
		r, err := m.next()
		if err == io.EOF {
			return ids, nil
		}
		if err != nil {
			return ids, err
		}
		if r[1] != r[2] {
			return ids, errors.New("the parts' values do not belong to one item")
		}
		ids = append(ids, r[0].(int64))
	}
}

func TestMergedPartsLineUpByID(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b []int64
		want []int64
	}{
		{"the same items", []int64{1, 2, 5}, []int64{1, 2, 5}, []int64{1, 2, 5}},
		{"an item deleted before the second part was read is left out", []int64{1, 2, 5, 9}, []int64{1, 5, 9}, []int64{1, 5, 9}},
		{"an item added before the second part was read is left out", []int64{1, 5}, []int64{1, 3, 5, 6}, []int64{1, 5}},
		{"the last items deleted", []int64{1, 2, 3}, []int64{1}, []int64{1}},
		{"nothing", nil, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := drain(merged(true, &fakeStream{rows: rowsOf(tt.a...)}, &fakeStream{rows: rowsOf(tt.b...)}))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestMergedPartsInAnotherOrderMustAgree(t *testing.T) {
	got, err := drain(merged(false, &fakeStream{rows: rowsOf(5, 1, 3)}, &fakeStream{rows: rowsOf(5, 1, 3)}))
	if err != nil || !reflect.DeepEqual(got, []int64{5, 1, 3}) {
		t.Errorf("got %v, %v", got, err)
	}
	_, err = drain(merged(false, &fakeStream{rows: rowsOf(5, 1, 3)}, &fakeStream{rows: rowsOf(5, 3)}))
	if !errors.Is(err, errListChanged) {
		t.Errorf("parts that disagree: %v, want errListChanged", err)
	}
}

func TestMergedPartsReportAPartsError(t *testing.T) {
	boom := errors.New("boom")
	_, err := drain(merged(true, &fakeStream{rows: rowsOf(1, 2)}, &fakeStream{rows: rowsOf(1), err: boom}))
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the part's error", err)
	}
}

func TestIDOrdered(t *testing.T) {
	for in, want := range map[string]bool{"": true, "ID": true, "ID asc": true, "id ASC,Title": true, "ID desc": false, "Title": false, "IDX": false} {
		if idOrdered(in) != want {
			t.Errorf("idOrdered(%q) = %v", in, !want)
		}
	}
}
