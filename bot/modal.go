package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
)

// The report form: a modal opened from the message shortcut, from /jsm
// report without everything it needs, or from the detector's Diagnose
// button. It is opened within the 3-second life of the trigger_id, so it
// is filled in from the message alone; only the list of service desks for
// the project select may come from Jira, from a short cache or within a
// one-second budget, else the project is a text field.

// Block and action IDs of the report form; a block's ID is also the key of
// its errors in a response_action "errors" ack.
const (
	blockProject = "project"
	blockEmails  = "emails"
	blockError   = "error"
	actionInput  = "value"
)

// Budgets of the report form.
const (
	// openBudget bounds views.open: the trigger expires 3 s after the
	// user's action.
	openBudget = 2 * time.Second
	// deskBudget bounds fetching the desks for the project select.
	deskBudget = time.Second
	// deskCacheTTL is how long the desk list is reused.
	deskCacheTTL = 2 * time.Minute
	// checkBudget bounds the Jira check in a submission's ack, which must
	// reach Slack within 3 s.
	checkBudget = 1500 * time.Millisecond
	// maxSelectOptions is Block Kit's limit of options in a select.
	maxSelectOptions = 100
	// maxErrorInput is the most the pasted error field holds.
	maxErrorInput = 3000
	// maxMetadata is Slack's limit on private_metadata.
	maxMetadata = 3000
)

// formBudgets replace deskBudget and checkBudget where set, so that a test
// of a slow Jira does not wait them out; zero fields keep the constants.
type formBudgets struct{ desks, check time.Duration }

// reportMeta is the form's private_metadata: where the report came from
// and who opened the form. It is checked on submit but never trusted for
// authorization, which stays with the approval policy.
type reportMeta struct {
	Channel string `json:"c"`
	Thread  string `json:"t,omitempty"`
	User    string `json:"u"`
}

var (
	channelIDRE = regexp.MustCompile(`^[CGD][A-Z0-9]{2,20}$`)
	tsRE        = regexp.MustCompile(`^[0-9]{1,12}\.[0-9]{1,8}$`)
)

func (m reportMeta) encode() string {
	b, _ := json.Marshal(m)
	return string(b)
}

// decodeMeta reads and validates private_metadata.
func decodeMeta(s string) (reportMeta, error) {
	var m reportMeta
	if len(s) > maxMetadata {
		return m, errors.New("private_metadata too long")
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return m, fmt.Errorf("private_metadata: %w", err)
	}
	if !channelIDRE.MatchString(m.Channel) || (m.Thread != "" && !tsRE.MatchString(m.Thread)) || !slackIDRE.MatchString(m.User) {
		return m, errors.New("private_metadata: invalid channel, ts or user")
	}
	return m, nil
}

// reportForm is what the form shows when it opens.
type reportForm struct {
	// Key is the project, when known.
	Key string
	// PortalID is a customer portal's id from a portal URL, resolved
	// against Desks when possible.
	PortalID string
	Emails   []string
	// Error is the pasted text, shown for reference.
	Error string
	// Desks, when Key is unknown, fill the project select; without them
	// the project is a text field.
	Desks []jira.ServiceDesk
}

// reportFormFromText fills a form from a message's text.
func reportFormFromText(text string) reportForm {
	r := parseReportText(text)
	return reportForm{Key: r.Key, PortalID: r.PortalID, Emails: r.Emails, Error: clipRunes(text, maxErrorInput-1)}
}

