// Package slackrun runs the bot on a Slack Socket Mode connection: the
// part that jsmbot run and jsmbot demo share. What runs beside the bot
// (the ops listener, the watch) and what observes it come in through
// [Options].
package slackrun

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"golang.org/x/sync/errgroup"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
	"github.com/jsmbot/jsmbot/watch"
)

// Options are the optional parts of [Serve].
type Options struct {
	// Observer is told what the bot does, for metrics.
	Observer bot.Observer
	// SocketOptions configure the Socket Mode client (its dialer).
	SocketOptions []socketmode.Option
	// Sidecars run beside the bot until its context ends; an error of one
	// stops the whole.
	Sidecars []func(context.Context) error
	// Watch, when its Channel is set, runs the watch beside the bot.
	Watch Watch
	// Built, when set, is called with the bot once it is built, before it
	// runs: the demo drives a watch of its own through [bot.Bot.WatchSink].
	Built func(*bot.Bot)
}

// Watch configures the watch (package watch) that [Serve] runs beside the
// bot when Channel is set: alerts in Channel, the audit log read every
// Interval, a full audit every FullEvery (zero: the watch's defaults).
// Every replica runs it; the store's lease lets one watch at a time.
type Watch struct {
	Channel   string
	Interval  time.Duration
	FullEvery time.Duration
	// Jira is the client the watch reads the audit log with; its own
	// engine, whose site index lasts a full-audit period, is built on it.
	Jira *jira.Client
	// Observer hears of polls, records and alerts, for metrics.
	Observer watch.Observer
}

// PingInterval is the Socket Mode client's dead-man threshold: slack-go
// checks every PingInterval that Slack's last WebSocket ping is no older
// than that, and reconnects otherwise, so a half-open socket (no FIN) is
// noticed within 2×PingInterval of the last ping, under 15 s. It stays
// above the few seconds between the pings Slack sends.
const PingInterval = 7 * time.Second

// SlackRetries is how many times the Slack client retries a call Slack
// rate-limited (HTTP 429), each after its Retry-After. The bot's executor
// retries the steps that record an outcome on top of this (bot/exec.go).
const SlackRetries = 2

// ClientOptions are the options of the Slack Web API client the bot uses:
// a rate-limited call is retried after its Retry-After. [Serve] applies
// them to the client it is given.
func ClientOptions() []slack.Option {
	cfg := slack.DefaultRetryConfig()
	cfg.MaxRetries = SlackRetries
	cfg.RetryAfterJitter = 0
	cfg.Handlers = slack.DefaultRetryHandlers(cfg) // 429 only: a repeated post must not double a message
	return []slack.Option{slack.OptionRetryConfig(cfg)}
}

// Serve runs a Socket Mode client on api and the bot on it until ctx ends
// or the client fails for good (bad app token), then lets the bot drain.
// It returns nil after a clean shutdown. It sets api up with
// [ClientOptions], and the socket with [PingInterval] before
// o.SocketOptions (which may override it). Beside the bot it keeps the
// engine's site index fresh ([bot.Bot.KeepIndexFresh], one replica at a
// time); give the engine [bot.NewIndexStore] so that replicas share it.
func Serve(ctx context.Context, api *slack.Client, cfg bot.Config, engine *repair.Engine, st store.Store, logger *slog.Logger, o Options) error {
	for _, opt := range ClientOptions() {
		opt(api)
	}
	sm := socketmode.New(api, append([]socketmode.Option{socketmode.OptionPingInterval(PingInterval)}, o.SocketOptions...)...)
	b, err := bot.New(cfg, bot.Deps{
		Events: sm.Events, Ack: sm.AckCtx, Slack: sm,
		Engine: engine, Store: st, Logger: logger, Observer: o.Observer,
	})
	if err != nil {
		return err
	}
	watcher, err := newWatcher(b, st, logger, o.Watch)
	if err != nil {
		return err
	}
	if o.Built != nil {
		o.Built(b)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		err := sm.RunContext(gctx)
		if gctx.Err() != nil {
			return nil // shutting down
		}
		return fmt.Errorf("slack socket mode (check SLACK_APP_TOKEN): %w", err)
	})
	g.Go(func() error { return b.Run(gctx) })
	if watcher != nil {
		g.Go(func() error { return watcher.Run(gctx) })
	}
	g.Go(func() error { b.KeepIndexFresh(gctx, bot.DefaultIndexRefresh); return nil })
	for _, side := range o.Sidecars {
		g.Go(func() error { return side(gctx) })
	}
	return g.Wait()
}

// newWatcher builds the watch of w, alerting through b; nil when w has no
// channel.
func newWatcher(b *bot.Bot, st store.Store, logger *slog.Logger, w Watch) (*watch.Watcher, error) {
	if w.Channel == "" {
		return nil, nil
	}
	if w.Jira == nil {
		return nil, errors.New("slackrun: the watch needs a Jira client")
	}
	cfg := watch.Config{Interval: w.Interval, FullEvery: w.FullEvery, Logger: logger, Observer: w.Observer}
	var err error
	if cfg.Owner, err = replicaName(); err != nil {
		return nil, err
	}
	// The index outlives a full-audit period, so that evaluating what the
	// audit log touched never rescans the site.
	maxAge := cmp.Or(w.FullEvery, watch.DefaultFullEvery) + 2*cmp.Or(w.Interval, watch.DefaultInterval)
	engine := repair.New(w.Jira, repair.WithLogger(logger), repair.WithIndexMaxAge(maxAge))
	logger.Info("watch on", "channel", w.Channel, "interval", cmp.Or(w.Interval, watch.DefaultInterval), "full_every", cmp.Or(w.FullEvery, watch.DefaultFullEvery))
	return watch.New(cfg, engine, w.Jira, st, b.WatchSink(w.Channel))
}

// replicaName names this process in the watch lease: the host and a
// random suffix.
func replicaName() (string, error) {
	id, err := store.NewID()
	if err != nil {
		return "", fmt.Errorf("slackrun: name the watch replica: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "jsmbot"
	}
	return host + "-" + id[:8], nil
}
