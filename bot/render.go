package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// This file renders Block Kit. Every function is pure: values in, blocks
// out, so golden files pin them (TestRender). Every string that comes from
// Jira or a user is escaped for mrkdwn, so a project named "<!channel>"
// cannot ping a channel or forge a link.

// Block Kit limits (reference/slack.md §5).
const (
	maxBlocks        = 50
	maxTextRunes     = 3000
	maxHeaderRunes   = 150
	maxButtonRunes   = 75
	maxConfirmTitle  = 100
	maxConfirmText   = 300
	maxFindingBlocks = 25
	maxPlanLines     = 40
	blockIDActions   = "plan_actions"
)

// escape makes s inert in mrkdwn: Slack's control characters &, < and >
// become entities, so no mention, channel ping or link can be injected.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

var slackIDRE = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// mention renders a Slack user ID as a mention, or escapes it if it is not
// one.
func mention(userID string) string {
	if slackIDRE.MatchString(userID) {
		return "<@" + userID + ">"
	}
	return escape(userID)
}

// truncate shortens s to at most n runes, marking the cut with "…". It cuts
// only at rune boundaries and never inside an entity made by escape.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	if i := slices.Index(r[max(0, len(r)-6):], '&'); i >= 0 && !slices.Contains(r[max(0, len(r)-6)+i:], ';') {
		r = r[:max(0, len(r)-6)+i]
	}
	return string(r) + "…"
}

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, truncate(text, maxTextRunes), false, false)
}

func plain(text string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(text, limit), false, false)
}

func section(text string) slack.Block { return slack.NewSectionBlock(mrkdwn(text), nil, nil) }

func contextLine(text string) slack.Block {
	return slack.NewContextBlock("", mrkdwn(text))
}

func header(text string) slack.Block { return slack.NewHeaderBlock(plain(text, maxHeaderRunes)) }

// clamp keeps a message within Slack's 50 blocks, keeping the last block
// (the buttons or the closing context) and saying what was left out.
func clamp(blocks []slack.Block) []slack.Block {
	if len(blocks) <= maxBlocks {
		return blocks
	}
	last := blocks[len(blocks)-1]
	out := slices.Clone(blocks[:maxBlocks-2])
	return append(out, contextLine(fmt.Sprintf("…%d more block(s) left out.", len(blocks)-maxBlocks+1)), last)
}

// message is a rendered message: the notification text and the blocks.
type message struct {
	text   string
	blocks []slack.Block
}

// offer is one repair the report offers for approval.
type offer struct {
	ID   string
	Plan diagnosis.Plan
}

// reportView is what a diagnosis message shows.
type reportView struct {
	D           *repair.Diagnosis
	Offers      []offer
	RequesterID string
	ExpiresAt   time.Time
	// Preparing shows a note instead of buttons while the plans are saved.
	Preparing bool
	// Intro, when set, opens the message (e.g. why a fresh diagnosis).
	Intro string
	// ReadOnly shows what the fixes would change without buttons: the bot
	// has no approvers, so a button nobody may use is not offered.
	ReadOnly bool
}

// readOnlyNote replaces the buttons of a bot without approvers.
func readOnlyNote(key string) string {
	return fmt.Sprintf(":lock: I am read-only here: nobody may approve a repair because jsmbot's approver list (JSMBOT_APPROVERS) is empty. An admin can apply the fix with `jsmbot fix %s`, or ask whoever runs jsmbot to set the approvers.", escape(key))
}

