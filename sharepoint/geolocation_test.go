package sharepoint

import (
	"reflect"
	"strings"
	"testing"
)

// TestDecodeGeolocationAsWellKnownText reads the Geolocation values of
// the corpus page testdata/pnpcore/items/ListItemTests/LocationFieldTest-0-00007
// (nometadata, byte for byte) and its verbose form through both decoders:
// each object is its point's Well-Known Text, longitude first, altitude
// and measure only when set; the page's Location (33) and Thumbnail (34)
// values, JSON in a string, read as that text.
func TestDecodeGeolocationAsWellKnownText(t *testing.T) {
	fields := []Field{
		{EntityPropertyName: "GeoLoc", InternalName: "GeoLoc", Kind: 31}, // TypeAsString left out: the kind decides
		{EntityPropertyName: "Location1", InternalName: "Location1", Kind: 33},
		{EntityPropertyName: "TestImage", InternalName: "TestImage", Kind: 34},
	}
	for _, f := range fields {
		if got := f.TypeName(); got == "" || f.ValueType() != ValueString {
			t.Errorf("kind %d: TypeName %q, ValueType %v; want its name and text", f.Kind, got, f.ValueType())
		}
	}
	cols, _, _, err := resolveColumns("T", fields, []string{"GeoLoc", "Location1", "TestImage"})
	if err != nil {
		t.Fatal(err)
	}
	loc := `{"entityType":"Custom","displayName":"Somewhere","coordinates":{"latitude":50.6354,"longitude":3.06998}}`
	img := `{"fileName":"river.jpg","serverRelativeUrl":"/sites/DNTest/SiteAssets/river.jpg"}`
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
	bodies := map[string]string{
		"nometadata": `{"value":[
			{"GeoLoc":{"Altitude":0.0,"Latitude":50.6354,"Longitude":3.06998,"Measure":0.0},"Location1":` + q(loc) + `,"TestImage":` + q(img) + `},
			{"GeoLoc":{"Altitude":12.5,"Latitude":-37.8099,"Longitude":144.969,"Measure":0.0},"Location1":null,"TestImage":null},
			{"GeoLoc":null}]}`,
		"verbose": `{"d":{"results":[
			{"__metadata":{"type":"SP.Data.TListItem"},"GeoLoc":{"__metadata":{"type":"SP.FieldGeolocationValue"},"Altitude":0,"Latitude":50.6354,"Longitude":3.06998,"Measure":0},"Location1":` + q(loc) + `,"TestImage":` + q(img) + `},
			{"GeoLoc":{"Latitude":-37.8099,"Longitude":144.969,"Altitude":12.5,"Measure":null},"Location1":null,"TestImage":null},
			{"GeoLoc":null}]}}`,
	}
	want := [][]any{
		{"POINT (3.06998 50.6354)", loc, img},
		{"POINT (144.969 -37.8099 12.5 0)", nil, nil},
		{nil, nil, nil},
	}
	for shape, body := range bodies {
		rows, _, err := newPageDecoder(cols).decode([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", shape, err)
		}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("%s: rows = %#v\nwant %#v", shape, rows, want)
		}
		oracle, _, err := newTokenDecoder(cols).decode([]byte(body))
		if err != nil {
			t.Fatalf("%s: oracle: %v", shape, err)
		}
		if !reflect.DeepEqual(oracle, want) {
			t.Errorf("%s: oracle rows = %#v\nwant %#v", shape, oracle, want)
		}
	}
	// An object without coordinates, or with text for one, is refused
	// by both, naming the column.
	for _, body := range []string{
		`{"value":[{"GeoLoc":{"Altitude":0.0}}]}`,
		`{"value":[{"GeoLoc":{"Latitude":"50.6","Longitude":3.1}}]}`,
	} {
		_, _, err := newPageDecoder(cols).decode([]byte(body))
		_, _, oerr := newTokenDecoder(cols).decode([]byte(body))
		if err == nil || oerr == nil || !strings.Contains(err.Error(), "column GeoLoc") || !strings.Contains(err.Error(), "Geolocation") {
			t.Errorf("%s: err = %v, oracle %v; want both refusing column GeoLoc", body, err, oerr)
		}
	}
}
