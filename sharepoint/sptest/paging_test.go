package sptest_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// walk follows next links from path until none is left and returns the IDs
// in the order received, checking every link is absolute and on the
// server's origin.
func walk(t *testing.T, srv *sptest.Server, path, accept string) (ids []int, pages int) {
	t.Helper()
	url := srv.ServiceURL() + "/_api/" + path
	for url != "" {
		a := fetch(t, srv, url, accept)
		if a.status != 200 {
			t.Fatalf("page %d: HTTP %d %s", pages+1, a.status, a.body)
		}
		pages++
		var page struct {
			Value  []map[string]any `json:"value"`
			Next   string           `json:"odata.nextLink"`
			NextV4 string           `json:"@odata.nextLink"`
			D      struct {
				Results []map[string]any `json:"results"`
				Next    string           `json:"__next"`
			} `json:"d"`
		}
		if err := json.Unmarshal(a.body, &page); err != nil {
			t.Fatal(err)
		}
		rows := append(page.Value, page.D.Results...)
		for _, r := range rows {
			ids = append(ids, int(r["ID"].(float64)))
		}
		url = page.Next + page.NextV4 + page.D.Next
		if url != "" && !strings.HasPrefix(url, srv.URL+"/") {
			t.Fatalf("next link %s is not on %s", url, srv.URL)
		}
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
	}
	return ids, pages
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func TestPagingReturnsEveryItemOnceInOrder(t *testing.T) {
	var items []sptest.Item
	for i := range 250 {
		items = append(items, sptest.Item{"Title": fmt.Sprintf("Item %03d", i%17), "Score": float64(i%7) * 1.5})
		if i%11 == 0 {
			delete(items[i], "Score")
		}
	}
	site := sptest.Site{Lists: []sptest.List{
		{Title: "Declared", Fields: []sptest.Field{{Title: "Score", Type: "Number"}}, Items: items},
		{Title: "Generated", Fields: []sptest.Field{{Title: "Status", Type: "Choice", Choices: []string{"a", "b", "c"}}}, Generator: sptest.Synthetic(1, 12345)},
	}}
	srv := sptest.NewServer(site, sptest.WithoutAuth())
	defer srv.Close()

	tests := []struct {
		name, path, accept string
		want               []int
		pages              int
	}{
		{"the default page is 100 items", "web/lists/getbytitle('Declared')/items?$select=ID", acceptNo, seq(1, 250), 3},
		{"$top sets the page size", "web/lists/getbytitle('Declared')/items?$select=ID&$top=7", acceptNo, seq(1, 250), 36},
		{"a page size dividing the list ends without an empty page", "web/lists/getbytitle('Declared')/items?$select=ID&$top=50", acceptNo, seq(1, 250), 5},
		{"verbose pages with __next", "web/lists/getbytitle('Declared')/items?$select=ID&$top=60", acceptVerbose, seq(1, 250), 5},
		{"minimalmetadata pages", "web/lists/getbytitle('Declared')/items?$select=ID&$top=60", acceptMinimal, seq(1, 250), 5},
		{"v4 pages with @odata.nextLink", "web/lists/getbytitle('Declared')/items?$select=ID&$top=60", acceptV4, seq(1, 250), 5},
		{"a filter is kept across pages", "web/lists/getbytitle('Declared')/items?$select=ID&$top=9&$filter=" + q("ID gt 100 and ID le 140"), acceptNo, seq(101, 140), 5},
		{"ID desc pages backwards", "web/lists/getbytitle('Declared')/items?$select=ID&$top=40&$orderby=ID%20desc", acceptNo, reversed(seq(1, 250)), 7},
		{"a generated list streams in 5000-item pages", "web/lists/getbytitle('Generated')/items?$select=ID&$top=5000", acceptNo, seq(1, 12345), 3},
		{"a generated list with an ID window", "web/lists/getbytitle('Generated')/items?$select=ID&$top=1000&$filter=" + q("ID gt 5000 and ID le 7500"), acceptNo, seq(5001, 7500), 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids, pages := walk(t, srv, tc.path, tc.accept)
			if !slices.Equal(ids, tc.want) {
				t.Errorf("got %d IDs %v…, want %d", len(ids), ids[:min(10, len(ids))], len(tc.want))
			}
			if pages != tc.pages {
				t.Errorf("%d pages, want %d", pages, tc.pages)
			}
		})
	}

	// A non-ID order pages by (sort key, ID), with empty values first.
	t.Run("non-ID orderby pages in sort order", func(t *testing.T) {
		type row struct {
			id    int
			score float64
			null  bool
			title string
		}
		var rows []row
		for i, it := range items {
			s, ok := it["Score"].(float64)
			rows = append(rows, row{i + 1, s, !ok, it["Title"].(string)})
		}
		byScoreDesc := slices.Clone(rows)
		slices.SortStableFunc(byScoreDesc, func(a, b row) int {
			if a.null != b.null {
				if a.null {
					return 1 // desc: empty values last
				}
				return -1
			}
			return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.id, b.id))
		})
		byTitle := slices.Clone(rows)
		slices.SortStableFunc(byTitle, func(a, b row) int {
			return cmp.Or(strings.Compare(strings.ToLower(a.title), strings.ToLower(b.title)), cmp.Compare(a.id, b.id))
		})
		for _, c := range []struct {
			order string
			want  []row
		}{{"Score desc", byScoreDesc}, {"Title", byTitle}, {"Title asc,Score desc", nil}} {
			ids, _ := walk(t, srv, "web/lists/getbytitle('Declared')/items?$select=ID&$top=13&$orderby="+q(c.order), acceptNo)
			if len(ids) != 250 {
				t.Fatalf("%s: %d IDs", c.order, len(ids))
			}
			if c.want == nil {
				continue
			}
			var want []int
			for _, r := range c.want {
				want = append(want, r.id)
			}
			if !slices.Equal(ids, want) {
				t.Errorf("$orderby=%s: got %v…, want %v…", c.order, ids[:15], want[:15])
			}
		}
	})

	t.Run("the skiptoken of a sorted page carries the sort value", func(t *testing.T) {
		a := fetch(t, srv, "web/lists/getbytitle('Declared')/items?$select=ID&$top=2&$orderby=Title", acceptNo)
		link := a.json(t)["odata.nextLink"].(string)
		if !strings.Contains(link, "%26p_Title%3d") || !strings.Contains(link, "%26p_ID%3d") {
			t.Errorf("next link %s", link)
		}
	})

	t.Run("$skip is ignored on items", func(t *testing.T) {
		a := fetch(t, srv, "web/lists/getbytitle('Declared')/items?$select=ID&$top=3&$skip=10", acceptNo)
		if got := a.itemIDs(t); !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("got %v", got)
		}
	})

	t.Run("the next link keeps the other query options", func(t *testing.T) {
		a := fetch(t, srv, "web/lists/getbytitle('Declared')/items?$select=ID,Title&$top=2&$filter="+q("Title eq 'Item 001'"), acceptNo)
		link := a.json(t)["odata.nextLink"].(string)
		want := "&%24select=ID%2cTitle&%24top=2&%24filter=Title%20eq%20%27Item%20001%27"
		if !strings.HasSuffix(link, want) {
			t.Errorf("next link %s\nwant suffix %s", link, want)
		}
	})
}

func reversed(s []int) []int { slices.Reverse(s); return s }
