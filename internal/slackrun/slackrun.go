// Package slackrun runs the bot on a Slack Socket Mode connection: the
// part that jsmbot run and jsmbot demo share. What runs beside the bot
// (the ops listener) and what observes it come in through [Options].
package slackrun

import (
	"context"
	"fmt"
	"log/slog"

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

// Serve runs a Socket Mode client on api and the bot on it until ctx ends
// or the client fails for good (bad app token), then lets the bot drain.
// It returns nil after a clean shutdown.
func Serve(ctx context.Context, api *slack.Client, cfg bot.Config, engine *repair.Engine, st store.Store, logger *slog.Logger, o Options) error {
	sm := socketmode.New(api, o.SocketOptions...)
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
	for _, side := range o.Sidecars {
		g.Go(func() error { return side(gctx) })
	}
	return g.Wait()
}
