package sptest_test

import (
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// TestListPropertiesAsRecorded: a list carries the constant properties
// every recorded list has, its SP.ResourcePath properties as objects
// (typed in verbose), and a GUID property alone is an Edm.Guid
// (docs/sharepoint.md §15).
func TestListPropertiesAsRecorded(t *testing.T) {
	srv := sptest.NewServer(sptest.DemoSite(), sptest.WithoutAuth())
	defer srv.Close()
	list := "web/lists/getbytitle('Tasks')"
	site := strings.TrimPrefix(srv.ServiceURL(), srv.URL)
	for accept, wants := range map[string][]string{
		acceptNo: {
			`"ParentWebPath":{"DecodedUrl":"` + site + `"}`,
			`"ImagePath":{"DecodedUrl":"/_layouts/15/images/itgen.png?rev=47"}`,
			`"TemplateFeatureId":"00bfea71-de22-43b2-a848-c05709900100"`,
			`"DocumentTemplateUrl":null`, `"EnableRequestSignOff":true`, `"IrmEnabled":false`, `"ListExperienceOptions":0`,
		},
		acceptVerbose: {`"ParentWebPath":{"__metadata":{"type":"SP.ResourcePath"},"DecodedUrl":"` + site + `"}`},
		acceptMinimal: {`"ImagePath":{"DecodedUrl":"/_layouts/15/images/itgen.png?rev=47"}`},
	} {
		a := fetch(t, srv, list, accept)
		for _, want := range wants {
			if a.status != 200 || !strings.Contains(string(a.body), want) {
				t.Errorf("%s: %d, no %s in %s", accept, a.status, want, a.body)
			}
		}
	}
	if a := fetch(t, srv, list+"/TemplateFeatureId", acceptMinimal); !strings.Contains(string(a.body), "Edm.Guid") {
		t.Errorf("TemplateFeatureId alone: %s", a.body)
	}
}
