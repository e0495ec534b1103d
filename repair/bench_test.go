package repair_test

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// BenchmarkDiagnose reports the wall time of one diagnosis of a small
// site as a multiple of the simulator's latency ("xlatency"). The
// snapshot's four reads run together (1×); cold, the site scan runs beside
// them (one page of projects, then every project's scheme at once: 2×);
// warm, the site index answers which projects share the scheme (1×).
func BenchmarkDiagnose(b *testing.B) {
	for _, bc := range []struct {
		name   string
		maxAge time.Duration
	}{
		{"cold", 0},         // scan every time
		{"warm", time.Hour}, // the site index is reused
	} {
		b.Run(bc.name, func(b *testing.B) {
			sim := jirasim.NewServer(b, jirasim.WithLatency(benchLatency), jirasim.WithPageSize(100))
			c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken)
			if err != nil {
				b.Fatal(err)
			}
			e := repair.New(c, repair.WithIndexMaxAge(bc.maxAge))
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

// jiraSchemeRate is Jira Cloud's burst limit of GET
// project/{key}/permissionscheme (reference §6), the endpoint a scan
// calls once per company-managed project.
const jiraSchemeRate = 100.0

// BenchmarkAudit audits a fleet on jirasim with Jira's burst limits on and
// 20 ms of latency, over loopback, with a cold engine each time. It
// reports:
//
//   - calls/project: Jira calls per project (the floor is one scheme read
//     per company-managed project; the acceptance bound 1.05 + 10/N);
//   - 429s: requests the burst limits refused (must be 0);
//   - wall-s: the audit's wall time;
//   - bound-s: the time Jira's limits allow for the calls the audit must
//     make, the per-project scheme reads over that endpoint's limit
//     (100/s); every other call is on another endpoint, in parallel;
//   - x-bound: wall-s / bound-s (the client paces at 85% of the limit,
//     with a burst of half a second, so about 1.1);
//   - heap-MB: the peak heap in use, sampled, simulator included;
//   - rss-MB: the process's peak resident set (VmHWM), simulator and the
//     benchmark's earlier runs included.
func BenchmarkAudit(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			sim := newFleet(b, jirasim.Fleet{Projects: n, Schemes: 100}, jirasim.WithBurstLimits(), jirasim.WithLatency(benchLatency))
			c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken)
			if err != nil {
				b.Fatal(err)
			}
			var calls, reads, refused int
			var peak uint64
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				sim.ResetRequests()
				sim.SetBurstLimits(true) // full buckets, the rejection count kept
				before := sim.BurstRejections()
				e := repair.New(c) // cold
				stop := sampleHeap(&peak)
				b.StartTimer()
				r, err := e.Audit(b.Context(), repair.AuditOptions{})
				b.StopTimer()
				stop()
				if err != nil {
					b.Fatal(err)
				}
				if r.Summary.Projects == 0 {
					b.Fatal("empty audit")
				}
				calls, reads, refused = len(sim.Requests()), schemeReads(sim), sim.BurstRejections()-before
				b.StartTimer()
			}
			wall := b.Elapsed().Seconds() / float64(b.N)
			bound := float64(reads) / jiraSchemeRate
			b.ReportMetric(float64(calls)/float64(n), "calls/project")
			b.ReportMetric(float64(refused), "429s")
			b.ReportMetric(wall, "wall-s")
			b.ReportMetric(bound, "bound-s")
			b.ReportMetric(wall/bound, "x-bound")
			b.ReportMetric(float64(peak)/(1<<20), "heap-MB")
			if hwm := peakRSS(); hwm > 0 {
				b.ReportMetric(float64(hwm)/(1<<20), "rss-MB")
			}
		})
	}
}

// BenchmarkWarmDiagnose diagnoses projects of a 1,000-project site with a
// warm index, burst limits on: a diagnosis is one round trip of its own
// project's four reads, whatever the site's size ("xlatency" is the wall
// time over the injected latency; the target is at most 1.5).
func BenchmarkWarmDiagnose(b *testing.B) {
	const n = 1000
	sim := newFleet(b, jirasim.Fleet{Projects: n, Schemes: 100}, jirasim.WithBurstLimits(), jirasim.WithLatency(benchLatency))
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken)
	if err != nil {
		b.Fatal(err)
	}
	e := repair.New(c)
	if _, err := e.RefreshIndex(b.Context()); err != nil {
		b.Fatal(err)
	}
	calls, i := 0, 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		sim.ResetRequests()
		key := jirasim.FleetKey(i % n / 20 * 20) // i%20 == 0: a readable service project
		i++
		b.StartTimer()
		if _, err := e.Diagnose(b.Context(), key); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		calls = len(sim.Requests())
		b.StartTimer()
	}
	perOp := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(perOp)/float64(benchLatency), "xlatency")
	b.ReportMetric(float64(calls), "calls/op")
	b.ReportMetric(float64(sim.BurstRejections()), "429s")
}

// BenchmarkConcurrentColdDiagnoses is the acceptance case: 50
// concurrent diagnoses on a cold engine and a 1,000-project site with
// Jira's burst limits make one scan, and none is refused. It fails
// otherwise, and reports the wall time of the 50 ("wall-s").
func BenchmarkConcurrentColdDiagnoses(b *testing.B) {
	const n = 1000
	sim := newFleet(b, jirasim.Fleet{Projects: n, Schemes: 100}, jirasim.WithBurstLimits(), jirasim.WithLatency(benchLatency))
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		sim.ResetRequests()
		sim.SetBurstLimits(true) // full buckets, the rejection count kept
		e := repair.New(c)       // cold
		b.StartTimer()
		coldDiagnoses(b, e, sim, n)
		b.StopTimer()
		checkOneScan(b, sim, n) // rejections are counted since the start: 0 means none in any run
		b.StartTimer()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall-s")
}

// sampleHeap records the peak of HeapInuse into peak until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	var (
		done = make(chan struct{})
		wg   sync.WaitGroup
		max  atomic.Uint64
	)
	max.Store(*peak)
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > max.Load() {
				max.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		*peak = max.Load()
	}
}

// peakRSS is the process's peak resident set size in bytes (Linux), 0
// when unknown.
func peakRSS() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
