package sharepoint

import (
	"testing"

	"go.uber.org/goleak"
)

// Items starts a goroutine per stream: every test must leave none behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
