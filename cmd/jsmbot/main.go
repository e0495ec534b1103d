// Command jsmbot diagnoses and repairs the permission scheme of Jira Service
// Management projects, from a terminal or as a Slack bot.
//
// Usage:
//
//	jsmbot diagnose KEY [--json] [--timeout 60s]
//	jsmbot fix KEY [--yes] [--mode auto|in-place|copy] [--json] [--timeout 60s]
//	jsmbot audit [--json|--csv] [--rate 85] [--timeout 15m]
//	jsmbot fix --scheme ID [--yes] [--json] [--timeout 60s]
//	jsmbot undo PLAN_ID [--yes] [--json] [--timeout 60s]
//	jsmbot history [KEY] [--json] [--limit 20]
//	jsmbot demo
//	jsmbot manifest [--private-channels]
//	jsmbot doctor [--timeout 10s]
//	jsmbot healthcheck
//	jsmbot version
//	jsmbot CMD --help
//
// Configuration comes from the environment:
//
//	JIRA_BASE_URL    the Jira Cloud site, e.g. https://your-site.atlassian.net
//	                 (or https://api.atlassian.com/ex/jira/{cloudId})
//	JIRA_EMAIL       the Atlassian account the bot acts as
//	JIRA_API_TOKEN   that account's API token
//	JSMBOT_LOG_LEVEL debug, info, warn (default) or error
//	REDIS_URL        the bot's store: fix records its plans there, undo
//	                 and history read them (the shared record)
//
// Exit codes: 0 healthy, or fixed and verified, or undone; 3 problems
// found; 1 could not diagnose, fix or undo; 2 usage; 4 fix or undo
// declined at the prompt.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(report(err, newSanitizer(os.Stderr)))
}

// run is the whole program, with its dependencies passed in so tests can call
// it directly. It parses the arguments, loads the configuration, builds the
// parts (in internal/ and the library packages) and runs them.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, opts ...option) error {
	// Jira's text reaches both: no escape sequence gets through.
	stdout, stderr = newSanitizer(stdout), newSanitizer(stderr)
	routeRedisLogs(nil) // go-redis's plain-text lines go nowhere, or to run's log
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "diagnose":
		return runDiagnose(ctx, rest, getenv, stdout, stderr)
	case "fix":
		return runFix(ctx, rest, getenv, stdin, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, getenv, stdout, stderr)
	case "undo":
		return runUndo(ctx, rest, getenv, stdin, stdout, stderr)
	case "history":
		return runHistory(ctx, rest, getenv, stdout)
	case "demo":
		return runDemo(ctx, rest, getenv, stdout, stderr)
	case "run":
		return runBot(ctx, rest, getenv, stdout, stderr, opts...)
	case "manifest":
		return runManifest(ctx, rest, stdout)
	case "doctor":
		return runDoctor(ctx, rest, getenv, stdout)
	case "healthcheck":
		return runHealthcheck(ctx, rest, getenv, stdout)
	case "version":
		return runVersion(rest, stdout)
	case "help", "-h", "-help", "--help":
		if len(rest) == 1 {
			if _, ok := commandHelp[rest[0]]; ok {
				return run(ctx, []string{args[0], rest[0], "--help"}, getenv, stdin, stdout, stderr, opts...)
			}
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", cmd)}
}

const usage = `Usage:
  jsmbot diagnose KEY [--json]                      show what is wrong with a JSM project's permissions
  jsmbot fix KEY [--yes] [--mode auto|in-place|copy] repair it, after showing the plan
  jsmbot audit [--json|--csv] [--rate 85]           every service project of the site, by permission scheme
  jsmbot fix --scheme ID [--yes]                    repair one scheme for every project on it
  jsmbot undo PLAN_ID [--yes]                       revert exactly what a repair changed (needs REDIS_URL)
  jsmbot history [KEY] [--json]                     who repaired or undid what, and when (needs REDIS_URL)
  jsmbot run                                        the Slack bot (Socket Mode)
  jsmbot manifest [--private-channels]              print the Slack app manifest (YAML)
  jsmbot doctor [--timeout 10s]                     check the configuration against Slack, Jira and Redis
  jsmbot healthcheck                                GET /healthz on JSMBOT_HTTP_ADDR's port (Docker HEALTHCHECK)
  jsmbot demo                                       the whole story against built-in Jira and Slack simulators
  jsmbot version                                    print the version
  jsmbot CMD --help                                 a command's flags (diagnose and fix take --timeout, default 60s)

Environment: JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN; REDIS_URL for the shared record (see README.md).
Exit codes: 0 healthy, fixed or undone, 3 problems found, 1 could not diagnose, fix or undo, 2 usage, 4 declined.
`
