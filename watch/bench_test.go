package watch_test

import (
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
	"github.com/jsmbot/jsmbot/watch"
)

// BenchmarkQuietPoll measures a poll that finds no new audit record on a
// 1,000-project site with Jira's burst limits on, after the first poll's
// full audit: calls/poll is the Jira calls it makes (README: at most 2),
// 429s the requests the burst limits refused.
func BenchmarkQuietPoll(b *testing.B) {
	sim := jirasim.NewServer(b, jirasim.WithFleet(jirasim.Fleet{Projects: 1000, Schemes: 20}), jirasim.WithBurstLimits(), jirasim.WithPageSize(100))
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken)
	if err != nil {
		b.Fatal(err)
	}
	w, err := watch.New(watch.Config{Interval: time.Minute, Owner: "bench"},
		repair.New(c, repair.WithIndexMaxAge(48*time.Hour)), c, store.NewMemory(), &recordingSink{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.Poll(b.Context()); err != nil { // the first poll: a full audit
		b.Fatal(err)
	}
	sim.ResetRequests()
	rejected := sim.BurstRejections()
	polls := 0
	for b.Loop() {
		if _, err := w.Poll(b.Context()); err != nil {
			b.Fatal(err)
		}
		polls++
	}
	b.ReportMetric(float64(len(sim.Requests()))/float64(polls), "calls/poll")
	b.ReportMetric(float64(sim.BurstRejections()-rejected), "429s")
}
