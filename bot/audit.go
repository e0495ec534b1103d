package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// This file is /jsm audit (issue 10 item 4): the fleet audit of the whole
// site, its progress message, its summary in Block Kit (a table block, the
// full list in the thread when the table cannot hold it), and one
// "Approve: fix scheme" offer per broken scheme, each a normal in-place
// plan on the scheme's first service project that the Approve path
// (approve.go) applies; after the apply every project on the scheme is
// diagnosed again.

// auditMaxAge is how old a site index /jsm audit takes instead of scanning:
// one just built (by a concurrent audit or the background refresh).
const auditMaxAge = time.Minute

// Progress updates: at most one every progressEvery, unless the scan moved
// on by a tenth of the site since the last one.
const (
	progressEvery = 2 * time.Second
	progressStep  = 10 // percent
)

// maxSchemeOffers bounds the broken schemes offered for approval in one
// audit; the others are named, to fix after these.
const maxSchemeOffers = 10

// Table block limits (Slack's table block reference): one table per
// message, at most 100 rows (the header row included) of at most 20 cells.
const (
	maxTableRows = 100
	maxCellRunes = 200
	// maxKeysInCell is how many project keys a table cell lists.
	maxKeysInCell = 8
)

// lastAuditBlob is the store blob that holds the last audit's summary, for
// the App Home tab (home.go).
const lastAuditBlob = "last-audit"

// lastAuditTTL is how long the last audit's summary is kept.
const lastAuditTTL = 30 * 24 * time.Hour

// verifyConcurrency bounds the diagnoses that verify a fixed scheme's
// projects at once; the engine paces them under Jira's limits.
const verifyConcurrency = 4

// auditCommand handles /jsm audit: a progress message, updated while the
// site is scanned, becomes the summary; the broken schemes are offered for
// approval in its thread.
func (b *Bot) auditCommand(ctx context.Context, req request, _ parsedCommand) error {
	ts, err := b.exec.post(ctx, req.channelID, "", renderAuditProgress(0, 0, req.userID))
	if err != nil {
		return err
	}
	p := newProgress(ctx, b, req, ts)
	report, err := b.engine.Audit(ctx, repair.AuditOptions{MaxAge: auditMaxAge, Progress: p.report})
	p.stop()
	if err != nil {
		_ = b.exec.run(ctx, req.log, []effect{update{step: step{what: "show that the audit failed", record: true}, channel: req.channelID, ts: ts, msg: renderAuditFailed(req.userID)}})
		return fmt.Errorf("audit: %w", err)
	}
	req.log.Info("site audited", "schemes", report.Summary.Schemes, "broken_schemes", report.Summary.BrokenSchemes, "projects", report.Summary.Projects)

	var offers []schemeOffer
	for _, s := range report.Schemes {
		if s.Healthy || s.Plan == nil || len(offers) == maxSchemeOffers {
			continue
		}
		// The audit's index may be a minute old: plan on what Jira holds now.
		as, err := b.engine.PlanScheme(ctx, s.ID)
		if err != nil {
			text, ref := userText(err)
			req.log.Warn("could not plan the repair of a scheme", "scheme_id", s.ID, "ref", ref, "err", err)
			offers = append(offers, schemeOffer{Scheme: s, Problem: text})
			continue
		}
		if as.Plan == nil {
			continue // repaired since the scan
		}
		id, err := store.NewID()
		if err != nil {
			return fmt.Errorf("new plan id: %w", err)
		}
		offers = append(offers, schemeOffer{ID: id, Scheme: *as})
	}
	o := approval.Origin{RequesterID: req.userID, ChannelID: req.channelID, ThreadTS: ts}
	effs, err := auditShown(report, offers, o, b.cfg.Now(), b.cfg.Now().Add(b.cfg.PlanTTL), len(b.cfg.Approvers) > 0)
	if err != nil {
		return err
	}
	return b.exec.run(ctx, req.log, effs)
}

