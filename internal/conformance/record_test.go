package conformance_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/internal/conformance"
)

// The people in person columns — named by the field definitions seen
// before, in any of SharePoint's JSON forms, single or multi, in a $batch
// answer too — are scrubbed from the recording; other values are kept.
func TestRecorderScrubsPeople(t *testing.T) {
	answers := map[string]string{
		"/fields": `{"d":{"results":[{"InternalName":"Owner","TypeAsString":"User"},{"InternalName":"Crew","TypeAsString":"UserMulti"},{"InternalName":"Ref","TypeAsString":"Lookup"}]}}`,
		"/items": `{"d":{"results":[{"Owner":{"__metadata":{"type":"SP.Data.UserInfoItem"},"Title":"Ann Lee","EMail":"ann.lee@corp.example"},` +
			`"Crew":{"results":[{"Title":"Bo Dahl","Name":"i:0#.f|membership|bo@corp.example"}]},"Ref":{"Title":"Kept lookup"}}]}}`,
		"/$batch": "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" +
			`{"value":[{"Crew":[{"Title":"Cy Moss"}],"Author":{"Title":"Di Wren"}}]}` + "\r\n--b--\r\n",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for suffix, body := range answers {
			if strings.HasSuffix(r.URL.Path, suffix) {
				w.Write([]byte(body))
				return
			}
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	rec, err := conformance.NewRecorder(dir, http.DefaultTransport, nil, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: rec}
	for _, p := range []string{"/fields", "/items", "/$batch"} {
		resp, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var all strings.Builder
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, s := range []string{"Ann Lee", "ann.lee@corp.example", "Bo Dahl", "bo@corp.example", "Cy Moss", "Di Wren"} {
		if strings.Contains(all.String(), s) {
			t.Errorf("the recording names %q", s)
		}
	}
	if !strings.Contains(all.String(), "Kept lookup") {
		t.Error("a lookup's value was scrubbed too")
	}
}

type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

// An exchange that got no answer (a timeout, a reset connection, a
// request cancelled in flight) is recorded too, with its error scrubbed:
// such failures are what a bug report is about. Replay passes over it.
func TestRecorderKeepsFailedExchanges(t *testing.T) {
	dir := t.TempDir()
	const secret = "s3cret-refresh-token-value"
	rec, err := conformance.NewRecorder(dir, failingTransport{errors.New("dial tcp: connection reset; refresh_token=" + secret)}, []string{secret}, "https://contoso.sharepoint.com/sites/x")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://contoso.sharepoint.com/sites/x/_api/web/lists", nil)
	if _, err := rec.RoundTrip(req); err == nil {
		t.Fatal("the transport's error was not returned")
	}
	r, err := conformance.LoadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Exchanges) != 1 || rec.Count() != 1 {
		t.Fatalf("%d exchanges recorded (Count %d), want the failed one", len(r.Exchanges), rec.Count())
	}
	ex := r.Exchanges[0]
	if !strings.Contains(ex.Error, "connection reset") || strings.Contains(ex.Error, secret) || ex.Response.Status != 0 {
		t.Errorf("recorded error %q, status %d", ex.Error, ex.Response.Status)
	}
	if !strings.Contains(ex.Request.URL, conformance.ScrubbedHost) {
		t.Errorf("request URL %q", ex.Request.URL)
	}
	diffs, err := conformance.Replay(r, "http://127.0.0.1:1", &http.Client{Transport: failingTransport{errors.New("must not be sent")}})
	if err != nil || len(diffs) != 0 {
		t.Errorf("replay of a failed exchange: %v %v", diffs, err)
	}
}

// A recording is for people to read: &, < and > are written as they are,
// not as \u0026, \u003c and \u003e.
func TestRecordingIsWrittenReadably(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"SchemaXml":"<Field Name=\"A&B\"/>"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	rec, err := conformance.NewRecorder(dir, http.DefaultTransport, nil, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: rec}).Get(srv.URL + "/items?$select=A&$top=2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	b, err := os.ReadFile(filepath.Join(dir, "0001.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`$select=A&$top=2`, `<Field Name=`, `A&B`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the file lacks %s:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), `\u00`) {
		t.Errorf("the file escapes characters it need not:\n%s", b)
	}
}
