package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
	"github.com/jsmbot/jsmbot/watch"
)

// demoWatched is the project the watch sees break and heal.
const demoWatched = "HELP"

// demoWatch is the watch: started on the bot's store with the bot's
// alert sink, it learns the site at its first poll; a grant removed
// behind the bot's back is alerted with who and when, and putting it back
// updates the alert. The demo polls by hand instead of waiting for
// JSMBOT_WATCH_INTERVAL.
func demoWatch(ctx context.Context, b *bot.Bot, jsim *jirasim.Server, client *jira.Client, st store.Store, ssim *slacksim.Server, logger *slog.Logger, w io.Writer) error {
	fmt.Fprintf(w, "\n──── The watch ────\n\n")
	fmt.Fprintf(w, "With JSMBOT_WATCH_CHANNEL set, jsmbot run also reads Jira's audit log every JSMBOT_WATCH_INTERVAL\n")
	fmt.Fprintf(w, "(5m by default) and alerts in that channel, here #support. The demo polls by hand.\n\n")
	// As jsmbot run builds it: an index that outlives a full-audit period.
	engine := repair.New(client, repair.WithLogger(logger), repair.WithIndexMaxAge(watch.DefaultFullEvery+time.Hour))
	watcher, err := watch.New(watch.Config{Interval: time.Minute, Owner: "demo", Logger: logger}, engine, client, st, b.WatchSink(demoChannel))
	if err != nil {
		return err
	}
	poll := func() error {
		watching, err := watcher.Poll(ctx)
		if err == nil && !watching {
			err = fmt.Errorf("demo: the watch did not take its lease")
		}
		return err
	}
	if err := poll(); err != nil {
		return err
	}
	fmt.Fprintf(w, "The first poll audits the site and alerts nothing: what is broken already, /jsm audit lists.\n")
	fmt.Fprintf(w, "Then Olivia Owner removes the Portal Access grant of Create Issues from %s's scheme in Jira's UI.\n", demoWatched)
	schemeID, _ := jsim.ProjectSchemeID(demoWatched)
	if err := removePortalAccess(jsim, schemeID, "CREATE_ISSUES"); err != nil {
		return err
	}
	if err := poll(); err != nil {
		return err
	}
	alert, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.ThreadTS == "" && strings.Contains(string(m.Blocks), "jsmbot noticed that "+demoWatched+" broke")
	})
	if err != nil {
		return fmt.Errorf("demo: no watch alert: %w", err)
	}
	fmt.Fprintln(w, "At the next poll, jsmbot posts in #support:")
	printMessage(w, alert.Blocks)

	fmt.Fprintf(w, "\nOlivia puts the grant back. At the next poll, jsmbot updates its alert:\n")
	jsim.AddGrants(schemeID, jirasim.Grant{HolderType: portalAccess, Permission: "CREATE_ISSUES"})
	if err := poll(); err != nil {
		return err
	}
	healed, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.TS == alert.TS && m.Text == demoWatched+": healthy again"
	})
	if err != nil {
		return fmt.Errorf("demo: the alert was not updated: %w", err)
	}
	printMessage(w, healed.Blocks)
	return nil
}
