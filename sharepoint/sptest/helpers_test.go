package sptest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Accept headers of the response formats (docs/sharepoint.md §5.1).
const (
	acceptNo      = "application/json;odata=nometadata"
	acceptMinimal = "application/json;odata=minimalmetadata"
	acceptVerbose = "application/json;odata=verbose"
	acceptV4      = "application/json;odata.metadata=minimal" // with OData-Version: 4.0
)

type answer struct {
	status int
	header http.Header
	body   []byte
}

// fetch GETs url (absolute, or a path under the site's _api) with accept.
func fetch(t *testing.T, srv *sptest.Server, url, accept string) answer {
	t.Helper()
	if !strings.HasPrefix(url, "http") {
		url = srv.ServiceURL() + "/_api/" + url
	}
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if accept == acceptV4 || strings.Contains(accept, "odata.metadata=") {
		req.Header.Set("OData-Version", "4.0")
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

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, a.body)
	}
	return m
}

// odataError returns the code and message of an error body in any shape.
func (a answer) odataError(t *testing.T) (code, msg string) {
	t.Helper()
	m := a.json(t)
	e, ok := m["odata.error"].(map[string]any)
	if !ok {
		e, ok = m["error"].(map[string]any)
	}
	if !ok {
		t.Fatalf("no error object in %s", a.body)
	}
	code, _ = e["code"].(string)
	msg, _ = e["message"].(map[string]any)["value"].(string)
	return code, msg
}

// itemIDs returns the "ID" (or "Id") of each row of a nometadata page.
func (a answer) itemIDs(t *testing.T) []int {
	t.Helper()
	var page struct {
		Value []struct {
			ID *int `json:"ID"`
			Id *int //lint:ignore ST1003 SharePoint's JSON name
		} `json:"value"`
	}
	if err := json.Unmarshal(a.body, &page); err != nil {
		t.Fatalf("%v: %s", err, a.body)
	}
	ids := []int{}
	for _, r := range page.Value {
		switch {
		case r.ID != nil:
			ids = append(ids, *r.ID)
		case r.Id != nil:
			ids = append(ids, *r.Id)
		}
	}
	return ids
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// q escapes a query option value for a URL.
func q(s string) string {
	r := strings.NewReplacer("%", "%25", " ", "%20", "&", "%26", "#", "%23", "+", "%2B", "'", "%27")
	return r.Replace(s)
}

func newRequest(url string, headers map[string]string) (*http.Request, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return req, nil
}
