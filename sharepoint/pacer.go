package sharepoint

import (
	"context"
	"errors"
	"fmt"
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
//   - from the first sign on it spends per window: it knows the budget
//     of a window (RateLimit-Limit when the headers come, sent to
//     applications with application permissions from 80% of the budget
//     on, §10.2; without them, as delegated tokens get, the units a
//     window admitted before its first 429), the windows' length and
//     where they end (see below), and counts the units of every request
//     it lets go — in flight or answered, throttled ones too — against
//     the window it starts in. A request goes when it fits in what is
//     left of its window, and otherwise waits for the next window, so
//     each window is spent in full and never overfilled, whatever the
//     requests' costs (a page read costs 2, a $batch of 100 writes 200).
//     RateLimit-Remaining, when it says more is spent than counted (other
//     processes of the application), is believed.
//
// Where windows end: a Retry-After or RateLimit-Reset says it to a whole
// second (rounded up), so each says the window ends within an interval of
// a second (plus the request's round trip); the pacer keeps the
// intersection of all it has seen, windows following one another at
// fixed length. A request sent while the interval leaves open which of
// two windows it falls in is counted in both. The windows are taken to
// last whole seconds (SharePoint's is a minute) and, when it agrees with
// what was said, the first to have begun with the first request of the
// burst of work (windows fixed from an application's first request, as
// the emulator models them), which pins the ends to the round trip of
// that first request; a later Retry-After or Reset that disagrees
// replaces what was assumed (docs/sharepoint.md §10.4).
//
// A window's budget learned from a 429 is what the window admitted, never
// more: the pace is not raised past it, so after the first throttling no
// other follows. Should one follow all the same, the windows or the
// budget were learned wrong (the first throttled window may have begun
// before the burst, and so have been learned too short): the span from
// the end of the window learned from to the end this 429 names is
// learned as one window, with what it admitted as the budget.
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
	// The budget: units per window (0: no sign of one yet), and whether
	// the RateLimit headers gave it (limit is then their last
	// RateLimit-Limit).
	budget      int
	fromHeaders bool
	// The windows: their length, and an interval (lo, hi] in which window
	// 0 ends; window k ends k windows later (see windowsAt).
	window time.Duration
	lo, hi time.Time
	// lead is how long a request may take to reach SharePoint (the
	// round trip of the burst's first request).
	lead time.Duration
	// spent holds the units let go in each window, by index.
	spent map[int64]int
	// learnedK is the window whose 429 taught the budget; learnLo and
	// learnHi the sequence numbers of the requests then sent and not
	// answered: those admitted after all add their units.
	learnedK         int64
	learnLo, learnHi int64
	// The requests sent lately (see admit), for learning; begun is when
	// this burst of work began, firstSeq its first request and
	// firstAnswered when that was answered.
	sent          []sentRequest
	sentBase      int64 // the sequence number of sent[0]
	begun         time.Time
	firstSeq      int64
	firstAnswered time.Time
	lastSeen      time.Time
	inFlight      int // units of requests sent and not yet answered

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
	// Rate is the pace learned from throttling in resource units per
	// second (a window's budget over its length; 0 when not learned, or
	// when RateLimit headers say what remains instead).
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
	if p.fromHeaders {
		s.Limit = p.budget
	} else if p.budget > 0 && p.window > 0 {
		s.Rate = float64(p.budget) / p.window.Seconds()
	}
	return s
}

// paceTicket is one request let go by acquire, handed back to observe.
type paceTicket struct {
	seq  int64 // sequence number among the requests sent
	cost int
	at   time.Time
	// The windows it was counted in, and what each had spent then (for
	// the first two), when the windows were known.
	counted    bool
	kmin, kmax int64
	spentThen  [2]int
}

