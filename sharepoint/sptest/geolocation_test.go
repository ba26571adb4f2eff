package sptest_test

import (
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// TestGeolocationValueAsRecorded: a Geolocation column holds its point
// and sends it as SharePoint does, an object of four numbers in the
// recorded order and notation
// (testdata/pnpcore/items/ListItemTests/LocationFieldTest-0-00007), with
// its type in verbose; its field reports kind 31; a $filter on it is
// refused (docs/sharepoint.md §6.11, §15).
func TestGeolocationValueAsRecorded(t *testing.T) {
	srv := sptest.NewServer(sptest.Site{Lists: []sptest.List{{
		Title:  "Places",
		Fields: []sptest.Field{{Title: "GeoLoc", Type: "Geolocation"}},
		Items: []sptest.Item{
			{"Title": "Lille", "GeoLoc": sptest.GeolocationValue{Latitude: 50.6354, Longitude: 3.06998}},
			{"Title": "Nowhere"},
		},
	}}}, sptest.WithoutAuth())
	defer srv.Close()
	items := "web/lists/getbytitle('Places')/items?$select=GeoLoc"
	recorded := `"GeoLoc":{"Altitude":0.0,"Latitude":50.6354,"Longitude":3.06998,"Measure":0.0}`
	if a := fetch(t, srv, items, acceptNo); a.status != 200 || !strings.Contains(string(a.body), recorded) || !strings.Contains(string(a.body), `"GeoLoc":null`) {
		t.Errorf("nometadata: %d %s\nwant %s and a null", a.status, a.body, recorded)
	}
	if a := fetch(t, srv, items, acceptVerbose); !strings.Contains(string(a.body), `"GeoLoc":{"__metadata":{"type":"SP.FieldGeolocationValue"},"Altitude":0.0,`) {
		t.Errorf("verbose: %s", a.body)
	}
	if a := fetch(t, srv, "web/lists/getbytitle('Places')/fields/getbyinternalnameortitle('GeoLoc')?$select=FieldTypeKind,TypeAsString", acceptNo); !strings.Contains(string(a.body), `"FieldTypeKind":31`) {
		t.Errorf("field: %s", a.body)
	}
	if a := fetch(t, srv, items+"&$filter="+q("GeoLoc eq 'x'"), acceptNo); a.status != 400 {
		t.Errorf("$filter on GeoLoc: %d %s, want 400", a.status, a.body)
	}
}
