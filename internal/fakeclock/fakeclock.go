// Package fakeclock is the one settable clock the whole tree's tests use:
// give its Now method to anything that takes a clock (stores, the bot, the
// engine, the simulators) and move time with Advance instead of sleeping.
//
// It is a plain value with no goroutines or timers; for code that waits on
// timers, run the test in a testing/synctest bubble instead.
package fakeclock

import (
	"sync"
	"time"
)

// Start is the instant a [New] clock starts at: a fixed moment, so golden
// files and expiry arithmetic do not depend on the day the tests run.
var Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock at [Start].
func New() *Clock { return At(Start) }

// At returns a clock at t.
func At(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's current instant.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
