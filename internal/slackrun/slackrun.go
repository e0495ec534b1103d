// Package slackrun runs the bot on a Slack Socket Mode connection: the
// part that jsmbot run and jsmbot demo share. What runs beside the bot
// (the ops listener) and what observes it come in through [Options].
package slackrun

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"golang.org/x/sync/errgroup"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
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
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		err := sm.RunContext(gctx)
		if gctx.Err() != nil {
			return nil // shutting down
		}
		return fmt.Errorf("slack socket mode (check SLACK_APP_TOKEN): %w", err)
	})
	g.Go(func() error { return b.Run(gctx) })
	g.Go(func() error { b.KeepIndexFresh(gctx, bot.DefaultIndexRefresh); return nil })
	for _, side := range o.Sidecars {
		g.Go(func() error { return side(gctx) })
	}
	return g.Wait()
}
