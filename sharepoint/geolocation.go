package sharepoint

import (
	"errors"
	"fmt"
	"strconv"
)

// A Geolocation field's value (FieldTypeKind 31) arrives as an object,
// {"Altitude":0.0,"Latitude":50.6354,"Longitude":3.06998,"Measure":0.0}
// (docs/sharepoint.md §6.11). Its ValueType is ValueString: the decoder
// turns the object into the point's Well-Known Text, the string form
// SharePoint itself gives the value, "POINT (longitude latitude)", with
// altitude and measure after them when either is not 0:
// "POINT (3.06998 50.6354 12 0)".

// isGeolocation reports a column reading a Geolocation field's own value.
func isGeolocation(c *Column) bool {
	return c.Type == ValueString && c.subField == "" && c.Field != nil && c.Field.TypeName() == "Geolocation"
}

// geoPoint gathers a Geolocation value's members as they are read.
type geoPoint struct {
	lat, lon, alt, measure float64
	seen                   uint8 // 1: Latitude, 2: Longitude
}

// member points at the member a key of the object names, nil for any
// other key (__metadata in verbose), which is skipped.
func (g *geoPoint) member(key string) (*float64, uint8) {
	switch key {
	case "Latitude":
		return &g.lat, 1
	case "Longitude":
		return &g.lon, 2
	case "Altitude":
		return &g.alt, 0
	case "Measure":
		return &g.measure, 0
	}
	return nil, 0
}

// set stores one member's number (a null leaves it 0 and is not set).
func (g *geoPoint) set(key string, raw []byte) error {
	p, bit := g.member(key)
	if p == nil {
		return nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return fmt.Errorf("want a number for the Geolocation's %s, got %s", key, raw)
	}
	*p = f
	g.seen |= bit
	return nil
}

// wkt is the point as Well-Known Text.
func (g *geoPoint) wkt() (string, error) {
	if g.seen != 3 {
		return "", errors.New("want a Geolocation value with a Latitude and a Longitude, got an object without them")
	}
	b := append(make([]byte, 0, 48), "POINT ("...)
	b = strconv.AppendFloat(b, g.lon, 'f', -1, 64)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, g.lat, 'f', -1, 64)
	if g.alt != 0 || g.measure != 0 {
		b = append(b, ' ')
		b = strconv.AppendFloat(b, g.alt, 'f', -1, 64)
		b = append(b, ' ')
		b = strconv.AppendFloat(b, g.measure, 'f', -1, 64)
	}
	return string(append(b, ')')), nil
}

// readGeolocation reads a Geolocation object (its '{' consumed) as its
// Well-Known Text.
func (d *pageDecoder) readGeolocation() (any, error) {
	s := &d.s
	var g geoPoint
	for first := true; ; first = false {
		key, ok, err := s.nextKey(first)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if p, _ := g.member(string(key)); p == nil {
			if err := s.skip(); err != nil {
				return nil, err
			}
			continue
		}
		k := string(key)
		c, err := s.peek()
		if err != nil {
			return nil, err
		}
		if c == 'n' {
			if err := s.literal("null"); err != nil {
				return nil, err
			}
			continue
		}
		if c == '"' || c == '{' || c == '[' || c == 't' || c == 'f' {
			// Read past it first: a body cut short inside the value is a
			// cut body (read again), not a wrong value.
			if err := s.skip(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("want a number for the Geolocation's %s", k)
		}
		raw, err := s.number()
		if err != nil {
			return nil, err
		}
		if err := g.set(k, raw); err != nil {
			return nil, err
		}
	}
	return g.wkt()
}
