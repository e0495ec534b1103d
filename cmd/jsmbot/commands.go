package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/internal/config"
	"github.com/jsmbot/jsmbot/internal/demo"
	"github.com/jsmbot/jsmbot/internal/doctor"
	"github.com/jsmbot/jsmbot/internal/ops"
	"github.com/jsmbot/jsmbot/store"
)

// configError is the configuration's error, as report describes it.
type configError = config.Error

// runDoctor is jsmbot doctor: it checks the whole configuration against
// Slack, Jira and Redis, prints ✓ or ✗ per check and fails (exit 1) when
// any check fails.
func runDoctor(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlags("doctor")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit of each check")
	if err := noArgs(fs, args, stdout, ""); err != nil {
		return err
	}
	if *timeout <= 0 {
		return &usageError{msg: "doctor --timeout must be positive"}
	}
	cfg, err := config.Load(getenv)
	err = doctor.Run(ctx, stdout, cfg, err, doctor.Options{Timeout: *timeout, BotScopes: manifestScopes(), Describe: describe})
	if errors.Is(err, doctor.ErrFailed) {
		return errReported // the report says what failed
	}
	return err
}

// manifestScopes are the bot token scopes the manifest asks for, which
// doctor compares with the token's.
func manifestScopes() []string {
	var out []string
	for _, s := range bot.SlackSurface(bot.SurfaceOptions{}).Scopes {
		out = append(out, s.Name)
	}
	return out
}

// runDemo is jsmbot demo, printing as diagnose and fix print.
func runDemo(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	if err := noArgs(newFlags("demo"), args, stdout, ""); err != nil {
		return err
	}
	return demo.Run(ctx, stdout, stderr, demoTerminal())
}

// demoTerminal is how jsmbot demo prints and runs the commands: their own
// code, on the demo's engine and shared record, as with --yes.
func demoTerminal() demo.Terminal {
	return demo.Terminal{
		PrintDiagnosis: printDiagnosis,
		PrintAudit:     printAudit,
		PrintHistory:   func(w io.Writer, recs []store.AuditRecord) { printHistory(w, recs, "") },
		Describe:       describe,
		Fix: func(ctx context.Context, s demo.Site, key string, stdout, stderr io.Writer) (string, error) {
			o := fixOptions{mode: diagnosis.ModeAuto, yes: true, timeout: defaultTimeout, shared: s.Store}
			if err := fix(ctx, demoEngine(s), key, o, nil, stdout, stderr); err != nil {
				return "", err
			}
			recs, err := s.Store.AuditLog(ctx, store.AuditFilter{ProjectKey: key, Limit: 1})
			if err != nil || len(recs) == 0 {
				return "", errors.Join(errors.New("demo: the fix is not in the shared record"), err)
			}
			return recs[0].PlanID, nil
		},
		FixScheme: func(ctx context.Context, s demo.Site, id int64, stdout, stderr io.Writer) error {
			o := fixOptions{mode: diagnosis.ModeAuto, yes: true, timeout: defaultTimeout, shared: s.Store}
			return fixScheme(ctx, demoEngine(s), id, o, nil, stdout, stderr)
		},
		Undo: func(ctx context.Context, s demo.Site, id string, stdout, stderr io.Writer) error {
			o := undoOptions{yes: true, timeout: defaultTimeout, window: config.DefaultUndoWindow, now: time.Now}
			return undo(ctx, demoEngine(s), s.Store, id, o, nil, stdout, stderr)
		},
	}
}

// demoEngine is the terminal commands' engine on the demo's site.
func demoEngine(s demo.Site) *terminal {
	return &terminal{Engine: s.Engine, client: s.Client, progress: &progress{}}
}

// runHealthcheck is jsmbot healthcheck: GET /healthz on this host at the
// port of JSMBOT_HTTP_ADDR, exit 0 on 200 and 1 otherwise.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if err := noArgs(newFlags("healthcheck"), args, stdout, "; it reads JSMBOT_HTTP_ADDR"); err != nil {
		return err
	}
	cfg, _ := config.Load(getenv) // only JSMBOT_HTTP_ADDR matters, checked below
	u, err := ops.Healthcheck(ctx, cfg.HTTPAddr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: %s\n", u)
	return nil
}
