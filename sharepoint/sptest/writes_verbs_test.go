package sptest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

func logSite() sptest.Site {
	return sptest.Site{Lists: []sptest.List{{Title: "Log", Items: []sptest.Item{{"Title": "one"}, {"Title": "two"}}}}}
}

// send makes one request to a site _api path with a body.
func send(t *testing.T, srv *sptest.Server, method, path, body string, headers map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, srv.ServiceURL()+"/_api/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// A create answers 201 with the whole new item, as a GET of it gives it,
// and its ETag (docs/sharepoint.md §11.1).
func TestCreateAnswersTheWholeItem(t *testing.T) {
	srv := sptest.NewServer(logSite(), sptest.WithoutAuth())
	defer srv.Close()
	a, err := postItem(srv, "three") // Accept: nometadata
	if err != nil {
		t.Fatal(err)
	}
	if a.status != http.StatusCreated || a.header.Get("ETag") != `"1"` {
		t.Fatalf("HTTP %d ETag %q %s, want 201 with ETag \"1\"", a.status, a.header.Get("ETag"), a.body)
	}
	item := a.json(t)
	id, _ := item["ID"].(float64)
	if id != 3 || item["Id"] != id || item["Title"] != "three" || item["Created"] == nil || item["AuthorId"] == nil {
		t.Fatalf("created item %s", a.body)
	}
	got := fetch(t, srv, "web/lists/getbytitle('Log')/items(3)", acceptNo)
	if g, w := keys(item), keys(got.json(t)); !slices.Equal(g, w) {
		t.Errorf("the create's answer has %v, a GET of the item %v", g, w)
	}
	a = send(t, srv, "POST", "web/lists/getbytitle('Log')/items", `{"__metadata":{"type":"SP.Data.LogListItem"},"Title":"v"}`,
		map[string]string{"Content-Type": "application/json;odata=verbose", "Accept": acceptVerbose})
	var v struct {
		D struct {
			Metadata struct{ Etag, Type string } `json:"__metadata"`
			Title    string
		} `json:"d"`
	}
	if err := json.Unmarshal(a.body, &v); err != nil || a.status != 201 || v.D.Title != "v" || v.D.Metadata.Type != "SP.Data.LogListItem" || v.D.Metadata.Etag != `"1"` {
		t.Errorf("verbose create: HTTP %d %s", a.status, a.body)
	}
}

// PATCH, MERGE and DELETE sent as themselves do what POST with
// X-HTTP-Method does (docs/sharepoint.md §11.1).
func TestItemVerbsWithoutTunnelling(t *testing.T) {
	srv := sptest.NewServer(logSite(), sptest.WithoutAuth())
	defer srv.Close()
	h := map[string]string{"Content-Type": "application/json;odata=verbose", "Accept": acceptNo, "IF-MATCH": "*"}
	body := `{"__metadata":{"type":"SP.Data.LogListItem"},"Title":"%s"}`
	if a := send(t, srv, "PATCH", "web/lists/getbytitle('Log')/items(1)", fmt.Sprintf(body, "patched"), h); a.status != http.StatusNoContent || a.header.Get("ETag") != `"2"` {
		t.Fatalf("PATCH: HTTP %d ETag %q %s, want 204 with ETag \"2\"", a.status, a.header.Get("ETag"), a.body)
	}
	if a := send(t, srv, "MERGE", "web/lists/getbytitle('Log')/items(2)", fmt.Sprintf(body, "merged"), h); a.status != http.StatusNoContent {
		t.Fatalf("MERGE: HTTP %d %s, want 204", a.status, a.body)
	}
	if got := titles(t, srv); got != "patched,merged" {
		t.Fatalf("titles after the updates = %q", got)
	}
	if a := send(t, srv, "DELETE", "web/lists/getbytitle('Log')/items(1)", "", h); a.status != http.StatusOK {
		t.Fatalf("DELETE: HTTP %d %s, want 200", a.status, a.body)
	}
	if got := titles(t, srv); got != "merged" {
		t.Fatalf("titles after the delete = %q", got)
	}
	// A stale ETag is refused whichever verb carries it.
	h["IF-MATCH"] = `"1"`
	if a := send(t, srv, "PATCH", "web/lists/getbytitle('Log')/items(2)", fmt.Sprintf(body, "x"), h); a.status != http.StatusPreconditionFailed {
		t.Errorf("PATCH with a stale ETag: HTTP %d, want 412", a.status)
	}
}

// A changeset's request line may be MERGE (or PATCH, DELETE) itself, as
// well as POST with X-HTTP-Method (docs/sharepoint.md §11.3).
func TestBatchAcceptsMergeRequestLines(t *testing.T) {
	srv := sptest.NewServer(logSite(), sptest.WithoutAuth())
	defer srv.Close()
	item := func(id int) string {
		return fmt.Sprintf("%s/_api/web/lists/getbytitle('Log')/items(%d)", srv.ServiceURL(), id)
	}
	part := func(line, body string) string {
		return "--changeset_c\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n" + line +
			" HTTP/1.1\r\nContent-Type: application/json;odata=verbose\r\nAccept: application/json;odata=nometadata\r\nIF-MATCH: *\r\n\r\n" + body + "\r\n"
	}
	changes := part("MERGE "+item(1), `{"__metadata":{"type":"SP.Data.LogListItem"},"Title":"merged"}`) +
		part("PATCH "+item(2), `{"__metadata":{"type":"SP.Data.LogListItem"},"Title":"patched"}`) +
		"--changeset_c--\r\n"
	batch := "--batch_b\r\nContent-Type: multipart/mixed; boundary=changeset_c\r\n\r\n" + changes + "--batch_b--\r\n"
	a := send(t, srv, "POST", "$batch", batch, map[string]string{"Content-Type": "multipart/mixed; boundary=batch_b", "Accept": acceptNo})
	if a.status != http.StatusOK {
		t.Fatalf("batch: HTTP %d %s", a.status, a.body)
	}
	if n := strings.Count(string(a.body), "HTTP/1.1 204 No Content"); n != 2 {
		t.Errorf("%d parts answered 204, want 2:\n%s", n, a.body)
	}
	if got := titles(t, srv); got != "merged,patched" {
		t.Errorf("titles after the batch = %q", got)
	}
}

// A MultiChoice (or other multi-value) column given a plain string is
// refused with the OData reader's error, as SharePoint does: an object is
// expected in verbose, an array in JSON light (docs/sharepoint.md §11.2).
func TestMultiValueGivenAStringIsTheODataReadersError(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Tags", Fields: []sptest.Field{
		{Title: "Colours", Type: "MultiChoice", Choices: []string{"A", "B"}},
	}}}}, sptest.WithoutAuth())
	defer srv.Close()
	for _, tc := range []struct{ contentType, body, want string }{
		{"application/json;odata=verbose", `{"__metadata":{"type":"SP.Data.TagsListItem"},"Colours":"A;#B"}`, "StartObject"},
		{"application/json;odata=nometadata", `{"Colours":"A;#B"}`, "StartArray"},
	} {
		a := send(t, srv, "POST", "web/lists/getbytitle('Tags')/items", tc.body, map[string]string{"Content-Type": tc.contentType, "Accept": acceptNo})
		code, msg := a.odataError(t)
		want := "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A '" + tc.want + "' node was expected."
		if a.status != http.StatusBadRequest || code != "-1, Microsoft.SharePoint.Client.InvalidClientQueryException" || msg != want {
			t.Errorf("%s: HTTP %d %q %q, want 400 %q", tc.contentType, a.status, code, msg, want)
		}
	}
	// The documented shapes are accepted.
	for _, tc := range []struct{ contentType, body string }{
		{"application/json;odata=verbose", `{"__metadata":{"type":"SP.Data.TagsListItem"},"Colours":{"__metadata":{"type":"Collection(Edm.String)"},"results":["A","B"]}}`},
		{"application/json;odata=nometadata", `{"Colours":["A"]}`},
		{"application/json;odata=nometadata", `{"Colours":null}`}, // empty (docs/sharepoint.md §15)
	} {
		if a := send(t, srv, "POST", "web/lists/getbytitle('Tags')/items", tc.body, map[string]string{"Content-Type": tc.contentType, "Accept": acceptNo}); a.status != http.StatusCreated {
			t.Errorf("%s: HTTP %d %s, want 201", tc.contentType, a.status, a.body)
		}
	}
}
