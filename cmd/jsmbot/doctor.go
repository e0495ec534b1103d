package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/store"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
)

// defaultSlackAPIURL is slack-go's default Web API base.
const defaultSlackAPIURL = "https://slack.com/api/"

// doctorConfig is the whole configuration as jsmbot doctor reads it: every
// variable any command uses. Fields that failed validation stay empty and
// the checks that need them are skipped.
type doctorConfig struct {
	jira       config // valid only when jiraOK
	jiraOK     bool
	botToken   string
	appToken   string
	slackAPI   string // always ends in "/"
	redis      *redis.Options
	redisURL   string
	approvers  []string
	httpAddr   string
	allowSelf  bool
	secrets    []string // values never to print
	problems   []string
	skipReason map[string]string // dependency → why its checks cannot run
}

// loadDoctorConfig reads the configuration with loadBotConfig, the loader
// jsmbot run uses, and works out which checks its problems leave without
// the settings they need.
func loadDoctorConfig(getenv func(string) string) doctorConfig {
	bc, err := loadBotConfig(getenv)
	c := doctorConfig{
		jira:       bc.Jira,
		botToken:   bc.SlackBotToken,
		appToken:   bc.SlackAppToken,
		slackAPI:   bc.SlackAPIURL,
		redis:      bc.Redis,
		redisURL:   bc.RedisURL,
		approvers:  bc.Approvers,
		httpAddr:   bc.HTTPAddr,
		allowSelf:  bc.AllowSelfApproval,
		secrets:    bc.secrets(),
		skipReason: map[string]string{},
	}
	var ce *configError
	switch {
	case errors.As(err, &ce):
		c.problems = append(c.problems, ce.problems...)
	case err != nil:
		c.problems = append(c.problems, err.Error())
		bc.invalid = map[string]bool{"JIRA_BASE_URL": true}
	}
	if c.slackAPI == "" {
		c.slackAPI = defaultSlackAPIURL
	}
	// run only warns about an empty approver list (deny by default);
	// doctor calls it a problem, since nobody could approve a repair.
	if strings.TrimSpace(getenv("JSMBOT_APPROVERS")) == "" {
		c.problems = append(c.problems, "JSMBOT_APPROVERS is not set: nobody could approve a repair; list Slack user IDs (U…) and user-group IDs (S…), comma-separated")
	}

	inv := bc.invalid
	// Only JSMBOT_LOG_LEVEL wrong still leaves Jira checkable.
	c.jiraOK = !inv["JIRA_BASE_URL"] && !inv["JIRA_EMAIL"] && !inv["JIRA_API_TOKEN"]
	if !c.jiraOK {
		c.skipReason["jira"] = "the JIRA_ variables are not usable"
	}
	if inv["SLACK_BOT_TOKEN"] {
		c.skipReason["slack-bot"] = "SLACK_BOT_TOKEN is not usable"
	}
	if inv["SLACK_APP_TOKEN"] {
		c.skipReason["slack-app"] = "SLACK_APP_TOKEN is not usable"
	}
	if inv["SLACK_API_URL"] {
		c.skipReason["slack-bot"] = "SLACK_API_URL is not usable"
		c.skipReason["slack-app"] = "SLACK_API_URL is not usable"
	}
	if inv["REDIS_URL"] {
		c.skipReason["redis"] = "REDIS_URL is not usable"
	}
	return c
}

// mark is a check's outcome.
type mark int

const (
	markPass mark = iota
	markFail
	markSkip // not checked: the configuration it needs is not usable
)

func (m mark) String() string {
	switch m {
	case markPass:
		return "✓"
	case markFail:
		return "✗"
	}
	return "–"
}

// checkResult is one printed line of jsmbot doctor and its indented notes.
type checkResult struct {
	Name   string
	Mark   mark
	Detail string
	Notes  []string // what is missing and how to fix it
}

func pass(name, detail string) checkResult {
	return checkResult{Name: name, Mark: markPass, Detail: detail}
}

func fail(name, detail string, notes ...string) checkResult {
	return checkResult{Name: name, Mark: markFail, Detail: detail, Notes: notes}
}

func skip(name, why string) checkResult {
	return checkResult{Name: name, Mark: markSkip, Detail: "not checked: " + why}
}

// doctorCheck produces the lines of one check; it must return when ctx ends.
type doctorCheck func(ctx context.Context) []checkResult