// renderReport renders a diagnosis: header, status and scheme, findings
// with severity, what each offered fix changes, which projects share the
// scheme, and the Approve and Dismiss buttons.
func renderReport(v reportView) message {
	d := v.D
	p := d.Snapshot.Project
	var blocks []slack.Block
	title := p.Key
	if p.Name != "" {
		title += " · " + p.Name
	}
	blocks = append(blocks, header(title))
	if v.Intro != "" {
		blocks = append(blocks, section(v.Intro))
	}

	crit, warn := d.Report.Counts()
	var status, text string
	switch {
	case !d.Report.Applicable:
		why := "it is not a company-managed service project"
		if len(d.Report.Findings) > 0 && d.Report.Findings[0].Why != "" {
			why = d.Report.Findings[0].Why
		}
		status = ":white_circle: *Not applicable*: " + escape(why) + " Nothing was changed."
		text = p.Key + ": not applicable"
		blocks = append(blocks, section(status))
		return message{text, append(blocks, requestedBy(v.RequesterID))}
	case len(d.Report.Findings) == 0:
		status = ":large_green_circle: *Healthy*: customers can be added and can raise requests."
		text = p.Key + ": healthy"
	case d.Report.Healthy:
		status = fmt.Sprintf(":large_green_circle: *Healthy*, with %d warning(s). Warnings are not repaired automatically: a default may have been removed on purpose.", warn)
		text = fmt.Sprintf("%s: healthy, %d warning(s)", p.Key, warn)
	default:
		status = fmt.Sprintf(":red_circle: *Broken*: %d critical problem(s), %d warning(s).", crit, warn)
		text = fmt.Sprintf("%s: broken, %d critical problem(s)", p.Key, crit)
	}
	s := d.Snapshot.Scheme
	status += fmt.Sprintf("\n*Permission scheme:* %s (id %d)\n*Shared with:* %s",
		escape(s.Name), s.ID, escape(diagnosis.SharedWords(d.Snapshot.SharedWith)))
	if d.Unscanned > 0 {
		status += fmt.Sprintf("\n_I could not read the scheme of %d other project(s); the list may be incomplete._", d.Unscanned)
	}
	blocks = append(blocks, section(status))

	fs := d.Report.Findings
	for i, f := range fs {
		if i == maxFindingBlocks {
			blocks = append(blocks, contextLine(fmt.Sprintf("…and %d more finding(s).", len(fs)-i)))
			break
		}
		line := fmt.Sprintf("%s *%s* · `%s` — %s", severityIcon(f.Severity), f.Severity, escape(f.Rule), escape(f.Summary))
		// Findings of one rule share their explanation; say it once,
		// after the last of them.
		if f.Why != "" && (i == len(fs)-1 || fs[i+1].Why != f.Why) {
			line += "\n_Why it matters:_ " + escape(f.Why)
		}
		blocks = append(blocks, section(line))
		// Who and when, from the audit log, while the message has room:
		// critical findings come first, and few of them have a cause.
		const maxCauseLines = 10
		if c, ok := d.Causes.Of(i); ok && i < maxCauseLines {
			blocks = append(blocks, contextLine(":bust_in_silhouette: "+escape(c.Sentence(nil))))
		}
	}

	if len(v.Offers) > 0 {
		blocks = append(blocks, slack.NewDividerBlock())
		for _, o := range v.Offers {
			lines := planLines(o.Plan, d.Snapshot.Roles, d.Snapshot.SharedWith)
			blocks = append(blocks, section(fmt.Sprintf("*%s*\n%s", modeTitle(o.Plan.Mode), strings.Join(lines, "\n"))))
		}
		if v.ReadOnly {
			blocks = append(blocks, contextLine(requestedByText(v.RequesterID)), contextLine(readOnlyNote(p.Key)))
			return message{text, clamp(blocks)}
		}
		note := requestedByText(v.RequesterID)
		if !v.ExpiresAt.IsZero() {
			note += fmt.Sprintf(" An approver may apply a fix until %s; the requester or an approver may dismiss it.", v.ExpiresAt.UTC().Format("15:04 UTC"))
		}
		blocks = append(blocks, contextLine(note))
		if v.Preparing {
			blocks = append(blocks, contextLine(":hourglass_flowing_sand: Preparing the approval buttons…"))
		} else {
			blocks = append(blocks, planButtons(p.Key, v.Offers, d.Snapshot.SharedWith))
		}
		return message{text, clamp(blocks)}
	}
	return message{text, clamp(append(blocks, requestedBy(v.RequesterID)))}
}

func requestedByText(userID string) string {
	if userID == "" {
		return "Diagnosed by jsmbot."
	}
	return "Requested by " + mention(userID) + "."
}

func requestedBy(userID string) slack.Block { return contextLine(requestedByText(userID)) }

