package sptest

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Budget models SharePoint Online's throttling of an application
// (docs/sharepoint.md §10.2): every request spends resource units (RU)
// from a budget per window, throttled ones included; a request that would
// go beyond the budget is answered 429 Too Many Requests with a
// Retry-After header saying when the window ends. Give it to NewServer
// with WithBudget; without it nothing is throttled.
//
// Windows are fixed and follow one another from the first request the
// server charges (SharePoint does not say how its windows are placed;
// docs/sharepoint.md §15). The costs are Microsoft's published Graph
// costs, which SharePoint's REST calls are said to resemble (§10.2):
//
//   - Read (default 1): a GET of one entity — an item by ID, the web, one
//     list, one field, the time zone;
//   - Query (default 2): a GET of a collection — a page of items (the ID
//     slices of a parallel read included), the lists, a list's fields;
//   - Write (default 2): a create, update or delete;
//   - a $batch costs the sum of its parts (a GET part as Query, any other
//     as Write), at least one Read: each part counts as a request.
//
// Metadata requests are costed like any other GET by their shape: the
// lists and fields collections are queries, a single list or field a
// read.
type Budget struct {
	// RU is the budget per window; 0 or less throttles nothing.
	RU int
	// Window is the length of a window; 0 means one minute, SharePoint's.
	Window time.Duration
	// Read, Query and Write are the costs of a request of each kind (see
	// above); 0 takes the default.
	Read, Query, Write int
	// RateLimitHeaders decides whether an answer to r carries the
	// RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers
	// once 80% of the window's budget is spent. SharePoint sends them only
	// to applications using application permissions (docs/sharepoint.md
	// §10.2); nil does the same: callers with an app-only token (the
	// client-credentials grant, apponly.go) get them, delegated tokens
	// (the refresh-token grant) do not. AlwaysRateLimitHeaders sends them
	// to everyone.
	RateLimitHeaders func(r *http.Request) bool
	// ServiceTimePerItem, when above 0, delays each answer by this much
	// per list item it returns, so that a page of 5,000 items takes
	// longer than a page of 10, as on a tenant.
	ServiceTimePerItem time.Duration
	// Now is the budget's clock; nil means time.Now. Tests give a fake
	// clock to move from window to window without waiting.
	Now func() time.Time
}

// AlwaysRateLimitHeaders is a Budget.RateLimitHeaders that sends the
// headers with every answer past 80% of the budget: what an application
// with application permissions sees.
func AlwaysRateLimitHeaders(*http.Request) bool { return true }

// WithBudget makes the server throttle as b says (see Budget).
func WithBudget(b Budget) Option {
	return func(c *config) {
		if b.Window <= 0 {
			b.Window = time.Minute
		}
		b.Read = defaultCost(b.Read, 1)
		b.Query = defaultCost(b.Query, 2)
		b.Write = defaultCost(b.Write, 2)
		if b.Now == nil {
			b.Now = time.Now
		}
		c.budget = &b
	}
}

