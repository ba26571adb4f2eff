package sharepoint

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Pacing: staying just under SharePoint's throttling budget.
//
// SharePoint Online gives each application, per tenant, a budget of
// resource units per window; every request spends some, throttled ones
// too, and beyond the budget requests are answered 429 with Retry-After
// (docs/sharepoint.md §10.1, §10.2, §10.4). A client that sends as fast as it
// can bursts into the limit, waits, and bursts again, every 429 spending
// budget for nothing. A Pacer, shared by every client of one application
// in one tenant (see SharedPacer), gates the start of every request
// instead:
//
//   - until the first sign of a budget — a RateLimit header or a 429 —
//     it holds nothing back;
//   - a Retry-After (429 or 503) holds every request sharing the pacer
//     until it has passed, exactly, not just the request that got it;
//   - RateLimit-Limit, -Remaining and -Reset, sent to applications with
//     application permissions from 80% of the budget on (§10.2), say what
//     is left: requests go until what remains would not cover the next
//     one, then all wait for the reset; a new window starts with the whole
//     limit, until its headers say more;
//   - without those headers (delegated tokens, as the refresh-token grant
//     gives), the first 429 and its Retry-After reveal what a window
//     admits: the units of the requests admitted since the window began
//     (taken to be when this burst of work began, or the end of the last
//     throttled window; half the throttled request's units added, the
//     budget lying between), over the window's length (from then to the
//     end Retry-After names). From then on requests are spread evenly at
//     95% of that rate, probing upward by 1% each window without a 429 to
//     a pace at which even the costliest request seen cannot overfill a
//     window (see setCeiling); a later 429 learns again from the window
//     it ends.
//
// Retry-After and RateLimit-Reset are whole seconds, rounded up: the
// pacer is never early for a window, but may be up to a second late, and
// learns a window up to a second too long (a few percent of SharePoint's
// minute).
//
// The pacer counts in the units SharePoint publishes for Graph (1 for a
// single entity, 2 for a page of a collection or a write, each $batch
// part counted; see requestCost): REST costs may differ, but the pacer
// only compares its own counts, so a constant factor does not matter.
type Pacer struct {
	// now and sleep are the pacer's clock; tests replace them.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu sync.Mutex
	// blockedUntil holds every request until a Retry-After has passed.
	blockedUntil time.Time
	// The RateLimit headers' account: limit and remaining units, and
	// when the window resets (hdrReset zero: nothing known).
	limit, remaining int
	hdrReset         time.Time
	// hdrAnchor is the last window end the headers gave, and hdrWindow
	// the longest window they showed (see delay).
	hdrAnchor time.Time
	hdrWindow time.Duration
	// The learned pace without headers: rate in units per second (0:
	// nothing learned), its ceiling, the window's length and the end of
	// the last throttled window; next is the earliest start of the next
	// request, and probeAt when the rate is next raised.
	rate, ceiling float64
	safe          float64 // the highest pace learned to be safe (setCeiling)
	maxCost       int     // the costliest request sent
	window        time.Duration
	windowEnd     time.Time
	next, probeAt time.Time
	// The requests sent since the current window began (at most
	// sentKeep), for learning; begun is when this burst of work began.
	sent     []sentRequest
	sentBase int64 // the sequence number of sent[0]
	// The requests of the window learned from (sequence numbers
	// [learnLo, learnHi)) and the units it was found to admit: those
	// still in flight then add theirs when they are answered.
	learnLo, learnHi int64
	learnUnits       int
	learnFrom        time.Time
	begun            time.Time
	lastSeen         time.Time
	inFlight         int // units of requests sent and not yet answered

	stats PaceStats
}

// sentRequest is one request the pacer let go.
type sentRequest struct {
	at       time.Time
	cost     int
	answered bool // answered, and not with 429
}