// runDoctor checks the whole configuration against Slack, Jira and Redis,
// prints ✓ or ✗ per check and fails (exit 1) when any check fails.
func runDoctor(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	timeout := fs.Duration("timeout", 10*time.Second, "time limit of each check")
	if err := fs.Parse(args); err != nil {
		return &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("doctor takes no arguments, got %q", fs.Arg(0))}
	}
	if *timeout <= 0 {
		return &usageError{msg: "doctor --timeout must be positive"}
	}
	cfg := loadDoctorConfig(getenv)
	results := runChecks(ctx, *timeout, doctorChecks(cfg))
	_, err := io.WriteString(stdout, redactAll(formatResults(results), cfg.secrets))
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Mark == markFail {
			return errReported
		}
	}
	return nil
}

// doctorChecks lists the checks in the order they are printed.
func doctorChecks(cfg doctorConfig) []doctorCheck {
	return []doctorCheck{
		func(context.Context) []checkResult { return []checkResult{checkConfig(cfg)} },
		func(ctx context.Context) []checkResult { return []checkResult{checkSlackBot(ctx, cfg)} },
		func(ctx context.Context) []checkResult { return []checkResult{checkSlackApp(ctx, cfg)} },
		func(ctx context.Context) []checkResult { return checkJira(ctx, cfg) },
		func(ctx context.Context) []checkResult { return []checkResult{checkRedis(ctx, cfg)} },
	}
}

// runChecks runs every check at once, each under its own time limit, and
// returns their lines in the checks' order.
func runChecks(ctx context.Context, timeout time.Duration, checks []doctorCheck) []checkResult {
	out := make([][]checkResult, len(checks))
	var wg sync.WaitGroup
	for i, check := range checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			out[i] = check(ctx)
		})
	}
	wg.Wait()
	return slices.Concat(out...)
}

// formatResults renders the lines and a summary.
func formatResults(results []checkResult) string {
	var b strings.Builder
	failed, skipped := 0, 0
	for _, r := range results {
		fmt.Fprintf(&b, "%s %s: %s\n", r.Mark, r.Name, r.Detail)
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "    %s\n", n)
		}
		switch r.Mark {
		case markFail:
			failed++
		case markSkip:
			skipped++
		}
	}
	b.WriteString("\n")
	switch {
	case failed == 0 && skipped == 0:
		fmt.Fprintf(&b, "all %d checks passed\n", len(results))
	case failed == 0:
		fmt.Fprintf(&b, "%d of %d checks passed, %d not checked\n", len(results)-skipped, len(results), skipped)
	case skipped == 0:
		fmt.Fprintf(&b, "%d of %d checks failed\n", failed, len(results))
	default:
		fmt.Fprintf(&b, "%d of %d checks failed, %d not checked\n", failed, len(results), skipped)
	}
	return b.String()
}

