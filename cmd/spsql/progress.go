package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-spsql/spsql/sharepoint"
)

// progressEvery is how often the progress line is redrawn; exports that
// finish sooner print none.
const progressEvery = 500 * time.Millisecond

// progress shows a running row count and rate on a terminal (stderr) while
// rows are exported: "12,345 rows  4,321 rows/s", redrawn in place.
type progress struct {
	w           io.Writer
	now         func() time.Time
	start, last time.Time
	rows        int64
	shown       bool
	// pace, when set, reports the driver's pacing against SharePoint's
	// throttling budget (pace.go); total, when above 0, is how many rows
	// the statement is expected to return, for the ETA.
	pace  func() sharepoint.PaceStats
	total int64
}

func newProgress(w io.Writer, now func() time.Time) *progress {
	t := now()
	return &progress{w: w, now: now, start: t, last: t}
}

// tick is resultWriter's progress hook: it is called after every row with
// the count so far and redraws at most every progressEvery.
func (p *progress) tick(rows int64) {
	p.rows = rows
	t := p.now()
	if t.Sub(p.last) < progressEvery {
		return
	}
	p.last = t
	p.shown = true
	fmt.Fprintf(p.w, "\r\x1b[K%s rows  %s rows/s%s", thousands(rows), thousands(p.rate(t)), p.paceText(t))
}

// done replaces the progress line by a summary, if one was shown.
func (p *progress) done() {
	if !p.shown {
		return
	}
	t := p.now()
	fmt.Fprintf(p.w, "\r\x1b[K%s rows in %s (%s rows/s)\n", thousands(p.rows), t.Sub(p.start).Round(100*time.Millisecond), thousands(p.rate(t)))
}

func (p *progress) rate(t time.Time) int64 {
	secs := t.Sub(p.start).Seconds()
	if secs <= 0 {
		return 0
	}
	return int64(float64(p.rows) / secs)
}

// thousands formats n with commas: 1234567 → "1,234,567".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
