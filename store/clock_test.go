package store_test

import (
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for the stores' WithClock options.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// newTestClock returns a clock at a fixed instant with nanoseconds, in a
// non-UTC zone, so tests catch stores that lose precision or the zone.
func newTestClock(t *testing.T) *fakeClock {
	t.Helper()
	return &fakeClock{now: time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
