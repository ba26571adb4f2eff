package sharepoint

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/go-spsql/spsql/auth"
	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// These tests run the client against the sptest emulator, which follows
// docs/sharepoint.md independently of this package: together they
// pin the client to SharePoint's behaviour, not to its own assumptions.

// emulator starts a server for site without authentication (the client
// is auth-agnostic; one test below adds the auth transport).
func emulator(t *testing.T, site sptest.Site, opts ...sptest.Option) *sptest.Server {
	t.Helper()
	srv := sptest.NewServer(site, append([]sptest.Option{sptest.WithoutAuth()}, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

func emulatorClient(t *testing.T, srv *sptest.Server, rt http.RoundTripper, opts ...Option) *Client {
	t.Helper()
	hc := srv.Client()
	if rt != nil {
		hc = &http.Client{Transport: rt}
	}
	c, err := NewClient(srv.ServiceURL(), hc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	c.retry.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return c
}

// acceptAs rewrites the Accept header, as a proxy or an older server that
// answers in another format would: the client asks for nometadata but must
// read whatever comes back.
type acceptAs struct {
	base                 http.RoundTripper
	accept, odataVersion string
}

func (a acceptAs) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept", a.accept)
	if a.odataVersion != "" {
		r.Header.Set("OData-Version", a.odataVersion)
	}
	return a.base.RoundTrip(r)
}

func readAll(t *testing.T, it *ItemIterator) [][]any {
	t.Helper()
	defer it.Close()
	var rows [][]any
	for {
		row, err := it.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

func TestEmulatorDemoMetadata(t *testing.T) {
	srv := emulator(t, sptest.DemoSite())
	c := emulatorClient(t, srv, nil)
	lists, err := c.Lists(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]List{}
	for _, l := range lists {
		titles[l.Title] = l
		if l.Hidden {
			t.Errorf("Lists returned hidden list %q", l.Title)
		}
	}
	for _, want := range []string{"Projects", "Tasks", "Employees"} {
		l, ok := titles[want]
		if !ok || l.ItemCount == 0 || l.ListItemEntityTypeFullName == "" || l.ID == "" {
			t.Errorf("list %q = %+v, want it with an item count, entity type and ID", want, l)
		}
	}
	fields, err := c.Fields(context.Background(), "tasks")
	if err != nil {
		t.Fatal(err)
	}
	byTitle := map[string]Field{}
	for _, f := range fields {
		byTitle[f.Title] = f
	}
	for title, want := range map[string]struct{ entity, typ string }{
		"Due Date":   {"DueDate", "DateTime"},
		"Project":    {"Project", "Lookup"},
		"Reviewers":  {"Reviewers", "UserMulti"},
		"Tags":       {"Tags", "MultiChoice"},
		"ID":         {"ID", "Counter"},
		"Created By": {"Author", "User"},
	} {
		f, ok := byTitle[title]
		if !ok || f.EntityPropertyName != want.entity || f.Type != want.typ {
			t.Errorf("field %q = %+v, want entity %s type %s", title, f, want.entity, want.typ)
		}
	}
	if f := byTitle["Status"]; len(f.Choices) == 0 {
		t.Error("the Status choice field has no Choices")
	}
}

// Every response format the client may meet yields the same rows.
func TestEmulatorEveryResponseFormatGivesTheSameRows(t *testing.T) {
	srv := emulator(t, sptest.DemoSite())
	q := Query{Select: []string{"ID", "Title", "Status", "Due Date", "Percent Complete", "Tags", "ProjectId", "Project/Title",
		"Reviewers/Title", "ReviewersId", "Assigned_x0020_ToId", "Assigned To/Title", "Modified"}, OrderBy: "ID"}
	base := srv.Client().Transport
	want := readAll(t, must(t)(emulatorClient(t, srv, nil, WithPageSize(37)).Items(context.Background(), "Tasks", q)))
	if len(want) < 100 {
		t.Fatalf("the demo Tasks list has %d items, want a few hundred", len(want))
	}
	for name, rt := range map[string]http.RoundTripper{
		"verbose":         acceptAs{base: base, accept: "application/json;odata=verbose"},
		"minimalmetadata": acceptAs{base: base, accept: "application/json;odata=minimalmetadata"},
		"v4 minimal":      acceptAs{base: base, accept: "application/json;odata.metadata=minimal", odataVersion: "4.0"},
		"v4 none":         acceptAs{base: base, accept: "application/json;odata.metadata=none", odataVersion: "4.0"},
	} {
		t.Run(name, func(t *testing.T) {
			got := readAll(t, must(t)(emulatorClient(t, srv, rt, WithPageSize(37)).Items(context.Background(), "Tasks", q)))
			if !reflect.DeepEqual(got, want) {
				for i := range min(len(got), len(want)) {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("row %d differs:\n got %#v\nwant %#v", i, got[i], want[i])
					}
				}
				t.Fatalf("got %d rows, want %d", len(got), len(want))
			}
		})
	}
}

// must unwraps an (iterator, error) pair, failing the test on the error.
func must(t *testing.T) func(*ItemIterator, error) *ItemIterator {
	return func(it *ItemIterator, err error) *ItemIterator {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
}

func synthetic(count int) sptest.Site {
	return sptest.Site{Lists: []sptest.List{{
		Title: "Big",
		Fields: []sptest.Field{
			{Title: "Amount", Type: "Number"},
			{Title: "Status", Type: "Choice", Choices: []string{"Open", "Closed"}},
			{Title: "Due Date", Type: "DateTime"},
		},
		Generator: sptest.Synthetic(42, count),
	}}}
}

func TestEmulatorPagingIsRowExact(t *testing.T) {
	for _, tt := range []struct {
		name          string
		top, pageSize int
		want          int
	}{
		{"every item in pages of 1000", 0, 1000, 12345},
		{"every item in SharePoint's largest pages", 0, 5000, 12345},
		{"top within the first page", 10, 1000, 10},
		{"top across pages", 2500, 1000, 2500},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A server per case: the emulator logs a request after
			// answering it, so a count taken right after the client
			// finished may miss the last one; here it is taken at the end
			// of the case, when the server has closed.
			srv := emulator(t, synthetic(12345))
			c := emulatorClient(t, srv, nil, WithPageSize(tt.pageSize))
			rows := readAll(t, must(t)(c.Items(context.Background(), "Big", Query{Select: []string{"ID", "Amount"}, Top: tt.top})))
			if len(rows) != tt.want {
				t.Fatalf("got %d rows, want %d", len(rows), tt.want)
			}
			for i, r := range rows {
				if r[0] != int64(i+1) {
					t.Fatalf("row %d has ID %v: a row was lost, repeated or reordered", i, r[0])
				}
			}
			// Fields once, then only the pages needed.
			pages := (tt.want + tt.pageSize - 1) / tt.pageSize
			if tt.top == 0 && tt.want%tt.pageSize == 0 {
				pages++
			}
			srv.Close() // waits for the handlers, and so for the log
			if n := srv.RequestCount(); n != pages+1 {
				t.Errorf("requests = %d, want %d (1 fields + %d pages)", n, pages+1, pages)
			}
			last := srv.Requests()[srv.RequestCount()-1].Query()
			if tt.top > 0 && tt.top < tt.pageSize && last.Top != strconv.Itoa(tt.top) {
				t.Errorf("$top = %s, want %d", last.Top, tt.top)
			}
		})
	}
}

func TestEmulatorErrorsMatchTheSentinels(t *testing.T) {
	srv := emulator(t, synthetic(20000))
	c := emulatorClient(t, srv, nil, WithRetries(2))
	ctx := context.Background()

	_, err := c.Fields(ctx, "Nope")
	if !errors.Is(err, ErrListNotFound) || !strings.Contains(err.Error(), "List 'Nope' does not exist at site with URL") {
		t.Errorf("unknown list: %v", err)
	}
	_, err = c.Items(ctx, "Big", Query{Select: []string{"ID", "Nope"}})
	if !errors.Is(err, ErrFieldNotFound) || !strings.Contains(err.Error(), `"Nope"`) {
		t.Errorf("unknown column in select: %v", err)
	}
	for name, q := range map[string]Query{
		"unknown column in $filter":  {Select: []string{"ID"}, Filter: "Nope eq 1"},
		"unknown column in $orderby": {Select: []string{"ID"}, OrderBy: "Nope"},
	} {
		_, err := readErr(c.Items(ctx, "Big", q))
		if !errors.Is(err, ErrFieldNotFound) {
			t.Errorf("%s: %v, want ErrFieldNotFound", name, err)
		}
	}
	// 20,000 items > the 5,000 threshold, and Amount is not indexed.
	_, err = readErr(c.Items(ctx, "Big", Query{Select: []string{"ID"}, Filter: "Amount gt 5"}))
	if !errors.Is(err, ErrViewThreshold) || !strings.Contains(err.Error(), "indexed column") {
		t.Errorf("threshold: %v, want ErrViewThreshold with advice", err)
	}
	// ID is indexed: the same list filters on it.
	rows, err := readErr(c.Items(ctx, "Big", Query{Select: []string{"ID"}, Filter: "ID gt 19990"}))
	if err != nil || rows != 10 {
		t.Errorf("ID filter on a large list: %d rows, %v", rows, err)
	}
	srv.FailNextWith(10, sptest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
	_, err = readErr(c.Items(ctx, "Big", Query{Select: []string{"ID"}, Top: 5}))
	if !errors.Is(err, ErrThrottled) {
		t.Errorf("throttling: %v, want ErrThrottled", err)
	}
}

// readErr drains an iterator, returning how many rows it gave.
func readErr(it *ItemIterator, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	defer it.Close()
	n := 0
	for {
		if _, err := it.Next(); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
		n++
	}
}

func TestEmulatorFaultsLoseAndRepeatNothing(t *testing.T) {
	for name, fault := range map[string]sptest.Fault{
		"429 with Retry-After": {Status: http.StatusTooManyRequests, RetryAfter: "3"},
		"503":                  {Status: http.StatusServiceUnavailable},
		"500":                  {Status: http.StatusInternalServerError},
		"a body cut mid-page":  {Cut: true},
		"a body cut early":     {Cut: true, CutAfterBytes: 20},
	} {
		t.Run(name, func(t *testing.T) {
			srv := emulator(t, synthetic(3000))
			c := emulatorClient(t, srv, nil, WithPageSize(500))
			if _, err := c.Fields(context.Background(), "Big"); err != nil {
				t.Fatal(err)
			}
			srv.FailRequest(3, fault) // the third page
			srv.FailRequest(5, fault) // and the fourth, after the retry
			rows := readAll(t, must(t)(c.Items(context.Background(), "Big", Query{Select: []string{"ID"}})))
			if len(rows) != 3000 {
				t.Fatalf("got %d rows, want 3000", len(rows))
			}
			for i, r := range rows {
				if r[0] != int64(i+1) {
					t.Fatalf("row %d has ID %v", i, r[0])
				}
			}
		})
	}
}

func TestEmulatorForeignNextLinkIsRefused(t *testing.T) {
	var hits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer foreign.Close()
	srv := emulator(t, synthetic(300))
	srv.SetNextLinkOrigin(foreign.URL)
	c := emulatorClient(t, srv, nil, WithPageSize(100))
	n, err := readErr(c.Items(context.Background(), "Big", Query{Select: []string{"ID"}}))
	if err == nil || !strings.Contains(err.Error(), "another origin") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if n != 100 || hits.Load() != 0 {
		t.Errorf("rows = %d, foreign requests = %d; want 100 and 0", n, hits.Load())
	}
}

// With authentication on, a refused token is refreshed once by the auth
// transport; a token SharePoint keeps refusing is ErrUnauthorized.
func TestEmulatorUnauthorized(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite())
	defer srv.Close()
	static := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "made-up", TokenType: "Bearer"})
	origin, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: auth.NewTransport(srv.Client().Transport, static, origin)}
	c, err := NewClient(srv.ServiceURL(), hc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Web(context.Background())
	var spErr *Error
	if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &spErr) || spErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("err = %v, want ErrUnauthorized (401)", err)
	}
	if strings.Contains(err.Error(), "made-up") {
		t.Error("the error shows the token")
	}
}

