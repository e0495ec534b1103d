// Package config is jsmbot's configuration: the one [Config] that the
// terminal commands (diagnose, fix), jsmbot run and jsmbot doctor read from
// the environment, and its one loader, [Load].
//
// A new variable goes here: a Var constant, a field of [Config] (or of
// one of its groups), its parsing in [LoadWith] with a [Problem] naming it,
// its redaction in [Config.LogValue] and [Config.Secrets] when it is a
// secret (a secret also gets a _FILE form: see [SecretFileVars]), and a
// line in .env.example (a test in cmd/jsmbot checks that).
//
// How jsmbot signs in to Jira is decided here and only here: an API token
// (JIRA_EMAIL + JIRA_API_TOKEN, Basic auth) or a service account's OAuth
// 2.0 client credentials (JIRA_CLIENT_ID + JIRA_CLIENT_SECRET); see
// [Config.JiraClient].
// Command-line flags are not configuration: each command parses its own.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jsmbot/jsmbot/jira"
)

// The variables jsmbot reads.
const (
	VarJiraBaseURL       = "JIRA_BASE_URL"
	VarJiraEmail         = "JIRA_EMAIL"
	VarJiraAPIToken      = "JIRA_API_TOKEN"
	VarJiraClientID      = "JIRA_CLIENT_ID"
	VarJiraClientSecret  = "JIRA_CLIENT_SECRET"
	VarJiraTokenURL      = "JIRA_TOKEN_URL"
	VarLogLevel          = "JSMBOT_LOG_LEVEL"
	VarSlackBotToken     = "SLACK_BOT_TOKEN"
	VarSlackAppToken     = "SLACK_APP_TOKEN"
	VarSlackAPIURL       = "SLACK_API_URL"
	VarRedisURL          = "REDIS_URL"
	VarApprovers         = "JSMBOT_APPROVERS"
	VarAllowSelfApproval = "JSMBOT_ALLOW_SELF_APPROVAL"
	VarDetectReports     = "JSMBOT_DETECT_REPORTS"
	VarHTTPAddr          = "JSMBOT_HTTP_ADDR"
	VarUndoWindow        = "JSMBOT_UNDO_WINDOW"
	VarLease             = "JSMBOT_LEASE"
	VarReconcileInterval = "JSMBOT_RECONCILE_INTERVAL"
	VarDrainTimeout      = "JSMBOT_DRAIN_TIMEOUT"
	VarWriteBudget       = "JSMBOT_WRITE_BUDGET"
	VarMaxDrain          = "JSMBOT_MAX_DRAIN"
	VarWatchChannel      = "JSMBOT_WATCH_CHANNEL"
	VarWatchInterval     = "JSMBOT_WATCH_INTERVAL"
	VarWatchFullEvery    = "JSMBOT_WATCH_FULL_EVERY"
)

// Defaults of the watch (JSMBOT_WATCH_INTERVAL, JSMBOT_WATCH_FULL_EVERY).
const (
	DefaultWatchInterval  = 5 * time.Minute
	DefaultWatchFullEvery = 24 * time.Hour
)

// DefaultUndoWindow is how long after a repair it may be undone, when
// JSMBOT_UNDO_WINDOW is unset: within the plan's retention.
const DefaultUndoWindow = 168 * time.Hour

// DefaultLease and DefaultReconcileInterval are used when JSMBOT_LEASE
// and JSMBOT_RECONCILE_INTERVAL are unset; they equal bot.DefaultLease and
// bot.DefaultReconcileInterval (a test checks it). With them a restarted
// bot settles a dead replica's apply within 30 s: the plan's lease runs
// out, then the next pass (at start, then every interval) settles it.
const (
	DefaultLease             = 10 * time.Second
	DefaultReconcileInterval = 5 * time.Second
)

// DefaultDrainTimeout, DefaultWriteBudget and DefaultMaxDrain are used
// when JSMBOT_DRAIN_TIMEOUT, JSMBOT_WRITE_BUDGET and JSMBOT_MAX_DRAIN are
// unset; they equal the bot's defaults (a test checks it).
const (
	DefaultDrainTimeout = 8 * time.Second
	DefaultWriteBudget  = 3 * time.Second
	DefaultMaxDrain     = 25 * time.Second
)

