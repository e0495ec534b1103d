package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// wrongClientSecret is a client secret jirasim's token endpoint refuses.
const wrongClientSecret = "wrong-client-secret-90d3"

// oauthEnv signs in to sim with client credentials instead of the API
// token (an empty value unsets).
func oauthEnv(sim *jirasim.Server, secret string) map[string]string {
	return map[string]string{
		"JIRA_EMAIL": "", "JIRA_API_TOKEN": "",
		"JIRA_CLIENT_ID": jirasim.DefaultClientID, "JIRA_CLIENT_SECRET": secret, "JIRA_TOKEN_URL": sim.TokenURL(),
	}
}

// TestCLIOnClientCredentials: diagnose and fix run on a service account's
// OAuth 2.0 credential; a wrong secret is one clear line; both kinds of
// credentials at once are refused; nothing shows a secret or a token.
func TestCLIOnClientCredentials(t *testing.T) {
	t.Parallel()
	sim := siteOf(t, "NOPA")
	var all strings.Builder

	code, out, errOut := cli(t, sim, oauthEnv(sim, jirasim.DefaultClientSecret), "diagnose", "NOPA")
	all.WriteString(out + errOut)
	if code != exitProblems || !strings.Contains(out, "NOPA") {
		t.Errorf("diagnose: code %d, want %d\n%s%s", code, exitProblems, out, errOut)
	}
	code, out, errOut = cli(t, sim, oauthEnv(sim, jirasim.DefaultClientSecret), "fix", "NOPA", "--yes")
	all.WriteString(out + errOut)
	if code != exitOK {
		t.Errorf("fix: code %d, want 0\n%s%s", code, out, errOut)
	}
	if n := len(sim.IssuedTokens()); n < 2 {
		t.Errorf("%d tokens issued, want one per command at least", n)
	}

	code, out, errOut = cli(t, sim, oauthEnv(sim, wrongClientSecret), "diagnose", "NOPA")
	all.WriteString(out + errOut)
	want := "jsmbot: the token endpoint refused JIRA_CLIENT_ID and JIRA_CLIENT_SECRET: check they are the service account's OAuth 2.0 credential and that it was not revoked\n"
	if code != exitFailed || errOut != want {
		t.Errorf("wrong secret: code %d, stderr %q, want %d and %q", code, errOut, exitFailed, want)
	}

	both := oauthEnv(sim, jirasim.DefaultClientSecret)
	both["JIRA_EMAIL"], both["JIRA_API_TOKEN"] = jirasim.DefaultEmail, jirasim.DefaultToken
	code, out, errOut = cli(t, sim, both, "diagnose", "NOPA")
	all.WriteString(out + errOut)
	if code == exitOK || !strings.Contains(errOut, "JIRA_CLIENT_ID/JIRA_CLIENT_SECRET") || !strings.Contains(errOut, "JIRA_EMAIL/JIRA_API_TOKEN") {
		t.Errorf("both kinds: code %d, stderr %q, want an error naming both pairs", code, errOut)
	}

	for _, s := range append(sim.IssuedTokens(), jirasim.DefaultClientSecret, wrongClientSecret) {
		if strings.Contains(all.String(), s) {
			t.Errorf("CLI output shows the secret %q:\n%s", s, all.String())
		}
	}
}

// TestRunOnClientCredentials: jsmbot run diagnoses and repairs on client
// credentials, and a token that expires between the diagnosis and the
// approval (Jira's fake clock moves past its hour) is renewed without the
// user seeing a failure.
func TestRunOnClientCredentials(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New()
	lb := startRun(t, nil, runSetup{
		jiraOpts: []jirasim.Option{jirasim.WithClock(clock.Now)},
		jiraEnv:  func(s *jirasim.Server) map[string]string { return oauthEnv(s, jirasim.DefaultClientSecret) },
	})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	id, err := lb.slack.SlashCommand(ctx, slacksim.SlashCommand{UserID: "U0ALICE", ChannelID: "C0OPS", Text: "diagnose NOPA"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lb.slack.WaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
	report, err := lb.slack.WaitMessage(ctx, "C0OPS", func(m slacksim.Message) bool {
		return strings.Contains(string(m.Blocks), bot.ActionApproveInPlace)
	})
	if err != nil {
		t.Fatalf("no report: %v\n%s", err, lb.stderr.String())
	}
	before := len(lb.jira.IssuedTokens())
	clock.Advance(2 * time.Hour) // the token lapses on Jira's side
	if _, err := lb.slack.Click(ctx, slacksim.Click{UserID: "U0BOB", ChannelID: "C0OPS", MessageTS: report.TS, ActionID: bot.ActionApproveInPlace}); err != nil {
		t.Fatal(err)
	}
	if _, err := lb.slack.WaitMessage(ctx, "C0OPS", func(m slacksim.Message) bool {
		return m.TS == report.TS && strings.Contains(m.Text, "repaired and verified")
	}); err != nil {
		t.Fatalf("no verified repair after the token expired: %v\n%s", err, lb.stderr.String())
	}
	if after := len(lb.jira.IssuedTokens()); after != before+1 {
		t.Errorf("tokens issued: %d before the expiry, %d after; want one renewal", before, after)
	}
	if err := lb.stop(t); err != nil {
		t.Errorf("run returned %v", err)
	}
	logs := lb.stderr.String() + lb.stdout.String() + slackTraffic(lb.slack)
	for _, s := range append(lb.jira.IssuedTokens(), jirasim.DefaultClientSecret) {
		if strings.Contains(logs, s) {
			t.Errorf("the logs or Slack traffic show the secret %q", s)
		}
	}
}
