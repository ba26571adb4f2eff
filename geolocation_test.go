package spsql_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/go-spsql/spsql/sharepoint/sptest"
)

// geoSite has a list with a Geolocation column, its values as SharePoint
// recorded them (testdata/pnpcore/items/ListItemTests/LocationFieldTest-0-00007).
func geoSite() sptest.Site {
	return sptest.Site{Lists: []sptest.List{{
		Title:  "Places",
		Fields: []sptest.Field{{Title: "GeoLoc", Type: "Geolocation"}},
		Items: []sptest.Item{
			{"Title": "Lille", "GeoLoc": sptest.GeolocationValue{Latitude: 50.6354, Longitude: 3.06998}},
			{"Title": "Melbourne", "GeoLoc": map[string]any{"Altitude": 12.5, "Latitude": -37.8099, "Longitude": 144.969, "Measure": 0.0}},
			{"Title": "Nowhere"},
		},
	}}}
}

// TestGeolocationColumnReadsAsWellKnownText reads a Geolocation column
// through database/sql: SELECT * (which SharePoint's object value used to
// break) gives each point as Well-Known Text, DESCRIBE and
// information_schema name its type, and a WHERE on it is evaluated by the
// driver, never sent as a $filter SharePoint is not known to evaluate
// (docs/sharepoint.md §6.11).
func TestGeolocationColumnReadsAsWellKnownText(t *testing.T) {
	db, srv := openDB(t, geoSite())
	cols, got := queryRows(t, db, "SELECT * FROM Places ORDER BY ID")
	at := slices.Index(cols, "GeoLoc")
	if at < 0 {
		t.Fatalf("SELECT * columns %q, want GeoLoc among them", cols)
	}
	var points []any
	for _, row := range got {
		points = append(points, row[at])
	}
	if want := []any{"POINT (3.06998 50.6354)", "POINT (144.969 -37.8099 12.5 0)", nil}; !reflect.DeepEqual(points, want) {
		t.Errorf("GeoLoc = %#v, want %#v", points, want)
	}

	rows, err := db.Query("SELECT GeoLoc FROM Places")
	if err != nil {
		t.Fatal(err)
	}
	types, _ := rows.ColumnTypes()
	rows.Close()
	if types[0].DatabaseTypeName() != "GEOLOCATION" || types[0].ScanType().Kind().String() != "string" {
		t.Errorf("column type %s, scan type %v; want GEOLOCATION read as a string", types[0].DatabaseTypeName(), types[0].ScanType())
	}
	_, got = queryRows(t, db, "SELECT DATA_TYPE, SHAREPOINT_TYPE FROM information_schema.columns WHERE TABLE_NAME = 'Places' AND COLUMN_NAME = 'GeoLoc'")
	if want := [][]any{{"GEOLOCATION", "Geolocation"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("information_schema: %v, want %v", got, want)
	}
	_, got = queryRows(t, db, "DESCRIBE Places")
	found := false
	for _, row := range got {
		if row[0] == "GeoLoc" {
			found = true
			if row[2] != "Geolocation" {
				t.Errorf("DESCRIBE GeoLoc: %v, want type Geolocation", row)
			}
		}
	}
	if !found {
		t.Errorf("DESCRIBE Places has no GeoLoc: %v", got)
	}

	for _, tt := range []struct {
		where string
		want  []any
	}{
		{"GeoLoc = 'POINT (3.06998 50.6354)'", []any{"Lille"}},
		{"GeoLoc LIKE 'POINT (144.%'", []any{"Melbourne"}},
		{"GeoLoc IS NULL", []any{"Nowhere"}},
		{"GeoLoc IS NOT NULL AND Title <> 'Lille'", []any{"Melbourne"}},
	} {
		before := len(itemsRequests(srv.Requests()))
		_, got := queryRows(t, db, "SELECT Title FROM Places WHERE "+tt.where+" ORDER BY ID")
		var titles []any
		for _, row := range got {
			titles = append(titles, row[0])
		}
		if !reflect.DeepEqual(titles, tt.want) {
			t.Errorf("WHERE %s: %v, want %v", tt.where, titles, tt.want)
		}
		for _, r := range itemsRequests(srv.Requests())[before:] {
			if f := r.Query().Filter; strings.Contains(f, "GeoLoc") {
				t.Errorf("WHERE %s sent $filter=%s: SharePoint is not known to evaluate Geolocation values", tt.where, f)
			}
		}
	}
	// Sorted by the driver, by the text: no $orderby names it either.
	before := len(itemsRequests(srv.Requests()))
	_, got = queryRows(t, db, "SELECT Title FROM Places ORDER BY GeoLoc DESC")
	if want := [][]any{{"Lille"}, {"Melbourne"}, {"Nowhere"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("ORDER BY GeoLoc DESC: %v, want %v", got, want)
	}
	for _, r := range itemsRequests(srv.Requests())[before:] {
		if o := r.Query().OrderBy; strings.Contains(o, "GeoLoc") {
			t.Errorf("ORDER BY GeoLoc sent $orderby=%s", o)
		}
	}
}
