package store_test

import (
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/internal/fakeclock"
)

// newTestClock returns the shared fake clock at a fixed instant with
// nanoseconds, in a non-UTC zone, so tests catch stores that lose
// precision or the zone.
func newTestClock(t *testing.T) *fakeclock.Clock {
	t.Helper()
	return fakeclock.At(time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600)))
}