// planButtons is the actions block: one Approve per offer, each with a
// confirm dialog, and one Dismiss. Every value is a plan ID only.
func planButtons(key string, offers []offer, shared []string) slack.Block {
	var els []slack.BlockElement
	for _, o := range offers {
		label := "Approve fix"
		if len(offers) > 1 {
			label = "Approve: " + strings.ToLower(modeTitle(o.Plan.Mode))
		}
		var what string
		if o.Plan.Mode == diagnosis.ModeCopy {
			what = fmt.Sprintf("This creates the scheme “%s” and assigns it to %s only.", o.Plan.CopyName, key)
		} else {
			what = fmt.Sprintf("This changes the scheme “%s”", o.Plan.SchemeName)
			if len(o.Plan.Affects) > 0 {
				what += ", also for " + strings.Join(o.Plan.Affects, ", ")
			}
			what += "."
		}
		confirm := slack.NewConfirmationBlockObject(
			plain(fmt.Sprintf("Apply the fix to %s?", key), maxConfirmTitle),
			plain(what+" jsmbot verifies the result afterwards.", maxConfirmText),
			plain("Apply", 30), plain("Cancel", 30))
		btn := slack.NewButtonBlockElement(approveAction(o.Plan.Mode), o.ID, plain(label, maxButtonRunes)).
			WithStyle(slack.StylePrimary).WithConfirm(confirm)
		els = append(els, btn)
	}
	if len(offers) > 0 {
		els = append(els, slack.NewButtonBlockElement(ActionDismiss, offers[0].ID, plain("Dismiss", maxButtonRunes)))
	}
	return slack.NewActionBlock(blockIDActions, els...)
}

func modeTitle(m diagnosis.Mode) string {
	switch m {
	case diagnosis.ModeCopy:
		return "Fix on a copy"
	case diagnosis.ModeInPlace:
		return "Fix in place"
	}
	return "Fix"
}

func severityIcon(s diagnosis.Severity) string {
	switch s {
	case diagnosis.Critical:
		return ":red_circle:"
	case diagnosis.Warning:
		return ":large_orange_circle:"
	}
	return ":white_circle:"
}

// slackMarks sets names apart in Slack: permission keys as code, scheme
// names in curly quotes.
var slackMarks = diagnosis.Marks{
	Code:  func(s string) string { return "`" + s + "`" },
	Quote: func(s string) string { return "“" + s + "”" },
}

// planLines says, escaped, what a plan changes and which projects it
// touches.
func planLines(p diagnosis.Plan, roles map[string]string, shared []string) []string {
	w := diagnosis.DescribePlan(p, roles, shared, slackMarks)
	lines := []string{escape(w.Head)}
	var changes []string
	for _, a := range w.Add {
		changes = append(changes, "• ➕ "+escape(a))
	}
	for _, r := range w.Remove {
		changes = append(changes, "• ➖ "+escape(r))
	}
	if len(changes) > maxPlanLines {
		n := len(changes) - maxPlanLines
		changes = append(changes[:maxPlanLines], fmt.Sprintf("• …and %d more change(s)", n))
	}
	lines = append(lines, changes...)
	switch {
	case w.AlsoChanges:
		lines = append(lines, ":warning: "+escape(w.Others)+".")
	case w.Others != "":
		lines = append(lines, escape(w.Others)+".")
	}
	return lines
}

// planView is a stored plan, for the messages that follow a decision.
type planView struct {
	Rec  store.PlanRecord
	Data approval.PlanData
}

func (v planView) title(what string) slack.Block {
	t := v.Rec.ProjectKey
	if v.Data.ProjectName != "" {
		t += " · " + v.Data.ProjectName
	}
	return header(t + " — " + what)
}

func (v planView) people() string {
	s := requestedByText(v.Rec.RequesterID)
	if v.Rec.ApproverID != "" {
		s += " Approved by " + mention(v.Rec.ApproverID) + "."
	}
	return s + " Plan `" + v.Rec.ID + "`."
}

// renderApplying is the message while an approved plan is applied.
func renderApplying(v planView) message {
	p := v.Data.Plan
	lines := planLines(p, v.Data.Roles, v.Data.SharedWith)
	return message{p.ProjectKey + ": applying the fix", []slack.Block{
		v.title("applying the fix"),
		section(fmt.Sprintf(":hourglass_flowing_sand: *Applying the %s*…\n%s", strings.ToLower(modeTitle(p.Mode)), strings.Join(lines, "\n"))),
		contextLine(v.people()),
	}}
}