// The _FILE forms of the secrets: each names a file (a Docker or
// Kubernetes secret) holding the value, read by [LoadWith] with its
// trailing newline trimmed.
const (
	VarJiraAPITokenFile     = "JIRA_API_TOKEN_FILE"
	VarJiraClientSecretFile = "JIRA_CLIENT_SECRET_FILE"
	VarSlackBotTokenFile    = "SLACK_BOT_TOKEN_FILE"
	VarSlackAppTokenFile    = "SLACK_APP_TOKEN_FILE"
	VarRedisURLFile         = "REDIS_URL_FILE"
)

// SecretFileVars maps each secret variable to its _FILE form.
func SecretFileVars() map[string]string {
	return map[string]string{
		VarJiraAPIToken:     VarJiraAPITokenFile,
		VarJiraClientSecret: VarJiraClientSecretFile,
		VarSlackBotToken:    VarSlackBotTokenFile,
		VarSlackAppToken:    VarSlackAppTokenFile,
		VarRedisURL:         VarRedisURLFile,
	}
}

// JiraVars are the variables that say how to reach and sign in to Jira.
// A problem of a _FILE form is reported under the variable it stands for.
func JiraVars() []string {
	return []string{VarJiraBaseURL, VarJiraEmail, VarJiraAPIToken, VarJiraClientID, VarJiraClientSecret, VarJiraTokenURL}
}

// TerminalVars are the variables the terminal commands (diagnose, fix)
// need; pass them to [Only].
func TerminalVars() []string {
	return append(JiraVars(), VarLogLevel)
}

// DefaultSlackAPIURL is Slack's Web API base, slack-go's default.
const DefaultSlackAPIURL = "https://slack.com/api/"

// Config is everything jsmbot reads from its environment. [Load] fills in
// whatever is usable even when other variables have problems.
type Config struct {
	Jira  Jira
	Slack Slack
	Redis Redis
	// Approvers are Slack user (U…, W…) and user-group (S…) IDs.
	Approvers         []string
	AllowSelfApproval bool
	// DetectReports: watch channels for pasted invite failures (default
	// true).
	DetectReports bool
	// HTTPAddr is where jsmbot run serves /healthz, /readyz and /metrics;
	// "" means no listener.
	HTTPAddr string
	// UndoWindow is how long after it was applied a repair may be undone
	// (JSMBOT_UNDO_WINDOW, a Go duration; default [DefaultUndoWindow]).
	UndoWindow time.Duration
	// Lease is how long an applying plan's lease lasts before the
	// reconciler may settle it (JSMBOT_LEASE, a Go duration; default
	// [DefaultLease]).
	Lease time.Duration
	// ReconcileInterval is how often jsmbot run looks for plans whose lease
	// ran out (JSMBOT_RECONCILE_INTERVAL, a Go duration; default
	// [DefaultReconcileInterval]).
	ReconcileInterval time.Duration
	// DrainTimeout bounds how long jsmbot run waits for in-flight work on
	// SIGTERM (JSMBOT_DRAIN_TIMEOUT, a Go duration; default
	// [DefaultDrainTimeout]).
	DrainTimeout time.Duration
	// WriteBudget is what that wait allows each write not yet tried of a
	// repair in flight (JSMBOT_WRITE_BUDGET, a Go duration; default
	// [DefaultWriteBudget]).
	WriteBudget time.Duration
	// MaxDrain caps the wait for a repair in flight (JSMBOT_MAX_DRAIN, a Go
	// duration; default [DefaultMaxDrain]).
	MaxDrain time.Duration
	// Watch is the watcher of jsmbot run.
	Watch Watch

	logLevel    slog.Level
	logLevelSet bool
}

