package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
)

// Exit codes, as DESIGN.md fixes them for scripts.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitProblems = 3
	// exitDeclined: fix asked and the answer was no; nothing changed.
	exitDeclined = 4
)

var (
	// errUsage: the usage was printed already.
	errUsage = errors.New("usage")
	// errProblems: the diagnosis found problems and printed them.
	errProblems = errors.New("problems found")
	// errReported: the failure was explained on the output already.
	errReported = errors.New("reported")
	// errDeclined: the prompt was answered no; nothing changed.
	errDeclined = errors.New("declined")
)

// usageError is a usage mistake worth one line of its own.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// report prints err as one line an admin understands and returns the exit
// code. It never prints a stack trace, and nothing it prints carries a
// secret: jira errors hold no credentials and config errors name variables,
// not values.
func report(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "jsmbot: %s (see jsmbot help)\n", ue.msg)
		return exitUsage
	case errors.Is(err, errProblems):
		return exitProblems
	case errors.Is(err, errReported):
		return exitFailed
	case errors.Is(err, errDeclined):
		return exitDeclined
	}
	fmt.Fprintf(stderr, "jsmbot: %s\n", describe(err))
	return exitFailed
}

// describe turns an error into the one line a user sees. What failed is
// decided by [repair.Classify]; this only says it in an admin's words,
// with the detail a terminal may show. Jira's text in it is made safe
// for a terminal, and one line.
func describe(err error) string { return oneLine(describeKind(err)) }

func describeKind(err error) string {
	var cfg *configError
	switch f := repair.Classify(err); {
	case errors.As(err, &cfg):
		return cfg.Error()
	case f.Kind == repair.KindForbidden && f.Permission != "":
		return fmt.Sprintf("Jira refused to %s: the account needs the %q permission", f.Op, f.Permission)
	case f.Kind == repair.KindForbidden:
		return "Jira refused the request: the account lacks a permission (" + err.Error() + ")"
	case f.Kind == repair.KindUnauthenticated && errors.Is(err, jira.ErrTokenRefused):
		return "the token endpoint refused JIRA_CLIENT_ID and JIRA_CLIENT_SECRET: check they are the service account's OAuth 2.0 credential and that it was not revoked"
	case f.Kind == repair.KindUnauthenticated:
		return "Jira rejected the credentials: check JIRA_EMAIL and JIRA_API_TOKEN, or JIRA_CLIENT_ID and JIRA_CLIENT_SECRET (a scoped API token or a service account needs JIRA_BASE_URL=https://api.atlassian.com/ex/jira/{cloudId}; jsmbot doctor finds it)"
	case f.Kind == repair.KindRateLimited:
		reason := ""
		if f.Reason != "" {
			reason = " (" + f.Reason + ")"
		}
		return fmt.Sprintf("Jira is rate limiting this account%s and the retries ran out; try again %s", reason, tryAgainIn(f.RetryAfter))
	case f.Kind == repair.KindBadResponse:
		return "JIRA_BASE_URL answered with a web page, not Jira's JSON (a login page, a proxy, or a host that is not Jira): " + checkBaseURL
	case f.Kind == repair.KindWrongBaseURL:
		return "JIRA_BASE_URL does not lead to Jira's REST API (it answered 404 where every Jira answers): " + checkBaseURL
	case f.Kind == repair.KindNotFound:
		return "project not found, or the Jira account cannot see it: " + strings.Join(f.JiraMessages, " ")
	case f.Kind == repair.KindJiraUnavailable:
		return fmt.Sprintf("Jira is unavailable (%d) and the retries ran out; try again later", f.Status)
	case f.Kind == repair.KindJiraTimeout:
		return "Jira did not answer in time: check that JIRA_BASE_URL is the Jira site and that this host can reach it (proxy, firewall), or allow longer with --timeout"
	case f.Kind == repair.KindJiraUnreachable:
		return "cannot reach Jira: " + err.Error()
	case f.Kind == repair.KindRedisUnavailable:
		return "Redis is not answering: " + err.Error()
	case f.Kind == repair.KindSlackUnavailable:
		return "Slack is not answering: " + err.Error()
	case f.Kind == repair.KindSlackRateLimited:
		return "Slack is rate limiting this app; try again " + tryAgainIn(f.RetryAfter)
	case f.Kind == repair.KindListenFailed:
		return "the ops HTTP listener cannot start (is the address in use?): " + err.Error()
	case f.Kind == repair.KindCancelled:
		return "interrupted"
	}
	return err.Error()
}

// checkBaseURL says what JIRA_BASE_URL must be.
const checkBaseURL = "check it is the site root, https://your-site.atlassian.net (no /jira, no /rest), or for a scoped API token https://api.atlassian.com/ex/jira/{cloudId}"

// tryAgainIn says when to try again after the wait a service asked for.
func tryAgainIn(wait time.Duration) string {
	if wait <= 0 {
		return "in a minute"
	}
	return "in " + wait.Round(time.Second).String()
}