// renderResult is the message after a plan ran: exactly which changes
// Jira holds, and the verified state. failure is the user text of the
// error that stopped it, or "".
func renderResult(v planView, res *repair.Result, failure string) message {
	p := v.Data.Plan
	var blocks []slack.Block
	var text string
	unknown := res != nil && len(res.Unknown()) > 0
	switch {
	case unknown:
		text = p.ProjectKey + ": the repair may have been applied"
		blocks = append(blocks, v.title("outcome unknown"))
	case failure == "" && res != nil && res.Verified:
		text = p.ProjectKey + ": repaired and verified"
		blocks = append(blocks, v.title("repaired"))
	case failure == "":
		text = p.ProjectKey + ": repaired, not verified"
		blocks = append(blocks, v.title("repaired, not verified"))
	default:
		text = p.ProjectKey + ": the repair failed"
		blocks = append(blocks, v.title("repair failed"))
	}
	if unknown {
		blocks = append(blocks, section(fmt.Sprintf(":grey_question: Jira did not confirm every change: those marked _may have been applied_ may or may not be in Jira. This is not a failure; run `%s diagnose %s` to see what Jira holds now.", slashCommand, escape(p.ProjectKey))))
	} else if failure != "" {
		blocks = append(blocks, section(":x: "+failure))
	}
	if res != nil && len(res.Changes) > 0 {
		var lines []string
		for i, c := range res.Changes {
			if i == maxPlanLines {
				lines = append(lines, fmt.Sprintf("…and %d more", len(res.Changes)-i))
				break
			}
			mark, note := changeMark(c)
			lines = append(lines, fmt.Sprintf("%s %s%s", mark, escape(changeWords(v.Data.Roles, c)), note))
			if c.Step == repair.StepCreateScheme && c.Done {
				for _, d := range copyDetails(p, v.Data.Roles) {
					lines = append(lines, "      ↳ "+escape(d))
				}
			}
		}
		blocks = append(blocks, section("*What changed in Jira:*\n"+strings.Join(lines, "\n")))
	} else if failure != "" && !unknown {
		blocks = append(blocks, section("Nothing was changed in Jira."))
	}
	if res != nil && res.After != nil {
		if res.Verified {
			_, warn := res.After.Report.Counts()
			line := fmt.Sprintf(":white_check_mark: *Verified*: %s is healthy now; customers can be added.", escape(p.ProjectKey))
			if warn > 0 {
				line += fmt.Sprintf(" %d warning(s) remain; warnings are not repaired automatically.", warn)
			}
			blocks = append(blocks, section(line))
		} else {
			var probs []string
			for _, f := range res.After.Report.Findings {
				if f.Severity == diagnosis.Critical {
					probs = append(probs, "• "+escape(f.Summary))
				}
			}
			blocks = append(blocks, section(fmt.Sprintf(":warning: *Not verified*: %s still has problems:\n%s", escape(p.ProjectKey), strings.Join(probs, "\n"))))
		}
	}
	if res != nil {
		if line := customerText(res.Customer, p.ProjectKey); line != "" {
			blocks = append(blocks, section(line))
		}
	}
	blocks = append(blocks, contextLine(v.people()+" The audit record is in the thread."))
	return message{text, clamp(blocks)}
}

// changeMark is the mark and note of a change in a result message, from
// its outcome: an unknown one "may have been applied", never "failed".
func changeMark(c repair.Change) (mark, note string) {
	switch {
	case c.Outcome == repair.Unknown:
		return "❔", " — may have been applied"
	case c.Outcome == repair.NotMade:
		return "⏸️", " — not made"
	case c.Err != nil || c.Outcome == repair.Failed:
		return "❌", " — failed"
	case !c.Done:
		return "⏸️", " — not attempted"
	case c.AlreadyDone:
		return "✅", " (already there)"
	}
	return "✅", ""
}

