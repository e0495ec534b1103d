package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"
)

// DefaultTimeout bounds the Jira work of diagnose and fix (--timeout): a
// Jira that accepts connections and never answers is reported after it.
const defaultTimeout = 60 * time.Second

// commandHelp is what jsmbot CMD --help prints above the flags: the
// synopsis and what the command does. A new command gets a row here.
var commandHelp = map[string]struct{ synopsis, summary string }{
	"diagnose": {"diagnose KEY [--json] [--timeout 60s]",
		"Show what is wrong with the permission scheme of the JSM project KEY, and the plan that fixes it.\nExit 0 healthy, 3 problems found, 1 could not diagnose."},
	"fix": {"fix KEY [--yes] [--mode auto|in-place|copy] [--json] [--timeout 60s]\n       jsmbot fix --scheme ID [--yes] [--json] [--timeout 60s]",
		"Diagnose KEY, show the plan, ask, apply it and verify the result.\nWith --scheme ID instead of KEY, repair that permission scheme in place for every project on it\n(jsmbot audit lists the schemes) and verify each project.\nWithout a terminal, --yes is required. Exit 0 fixed and verified, 3 not verified,\n4 declined at the prompt, 1 could not fix."},
	"audit": {"audit [--json|--csv] [--rate 85] [--timeout 15m]",
		"Every service project of the site, grouped by permission scheme, each scheme diagnosed once;\nteam-managed and unreadable projects listed as such. A table, worst scheme first, and a summary.\nExit 0 all healthy, 3 problems found (or a project could not be checked), 1 could not audit."},
	"undo": {"undo PLAN_ID [--yes] [--json] [--timeout 60s]",
		"Revert exactly what the applied repair PLAN_ID changed, whether the bot or jsmbot fix applied it:\nthe grants it created (by id, only those still as created), the grants it removed, a copy's\nassignment. It re-reads Jira first, touches nothing else, says what it leaves alone, then diagnoses\nand checks a customer again. Needs REDIS_URL (the shared record); a repair older than\nJSMBOT_UNDO_WINDOW (default 168h) is refused. Without a terminal, --yes is required. Exit 0 undone, 4 declined, 1 could not undo."},
	"history": {"history [KEY] [--json] [--limit 20]",
		"List the audit records of the shared record (REDIS_URL), newest first: when, which project, what\nhappened, who did it, the plan ID and the result; only KEY's when given."},
	"run":         {"run", "Run the Slack bot (Socket Mode) until SIGINT or SIGTERM. It is configured by the environment (see README.md)."},
	"manifest":    {"manifest [--private-channels]", "Print the Slack app manifest (YAML) to create or update the app from."},
	"doctor":      {"doctor [--timeout 10s]", "Check the configuration against Slack, Jira and Redis, and say how to fix what fails."},
	"healthcheck": {"healthcheck", "GET /healthz on JSMBOT_HTTP_ADDR (the Docker HEALTHCHECK); exit 0 when it answers 200."},
	"demo":        {"demo", "The whole story against built-in Jira and Slack simulators; needs no configuration."},
	"version":     {"version", "Print jsmbot's version, and the commit it was built from when known."},
}

// errHelp: the command's help was printed, as asked; exit 0.
var errHelp = errors.New("help shown")

// newFlags returns the flag set of a command, silent: errors are
// reported by report, help by parseFlags.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args into fs. For -h or --help it prints the command's
// help to stdout and returns errHelp.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(stdout, fs)
		return errHelp
	}
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	return nil
}

// noArgs parses a command that takes flags only.
func noArgs(fs *flag.FlagSet, args []string, stdout io.Writer, why string) error {
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("%s takes no arguments%s, got %q", fs.Name(), why, fs.Arg(0))}
	}
	return nil
}

// printHelp writes a command's help.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	h := commandHelp[fs.Name()]
	fmt.Fprintf(w, "Usage: jsmbot %s\n\n%s\n", h.synopsis, h.summary)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// version is set by the image's build (-ldflags "-X main.version=…");
// otherwise the module version from the build info is used.
var version = ""

// runVersion is jsmbot version: the version, then the commit and its time
// when the build recorded them.
func runVersion(args []string, stdout io.Writer) error {
	if err := noArgs(newFlags("version"), args, stdout, ""); err != nil {
		return err
	}
	fmt.Fprintln(stdout, versionLine(version, debug.ReadBuildInfo))
	return nil
}

// versionLine reads like "jsmbot v1.2.0 (commit 0a1b2c3d4e5f, 2026-11-30T12:00:00Z, modified)".
func versionLine(set string, read func() (*debug.BuildInfo, bool)) string {
	v, details := set, []string{}
	if info, ok := read(); ok {
		if v == "" {
			v = info.Main.Version
		}
		s := map[string]string{}
		for _, kv := range info.Settings {
			s[kv.Key] = kv.Value
		}
		if rev := s["vcs.revision"]; rev != "" {
			details = append(details, "commit "+rev[:min(len(rev), 12)])
		}
		if t := s["vcs.time"]; t != "" {
			details = append(details, t)
		}
		if s["vcs.modified"] == "true" {
			details = append(details, "modified")
		}
	}
	if v == "" {
		v = "(devel)"
	}
	line := "jsmbot " + v
	if len(details) > 0 {
		line += " (" + strings.Join(details, ", ") + ")"
	}
	return line
}