// Jira is how to reach and sign in to Jira: Email and APIToken, or
// ClientID and ClientSecret ([Jira.OAuth]), never both.
type Jira struct {
	BaseURL  string
	Email    string
	APIToken string
	// Options are client options applied after the caller's; no variable
	// sets them (the wiring's tests do, e.g. a short retry wait).
	Options []jira.Option
	// ClientID and ClientSecret are a service account's OAuth 2.0
	// credential.
	ClientID     string
	ClientSecret string
	// TokenURL is where tokens are fetched; "" means Atlassian's
	// (jira.DefaultTokenURL).
	TokenURL string
}

// OAuth reports whether the configuration signs in with OAuth 2.0 client
// credentials rather than an API token.
func (j Jira) OAuth() bool { return j.ClientID != "" || j.ClientSecret != "" }

// Slack is how to reach Slack.
type Slack struct {
	AppToken string
	BotToken string
	// APIURL is the Web API base, ending in "/"; "" means Slack's own.
	APIURL string
}

// Redis is the store jsmbot run keeps its state in.
type Redis struct {
	// URL is REDIS_URL as given; "" means the in-memory store.
	URL string
	// Options is URL parsed; nil when unset or malformed.
	Options *redis.Options
}

// Watch configures the watcher of jsmbot run: it alerts in Channel when a
// project breaks, reading Jira's audit log every Interval and auditing
// the whole site every FullEvery.
type Watch struct {
	// Channel is the Slack channel ID (C…, G…) of the alerts; "" turns
	// the watch off.
	Channel   string
	Interval  time.Duration
	FullEvery time.Duration
}

// channelRE matches a Slack channel ID: public (C…) or private (G…).
var channelRE = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)

// Problem is one variable's problem.
type Problem struct {
	// Var is the variable's name, e.g. JIRA_BASE_URL.
	Var string
	// Message says what is wrong and what is expected. It names Var and
	// never repeats the value, which may be a secret.
	Message string
}

// Error lists every configuration problem at once.
type Error struct{ Problems []Problem }

// Error lists the messages, "configuration: " first.
func (e *Error) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return "configuration: " + strings.Join(msgs, "; ")
}

// Has reports whether variable v has a problem.
func (e *Error) Has(v string) bool {
	for _, p := range e.Problems {
		if p.Var == v {
			return true
		}
	}
	return false
}