// acquire waits until a request costing cost units may start, and
// reports each wait with why to logWait. It fails only when ctx ends.
func (p *Pacer) acquire(ctx context.Context, cost int, logWait func(d time.Duration, why string)) (*paceTicket, error) {
	for {
		p.mu.Lock()
		now := p.now()
		d, why := p.delay(now, cost)
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

// windowsAt returns the windows a request sent at t may fall in: window
// k ends at some instant of (lo, hi] moved by k windows, and t is in it
// when it is before that end and not before the end of window k-1; a
// request reaches SharePoint up to lead after it is sent.
func (p *Pacer) windowsAt(t time.Time) (kmin, kmax int64) {
	return floorDiv(t.Sub(p.hi), p.window) + 1, ceilDiv(t.Add(p.lead).Sub(p.lo), p.window)
}

func floorDiv(a, b time.Duration) int64 {
	q := int64(a / b)
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b time.Duration) int64 {
	q := int64(a / b)
	if a%b != 0 && a > 0 {
		q++
	}
	return q
}

// delay returns how long a request of cost units must wait from now, and
// why; 0 when it may start.
func (p *Pacer) delay(now time.Time, cost int) (time.Duration, string) {
	if now.Before(p.blockedUntil) {
		return p.blockedUntil.Sub(now), "SharePoint asked to wait this long (Retry-After)"
	}
	if p.budget <= 0 || p.window <= 0 {
		return 0, ""
	}
	kmin, kmax := p.windowsAt(now)
	full := kmin - 1
	for k := kmin; k <= kmax; k++ {
		// A request costing more than a whole window's budget goes
		// alone in an empty window.
		if s := p.spent[k]; s > 0 && s+cost > p.budget {
			full = k
		}
	}
	if full < kmin {
		return 0, ""
	}
	// Until window full has ended, wherever in (lo, hi] it ends.
	d := p.hi.Add(time.Duration(full) * p.window).Sub(now)
	if p.fromHeaders {
		return d, "the RateLimit headers' budget of " + strconv.Itoa(p.budget) + " units is spent until the window ends"
	}
	return d, "the budget learned from throttling (" + strconv.Itoa(p.budget) + " units a window) is spent until the window ends"
}

// admit records a request let go at now.
func (p *Pacer) admit(now time.Time, cost int) *paceTicket {
	if p.begun.IsZero() || now.Sub(p.lastSeen) > idleRestart && p.inFlight == 0 {
		p.begun = now // a new burst of work
		p.forget(now)
		p.firstSeq = p.sentBase + int64(len(p.sent))
		p.firstAnswered = time.Time{}
	}
	p.lastSeen = now
	p.inFlight += cost
	p.stats.Requests++
	p.stats.Units += cost
	if len(p.sent) >= sentKeep {
		p.forget(p.sent[sentKeep/2].at)
	} else if p.window > 0 && len(p.sent) > 0 && now.Sub(p.sent[0].at) > 3*p.window {
		p.forget(now.Add(-2 * p.window)) // enough to learn from, or to count again
	}
	p.sent = append(p.sent, sentRequest{at: now, cost: cost})
	t := &paceTicket{seq: p.sentBase + int64(len(p.sent)-1), cost: cost, at: now}
	if p.budget > 0 && p.window > 0 {
		t.counted = true
		t.kmin, t.kmax = p.windowsAt(now)
		for k := t.kmin; k <= t.kmax; k++ {
			p.spent[k] += cost
			if k-t.kmin < 2 {
				t.spentThen[k-t.kmin] = p.spent[k]
			}
		}
		for k := range p.spent {
			if k < t.kmin-2 {
				delete(p.spent, k)
			}
		}
	}
	return t
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

// recount counts the remembered requests again in the windows they may
// fall in, after the windows were learned or moved.
func (p *Pacer) recount() {
	p.spent = map[int64]int{}
	for _, r := range p.sent {
		kmin, kmax := p.windowsAt(r.at)
		for k := kmin; k <= kmax; k++ {
			p.spent[k] += r.cost
		}
	}
}

// windowOf returns the window that ends in (lo, hi], by where the
// interval's middle falls among the windows' ends.
func (p *Pacer) windowOf(lo, hi time.Time) int64 {
	mid := lo.Add(hi.Sub(lo) / 2)
	pmid := p.lo.Add(p.hi.Sub(p.lo) / 2)
	d := mid.Sub(pmid)
	k := d / p.window
	if r := d % p.window; r > p.window/2 {
		k++
	} else if r < -p.window/2 {
		k--
	}
	return int64(k)
}

// learnWindows takes a window ending in (lo, hi] as window 0, the first
// end learned: its length is taken to be the whole seconds since the
// burst of work began, and its end, when that agrees, that many seconds
// after the burst's first request reached SharePoint.
func (p *Pacer) learnWindows(lo, hi time.Time) {
	p.window = max(time.Second, hi.Sub(p.begun).Truncate(time.Second))
	p.lo, p.hi = lo, hi
	if !p.firstAnswered.IsZero() {
		p.lead = min(p.firstAnswered.Sub(p.begun), p.window/4)
		hl, hh := p.begun.Add(p.window-time.Nanosecond), p.firstAnswered.Add(p.window)
		if hl.Before(hh) && hl.Before(hi) && hh.After(lo) {
			p.lo, p.hi = later(lo, hl), earlier(hi, hh)
		}
	}
	p.learnedK = 0
	p.recount()
}

// narrow takes in that the window k ends in (lo, hi] (k: see windowOf):
// the ends known shrink to what agrees with it, or, when nothing does,
// move to it (and the requests are counted again).
func (p *Pacer) narrow(lo, hi time.Time) (k int64, agreed bool) {
	k = p.windowOf(lo, hi)
	shift := time.Duration(k) * p.window
	nlo, nhi := later(p.lo, lo.Add(-shift)), earlier(p.hi, hi.Add(-shift))
	if nlo.Before(nhi) {
		p.lo, p.hi = nlo, nhi
		return k, true
	}
	p.lo, p.hi = lo.Add(-shift), hi.Add(-shift)
	p.recount()
	return k, false
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// observe records the answer to a request acquire let go: status 0 when
// none came. It returns what the pacer learned from it, for the log, or
// "".
func (p *Pacer) observe(t *paceTicket, status int, h http.Header) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.inFlight -= t.cost
	if t.seq == p.firstSeq && p.firstAnswered.IsZero() {
		p.firstAnswered = now
	}
	admitted := status != 0 && status != http.StatusTooManyRequests
	if i := t.seq - p.sentBase; i >= 0 && i < int64(len(p.sent)) && admitted {
		p.sent[i].answered = true
	}
	if admitted && !p.fromHeaders && t.seq >= p.learnLo && t.seq < p.learnHi {
		// Sent in the window learned from, and answered only since: the
		// window admitted more than was known then.
		p.budget += t.cost
	}
	learned := ""
	if limit, remaining, reset, ok := rateLimitHeaders(h); ok {
		p.stats.Active = true
		// The window this request was counted in ends within (lo, hi].
		lo, hi := t.at.Add(reset-time.Second), now.Add(reset)
		var k int64
		if !p.fromHeaders || p.window <= 0 {
			learned = fmt.Sprintf("SharePoint's RateLimit headers give a budget of %d units per window; pacing by them", limit)
			p.fromHeaders, p.budget = true, limit
			if p.window <= 0 {
				p.learnWindows(lo, hi)
			} else {
				k, _ = p.narrow(lo, hi)
			}
		} else {
			p.budget = limit
			k, _ = p.narrow(lo, hi)
		}
		// SharePoint had counted limit-remaining units when this request
		// came; those sent after it it had not.
		after := p.inFlight
		if t.counted && k >= t.kmin && k < t.kmin+2 && k <= t.kmax {
			after = p.spent[k] - t.spentThen[k-t.kmin]
		}
		if used := limit - remaining + after; used > p.spent[k] {
			p.spent[k] = used
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
	// A 429's window ends within (lo, end]: it teaches where windows end
	// and, without RateLimit headers (they say it better), what a window
	// admits.
	if status != http.StatusTooManyRequests {
		return learned
	}
	lo := t.at.Add(wait - time.Second)
	if p.window <= 0 {
		p.learnWindows(lo, end)
		return p.learnBudget(0, p.begun)
	}
	prevEnd := p.hi.Add(time.Duration(p.learnedK) * p.window) // the end of the window learned from
	k, agreed := p.narrow(lo, end)
	if p.fromHeaders || agreed && k <= p.learnedK {
		// Another 429 of the window learned from (or the headers rule).
		return learned
	}
	// A later throttling: the windows or the budget were learned wrong.
	// The span since the window learned from ended is learned as one
	// window (that one may have begun before the burst of work, and so
	// been learned too short), and its budget as what it admitted.
	w := end.Sub(prevEnd).Round(time.Second)
	if w < time.Second {
		return learned
	}
	if agreed && w == p.window {
		shift := time.Duration(k) * p.window
		p.lo, p.hi = p.lo.Add(shift), p.hi.Add(shift)
	} else {
		p.window, p.lo, p.hi = w, lo, end
	}
	p.recount()
	return p.learnBudget(0, prevEnd)
}

// admittedSince returns the units of the requests sent from from on and
// answered (not 429), and the sequence numbers of the requests sent from
// then on.
func (p *Pacer) admittedSince(from time.Time) (units int, lo, hi int64) {
	lo, hi = p.sentBase+int64(len(p.sent)), p.sentBase+int64(len(p.sent))
	for i, r := range p.sent {
		if !r.at.Before(from) {
			lo = min(lo, p.sentBase+int64(i))
			if r.answered {
				units += r.cost
			}
		}
	}
	return units, lo, hi
}

// learnBudget learns from a 429 what window k, which surely began at
// from, admits: the units of the requests answered since, those still
// in flight adding theirs if admitted.
func (p *Pacer) learnBudget(k int64, from time.Time) string {
	units, lo, hi := p.admittedSince(from)
	if units == 0 {
		return ""
	}
	p.budget, p.learnedK = units, k
	p.learnLo, p.learnHi = lo, hi
	return fmt.Sprintf("throttled: a window of %s admitted %d units; spending at most that per window from now on",
		p.window, units)
}

// batchOps returns how many operations of perOp units each one $batch
// should carry, at most most. Once a window's budget is known, it is the
// largest number that fills a window within 2% of the best any number
// does: with a budget of 300 units, one $batch of 100 writes (200 units)
// fits in a window, but two of 75 fill it. Before, and without a pacer,
// it is most.
func (p *Pacer) batchOps(most, perOp int) int {
	if p == nil || most < 1 || perOp < 1 {
		return most
	}
	p.mu.Lock()
	b := p.budget
	p.mu.Unlock()
	if b <= 0 {
		return most
	}
	fill := func(n int) int { return b / (n * perOp) * n } // operations a window takes
	best := 0
	for n := 1; n <= most; n++ {
		best = max(best, fill(n))
	}
	n := most
	for fill(n)*50 < best*49 {
		n--
	}
	return n
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
