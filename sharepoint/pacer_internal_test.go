package sharepoint

import (
	"bytes"
	"context"
	"github.com/go-spsql/spsql/sharepoint/sptest"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock drives a Pacer without waiting: sleeping moves it on.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.t = c.t.Add(d)
	return nil
}

func fakePacer() (*Pacer, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := NewPacer()
	p.now, p.sleep = c.now, c.sleep
	return p, c
}

// budgetModel is SharePoint's budget as sptest models it: fixed windows
// from the first request, throttled requests counted.
type budgetModel struct {
	ru     int
	window time.Duration
	epoch  time.Time
	k      int64
	used   int
}

func (b *budgetModel) answer(now time.Time, cost int, headers bool) (int, http.Header) {
	if b.epoch.IsZero() {
		b.epoch = now
	}
	if k := int64(now.Sub(b.epoch) / b.window); k > b.k {
		b.k, b.used = k, 0
	}
	end := b.epoch.Add(time.Duration(b.k+1) * b.window)
	reset := strconv.Itoa(int((end.Sub(now) + time.Second - 1) / time.Second))
	over := b.used+cost > b.ru
	b.used += cost
	h := http.Header{}
	if headers && b.used*5 >= b.ru*4 {
		h.Set("RateLimit-Limit", strconv.Itoa(b.ru))
		h.Set("RateLimit-Remaining", strconv.Itoa(max(0, b.ru-b.used)))
		h.Set("RateLimit-Reset", reset)
	}
	if over {
		h.Set("Retry-After", reset)
		return http.StatusTooManyRequests, h
	}
	return http.StatusOK, h
}

// runPaced sends n requests of cost 2 one after another through p against
// the model, each taking 50 ms, retrying throttled ones, and returns how
// many were throttled and how long it all took.
func runPaced(t *testing.T, p *Pacer, clock *fakeClock, b *budgetModel, n int, headers bool) (throttled int, took time.Duration) {
	t.Helper()
	start := clock.t
	for i := 0; i < n; {
		tk, err := p.acquire(context.Background(), 2, func(time.Duration, string) {})
		if err != nil {
			t.Fatal(err)
		}
		status, h := b.answer(clock.t, 2, headers)
		clock.t = clock.t.Add(50 * time.Millisecond)
		p.observe(tk, status, h)
		if status == http.StatusTooManyRequests {
			throttled++
			continue
		}
		i++
	}
	return throttled, clock.t.Sub(start)
}

// TestPacerLearnsFromTheFirst429: without RateLimit headers, the pacer
// slows nothing until the first 429, learns from it what a window admits,
// and paces so that no further 429 follows, close to the budget's floor.
func TestPacerLearnsFromTheFirst429(t *testing.T) {
	p, clock := fakePacer()
	b := &budgetModel{ru: 100, window: 10 * time.Second}
	throttled, took := runPaced(t, p, clock, b, 1000, false) // 2,000 units: 20 windows
	floor := 2000 / 100 * 10 * time.Second
	if throttled != 1 {
		t.Errorf("%d requests throttled, want 1 (the one the pacer learns from)", throttled)
	}
	if took > floor*11/10 {
		t.Errorf("took %s, more than 1.1 × the floor of %s", took, floor)
	}
	st := p.Stats()
	if !st.Active || st.Rate <= 0 || st.Throttled != 1 || st.Requests != 1001 || st.Waits == 0 {
		t.Errorf("Stats = %+v", st)
	}
}

// TestPacerSlowsNothingWithoutABudget: with no 429 and no headers, no
// request waits.
func TestPacerSlowsNothingWithoutABudget(t *testing.T) {
	p, clock := fakePacer()
	b := &budgetModel{ru: 1 << 30, window: time.Minute}
	if throttled, _ := runPaced(t, p, clock, b, 500, false); throttled != 0 {
		t.Fatalf("%d throttled", throttled)
	}
	if st := p.Stats(); st.Waits != 0 || st.Active {
		t.Errorf("Stats = %+v, want no waits", st)
	}
}