// progress throttles the audit's progress to the message: the engine's
// reports are decided on at once (they must be quick) and the latest one
// due is posted by one goroutine, through the executor.
type progress struct {
	mu       sync.Mutex
	throttle throttle
	now      func() time.Time
	latest   chan [2]int
	done     chan struct{}
}

func newProgress(ctx context.Context, b *Bot, req request, ts string) *progress {
	p := &progress{throttle: throttle{every: progressEvery, step: progressStep}, now: b.cfg.Now, latest: make(chan [2]int, 1), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for v := range p.latest {
			_ = b.exec.run(ctx, req.log, []effect{update{step: step{what: "show the audit's progress"}, channel: req.channelID, ts: ts, msg: renderAuditProgress(v[0], v[1], req.userID)}})
		}
	}()
	return p
}

// report is the engine's Progress callback.
func (p *progress) report(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.throttle.due(done, total, p.now()) {
		return
	}
	select { // the latest wins: drop one not yet posted
	case <-p.latest:
	default:
	}
	p.latest <- [2]int{done, total}
}

// stop ends the updates and waits for the one under way.
func (p *progress) stop() {
	p.mu.Lock()
	close(p.latest)
	p.mu.Unlock()
	<-p.done
}

// throttle decides which progress reports are shown: the first, then one
// when every has passed since the last shown, or when the scan moved on
// by step percent of the total. The last (done == total) is not shown:
// the summary replaces the message.
type throttle struct {
	every     time.Duration
	step      int // percent
	last      time.Time
	lastDone  int
	shownOnce bool
}

// due reports whether the report (done of total at now) is shown, and
// remembers it when it is.
func (t *throttle) due(done, total int, now time.Time) bool {
	if total <= 0 || done >= total {
		return false
	}
	if t.shownOnce && now.Sub(t.last) < t.every && (done-t.lastDone)*100 < t.step*total {
		return false
	}
	t.shownOnce, t.last, t.lastDone = true, now, done
	return true
}

// schemeOffer is a broken scheme of an audit, offered for approval: its
// fresh in-place plan (from PlanScheme) and the plan's ID, or Problem
// when it could not be planned.
type schemeOffer struct {
	ID      string
	Scheme  repair.AuditScheme
	Problem string
}

// schemeData is what a scheme offer's plan record holds: the plan data of
// any plan (approval.Decode reads it as such) and the scheme, whose
// projects are verified after the apply.
type schemeData struct {
	approval.PlanData
	Scheme *schemeInfo `json:"scheme,omitempty"`
}

// schemeInfo names a fixed scheme and its service projects.
type schemeInfo struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	Projects []string `json:"projects"`
}

// schemeRecord is the plan record of a scheme offer: a normal in-place
// plan whose project is the scheme's first service project and whose
// Affects lists every other project on the scheme, alone in its group.
func schemeRecord(so schemeOffer, o approval.Origin, expires time.Time) (store.PlanRecord, error) {
	as := so.Scheme
	if as.Plan == nil || len(as.Projects) == 0 {
		return store.PlanRecord{}, errors.New("bot: scheme offer without a plan")
	}
	rep := as.Projects[0]
	d := &repair.Diagnosis{Snapshot: diagnosis.Snapshot{
		Project:    diagnosis.Project{ID: rep.ID, Key: rep.Key, Name: rep.Name, TypeKey: rep.TypeKey},
		SharedWith: as.Plan.Affects,
	}}
	recs, err := approval.NewRecords(d, []diagnosis.Plan{*as.Plan}, []string{so.ID}, o, nil, expires)
	if err != nil {
		return store.PlanRecord{}, err
	}
	rec := recs[0]
	var data approval.PlanData
	if err := json.Unmarshal(rec.Plan, &data); err != nil {
		return store.PlanRecord{}, fmt.Errorf("encode scheme plan: %w", err)
	}
	info := &schemeInfo{ID: as.ID, Name: as.Name, Projects: make([]string, len(as.Projects))}
	for i, p := range as.Projects {
		info.Projects[i] = p.Key
	}
	if rec.Plan, err = json.Marshal(schemeData{PlanData: data, Scheme: info}); err != nil {
		return store.PlanRecord{}, fmt.Errorf("encode scheme plan: %w", err)
	}
	return rec, nil
}

