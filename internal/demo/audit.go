package demo

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// demoAuditScheme is the scheme approved from /jsm audit: SHRA, SHRB and
// SHRC use it once SHRA's repair on a copy is undone.
const demoAuditScheme = "Shared Support Scheme"

// demoAuditStory is /jsm audit: the summary of the site by scheme, one
// offer per broken scheme in its thread, one of them approved and every
// project on it verified.
func demoAuditStory(ctx context.Context, ssim *slacksim.Server, jsim *jirasim.Server, w io.Writer) error {
	fmt.Fprintf(w, "\n──── The whole site, in chat ────\n\n")
	fmt.Fprintln(w, "alice in #support: /jsm audit")
	id, err := ssim.SlashCommand(ctx, slacksim.SlashCommand{UserID: demoAgent, ChannelID: demoChannel, Text: "audit"})
	if err != nil {
		return err
	}
	if ack, err := ssim.WaitAck(ctx, id); err == nil {
		fmt.Fprintf(w, "  (only alice sees) %s\n\n", ackText(ack))
	}
	summary, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.ThreadTS == "" && strings.HasPrefix(m.Text, "Site audit:")
	})
	if err != nil {
		return fmt.Errorf("demo: no audit summary: %w", err)
	}
	fmt.Fprintln(w, "jsmbot posts in #support:")
	printMessage(w, summary.Blocks)
	offer, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.ThreadTS == summary.TS && strings.Contains(m.Text, demoAuditScheme) && strings.Contains(string(m.Blocks), bot.ActionApproveScheme)
	})
	if err != nil {
		return fmt.Errorf("demo: no offer for %s: %w", demoAuditScheme, err)
	}
	fmt.Fprintln(w, "\nand in the thread, one offer per broken scheme; this one:")
	printMessage(w, offer.Blocks)

	fmt.Fprintln(w, "\nbob, an approver, clicks [ Approve: fix scheme ] and confirms; jsmbot replies in the thread:")
	if _, err := ssim.Click(ctx, slacksim.Click{UserID: demoApprover, ChannelID: demoChannel, MessageTS: offer.TS, ActionID: bot.ActionApproveScheme}); err != nil {
		return err
	}
	verified, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.ThreadTS == summary.TS && strings.HasPrefix(m.Text, "Scheme verified:")
	})
	if err != nil {
		return fmt.Errorf("demo: the scheme fix was not verified: %w", err)
	}
	printMessage(w, verified.Blocks)
	if !strings.Contains(string(verified.Blocks), "Verified:") {
		return fmt.Errorf("demo: %s is not healthy for every project on it", demoAuditScheme)
	}

	return nil
}
