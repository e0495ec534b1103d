package repair_test

import (
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
)

// benchLatency is the simulator's injected per-request latency: large
// against loopback and CPU time, so the wall time of a diagnosis measures
// its round trips.
const benchLatency = 20 * time.Millisecond

// BenchmarkDiagnose reports the wall time of one diagnosis as a multiple of
// the simulator's latency ("xlatency"). A diagnosis makes about 15 Jira
// calls; run one after another they would cost 15×. The snapshot's four
// reads run together (1×) beside the share scan (one page of projects, then
// every project's scheme at once: 2×), so the target is about 2×.
func BenchmarkDiagnose(b *testing.B) {
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{
		{"cold", 0},                  // scan every time
		{"cached-scan", time.Minute}, // the project→scheme index is reused
	} {
		b.Run(bc.name, func(b *testing.B) {
			sim := jirasim.NewServer(b, jirasim.WithLatency(benchLatency), jirasim.WithPageSize(100))
			c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken)
			if err != nil {
				b.Fatal(err)
			}
			e := repair.New(c, repair.WithIndexMaxAge(bc.ttl))
			calls := 0
			b.ResetTimer()
			for b.Loop() {
				sim.ResetRequests()
				if _, err := e.Diagnose(b.Context(), "SHRA"); err != nil {
					b.Fatal(err)
				}
				calls = len(sim.Requests())
			}
			perOp := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(perOp)/float64(benchLatency), "xlatency")
			b.ReportMetric(float64(calls), "calls/op")
		})
	}
}
