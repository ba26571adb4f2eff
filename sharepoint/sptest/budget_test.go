package sptest_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// fakeClock is a Budget.Now that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func budgetSite() sptest.Site {
	var items []sptest.Item
	for i := range 10 {
		items = append(items, sptest.Item{"Title": fmt.Sprint("t", i)})
	}
	return sptest.Site{Lists: []sptest.List{{Title: "Log", Items: items}}}
}

// postBatch sends a $batch of n item creations to the list "Log".
func postBatch(t *testing.T, srv *sptest.Server, n int) answer {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("--batch_x\r\nContent-Type: multipart/mixed; boundary=changeset_x\r\n\r\n")
	for i := range n {
		fmt.Fprintf(&b, "--changeset_x\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"+
			"POST %s/_api/web/lists/getbytitle('Log')/items HTTP/1.1\r\nContent-Type: application/json;odata=verbose\r\n\r\n"+
			`{"__metadata":{"type":"SP.Data.LogListItem"},"Title":"b%d"}`+"\r\n", srv.ServiceURL(), i)
	}
	b.WriteString("--changeset_x--\r\n--batch_x--\r\n")
	req, err := http.NewRequest(http.MethodPost, srv.ServiceURL()+"/_api/$batch", &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "multipart/mixed; boundary=batch_x")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, body}
}

// TestBudgetCostsAndThrottling: each request kind costs what Budget
// says, a request beyond the window's budget is answered 429 with a
// Retry-After naming the window's end (and still counted), and the next
// window starts afresh.
func TestBudgetCostsAndThrottling(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv := sptest.NewServer(budgetSite(), sptest.WithoutAuth(),
		sptest.WithBudget(sptest.Budget{RU: 20, Window: 10 * time.Second, Now: clock.Now}))
	defer srv.Close()

	steps := []struct {
		do   func() answer
		cost int
	}{
		{func() answer { return fetch(t, srv, "web", acceptNo) }, 1},                                  // one entity
		{func() answer { return fetch(t, srv, "web/lists/getbytitle('Log')", acceptNo) }, 1},          // one list
		{func() answer { return fetch(t, srv, "web/lists/getbytitle('Log')/items(1)", acceptNo) }, 1}, // one item
		{func() answer { return fetch(t, srv, "web/lists/getbytitle('Log')/items", acceptNo) }, 2},    // a page
		{func() answer { return fetch(t, srv, "web/lists", acceptNo) }, 2},                            // metadata collection
		{func() answer { return fetch(t, srv, "web/lists/getbytitle('Log')/fields", acceptNo) }, 2},   // metadata collection
		{func() answer { a, _ := postItem(srv, "one"); return a }, 2},                                 // a write
		{func() answer { return postBatch(t, srv, 4) }, 8},                                            // 4 parts
	}
	total := 0
	for i, s := range steps {
		clock.Advance(100 * time.Millisecond)
		a := s.do()
		if a.status >= 300 {
			t.Fatalf("step %d: HTTP %d %s", i, a.status, a.body)
		}
		total += s.cost
		if got := srv.Requests()[i].Cost; got != s.cost {
			t.Errorf("step %d cost %d RU, want %d", i, got, s.cost)
		}
		if a.header.Get("RateLimit-Limit") != "" {
			t.Errorf("step %d: RateLimit headers sent to a delegated token", i)
		}
	}
	if total != 19 {
		t.Fatalf("test set-up: %d RU spent, want 19", total)
	}
	// 19 of 20 spent: a page (2) goes beyond.
	clock.Advance(1500 * time.Millisecond) // 2.3 s into the window
	a := fetch(t, srv, "web/lists/getbytitle('Log')/items", acceptNo)
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") != "8" {
		t.Fatalf("beyond the budget: HTTP %d, Retry-After %q; want 429 after 8 s (the window's end, rounded up)", a.status, a.header.Get("Retry-After"))
	}
	if code, _ := a.odataError(t); !strings.Contains(code, "SPServerTooBusyException") {
		t.Errorf("429 code %q", code)
	}
	// Even a 1-RU read is refused now: the throttled request counted.
	if a := fetch(t, srv, "web", acceptNo); a.status != http.StatusTooManyRequests {
		t.Errorf("after a throttled request: HTTP %d, want 429", a.status)
	}
	th := srv.ThrottledRequests()
	if len(th) != 2 || !th[0].Throttled || th[0].Cost != 2 || th[1].Cost != 1 {
		t.Errorf("ThrottledRequests = %+v, want the page and the read", th)
	}
	if st := srv.BudgetStats(); st.Requests != 10 || st.Throttled != 2 || st.RU != 22 || st.Windows != 1 {
		t.Errorf("BudgetStats = %+v", st)
	}
	clock.Advance(8 * time.Second) // the next window
	if a := fetch(t, srv, "web/lists/getbytitle('Log')/items", acceptNo); a.status != http.StatusOK {
		t.Errorf("in the next window: HTTP %d, want 200", a.status)
	}
	if st := srv.BudgetStats(); st.Windows != 2 {
		t.Errorf("BudgetStats.Windows = %d, want 2", st.Windows)
	}
}

