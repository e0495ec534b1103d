package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/internal/slackrun"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// The Slack part of the demo: people, the channel and the project.
const (
	demoChannel   = "C0SUPPORT"
	demoAgent     = "U0ALICE"
	demoApprover  = "U0BOB"
	demoShared    = "SHRA"
	demoStoryWait = 30 * time.Second
)

// demoSlack tells the Slack part of the demo story in one process on
// loopback: the Jira simulator, the Slack simulator, the real bot on the
// real slack-go Socket Mode client, and the in-memory store. An agent asks
// for a diagnosis, cannot approve it herself, an approver approves the
// copy repair, and the message shows the verified result.
func demoSlack(ctx context.Context, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, demoStoryWait)
	defer cancel()

	jsim := jirasim.New(jirasim.WithLatency(5 * time.Millisecond))
	defer jsim.Close()
	ssim := slacksim.New(
		slacksim.WithUsers(
			slacksim.User{ID: demoAgent, Name: "alice", RealName: "Alice (agent)"},
			slacksim.User{ID: demoApprover, Name: "bob", RealName: "Bob (Jira admin)"},
		),
		slacksim.WithChannel(demoChannel, "support"),
	)
	defer ssim.Close()

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client, err := jira.NewClient(jsim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithLogger(logger))
	if err != nil {
		return err
	}
	engine := repair.New(client, repair.WithLogger(logger), repair.WithCustomerCheck())
	st := store.NewMemory()
	defer st.Close()
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAppLevelToken(slacksim.DefaultAppToken), slack.OptionAPIURL(ssim.APIURL()))

	botCtx, stopBot := context.WithCancel(ctx)
	served := make(chan error, 1)
	built := make(chan *bot.Bot, 1)
	go func() {
		served <- slackrun.Serve(botCtx, api, bot.Config{Approvers: []string{demoApprover}, DetectReports: true}, engine, st, logger,
			slackrun.Options{Built: func(b *bot.Bot) { built <- b }})
	}()
	var b *bot.Bot
	select {
	case b = <-built:
	case err := <-served:
		stopBot()
		if err == nil { // Serve returns nil when ctx ended first
			err = context.Cause(ctx)
		}
		if err == nil {
			err = errors.New("it stopped before it was ready")
		}
		return fmt.Errorf("demo: the bot did not start: %w", err)
	}
	stop := func() error {
		stopBot()
		return <-served
	}
	for _, story := range []func() error{
		func() error { return demoSlackStory(ctx, ssim, stdout) },
		func() error { return demoWatch(ctx, b, jsim, client, st, ssim, logger, stdout) },
		func() error { return demoReportStory(ctx, ssim, jsim, stdout) },
		func() error { return demoAuditStory(ctx, ssim, jsim, stdout) },
	} {
		if err := story(); err != nil {
			return errors.Join(err, stop())
		}
	}
	if err := stop(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nThe bot drained and stopped. That is the whole story: jsmbot run does the same against your Slack and Jira.")
	return nil
}

