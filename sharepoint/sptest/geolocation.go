package sptest

import "fmt"

// GeolocationValue is a Geolocation field's value (FieldTypeKind 31):
// SharePoint sends it as an object of these four numbers
// (docs/sharepoint.md §6.11). Items may give it as a GeolocationValue, a
// pointer to one or a JSON object of the same members.
type GeolocationValue struct {
	Altitude  float64 `json:"Altitude"`
	Latitude  float64 `json:"Latitude"`
	Longitude float64 `json:"Longitude"`
	Measure   float64 `json:"Measure"`
}

// geolocationValue converts a declared or JSON-decoded Geolocation value.
func geolocationValue(raw any) (value, error) {
	var g GeolocationValue
	switch r := raw.(type) {
	case GeolocationValue:
		g = r
	case *GeolocationValue:
		if r == nil {
			return value{}, nil
		}
		g = *r
	case map[string]any:
		if err := remarshal(r, &g); err != nil {
			return value{}, fmt.Errorf("want a Geolocation object of numbers: %v", err)
		}
	default:
		return value{}, fmt.Errorf("want a GeolocationValue, got %T", raw)
	}
	return value{kind: vGeo, geo: &g}, nil
}

// appendGeolocation renders a Geolocation value in the recorded member
// order, numbers as SharePoint writes doubles ("0.0"); verbose adds the
// CSOM type name (not recorded).
func appendGeolocation(b []byte, g GeolocationValue, verbose bool) []byte {
	b = append(b, '{')
	if verbose {
		b = append(b, `"__metadata":{"type":"SP.FieldGeolocationValue"},`...)
	}
	b = append(b, `"Altitude":`...)
	b = appendJSONFloat(b, g.Altitude)
	b = append(b, `,"Latitude":`...)
	b = appendJSONFloat(b, g.Latitude)
	b = append(b, `,"Longitude":`...)
	b = appendJSONFloat(b, g.Longitude)
	b = append(b, `,"Measure":`...)
	b = appendJSONFloat(b, g.Measure)
	return append(b, '}')
}