// TestPacerRateLimitHeaders: with RateLimit headers the pacer spends what
// remains and then holds requests until the reset: no 429 at all.
func TestPacerRateLimitHeaders(t *testing.T) {
	p, clock := fakePacer()
	b := &budgetModel{ru: 100, window: 10 * time.Second}
	throttled, took := runPaced(t, p, clock, b, 1000, true)
	floor := 2000 / 100 * 10 * time.Second
	if throttled != 0 {
		t.Errorf("%d requests throttled with RateLimit headers, want 0", throttled)
	}
	if took > floor*11/10 {
		t.Errorf("took %s, more than 1.1 × the floor of %s", took, floor)
	}
	if st := p.Stats(); st.Limit != 100 || !st.Active {
		t.Errorf("Stats = %+v", st)
	}
}

// TestPacerRetryAfterHoldsEveryone: a Retry-After seen by one request
// holds every request sharing the pacer for exactly that long; a 503's
// holds them too but teaches no pace.
func TestPacerRetryAfterHoldsEveryone(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		p, clock := fakePacer()
		a, _ := p.acquire(context.Background(), 2, func(time.Duration, string) {})
		b, _ := p.acquire(context.Background(), 2, func(time.Duration, string) {})
		p.observe(b, http.StatusOK, nil)
		clock.t = clock.t.Add(300 * time.Millisecond)
		p.observe(a, status, http.Header{"Retry-After": {"7"}})
		var waits []time.Duration
		var why string
		if _, err := p.acquire(context.Background(), 1, func(d time.Duration, w string) { waits = append(waits, d); why = w }); err != nil {
			t.Fatal(err)
		}
		if len(waits) != 1 || waits[0] != 7*time.Second || !strings.Contains(why, "Retry-After") {
			t.Errorf("HTTP %d: another request waited %v (%q), want exactly 7s for Retry-After", status, waits, why)
		}
		if learned := p.Stats().Rate > 0; learned != (status == http.StatusTooManyRequests) {
			t.Errorf("HTTP %d: learned a pace: %v", status, learned)
		}
	}
}