// PaceStats says what a Pacer has done.
type PaceStats struct {
	// Active reports that the pacer has seen a sign of a budget (a
	// RateLimit header or a 429) and is pacing.
	Active bool
	// Rate is the learned pace in resource units per second (0 when not
	// learned, or when RateLimit headers say what remains instead).
	Rate float64
	// Limit is the budget per window the RateLimit headers gave, 0 when
	// none came.
	Limit int
	// Requests is the number of requests gated, Units the units they
	// cost; Throttled is how many were answered 429.
	Requests, Units, Throttled int
	// Waits is how many requests waited, and Waited for how long in all.
	Waits  int
	Waited time.Duration
}

// idleRestart is how long without requests ends a burst of work: the
// next request starts a new one (SharePoint's budget window is a minute,
// docs/sharepoint.md §10.2).
const idleRestart = time.Minute

// sentKeep bounds the requests remembered for learning.
const sentKeep = 1 << 16

// NewPacer returns a pacer of its own; SharedPacer returns the one of an
// application in a tenant.
func NewPacer() *Pacer {
	return &Pacer{now: time.Now, sleep: sleepContext}
}

// WithPacer makes the client gate every request through p (see Pacer).
// Without it nothing is paced; Retry-After is still honoured by the
// request that got it.
func WithPacer(p *Pacer) Option { return func(c *Client) { c.pacer = p } }

// Stats returns what the pacer has done so far.
func (p *Pacer) Stats() PaceStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Rate = p.rate
	s.Limit = p.limit
	return s
}

// paceTicket is one request let go by acquire, handed back to observe.
type paceTicket struct {
	seq  int64 // sequence number among the requests sent
	cost int
}

// acquire waits until a request costing cost units may start, and
// reports each wait with why to logWait. It fails only when ctx ends.
func (p *Pacer) acquire(ctx context.Context, cost int, logWait func(d time.Duration, why string)) (*paceTicket, error) {
	reserved := false // a start time was reserved at the learned pace
	for {
		p.mu.Lock()
		now := p.now()
		d, why := p.delay(now, cost, &reserved)
		if d <= 0 {
			t := p.admit(now, cost)
			p.mu.Unlock()
			return t, nil
		}
		p.stats.Waits++
		p.stats.Waited += d
		p.mu.Unlock()
		logWait(d, why)
		if err := p.sleep(ctx, d); err != nil {
			return nil, fmt.Errorf("sharepoint: waiting for SharePoint's throttling budget (%s): %w", why, err)
		}
	}
}

// delay returns how long a request of cost units must wait from now, and
// why; 0 when it may start. At the learned pace the request reserves its
// start time once (*reserved) and then waits for it.
func (p *Pacer) delay(now time.Time, cost int, reserved *bool) (time.Duration, string) {
	if now.Before(p.blockedUntil) {
		return p.blockedUntil.Sub(now), "SharePoint asked to wait this long (Retry-After)"
	}
	if !p.hdrReset.IsZero() {
		if !now.Before(p.hdrReset) {
			// A new window: the whole limit, until headers say more
			// (they come again from 80% of it). The reset they gave is
			// never early (whole seconds, rounded up), so the new
			// window has begun. Should no header come, the window is
			// taken to end as long after as the longest seen.
			p.remaining = p.limit
			for !now.Before(p.hdrReset) {
				p.hdrReset = p.hdrReset.Add(p.hdrWindow)
			}
		}
		if p.remaining < cost {
			return p.hdrReset.Sub(now), "the RateLimit headers say the budget is spent until the reset"
		}
		return 0, ""
	}
	if p.rate <= 0 || *reserved {
		return 0, ""
	}
	if !p.probeAt.IsZero() && !now.Before(p.probeAt) {
		p.rate = min(p.rate*1.01, p.safe)
		p.probeAt = now.Add(p.window)
	}
	start := p.next
	if start.Before(now) {
		start = now
	}
	p.next = start.Add(time.Duration(float64(cost) / p.rate * float64(time.Second)))
	if !start.After(now) {
		return 0, ""
	}
	*reserved = true
	return start.Sub(now), "pacing at " + strconv.FormatFloat(p.rate, 'g', 3, 64) + " units/s, the budget learned from throttling"
}

