package auth

import "time"

// SetBackoff shortens the retry pacing so retry tests run quickly; it is not
// a timing assertion, only a speed-up.
func SetBackoff(s *RefreshTokenSource, base, max time.Duration) {
	s.backoffBase, s.backoffMax = base, max
}
