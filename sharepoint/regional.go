package sharepoint

import (
	"context"
	"fmt"
	"time"
	_ "time/tzdata" // site time zones must resolve on machines without zoneinfo
)

// TimeZone is a site's time zone (web/RegionalSettings/TimeZone).
// SharePoint describes it by a numeric ID from its own table and Windows'
// bias figures, not by an IANA name; Location maps it to one.
type TimeZone struct {
	ID          int
	Description string
	// Bias is minutes to add to local standard time to get UTC (New
	// York: 300); DaylightBias is added during daylight saving (-60).
	Bias, DaylightBias int
	// Location is the Go location for ID, or, for an ID missing from the
	// table, a fixed zone at the standard bias (Exact is then false: dates
	// during daylight saving may be an hour off).
	Location *time.Location
	Exact    bool
}

// spTimeZones maps SharePoint's time zone IDs (the SPTimeZone table, as
// PnP's TimeZone enum lists it) to IANA names, for the zones most sites
// use. Others fall back to a fixed offset.
var spTimeZones = map[int]string{
	2:  "Europe/London",
	3:  "Europe/Paris",
	4:  "Europe/Berlin",
	10: "America/New_York",
	11: "America/Chicago",
	12: "America/Denver",
	13: "America/Los_Angeles",
	20: "Asia/Tokyo",
	23: "Asia/Kolkata",
	76: "Australia/Sydney",
	93: "UTC",
}

// TimeZone returns the site's time zone, cached like other metadata. The
// driver needs it for date-only DateTime fields, which SharePoint stores
// as the site's local midnight expressed in UTC.
func (c *Client) TimeZone(ctx context.Context) (*TimeZone, error) {
	v, err := c.meta.get(ctx, "timezone", func(ctx context.Context) (any, error) {
		var raw struct {
			Description string `json:"Description"`
			ID          int    `json:"Id"`
			Information struct {
				Bias         int `json:"Bias"`
				DaylightBias int `json:"DaylightBias"`
			} `json:"Information"`
		}
		if err := c.getJSON(ctx, "_api/web/RegionalSettings/TimeZone", &raw); err != nil {
			return nil, err
		}
		tz := &TimeZone{ID: raw.ID, Description: raw.Description, Bias: raw.Information.Bias, DaylightBias: raw.Information.DaylightBias}
		if name, ok := spTimeZones[raw.ID]; ok {
			if loc, err := time.LoadLocation(name); err == nil {
				tz.Location, tz.Exact = loc, true
			}
		}
		if tz.Location == nil {
			tz.Location = time.FixedZone(fmt.Sprintf("UTC%+d:%02d", -tz.Bias/60, abs(tz.Bias)%60), -tz.Bias*60)
			tz.Exact = tz.DaylightBias == 0
		}
		return tz, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*TimeZone), nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
