package sptest_test

import (
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// On a list above the threshold, indexed columns are not enough: the
// filter's first condition must itself match no more than 5,000 items
// (docs/sharepoint.md §9.1).
func TestListViewThresholdFirstClauseMustNarrow(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{
		{Title: "Big", Generator: sptest.Synthetic(5, 6000), Fields: []sptest.Field{
			{Title: "Region", Type: "Choice", Choices: []string{"EU", "US"}, Indexed: true},
		}},
	}}, sptest.WithoutAuth())
	defer srv.Close()
	for _, tc := range []struct {
		filter    string
		throttled bool
	}{
		{"Region ne 'zzz'", true},                           // every item matches
		{"Region gt 'A'", true},                             // every item matches
		{"Created gt datetime'2000-01-01T00:00:00Z'", true}, // every item matches
		{"Region eq 'EU' or Region eq 'US'", true},          // one condition, every item
		{"Region ne 'zzz' and ID le 10", true},              // the first condition decides
		{"Region eq 'EU'", false},                           // about half
		{"Region eq 'EU' and Created gt datetime'2000-01-01T00:00:00Z'", false},
		{"ID le 5000 and Region ne 'zzz'", false}, // ID first: allowed
		{"ID ge 1 and ID le 5000", false},         // the driver's ID slices
	} {
		a := fetch(t, srv, "web/lists/getbytitle('Big')/items?$top=1&$filter="+q(tc.filter), acceptNo)
		if !tc.throttled {
			if a.status != 200 {
				t.Errorf("%s: HTTP %d %s, want 200", tc.filter, a.status, a.body)
			}
			continue
		}
		code, _ := a.odataError(t)
		if a.status != 500 || code != "-2147024860, Microsoft.SharePoint.SPQueryThrottledException" {
			t.Errorf("%s: HTTP %d %s, want 500 SPQueryThrottledException", tc.filter, a.status, a.body)
		}
	}
}

// The threshold is a number of items a query may touch: a first condition
// matching exactly the threshold passes, one item more is refused
// (docs/sharepoint.md §9.1).
func TestListViewThresholdFirstClauseBoundary(t *testing.T) {
	items := []sptest.Item{{"Region": "EU"}, {"Region": "EU"}, {"Region": "EU"}, {"Region": "EU"}, {"Region": "US"}}
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{
		{Title: "Five", Threshold: 4, Items: items, Fields: []sptest.Field{
			{Title: "Region", Type: "Choice", Choices: []string{"EU", "US"}, Indexed: true},
		}},
	}}, sptest.WithoutAuth())
	defer srv.Close()
	if a := fetch(t, srv, "web/lists/getbytitle('Five')/items?$filter="+q("Region eq 'EU'"), acceptNo); a.status != 200 {
		t.Errorf("first condition matching exactly the threshold (4 items): HTTP %d %s, want 200", a.status, a.body)
	}
	a := fetch(t, srv, "web/lists/getbytitle('Five')/items?$filter="+q("Region ne 'zzz'"), acceptNo)
	if code, _ := a.odataError(t); a.status != 500 || code != "-2147024860, Microsoft.SharePoint.SPQueryThrottledException" {
		t.Errorf("first condition matching threshold+1 items: HTTP %d %s, want 500 SPQueryThrottledException", a.status, a.body)
	}
}