// reportModal renders the form. It is pure; golden files pin its JSON.
func reportModal(f reportForm, meta reportMeta) slack.ModalViewRequest {
	intro := "Tell me which customers could not be added, and where. I'll check the project's permission scheme, " +
		"the usual cause, and once an approver applies the fix I'll add the customers again."
	var project slack.BlockElement
	var hint string
	switch {
	case f.Key != "":
		in := slack.NewPlainTextInputBlockElement(plain("HELP", 150), actionInput)
		in.InitialValue = f.Key
		project, hint = in, "Found in the message. A project key, or a link to the project's portal or queue."
	case len(f.Desks) > 0:
		var opts []*slack.OptionBlockObject
		var initial *slack.OptionBlockObject
		for _, d := range f.Desks {
			o := slack.NewOptionBlockObject(d.ProjectKey, plain(d.ProjectKey+" · "+d.ProjectName, 75), nil)
			if d.ID == f.PortalID {
				initial = o
			}
			opts = append(opts, o)
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Pick the service project", 150), actionInput, opts...)
		sel.InitialOption = initial
		project, hint = sel, "The service projects my Jira account can see."
	default:
		in := slack.NewPlainTextInputBlockElement(plain("HELP, or a link to the portal or queue", 150), actionInput)
		project, hint = in, "A project key like HELP, or a link to the project's customer portal or agent queue."
	}
	emails := slack.NewPlainTextInputBlockElement(plain("erin@example.com, frank@example.com", 150), actionInput)
	emails.Multiline = true
	emails.InitialValue = strings.Join(f.Emails, "\n")
	pasted := slack.NewPlainTextInputBlockElement(plain("Successfully added 0 customers. The following customers could not be added…", 150), actionInput)
	pasted.Multiline = true
	pasted.MaxLength = maxErrorInput
	pasted.InitialValue = f.Error

	emailBlock := slack.NewInputBlock(blockEmails, plain("Customers' emails", 2000),
		plain(fmt.Sprintf("One per line or separated by commas, at most %d. Leave empty to only check the project.", maxReportEmails), 2000), emails)
	emailBlock.Optional = true
	errorBlock := slack.NewInputBlock(blockError, plain("The error you saw", 2000), plain("For reference; I read the project and the emails from the fields above.", 2000), pasted)
	errorBlock.Optional = true
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewReport,
		Title:           plain("Customer invite failed", 24),
		Submit:          plain("Diagnose", 24),
		Close:           plain("Cancel", 24),
		PrivateMetadata: meta.encode(),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwn(intro), nil, nil),
			slack.NewInputBlock(blockProject, plain("Project", 2000), plain(hint, 2000), project),
			emailBlock,
			errorBlock,
		}},
	}
}

// submittedReport is what a submitted form says.
type submittedReport struct {
	key      string // a project key, or "" when portalID is set
	portalID string
	emails   []string
}

// parseReportForm reads a submitted form's values. errs, keyed by block
// ID, are the mistakes it can find without Jira: a missing or unreadable
// project, a malformed email.
func parseReportForm(values map[string]map[string]slack.BlockAction) (submittedReport, map[string]string) {
	var s submittedReport
	errs := map[string]string{}
	in := values[blockProject][actionInput]
	project := strings.TrimSpace(in.Value)
	if in.SelectedOption.Value != "" {
		project = in.SelectedOption.Value
	}
	switch {
	case project == "":
		errs[blockProject] = "Which project? Enter its key, like HELP."
	default:
		if k, err := jira.ParseProjectKey(project); err == nil && keyRE.MatchString(k) {
			s.key = k
			break
		}
		r := parseReportText(project)
		switch {
		case r.Key != "":
			s.key = r.Key
		case r.PortalID != "":
			s.portalID = r.PortalID
		default:
			errs[blockProject] = fmt.Sprintf("“%s” is not a project key (like HELP) or a link to a Jira project.", clipRunes(project, 40))
		}
	}

	s.emails = []string{}
	raw := values[blockEmails][actionInput].Value
	for _, tok := range strings.FieldsFunc(clip(raw), func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\t' || r == '\r'
	}) {
		tok = strings.ToLower(strings.TrimSpace(tok))
		if strings.HasPrefix(tok, "<mailto:") {
			if m := parseReportText(tok).Emails; len(m) == 1 {
				tok = m[0] // mailto markup pasted from Slack
			}
		}
		if !validEmail(tok) {
			errs[blockEmails] = fmt.Sprintf("“%s” is not an email address.", clipRunes(tok, 60))
			break
		}
		if !slices.Contains(s.emails, tok) {
			s.emails = append(s.emails, tok)
		}
		if len(s.emails) > maxReportEmails {
			errs[blockEmails] = fmt.Sprintf("At most %d emails at once, please.", maxReportEmails)
			break
		}
	}
	return s, errs
}

