package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
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

// botConfig is what jsmbot run reads beyond the Jira settings.
type botConfig struct {
	Jira              config
	SlackAppToken     string
	SlackBotToken     string
	SlackAPIURL       string // "" means Slack's own
	RedisURL          string // "" means the in-memory store
	Approvers         []string
	AllowSelfApproval bool
	HTTPAddr          string // "" means no health listener
}

// approverRE matches a Slack user (U…, W…) or user-group (S…) ID.
var approverRE = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)

// loadBotConfig reads the whole configuration of jsmbot run and reports
// every problem at once, naming variables and never their values.
func loadBotConfig(getenv func(string) string) (botConfig, error) {
	var problems []string
	jc, err := loadJiraConfig(getenv)
	var ce *configError
	if errors.As(err, &ce) {
		problems = append(problems, ce.problems...)
	} else if err != nil {
		return botConfig{}, err
	}
	if getenv("JSMBOT_LOG_LEVEL") == "" {
		jc.LogLevel = slog.LevelInfo // a service logs its decisions
	}
	c := botConfig{
		Jira:          jc,
		SlackAppToken: strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		SlackBotToken: strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		SlackAPIURL:   strings.TrimSpace(getenv("SLACK_API_URL")),
		RedisURL:      strings.TrimSpace(getenv("REDIS_URL")),
	}
	switch {
	case c.SlackAppToken == "":
		problems = append(problems, "SLACK_APP_TOKEN is not set (the app-level token, xapp-…, with connections:write)")
	case !strings.HasPrefix(c.SlackAppToken, "xapp-"):
		problems = append(problems, "SLACK_APP_TOKEN must be an app-level token starting with xapp-")
	}
	switch {
	case c.SlackBotToken == "":
		problems = append(problems, "SLACK_BOT_TOKEN is not set (the bot token, xoxb-…)")
	case !strings.HasPrefix(c.SlackBotToken, "xoxb-"):
		problems = append(problems, "SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
	}
	if c.SlackAPIURL != "" {
		u, err := url.Parse(c.SlackAPIURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.HasSuffix(u.Path, "/") {
			problems = append(problems, "SLACK_API_URL must be an http(s) URL ending in /, e.g. https://slack.com/api/")
		}
	}
	if c.RedisURL != "" {
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			problems = append(problems, "REDIS_URL must be a redis:// or rediss:// URL")
		}
	}
	for _, id := range strings.Split(getenv("JSMBOT_APPROVERS"), ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if !approverRE.MatchString(id) {
			problems = append(problems, fmt.Sprintf("JSMBOT_APPROVERS: %q is not a Slack user ID (U…, W…) or user-group ID (S…)", id))
			continue
		}
		c.Approvers = append(c.Approvers, id)
	}
	if v := strings.TrimSpace(getenv("JSMBOT_ALLOW_SELF_APPROVAL")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, "JSMBOT_ALLOW_SELF_APPROVAL must be true or false")
		}
		c.AllowSelfApproval = b
	}
	if c.HTTPAddr = strings.TrimSpace(getenv("JSMBOT_HTTP_ADDR")); c.HTTPAddr != "" {
		if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
			problems = append(problems, "JSMBOT_HTTP_ADDR must be host:port or :port, e.g. :8080")
		}
	}
	if len(problems) > 0 {
		return c, &configError{problems: problems}
	}
	return c, nil
}

// LogValue keeps the tokens and the Redis password out of logs.
func (c botConfig) LogValue() slog.Value {
	redisURL := ""
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err == nil {
			redisURL = u.Redacted()
		}
	}
	return slog.GroupValue(
		slog.Any("jira", c.Jira),
		slog.String("slack_app_token", redact(c.SlackAppToken)),
		slog.String("slack_bot_token", redact(c.SlackBotToken)),
		slog.String("slack_api_url", c.SlackAPIURL),
		slog.String("redis_url", redisURL),
		slog.Any("approvers", c.Approvers),
		slog.Bool("allow_self_approval", c.AllowSelfApproval),
		slog.String("http_addr", c.HTTPAddr),
	)
}

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
			return err
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

	err = serveSlack(ctx, api, bot.Config{Approvers: cfg.Approvers, AllowSelfApproval: cfg.AllowSelfApproval}, engine, st, logger, withOps(m, ops))
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
