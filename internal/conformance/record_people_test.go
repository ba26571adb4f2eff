package conformance_test

import (
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
