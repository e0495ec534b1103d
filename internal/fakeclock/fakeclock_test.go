package fakeclock_test

import (
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/internal/fakeclock"
)

func TestAdvanceAndSet(t *testing.T) {
	t.Parallel()
	c := fakeclock.New()
	if got := c.Now(); !got.Equal(fakeclock.Start) {
		t.Fatalf("New().Now() = %v, want %v", got, fakeclock.Start)
	}
	c.Advance(90 * time.Second)
	if got, want := c.Now(), fakeclock.Start.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("after Advance: %v, want %v", got, want)
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(at)
	if got := c.Now(); !got.Equal(at) {
		t.Errorf("after Set: %v, want %v", got, at)
	}
}