// admit records a request let go at now.
func (p *Pacer) admit(now time.Time, cost int) *paceTicket {
	if p.begun.IsZero() || now.Sub(p.lastSeen) > idleRestart && p.inFlight == 0 {
		p.begun = now // a new burst of work
		p.forget(now)
	}
	p.lastSeen = now
	p.inFlight += cost
	p.maxCost = max(p.maxCost, cost)
	if !p.hdrReset.IsZero() {
		p.remaining -= cost
	}
	p.stats.Requests++
	p.stats.Units += cost
	if len(p.sent) >= sentKeep {
		p.begun = p.sent[sentKeep/2].at
		p.forget(p.begun)
	}
	p.sent = append(p.sent, sentRequest{at: now, cost: cost})
	return &paceTicket{seq: p.sentBase + int64(len(p.sent)-1), cost: cost}
}

// forget drops the remembered requests sent before t.
func (p *Pacer) forget(t time.Time) {
	n := 0
	for n < len(p.sent) && p.sent[n].at.Before(t) {
		n++
	}
	p.sentBase += int64(n)
	p.sent = append(p.sent[:0], p.sent[n:]...)
}

// observe records the answer to a request acquire let go: status 0 when
// none came. It returns what the pacer learned from it, for the log, or
// "".
func (p *Pacer) observe(t *paceTicket, status int, h http.Header) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.inFlight -= t.cost
	admitted := status != 0 && status != http.StatusTooManyRequests
	if i := t.seq - p.sentBase; i >= 0 && i < int64(len(p.sent)) && admitted {
		p.sent[i].answered = true
	}
	if admitted && t.seq >= p.learnLo && t.seq < p.learnHi && p.window > 0 {
		// Sent in the window learned from, and answered only since: the
		// window admitted more than was known then.
		p.learnUnits += t.cost
		ceiling := float64(p.learnUnits) / p.window.Seconds()
		p.rate *= ceiling / p.ceiling
		p.setCeiling(ceiling)
	}
	learned := ""
	if limit, remaining, reset, ok := rateLimitHeaders(h); ok {
		if p.limit == 0 {
			learned = fmt.Sprintf("SharePoint's RateLimit headers give a budget of %d units per window; pacing by them", limit)
		}
		p.stats.Active = true
		p.limit = limit
		p.remaining = remaining - p.inFlight // those in flight may not be counted yet
		end := now.Add(reset)
		switch same := max(time.Second+time.Second/2, p.hdrWindow/2); {
		case p.hdrAnchor.IsZero():
			p.hdrWindow = max(end.Sub(p.begun), time.Second)
			p.hdrAnchor, p.hdrReset = end, end
		case end.Sub(p.hdrAnchor) < same && p.hdrAnchor.Sub(end) < same:
			// The same window (Reset is rounded up to whole seconds):
			// the earliest end said is the closest.
			if end.Before(p.hdrAnchor) {
				p.hdrAnchor, p.hdrReset = end, end
			}
		default:
			if end.After(p.hdrAnchor) {
				p.hdrWindow = max(p.hdrWindow, end.Sub(p.hdrAnchor))
			}
			p.hdrAnchor, p.hdrReset = end, end
		}
	}
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return learned
	}
	if status == http.StatusTooManyRequests {
		p.stats.Throttled++
	}
	wait := parseRetryAfter(h.Get("Retry-After"), now)
	if wait <= 0 {
		return learned
	}
	p.stats.Active = true
	end := now.Add(wait)
	if end.After(p.blockedUntil) {
		p.blockedUntil = end
	}
	// A 429 ending a window not seen yet teaches what a window admits
	// (with RateLimit headers, they say it better).
	if status != http.StatusTooManyRequests || p.limit > 0 {
		return learned
	}
	if !end.After(p.windowEnd.Add(time.Second)) {
		// Another 429 of the window learned from: Retry-After is rounded
		// up to whole seconds, so the earliest end said is the closest.
		if end.Before(p.windowEnd) && end.After(p.learnFrom) && p.window > 0 {
			p.windowEnd, p.next = end, end
			p.window = end.Sub(p.learnFrom)
			ceiling := float64(p.learnUnits) / p.window.Seconds()
			p.rate *= ceiling / p.ceiling
			p.setCeiling(ceiling)
		}
		return learned
	}
	from := p.begun
	if p.windowEnd.After(from) {
		from = p.windowEnd
	}
	units := 0
	p.learnLo, p.learnHi = p.sentBase+int64(len(p.sent)), p.sentBase+int64(len(p.sent))
	for i, r := range p.sent {
		if !r.at.Before(from) {
			p.learnLo = min(p.learnLo, p.sentBase+int64(i))
			if r.answered {
				units += r.cost
			}
		}
	}
	// The window admitted those, and not this one: its budget lies
	// between; take the middle.
	units += t.cost / 2
	p.learnUnits = units
	p.learnFrom = from
	p.windowEnd = end
	p.forget(end)
	window := end.Sub(from)
	if units == 0 || window <= 0 {
		return learned
	}
	p.window = window
	p.setCeiling(float64(units) / window.Seconds())
	p.rate = min(0.95*p.ceiling, p.safe)
	p.next = end
	p.probeAt = end.Add(window)
	return fmt.Sprintf("throttled: the window admitted about %d units in %s; pacing at %.3g units/s from now on", units, window.Round(time.Millisecond), p.rate)
}

