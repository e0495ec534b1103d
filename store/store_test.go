package store_test

import (
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/store"
)

// TestNewID checks the shape and uniqueness of plan IDs.
func TestNewID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := mustNewID(t)
		if len(id) != 26 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("NewID = %q, want 26 characters of lowercase base32", id)
		}
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
	}
}

func TestCanTransition(t *testing.T) {
	t.Parallel()
	allowed := map[store.State][]store.State{
		store.StatePending:  {store.StateApplying, store.StateDismissed, store.StateExpired},
		store.StateApplying: {store.StateApplied, store.StateFailed},
		store.StateApplied:  {store.StateUndone},
	}
	states := []store.State{store.StatePending, store.StateApplying, store.StateApplied, store.StateFailed,
		store.StateDismissed, store.StateExpired, store.StateUndone, "", "bogus"}
	for _, from := range states {
		for _, to := range states {
			want := false
			for _, s := range allowed[from] {
				want = want || s == to
			}
			if got := from.CanTransition(to); got != want {
				t.Errorf("%q.CanTransition(%q) = %v, want %v", from, to, got, want)
			}
		}
	}
}