// Next keeps returning what ended the stream — io.EOF at the end, the
// error that stopped it, io.EOF after Close — for a plain read and for a
// read split for the lookup threshold; and every row it returned stays
// the caller's.
func TestNextKeepsReturningWhatEndedTheStream(t *testing.T) {
	for _, tc := range []struct {
		name string
		site sptest.Site
		list string
		cols []string
		fail bool
	}{
		{"plain read", ledger(250), "Ledger", []string{"ID"}, false},
		{"plain read, failing", ledger(250), "Ledger", []string{"ID"}, true},
		{"split read", wideSite(250), "Wide", wideColumns(), false},
		{"split read, failing", wideSite(250), "Wide", wideColumns(), true},
		{"closed early", ledger(250), "Ledger", []string{"ID"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator(t, tc.site)
			c := emulatorClient(t, srv, nil, WithPageSize(50))
			if _, err := c.Fields(context.Background(), tc.list); err != nil {
				t.Fatal(err)
			}
			if tc.fail {
				srv.FailRequest(3, sptest.Fault{Body: []byte(`{}`)})
			}
			it, err := c.Items(context.Background(), tc.list, Query{Select: tc.cols})
			if err != nil {
				t.Fatal(err)
			}
			defer it.Close()
			var rows [][]any
			for {
				var row []any
				if row, err = it.Next(); err != nil {
					break
				}
				if rows = append(rows, row); tc.name == "closed early" && len(rows) == 60 {
					it.Close()
				}
			}
			switch {
			case tc.fail && (err == io.EOF || !strings.Contains(err.Error(), "an empty JSON object")):
				t.Fatalf("after %d rows: %v, want the failed page's error", len(rows), err)
			case !tc.fail && err != io.EOF:
				t.Fatalf("after %d rows: %v, want io.EOF", len(rows), err)
			case !tc.fail && tc.name != "closed early" && len(rows) != 250:
				t.Fatalf("%d rows, want 250", len(rows))
			}
			for i, r := range rows {
				if r[0] != int64(i+1) {
					t.Fatalf("row %d holds ID %v: a row handed over was changed", i, r[0])
				}
			}
			for range 2 {
				if row, again := it.Next(); row != nil || again != err {
					t.Fatalf("Next after the end = %v, %v; want nil, %v", row, again, err)
				}
			}
			it.Close()
			if row, again := it.Next(); row != nil || again != err {
				t.Fatalf("Next after Close = %v, %v; want nil, %v", row, again, err)
			}
		})
	}
}