// TestPacerWaitEndsWithTheContext: a request waiting for the pacer gives
// up when its context ends.
func TestPacerWaitEndsWithTheContext(t *testing.T) {
	p := NewPacer()
	tk, _ := p.acquire(context.Background(), 1, func(time.Duration, string) {})
	p.observe(tk, http.StatusTooManyRequests, http.Header{"Retry-After": {"3600"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.acquire(ctx, 1, func(time.Duration, string) {}); err == nil || !strings.Contains(err.Error(), "Retry-After") {
		t.Errorf("err = %v, want the cancellation while waiting for Retry-After", err)
	}
}

// TestSharedPacerPerApplicationAndTenant: one pacer per token endpoint
// host, tenant and client ID, whatever their case, kept while used.
func TestSharedPacerPerApplicationAndTenant(t *testing.T) {
	const tok = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
	a, ra := SharedPacer(tok, "https://contoso.sharepoint.com/sites/a", "1111-AAAA")
	b, rb := SharedPacer(strings.ToUpper(tok[:40])+tok[40:], "https://contoso.sharepoint.com/sites/b", "1111-aaaa")
	other, ro := SharedPacer(tok, "https://contoso.sharepoint.com/sites/a", "2222")
	v1, rv1 := SharedPacer("https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token", "https://contoso.sharepoint.com", "1111-aaaa")
	otherTenant, rt := SharedPacer("https://login.microsoftonline.com/fabrikam.onmicrosoft.com/oauth2/v2.0/token", "https://contoso.sharepoint.com", "1111-aaaa")
	defer ro()
	defer rt()
	if a != b || a != v1 {
		t.Error("two sites of one application in one tenant got different pacers")
	}
	if a == other || a == otherTenant {
		t.Error("another application or tenant shares the pacer")
	}
	ra()
	ra() // once only
	rb()
	rv1()
	again, r := SharedPacer(tok, "", "1111-AAAA")
	defer r()
	if again == a {
		t.Error("the pacer outlived its last user")
	}
}

// lockedClock is a fakeClock the emulator's goroutines read too.
type lockedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lockedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *lockedClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return nil
}

// TestClientPacesAgainstTheEmulatorsBudget: a client with a pacer meets
// the emulator's budget once, retries after exactly its Retry-After, and
// then keeps under it; the log says each wait and why, and what was
// learned.
func TestClientPacesAgainstTheEmulatorsBudget(t *testing.T) {
	clock := &lockedClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv := emulator(t, sptest.Site{}, sptest.WithBudget(sptest.Budget{RU: 10, Window: 4 * time.Minute, Now: clock.now}))
	p := NewPacer()
	p.now, p.sleep = clock.now, clock.sleep
	var logs bytes.Buffer
	c := emulatorClient(t, srv, nil, WithPacer(p),
		WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	start := clock.now()
	for i := range 40 { // 40 units: four windows
		if _, err := c.Web(context.Background()); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if st := srv.BudgetStats(); st.Throttled != 1 {
		t.Errorf("%d requests throttled, want only the first", st.Throttled)
	}
	if took := clock.now().Sub(start); took > 16*time.Minute*11/10 {
		t.Errorf("40 units at 10 per 4 minutes took %s", took)
	}
	text := logs.String()
	for _, want := range []string{
		`msg="sharepoint: pacing: throttled: a window of 4m0s admitted 10 units; spending at most that per window from now on"`,
		`msg="sharepoint: pacing: waiting before a request" wait=4m0s why="SharePoint asked to wait this long (Retry-After)"`,
		`why="the budget learned from throttling (10 units a window) is spent until the window ends" method=GET`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the log lacks %q:\n%s", want, text)
		}
	}
}

// TestPacedRetryWait: with a pacer, a throttled request with Retry-After
// waits in the pacer (with everyone sharing it), not on its own; without
// Retry-After, or without a pacer, the retry's own wait stands.
func TestPacedRetryWait(t *testing.T) {
	throttled := &Error{StatusCode: http.StatusTooManyRequests, retryAfter: 3 * time.Second}
	bare := &Error{StatusCode: http.StatusTooManyRequests}
	paced := &Client{pacer: NewPacer()}
	if got := paced.pacedRetryWait(throttled, 3*time.Second); got != 0 {
		t.Errorf("paced, Retry-After: waits %s on its own", got)
	}
	if got := paced.pacedRetryWait(bare, time.Second); got != time.Second {
		t.Errorf("paced, no Retry-After: waits %s, want its backoff", got)
	}
	if got := (&Client{}).pacedRetryWait(throttled, 3*time.Second); got != 3*time.Second {
		t.Errorf("unpaced: waits %s, want Retry-After", got)
	}
}

// runCosts sends requests of the given costs, in turn and over again, n
// in all, one after another through p against the model, each taking
// took, retrying throttled ones; it returns how many were throttled, how
// long it all took and the units the admitted requests cost.
func runCosts(t *testing.T, p *Pacer, clock *fakeClock, b *budgetModel, costs []int, n int, took time.Duration, headers bool) (throttled int, wall time.Duration, units int) {
	t.Helper()
	start := clock.t
	for i := 0; i < n; {
		cost := costs[i%len(costs)]
		tk, err := p.acquire(context.Background(), cost, func(time.Duration, string) {})
		if err != nil {
			t.Fatal(err)
		}
		status, h := b.answer(clock.t, cost, headers)
		clock.t = clock.t.Add(took)
		p.observe(tk, status, h)
		if status == http.StatusTooManyRequests {
			throttled++
			continue
		}
		units += cost
		i++
	}
	return throttled, clock.t.Sub(start), units
}

// TestPacerSpendsPerWindow: with requests of very different costs (a
// $batch of 100 writes costs 200, a page read 2) and a window of one
// second, the pacer learns the budget and where windows end from the
// first 429 and then fills each window without overfilling it: no other
// 429, and close to the floor.
func TestPacerSpendsPerWindow(t *testing.T) {
	for _, headers := range []bool{false, true} {
		p, clock := fakePacer()
		b := &budgetModel{ru: 1000, window: time.Second}
		costs := make([]int, 51) // 50 reads and a $batch: 300 units
		for i := range costs {
			costs[i] = 2
		}
		costs[50] = 200
		throttled, took, units := runCosts(t, p, clock, b, costs, 51*40, time.Millisecond, headers)
		floor := time.Duration(float64(units) / 1000 * float64(time.Second))
		if throttled > 1 {
			t.Errorf("headers %v: %d requests throttled, want at most the first", headers, throttled)
		}
		if took > floor*11/10 {
			t.Errorf("headers %v: took %s, more than 1.1 × the floor of %s", headers, took, floor)
		}
	}
}

// TestPacerRemainingCountsOthers: when another process of the
// application spends from the same budget, RateLimit-Remaining says so,
// and the pacer spends only what is left: no 429.
func TestPacerRemainingCountsOthers(t *testing.T) {
	p, clock := fakePacer()
	b := &budgetModel{ru: 100, window: 10 * time.Second}
	throttled := 0
	for i := 0; i < 400; i++ {
		tk, err := p.acquire(context.Background(), 2, func(time.Duration, string) {})
		if err != nil {
			t.Fatal(err)
		}
		status, h := b.answer(clock.t, 2, true)
		if i%4 == 0 && status != http.StatusTooManyRequests {
			b.answer(clock.t, 2, true) // the other process
		}
		clock.t = clock.t.Add(50 * time.Millisecond)
		p.observe(tk, status, h)
		if status == http.StatusTooManyRequests {
			throttled++
		}
	}
	if throttled != 0 {
		t.Errorf("%d requests throttled, want none: the headers say what is left", throttled)
	}
}

// TestPacerBatchOps: once a window's budget is known, batches are sized
// to fill windows (a budget of 300 units takes one $batch of 100 writes,
// 200 units, but two of 75); without a budget or a pacer, 100.
func TestPacerBatchOps(t *testing.T) {
	for _, c := range []struct{ budget, want int }{
		{0, 100}, {300, 75}, {1500, 93}, {1404, 100}, {204, 100}, {40000, 100}, {50, 25},
	} {
		p := NewPacer()
		p.budget = c.budget
		if got := p.batchOps(MaxBatchOps, 2); got != c.want {
			t.Errorf("budget %d: %d operations a $batch, want %d", c.budget, got, c.want)
		}
	}
	if got := (*Pacer)(nil).batchOps(MaxBatchOps, 2); got != MaxBatchOps {
		t.Errorf("no pacer: %d operations a $batch", got)
	}
}

// TestPacerLearnsLongerWindows: when the first throttled window began
// before the burst of work (windows aligned to the clock, say), it is
// learned too short; the next 429 teaches the whole window, and no other
// follows.
func TestPacerLearnsLongerWindows(t *testing.T) {
	for _, c := range []struct {
		before time.Duration
		cost   int
	}{{10 * time.Second, 2}, {55 * time.Second, 2}, {58 * time.Second, 200}} {
		before := c.before
		p, clock := fakePacer()
		b := &budgetModel{ru: 1000, window: time.Minute, epoch: clock.t.Add(-before)}
		throttled, _, _ := runCosts(t, p, clock, b, []int{c.cost}, 10000/c.cost, 20*time.Millisecond, false)
		if throttled > 2 {
			t.Errorf("window begun %s before the burst: %d requests throttled, want 2 at most", before, throttled)
		}
		if st := p.Stats(); st.Rate != 1000.0/60 {
			t.Errorf("window begun %s before the burst: pace %.4g units/s, want %.4g", before, st.Rate, 1000.0/60)
		}
	}
}
