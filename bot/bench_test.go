package bot

import (
	"slices"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/bot/slacksim"
)

// BenchmarkAck measures ack latency through the real slack-go client: from
// the moment slacksim starts sending an envelope to the moment it receives
// the bot's ack on the socket. "help" acks with the help text; "diagnose"
// acks with a note while the diagnosis runs on the worker pool (each
// diagnosis is waited for outside the measurement, so work does not pile
// up). It reports p50 and p99 in milliseconds.
//
//	go test -run '^$' -bench BenchmarkAck -benchtime 2000x ./bot/
func BenchmarkAck(b *testing.B) {
	for _, text := range []string{"help", "diagnose HELP"} {
		b.Run(text[:4], func(b *testing.B) {
			h := newHarness(b, func(h *harness) { h.quiet = true })
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				id, err := h.slack.SlashCommand(h.ctx(), slacksim.SlashCommand{UserID: userRequester, ChannelID: channel, Text: text})
				if err != nil {
					b.Fatal(err)
				}
				ack, err := h.slack.WaitAck(h.ctx(), id)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, ack.ReceivedAt.Sub(start))
				h.track.wait(b, id, 1)
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		})
	}
}
