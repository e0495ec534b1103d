package store_test

import (
	"testing"

	"github.com/jsmbot/jsmbot/store"
	"github.com/jsmbot/jsmbot/store/storetest"
)

func TestMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		clock := newTestClock(t)
		s := store.NewMemory(store.WithClock(clock.Now))
		t.Cleanup(func() { _ = s.Close() })
		return storetest.Harness{Store: s, Advance: clock.Advance, Now: clock.Now}
	})
}

func TestMemoryRealClock(t *testing.T) {
	t.Parallel()
	// With time.Now and no Advance, the suite checks that nothing depends on
	// a fake clock (monotonic readings, local zones).
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		s := store.NewMemory()
		t.Cleanup(func() { _ = s.Close() })
		return storetest.Harness{Store: s}
	})
}