// deskCache keeps the site's service desks for the project select.
type deskCache struct {
	mu    sync.Mutex
	at    time.Time
	desks []jira.ServiceDesk
	full  bool // the list was read (it may be empty or too long: desks nil)
}

// desksForSelect returns the desks to offer in the project select, or nil
// when they are not known within the budget or too many for a select.
func (b *Bot) desksForSelect(ctx context.Context) []jira.ServiceDesk {
	b.desks.mu.Lock()
	if b.desks.full && time.Since(b.desks.at) < deskCacheTTL {
		d := b.desks.desks
		b.desks.mu.Unlock()
		return d
	}
	b.desks.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, cmp.Or(b.budgets.desks, deskBudget))
	defer cancel()
	desks, err := b.engine.ServiceDesks(ctx, maxSelectOptions)
	switch {
	case errors.Is(err, repair.ErrTooManyDesks):
		desks = nil
	case err != nil:
		b.log.Info("no desk list for the report form; asking for a key", "err", err)
		return nil
	}
	b.desks.mu.Lock()
	b.desks.at, b.desks.desks, b.desks.full = time.Now(), desks, true
	b.desks.mu.Unlock()
	return desks
}

// deskKey finds the project a report names among the site's desks: the
// desk of its portal id, else the first upper-case word of the text that
// is a desk's project key ("adding customers to NOCR fails"). Bare words
// count only when they are a real desk's key, so "JSM IS BROKEN" names
// nothing.
func deskKey(portalID, text string, desks []jira.ServiceDesk) string {
	for _, d := range desks {
		if portalID != "" && d.ID == portalID {
			return d.ProjectKey
		}
	}
	if len(desks) == 0 {
		return ""
	}
	words := strings.FieldsFunc(clip(text), func(r rune) bool {
		return (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_'
	})
	for _, w := range words {
		for _, d := range desks {
			if w == d.ProjectKey {
				return w
			}
		}
	}
	return ""
}

// openReportForm opens the report form on a user's trigger_id.
func (b *Bot) openReportForm(ctx context.Context, req request, f reportForm, meta reportMeta) error {
	if f.Key == "" {
		f.Desks = b.desksForSelect(ctx)
		if f.Key = deskKey(f.PortalID, f.Error, f.Desks); f.Key != "" {
			f.Desks = nil
		}
	}
	return b.exec.run(ctx, req.log, reportFormOpened(req, f, meta))
}

// reportFormOpened opens the form within the trigger's life; when Slack
// does not open it in time the user is told how else to report.
func reportFormOpened(req request, f reportForm, meta reportMeta) []effect {
	tell := func(string) []effect {
		return []effect{ephemeral{who: req, text: fmt.Sprintf("I couldn't open the report form in time. Try again, or type `%s report KEY email…`.", slashCommand)}}
	}
	return []effect{openView{step: step{what: "open the report form", budget: openBudget, orElse: tell}, trigger: req.triggerID, view: reportModal(f, meta)}}
}

// inviteFailedShortcut handles the "Customer invite failed" shortcut: the
// form, filled in from the message, whose thread gets the answers.
func (b *Bot) inviteFailedShortcut(ctx context.Context, sc shortcutCall) error {
	thread := sc.message.ThreadTimestamp
	if thread == "" {
		thread = sc.message.Timestamp
	}
	if !tsRE.MatchString(thread) {
		thread = ""
	}
	return b.openReportForm(ctx, sc.request, reportFormFromText(sc.message.Text),
		reportMeta{Channel: sc.channelID, Thread: thread, User: sc.userID})
}

// submitReport handles the form's submission. It answers in the ack: the
// mistakes it finds without Jira, then, within checkBudget, an unknown
// project or one that is not a service project. When Jira does not answer
// in time the form closes anyway and the report says what went wrong. The
// work then goes to the ordinary workers.
func (b *Bot) submitReport(ctx context.Context, vs viewCall) error {
	meta, err := decodeMeta(vs.view.PrivateMetadata)
	if err != nil {
		vs.log.Warn("report form with bad metadata", "err", err)
		vs.ack(slack.NewErrorsViewSubmissionResponse(map[string]string{blockProject: "This form can't be used any more. Close it and start again from the message."}))
		return nil
	}
	if meta.User != vs.userID {
		// Metadata says who opened the form; the requester is whoever
		// submits it, as Slack reports.
		vs.log.Info("form submitted by another user than it was opened for", "opened_by", meta.User)
	}
	sub, errs := parseReportForm(vs.view.State.Values)
	if len(errs) == 0 {
		b.checkProject(ctx, vs.log, &sub, errs)
	}
	if len(errs) > 0 {
		vs.ack(slack.NewErrorsViewSubmissionResponse(errs))
		return nil
	}
	vs.ack(nil)

	r := reportRequest{
		request:  request{userID: vs.userID, channelID: meta.Channel, log: vs.log},
		threadTS: meta.Thread,
		key:      sub.key,
		emails:   sub.emails,
	}
	f := followUp{who: r.request, run: func(ctx context.Context, log *slog.Logger) error {
		r.log = log.With("user_id", r.userID)
		if r.key == "" {
			return b.reportError(ctx, r, &friendlyError{text: "Jira did not tell me in time which project that portal belongs to; try again with the project key."})
		}
		return b.runReport(ctx, r)
	}}
	if !b.handOff(ctx, vs.envelopeID, f) {
		// The form is already closed: without a word the report would
		// vanish.
		vs.log.Warn("no worker took the report before its deadline")
		return b.exec.run(ctx, vs.log, []effect{ephemeral{who: r.request, text: fmt.Sprintf("I'm too busy or restarting, so I couldn't start on your report. Nothing was changed; submit it again in a moment, or type `%s report KEY email…`.", slashCommand)}})
	}
	return nil
}

// checkProject checks with Jira, within checkBudget, that the submitted
// project exists and is a service project, resolving a portal id to its
// project. Problems go into errs; when Jira can't say in time, nothing is
// added and the report will tell.
func (b *Bot) checkProject(ctx context.Context, log *slog.Logger, sub *submittedReport, errs map[string]string) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(b.budgets.check, checkBudget))
	defer cancel()
	if sub.key == "" && sub.portalID != "" {
		d, err := b.engine.ServiceDesk(ctx, sub.portalID)
		switch {
		case errors.Is(err, jira.ErrNotFound):
			errs[blockProject] = fmt.Sprintf("I can't find a customer portal %s, or my Jira account can't see it. Enter the project key instead.", sub.portalID)
			return
		case err != nil:
			log.Info("could not resolve the portal in time", "err", err)
			return
		}
		sub.key = d.ProjectKey
	}
	p, err := b.engine.Project(ctx, sub.key)
	switch {
	case errors.Is(err, jira.ErrNotFound):
		errs[blockProject] = fmt.Sprintf("I can't find project %s, or my Jira account can't see it.", sub.key)
	case err != nil:
		log.Info("could not check the project in time; the report will tell", "project", sub.key, "err", err)
	case diagnosis.ApplicabilityOf(diagnosis.Project{TypeKey: p.ProjectTypeKey, TeamManaged: p.TeamManaged()}) == diagnosis.NotServiceProject:
		errs[blockProject] = fmt.Sprintf("%s is a %s project, not a service project: customers belong to service projects.", sub.key, strings.ReplaceAll(p.ProjectTypeKey, "_", " "))
	}
}
