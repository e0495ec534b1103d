package ops

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/store"
)

// TestWatchMetrics: the watch's last successful poll (unix seconds), the
// records it read and the alerts it posted.
func TestWatchMetrics(t *testing.T) {
	t.Parallel()
	m := NewMetrics(fakeclock.New().Now)
	wo := m.WatchObserver()
	wo.Records(3)
	wo.Records(0)
	wo.Records(2)
	wo.Alerted()
	wo.Polled(time.Unix(1772442000, 500e6))
	srv := httptest.NewServer(Handler(m, store.NewMemory()))
	defer srv.Close()
	_, body := httpGet(t, srv.URL+"/metrics")
	for _, want := range []string{
		"jsmbot_watch_last_poll_timestamp_seconds 1.7724420005e+09",
		"jsmbot_watch_audit_records_total 5",
		"jsmbot_watch_alerts_total 1",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