func defaultCost(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// BudgetStats is what the budget has seen so far.
type BudgetStats struct {
	// Requests is how many requests were charged, Throttled how many of
	// them were answered 429.
	Requests, Throttled int
	// RU is the resource units charged in all, throttled requests
	// included.
	RU int
	// Windows is how many windows have begun.
	Windows int
}

// budgetState is the server's account of the budget (under mu).
type budgetState struct {
	mu     sync.Mutex
	epoch  time.Time // start of the first window; zero before any request
	window int64     // index of the current window
	used   int       // RU spent in the current window
	stats  BudgetStats
}

// BudgetStats returns what the server's Budget has charged so far; the
// zero value without WithBudget.
func (s *Server) BudgetStats() BudgetStats {
	s.budget.mu.Lock()
	defer s.budget.mu.Unlock()
	return s.budget.stats
}

// ThrottledRequests returns the SharePoint-side requests answered 429 so
// far, oldest first: the budget's and injected faults' alike.
func (s *Server) ThrottledRequests() []SPRequest {
	var out []SPRequest
	for _, r := range s.Requests() {
		if r.Status == http.StatusTooManyRequests {
			out = append(out, r)
		}
	}
	return out
}

// charge spends the cost of r (path is the lower-cased part after
// "/_api/") from the budget. It sets the RateLimit headers on w when
// they are due, and answers 429 itself and returns false when the
// request is beyond the budget.
func (s *Server) charge(w http.ResponseWriter, r *http.Request, path string, rec *SPRequest) bool {
	b := s.cfg.budget
	if b == nil || b.RU <= 0 {
		return true
	}
	cost := s.requestCost(r, path)
	rec.Cost = cost
	now := b.Now()
	st := &s.budget
	st.mu.Lock()
	if st.epoch.IsZero() {
		st.epoch = now
		st.stats.Windows = 1
	}
	if k := int64(now.Sub(st.epoch) / b.Window); k > st.window {
		st.window, st.used = k, 0
		st.stats.Windows++
	}
	end := st.epoch.Add(time.Duration(st.window+1) * b.Window)
	over := st.used+cost > b.RU
	st.used += cost // throttled requests count too (§10.1)
	used := st.used
	st.stats.Requests++
	st.stats.RU += cost
	if over {
		st.stats.Throttled++
	}
	st.mu.Unlock()

	toReset := ceilSeconds(end.Sub(now))
	if used*5 >= b.RU*4 && s.rateLimitHeaders(b, r) {
		h := w.Header()
		h.Set("RateLimit-Limit", strconv.Itoa(b.RU))
		h.Set("RateLimit-Remaining", strconv.Itoa(max(0, b.RU-used)))
		h.Set("RateLimit-Reset", strconv.Itoa(toReset))
	}
	if !over {
		return true
	}
	rec.Throttled = true
	if s.cfg.logger != nil {
		s.cfg.logger.Debug("sptest: throttled", "method", r.Method, "path", r.URL.Path, "cost", cost, "retryAfter", toReset)
	}
	w.Header().Set("Retry-After", strconv.Itoa(toReset))
	f, _ := negotiate(r)
	writeError(w, f, &apiError{http.StatusTooManyRequests, "-2147024860, Microsoft.SharePoint.SPServerTooBusyException",
		"The request has been throttled: the application used its resource units for this window."})
	return false
}

// ceilSeconds is d in whole seconds, rounded up, at least 1: Retry-After
// and RateLimit-Reset carry whole seconds.
func ceilSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// requestCost is r's cost by the Budget's rules (see Budget).
func (s *Server) requestCost(r *http.Request, path string) int {
	b := s.cfg.budget
	if path == "$batch" {
		body, err := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err != nil {
			return b.Read
		}
		cost := 0
		lower := bytes.ToLower(body)
		for _, part := range bytes.Split(lower, []byte("application/http"))[1:] {
			// A part's request line follows its headers' blank line.
			_, after, ok := bytes.Cut(part, []byte("\r\n\r\n"))
			if ok && bytes.HasPrefix(bytes.TrimLeft(after, "\r\n"), []byte("get ")) {
				cost += b.Query
			} else {
				cost += b.Write
			}
		}
		return max(cost, b.Read)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return b.Write
	}
	segs, ok := splitSegments(path)
	if !ok || len(segs) == 0 {
		return b.Read
	}
	last := segs[len(segs)-1]
	switch last.name {
	case "items", "lists", "fields", "getitems":
		if !last.hasArg {
			return b.Query
		}
	}
	return b.Read
}

// serviceTime delays an answer that returned n items by the Budget's
// ServiceTimePerItem for each (serveItems calls it).
func (s *Server) serviceTime(r *http.Request, n int) {
	b := s.cfg.budget
	if b == nil || b.ServiceTimePerItem <= 0 || n == 0 {
		return
	}
	t := time.NewTimer(time.Duration(n) * b.ServiceTimePerItem)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// rateLimitHeaders reports whether the answer to r carries the RateLimit
// headers (see Budget.RateLimitHeaders).
func (s *Server) rateLimitHeaders(b *Budget, r *http.Request) bool {
	if b.RateLimitHeaders != nil {
		return b.RateLimitHeaders(r)
	}
	_, appOnly := s.appOnlyCaller(r)
	return appOnly
}