// demoSlackStory drives the simulated workspace and prints what people see.
func demoSlackStory(ctx context.Context, ssim *slacksim.Server, w io.Writer) error {
	if err := ssim.WaitConnected(ctx, 1); err != nil {
		return fmt.Errorf("demo: the bot did not connect to Slack: %w", err)
	}
	fmt.Fprintf(w, "\n──── Now in Slack ────\n\nA Slack simulator runs at %s; the bot is connected over Socket Mode.\n", ssim.URL())
	fmt.Fprintf(w, "Projects %s, SHRB and SHRC share one broken permission scheme.\n\n", demoShared)

	fmt.Fprintf(w, "alice in #support: /jsm diagnose %s\n", demoShared)
	id, err := ssim.SlashCommand(ctx, slacksim.SlashCommand{UserID: demoAgent, ChannelID: demoChannel, Text: "diagnose " + demoShared})
	if err != nil {
		return err
	}
	if ack, err := ssim.WaitAck(ctx, id); err == nil {
		fmt.Fprintf(w, "  (only alice sees) %s\n\n", ackText(ack))
	}
	report, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.ThreadTS == "" && strings.Contains(string(m.Blocks), bot.ActionApproveCopy)
	})
	if err != nil {
		return fmt.Errorf("demo: no report was posted: %w", err)
	}
	fmt.Fprintln(w, "jsmbot posts in #support:")
	printMessage(w, report.Blocks)

	fmt.Fprintln(w, "\nalice clicks [ Approve: fix on a copy ]:")
	if _, err := ssim.Click(ctx, slacksim.Click{UserID: demoAgent, ChannelID: demoChannel, MessageTS: report.TS, ActionID: bot.ActionApproveCopy}); err != nil {
		return err
	}
	refusal, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool { return m.Ephemeral && m.VisibleTo == demoAgent })
	if err != nil {
		return fmt.Errorf("demo: no refusal: %w", err)
	}
	fmt.Fprintf(w, "  (only alice sees) %s\n", refusal.Text)

	fmt.Fprintln(w, "\nbob, an approver, clicks [ Approve: fix on a copy ] and confirms:")
	if _, err := ssim.Click(ctx, slacksim.Click{UserID: demoApprover, ChannelID: demoChannel, MessageTS: report.TS, ActionID: bot.ActionApproveCopy}); err != nil {
		return err
	}
	done, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.TS == report.TS && (strings.Contains(m.Text, "repaired") || strings.Contains(m.Text, "failed"))
	})
	if err != nil {
		return fmt.Errorf("demo: the message was not updated: %w", err)
	}
	fmt.Fprintln(w, "jsmbot updates its message:")
	printMessage(w, done.Blocks)
	audit, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.ThreadTS == report.TS && strings.HasPrefix(m.Text, "Audit")
	})
	if err != nil {
		return fmt.Errorf("demo: no audit summary: %w", err)
	}
	fmt.Fprintln(w, "\nand replies in the thread:")
	printMessage(w, audit.Blocks)
	if !strings.Contains(done.Text, "verified") {
		return fmt.Errorf("demo: %s is not verified healthy after the repair", demoShared)
	}
	if !strings.Contains(string(done.Blocks), `"action_id":"`+bot.ActionUndo+`"`) {
		return fmt.Errorf("demo: the repaired message has no Undo button")
	}

	fmt.Fprintf(w, "\nThe team would rather repair the shared scheme for all three projects (/jsm audit, below).\n")
	fmt.Fprintln(w, "bob clicks [ Undo ] and confirms; jsmbot updates its message:")
	if _, err := ssim.Click(ctx, slacksim.Click{UserID: demoApprover, ChannelID: demoChannel, MessageTS: report.TS, ActionID: bot.ActionUndo}); err != nil {
		return err
	}
	undone, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.TS == report.TS && strings.HasPrefix(m.Text, demoShared+": the ")
	})
	if err != nil {
		return fmt.Errorf("demo: the undo did not show: %w", err)
	}
	printMessage(w, undone.Blocks)
	if !strings.HasPrefix(undone.Text, demoShared+": the repair was undone") {
		return fmt.Errorf("demo: the undo of %s did not finish: %s", demoShared, undone.Text)
	}
	return nil
}

// printMessage prints Block Kit as a terminal shows it, indented; a
// table block as aligned columns.
func printMessage(w io.Writer, blocks []byte) {
	var list []json.RawMessage
	if err := json.Unmarshal(blocks, &list); err != nil {
		list = []json.RawMessage{blocks}
	}
	var text strings.Builder
	for _, raw := range list {
		if table, ok := tableRows(raw); ok {
			tw := tabwriter.NewWriter(&text, 0, 0, 2, ' ', 0)
			for _, row := range table {
				fmt.Fprintln(tw, strings.Join(row, "\t"))
			}
			_ = tw.Flush() // a strings.Builder does not fail
			continue
		}
		text.WriteString(slacksim.RenderBlocks(append(append([]byte("["), raw...), ']')))
	}
	for line := range strings.SplitSeq(strings.TrimRight(text.String(), "\n"), "\n") {
		fmt.Fprintf(w, "  │ %s\n", line)
	}
}

// tableRows reads a table block's cells as text.
func tableRows(raw json.RawMessage) ([][]string, bool) {
	var t struct {
		Type string `json:"type"`
		Rows [][]struct {
			Text string `json:"text"`
		} `json:"rows"`
	}
	if json.Unmarshal(raw, &t) != nil || t.Type != "table" {
		return nil, false
	}
	out := make([][]string, len(t.Rows))
	for i, row := range t.Rows {
		for _, c := range row {
			out[i] = append(out[i], c.Text)
		}
	}
	return out, true
}

// ackText is the text of a slash command's ack payload.
func ackText(a slacksim.Ack) string {
	var p struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(a.Payload, &p); err != nil {
		return ""
	}
	return p.Text
}
