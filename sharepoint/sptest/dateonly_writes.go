package sptest

import "time"

// restDateOnly is how a write through the REST API sets a date-only
// field: the instant sent (UTC, "…Z") is taken in the site's time zone and
// its calendar day kept, stored as that day's local midnight
// (docs/sharepoint.md §6.8, §15). Declared Items are different: their
// time.Time values are calendar dates as written.
func (sc *siteContext) restDateOnly(raw any) any {
	s, ok := raw.(string)
	if !ok {
		return raw
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return raw // a bare date, read in the site's zone by toTime
	}
	return t.In(sc.loc)
}