// decodeScheme reads the scheme of a scheme offer's plan record; nil for
// any other plan.
func decodeScheme(rec store.PlanRecord) *schemeInfo {
	var d schemeData
	if json.Unmarshal(rec.Plan, &d) != nil {
		return nil
	}
	return d.Scheme
}

// lastAudit is the summary of the last audit that the App Home tab shows.
type lastAudit struct {
	At          time.Time           `json:"at"`
	BuiltAt     time.Time           `json:"builtAt"`
	RequesterID string              `json:"requesterId"`
	Summary     repair.AuditSummary `json:"summary"`
	// Broken are the broken schemes, worst first (at most maxHomeSchemes).
	Broken []lastAuditScheme `json:"broken"`
}

// lastAuditScheme is a broken scheme of the last audit.
type lastAuditScheme struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Projects int    `json:"projects"`
}

// auditShown is how an audit is shown, as effects: the progress message
// becomes the summary; the full list follows in its thread when the
// summary's table cannot hold it; the summary is kept for App Home; then
// each offer is posted in the thread without its button, its plan saved,
// and the button added. withButtons is false when nobody may approve: the
// offers then show the plan without buttons.
func auditShown(r *repair.AuditReport, offers []schemeOffer, o approval.Origin, now, expires time.Time, withButtons bool) ([]effect, error) {
	summary, fits := renderAuditSummary(r, offers, o.RequesterID)
	effs := []effect{update{step: step{fail: abort}, channel: o.ChannelID, ts: o.ThreadTS, msg: summary}}
	if !fits {
		for i, m := range renderAuditList(r) {
			effs = append(effs, post{step: step{what: fmt.Sprintf("post part %d of the audit's full list", i+1)}, channel: o.ChannelID, thread: o.ThreadTS, msg: m})
		}
	}
	last := lastAudit{At: now, BuiltAt: r.BuiltAt, RequesterID: o.RequesterID, Summary: r.Summary, Broken: []lastAuditScheme{}}
	for _, s := range r.Schemes {
		if !s.Healthy && len(last.Broken) < maxHomeSchemes {
			last.Broken = append(last.Broken, lastAuditScheme{ID: s.ID, Name: s.Name, Projects: len(s.Projects)})
		}
	}
	data, err := json.Marshal(last)
	if err != nil {
		return nil, fmt.Errorf("encode the last audit: %w", err)
	}
	effs = append(effs, saveBlob{step: step{what: "keep the audit for App Home"}, key: lastAuditBlob, data: data, ttl: lastAuditTTL})
	for i, so := range offers {
		name := "offer" + strconv.Itoa(i)
		if so.Problem != "" || !withButtons {
			effs = append(effs, post{step: step{what: "post a scheme the audit found broken"}, channel: o.ChannelID, thread: o.ThreadTS, msg: renderSchemeOffer(so, o.RequesterID, offerReadOnly)})
			continue
		}
		rec, err := schemeRecord(so, o, expires)
		if err != nil {
			return nil, err
		}
		withdraw := func(text string) []effect {
			return []effect{update{step: step{what: "withdraw the scheme offer"}, channel: o.ChannelID, tsOf: name, msg: renderSchemeOffer(schemeOffer{Scheme: so.Scheme, Problem: "I can't offer the fix for approval right now: " + text}, o.RequesterID, offerReadOnly)}}
		}
		effs = append(effs,
			post{step: step{what: "post a scheme offer"}, channel: o.ChannelID, thread: o.ThreadTS, msg: renderSchemeOffer(so, o.RequesterID, offerPreparing), as: name},
			savePlans{step: step{what: "offer the scheme repair", orElse: withdraw}, recs: []store.PlanRecord{rec}, tsOf: name},
			update{step: step{what: "add the scheme offer's buttons"}, channel: o.ChannelID, tsOf: name, msg: renderSchemeOffer(so, o.RequesterID, offerReady)},
		)
	}
	return effs, nil
}