// setCeiling sets the learned rate a window admits, and from it the
// highest pace that keeps under it. Requests of c units evenly spaced at
// rate r start up to ⌈r·W/c⌉ times in a window of length W, so for a
// budget of B units a window the pace stays at or below ⌊B/c⌋·c/W, for
// the costliest request c seen (a $batch of 100 writes costs 200), and at
// most 98% of B/W.
func (p *Pacer) setCeiling(ceiling float64) {
	p.ceiling = ceiling
	w := p.window.Seconds()
	c := float64(max(p.maxCost, 1))
	fits := math.Floor(ceiling * w * 0.99 / c) // the cheaper requests between take the 1%
	p.safe = max(0.5*ceiling, min(0.98*ceiling, fits*c/w))
	p.rate = min(p.rate, p.safe)
}

// rateLimitHeaders reads RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset (seconds), all three or none (docs/sharepoint.md §10.2).
func rateLimitHeaders(h http.Header) (limit, remaining int, reset time.Duration, ok bool) {
	l, err1 := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Limit")))
	r, err2 := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Remaining")))
	s, err3 := strconv.Atoi(strings.TrimSpace(h.Get("RateLimit-Reset")))
	if err1 != nil || err2 != nil || err3 != nil || l <= 0 || r < 0 || s < 0 || s > 24*3600 {
		return 0, 0, 0, false
	}
	return l, r, time.Duration(s) * time.Second, true
}

// requestCost estimates what a request costs in resource units, by
// Microsoft's published Graph costs (docs/sharepoint.md §10.2): a write
// 2, a $batch 2 per part, a GET of a collection (a page of items, the
// lists, the fields) 2, a GET of one entity 1.
func requestCost(method, target string, wb *writeBody) int {
	if wb != nil && wb.parts > 0 {
		return 2 * wb.parts
	}
	if method != http.MethodGet && method != http.MethodHead {
		return 2
	}
	path := target
	if u, err := url.Parse(target); err == nil {
		path = u.Path
	}
	path = strings.ToLower(strings.TrimSuffix(path, "/"))
	for _, c := range []string{"/items", "/lists", "/fields"} {
		if strings.HasSuffix(path, c) {
			return 2
		}
	}
	return 1
}