// customerText is what Jira said about one real customer of the desk
// (issue 9 item 8), or "" when nobody was asked.
func customerText(c *repair.CustomerCheck, key string) string {
	if c == nil {
		return ""
	}
	who := escape(c.Name)
	if who == "" {
		who = "the customer"
	}
	switch c.Verdict {
	case repair.VerdictVerified:
		return fmt.Sprintf(":bust_in_silhouette: *Verified for %s*: Jira says this customer can open %s's portal and raise requests.", who, escape(key))
	case repair.VerdictStillDenied:
		lines := []string{fmt.Sprintf(":no_entry: *Grants present, customer still denied*: the permission scheme is right, yet Jira still denies %s %s on %s. Other causes to check:", who, strings.Join(c.Missing, " and "), escape(key))}
		for _, cause := range c.Causes {
			lines = append(lines, "• "+escape(cause.Words()))
		}
		return strings.Join(lines, "\n")
	case repair.VerdictDenied:
		return fmt.Sprintf(":no_entry: Jira denies %s %s on %s: the scheme's customer grants are not right.", who, strings.Join(c.Missing, " and "), escape(key))
	case repair.VerdictNoCustomer:
		return fmt.Sprintf(":bust_in_silhouette: No customer to check: %s's desk has no active customer yet.", escape(key))
	}
	return ":bust_in_silhouette: I couldn't ask Jira about a customer of the desk, so no customer was checked."
}

// changeWords says what one repair step did, unescaped, in Slack's marks.
func changeWords(roles map[string]string, c repair.Change) string { return c.Words(roles, slackMarks) }

// copyDetails says how the copy a copy-mode plan creates differs from the
// scheme it copies, unescaped.
func copyDetails(p diagnosis.Plan, roles map[string]string) []string {
	var out []string
	for _, g := range p.AddGrants {
		out = append(out, fmt.Sprintf("with `%s` granted to %s", g.Permission, diagnosis.HolderName(g.Holder, roles)))
	}
	for _, g := range p.RemoveGrants {
		out = append(out, fmt.Sprintf("without `%s` for %s", g.Permission, diagnosis.HolderName(g.Holder, roles)))
	}
	return out
}

// renderStale is the message of a plan that no longer matched Jira.
func renderStale(v planView) message {
	key := escape(v.Rec.ProjectKey)
	return message{v.Rec.ProjectKey + ": not applied, the project changed", []slack.Block{
		v.title("not applied"),
		section(fmt.Sprintf(":arrows_counterclockwise: *Nothing was changed.* %s's permissions changed after this diagnosis, so this plan no longer matches Jira. A fresh diagnosis is in the thread.", key)),
		contextLine(v.people()),
	}}
}

// renderClosed is the message of plans dismissed or expired before anyone
// applied them.
func renderClosed(v planView, state store.State, by string) message {
	var what, line string
	switch state {
	case store.StateExpired:
		what = "expired"
		line = fmt.Sprintf(":hourglass: This diagnosis expired unapproved at %s. Nothing was changed. Run `%s diagnose %s` for a fresh one.",
			v.Rec.ExpiresAt.UTC().Format("15:04 UTC"), slashCommand, escape(v.Rec.ProjectKey))
	default:
		what = "dismissed"
		line = fmt.Sprintf(":no_entry_sign: Dismissed by %s. Nothing was changed.", mention(by))
	}
	people := requestedByText(v.Rec.RequesterID)
	return message{v.Rec.ProjectKey + ": " + what, []slack.Block{v.title(what), section(line), contextLine(people)}}
}

// auditText is the readable audit record posted in the thread.
func auditText(r store.AuditRecord) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, ":scroll: *Audit* · %s · %s\n", escape(r.Action), r.Time.UTC().Format(time.RFC3339))
	fmt.Fprintf(&sb, "Project %s · plan `%s` · digest `%s`\n", escape(r.ProjectKey), escape(r.PlanID), escape(shortDigest(r.Digest)))
	fmt.Fprintf(&sb, "Requested by %s", mention(r.RequesterID))
	if r.ApproverID != "" {
		fmt.Fprintf(&sb, " · decided by %s", mention(r.ApproverID))
	}
	sb.WriteString("\n")
	for _, c := range r.Created {
		fmt.Fprintf(&sb, "➕ %s\n", escape(c))
	}
	for _, c := range r.Removed {
		fmt.Fprintf(&sb, "➖ %s\n", escape(c))
	}
	if r.Result != "" {
		fmt.Fprintf(&sb, "Result: %s", escape(r.Result))
	}
	return truncate(strings.TrimRight(sb.String(), "\n"), maxTextRunes)
}

func shortDigest(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