// approveScheme handles "Approve: fix scheme": the Approve path of any plan
// (policy, four-eyes, claim, digest check, apply, audit), then, once per
// plan, a diagnosis of every project on the scheme, said in the thread.
func (b *Bot) approveScheme(ctx context.Context, c click) error {
	if err := b.approve(ctx, c); err != nil {
		return err
	}
	rec, err := b.store.Plan(ctx, c.planID)
	if err != nil || rec.State != store.StateApplied {
		return nil // refused, lost, stale or failed: approve has said so
	}
	info := decodeScheme(rec)
	if info == nil {
		return nil
	}
	first, err := b.exec.claim(ctx, "verify-scheme:"+rec.ID, approval.ClaimTTL(b.cfg.PlanTTL))
	if err != nil || !first {
		return nil // verified already (a second click)
	}
	v := b.verifyProjects(ctx, info.Projects)
	c.log.Info("scheme verified", "scheme_id", info.ID, "healthy", len(v.healthy), "broken", len(v.broken), "unchecked", len(v.unchecked))
	return b.exec.run(ctx, c.log, schemeVerified(rec, info, v))
}

// verification is what diagnosing a fixed scheme's projects found.
type verification struct {
	healthy, broken, unchecked []string
}

// verifyProjects diagnoses each project; the warm index makes each about
// one Jira round trip.
func (b *Bot) verifyProjects(ctx context.Context, keys []string) verification {
	healthy := make([]int, len(keys)) // 1 healthy, 0 broken, -1 unchecked
	sem := make(chan struct{}, verifyConcurrency)
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			d, err := b.engine.Diagnose(ctx, k)
			switch {
			case err != nil:
				healthy[i] = -1
			case d.Report.Healthy:
				healthy[i] = 1
			}
		})
	}
	wg.Wait()
	var v verification
	for i, k := range keys {
		switch healthy[i] {
		case 1:
			v.healthy = append(v.healthy, k)
		case 0:
			v.broken = append(v.broken, k)
		default:
			v.unchecked = append(v.unchecked, k)
		}
	}
	return v
}

// schemeVerified says in the plan's thread what the projects of a fixed
// scheme look like now.
func schemeVerified(rec store.PlanRecord, info *schemeInfo, v verification) []effect {
	n := len(info.Projects)
	var text string
	switch {
	case len(v.healthy) == n:
		text = fmt.Sprintf(":white_check_mark: *Verified:* all %s on the scheme “%s” are healthy now.", plural(n, "project"), escape(info.Name))
	default:
		text = fmt.Sprintf(":warning: After the fix, %d of %s on the scheme “%s” are healthy.", len(v.healthy), plural(n, "project"), escape(info.Name))
		if len(v.broken) > 0 {
			text += " Still broken: " + keyList(v.broken, 40) + "."
		}
		if len(v.unchecked) > 0 {
			text += " Could not be checked: " + keyList(v.unchecked, 40) + "."
		}
	}
	return []effect{post{step: step{what: "post the scheme's verification", record: true}, channel: rec.ChannelID, thread: threadOf(rec),
		msg: message{text: "Scheme verified: " + strconv.Itoa(len(v.healthy)) + " of " + strconv.Itoa(n) + " healthy", blocks: []slack.Block{section(text)}}}}
}

// plural is "1 project" or "12 projects".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// keyList lists at most n project keys, escaped, then how many more.
func keyList(keys []string, n int) string {
	if len(keys) <= n {
		return escape(strings.Join(keys, ", "))
	}
	return fmt.Sprintf("%s and %d more", escape(strings.Join(keys[:n], ", ")), len(keys)-n)
}

