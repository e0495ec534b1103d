// Package doctor is jsmbot doctor: it checks the configuration against
// Slack, Jira and Redis and says, per check, what passed and how to fix
// what did not.
//
// A new check is a function returning checkResult lines, listed in
// doctorChecks in the order it is printed; a check whose settings have a
// problem reports itself skipped through state.skipReason.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jsmbot/jsmbot/internal/config"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
)

// Options are what the command decides for doctor.
type Options struct {
	// Timeout is the time limit of each check.
	Timeout time.Duration
	// BotScopes are the scopes the app manifest gives the bot token.
	BotScopes []string
	// Describe is the one line a user sees for a Jira error, the same as
	// the terminal commands print.
	Describe func(error) string
}

// ErrFailed is returned by [Run] when a check failed; the report says
// which and how to fix it.
var ErrFailed = errors.New("doctor: a check failed")

// state is what the checks read: the configuration, what doctor adds to
// its problems, and which checks those problems leave without the
// settings they need.
type state struct {
	cfg        config.Config
	opts       Options
	problems   []string
	skipReason map[string]string // dependency → why its checks cannot run
}

// newState works out, from the variables that have problems, which checks
// cannot run.
func newState(cfg config.Config, loadErr error, opts Options) state {
	s := state{cfg: cfg, opts: opts, skipReason: map[string]string{}}
	ce := &config.Error{}
	if loadErr != nil && !errors.As(loadErr, &ce) {
		// Not a problem of a variable: nothing can be trusted.
		ce = &config.Error{Problems: []config.Problem{{Var: config.VarJiraBaseURL, Message: loadErr.Error()}}}
	}
	for _, p := range ce.Problems {
		s.problems = append(s.problems, p.Message)
	}
	// run only warns about an empty approver list (deny by default);
	// doctor calls it a problem, since nobody could approve a repair.
	if len(cfg.Approvers) == 0 && !ce.Has(config.VarApprovers) {
		s.problems = append(s.problems, "JSMBOT_APPROVERS is not set: nobody could approve a repair; list Slack user IDs (U…) and user-group IDs (S…), comma-separated")
	}

	// Only JSMBOT_LOG_LEVEL wrong still leaves Jira checkable.
	for _, v := range config.JiraVars() {
		if ce.Has(v) {
			s.skipReason["jira"] = "the JIRA_ variables are not usable"
		}
	}
	if ce.Has(config.VarSlackBotToken) {
		s.skipReason["slack-bot"] = "SLACK_BOT_TOKEN is not usable"
	}
	if ce.Has(config.VarSlackAppToken) {
		s.skipReason["slack-app"] = "SLACK_APP_TOKEN is not usable"
	}
	if ce.Has(config.VarSlackAPIURL) {
		s.skipReason["slack-bot"] = "SLACK_API_URL is not usable"
		s.skipReason["slack-app"] = "SLACK_API_URL is not usable"
	}
	if ce.Has(config.VarRedisURL) {
		s.skipReason["redis"] = "REDIS_URL is not usable"
	}
	return s
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

// Run checks the configuration that [config.Load] returned (with its
// error) against Slack, Jira and Redis, and writes ✓ or ✗ per check, the
// fixes and a summary to w. It returns [ErrFailed] when a check failed.
// Nothing it writes shows a secret.
func Run(ctx context.Context, w io.Writer, cfg config.Config, loadErr error, opts Options) error {
	st := newState(cfg, loadErr, opts)
	results := runChecks(ctx, opts.Timeout, doctorChecks(st))
	if _, err := io.WriteString(w, redactAll(formatResults(results), cfg.Secrets())); err != nil {
		return err
	}
	for _, r := range results {
		if r.Mark == markFail {
			return ErrFailed
		}
	}
	return nil
}

// doctorChecks lists the checks in the order they are printed.
func doctorChecks(st state) []doctorCheck {
	checks := []doctorCheck{
		func(context.Context) []checkResult { return []checkResult{checkConfig(st)} },
		func(ctx context.Context) []checkResult { return []checkResult{checkSlackBot(ctx, st)} },
		func(ctx context.Context) []checkResult { return []checkResult{checkSlackApp(ctx, st)} },
		func(ctx context.Context) []checkResult { return checkJira(ctx, st) },
		func(ctx context.Context) []checkResult { return []checkResult{checkRedis(ctx, st)} },
	}
	if st.cfg.Watch.Channel != "" {
		checks = append(checks, func(ctx context.Context) []checkResult { return []checkResult{checkAuditLog(ctx, st)} })
	}
	return checks
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

func checkConfig(st state) checkResult {
	const name = "configuration"
	if len(st.problems) == 0 {
		return pass(name, "required variables set, every variable well-formed")
	}
	word := "problems"
	if len(st.problems) == 1 {
		word = "problem"
	}
	return fail(name, fmt.Sprintf("%d %s (see .env.example)", len(st.problems), word), st.problems...)
}

// slackClient builds a slack-go client for SLACK_API_URL.
func slackClient(token string, st state, opts ...slack.Option) *slack.Client {
	return slack.New(token, append([]slack.Option{slack.OptionAPIURL(st.cfg.SlackAPIURL())}, opts...)...)
}

// checkSlackBot calls auth.test with the bot token and, when Slack reports
// the token's scopes (the X-OAuth-Scopes header), compares them with the
// manifest's.
func checkSlackBot(ctx context.Context, st state) checkResult {
	const name = "Slack bot token"
	if why, ok := st.skipReason["slack-bot"]; ok {
		return skip(name, why)
	}
	var (
		mu     sync.Mutex
		scopes string
	)
	api := slackClient(st.cfg.Slack.BotToken, st, slack.OptionOnResponseHeaders(func(path string, h http.Header) {
		if strings.HasSuffix(path, "auth.test") {
			mu.Lock()
			scopes = h.Get("X-OAuth-Scopes")
			mu.Unlock()
		}
	}))
	resp, err := api.AuthTestContext(ctx)
	if err != nil {
		return slackFailure(name, config.VarSlackBotToken, st, err)
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
	for _, s := range st.opts.BotScopes {
		if !have[s] {
			missing = append(missing, s)
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
func checkSlackApp(ctx context.Context, st state) checkResult {
	const name = "Slack app token"
	if why, ok := st.skipReason["slack-app"]; ok {
		return skip(name, why)
	}
	api := slackClient("", st, slack.OptionAppLevelToken(st.cfg.Slack.AppToken))
	if _, _, err := api.StartSocketModeContext(ctx); err != nil {
		return slackFailure(name, config.VarSlackAppToken, st, err)
	}
	return pass(name, "Socket Mode connections can be opened")
}

// slackFailure explains a failed Slack call: which token, why, and the fix.
func slackFailure(name, variable string, st state, err error) checkResult {
	var (
		se  slack.SlackErrorResponse
		sce slack.StatusCodeError
		rle *slack.RateLimitedError
	)
	bot := variable == config.VarSlackBotToken
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
		return fail(name, fmt.Sprintf("Slack answered HTTP %d at %s", sce.Code, st.cfg.SlackAPIURL()),
			"fix: SLACK_API_URL must be Slack's Web API base (default "+config.DefaultSlackAPIURL+"); unset it unless a proxy is needed")
	case errors.Is(err, context.DeadlineExceeded):
		return fail(name, "Slack did not answer in time at "+st.cfg.SlackAPIURL(),
			"fix: check outbound HTTPS to slack.com (proxy, firewall) or SLACK_API_URL")
	}
	return fail(name, "cannot reach Slack at "+st.cfg.SlackAPIURL()+": "+rootCause(err),
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
			"jsmbot can diagnose but not repair: adding grants, copying a scheme and assigning it need it; nor can it read the audit log (who changed a scheme) or check what a customer may really do",
			`add the account (or a group it is in) to "Administer Jira" in Jira settings → System → Global permissions`},
		{"ADMINISTER_PROJECTS", "Administer Projects",
			"not held in any project: jsmbot cannot read a project's permission scheme and roles, nor add customers when retrying invites",
			"grant it through the Administrators role of the JSM projects (Project settings → People), or Administer Jira"},
		{"USER_PICKER", "Browse users and groups",
			"jsmbot cannot find reported customers when retrying failed invites (Jira answers an empty search)",
			`add the account to "Browse users and groups" in Jira settings → System → Global permissions`},
	}
}

// jiraScope is an OAuth 2.0 scope (classic) a service account's credential
// needs, and the features that stop working without it.
type jiraScope struct{ scope, disables string }

// jiraScopes are the classic scopes of jsmbot's calls (the reference's
// x-atlassian-oauth2-scopes of each operation).
func jiraScopes() []jiraScope {
	return []jiraScope{
		{"read:jira-work", "diagnosis: reading projects, permission schemes, grants, roles and the account's permissions"},
		{"manage:jira-configuration", "repairs (adding and removing grants, copying a scheme), listing project roles and reading the audit log"},
		{"manage:jira-project", "assigning a repaired copy of a scheme to a project"},
		{"read:jira-user", "signing-in checks and finding reported customers when retrying invites"},
		{"read:servicedesk-request", "finding a project's service desk"},
		{"manage:servicedesk-customer", "adding customers when retrying failed invites"},
	}
}

const scopesName = "Jira OAuth scopes"

// checkJira signs in (myself), then asks which of the needed permissions the
// account holds (mypermissions, globally: a project permission then means
// "in at least one project"). With OAuth it first makes sure JIRA_BASE_URL
// is the API gateway (finding the cloudId of a site URL) and checks the
// token's scopes.
func checkJira(ctx context.Context, st state) []checkResult {
	const name = "Jira"
	perms := jiraPermissions()
	oauth := st.cfg.Jira.OAuth()
	permName := func(p jiraPermission) string { return fmt.Sprintf("Jira permission %s (%s)", p.name, p.key) }
	skipAll := func(first checkResult, why string) []checkResult {
		out := []checkResult{first}
		if oauth {
			out = append(out, skip(scopesName, why))
		}
		for _, p := range perms {
			out = append(out, skip(permName(p), why))
		}
		return out
	}
	if oauth && st.cfg.Jira.BaseURL != "" && !jira.IsGatewayURL(st.cfg.Jira.BaseURL) {
		if r, ok := checkCloudID(ctx, st); ok {
			return skipAll(r, "JIRA_BASE_URL is not the API gateway")
		}
	}
	if why, ok := st.skipReason["jira"]; ok {
		return skipAll(skip(name, why), why)
	}
	// One retry at most: doctor answers quickly rather than wait out a
	// Retry-After; the time limit bounds the rest.
	client, err := st.cfg.JiraClient(jira.WithLogger(slog.New(slog.DiscardHandler)), jira.WithMaxRetries(1))
	if err != nil {
		return skipAll(fail(name, st.opts.Describe(err)), "Jira is not configured")
	}
	me, err := client.Myself(ctx)
	if errors.Is(err, jira.ErrNotFound) {
		// Every Jira has /myself: the base URL is not Jira's REST API.
		err = repair.Mark(repair.KindWrongBaseURL, err)
	}
	if err != nil {
		return skipAll(fail(name, st.opts.Describe(err), jiraFix(err, st)), "signing in to Jira failed")
	}
	who := st.cfg.Jira.Email
	if oauth {
		who = "service account, OAuth 2.0 client " + st.cfg.Jira.ClientID
	}
	out := []checkResult{pass(name, fmt.Sprintf("%s accepts %s (%s)", st.cfg.Jira.BaseURL, me.DisplayName, who))}
	if oauth {
		out = append(out, checkScopes(ctx, client, st))
	}
	keys := make([]string, len(perms))
	for i, p := range perms {
		keys[i] = p.key
	}
	have, err := client.MyPermissions(ctx, "", keys...)
	if err != nil {
		for _, p := range perms {
			out = append(out, fail(permName(p), "cannot read the account's permissions: "+st.opts.Describe(err)))
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

// checkCloudID is for OAuth with a JIRA_BASE_URL that is not the API
// gateway: it asks the site for its cloudId and says which JIRA_BASE_URL
// to set. It reports false when the URL answers no cloudId and is not an
// Atlassian site (a proxy, a test server): the sign-in check then decides.
func checkCloudID(ctx context.Context, st state) (checkResult, bool) {
	const name = "Jira"
	id, err := jira.CloudID(ctx, nil, st.cfg.Jira.BaseURL)
	if err == nil {
		return fail(name, "JIRA_BASE_URL is the site URL, where a service account's OAuth 2.0 token is refused; the site's cloudId is "+id,
			"fix: set JIRA_BASE_URL="+jira.GatewayBase(id)), true
	}
	if !config.IsSiteURL(st.cfg.Jira.BaseURL) {
		return checkResult{}, false
	}
	return fail(name, "JIRA_BASE_URL is the site URL, where a service account's OAuth 2.0 token is refused, and the site did not tell its cloudId: "+rootCause(err),
		"fix: open "+strings.TrimRight(st.cfg.Jira.BaseURL, "/")+jira.TenantInfoPath+" in a browser and set JIRA_BASE_URL=https://api.atlassian.com/ex/jira/{cloudId}"), true
}

// checkScopes compares the scopes of the service account's token with
// those jsmbot's features need.
func checkScopes(ctx context.Context, client *jira.Client, st state) checkResult {
	scopes, listed, err := client.GrantedScopes(ctx)
	switch {
	case err != nil:
		return fail(scopesName, "cannot read the token's scopes: "+st.opts.Describe(err))
	case !listed:
		return pass(scopesName, "the token endpoint listed none; Jira refuses what the credential lacks, which the permission lines below would show")
	}
	have := map[string]bool{}
	granular := false
	for _, s := range scopes {
		have[s] = true
		granular = granular || strings.Count(s, ":") >= 2
	}
	var missing []string
	for _, sc := range jiraScopes() {
		if !have[sc.scope] {
			missing = append(missing, sc.scope+" (without it: "+sc.disables+")")
		}
	}
	switch {
	case len(missing) == 0:
		return pass(scopesName, "every scope jsmbot needs is granted")
	case granular:
		return pass(scopesName, "granular scopes granted; doctor compares classic scopes only, and Jira refuses what they lack")
	}
	notes := append([]string{}, missing...)
	for i := range notes {
		notes[i] = "missing " + notes[i]
	}
	notes = append(notes, "fix: add the scopes to the service account's OAuth 2.0 credential (admin.atlassian.com → Directory → Service accounts), then restart jsmbot so that it gets a new token")
	return fail(scopesName, fmt.Sprintf("%d of %d scopes missing", len(missing), len(jiraScopes())), notes...)
}

// jiraFix says how to fix a failed sign-in.
func jiraFix(err error, st state) string {
	switch {
	case errors.Is(err, jira.ErrTokenRefused):
		return "fix: JIRA_CLIENT_ID and JIRA_CLIENT_SECRET must be the service account's OAuth 2.0 credential (admin.atlassian.com → Directory → Service accounts → Credentials); create a new one if it was revoked or expired"
	case errors.Is(err, jira.ErrUnauthorized) && st.cfg.Jira.OAuth():
		return "fix: the token endpoint gave a token but Jira refuses it: JIRA_BASE_URL must be https://api.atlassian.com/ex/jira/{cloudId} of the site the service account belongs to"
	case errors.Is(err, jira.ErrUnauthorized) && config.IsSiteURL(st.cfg.Jira.BaseURL):
		return "fix: create an API token at https://id.atlassian.com/manage-profile/security/api-tokens for JIRA_EMAIL's account and put it in JIRA_API_TOKEN; a scoped or service-account token is refused on the site URL: set JIRA_BASE_URL=https://api.atlassian.com/ex/jira/{cloudId} (see " + strings.TrimRight(st.cfg.Jira.BaseURL, "/") + jira.TenantInfoPath + ")"
	case errors.Is(err, jira.ErrUnauthorized):
		return "fix: create an API token at https://id.atlassian.com/manage-profile/security/api-tokens for JIRA_EMAIL's account and put it in JIRA_API_TOKEN"
	case errors.Is(err, jira.ErrNotFound):
		return "fix: JIRA_BASE_URL must be the site root, https://your-site.atlassian.net (no /rest, no /jira), or https://api.atlassian.com/ex/jira/{cloudId} for a scoped API token"
	}
	return "fix: check JIRA_BASE_URL and outbound HTTPS to the site"
}

// redisAuthFailed reports whether Redis answered but refused to let us in:
// a wrong or missing password, or an ACL user that may not connect.
func redisAuthFailed(err error) bool {
	return redisAuthWord(err) != ""
}

// redisAuthWord is Redis's error code for a refused sign-in (WRONGPASS,
// NOAUTH), "" for any other error. Only the code is shown: it never holds
// the password.
func redisAuthWord(err error) string {
	msg := err.Error()
	for _, code := range []string{"WRONGPASS", "NOAUTH", "NOPERM"} {
		if strings.Contains(msg, code) {
			return code
		}
	}
	if strings.Contains(msg, "AUTH") && (strings.Contains(msg, "invalid password") || strings.Contains(msg, "without any password configured")) {
		return "AUTH refused"
	}
	return ""
}

// checkRedis pings REDIS_URL, when it is set, through the store jsmbot run
// uses.
func checkRedis(ctx context.Context, st state) checkResult {
	const name = "Redis"
	if why, ok := st.skipReason["redis"]; ok {
		return skip(name, why)
	}
	if st.cfg.Redis.Options == nil {
		return pass(name, "REDIS_URL is not set: the store is in memory, so run exactly one replica")
	}
	opt := *st.cfg.Redis.Options
	// One attempt: the answer is what doctor reports.
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	rs := store.NewRedis(redis.NewClient(&opt))
	defer rs.Close()
	if err := rs.Ping(ctx); err != nil {
		if redisAuthFailed(err) {
			return fail(name, fmt.Sprintf("%s refused the credentials of REDIS_URL (%s)", opt.Addr, redisAuthWord(err)),
				"fix: Redis is up; the password (redis://:PASSWORD@host:6379/0) or the ACL user and password (redis://USER:PASSWORD@…) in REDIS_URL are wrong or missing for this server")
		}
		why := rootCause(err)
		if errors.Is(err, context.DeadlineExceeded) {
			why = "no answer in time"
		}
		return fail(name, fmt.Sprintf("%s does not answer PING: %s", opt.Addr, why),
			"fix: start Redis (docker compose up -d redis) or correct REDIS_URL; unset it to run one replica on the in-memory store")
	}
	return pass(name, opt.Addr+" answers PING")
}

// checkAuditLog, when the watch is on (JSMBOT_WATCH_CHANNEL), reads one
// record of Jira's audit log, as every poll of the watch does. Without it
// the watch still works, from full audits, but cannot say who changed what.
func checkAuditLog(ctx context.Context, st state) checkResult {
	const name = "Jira audit log (the watch)"
	if why, ok := st.skipReason["jira"]; ok {
		return skip(name, why)
	}
	client, err := st.cfg.JiraClient(jira.WithLogger(slog.New(slog.DiscardHandler)), jira.WithMaxRetries(1))
	if err != nil {
		return skip(name, "Jira is not configured")
	}
	for _, err := range client.AuditRecords(ctx, jira.AuditQuery{Filter: "Permission scheme"}) {
		if err == nil {
			break
		}
		if errors.Is(err, jira.ErrForbidden) || errors.Is(err, jira.ErrUnauthorized) {
			return fail(name, "Jira refused to show it (403): the watch will fall back to full audits every "+shortDuration(st.cfg.Watch.Interval)+" and cannot say who changed a scheme",
				`fix: grant Administer Jira to read the audit log (Jira settings → System → Global permissions); sites whose products are all on free plans have none`)
		}
		return fail(name, "cannot read it: "+st.opts.Describe(err))
	}
	return pass(name, "readable: the watch reads it every "+shortDuration(st.cfg.Watch.Interval)+" and alerts in "+st.cfg.Watch.Channel)
}

// shortDuration writes 5m for 5m0s and 1h for 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
