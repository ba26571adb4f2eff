package sptest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// The hostile server's faults do what their documentation says, in every
// response format where a format matters.
func TestHostileFaults(t *testing.T) {
	srv := sptest.NewServer(faultSite(), sptest.WithoutAuth())
	defer srv.Close()
	const items = "web/lists/getbytitle('L')/items?$select=ID&$top=10"

	t.Run("a body in place of the answer", func(t *testing.T) {
		srv.FailRequest(1, sptest.Fault{Body: []byte(`{}`)})
		if a := fetch(t, srv, items, acceptNo); a.status != 200 || string(a.body) != `{}` {
			t.Errorf("HTTP %d %s", a.status, a.body)
		}
		if a := fetch(t, srv, items, acceptNo); len(a.itemIDs(t)) != 10 {
			t.Errorf("the next request: %s", a.body)
		}
		reqs := srv.Requests()
		if !reqs[len(reqs)-2].Faulted || reqs[len(reqs)-1].Faulted {
			t.Errorf("the log does not say which request was faulted: %+v", reqs[len(reqs)-2:])
		}
	})

	t.Run("an empty page with a new next link", func(t *testing.T) {
		for _, accept := range []string{acceptNo, acceptMinimal, acceptVerbose, acceptV4} {
			srv.FailNextWith(2, sptest.Fault{EmptyPage: true})
			first := fetch(t, srv, items, accept)
			rows, next := page(t, first)
			if first.status != 200 || rows != 0 || !strings.HasPrefix(next, srv.ServiceURL()+"/_api/") || !strings.Contains(next, "sptestEmpty=") {
				t.Fatalf("%s: HTTP %d %s", accept, first.status, first.body)
			}
			second := fetch(t, srv, next, accept)
			rows, next2 := page(t, second)
			if rows != 0 || next2 == next || !strings.Contains(next2, "sptestEmpty=") {
				t.Fatalf("%s: the second empty page %s", accept, second.body)
			}
			// The link, followed once the fault is spent, is the request.
			if rows, _ := page(t, fetch(t, srv, next2, accept)); rows != 10 {
				t.Errorf("%s: following the link gave %d items, want 10", accept, rows)
			}
		}
	})

	t.Run("a next link back to the request", func(t *testing.T) {
		for _, accept := range []string{acceptNo, acceptVerbose, acceptV4} {
			srv.FailRequest(1, sptest.Fault{SelfNextLink: true})
			a := fetch(t, srv, items, accept)
			rows, next := page(t, a)
			if rows != 10 || next != srv.ServiceURL()+"/_api/"+items {
				t.Errorf("%s: %d items, next link %q", accept, rows, next)
			}
		}
		srv.FailRequest(1, sptest.Fault{SelfNextLink: true})
		a := fetch(t, srv, "web/lists/getbytitle('L')/fields", acceptNo)
		if _, next := page(t, a); !strings.HasSuffix(next, "/fields") {
			t.Errorf("fields: next link %q", next)
		}
	})

	t.Run("more items than $top", func(t *testing.T) {
		srv.FailRequest(1, sptest.Fault{ExtraItems: 5})
		if n := len(fetch(t, srv, items, acceptNo).itemIDs(t)); n != 15 {
			t.Errorf("%d items for $top=10, want 15", n)
		}
	})

	t.Run("a padded answer", func(t *testing.T) {
		const pad = 3 << 20
		srv.FailRequest(1, sptest.Fault{PadBytes: pad})
		a := fetch(t, srv, items, acceptNo)
		normal := fetch(t, srv, items, acceptNo)
		if len(a.body) != len(normal.body)+pad || a.header.Get("Content-Length") != "" {
			t.Fatalf("%d bytes, want %d (Content-Length %q)", len(a.body), len(normal.body)+pad, a.header.Get("Content-Length"))
		}
		if len(a.itemIDs(t)) != 10 {
			t.Errorf("the padded answer is not the page: %.200s", a.body)
		}
	})

	t.Run("redirects", func(t *testing.T) {
		var mu sync.Mutex
		var foreign []string
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			foreign = append(foreign, r.URL.RequestURI())
			mu.Unlock()
			_, _ = io.WriteString(w, `{"value":[]}`)
		}))
		defer other.Close()
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest("GET", srv.ServiceURL()+"/_api/"+items, nil)
		srv.FailRequest(1, sptest.Fault{RedirectTo: other.URL, RedirectStatus: http.StatusFound})
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != other.URL+req.URL.RequestURI() {
			t.Errorf("HTTP %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		// A redirect within the origin is answered normally once followed.
		srv.FailRequest(1, sptest.Fault{RedirectTo: srv.URL})
		if a := fetch(t, srv, items, acceptNo); a.status != 200 || len(a.itemIDs(t)) != 10 {
			t.Errorf("same-origin redirect: HTTP %d %s", a.status, a.body)
		}
		// Followed to the other origin, the request arrives there.
		srv.FailRequest(1, sptest.Fault{RedirectTo: other.URL})
		a := fetch(t, srv, items, acceptNo)
		mu.Lock()
		defer mu.Unlock()
		if a.status != 200 || len(foreign) != 1 || !strings.HasSuffix(foreign[0], "/items?$select=ID&$top=10") {
			t.Errorf("foreign redirect: HTTP %d, the other origin got %q", a.status, foreign)
		}
	})
}

// page returns how many items a collection answer holds and its next link,
// in any format.
func page(t *testing.T, a answer) (int, string) {
	t.Helper()
	var p struct {
		Value  []json.RawMessage `json:"value"`
		Next   string            `json:"odata.nextLink"`
		NextV4 string            `json:"@odata.nextLink"`
		D      struct {
			Results []json.RawMessage `json:"results"`
			Next    string            `json:"__next"`
		} `json:"d"`
	}
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatalf("%v: %.300s", err, a.body)
	}
	return len(p.Value) + len(p.D.Results), p.Next + p.NextV4 + p.D.Next
}