// renderAuditProgress is the audit's message while the site is scanned.
func renderAuditProgress(done, total int, requester string) message {
	line := ":hourglass_flowing_sand: *Auditing the site…* listing the projects."
	text := "Auditing the site…"
	if total > 0 {
		line = fmt.Sprintf(":hourglass_flowing_sand: *Auditing the site…* %d of %d projects read (%d%%).", done, total, done*100/total)
		text = fmt.Sprintf("Auditing the site: %d of %d projects read", done, total)
	}
	return message{text: text, blocks: []slack.Block{section(line), requestedBy(requester)}}
}

// renderAuditFailed replaces the progress of an audit that failed; the
// requester is told why.
func renderAuditFailed(requester string) message {
	return message{text: "The audit did not finish", blocks: []slack.Block{
		section(":warning: *The audit did not finish.* I told the requester why; nothing was changed."),
		requestedBy(requester),
	}}
}

// renderAuditSummary is the audit's summary: a header, the one-line
// summary, a table of the schemes worst first, what is offered in the
// thread. fits is false when the table left something out (schemes past
// its rows, project keys past a cell, unchecked or team-managed projects
// past the section), and the full list must follow in the thread.
func renderAuditSummary(r *repair.AuditReport, offers []schemeOffer, requester string) (m message, fits bool) {
	s := r.Summary
	fits = true
	title := "Site audit — all healthy"
	if s.BrokenSchemes > 0 {
		title = fmt.Sprintf("Site audit — %s broken", plural(s.BrokenSchemes, "scheme"))
	}
	blocks := []slack.Block{
		header(title),
		section(fmt.Sprintf("*%s.*\n%s on %s checked; %d could not be checked; %d team-managed (no scheme to check).",
			escape(s.Text), plural(s.Projects, "service project"), plural(s.Schemes, "scheme"), s.Unchecked, s.NotApplicable)),
	}
	if len(r.Schemes) > 0 {
		rows := [][]slack.TableCell{{
			slack.NewTableRawTextCell("Scheme"), slack.NewTableRawTextCell("Status"),
			slack.NewTableRawTextCell("Projects"), slack.NewTableRawTextCell("Service projects"),
		}}
		for _, sc := range r.Schemes {
			if len(rows) == maxTableRows {
				fits = false
				break
			}
			status := "healthy"
			if !sc.Healthy {
				status = "broken: " + criticalWords(sc.Findings)
			}
			keys := make([]string, len(sc.Projects))
			for i, p := range sc.Projects {
				keys[i] = p.Key
			}
			if len(keys) > maxKeysInCell {
				fits = false
			}
			rows = append(rows, []slack.TableCell{
				slack.NewTableRawTextCell(cell(sc.Name)), slack.NewTableRawTextCell(cell(status)),
				slack.NewTableRawTextCell(strconv.Itoa(len(sc.Projects))),
				slack.NewTableRawTextCell(cell(plainKeyList(keys, maxKeysInCell))),
			})
		}
		blocks = append(blocks, &slack.TableBlock{Type: slack.MBTTable, Rows: rows})
	}
	if len(r.Unchecked)+len(r.NotApplicable) > 0 {
		var lines []string
		for _, p := range r.Unchecked {
			lines = append(lines, fmt.Sprintf("• %s: could not be checked (%s)", escape(p.Key), escape(p.Reason)))
		}
		for _, p := range r.NotApplicable {
			lines = append(lines, fmt.Sprintf("• %s: %s", escape(p.Key), escape(p.Reason)))
		}
		text := strings.Join(lines, "\n")
		if utf8.RuneCountInString(text) > maxTextRunes || len(lines) > 20 {
			fits = false
			text = fmt.Sprintf("%d could not be checked and %d are team-managed: the list is in the thread.", len(r.Unchecked), len(r.NotApplicable))
		}
		blocks = append(blocks, section(text))
	}
	var notes []string
	planned := 0
	for _, o := range offers {
		if o.Problem == "" {
			planned++
		}
	}
	if planned > 0 {
		notes = append(notes, fmt.Sprintf("The fix of %s is offered for approval in the thread, one per scheme.", plural(planned, "broken scheme")))
	}
	if rest := s.BrokenSchemes - len(offers); rest > 0 {
		notes = append(notes, fmt.Sprintf("%s more broken: fix these first, then run `%s audit` again.", plural(rest, "scheme"), slashCommand))
	}
	if !fits {
		notes = append(notes, "The full list is in the thread.")
	}
	if len(notes) > 0 {
		blocks = append(blocks, section(strings.Join(notes, " ")))
	}
	blocks = append(blocks, contextLine(fmt.Sprintf("%s · site index built %s", requestedByText(requester), r.BuiltAt.UTC().Format("2006-01-02 15:04 UTC"))))
	return message{text: "Site audit: " + s.Text, blocks: blocks}, fits
}