// pace waits for the client's pacer, if any, to let a request go, and
// logs each wait at Debug level with why.
func (c *Client) pace(ctx context.Context, method, target string, wb *writeBody) (*paceTicket, error) {
	if c.pacer == nil {
		return nil, nil
	}
	cost := requestCost(method, target, wb)
	return c.pacer.acquire(ctx, cost, func(d time.Duration, why string) {
		c.logger.DebugContext(ctx, "sharepoint: pacing: waiting before a request", "wait", d, "why", why,
			"method", method, "url", c.logText(target), "units", cost)
	})
}

// paced tells the pacer how a request it let go was answered (resp nil:
// it was not), and logs what it learned.
func (c *Client) paced(ctx context.Context, t *paceTicket, resp *http.Response) {
	if t == nil {
		return
	}
	status, h := 0, http.Header(nil)
	if resp != nil {
		status, h = resp.StatusCode, resp.Header
	}
	if learned := c.pacer.observe(t, status, h); learned != "" {
		c.logger.InfoContext(ctx, "sharepoint: pacing: "+learned)
	}
}

// pacedRetryWait is the wait before retrying after err: with a pacer, a
// throttled request with Retry-After waits in the pacer, with everyone
// sharing it, for exactly as long as SharePoint said, not here.
func (c *Client) pacedRetryWait(err error, wait time.Duration) time.Duration {
	var spErr *Error
	if c.pacer != nil && errors.As(err, &spErr) && spErr.throttled() && spErr.retryAfter > 0 {
		return 0
	}
	return wait
}

// sharedPacers holds the pacer of each application in each tenant that an
// open client uses, so that every connection and every *sql.DB of the
// process that spends the same budget paces against it together: the
// budget is the application's in the tenant (docs/sharepoint.md §10.2),
// not a client's. It is the sharepoint package's one piece of
// process-wide mutable state. An entry is keyed by the token endpoint's
// host, the tenant (the token endpoint's first path segment; the site's
// host when there is no token endpoint) and the client ID, all
// case-insensitive; it is removed when the last user lets go of it, so
// what it learned lasts as long as some client of the application is
// open.
var sharedPacers = struct {
	mu      sync.Mutex
	entries map[pacerKey]*sharedPacer
}{entries: map[pacerKey]*sharedPacer{}}

type pacerKey struct{ tokenHost, tenant, clientID string }

type sharedPacer struct {
	p    *Pacer
	refs int // under sharedPacers.mu
}

// SharedPacer returns the pacer shared by every user of the application
// clientID in the tenant whose Entra ID token endpoint is tokenURI (or,
// with no token endpoint, the tenant of siteURL), and a function that lets
// go of it; call it once, when the client using the pacer is closed.
func SharedPacer(tokenURI, siteURL, clientID string) (p *Pacer, release func()) {
	key := pacerKey{clientID: strings.ToLower(strings.TrimSpace(clientID))}
	if u, err := url.Parse(tokenURI); err == nil && u.Host != "" {
		key.tokenHost = strings.ToLower(u.Host)
		key.tenant, _, _ = strings.Cut(strings.Trim(strings.ToLower(u.Path), "/"), "/")
	} else if u, err := url.Parse(siteURL); err == nil {
		key.tenant = strings.ToLower(u.Host)
	}
	sharedPacers.mu.Lock()
	defer sharedPacers.mu.Unlock()
	e := sharedPacers.entries[key]
	if e == nil {
		e = &sharedPacer{p: NewPacer()}
		sharedPacers.entries[key] = e
	}
	e.refs++
	var once sync.Once
	return e.p, func() {
		once.Do(func() {
			sharedPacers.mu.Lock()
			defer sharedPacers.mu.Unlock()
			if e.refs--; e.refs == 0 && sharedPacers.entries[key] == e {
				delete(sharedPacers.entries, key)
			}
		})
	}
}

// Pacer returns the client's pacer, nil when it has none.
func (c *Client) Pacer() *Pacer { return c.pacer }
