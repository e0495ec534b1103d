package bot

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/bot/slacksim"
)

// ackBurst is the size of the burst BenchmarkAckBurst sends.
const ackBurst = 10_000

// BenchmarkAckBurst sends a burst of 10,000 `/jsm diagnose` commands
// through slacksim and the real slack-go client to a bot with the default
// 8 workers and queue, as fast as the socket takes them, and measures each
// ack's latency: from slacksim starting to send the envelope to it
// receiving the ack. It reports p50, p99 and max in milliseconds and the
// counts: acked, busy (acked with the busy answer), late (acked after
// Slack's 3 s), lost (never acked within 30 s of the burst) and done (the
// diagnoses the workers took, each waited for).
//
//	go test -run '^$' -bench BenchmarkAckBurst -benchtime 1x -count 3 ./bot/
func BenchmarkAckBurst(b *testing.B) {
	h := newHarness(b, func(h *harness) { h.quiet = true })
	for b.Loop() {
		ids := make([]string, 0, ackBurst)
		starts := make(map[string]time.Time, ackBurst)
		for range ackBurst {
			start := time.Now()
			id, err := h.slack.SlashCommand(h.ctx(), slacksim.SlashCommand{UserID: userRequester, ChannelID: channel, Text: "diagnose HELP"})
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, id)
			starts[id] = start
		}
		ctx, cancel := context.WithTimeout(b.Context(), 30*time.Second)
		var lat []time.Duration
		var busy, late, lost int
		var taken []string
		for _, id := range ids {
			ack, err := h.slack.WaitAck(ctx, id)
			if err != nil {
				lost++
				continue
			}
			d := ack.ReceivedAt.Sub(starts[id])
			lat = append(lat, d)
			if d > 3*time.Second {
				late++
			}
			if isBusy(ack.Payload) {
				busy++
			} else {
				taken = append(taken, id)
			}
		}
		cancel()
		for _, id := range taken {
			h.track.wait(b, id, 1)
		}
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		if len(lat) > 0 {
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
			b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
		}
		b.ReportMetric(float64(len(lat)), "acked")
		b.ReportMetric(float64(busy), "busy")
		b.ReportMetric(float64(late), "late")
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(len(taken)), "done")
	}
}

// isBusy reports whether an ack's payload is the busy answer to a slash
// command.
func isBusy(payload json.RawMessage) bool {
	var p struct {
		Text string `json:"text"`
	}
	return json.Unmarshal(payload, &p) == nil && strings.HasPrefix(p.Text, "I'm busy")
}