// cell clips a table cell's text.
func cell(s string) string { return clipRunes(s, maxCellRunes-1) }

// plainKeyList lists at most n keys, then how many more, unescaped (table
// cells are plain text).
func plainKeyList(keys []string, n int) string {
	if len(keys) <= n {
		return strings.Join(keys, ", ")
	}
	return fmt.Sprintf("%s +%d more", strings.Join(keys[:n], ", "), len(keys)-n)
}

// criticalWords names a broken scheme's critical problems, briefly.
func criticalWords(fs []diagnosis.Finding) string {
	var perms []string
	for _, f := range fs {
		if f.Severity == diagnosis.Critical && f.Permission != "" && !slices.Contains(perms, f.Permission) {
			perms = append(perms, f.Permission)
		}
	}
	if len(perms) == 0 {
		return "critical findings"
	}
	return "lacks " + strings.Join(perms, ", ")
}

// maxListBlocks is how many sections one message of the full list holds,
// under Slack's 50 blocks.
const maxListBlocks = 45

// renderAuditList is the audit's full list, for the thread: every scheme
// with every project, then the unchecked and team-managed projects, in
// sections within Slack's 3,000 characters, messages within its 50 blocks.
func renderAuditList(r *repair.AuditReport) []message {
	var lines []string
	for _, sc := range r.Schemes {
		status := "healthy"
		if !sc.Healthy {
			status = "*broken* (" + escape(criticalWords(sc.Findings)) + ")"
		}
		keys := make([]string, len(sc.Projects))
		for i, p := range sc.Projects {
			keys[i] = escape(p.Key)
		}
		lines = append(lines, fmt.Sprintf("• “%s” (%d) — %s — %s: %s", escape(sc.Name), sc.ID, status, plural(len(keys), "service project"), strings.Join(keys, ", ")))
	}
	for _, p := range r.Unchecked {
		lines = append(lines, fmt.Sprintf("• %s — could not be checked: %s", escape(p.Key), escape(p.Reason)))
	}
	for _, p := range r.NotApplicable {
		lines = append(lines, fmt.Sprintf("• %s — %s", escape(p.Key), escape(p.Reason)))
	}
	var sections []string
	var cur strings.Builder
	for _, l := range lines {
		for _, piece := range splitRunes(l, maxTextRunes) {
			if cur.Len() > 0 && utf8.RuneCountInString(cur.String())+1+utf8.RuneCountInString(piece) > maxTextRunes {
				sections = append(sections, cur.String())
				cur.Reset()
			}
			if cur.Len() > 0 {
				cur.WriteByte('\n')
			}
			cur.WriteString(piece)
		}
	}
	if cur.Len() > 0 {
		sections = append(sections, cur.String())
	}
	var out []message
	for i := 0; i < len(sections); i += maxListBlocks {
		part := sections[i:min(i+maxListBlocks, len(sections))]
		blocks := make([]slack.Block, len(part))
		for j, s := range part {
			blocks[j] = section(s)
		}
		out = append(out, message{text: fmt.Sprintf("Site audit, full list (part %d)", len(out)+1), blocks: blocks})
	}
	return out
}

