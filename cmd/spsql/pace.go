package main

import (
	"context"
	"database/sql"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-spsql/spsql"
	"github.com/go-spsql/spsql/sharepoint"
)

// Showing the driver's pacing on the progress line.
//
// The driver paces its requests against SharePoint's throttling budget
// with one sharepoint.Pacer per application and tenant in the process
// (the Pacing property); the CLI takes hold of the same one, by the same
// key, to show what it does: "paced at 12.3 units/s" once SharePoint has
// shown a budget, and an ETA when the number of rows to come is known.

// sharedPace returns a function reporting the pacer the driver uses for
// dsn, and a function letting go of it; nil when dsn turns pacing off or
// cannot be read (the driver reports that itself).
func sharedPace(dsn string) (func() sharepoint.PaceStats, func()) {
	cfg, err := spsql.ParseDSN(dsn)
	if err != nil || cfg.NoPacing {
		return nil, func() {}
	}
	p, release := sharepoint.SharedPacer(cfg.TokenURI, cfg.ServiceURL, cfg.ClientID)
	return p.Stats, release
}

// paceText is the progress line's pacing part: empty until the pacer has
// seen a budget, then its pace and, with a known total, an ETA at the
// rate rows have come so far.
func (p *progress) paceText(t time.Time) string {
	if p.pace == nil {
		return ""
	}
	st := p.pace()
	if !st.Active {
		return ""
	}
	text := "  paced"
	switch {
	case st.Rate > 0:
		text += " at " + strconv.FormatFloat(st.Rate, 'g', 3, 64) + " units/s"
	case st.Limit > 0:
		text += " by RateLimit headers (" + thousands(int64(st.Limit)) + " units a window)"
	}
	if st.Throttled > 0 {
		text += ", throttled " + strconv.Itoa(st.Throttled) + "×"
	}
	if rate := p.rate(t); p.total > p.rows && rate > 0 {
		eta := time.Duration(float64(p.total-p.rows) / float64(rate) * float64(time.Second))
		text += ", ETA " + eta.Round(time.Second).String()
	}
	return text
}

// listItems matches EXPLAIN's count of a whole list's read (see
// internal/engine's plannedRequests).
var listItems = regexp.MustCompile(`^\s*requests: about \d+ pages of \d+ \(the list has (\d+) items\)$`)

// expectedRows returns how many rows stmt will return when EXPLAIN says
// it reads one whole list, unfiltered, with nothing on top but the choice
// of columns; 0 otherwise. Only metadata is read (cached, and needed by
// the statement anyway).
func expectedRows(ctx context.Context, db *sql.DB, stmt string) int64 {
	s := strings.TrimSpace(stmt)
	if len(s) < 7 || !strings.EqualFold(s[:7], "select ") {
		return 0
	}
	rows, err := db.QueryContext(ctx, "EXPLAIN "+s)
	if err != nil {
		return 0
	}
	defer rows.Close()
	var total int64
	scans := 0
	for rows.Next() {
		var line string
		if rows.Scan(&line) != nil {
			return 0
		}
		l := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(l, "scan "):
			scans++
		case listItems.MatchString(line):
			total, _ = strconv.ParseInt(listItems.FindStringSubmatch(line)[1], 10, 64)
		case strings.HasPrefix(l, "driver: return"), strings.HasPrefix(l, "GET items of list"),
			strings.HasPrefix(l, "$select="), strings.HasPrefix(l, "$expand="), strings.HasPrefix(l, "$top="), strings.HasPrefix(l, "(on a list"):
		default:
			return 0 // a filter, a sort, a limit, a join, a grouping…
		}
	}
	if rows.Err() != nil || scans != 1 {
		return 0
	}
	return total
}