// A German site answers the same statuses and codes with German texts
// (docs/sharepoint.md §8.4): the sentinels still match, and a field error
// still names its column.
func TestEmulatorLocalizedErrorsMatchTheSentinels(t *testing.T) {
	srv := emulator(t, synthetic(10), sptest.WithLanguage("de-DE"))
	c := emulatorClient(t, srv, nil, WithRetries(2))
	ctx := context.Background()

	_, err := c.Fields(ctx, "Nope")
	if !errors.Is(err, ErrListNotFound) || !strings.Contains(err.Error(), "Die Liste 'Nope' ist in der Website") {
		t.Errorf("unknown list: %v, want ErrListNotFound with the German text", err)
	}
	_, err = readErr(c.Items(ctx, "Nope", Query{Select: []string{"ID"}}))
	if !errors.Is(err, ErrListNotFound) {
		t.Errorf("items of an unknown list: %v, want ErrListNotFound", err)
	}
	for name, q := range map[string]Query{
		"unknown column in $filter":  {Select: []string{"ID"}, Filter: "Nope eq 'Title'"},
		"unknown column in $orderby": {Select: []string{"ID"}, OrderBy: "Nope"},
	} {
		_, err := readErr(c.Items(ctx, "Big", q))
		var spErr *Error
		if !errors.Is(err, ErrFieldNotFound) || !errors.As(err, &spErr) || spErr.FieldName() != "Nope" {
			t.Errorf("%s: %v, want ErrFieldNotFound naming Nope", name, err)
		} else if !strings.Contains(spErr.Message, "Die Spalte 'Nope'") {
			t.Errorf("%s: message %q is not the German text", name, spErr.Message)
		}
	}
}