// redactAll replaces every secret in s. The checks already avoid printing
// them; this is the second line of defence for error texts of libraries.
func redactAll(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

func checkConfig(cfg doctorConfig) checkResult {
	const name = "configuration"
	if len(cfg.problems) == 0 {
		return pass(name, "required variables set, every variable well-formed")
	}
	word := "problems"
	if len(cfg.problems) == 1 {
		word = "problem"
	}
	return fail(name, fmt.Sprintf("%d %s (see .env.example)", len(cfg.problems), word), cfg.problems...)
}

// slackClient builds a slack-go client for SLACK_API_URL.
func slackClient(token string, cfg doctorConfig, opts ...slack.Option) *slack.Client {
	return slack.New(token, append([]slack.Option{slack.OptionAPIURL(cfg.slackAPI)}, opts...)...)
}

// checkSlackBot calls auth.test with the bot token and, when Slack reports
// the token's scopes (the X-OAuth-Scopes header), compares them with the
// manifest's.
func checkSlackBot(ctx context.Context, cfg doctorConfig) checkResult {
	const name = "Slack bot token"
	if why, ok := cfg.skipReason["slack-bot"]; ok {
		return skip(name, why)
	}
	var (
		mu     sync.Mutex
		scopes string
	)
	api := slackClient(cfg.botToken, cfg, slack.OptionOnResponseHeaders(func(path string, h http.Header) {
		if strings.HasSuffix(path, "auth.test") {
			mu.Lock()
			scopes = h.Get("X-OAuth-Scopes")
			mu.Unlock()
		}
	}))
	resp, err := api.AuthTestContext(ctx)
	if err != nil {
		return slackFailure(name, "SLACK_BOT_TOKEN", cfg, err)
	}
	detail := fmt.Sprintf("@%s (%s) in %s (%s)", resp.User, resp.UserID, resp.Team, resp.TeamID)
	mu.Lock()
	granted := scopes
	mu.Unlock()
	if granted == "" {
		return pass(name, detail)
	}
	have := map[string]bool{}
	for _, s := range strings.Split(granted, ",") {
		have[strings.TrimSpace(s)] = true
	}
	var missing []string
	for _, s := range bot.SlackSurface(bot.SurfaceOptions{}).Scopes {
		if !have[s.Name] {
			missing = append(missing, s.Name)
		}
	}
	if len(missing) > 0 {
		return fail(name, detail+", but the token lacks the scopes "+strings.Join(missing, ", "),
			"fix: update the app from `jsmbot manifest` (App Manifest page), then reinstall it to the workspace so the token gets the new scopes")
	}
	return pass(name, detail+", scopes complete")
}

// checkSlackApp calls apps.connections.open with the app-level token. The
// URL it returns is single use and never dialled, so no socket is opened.
func checkSlackApp(ctx context.Context, cfg doctorConfig) checkResult {
	const name = "Slack app token"
	if why, ok := cfg.skipReason["slack-app"]; ok {
		return skip(name, why)
	}
	api := slackClient("", cfg, slack.OptionAppLevelToken(cfg.appToken))
	if _, _, err := api.StartSocketModeContext(ctx); err != nil {
		return slackFailure(name, "SLACK_APP_TOKEN", cfg, err)
	}
	return pass(name, "Socket Mode connections can be opened")
}

// slackFailure explains a failed Slack call: which token, why, and the fix.
func slackFailure(name, variable string, cfg doctorConfig, err error) checkResult {
	var (
		se  slack.SlackErrorResponse
		sce slack.StatusCodeError
		rle *slack.RateLimitedError
	)
	bot := variable == "SLACK_BOT_TOKEN"
	where := "OAuth & Permissions → Bot User OAuth Token (xoxb-…)"
	if !bot {
		where = "Basic Information → App-Level Tokens, a token with connections:write (xapp-…)"
	}
	switch {
	case errors.As(err, &se):
		switch se.Err {
		case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
			return fail(name, fmt.Sprintf("Slack rejected %s (%s)", variable, se.Err),
				"fix: copy it again from the app's "+where+"; reinstall the app if it was removed")
		case "not_allowed_token_type":
			return fail(name, fmt.Sprintf("%s is the wrong kind of token (%s)", variable, se.Err),
				"fix: use the "+where)
		case "missing_scope":
			scope := "connections:write"
			if bot {
				scope = "the manifest's scopes"
			}
			return fail(name, fmt.Sprintf("%s lacks %s (missing_scope)", variable, scope),
				"fix: "+where)
		}
		return fail(name, fmt.Sprintf("Slack refused the call with %s (%s)", variable, se.Err),
			"fix: check that the app was created from `jsmbot manifest` (Socket Mode on) and installed")
	case errors.As(err, &rle):
		return fail(name, fmt.Sprintf("Slack is rate limiting this app; try again in %s", rle.RetryAfter.Round(time.Second)))
	case errors.As(err, &sce):
		return fail(name, fmt.Sprintf("Slack answered HTTP %d at %s", sce.Code, cfg.slackAPI),
			"fix: SLACK_API_URL must be Slack's Web API base (default "+defaultSlackAPIURL+"); unset it unless a proxy is needed")
	case errors.Is(err, context.DeadlineExceeded):
		return fail(name, "Slack did not answer in time at "+cfg.slackAPI,
			"fix: check outbound HTTPS to slack.com (proxy, firewall) or SLACK_API_URL")
	}
	return fail(name, "cannot reach Slack at "+cfg.slackAPI+": "+rootCause(err),
		"fix: check outbound HTTPS to slack.com (proxy, firewall, DNS) or SLACK_API_URL")
}

// rootCause drops the url.Error wrapper, whose text repeats the method and
// URL already named.
func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// jiraPermission is a permission jsmbot needs, why, and where an admin grants it.
type jiraPermission struct {
	key, name, why, fix string
}

func jiraPermissions() []jiraPermission {
	return []jiraPermission{
		{"ADMINISTER", "Administer Jira",
			"jsmbot can diagnose but not repair: adding grants, copying a scheme and assigning it need it",
			`add the account (or a group it is in) to "Administer Jira" in Jira settings → System → Global permissions`},
		{"ADMINISTER_PROJECTS", "Administer Projects",
			"not held in any project: jsmbot cannot read a project's permission scheme and roles, nor add customers when retrying invites",
			"grant it through the Administrators role of the JSM projects (Project settings → People), or Administer Jira"},
		{"USER_PICKER", "Browse users and groups",
			"jsmbot cannot find reported customers when retrying failed invites (Jira answers an empty search)",
			`add the account to "Browse users and groups" in Jira settings → System → Global permissions`},
	}
}

// checkJira signs in (myself), then asks which of the needed permissions the
// account holds (mypermissions, globally: a project permission then means
// "in at least one project").
func checkJira(ctx context.Context, cfg doctorConfig) []checkResult {
	const name = "Jira"
	perms := jiraPermissions()
	permName := func(p jiraPermission) string { return fmt.Sprintf("Jira permission %s (%s)", p.name, p.key) }
	skipAll := func(first checkResult, why string) []checkResult {
		out := []checkResult{first}
		for _, p := range perms {
			out = append(out, skip(permName(p), why))
		}
		return out
	}
	if why, ok := cfg.skipReason["jira"]; ok {
		return skipAll(skip(name, why), why)
	}
	// One retry at most: doctor answers quickly rather than wait out a
	// Retry-After; the time limit bounds the rest.
	client, err := newJiraClient(cfg.jira, slog.New(slog.DiscardHandler), jira.WithMaxRetries(1))
	if err != nil {
		return skipAll(fail(name, describe(err)), "Jira is not configured")
	}
	me, err := client.Myself(ctx)
	if err != nil {
		return skipAll(fail(name, describe(err), jiraFix(err)), "signing in to Jira failed")
	}
	out := []checkResult{pass(name, fmt.Sprintf("%s accepts %s (%s)", cfg.jira.JiraBaseURL, me.DisplayName, cfg.jira.JiraEmail))}
	keys := make([]string, len(perms))
	for i, p := range perms {
		keys[i] = p.key
	}
	have, err := client.MyPermissions(ctx, "", keys...)
	if err != nil {
		for _, p := range perms {
			out = append(out, fail(permName(p), "cannot read the account's permissions: "+describe(err)))
		}
		return out
	}
	for _, p := range perms {
		if have[p.key] {
			out = append(out, pass(permName(p), "held"))
		} else {
			out = append(out, fail(permName(p), "missing: "+p.why, "fix: "+p.fix))
		}
	}
	return out
}

// jiraFix says how to fix a failed sign-in.
func jiraFix(err error) string {
	switch {
	case errors.Is(err, jira.ErrUnauthorized):
		return "fix: create an API token at https://id.atlassian.com/manage-profile/security/api-tokens for JIRA_EMAIL's account and put it in JIRA_API_TOKEN"
	case errors.Is(err, jira.ErrNotFound):
		return "fix: JIRA_BASE_URL must be the site root, https://your-site.atlassian.net (no /rest, no /jira)"
	}
	return "fix: check JIRA_BASE_URL and outbound HTTPS to the site"
}

// checkRedis pings REDIS_URL, when it is set, through the store jsmbot run
// uses.
func checkRedis(ctx context.Context, cfg doctorConfig) checkResult {
	const name = "Redis"
	if why, ok := cfg.skipReason["redis"]; ok {
		return skip(name, why)
	}
	if cfg.redis == nil {
		return pass(name, "REDIS_URL is not set: the store is in memory, so run exactly one replica")
	}
	opt := *cfg.redis
	// One attempt: the answer is what doctor reports.
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	st := store.NewRedis(redis.NewClient(&opt))
	defer st.Close()
	if err := st.Ping(ctx); err != nil {
		why := rootCause(err)
		if errors.Is(err, context.DeadlineExceeded) {
			why = "no answer in time"
		}
		return fail(name, fmt.Sprintf("%s does not answer PING: %s", opt.Addr, why),
			"fix: start Redis (docker compose up -d redis) or correct REDIS_URL; unset it to run one replica on the in-memory store")
	}
	return pass(name, opt.Addr+" answers PING")
}
