package sharepoint

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/go-spsql/spsql/auth"
)

// retryPolicy decides whether and when a failed request is made again:
// 429 and 503 after SharePoint's Retry-After (docs/sharepoint.md §10.1: the
// larger of it and our own backoff, since throttled calls still count
// against the budget), other 5xx, network errors and cut bodies after an
// exponential backoff with jitter. 4xx answers are final. A refused
// connection or an unknown host gets only auth.UnreachableRetries retries.
type retryPolicy struct {
	max           int           // retries after the first attempt
	base          time.Duration // first backoff
	cap           time.Duration // longest backoff
	maxRetryAfter time.Duration // longest Retry-After honoured; longer gives up
	// sleep waits d or until ctx is done. Tests replace it to record the
	// waits instead of spending them.
	sleep func(ctx context.Context, d time.Duration) error
}

func defaultRetryPolicy() retryPolicy {
	return retryPolicy{
		max:           DefaultRetries,
		base:          500 * time.Millisecond,
		cap:           30 * time.Second,
		maxRetryAfter: 5 * time.Minute,
		sleep:         sleepContext,
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryableError marks a failure that a new attempt may cure: a network
// error or a body cut short.
type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// decide returns how long to wait before retrying after err on the given
// attempt (0-based), or false if err is final.
func (p *retryPolicy) decide(err error, attempt int) (time.Duration, bool) {
	if attempt >= p.max {
		return 0, false
	}
	backoff := p.backoff(attempt)
	var spErr *Error
	if errors.As(err, &spErr) {
		switch {
		case spErr.throttled():
			if spErr.retryAfter > p.maxRetryAfter {
				return 0, false // SharePoint asks for longer than we may wait
			}
			return max(spErr.retryAfter, backoff), true
		case spErr.StatusCode >= 500 && !errors.Is(spErr, ErrViewThreshold) && spErr.StatusCode != http.StatusNotImplemented:
			// The list view threshold is a 500 that no retry cures.
			return backoff, true
		}
		return 0, false
	}
	var re *retryableError
	if errors.As(err, &re) {
		if errors.Is(err, auth.ErrUnreachable) && attempt >= auth.UnreachableRetries {
			return 0, false // nothing listens there: say so within seconds
		}
		return backoff, true
	}
	return 0, false
}

// backoff is base·2^attempt capped at cap, with "equal jitter": a random
// point in its upper half, so synchronized clients spread out.
func (p *retryPolicy) backoff(attempt int) time.Duration {
	d := p.cap
	if attempt < 30 {
		d = min(p.base<<attempt, p.cap)
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date (RFC 9110 §10.2.3). Anything else counts as absent (0).
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// isTransient reports whether a transport error may go away on its own:
// timeouts, resets, refused connections and connections closed early.
// Anything else — an authentication failure from the token source above
// all — is final.
func isTransient(err error) bool {
	// A transport error may say for itself (auth.TokenError does: the
	// token source has retried within its own login timeout already).
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		return r.Retryable()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE)
}

// isUnreachable reports whether a transport error says that nothing
// answers at the address (connection refused, unknown host), unless the
// error says for itself that it is final (see isTransient).
func isUnreachable(err error) bool {
	var r interface{ Retryable() bool }
	if errors.As(err, &r) && !r.Retryable() {
		return false
	}
	return auth.UnreachableReason(err) != ""
}
