package jira

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// laneState is what a test checks of a lane: its pace and burst.
type laneState struct {
	Rate  float64
	Burst int
}

func (p *pacer) state(method, endpoint string) laneState {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.lane(method, endpoint)
	l.recover(time.Now())
	return laneState{Rate: float64(l.lim.Limit()), Burst: l.lim.Burst()}
}

func header429(retryAfter, reason string) http.Header {
	return http.Header{"Retry-After": {retryAfter}, "Ratelimit-Reason": {reason}}
}

// TestThrottledSlowsThenRecovers: a 429 halves the endpoint's pace once
// per pause (the 429s of requests already under way do not halve it
// again), down to a floor; after the pause the pace climbs back linearly
// and the burst returns with it.
func TestThrottledSlowsThenRecovers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const ep = "/rest/api/3/project/{projectIdOrKey}"
		p := newPacer(100, nil, DefaultMaxWait)
		var got []laneState
		at := func() { got = append(got, p.state(http.MethodGet, ep)) }
		at() // 100/s, burst 50
		p.throttled(http.MethodGet, ep, header429("2", "jira-burst-based"))
		at() // 50/s, one at a time
		time.Sleep(time.Second)
		p.throttled(http.MethodGet, ep, header429("2", "jira-burst-based")) // in the pause: extends it to 3s
		at()
		time.Sleep(2 * time.Second) // the pause ends at 3s
		at()
		time.Sleep(5 * time.Second) // half way back
		at()
		time.Sleep(5 * time.Second)
		at()
		want := []laneState{{100, 50}, {50, 1}, {50, 1}, {50, 1}, {75, 1}, {100, 50}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pace over time (-want +got):\n%s", diff)
		}

		for range 10 { // a storm: one cut per pause
			p.throttled(http.MethodGet, ep, header429("1", "jira-burst-based"))
			time.Sleep(time.Second)
		}
		if s := p.state(http.MethodGet, ep); s.Rate < 100.0/paceFloor || s.Rate > 100.0/paceFloor*1.2 {
			t.Errorf("after a storm the pace is %v/s, want about the floor %v/s", s.Rate, 100.0/paceFloor)
		}
	})
}

// TestQuotaPausesEveryEndpoint: a burst 429 pauses its endpoint only; a
// quota 429 pauses every endpoint, as the reference advises.
func TestQuotaPausesEveryEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reason string
		want   time.Duration // how long another endpoint waits
	}{
		{reason: "jira-burst-based", want: 0},
		{reason: "jira-quota-tenant-based", want: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				p := newPacer(100, nil, DefaultMaxWait)
				p.throttled(http.MethodGet, "/a", header429("2", tt.reason))
				start := time.Now()
				if err := p.wait(t.Context(), http.MethodGet, "/b", "/b"); err != nil {
					t.Fatal(err)
				}
				if got := time.Since(start); got != tt.want {
					t.Errorf("another endpoint waited %v, want %v", got, tt.want)
				}
				if err := p.wait(t.Context(), http.MethodGet, "/a", "/a"); err != nil {
					t.Fatal(err)
				}
				if got := time.Since(start); got != 2*time.Second {
					t.Errorf("the endpoint answered 429 waited %v, want 2s", got)
				}
			})
		})
	}
}

// TestPaceWaitEndsWithContext: a caller queued for a token leaves when
// its context ends, and gives its token back.
func TestPaceWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(2, nil, DefaultMaxWait) // burst 1
		if err := p.wait(t.Context(), http.MethodGet, "/a", "/a"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if err := p.wait(ctx, http.MethodGet, "/a", "/a"); err == nil {
			t.Fatal("wait outlived its context")
		}
		start := time.Now()
		if err := p.wait(t.Context(), http.MethodGet, "/a", "/a"); err != nil {
			t.Fatal(err)
		}
		// The cancelled reservation was returned: the next token is
		// 500ms after the first, 400ms from now.
		if got := time.Since(start); got != 400*time.Millisecond {
			t.Errorf("next caller waited %v, want 400ms", got)
		}
	})
}
