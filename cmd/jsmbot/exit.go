package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
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
)

var (
	// errUsage: the usage was printed already.
	errUsage = errors.New("usage")
	// errProblems: the diagnosis found problems and printed them.
	errProblems = errors.New("problems found")
	// errReported: the failure was explained on the output already.
	errReported = errors.New("reported")
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
	case err == nil:
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
	}
	fmt.Fprintf(stderr, "jsmbot: %s\n", describe(err))
	return exitFailed
}

// describe turns an error into the one line a user sees.
func describe(err error) string {
	var (
		pe  *repair.PermissionError
		ae  *jira.APIError
		ne  net.Error
		cfg *configError
	)
	switch {
	case errors.As(err, &cfg):
		return cfg.Error()
	case errors.As(err, &pe):
		return fmt.Sprintf("Jira refused to %s: the account needs the %q permission", pe.Op, pe.Permission)
	case errors.Is(err, jira.ErrUnauthorized):
		return "Jira rejected the credentials: check JIRA_EMAIL and JIRA_API_TOKEN (a scoped API token needs JIRA_BASE_URL=https://api.atlassian.com/ex/jira/{cloudId})"
	case errors.Is(err, jira.ErrRateLimited) && errors.As(err, &ae):
		when := "in a minute"
		if ae.RetryAfter > 0 {
			when = "in " + ae.RetryAfter.Round(time.Second).String()
		}
		reason := ""
		if ae.RateLimitReason != "" {
			reason = " (" + ae.RateLimitReason + ")"
		}
		return fmt.Sprintf("Jira is rate limiting this account%s and the retries ran out; try again %s", reason, when)
	case errors.Is(err, jira.ErrNotFound) && errors.As(err, &ae) && strings.Contains(ae.Path, "/project/"):
		return "project not found, or the Jira account cannot see it: " + strings.Join(ae.Messages, " ")
	case errors.Is(err, jira.ErrForbidden):
		return "Jira refused the request: the account lacks a permission (" + err.Error() + ")"
	case errors.As(err, &ae) && ae.Retryable():
		return fmt.Sprintf("Jira is unavailable (%d) and the retries ran out; try again later", ae.StatusCode)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "Jira did not answer in time: " + err.Error()
	case errors.As(err, &ne):
		return "cannot reach Jira: " + err.Error()
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return err.Error()
}
