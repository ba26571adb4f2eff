package sharepoint

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// gappySite has 84 items with IDs 1…120, some runs missing (as after
// deletions), so that slices of 10 IDs hold 0 to 10 items.
func gappySite() sptest.Site {
	var items []sptest.Item
	for id := 1; id <= 120; id++ {
		if id%5 == 0 || (id > 40 && id <= 55) {
			continue
		}
		items = append(items, sptest.Item{"ID": id, "Title": "item " + strings.Repeat("x", id%7), "Amount": float64(id) / 4})
	}
	return sptest.Site{Lists: []sptest.List{{Title: "Gappy", Fields: []sptest.Field{{Title: "Amount", Type: "Number"}}, Items: items}}}
}

// TestSlicedReadEqualsSequential: reading in parallel ID slices gives
// the same rows in the same order as following next links, with one
// request for the highest ID and one per slice of one page.
func TestSlicedReadEqualsSequential(t *testing.T) {
	srv := emulator(t, gappySite())
	c := emulatorClient(t, srv, nil, WithPageSize(10))
	ctx := context.Background()
	q := Query{Select: []string{"ID", "Title", "Amount"}}
	it, err := c.Items(ctx, "Gappy", q)
	if err != nil {
		t.Fatal(err)
	}
	want := readAll(t, it)
	if len(want) != 84 {
		t.Fatalf("sequential read: %d rows, want 84", len(want))
	}
	for _, order := range []string{"", "ID asc", "id"} {
		for _, parallel := range []int{2, 3, 8} {
			q := q
			q.Parallel, q.OrderBy = parallel, order
			before := srv.RequestCount()
			it, err := c.Items(ctx, "Gappy", q)
			if err != nil {
				t.Fatal(err)
			}
			got := readAll(t, it)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parallel %d, order %q: rows differ from the sequential read (%d vs %d rows)", parallel, order, len(got), len(want))
			}
			var reqs []sptest.SPRequest
			for _, r := range srv.Requests()[before:] {
				if strings.HasSuffix(r.Path, "/items") {
					reqs = append(reqs, r)
				}
			}
			if len(reqs) != 2+12 {
				t.Errorf("Parallel %d: %d items requests, want 14 (the lowest and highest IDs, then 12 slices of 10 IDs)", parallel, len(reqs))
			}
			slices := map[string]bool{}
			for _, r := range reqs[2:] {
				v, _ := url.ParseQuery(r.RawQuery)
				slices[v.Get("$filter")] = true
			}
			// The last slice is open-ended: items added meanwhile are read.
			if !slices["ID ge 1 and ID le 10"] || !slices["ID ge 111"] || len(slices) != 12 {
				t.Errorf("Parallel %d: slice filters %v", parallel, slices)
			}
		}
	}
}

// TestSlicedReadOnlyForWholeLists: a filter, a limit or another order
// reads sequentially whatever Parallel says.
func TestSlicedReadOnlyForWholeLists(t *testing.T) {
	for _, q := range []Query{
		{Filter: "Amount gt 3"},
		{Top: 15},
		{OrderBy: "Title"},
		{OrderBy: "ID desc"},
	} {
		q.Parallel = 4
		if q.sliceable() {
			t.Errorf("%+v is read in slices", q)
		}
	}
	if !(Query{Parallel: 4, OrderBy: " ID  ASC "}).sliceable() {
		t.Error("ID ASC is not read in slices")
	}
}

func TestSlicedReadOfAnEmptyList(t *testing.T) {
	srv := emulator(t, sptest.Site{Lists: []sptest.List{{Title: "Empty"}}})
	c := emulatorClient(t, srv, nil, WithPageSize(10))
	it, err := c.Items(context.Background(), "Empty", Query{Select: []string{"ID"}, Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	if rows := readAll(t, it); len(rows) != 0 {
		t.Errorf("%d rows from an empty list", len(rows))
	}
}

// TestSlicedReadFailsInOrder: a slice that fails ends the stream after
// the rows of the slices before it, never with a gap.
func TestSlicedReadFailsInOrder(t *testing.T) {
	srv := emulator(t, gappySite())
	// The slice of IDs 41–50 fails, wherever it falls among the requests
	// in flight.
	failing := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.Contains(r.URL.RawQuery, "ID%20ge%2041%20") {
			return nil, errors.New("connection reset")
		}
		return srv.Client().Transport.RoundTrip(r)
	})
	c := emulatorClient(t, srv, failing, WithPageSize(10), WithRetries(0))
	it, err := c.Items(context.Background(), "Gappy", Query{Select: []string{"ID"}, Parallel: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	ids, err := collect(t, it)
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("error %v, want the failing slice's", err)
	}
	if len(ids) != 32 || ids[len(ids)-1] != 39 {
		t.Errorf("rows before the error: %d ending with ID %v, want the 32 of IDs 1–40", len(ids), ids[len(ids)-1:])
	}
}

// TestSlicedReadStopsOnClose: closing early cancels the slices in
// flight (goleak in TestMain checks none is left).
func TestSlicedReadStopsOnClose(t *testing.T) {
	srv := emulator(t, gappySite())
	srv.SetLatency(20 * time.Millisecond)
	c := emulatorClient(t, srv, nil, WithPageSize(10))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	it, err := c.Items(ctx, "Gappy", Query{Select: []string{"ID"}, Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := it.Next(); err != nil {
		t.Fatal(err)
	}
	it.Close()
	it2, err := c.Items(ctx, "Gappy", Query{Select: []string{"ID"}, Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for err == nil {
		_, err = it2.Next()
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v, want context.Canceled", err)
	}
	it2.Close()
}

// TestSlicedReadFallsBackToNextLinks: a list of few pages, or whose IDs
// are sparse (most items deleted), is read page after page: slices of
// one page of IDs would be many more requests than pages.
func TestSlicedReadFallsBackToNextLinks(t *testing.T) {
	var sparse []sptest.Item
	for id := 1; id <= 100; id++ {
		sparse = append(sparse, sptest.Item{"ID": id})
	}
	sparse = append(sparse, sptest.Item{"ID": 1_000_000})
	var small []sptest.Item
	for id := 1; id <= 50; id++ {
		small = append(small, sptest.Item{"ID": id})
	}
	srv := emulator(t, sptest.Site{Lists: []sptest.List{{Title: "Sparse", Items: sparse}, {Title: "Small", Items: small}}})
	c := emulatorClient(t, srv, nil, WithPageSize(10))
	for list, want := range map[string]struct{ rows, maxItemsRequests int }{
		"Sparse": {101, 2 + 11}, // the lowest and highest IDs, then 11 pages
		"Small":  {50, 5},       // 5 pages: fewer than 8, no ID requests
	} {
		before := len(srv.Requests())
		it, err := c.Items(context.Background(), list, Query{Select: []string{"ID"}, Parallel: 4})
		if err != nil {
			t.Fatal(err)
		}
		rows := readAll(t, it)
		n := 0
		for _, r := range srv.Requests()[before:] {
			if strings.Contains(r.Path, "/items") {
				n++
			}
		}
		if len(rows) != want.rows || n > want.maxItemsRequests {
			t.Errorf("%s: %d rows in %d items requests, want %d rows in at most %d", list, len(rows), n, want.rows, want.maxItemsRequests)
		}
	}
}
