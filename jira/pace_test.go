package jira_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// callAll makes n concurrent calls of call and returns how long they took
// together, failing the test on any error. Inside a bubble the duration is
// fake time, exact.
func callAll(t *testing.T, n int, call func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() { errs <- call() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("call: %v", err)
		}
	}
	return time.Since(start)
}

// TestPacing: each endpoint has its own bucket, sized in proportion to
// its Jira limit: a burst of half a second of its pace at once, then the
// pace.
func TestPacing(t *testing.T) {
	t.Parallel()
	customers := func(ctx context.Context, c *jira.Client) error {
		for _, err := range c.DeskCustomers(ctx, "HELP", "") {
			if err != nil {
				return err
			}
		}
		return nil
	}
	project := func(ctx context.Context, c *jira.Client) error { _, err := c.Project(ctx, "HELP"); return err }
	tests := []struct {
		name string
		opts []jira.Option
		n    int
		call func(context.Context, *jira.Client) error
		want time.Duration
	}{
		// 10/s, burst 5: 5 at once, 20 more at 10/s.
		{name: "GET at the rate", opts: []jira.Option{jira.WithRate(10)}, n: 25, call: project, want: 2 * time.Second},
		// The customer endpoint's limit is 5/s against 100/s: at
		// WithRate(100) it gets 5/s, burst 2.
		{name: "customers in proportion", opts: []jira.Option{jira.WithRate(100)}, n: 12, call: customers, want: 2 * time.Second},
		{name: "endpoint override", opts: []jira.Option{jira.WithRate(100), jira.WithEndpointRate(http.MethodGet, "/rest/servicedeskapi/servicedesk/{serviceDeskId}/customer", 2)}, n: 5,
			call: customers, want: 2 * time.Second},
		{name: "off", opts: []jira.Option{jira.WithRate(0)}, n: 50, call: project, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := jirasim.NewServer(t, jirasim.WithPageSize(50)) // one page of customers
			synctest.Test(t, func(t *testing.T) {
				c := newBubbleClient(t, sim, tt.opts...)
				if got := callAll(t, tt.n, func() error { return tt.call(t.Context(), c) }); got != tt.want {
					t.Errorf("%d calls took %v, want %v", tt.n, got, tt.want)
				}
			})
		})
	}
}

// TestPacingEndpointsApart: a queue on one endpoint does not hold up
// another.
func TestPacingEndpointsApart(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t)
	synctest.Test(t, func(t *testing.T) {
		c := newBubbleClient(t, sim, jira.WithRate(10))
		var wg sync.WaitGroup
		wg.Go(func() {
			callAll(t, 45, func() error { _, err := c.Project(t.Context(), "HELP"); return err })
		})
		synctest.Wait() // the project reads are queued
		got := callAll(t, 5, func() error { _, err := c.ProjectRoles(t.Context(), "HELP"); return err })
		if got != 0 {
			t.Errorf("roles waited %v behind the project reads, want 0", got)
		}
		wg.Wait()
	})
}

// TestPacingKeepsUnderBurstLimits: many concurrent reads of one endpoint
// at the default pace get no 429 from Jira's burst limiter; unpaced, the
// same reads do, which is why the pacer exists. The endpoint is JSM's
// customer list, whose limit is 5/s (every endpoint is paced in the same
// proportion to its limit, so the smallest needs the fewest reads): 12
// reads are more than twice the bucket Jira holds and take over two
// seconds paced, so the sustained pace is tested as well as the burst.
func TestPacingKeepsUnderBurstLimits(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		opts     []jira.Option
		want429s bool
	}{
		{name: "default pace"},
		{name: "unpaced", opts: []jira.Option{jira.WithRate(0)}, want429s: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := jirasim.NewServer(t, jirasim.WithBurstLimits(), jirasim.WithSeed(jirasim.ScenarioHealthy), jirasim.WithPageSize(50))
			sim.SetLatency(20 * time.Millisecond)
			synctest.Test(t, func(t *testing.T) {
				c := newBubbleClient(t, sim, tt.opts...)
				took := callAll(t, 12, func() error {
					for _, err := range c.DeskCustomers(t.Context(), "HELP", "") {
						if err != nil {
							return err
						}
					}
					return nil
				})
				if !tt.want429s && took < 2*time.Second {
					t.Errorf("12 paced reads took %v, want over 2s", took)
				}
			})
			if got := sim.BurstRejections(); (got > 0) != tt.want429s {
				t.Errorf("%d requests rejected by the burst limits, want 429s: %v", got, tt.want429s)
			}
		})
	}
}

// TestPauseHoldsEveryCaller: after a 429, no caller of the endpoint sends
// before Retry-After has passed, not only the one that is retried.
func TestPauseHoldsEveryCaller(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t)
	synctest.Test(t, func(t *testing.T) {
		c := newBubbleClient(t, sim)
		sim.RateLimit(1, 3*time.Second)
		if _, err := c.Project(t.Context(), "HELP"); err != nil {
			t.Fatal(err)
		}
		// The first call was answered 429 at 0s and retried at 3s; a
		// second caller arriving now, at 3s, is not held.
		sim.RateLimit(1, 3*time.Second)
		start := time.Now()
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := c.Project(t.Context(), "HELP"); err != nil {
				t.Error(err)
			}
		})
		synctest.Wait() // the 429 has been answered; its retry waits
		if _, err := c.Project(t.Context(), "NOPA"); err != nil {
			t.Fatal(err)
		}
		// It then queues behind the retry, one request at a time on the
		// slowed endpoint: a fraction of a second.
		if got := time.Since(start); got < 3*time.Second || got > 3500*time.Millisecond {
			t.Errorf("another caller of the endpoint went after %v, want just after 3s (the Retry-After)", got)
		}
		wg.Wait()
		// Another endpoint was never paused.
		start = time.Now()
		if _, err := c.ProjectRoles(t.Context(), "HELP"); err != nil || time.Since(start) != 0 {
			t.Errorf("roles: %v after %v, want no error at once", err, time.Since(start))
		}
	})
}

// TestPauseBeyondBudgetRefused: when Jira asks for a longer pause than the
// wait budget, later callers of the endpoint are told at once, with when
// to retry, and nothing is sent.
func TestPauseBeyondBudgetRefused(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t)
	synctest.Test(t, func(t *testing.T) {
		c := newBubbleClient(t, sim)
		sim.RateLimit(1, 10*time.Minute)
		if _, err := c.Project(t.Context(), "HELP"); !errors.Is(err, jira.ErrRateLimited) {
			t.Fatalf("first call: %v, want rate limited", err)
		}
		time.Sleep(time.Minute)
		sim.ResetRequests()
		_, err := c.Project(t.Context(), "NOPA")
		var ae *jira.APIError
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusTooManyRequests || ae.RetryAfter != 9*time.Minute || ae.Path != "/rest/api/3/project/NOPA" {
			t.Fatalf("second call: %#v, want a 429 APIError for /rest/api/3/project/NOPA retrying after 9m", err)
		}
		if n := len(sim.Requests()); n != 0 {
			t.Errorf("%d requests sent during the pause, want 0", n)
		}
	})
}