// Only narrows an error of [Load] to the problems of the given variables,
// for a command that reads only those: nil when none of them has a
// problem. Any other error is returned as it is.
func Only(err error, vars ...string) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	var kept []Problem
	for _, p := range e.Problems {
		for _, v := range vars {
			if p.Var == v {
				kept = append(kept, p)
				break
			}
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return &Error{Problems: kept}
}

// approverRE matches a Slack user (U…, W… on Enterprise Grid) or user-group
// (S…) ID.
var approverRE = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`)

// Load is [LoadWith] reading the _FILE forms with os.ReadFile.
func Load(getenv func(string) string) (Config, error) {
	return LoadWith(getenv, os.ReadFile)
}

// LoadWith reads every variable jsmbot uses and reports every problem at
// once in an *[Error]. The returned Config holds whatever was usable even
// when there are problems. A secret may instead be given in a file named
// by its _FILE form ([SecretFileVars]), read with readFile; a problem with
// it names the variable, never the file's contents.
func LoadWith(getenv func(string) string, readFile func(string) ([]byte, error)) (Config, error) {
	var problems []Problem
	problem := func(v, format string, args ...any) {
		problems = append(problems, Problem{Var: v, Message: fmt.Sprintf(format, args...)})
	}
	has := func(v string) bool { return (&Error{Problems: problems}).Has(v) }
	get := func(v string) string { return strings.TrimSpace(getenv(v)) }
	secret := func(v string) string {
		fileVar := SecretFileVars()[v]
		path := get(fileVar)
		if path == "" {
			return get(v)
		}
		if get(v) != "" {
			problem(v, "%s and %s are both set: set one of them", v, fileVar)
			return ""
		}
		b, err := readFile(path)
		if err != nil {
			problem(v, "%s: %s", fileVar, fileProblem(err))
			return ""
		}
		val := strings.TrimSpace(string(b))
		if val == "" {
			problem(v, "%s names an empty file", fileVar)
		}
		return val
	}

	c := Config{
		Jira: Jira{
			BaseURL: get(VarJiraBaseURL), Email: get(VarJiraEmail), APIToken: secret(VarJiraAPIToken),
			ClientID: get(VarJiraClientID), ClientSecret: secret(VarJiraClientSecret), TokenURL: get(VarJiraTokenURL),
		},
		Slack:         Slack{AppToken: secret(VarSlackAppToken), BotToken: secret(VarSlackBotToken)},
		Redis:         Redis{URL: secret(VarRedisURL)},
		DetectReports: true,
		UndoWindow:    DefaultUndoWindow,
		Lease:         DefaultLease,

		ReconcileInterval: DefaultReconcileInterval,
		DrainTimeout:      DefaultDrainTimeout,
		WriteBudget:       DefaultWriteBudget,
		MaxDrain:          DefaultMaxDrain,
	}
	required := []struct{ name, val string }{{VarJiraBaseURL, c.Jira.BaseURL}}
	basic := c.Jira.Email != "" || c.Jira.APIToken != "" || get(VarJiraAPITokenFile) != ""
	oauth := c.Jira.OAuth() || get(VarJiraClientSecretFile) != ""
	switch {
	case basic && oauth:
		problem(VarJiraClientID, "%s/%s (a service account's OAuth 2.0 credential) and %s/%s (an API token) are both set: keep one pair and unset the other",
			VarJiraClientID, VarJiraClientSecret, VarJiraEmail, VarJiraAPIToken)
	case oauth:
		required = append(required, struct{ name, val string }{VarJiraClientID, c.Jira.ClientID}, struct{ name, val string }{VarJiraClientSecret, c.Jira.ClientSecret})
	default:
		required = append(required, struct{ name, val string }{VarJiraEmail, c.Jira.Email}, struct{ name, val string }{VarJiraAPIToken, c.Jira.APIToken})
	}
	for _, v := range required {
		if v.val == "" && !has(v.name) {
			problem(v.name, "%s is not set", v.name)
		}
	}
	if c.Jira.BaseURL != "" {
		if _, err := jira.NewClient(c.Jira.BaseURL, "x", "x"); err != nil {
			problem(VarJiraBaseURL, "%s: %s", VarJiraBaseURL, strings.TrimPrefix(err.Error(), "jira: "))
		} else if oauth && !basic && IsSiteURL(c.Jira.BaseURL) {
			problem(VarJiraBaseURL, "%s is a site URL, where OAuth 2.0 tokens are refused: use the API gateway, https://api.atlassian.com/ex/jira/{cloudId} (jsmbot doctor finds the cloudId)", VarJiraBaseURL)
		}
	}
	if c.Jira.TokenURL != "" {
		if err := jira.CheckTokenURL(c.Jira.TokenURL); err != nil {
			problem(VarJiraTokenURL, "%s: %s", VarJiraTokenURL, strings.TrimPrefix(err.Error(), "jira: "))
		}
	}
	if c.Jira.Email != "" && !strings.Contains(c.Jira.Email, "@") {
		problem(VarJiraEmail, "%s must be the Atlassian account's email address", VarJiraEmail)
	}
	if s := get(VarLogLevel); s != "" {
		if err := c.logLevel.UnmarshalText([]byte(s)); err != nil {
			problem(VarLogLevel, "%s must be debug, info, warn or error", VarLogLevel)
		} else {
			c.logLevelSet = true
		}
	}

	switch {
	case has(VarSlackBotToken):
	case c.Slack.BotToken == "":
		problem(VarSlackBotToken, "%s is not set: use the app's Bot User OAuth Token (xoxb-…) from OAuth & Permissions", VarSlackBotToken)
	case !strings.HasPrefix(c.Slack.BotToken, "xoxb-"):
		problem(VarSlackBotToken, "%s must be a bot token (xoxb-…), the Bot User OAuth Token from OAuth & Permissions", VarSlackBotToken)
	}
	switch {
	case has(VarSlackAppToken):
	case c.Slack.AppToken == "":
		problem(VarSlackAppToken, "%s is not set: generate an app-level token (xapp-…) with the scope connections:write under Basic Information → App-Level Tokens", VarSlackAppToken)
	case !strings.HasPrefix(c.Slack.AppToken, "xapp-"):
		problem(VarSlackAppToken, "%s must be an app-level token (xapp-…) with the scope connections:write", VarSlackAppToken)
	}
	if v := get(VarSlackAPIURL); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problem(VarSlackAPIURL, "%s must be an http(s) URL such as %s (or unset for Slack's)", VarSlackAPIURL, DefaultSlackAPIURL)
		} else {
			// slack-go appends method names to the base, so it must end in "/".
			c.Slack.APIURL = strings.TrimSuffix(v, "/") + "/"
		}
	}
	if c.Redis.URL != "" {
		// ParseURL's errors quote the URL, password included: say what is
		// expected instead of repeating them.
		if opts, err := redis.ParseURL(c.Redis.URL); err != nil {
			problem(VarRedisURL, "%s must look like redis://[:password@]host:6379/0 (or rediss:// for TLS)", VarRedisURL)
		} else {
			c.Redis.Options = opts
		}
	}
	approvers := strings.FieldsFunc(getenv(VarApprovers), func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n'
	})
	for _, id := range approvers {
		if !approverRE.MatchString(id) {
			problem(VarApprovers, "%s: %q is not a Slack user ID (U…, W…) or user-group ID (S…); copy it from the profile's ⋮ → Copy member ID", VarApprovers, id)
			continue
		}
		c.Approvers = append(c.Approvers, id)
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{
		{VarAllowSelfApproval, &c.AllowSelfApproval},
		{VarDetectReports, &c.DetectReports},
	} {
		if v := get(b.name); v != "" {
			parsed, err := strconv.ParseBool(v)
			if err != nil {
				problem(b.name, "%s must be true or false", b.name)
				continue
			}
			*b.dst = parsed
		}
	}
	if v := get(VarHTTPAddr); v != "" {
		c.HTTPAddr = v
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			problem(VarHTTPAddr, "%s must be host:port or :port, e.g. :8080", VarHTTPAddr)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			problem(VarHTTPAddr, "%s must have a port number from 0 to 65535", VarHTTPAddr)
		}
	}

	if v := get(VarUndoWindow); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			problem(VarUndoWindow, "%s must be a positive Go duration such as 168h or 30m", VarUndoWindow)
		} else {
			c.UndoWindow = d
		}
	}

	for _, d := range []struct {
		name, example string
		dst           *time.Duration
	}{
		{VarLease, "10s", &c.Lease},
		{VarReconcileInterval, "5s", &c.ReconcileInterval},
		{VarDrainTimeout, "8s", &c.DrainTimeout},
		{VarWriteBudget, "3s", &c.WriteBudget},
		{VarMaxDrain, "25s", &c.MaxDrain},
	} {
		if v := get(d.name); v != "" {
			if parsed, err := time.ParseDuration(v); err != nil || parsed <= 0 {
				problem(d.name, "%s must be a positive Go duration such as %s", d.name, d.example)
			} else {
				*d.dst = parsed
			}
		}
	}

	c.Watch = Watch{Channel: get(VarWatchChannel), Interval: DefaultWatchInterval, FullEvery: DefaultWatchFullEvery}
	if c.Watch.Channel != "" && !channelRE.MatchString(c.Watch.Channel) {
		problem(VarWatchChannel, "%s must be a Slack channel ID (C… or G…), not a name: open the channel's details and copy the Channel ID at the bottom", VarWatchChannel)
		c.Watch.Channel = ""
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{VarWatchInterval, &c.Watch.Interval},
		{VarWatchFullEvery, &c.Watch.FullEvery},
	} {
		v := get(d.name)
		if v == "" {
			continue
		}
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed <= 0 {
			problem(d.name, "%s must be a positive Go duration such as 30s, 5m or 24h", d.name)
			continue
		}
		*d.dst = parsed
	}

	if len(problems) > 0 {
		return c, &Error{Problems: problems}
	}
	return c, nil
}

// The default log levels: a terminal command shows only warnings, a
// service logs its decisions.
const (
	TerminalLogLevel = slog.LevelWarn
	ServiceLogLevel  = slog.LevelInfo
)

// LogLevel is JSMBOT_LOG_LEVEL, or def when it is unset or malformed.
func (c Config) LogLevel(def slog.Level) slog.Level {
	if c.logLevelSet {
		return c.logLevel
	}
	return def
}

// SlackAPIURL is the Slack Web API base to call: SLACK_API_URL or Slack's
// own.
func (c Config) SlackAPIURL() string {
	if c.Slack.APIURL == "" {
		return DefaultSlackAPIURL
	}
	return c.Slack.APIURL
}

// JiraClient builds the Jira client of the configuration: Basic auth with
// the API token, or OAuth 2.0 client credentials when [Jira.OAuth].
func (c Config) JiraClient(opts ...jira.Option) (*jira.Client, error) {
	email, token := c.Jira.Email, c.Jira.APIToken
	if c.Jira.OAuth() {
		opts = append([]jira.Option{jira.WithClientCredentials(c.Jira.ClientID, c.Jira.ClientSecret, c.Jira.TokenURL)}, opts...)
	}
	client, err := jira.NewClient(c.Jira.BaseURL, email, token, append(slices.Clip(opts), c.Jira.Options...)...)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return client, nil
}

// Secrets are the values never to print, for redacting text that libraries
// produced.
func (c Config) Secrets() []string {
	out := []string{c.Jira.APIToken, c.Jira.ClientSecret, c.Slack.BotToken, c.Slack.AppToken, c.Redis.URL}
	if c.Redis.Options != nil {
		out = append(out, c.Redis.Options.Password)
	}
	return out
}

// LogValue keeps the tokens and the Redis password out of logs.
func (c Config) LogValue() slog.Value {
	redisURL := ""
	if c.Redis.URL != "" {
		redisURL = "[unparsable]"
		if u, err := url.Parse(c.Redis.URL); err == nil {
			redisURL = u.Redacted()
		}
	}
	return slog.GroupValue(
		slog.Group("jira",
			slog.String("jira_base_url", c.Jira.BaseURL),
			slog.String("jira_email", c.Jira.Email),
			slog.String("jira_api_token", redact(c.Jira.APIToken)),
			slog.String("jira_client_id", c.Jira.ClientID),
			slog.String("jira_client_secret", redact(c.Jira.ClientSecret)),
			slog.String("jira_token_url", c.Jira.TokenURL),
		),
		slog.String("slack_app_token", redact(c.Slack.AppToken)),
		slog.String("slack_bot_token", redact(c.Slack.BotToken)),
		slog.String("slack_api_url", c.Slack.APIURL),
		slog.String("redis_url", redisURL),
		slog.Any("approvers", c.Approvers),
		slog.Bool("allow_self_approval", c.AllowSelfApproval),
		slog.Bool("detect_reports", c.DetectReports),
		slog.String("http_addr", c.HTTPAddr),
		slog.Duration("lease", c.Lease),
		slog.Duration("reconcile_interval", c.ReconcileInterval),
		slog.Duration("drain_timeout", c.DrainTimeout),
		slog.Duration("write_budget", c.WriteBudget),
		slog.Duration("max_drain", c.MaxDrain),
		slog.Group("watch",
			slog.String("channel", c.Watch.Channel),
			slog.Duration("interval", c.Watch.Interval),
			slog.Duration("full_every", c.Watch.FullEvery),
		),
	)
}

func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}

// IsSiteURL reports whether baseURL is an Atlassian site URL,
// https://NAME.atlassian.net, on which OAuth 2.0 tokens and scoped API
// tokens are refused.
func IsSiteURL(baseURL string) bool {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	return err == nil && strings.HasSuffix(strings.ToLower(u.Hostname()), ".atlassian.net")
}

// fileProblem says why a _FILE could not be read, without its path or
// contents.
func fileProblem(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "the file it names does not exist (mount the secret, or fix the path)"
	case errors.Is(err, fs.ErrPermission):
		return "the file it names cannot be read by this user (check its mode and owner)"
	}
	return "the file it names cannot be read (is it a directory?)"
}
