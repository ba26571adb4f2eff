package sptest_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// Rows without $select carry "OData__ColorTag": null, as the 2023
// recording of a list without columns of its own shows: the same
// properties, though the list has no field of that name
// (docs/sharepoint.md §6.2).
func TestDefaultRowsEndWithColorTag(t *testing.T) {
	var recorded struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(recordedBody(t, "pnpcore_items_nometadata_page_with_odata_nextLink.json"), &recorded); err != nil {
		t.Fatal(err)
	}
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Plain", Items: []sptest.Item{{"Title": "Item 0"}}}}}, sptest.WithoutAuth())
	defer srv.Close()
	a := fetch(t, srv, "web/lists/getbytitle('Plain')/items", acceptNo)
	var got struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(a.body, &got); err != nil || len(got.Value) != 1 {
		t.Fatalf("%v: %s", err, a.body)
	}
	if g, w := keys(got.Value[0]), keys(recorded.Value[0]); !slices.Equal(g, w) {
		t.Errorf("row properties\n got %v\nwant %v", g, w)
	}
	if v, ok := got.Value[0]["OData__ColorTag"]; !ok || v != nil {
		t.Errorf("OData__ColorTag = %v (present %v), want null", v, ok)
	}
	// Not a field of the list, and not in rows that $select columns.
	if a := fetch(t, srv, "web/lists/getbytitle('Plain')/fields/getbyinternalnameortitle('_ColorTag')", acceptNo); a.status == http.StatusOK {
		t.Errorf("field _ColorTag: HTTP %d, want an error", a.status)
	}
	if a := fetch(t, srv, "web/lists/getbytitle('Plain')/items?$select=ID,Title", acceptNo); strings.Contains(string(a.body), "ColorTag") {
		t.Errorf("a $select answer carries OData__ColorTag: %s", a.body)
	}
}

// POST _api/contextinfo gives the form digest, in each format
// (docs/sharepoint.md §11.6).
func TestContextInfoGivesTheFormDigest(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{})
	defer srv.Close()
	tok := accessToken(t, srv)
	digest := regexp.MustCompile(`^0x[0-9A-F]{128},\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d -0000$`)
	for _, tc := range []struct {
		name, accept, odataVersion string
		pick                       func(m map[string]any) map[string]any
		meta                       string // the metadata annotation key, "" for none
	}{
		{"verbose", acceptVerbose, "", func(m map[string]any) map[string]any {
			d, _ := m["d"].(map[string]any)
			info, _ := d["GetContextWebInformation"].(map[string]any)
			return info
		}, "__metadata"},
		{"minimalmetadata", acceptMinimal, "", func(m map[string]any) map[string]any { return m }, "odata.metadata"},
		{"nometadata", acceptNo, "", func(m map[string]any) map[string]any { return m }, ""},
		{"v4 minimal", "application/json;odata.metadata=minimal", "4.0", func(m map[string]any) map[string]any { return m }, "@odata.context"},
		{"v4 none", "application/json;odata.metadata=none", "4.0", func(m map[string]any) map[string]any { return m }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Accept": tc.accept, "Authorization": "Bearer " + tok}
			if tc.odataVersion != "" {
				h["OData-Version"] = tc.odataVersion
			}
			a := do(t, srv, "POST", "contextinfo", h)
			if a.status != http.StatusOK {
				t.Fatalf("HTTP %d %s", a.status, a.body)
			}
			info := tc.pick(a.json(t))
			if info == nil {
				t.Fatalf("no context information in %s", a.body)
			}
			if v, _ := info["FormDigestValue"].(string); !digest.MatchString(v) {
				t.Errorf("FormDigestValue = %q", v)
			}
			if v, _ := info["FormDigestTimeoutSeconds"].(float64); v != 1800 {
				t.Errorf("FormDigestTimeoutSeconds = %v, want 1800", info["FormDigestTimeoutSeconds"])
			}
			if info["WebFullUrl"] != srv.ServiceURL() || info["SiteFullUrl"] != srv.ServiceURL() {
				t.Errorf("WebFullUrl %v SiteFullUrl %v, want %s", info["WebFullUrl"], info["SiteFullUrl"], srv.ServiceURL())
			}
			for _, k := range []string{"__metadata", "odata.metadata", "@odata.context"} {
				if _, ok := info[k]; ok != (k == tc.meta) {
					t.Errorf("%s present = %v", k, ok)
				}
			}
		})
	}
	t.Run("GET is refused", func(t *testing.T) {
		a := do(t, srv, "GET", "contextinfo", map[string]string{"Accept": acceptNo, "Authorization": "Bearer " + tok})
		if a.status != http.StatusMethodNotAllowed {
			t.Errorf("HTTP %d %s, want 405", a.status, a.body)
		}
	})
}

// A list property addressed on its own: {"value": N} (docs/sharepoint.md §7.1).
func TestListPropertyOnItsOwn(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{Title: "Big", Generator: sptest.Synthetic(3, 1234)}}}, sptest.WithoutAuth())
	defer srv.Close()
	for _, tc := range []struct{ accept, want string }{
		{acceptNo, `{"value":1234}`},
		{acceptVerbose, `{"d":{"ItemCount":1234}}`},
		{acceptMinimal, `{"odata.metadata":"` + srv.ServiceURL() + `/_api/$metadata#Edm.Int32","value":1234}`},
		{acceptV4, `{"@odata.context":"` + srv.ServiceURL() + `/_api/$metadata#Edm.Int32","value":1234}`},
	} {
		if a := fetch(t, srv, "web/lists/getbytitle('Big')/ItemCount", tc.accept); a.status != 200 || string(a.body) != tc.want {
			t.Errorf("%s: HTTP %d %s, want %s", tc.accept, a.status, a.body, tc.want)
		}
	}
	if a := fetch(t, srv, "web/lists/getbytitle('Big')/Title", acceptNo); string(a.body) != `{"value":"Big"}` {
		t.Errorf("Title: HTTP %d %s", a.status, a.body)
	}
	if a := fetch(t, srv, "web/lists/getbytitle('Big')/NoSuchProperty", acceptNo); a.status != http.StatusNotFound {
		t.Errorf("an unknown property: HTTP %d, want 404", a.status)
	}
}

// do sends method to a site _api path with exactly the given headers and
// an empty body.
func do(t *testing.T, srv *sptest.Server, method, path string, headers map[string]string) answer {
	t.Helper()
	return send(t, srv, method, path, "", headers)
}
