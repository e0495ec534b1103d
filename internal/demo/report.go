package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// demoReportProject is the project of the report story: still broken when
// the story starts (the Slack stories before it touch SHRA and HELP).
const demoReportProject = "NOCR"

// demoReportStory is the report flow in the demo: an agent pastes
// Atlassian's error in a channel, the bot offers to diagnose in the
// thread, the agent opens the form from the button and submits it, the
// report with Approve lands in the thread, an approver approves, and the
// bot adds the customers again and says how each one went.
func demoReportStory(ctx context.Context, ssim *slacksim.Server, jsim *jirasim.Server, w io.Writer) error {
	fmt.Fprintf(w, "\n──── A failed invite, reported in chat ────\n\n")
	text := "Adding customers to " + demoReportProject + " fails again: Successfully added 0 customers. " +
		"The following customers could not be added. <mailto:erin@example.com|erin@example.com>, new.customer@example.org"
	fmt.Fprintf(w, "alice in #support: %s\n\n", text)
	if _, err := ssim.PostUserMessage(ctx, slacksim.Message{ChannelID: demoChannel, UserID: demoAgent, Text: text}); err != nil {
		return err
	}
	offer, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.BotID != "" && m.ThreadTS != "" && strings.Contains(string(m.Blocks), bot.ActionDiagnoseReport)
	})
	if err != nil {
		return fmt.Errorf("demo: the bot did not notice the report: %w", err)
	}
	fmt.Fprintln(w, "jsmbot replies in the thread:")
	printMessage(w, offer.Blocks)

	fmt.Fprintln(w, "\nalice clicks [ Diagnose ]; a form opens, filled in from her message:")
	click, err := ssim.Click(ctx, slacksim.Click{UserID: demoAgent, ChannelID: demoChannel, MessageTS: offer.TS, ActionID: bot.ActionDiagnoseReport})
	if err != nil {
		return err
	}
	env, _ := ssim.Envelope(click)
	var payload struct {
		TriggerID string `json:"trigger_id"`
	}
	if err := json.Unmarshal(env.Payload, &payload); err != nil {
		return fmt.Errorf("demo: read the click: %w", err)
	}
	if _, err := ssim.WaitCall(ctx, "views.open", func(c slacksim.Call) bool { return c.Arg("trigger_id") == payload.TriggerID }); err != nil {
		return fmt.Errorf("demo: no form: %w", err)
	}
	views := ssim.Views()
	form := views[len(views)-1]
	fmt.Fprintf(w, "  ┌ %s\n", form.Title)
	printMessage(w, form.Blocks)
	values, err := initialValues(form.Blocks)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  (project %s, emails %s)\n", values["project"], strings.ReplaceAll(values["emails"], "\n", ", "))

	fmt.Fprintln(w, "\nalice clicks [ Diagnose ] in the form; it closes and the report lands in the thread:")
	sub := map[string]map[string]slacksim.Value{}
	for block, v := range values {
		sub[block] = map[string]slacksim.Value{"value": {Value: v}}
	}
	if _, err := ssim.SubmitView(ctx, slacksim.ViewSubmission{ViewID: form.ID, Values: sub}); err != nil {
		return err
	}
	report, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.ThreadTS == offer.ThreadTS && strings.HasPrefix(m.Text, demoReportProject+":") && strings.Contains(string(m.Blocks), bot.ActionApproveInPlace)
	})
	if err != nil {
		return fmt.Errorf("demo: no report in the thread: %w", err)
	}
	printMessage(w, report.Blocks)

	fmt.Fprintln(w, "\nbob, an approver, clicks [ Approve fix ] and confirms. The fix is applied and verified, then:")
	if _, err := ssim.Click(ctx, slacksim.Click{UserID: demoApprover, ChannelID: demoChannel, MessageTS: report.TS, ActionID: bot.ActionApproveInPlace}); err != nil {
		return err
	}
	results, err := ssim.WaitMessage(ctx, demoChannel, func(m slacksim.Message) bool {
		return m.ThreadTS == offer.ThreadTS && strings.Contains(m.Text, "customer(s) added")
	})
	if err != nil {
		return fmt.Errorf("demo: no invite results: %w", err)
	}
	printMessage(w, results.Blocks)

	customers := jsim.DeskCustomers(demoReportProject)
	if !slices.Contains(customers, jirasim.ProspectErinID) || len(customers) < 4 {
		return fmt.Errorf("demo: %s's customers are %v after the retried invites", demoReportProject, customers)
	}
	fmt.Fprintf(w, "\nJira now lists %d customers on %s, the two reported ones included.\n", len(customers), demoReportProject)
	return nil
}

// initialValues reads the prefilled values of a modal's plain-text inputs,
// by block ID.
func initialValues(blocks json.RawMessage) (map[string]string, error) {
	var list []struct {
		Type    string `json:"type"`
		BlockID string `json:"block_id"`
		Element struct {
			InitialValue string `json:"initial_value"`
		} `json:"element"`
	}
	if err := json.Unmarshal(blocks, &list); err != nil {
		return nil, fmt.Errorf("demo: read the form: %w", err)
	}
	out := map[string]string{}
	for _, b := range list {
		if b.Type == "input" && b.Element.InitialValue != "" {
			out[b.BlockID] = b.Element.InitialValue
		}
	}
	return out, nil
}
