package sptest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func TestListViewThreshold(t *testing.T) {
	site := sptest.Site{Lists: []sptest.List{
		{Title: "Big", Generator: sptest.Synthetic(5, 6000), Fields: []sptest.Field{
			{Title: "Status", Type: "Choice", Choices: []string{"New", "Done"}},
			{Title: "Region", Type: "Choice", Choices: []string{"EU", "US"}, Indexed: true},
			{Title: "Owner", Type: "User"},
		}},
		{Title: "Small", Threshold: 3, Items: []sptest.Item{{"Title": "a"}, {"Title": "b"}, {"Title": "c"}, {"Title": "d"}}},
		{Title: "Tiny", Items: []sptest.Item{{"Title": "a"}}},
	}}
	srv := sptest.NewServer(site, sptest.WithoutAuth())
	defer srv.Close()
	tests := []struct {
		name, path string
		throttled  bool
	}{
		{"a filter on a non-indexed column fails", "web/lists/getbytitle('Big')/items?$filter=" + q("Status eq 'New'"), true},
		{"$top does not rescue it", "web/lists/getbytitle('Big')/items?$top=1&$filter=" + q("Status eq 'New'"), true},
		{"sorting on a non-indexed column fails", "web/lists/getbytitle('Big')/items?$orderby=Status", true},
		{"one non-indexed clause is enough", "web/lists/getbytitle('Big')/items?$filter=" + q("ID gt 10 and Status eq 'New'"), true},
		{"a lookup projection is never indexed", "web/lists/getbytitle('Big')/items?$expand=Owner&$filter=" + q("Owner/Title eq 'Ada Lovelace'"), true},
		{"a per-list threshold applies", "web/lists/getbytitle('Small')/items?$filter=" + q("Title eq 'a'"), true},
		{"reading without a filter works", "web/lists/getbytitle('Big')/items?$top=5000", false},
		{"ID filters work", "web/lists/getbytitle('Big')/items?$filter=" + q("ID gt 10 and ID le 20"), false},
		{"ID order works", "web/lists/getbytitle('Big')/items?$orderby=ID%20desc&$top=3", false},
		{"Created is indexed", "web/lists/getbytitle('Big')/items?$top=3&$orderby=Created%20desc", false},
		{"Author is indexed", "web/lists/getbytitle('Big')/items?$filter=" + q("AuthorId eq 11"), false},
		{"an indexed custom column works", "web/lists/getbytitle('Big')/items?$filter=" + q("Region eq 'EU'"), false},
		{"lists under the threshold filter on anything", "web/lists/getbytitle('Tiny')/items?$filter=" + q("Title eq 'a'"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := fetch(t, srv, tc.path, acceptNo)
			if !tc.throttled {
				if a.status != 200 {
					t.Fatalf("HTTP %d %s", a.status, a.body)
				}
				return
			}
			code, msg := a.odataError(t)
			if a.status != 500 || code != "-2147024860, Microsoft.SharePoint.SPQueryThrottledException" ||
				msg != "The attempted operation is prohibited because it exceeds the list view threshold." {
				t.Errorf("HTTP %d %s %s", a.status, code, msg)
			}
		})
	}
	// WithThreshold changes the default.
	srv2 := sptest.NewServer(site, sptest.WithoutAuth(), sptest.WithThreshold(10000))
	defer srv2.Close()
	if a := fetch(t, srv2, tests[0].path, acceptNo); a.status != 200 {
		t.Errorf("with a 10000 threshold: HTTP %d", a.status)
	}
}

func faultSite() sptest.Site {
	var items []sptest.Item
	for range 40 {
		items = append(items, sptest.Item{"Title": strings.Repeat("x", 50)})
	}
	return sptest.Site{Lists: []sptest.List{{Title: "L", Items: items}}}
}

