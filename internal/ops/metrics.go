package ops

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/store"
	"github.com/jsmbot/jsmbot/watch"
)

// Metrics are jsmbot run's Prometheus series, on a registry of its own (no
// global registry: two runs in one test binary do not collide). README's
// Observability section lists them; keep the two in step.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	envelopes    *prometheus.CounterVec
	ackSeconds   *prometheus.HistogramVec
	ackFailures  *prometheus.CounterVec
	refused      *prometheus.CounterVec
	queueDepth   *prometheus.GaugeVec
	jiraCalls    *prometheus.CounterVec
	jiraSeconds  *prometheus.HistogramVec
	jiraRetries  *prometheus.CounterVec
	jiraLimited  prometheus.Counter
	transitions  *prometheus.CounterVec
	connected    prometheus.Gauge
	watchPolled  prometheus.Gauge
	watchRecords prometheus.Counter
	watchAlerts  prometheus.Counter
	up           atomic.Bool
	lastActivity atomic.Int64 // unix nanoseconds of the last frame from Slack
}

// NewMetrics registers every series on a fresh registry. now is the clock
// of the "seconds since" gauge.
func NewMetrics(now func() time.Time) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		now: now,
		envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jsmbot_slack_envelopes_total",
			Help: "Socket Mode envelopes received, by envelope type, redeliveries included.",
		}, []string{"type"}),
		ackSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jsmbot_slack_ack_duration_seconds",
			Help:    "Time from reading an envelope to handing its ack to the socket, by envelope type.",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5},
		}, []string{"type"}),
		ackFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jsmbot_slack_ack_failures_total",
			Help: "Acks that could not be sent (no connection within the ack timeout), by envelope type.",
		}, []string{"type"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jsmbot_slack_envelopes_refused_total",
			Help: `Envelopes acknowledged without their work being queued because the lane's queue was full (the user was told "busy" where possible), by envelope type ("follow_up": a submitted form's work) and lane.`,
		}, []string{"type", "lane"}),
		queueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jsmbot_queue_depth",
			Help: `Jobs waiting for a worker, by lane ("slow": the ordinary workers, "fast": modals and form submissions).`,
		}, []string{"lane"}),
		jiraCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jsmbot_jira_calls_total",
			Help: "Finished Jira REST calls by method, endpoint (path template) and final status code (0: no answer).",
		}, []string{"method", "endpoint", "status"}),
		jiraSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jsmbot_jira_call_duration_seconds",
			Help:    "Duration of Jira REST calls, retries and their waits included, by method and endpoint.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"method", "endpoint"}),
		jiraRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jsmbot_jira_retries_total",
			Help: "Jira attempts that were repeated, by method, endpoint and the status that caused it (0: transport error).",
		}, []string{"method", "endpoint", "status"}),
		jiraLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jsmbot_jira_rate_limited_total",
			Help: "HTTP 429 answers from Jira, whether retried or final.",
		}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jsmbot_plan_transitions_total",
			Help: `Repair plan state changes recorded by this replica, by from and to state ("none" → pending when a plan is offered).`,
		}, []string{"from", "to"}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jsmbot_slack_socket_connected",
			Help: "1 while the Socket Mode connection is up, 0 while it is down or reconnecting.",
		}),
		watchPolled: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jsmbot_watch_last_poll_timestamp_seconds",
			Help: "Unix time of the watch's last successful poll on this replica (0: none yet, or another replica watches).",
		}),
		watchRecords: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jsmbot_watch_audit_records_total",
			Help: "New permission-scheme records the watch read from Jira's audit log.",
		}),
		watchAlerts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jsmbot_watch_alerts_total",
			Help: "Alerts the watch posted: projects that went from healthy to broken.",
		}),
	}
	// Both lanes' depths exist from the start, at 0.
	m.queueDepth.WithLabelValues("slow")
	m.queueDepth.WithLabelValues("fast")
	m.lastActivity.Store(now().UnixNano())
	since := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "jsmbot_slack_seconds_since_last_activity",
		Help: "Seconds since Slack was last heard from on the socket: an envelope, a hello or a WebSocket ping.",
	}, m.sinceActivity)
	m.reg.MustRegister(
		m.envelopes, m.ackSeconds, m.ackFailures, m.refused, m.queueDepth, m.jiraCalls, m.jiraSeconds, m.jiraRetries,
		m.jiraLimited, m.transitions, m.connected, since, m.watchPolled, m.watchRecords, m.watchAlerts,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// sinceActivity is the value of jsmbot_slack_seconds_since_last_activity.
func (m *Metrics) sinceActivity() float64 {
	return m.now().Sub(time.Unix(0, m.lastActivity.Load())).Seconds()
}

// activity records that Slack was heard from.
func (m *Metrics) activity() { m.lastActivity.Store(m.now().UnixNano()) }

// socketUp reports whether the Socket Mode connection is up.
func (m *Metrics) socketUp() bool { return m.up.Load() }

// BotObserver feeds the Slack-side series.
func (m *Metrics) BotObserver() bot.Observer {
	return bot.Observer{
		Envelope: func(kind string) { m.envelopes.WithLabelValues(kind).Inc() },
		Acked: func(kind string, d time.Duration, err error) {
			m.ackSeconds.WithLabelValues(kind).Observe(d.Seconds())
			if err != nil {
				m.ackFailures.WithLabelValues(kind).Inc()
			}
		},
		Refused: func(kind, lane string) { m.refused.WithLabelValues(kind, lane).Inc() },
		Queued:  func(lane string, delta int) { m.queueDepth.WithLabelValues(lane).Add(float64(delta)) },
		Connection: func(up bool) {
			m.up.Store(up)
			if up {
				m.connected.Set(1)
			} else {
				m.connected.Set(0)
			}
		},
		Activity: m.activity,
		Transition: func(from, to store.State) {
			f := string(from)
			if f == "" {
				f = "none"
			}
			m.transitions.WithLabelValues(f, string(to)).Inc()
		},
	}
}

// JiraObserver feeds the Jira-side series.
func (m *Metrics) JiraObserver() jira.Observer {
	return jira.Observer{
		Call: func(c jira.Call) {
			m.jiraCalls.WithLabelValues(c.Method, c.Endpoint, strconv.Itoa(c.Status)).Inc()
			m.jiraSeconds.WithLabelValues(c.Method, c.Endpoint).Observe(c.Duration.Seconds())
			if c.Status == http.StatusTooManyRequests {
				m.jiraLimited.Inc() // the final answer; earlier ones came as retries
			}
		},
		Retry: func(r jira.Retry) {
			m.jiraRetries.WithLabelValues(r.Method, r.Endpoint, strconv.Itoa(r.Status)).Inc()
			if r.Status == http.StatusTooManyRequests {
				m.jiraLimited.Inc()
			}
		},
	}
}

// WatchObserver feeds the watch's series.
func (m *Metrics) WatchObserver() watch.Observer {
	return watch.Observer{
		Polled:  func(at time.Time) { m.watchPolled.Set(float64(at.UnixMilli()) / 1000) },
		Records: func(n int) { m.watchRecords.Add(float64(n)) },
		Alerted: m.watchAlerts.Inc,
	}
}

// handler serves the registry in the Prometheus text format.
func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Dialer is the Socket Mode dialer with slack-go's defaults, whose
// connections tell m whenever a frame arrives: slack-go answers Slack's
// WebSocket pings itself and surfaces none of them, so the bytes read are
// the only sign of a ping.
func (m *Metrics) Dialer() *websocket.Dialer {
	var d net.Dialer
	return &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 45 * time.Second,
		// slack-go sets 32 KiB on purpose: gorilla's 4 KiB default
		// fragments frames, which Slack does not reassemble.
		WriteBufferSize: 32 << 10,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &activityConn{Conn: c, seen: m.activity}, nil
		},
	}
}

// activityConn calls seen after every read that returned data.
type activityConn struct {
	net.Conn
	seen func()
}

func (c *activityConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.seen()
	}
	return n, err
}
