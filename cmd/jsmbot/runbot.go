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
	"golang.org/x/sync/errgroup"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// runBot runs the Slack bot until ctx ends (SIGINT or SIGTERM), then drains
// in-flight work within bot.DefaultDrainTimeout, closes the store and
// returns nil.
func runBot(ctx context.Context, args []string, getenv func(string) string, _, stderr io.Writer) error {
	if len(args) > 0 {
		return &usageError{msg: "run takes no arguments; it is configured by the environment"}
	}
	cfg, err := loadBotConfig(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.Jira.LogLevel}))
	logger.Info("starting", "config", cfg)
	if len(cfg.Approvers) == 0 {
		logger.Warn("JSMBOT_APPROVERS is empty: nobody can approve a repair")
	}

	st, err := openStore(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Warn("closing the store", "err", err)
		}
	}()

	m := newMetrics(time.Now)
	var ops *opsServer
	if cfg.HTTPAddr != "" {
		// Listen first, so that :0 works and a taken port fails at start;
		// it serves beside the bot once Slack accepted the tokens.
		if ops, err = listenOps(cfg.HTTPAddr, opsHandler(m, st)); err != nil {
			return repair.Mark(repair.KindListenFailed, err)
		}
		defer ops.close()
		logger.Info("health listener", "addr", ops.Addr())
	}

	client, err := newJiraClient(cfg.Jira, logger, jira.WithObserver(m.jiraObserver()))
	if err != nil {
		return err
	}
	engine := repair.New(client, repair.WithLogger(logger))

	opts := []slack.Option{slack.OptionAppLevelToken(cfg.SlackAppToken)}
	if cfg.SlackAPIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.SlackAPIURL))
	}
	api := slack.New(cfg.SlackBotToken, opts...)
	checkCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	auth, err := api.AuthTestContext(checkCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("slack refused SLACK_BOT_TOKEN (auth.test): %w", err)
	}
	logger.Info("connected to Slack", "team", auth.Team, "bot_user_id", auth.UserID)

	err = serveSlack(ctx, api, bot.Config{
		Approvers: cfg.Approvers, AllowSelfApproval: cfg.AllowSelfApproval,
		DetectReports: cfg.DetectReports, BotUserID: auth.UserID,
	}, engine, st, logger, withOps(m, ops))
	logger.Info("stopped", "err", err)
	return err
}

// openStore returns the Redis store REDIS_URL names, checked with a ping,
// or the in-memory store when it is unset.
func openStore(ctx context.Context, redisURL string) (store.Store, error) {
	if redisURL == "" {
		return store.NewMemory(), nil
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, &configError{problems: []string{"REDIS_URL must be a redis:// or rediss:// URL"}}
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

// serveSlack runs a Socket Mode client and the bot on it until ctx ends or
// the client fails for good (bad app token), then lets the bot drain. It
// returns nil after a clean shutdown.
func serveSlack(ctx context.Context, api *slack.Client, cfg bot.Config, engine *repair.Engine, st store.Store, logger *slog.Logger, opts ...serveOption) error {
	var o serveOptions
	for _, opt := range opts {
		opt(&o)
	}
	sm := socketmode.New(api, o.socketOptions...)
	b, err := bot.New(cfg, bot.Deps{
		Events: sm.Events, Ack: sm.AckCtx, Slack: sm,
		Engine: engine, Store: st, Logger: logger, Observer: o.observer,
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
	for _, side := range o.sidecars {
		g.Go(func() error { return side(gctx) })
	}
	return g.Wait()
}
