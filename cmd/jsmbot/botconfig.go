package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// botConfig is the whole configuration of the Slack side, as jsmbot run and
// jsmbot doctor both read it: one loader, so that doctor checks exactly
// what run will use.
type botConfig struct {
	Jira              config
	SlackAppToken     string
	SlackBotToken     string
	SlackAPIURL       string         // "" means Slack's own; otherwise ends in "/"
	RedisURL          string         // "" means the in-memory store
	Redis             *redis.Options // RedisURL parsed; nil when unset or malformed
	Approvers         []string
	AllowSelfApproval bool
	DetectReports     bool   // watch channels for pasted invite failures (default true)
	HTTPAddr          string // "" means no health listener

	// invalid names the variables that had a problem, so that doctor can
	// skip the checks that need them.
	invalid map[string]bool
}

// approverRE matches a Slack user (U…, W… on Enterprise Grid) or user-group
// (S…) ID.
var approverRE = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)

// problemVar is the variable a problem message is about: every message
// starts with the variable's name.
var problemVar = regexp.MustCompile(`^[A-Z][A-Z0-9_]*`)

// loadBotConfig reads every variable jsmbot run and jsmbot doctor use and
// reports every problem at once in a *configError. Messages name
// variables and say what is expected, never echoing a value, so no secret
// reaches an error. The returned config holds whatever was usable even
// when there are problems.
func loadBotConfig(getenv func(string) string) (botConfig, error) {
	var problems []string
	jc, err := loadJiraConfig(getenv)
	var ce *configError
	switch {
	case errors.As(err, &ce):
		problems = append(problems, ce.problems...)
	case err != nil:
		return botConfig{}, err
	}
	if strings.TrimSpace(getenv("JSMBOT_LOG_LEVEL")) == "" {
		jc.LogLevel = slog.LevelInfo // a service logs its decisions
	}
	c := botConfig{
		Jira:          jc,
		SlackAppToken: strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		SlackBotToken: strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		RedisURL:      strings.TrimSpace(getenv("REDIS_URL")),
		DetectReports: true,
	}
	problem := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	switch {
	case c.SlackBotToken == "":
		problem("SLACK_BOT_TOKEN is not set: use the app's Bot User OAuth Token (xoxb-…) from OAuth & Permissions")
	case !strings.HasPrefix(c.SlackBotToken, "xoxb-"):
		problem("SLACK_BOT_TOKEN must be a bot token (xoxb-…), the Bot User OAuth Token from OAuth & Permissions")
	}
	switch {
	case c.SlackAppToken == "":
		problem("SLACK_APP_TOKEN is not set: generate an app-level token (xapp-…) with the scope connections:write under Basic Information → App-Level Tokens")
	case !strings.HasPrefix(c.SlackAppToken, "xapp-"):
		problem("SLACK_APP_TOKEN must be an app-level token (xapp-…) with the scope connections:write")
	}
	if v := strings.TrimSpace(getenv("SLACK_API_URL")); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problem("SLACK_API_URL must be an http(s) URL such as %s (or unset for Slack's)", defaultSlackAPIURL)
		} else {
			// slack-go appends method names to the base, so it must end in "/".
			c.SlackAPIURL = strings.TrimSuffix(v, "/") + "/"
		}
	}
	if c.RedisURL != "" {
		// ParseURL's errors quote the URL, password included: say what is
		// expected instead of repeating them.
		if opts, err := redis.ParseURL(c.RedisURL); err != nil {
			problem("REDIS_URL must look like redis://[:password@]host:6379/0 (or rediss:// for TLS)")
		} else {
			c.Redis = opts
		}
	}
	approvers := strings.FieldsFunc(getenv("JSMBOT_APPROVERS"), func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n'
	})
	for _, id := range approvers {
		if !approverRE.MatchString(id) {
			problem("JSMBOT_APPROVERS: %q is not a Slack user ID (U…, W…) or user-group ID (S…); copy it from the profile's ⋮ → Copy member ID", id)
			continue
		}
		c.Approvers = append(c.Approvers, id)
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{
		{"JSMBOT_ALLOW_SELF_APPROVAL", &c.AllowSelfApproval},
		{"JSMBOT_DETECT_REPORTS", &c.DetectReports},
	} {
		if v := strings.TrimSpace(getenv(b.name)); v != "" {
			parsed, err := strconv.ParseBool(v)
			if err != nil {
				problem("%s must be true or false", b.name)
				continue
			}
			*b.dst = parsed
		}
	}
	if v := strings.TrimSpace(getenv("JSMBOT_HTTP_ADDR")); v != "" {
		c.HTTPAddr = v
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			problem("JSMBOT_HTTP_ADDR must be host:port or :port, e.g. :8080")
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			problem("JSMBOT_HTTP_ADDR must have a port number from 0 to 65535")
		}
	}

	c.invalid = map[string]bool{}
	for _, p := range problems {
		c.invalid[problemVar.FindString(p)] = true
	}
	if len(problems) > 0 {
		return c, &configError{problems: problems}
	}
	return c, nil
}

// secrets are the values never to print, for redactAll.
func (c botConfig) secrets() []string {
	out := []string{c.Jira.JiraToken, c.SlackBotToken, c.SlackAppToken, c.RedisURL}
	if c.Redis != nil {
		out = append(out, c.Redis.Password)
	}
	return out
}

// LogValue keeps the tokens and the Redis password out of logs.
func (c botConfig) LogValue() slog.Value {
	redisURL := ""
	if c.RedisURL != "" {
		redisURL = "[unparsable]"
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
		slog.Bool("detect_reports", c.DetectReports),
		slog.String("http_addr", c.HTTPAddr),
	)
}
