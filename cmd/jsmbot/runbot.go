package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/internal/config"
	"github.com/jsmbot/jsmbot/internal/ops"
	"github.com/jsmbot/jsmbot/internal/slackrun"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// option changes the loaded configuration before run builds the parts
// from it. Tests use it to take the waiting out of retry policies.
type option func(*config.Config)

// runBot runs the Slack bot until ctx ends (SIGINT or SIGTERM), then drains
// in-flight work within JSMBOT_DRAIN_TIMEOUT (longer for a repair in
// flight: JSMBOT_WRITE_BUDGET a write, up to JSMBOT_MAX_DRAIN), closes the
// store and returns nil.
func runBot(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, opts ...option) error {
	if err := noArgs(newFlags("run"), args, stdout, "; it is configured by the environment"); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	for _, o := range opts {
		o(&cfg)
	}
	logOut := &shutWriter{w: stderr}
	defer logOut.Shut()
	logger := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: cfg.LogLevel(config.ServiceLogLevel)}))
	routeRedisLogs(logger)
	defer redisLogTo.CompareAndSwap(logger, nil)
	ctx = withRedisLog(ctx, logger)
	logger.Info("starting", "config", cfg)
	if len(cfg.Approvers) == 0 {
		logger.Warn("JSMBOT_APPROVERS is empty: nobody can approve a repair")
	}

	st, err := openStore(ctx, cfg.Redis.Options)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Warn("closing the store", "err", err)
		}
	}()

	m := ops.NewMetrics(time.Now)
	var srv *ops.Server
	if cfg.HTTPAddr != "" {
		// Listen first, so that :0 works and a taken port fails at start;
		// it serves beside the bot once Slack accepted the tokens.
		if srv, err = ops.Listen(cfg.HTTPAddr, ops.Handler(m, st)); err != nil {
			return repair.Mark(repair.KindListenFailed, err)
		}
		defer srv.Close()
		logger.Info("health listener", "addr", srv.Addr())
	}

	client, err := cfg.JiraClient(jira.WithLogger(logger), jira.WithObserver(m.JiraObserver()))
	if err != nil {
		return err
	}
	engine := repair.New(client, repair.WithLogger(logger), repair.WithCustomerCheck(), repair.WithIndexStore(bot.NewIndexStore(st)))

	slackOpts := []slack.Option{slack.OptionAppLevelToken(cfg.Slack.AppToken)}
	if cfg.Slack.APIURL != "" {
		slackOpts = append(slackOpts, slack.OptionAPIURL(cfg.Slack.APIURL))
	}
	api := slack.New(cfg.Slack.BotToken, slackOpts...)
	checkCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	auth, err := api.AuthTestContext(checkCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("slack refused SLACK_BOT_TOKEN (auth.test): %w", err)
	}
	logger.Info("connected to Slack", "team", auth.Team, "bot_user_id", auth.UserID)

	o := withOps(m, srv)
	o.Watch = slackrun.Watch{Channel: cfg.Watch.Channel, Interval: cfg.Watch.Interval, FullEvery: cfg.Watch.FullEvery, Jira: client, Observer: m.WatchObserver()}
	err = slackrun.Serve(ctx, api, bot.Config{
		Approvers: cfg.Approvers, AllowSelfApproval: cfg.AllowSelfApproval,
		DetectReports: cfg.DetectReports, BotUserID: auth.UserID,
		UndoWindow: cfg.UndoWindow,
		Lease:      cfg.Lease, ReconcileInterval: cfg.ReconcileInterval,
		DrainTimeout: cfg.DrainTimeout, WriteBudget: cfg.WriteBudget, MaxDrain: cfg.MaxDrain,
	}, engine, st, logger, o)
	logger.Info("stopped", "err", err)
	return err
}

// withOps feeds m from the bot and its socket and, when srv is not nil,
// serves it beside the bot.
func withOps(m *ops.Metrics, srv *ops.Server) slackrun.Options {
	o := slackrun.Options{
		Observer:      m.BotObserver(),
		SocketOptions: []socketmode.Option{socketmode.OptionDialer(m.Dialer())},
	}
	if srv != nil {
		o.Sidecars = append(o.Sidecars, srv.Serve)
	}
	return o
}

// openStore returns the Redis store opts (REDIS_URL) describe, checked
// with a ping, or the in-memory store when they are nil.
func openStore(ctx context.Context, opts *redis.Options) (store.Store, error) {
	if opts == nil {
		return store.NewMemory(), nil
	}
	st := store.NewRedis(redis.NewClient(opts))
	pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := st.Ping(pingCtx); err != nil {
		_ = st.Close()
		// opts.Addr names the server without the password.
		return nil, fmt.Errorf("cannot reach Redis at %s (REDIS_URL): %w", opts.Addr, err)
	}
	return st, nil
}
