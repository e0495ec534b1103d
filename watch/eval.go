package watch

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
)

// auditFilter keeps the log's permission-scheme records: every term must
// occur in the record (reference §9).
const auditFilter = "Permission scheme"

// maxRecords bounds the records one poll evaluates one by one; past it
// the poll runs a full audit instead, which costs about the same.
const maxRecords = 5000

// causeSlack widens the end of the window the causes are searched in, for
// a Jira clock a little ahead of ours.
const causeSlack = 5 * time.Minute

// Audit summaries the watch reacts to (reference §9).
const (
	sumSchemeCreated = "Permission scheme created"
	sumSchemeUpdated = "Permission scheme updated"
	sumSchemeAdded   = "Permission scheme added to project"
	sumSchemeRemoved = "Permission scheme removed from project"
)

// poll is one poll's work on the state.
type poll struct {
	w     *Watcher
	st    *state
	next  cursor // the cursor after this poll's records
	dirty bool
}

// verdict is what an evaluation found of one project.
type verdict struct {
	broken bool
	// d is the project's own diagnosis, when the evaluation made one.
	d *repair.Diagnosis
	// by is the newest record that touched the project, if any.
	by *jira.AuditRecord
}

func (p *poll) run(ctx context.Context) error {
	w := p.w
	p.next = p.st.Cursor
	recs, tooMany, err := p.read(ctx)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		p.unreadable(err)
		if err := p.full(ctx, nil); err != nil {
			return err
		}
		return p.finish(ctx)
	}
	p.readable()
	if w.cfg.Observer.Records != nil {
		w.cfg.Observer.Records(len(recs))
	}
	primed := !p.st.Cursor.Set
	if len(recs) > 0 || primed {
		w.log.Debug("audit log read", "records", len(recs))
	}
	if primed || tooMany || !p.st.Started || w.cfg.Now().Sub(p.st.LastFull) >= w.cfg.FullEvery {
		if err := p.full(ctx, recs); err != nil {
			return err
		}
		return p.finish(ctx)
	}
	if err := p.partial(ctx, recs); err != nil {
		return err
	}
	return p.finish(ctx)
}

// finish moves the cursor past this poll's records and saves the state
// when anything changed.
func (p *poll) finish(ctx context.Context) error {
	if !slices.Equal(p.next.IDs, p.st.Cursor.IDs) || !p.next.At.Equal(p.st.Cursor.At) || p.next.Set != p.st.Cursor.Set {
		p.st.Cursor = p.next
		p.dirty = true
	}
	if !p.dirty {
		return nil
	}
	return p.w.save(ctx, p.st)
}

// read reads the records after the cursor, newest first. Without a cursor
// it reads only the newest record, to start the cursor there (the full
// audit that follows covers everything before it). tooMany says the poll
// stopped at maxRecords.
func (p *poll) read(ctx context.Context) (recs []jira.AuditRecord, tooMany bool, err error) {
	q := jira.AuditQuery{Filter: auditFilter}
	cur := p.st.Cursor
	if cur.Set {
		q.From = cur.At
	}
	for r, err := range p.w.jira.AuditRecords(ctx, q) {
		if err != nil {
			return nil, false, err
		}
		if !cur.Set {
			p.next.advance(r.Created, r.ID)
			return nil, false, nil
		}
		if cur.seen(r.Created, r.ID) {
			continue
		}
		p.next.advance(r.Created, r.ID)
		if len(recs) == maxRecords {
			return recs, true, nil
		}
		recs = append(recs, r)
	}
	if !cur.Set {
		p.next.Set = true // an empty log: everything from now on is new
	}
	return recs, false, nil
}

// unreadable notes that the log could not be read; the first time, it
// says so in the log.
func (p *poll) unreadable(err error) {
	w := p.w
	if p.st.Unreadable {
		w.log.Debug("the audit log is still unreadable; running a full audit", "err", err)
		return
	}
	p.st.Unreadable, p.dirty = true, true
	if errors.Is(err, jira.ErrForbidden) || errors.Is(err, jira.ErrUnauthorized) {
		w.log.Warn("the watch cannot read Jira's audit log (403): it falls back to full audits every "+shortDuration(w.cfg.Interval)+"; grant Administer Jira to read the audit log",
			"interval", w.cfg.Interval)
		return
	}
	w.log.Warn("the watch could not read Jira's audit log: it falls back to full audits until it can", "interval", w.cfg.Interval, "err", err)
}

// readable notes that the log was read, saying so after a spell of
// unreadable polls.
func (p *poll) readable() {
	if p.st.Unreadable {
		p.st.Unreadable, p.dirty = false, true
		p.w.log.Info("the watch reads Jira's audit log again")
	}
}

