package spsql_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Queries start goroutines (prefetch, token waits, metadata fetches):
// every test must leave none behind once its *sql.DB is closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
