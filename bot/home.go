package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/store"
)

// This file is the App Home tab (issue 10 item 4): when a user opens it
// (the app_home_opened event), the bot publishes (views.publish) the last
// audit, from the store blob audit.go keeps, and the repairs waiting for
// approval.

// appHomeOpened is the Events API event of a user opening the app's Home.
const appHomeOpened = "app_home_opened"

// Home tab limits: Slack's 100 blocks per view, shared by the audit's
// schemes and the pending plans.
const (
	maxViewBlocks   = 100
	maxHomeSchemes  = 30
	maxHomePlans    = 30
	homeTimeFormat  = "2006-01-02 15:04 UTC"
	homeBlockBudget = maxViewBlocks - 1 // one left for "…and more"
)

// home handles app_home_opened: it publishes the opener's Home tab.
func (b *Bot) home(ctx context.Context, log *slog.Logger, e *slackevents.AppHomeOpenedEvent) error {
	if e.Tab != "home" || e.User == "" {
		return nil // the Messages tab, or nobody to show it to
	}
	var last *lastAudit
	raw, err := b.store.Blob(ctx, lastAuditBlob)
	switch {
	case err == nil:
		var la lastAudit
		if err := json.Unmarshal(raw, &la); err != nil {
			log.Warn("could not decode the last audit", "err", err)
		} else {
			last = &la
		}
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("read the last audit: %w", err)
	}
	pending, err := b.store.Plans(ctx, store.PlanFilter{State: store.StatePending})
	if err != nil {
		return fmt.Errorf("list the pending plans: %w", err)
	}
	return b.exec.run(ctx, log, []effect{publishHome{step: step{what: "publish the Home tab"}, userID: e.User, view: homeView(last, pending, b.cfg.Now())}})
}

// homeView is the Home tab: the last audit and the pending approvals,
// within Slack's 100 blocks.
func homeView(last *lastAudit, pending []store.PlanRecord, now time.Time) slack.HomeTabViewRequest {
	blocks := []slack.Block{header("Last audit")}
	if last == nil {
		blocks = append(blocks, section(fmt.Sprintf("No audit yet. Run `%s audit` in a channel I'm in.", slashCommand)))
	} else {
		blocks = append(blocks,
			section(fmt.Sprintf("*%s.*\nRun %s by %s: %s broken, on %d of %s.",
				escape(last.Summary.Text), last.At.UTC().Format(homeTimeFormat), mention(last.RequesterID),
				plural(last.Summary.BrokenProjects, "service project"), last.Summary.BrokenSchemes, plural(last.Summary.Schemes, "scheme"))))
		for i, s := range last.Broken {
			if i == maxHomeSchemes {
				blocks = append(blocks, contextLine(fmt.Sprintf("…and %d more broken schemes.", len(last.Broken)-i)))
				break
			}
			blocks = append(blocks, section(fmt.Sprintf("• :red_circle: “%s” (%d): %s", escape(s.Name), s.ID, plural(s.Projects, "service project"))))
		}
	}
	blocks = append(blocks, slack.NewDividerBlock(), header("Waiting for approval"))
	if len(pending) == 0 {
		blocks = append(blocks, section("No repair is waiting for approval."))
	}
	for i, p := range pending {
		if i == maxHomePlans || len(blocks) >= homeBlockBudget-1 {
			blocks = append(blocks, contextLine(fmt.Sprintf("…and %d more.", len(pending)-i)))
			break
		}
		where := ""
		if channelIDRE.MatchString(p.ChannelID) {
			where = " in <#" + p.ChannelID + ">"
		}
		left := max(int(p.ExpiresAt.Sub(now).Minutes()), 0)
		asked := "noticed by the watch"
		if p.RequesterID != "" {
			asked = "asked by " + mention(p.RequesterID)
		}
		blocks = append(blocks, section(fmt.Sprintf("• *%s* — %s, %s%s; expires in %d min.",
			escape(p.ProjectKey), modeTitle(diagnosis.Mode(p.Mode)), asked, where, left)))
	}
	blocks = append(blocks, contextLine(fmt.Sprintf("Updated %s.", now.UTC().Format(homeTimeFormat))))
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}