// touched returns, from records newest first, the schemes and the
// projects (by id) they touch, each with its newest record.
func touched(recs []jira.AuditRecord) (schemes map[int64]*jira.AuditRecord, projects map[string]*jira.AuditRecord) {
	schemes, projects = map[int64]*jira.AuditRecord{}, map[string]*jira.AuditRecord{}
	for i := range recs {
		r := &recs[i]
		switch r.Summary {
		case sumSchemeUpdated, sumSchemeCreated:
			if r.ObjectItem.TypeName != "" && r.ObjectItem.TypeName != "SCHEME" {
				continue
			}
			id, err := strconv.ParseInt(r.ObjectItem.ID, 10, 64)
			if err != nil {
				continue
			}
			if _, seen := schemes[id]; !seen {
				schemes[id] = r
			}
		case sumSchemeAdded, sumSchemeRemoved:
			if r.ObjectItem.TypeName != "" && r.ObjectItem.TypeName != "PROJECT" || r.ObjectItem.ID == "" {
				continue
			}
			if _, seen := projects[r.ObjectItem.ID]; !seen {
				projects[r.ObjectItem.ID] = r
			}
		}
	}
	return schemes, projects
}

// partial evaluates what the records touch, and the projects still
// awaiting their alert.
func (p *poll) partial(ctx context.Context, recs []jira.AuditRecord) error {
	w := p.w
	schemes, projects := touched(recs)
	var pending []string
	for _, k := range slices.Sorted(maps.Keys(p.st.Broken)) {
		if p.st.Broken[k].pending() {
			pending = append(pending, k)
		}
	}
	if len(schemes) == 0 && len(projects) == 0 && len(pending) == 0 {
		return nil
	}
	idx, err := w.engine.SiteIndex(ctx)
	if err != nil {
		return err
	}
	keyOf := map[string]string{}
	for k, pr := range idx.Projects {
		keyOf[pr.ID] = k
	}
	results := map[string]verdict{}
	// Moves first: their diagnoses bring the index up to date, so the
	// schemes' evaluations below see the moved projects.
	for _, id := range slices.Sorted(maps.Keys(projects)) {
		key := cmp.Or(keyOf[id], id) // Jira takes a project's id where it takes its key
		v, ok, err := p.diagnose(ctx, key)
		if err != nil {
			return err
		}
		if ok {
			v.by = projects[id]
			results[v.d.Snapshot.Project.Key] = v
		}
	}
	for _, id := range slices.Sorted(maps.Keys(schemes)) {
		as, err := w.engine.PlanScheme(ctx, id)
		if err != nil {
			if skippable(err) {
				w.log.Debug("scheme not evaluated", "scheme_id", id, "err", err)
				continue
			}
			return err
		}
		for _, pr := range as.Projects {
			if _, done := results[pr.Key]; !done {
				results[pr.Key] = verdict{broken: !as.Healthy, by: schemes[id]}
			}
		}
	}
	for _, key := range pending {
		if _, done := results[key]; done {
			continue
		}
		v, ok, err := p.diagnose(ctx, key)
		if err != nil {
			return err
		}
		if ok {
			results[key] = v
		}
	}
	return p.apply(ctx, results, false)
}

// full audits the whole site and reports every transition; at the first
// poll it only records what is broken.
func (p *poll) full(ctx context.Context, recs []jira.AuditRecord) error {
	w := p.w
	rep, err := w.engine.Audit(ctx, repair.AuditOptions{})
	if err != nil {
		return err
	}
	schemes, projects := touched(recs)
	results := map[string]verdict{}
	for _, sc := range rep.Schemes {
		for _, pr := range sc.Projects {
			results[pr.Key] = verdict{broken: !sc.Healthy, by: cmp.Or(projects[pr.ID], schemes[sc.ID])}
		}
	}
	unchecked := map[string]bool{}
	for _, pr := range rep.Unchecked {
		unchecked[pr.Key] = true
	}
	for k := range p.st.Broken {
		if _, ok := results[k]; !ok && !unchecked[k] {
			// Deleted, team-managed now, or no longer a service project.
			w.log.Info("a project the watch knew broken is gone from the audit; forgetting it", "project", k)
			delete(p.st.Broken, k)
			p.dirty = true
		}
	}
	baseline := !p.st.Started
	if err := p.apply(ctx, results, baseline); err != nil {
		return err
	}
	p.st.Started, p.st.LastFull, p.dirty = true, w.cfg.Now(), true
	if baseline {
		w.log.Info("the watch started", "projects", len(results), "broken", len(p.st.Broken))
	}
	return nil
}