// splitRunes cuts s into pieces of at most n runes, at commas when it can
// and never inside an entity made by escape.
func splitRunes(s string, n int) []string {
	var out []string
	for utf8.RuneCountInString(s) > n {
		r := []rune(s)
		cut := n
		if i := strings.LastIndex(string(r[:n]), ", "); i > 0 {
			cut = utf8.RuneCountInString(string(r[:n])[:i+2])
		} else if i := strings.LastIndexByte(string(r[:n]), '&'); i >= 0 && !strings.Contains(string(r[:n])[i:], ";") {
			cut = utf8.RuneCountInString(string(r[:n])[:i])
		}
		out = append(out, string(r[:cut]))
		s = string(r[cut:])
	}
	return append(out, s)
}

// How a scheme offer is shown.
type offerState int

const (
	offerPreparing offerState = iota // posted, its plan not yet saved
	offerReady                       // with its buttons
	offerReadOnly                    // without buttons: nobody may approve, or it could not be planned
)

// renderSchemeOffer is a broken scheme offered for approval in an audit's
// thread: what is wrong, what the fix changes, for how many projects, and
// the Approve: fix scheme button behind a confirm dialog naming them.
func renderSchemeOffer(so schemeOffer, requester string, st offerState) message {
	as := so.Scheme
	changes := len(as.Projects) + len(as.OtherProjects)
	text := fmt.Sprintf("Scheme “%s”: %s broken", as.Name, plural(len(as.Projects), "service project"))
	blocks := []slack.Block{
		header(fmt.Sprintf("Scheme “%s” — %s", as.Name, plural(len(as.Projects), "service project"))),
	}
	var problems []string
	for _, f := range as.Findings {
		if f.Severity == diagnosis.Critical {
			problems = append(problems, "• :red_circle: "+escape(f.Summary))
		}
	}
	if len(problems) > 0 {
		blocks = append(blocks, section(strings.Join(problems, "\n")))
	}
	keys := make([]string, len(as.Projects))
	for i, p := range as.Projects {
		keys[i] = p.Key
	}
	on := fmt.Sprintf("Service projects on it: %s.", keyList(keys, 40))
	if len(as.OtherProjects) > 0 {
		on += fmt.Sprintf(" Other projects on it, which the fix changes too: %s.", keyList(as.OtherProjects, 20))
	}
	blocks = append(blocks, section(on))
	switch {
	case so.Problem != "":
		blocks = append(blocks, section(":warning: "+escape(so.Problem)))
	case as.Plan != nil:
		lines := planLines(*as.Plan, nil, as.Plan.Affects)
		blocks = append(blocks, section(fmt.Sprintf("*Fix: change the scheme for all %s on it*\n%s", plural(changes, "project"), strings.Join(lines, "\n"))))
	}
	blocks = append(blocks, requestedBy(requester))
	switch st {
	case offerPreparing:
		blocks = append(blocks, contextLine(":hourglass_flowing_sand: Preparing the approval…"))
	case offerReady:
		confirm := slack.NewConfirmationBlockObject(
			plain(fmt.Sprintf("Fix the scheme for %s?", plural(changes, "project")), maxConfirmTitle),
			plain(fmt.Sprintf("This changes the permission scheme “%s” for all %s on it. jsmbot then checks every service project on it.", as.Name, plural(changes, "project")), maxConfirmText),
			plain("Apply", 30), plain("Cancel", 30))
		blocks = append(blocks, slack.NewActionBlock(blockIDActions,
			slack.NewButtonBlockElement(ActionApproveScheme, so.ID, plain("Approve: fix scheme", maxButtonRunes)).WithStyle(slack.StylePrimary).WithConfirm(confirm),
			slack.NewButtonBlockElement(ActionDismiss, so.ID, plain("Dismiss", maxButtonRunes)),
		))
	}
	return message{text: text, blocks: clamp(blocks)}
}