func TestFaults(t *testing.T) {
	srv := sptest.NewServer(faultSite())
	defer srv.Close()
	auth := "Bearer " + accessToken(t, srv)
	do := func(path string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", srv.ServiceURL()+"/_api/"+path, nil)
		req.Header.Set("Authorization", auth)
		req.Header.Set("Accept", acceptNo)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	const items = "web/lists/getbytitle('L')/items?$top=10"

	t.Run("a 429 with Retry-After seconds", func(t *testing.T) {
		srv.FailRequest(1, sptest.Fault{Status: 429, RetryAfter: "2"})
		resp, body, err := do(items)
		if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || !strings.Contains(string(body), `"odata.error"`) {
			t.Fatalf("%v HTTP %d %q %s", err, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		if resp, _, _ := do(items); resp.StatusCode != 200 {
			t.Errorf("the next request: HTTP %d", resp.StatusCode)
		}
	})
	t.Run("the nth request, with an HTTP-date", func(t *testing.T) {
		date := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).Format(http.TimeFormat)
		srv.FailRequest(2, sptest.Fault{Status: 503, RetryAfter: date})
		var got []int
		for range 3 {
			resp, _, _ := do(items)
			got = append(got, resp.StatusCode)
			if resp.StatusCode == 503 && resp.Header.Get("Retry-After") != date {
				t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
			}
		}
		if !slices.Equal(got, []int{200, 503, 200}) {
			t.Errorf("statuses %v", got)
		}
	})
	t.Run("FailNextWith fails a run of requests", func(t *testing.T) {
		srv.FailNextWith(2, sptest.Fault{Status: 500, Code: "-1, X", Message: "boom"})
		var got []int
		for range 3 {
			resp, body, _ := do(items)
			got = append(got, resp.StatusCode)
			if resp.StatusCode == 500 && !strings.Contains(string(body), "boom") {
				t.Errorf("body %s", body)
			}
		}
		if !slices.Equal(got, []int{500, 500, 200}) {
			t.Errorf("statuses %v", got)
		}
	})
	t.Run("a body cut mid-page", func(t *testing.T) {
		_, full, err := do(items)
		if err != nil {
			t.Fatal(err)
		}
		srv.FailRequest(1, sptest.Fault{Cut: true, CutAfterBytes: 100})
		resp, part, err := do(items)
		if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("reading a cut body: %v", err)
		}
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(full)) || len(part) != 100 || string(part) != string(full[:100]) {
			t.Errorf("HTTP %d length %d, got %d bytes %q", resp.StatusCode, resp.ContentLength, len(part), part)
		}
		if _, again, err := do(items); err != nil || string(again) != string(full) {
			t.Errorf("after the cut: %v", err)
		}
	})
	t.Run("latency delays but does not fail", func(t *testing.T) {
		srv.SetLatency(time.Millisecond)
		srv.FailRequest(1, sptest.Fault{Latency: time.Millisecond})
		if resp, _, err := do(items); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v", err)
		}
		srv.SetLatency(0)
	})
	t.Run("a client giving up during latency", func(t *testing.T) {
		// A server of its own: if the request never got there, Close still
		// ends everything.
		slow := sptest.NewServer(faultSite(), sptest.WithoutAuth())
		defer slow.Close()
		slow.FailNextWith(5, sptest.Fault{Latency: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", slow.ServiceURL()+"/_api/"+items, nil)
		if resp, err := slow.Client().Do(req); err == nil {
			resp.Body.Close()
			t.Fatal("a request delayed by an hour succeeded")
		}
	})
	t.Run("next links can point elsewhere", func(t *testing.T) {
		srv.SetNextLinkOrigin("http://127.0.0.1:9")
		defer srv.SetNextLinkOrigin("")
		_, body, _ := do(items)
		if !strings.Contains(string(body), `"odata.nextLink":"http://127.0.0.1:9/sites/demo/_api/`) {
			t.Errorf("body %.200s", body)
		}
	})
}

func TestRequestLogDecodesQueryOptions(t *testing.T) {
	srv := sptest.NewServer(faultSite(), sptest.WithoutAuth())
	defer srv.Close()
	fetch(t, srv, "web/lists/getbytitle('L')/items?$select=ID,Title&$filter="+q("Title eq 'O''Neil & Co'")+"&$orderby=ID%20desc&$top=5&$expand=Author", acceptVerbose)
	reqs := srv.Requests()
	got := reqs[len(reqs)-1]
	want := sptest.QueryOptions{Select: "ID,Title", Filter: "Title eq 'O''Neil & Co'", OrderBy: "ID desc", Top: "5", Expand: "Author"}
	if got.Query() != want || got.Accept != acceptVerbose || got.Status != 200 {
		t.Errorf("logged %+v %+v", got, got.Query())
	}
	walk(t, srv, "web/lists/getbytitle('L')/items?$top=30&$select=ID", acceptNo)
	reqs = srv.Requests()
	if tok := reqs[len(reqs)-1].Query().SkipToken; tok != "Paged=TRUE&p_ID=30" {
		t.Errorf("skiptoken %q", tok)
	}
}
