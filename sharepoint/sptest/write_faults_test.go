package sptest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// postItem creates an item in the list "Log" as a client would, and
// returns the answer (a redirect is not followed) or the transport's
// error.
func postItem(srv *sptest.Server, title string) (answer, error) {
	body := fmt.Sprintf(`{"__metadata":{"type":"SP.Data.LogListItem"},"Title":%q}`, title)
	req, err := http.NewRequest(http.MethodPost, srv.ServiceURL()+"/_api/web/lists/getbytitle('Log')/items", strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/json;odata=verbose")
	req.Header.Set("Accept", acceptNo)
	client := *srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}, err
}

// titles returns the titles of the list "Log".
func titles(t *testing.T, srv *sptest.Server) string {
	t.Helper()
	a := fetch(t, srv, "web/lists/getbytitle('Log')/items?$select=Title&$orderby=ID", acceptNo)
	var out []string
	for _, row := range a.json(t)["value"].([]any) {
		out = append(out, row.(map[string]any)["Title"].(string))
	}
	return strings.Join(out, ",")
}

// TestWriteFaultsApplyOrNot: each fault that breaks a write says by its
// fields whether the write reaches the site, and the list shows it.
func TestWriteFaultsApplyOrNot(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fault      sptest.Fault
		status     int    // the answer's status; 0: the connection drops
		body       string // part of the answer's body
		location   string
		applied    bool
		loggedWith int // the request log's Status
	}{
		{"gateway 502 without forwarding", sptest.Fault{Status: 502, Gateway: true, GatewayBody: "<html>Bad Gateway</html>"}, 502, "<html>Bad Gateway</html>", "", false, 502},
		{"gateway forwards, then 504 with no body", sptest.Fault{Forward: true, Status: 504, Gateway: true}, 504, "", "", true, 504},
		{"SharePoint's own 500", sptest.Fault{Status: 500}, 500, `"odata.error"`, "", false, 500},
		{"a redirect", sptest.Fault{Status: 302, Gateway: true, Location: "https://login.example.com/"}, 302, "", "https://login.example.com/", false, 302},
		{"reset before the body is read", sptest.Fault{Reset: true}, 0, "", "", false, 0},
		{"reset after the site served it", sptest.Fault{Forward: true, Reset: true}, 0, "", "", true, 0},
		{"forwarded, answered late", sptest.Fault{Forward: true, Latency: 1}, 201, `"ID":1`, "", true, 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Log"}}}, sptest.WithoutAuth())
			defer srv.Close()
			srv.FailRequest(1, tc.fault)
			a, err := postItem(srv, "x")
			switch {
			case tc.status == 0 && err == nil:
				t.Fatalf("HTTP %d, want the connection dropped", a.status)
			case tc.status != 0 && err != nil:
				t.Fatal(err)
			case a.status != tc.status || !strings.Contains(string(a.body), tc.body) || (tc.body == "" && len(a.body) != 0):
				t.Errorf("HTTP %d %q, want %d with %q", a.status, a.body, tc.status, tc.body)
			case a.header.Get("Location") != tc.location:
				t.Errorf("Location %q, want %q", a.header.Get("Location"), tc.location)
			}
			if got := srv.Requests()[0].Status; got != tc.loggedWith {
				t.Errorf("the request log says %d, want %d", got, tc.loggedWith)
			}
			if got := srv.Received(); len(got) != 1 || got[0].Method != http.MethodPost || got[0].Status != 0 {
				t.Errorf("Received = %+v, want the POST, before its answer", got)
			}
			want := ""
			if tc.applied {
				want = "x"
			}
			if got := titles(t, srv); got != want {
				t.Errorf("the list holds %q, want %q", got, want)
			}
		})
	}
}

func TestClearFaults(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Log"}}}, sptest.WithoutAuth())
	defer srv.Close()
	srv.FailRequest(1, sptest.Fault{Status: 500})
	srv.FailNextWith(3, sptest.Fault{Status: 503})
	srv.FailNext(2, 502)
	srv.ClearFaults()
	if a, err := postItem(srv, "x"); err != nil || a.status != http.StatusCreated {
		t.Fatalf("HTTP %d, %v after ClearFaults, want 201", a.status, err)
	}
}

// A client that gives up during a Fault's Latency gets no answer: the
// connection is dropped, never closed with an empty 200 that a client
// still reading could take for a success.
func TestLatencyAbandonedByTheClientIsNotAnswered(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Log"}}}, sptest.WithoutAuth())
	srv.FailRequest(1, sptest.Fault{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(srv.Received()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel() // the request is being held: give up on it
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.ServiceURL()+"/_api/web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("HTTP %d, want the request given up", resp.StatusCode)
	}
	srv.Close() // waits for the held request's handler
	if got := srv.Requests(); len(got) != 1 || got[0].Status != 0 {
		t.Errorf("the request log says %+v, want the request dropped (Status 0)", got)
	}
}