// diagnose diagnoses one project; ok is false when it cannot be (gone,
// hidden), which is logged and not an error.
func (p *poll) diagnose(ctx context.Context, key string) (verdict, bool, error) {
	d, err := p.w.engine.Diagnose(ctx, key)
	if err != nil {
		if skippable(err) {
			p.w.log.Debug("project not evaluated", "project", key, "err", err)
			return verdict{}, false, nil
		}
		return verdict{}, false, err
	}
	return verdict{broken: d.Report.Applicable && !d.Report.Healthy, d: d}, true, nil
}

// skippable reports whether an evaluation's error is about the thing
// evaluated (gone, hidden, not a service project's) rather than Jira or
// the network being unwell: the watch goes on without it.
func skippable(err error) bool {
	var pe *repair.PermissionError
	return errors.Is(err, repair.ErrNoServiceProject) || errors.Is(err, jira.ErrNotFound) ||
		errors.Is(err, jira.ErrForbidden) || errors.As(err, &pe)
}

// apply reports the transitions results make to the sink, in key order.
// With baseline, broken projects are recorded without an alert.
func (p *poll) apply(ctx context.Context, results map[string]verdict, baseline bool) error {
	w := p.w
	for _, key := range slices.Sorted(maps.Keys(results)) {
		v := results[key]
		b, known := p.st.Broken[key]
		switch {
		case v.broken && baseline:
			if !known {
				p.st.Broken[key] = brokenProject{Since: w.cfg.Now(), Quiet: true}
				p.dirty = true
			}
		case v.broken && (!known || b.pending()):
			if err := p.alert(ctx, key, v, b, known); err != nil {
				return err
			}
		case !v.broken && known:
			delete(p.st.Broken, key)
			p.dirty = true
			if b.Ref == "" {
				continue
			}
			if err := p.heal(ctx, key, v, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// alert tells the sink a project broke, with its diagnosis and causes, and
// saves the state at once, so that a crash does not repeat the alert.
func (p *poll) alert(ctx context.Context, key string, v verdict, b brokenProject, known bool) error {
	w := p.w
	now := w.cfg.Now()
	if !known {
		b = brokenProject{Since: now}
	}
	d := v.d
	if d == nil {
		var ok bool
		var err error
		if v, ok, err = p.diagnose(ctx, key); err != nil || !ok {
			return err
		}
		d = v.d
	}
	if !v.broken {
		return nil // healthy again already
	}
	causes, err := w.engine.Causes(ctx, d, repair.CauseClock(func() time.Time { return w.cfg.Now().Add(causeSlack) }))
	if err != nil {
		w.log.Warn("could not read the audit log for the cause", "project", key, "err", err)
	}
	d.Causes = causes
	if held, err := w.hold(ctx); err != nil {
		return err
	} else if !held {
		return errLostLease
	}
	ref, err := w.sink.Broke(ctx, key, d)
	if err != nil {
		w.log.Warn("could not post the alert; trying again at the next poll", "project", key, "err", err)
		p.st.Broken[key] = b
		p.dirty = true
		return nil
	}
	b.Ref = ref
	p.st.Broken[key] = b
	w.log.Info("project broke: alerted", "project", key, "ref", ref)
	if w.cfg.Observer.Alerted != nil {
		w.cfg.Observer.Alerted()
	}
	return w.save(ctx, p.st)
}

// heal tells the sink an alerted project is healthy again, naming who made
// the change when the log says.
func (p *poll) heal(ctx context.Context, key string, v verdict, b brokenProject) error {
	w := p.w
	h := Heal{Project: key, Ref: b.Ref, BrokeAt: b.Since}
	if v.by != nil {
		h.At = v.by.Created
		h.By = w.name(ctx, v.by.AuthorAccountID)
	}
	if held, err := w.hold(ctx); err != nil {
		return err
	} else if !held {
		return errLostLease
	}
	if err := w.sink.Healed(ctx, h); err != nil {
		w.log.Warn("could not update the alert of a healed project", "project", key, "ref", b.Ref, "err", err)
	} else {
		w.log.Info("project healthy again", "project", key, "ref", b.Ref, "by", h.By)
	}
	return w.save(ctx, p.st)
}

// name is an account's display name, or its accountId when Jira will not
// say; "" for no account.
func (w *Watcher) name(ctx context.Context, accountID string) string {
	if accountID == "" {
		return ""
	}
	u, err := w.jira.User(ctx, accountID)
	if err != nil || u.DisplayName == "" {
		return accountID
	}
	return u.DisplayName
}

// shortDuration writes 5m for 5m0s and 1h for 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
