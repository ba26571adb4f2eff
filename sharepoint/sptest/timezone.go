package sptest

import (
	"fmt"
	"net/http"
	"time"
)

// timeZoneInfo is what web/RegionalSettings/TimeZone returns.
type timeZoneInfo struct {
	ID           int
	Description  string
	Bias         int // minutes to add to local standard time to get UTC
	StandardBias int
	DaylightBias int
}

// windowsZones maps IANA names to SharePoint's time zone IDs and
// descriptions (the SPTimeZone table, as PnP's TimeZone enum lists it:
// 10 = Eastern, 11 = Central, 13 = Pacific, 93 = UTC).
var windowsZones = map[string]struct {
	id   int
	desc string
}{
	"UTC":                 {93, "(UTC) Coordinated Universal Time"},
	"Etc/UTC":             {93, "(UTC) Coordinated Universal Time"},
	"Europe/London":       {2, "(UTC+00:00) Dublin, Edinburgh, Lisbon, London"},
	"Europe/Paris":        {3, "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris"},
	"Europe/Berlin":       {4, "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"},
	"Europe/Amsterdam":    {4, "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"},
	"America/New_York":    {10, "(UTC-05:00) Eastern Time (US and Canada)"},
	"America/Chicago":     {11, "(UTC-06:00) Central Time (US and Canada)"},
	"America/Denver":      {12, "(UTC-07:00) Mountain Time (US and Canada)"},
	"America/Los_Angeles": {13, "(UTC-08:00) Pacific Time (US and Canada)"},
	"Asia/Tokyo":          {20, "(UTC+09:00) Osaka, Sapporo, Tokyo"},
	"Asia/Kolkata":        {23, "(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi"},
	"Australia/Sydney":    {76, "(UTC+10:00) Canberra, Melbourne, Sydney"},
}

// timeZoneFor describes loc the way SharePoint describes a site's zone. Zones
// outside windowsZones get ID 0 and a description built from the offset.
// Bias follows Windows' TIME_ZONE_INFORMATION: UTC = local + Bias, so New
// York's is 300 and its DaylightBias -60.
func timeZoneFor(name string, loc *time.Location) timeZoneInfo {
	year := 2024
	_, jan := time.Date(year, 1, 15, 12, 0, 0, 0, loc).Zone()
	_, jul := time.Date(year, 7, 15, 12, 0, 0, 0, loc).Zone()
	std, dst := min(jan, jul), max(jan, jul)
	tz := timeZoneInfo{Bias: -std / 60, DaylightBias: -(dst - std) / 60}
	if w, ok := windowsZones[name]; ok {
		tz.ID, tz.Description = w.id, w.desc
		return tz
	}
	sign, off := '+', std/60
	if off < 0 {
		sign, off = '-', -off
	}
	tz.Description = fmt.Sprintf("(UTC%c%02d:%02d) %s", sign, off/60, off%60, name)
	return tz
}

// serveTimeZone answers GET web/RegionalSettings/TimeZone in SharePoint's
// shape: {"Description":…,"Id":10,"Information":{"Bias":300,
// "DaylightBias":-60,"StandardBias":0}}.
func (s *Server) serveTimeZone(w http.ResponseWriter, r *http.Request, f format) {
	tz := s.model.tz
	info := obj{{"Bias", tz.Bias}, {"DaylightBias", tz.DaylightBias}, {"StandardBias", tz.StandardBias}}
	if f.verbose {
		info = append(obj{{"__metadata", obj{{"type", "SP.TimeZoneInformation"}}}}, info...)
	}
	props := obj{{"Description", tz.Description}, {"Id", tz.ID}, {"Information", info}}
	uri := s.ServiceURL() + "/_api/Web/RegionalSettings/TimeZone"
	writeEntity(w, f, s.ServiceURL(), entityMeta{typ: "SP.TimeZone", id: uri, uri: uri, metadataSet: "SP.ApiData.TimeZones"}, props, "")
}