// TestBudgetRateLimitHeaders: with headers on (application permissions),
// answers carry RateLimit-* from 80% of the window's budget on, the 429
// too; before 80% none.
func TestBudgetRateLimitHeaders(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv := sptest.NewServer(budgetSite(), sptest.WithoutAuth(),
		sptest.WithBudget(sptest.Budget{RU: 10, Window: 60 * time.Second, Now: clock.Now, RateLimitHeaders: sptest.AlwaysRateLimitHeaders}))
	defer srv.Close()
	page := "web/lists/getbytitle('Log')/items"
	for i, want := range []struct {
		status          int
		remaining, rest string
	}{
		{200, "", ""}, {200, "", ""}, {200, "", ""}, // 2, 4, 6 RU: below 80%
		{200, "2", "60"}, // 8 RU: 80%
		{200, "0", "60"}, // 10 RU
		{429, "0", "60"}, // 12 RU, throttled
	} {
		a := fetch(t, srv, page, acceptNo)
		h := a.header
		if a.status != want.status || h.Get("RateLimit-Remaining") != want.remaining || h.Get("RateLimit-Reset") != want.rest {
			t.Errorf("request %d: HTTP %d, RateLimit-Limit %q, -Remaining %q, -Reset %q; want %d, remaining %q, reset %q",
				i+1, a.status, h.Get("RateLimit-Limit"), h.Get("RateLimit-Remaining"), h.Get("RateLimit-Reset"), want.status, want.remaining, want.rest)
		}
		if want.remaining != "" && h.Get("RateLimit-Limit") != "10" {
			t.Errorf("request %d: RateLimit-Limit %q, want 10", i+1, h.Get("RateLimit-Limit"))
		}
	}
}

// TestBudgetOffByDefault: without WithBudget nothing is throttled or
// charged.
func TestBudgetOffByDefault(t *testing.T) {
	srv := sptest.NewServer(budgetSite(), sptest.WithoutAuth())
	defer srv.Close()
	for range 50 {
		if a := fetch(t, srv, "web/lists/getbytitle('Log')/items", acceptNo); a.status != http.StatusOK {
			t.Fatalf("HTTP %d without a budget", a.status)
		}
	}
	if st := srv.BudgetStats(); st != (sptest.BudgetStats{}) || srv.Requests()[0].Cost != 0 {
		t.Errorf("BudgetStats = %+v without a budget", st)
	}
}

// TestBudgetServiceTime: with ServiceTimePerItem, a page of items is held
// back in proportion to its items, while an answer without items is not.
func TestBudgetServiceTime(t *testing.T) {
	srv := sptest.NewServer(budgetSite(), sptest.WithoutAuth(),
		sptest.WithBudget(sptest.Budget{RU: 1000, ServiceTimePerItem: time.Hour}))
	defer srv.Close()
	if a := fetch(t, srv, "web/lists/getbytitle('Log')", acceptNo); a.status != http.StatusOK {
		t.Fatalf("HTTP %d", a.status)
	}
	client := *srv.Client()
	client.Timeout = 100 * time.Millisecond
	resp, err := client.Get(srv.ServiceURL() + "/_api/web/lists/getbytitle('Log')/items")
	if err == nil {
		resp.Body.Close()
		t.Fatal("a page of 10 items at an hour each was answered at once")
	}
}
