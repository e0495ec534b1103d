package repair

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
)

// Who and when: the cause of a broken diagnosis, read from Jira's audit log
// (issue 11, reference §9).
//
// A critical finding is caused by the last change that left the project's
// current scheme as it is: the grant's removal from the scheme (or, for a
// grant that must not be there, its addition), or the project's move to
// the scheme. [Engine.Causes] looks for both in a bounded window of the
// log, in two filtered reads run at once, and names each author once. It
// never guesses: a log it cannot read or that holds nothing matching gives
// no cause, and [AuditCauses.Log] says which of the two it was.

// AuditCauseKind says what kind of change caused a finding.
type AuditCauseKind string

// AuditCause kinds, as they appear in diagnose --json.
const (
	// AuditGrantRemoved: the missing grant was removed from the scheme.
	AuditGrantRemoved AuditCauseKind = "grant-removed"
	// AuditGrantAdded: the grant that must not be there was added to the
	// scheme.
	AuditGrantAdded AuditCauseKind = "grant-added"
	// AuditSchemeChanged: the project was moved to its current scheme.
	AuditSchemeChanged AuditCauseKind = "scheme-changed"
)

// AuditCause is the change the audit log holds for one finding: who made it,
// when, and to which scheme.
type AuditCause struct {
	Kind AuditCauseKind
	// AuthorAccountID is who made the change; empty when Jira recorded
	// none. AuthorName is their display name, or the accountId when Jira
	// would not say.
	AuthorAccountID string
	AuthorName      string
	// At is when the change was made.
	At time.Time
	// SchemeID and SchemeName are the scheme changed, or the one the
	// project was moved to.
	SchemeID   int64
	SchemeName string
	// FromScheme names the scheme the project was moved from (a
	// [AuditSchemeChanged] only; empty when the log does not say).
	FromScheme string
	// RecordID is the audit record's id.
	RecordID int64
}

// AuditLog says what became of the search in the audit log.
type AuditLog string

// Audit log states.
const (
	// AuditNotSearched: the diagnosis has no critical finding to explain.
	AuditNotSearched AuditLog = ""
	// AuditRead: the log was read; findings without a cause have none in
	// the window searched.
	AuditRead AuditLog = "read"
	// AuditUnreadable: Jira would not show the log (it needs Administer
	// Jira and a paid plan), so nothing is known.
	AuditUnreadable AuditLog = "unreadable"
)

// AuditCauses are the causes found for a diagnosis's findings.
type AuditCauses struct {
	Log AuditLog
	// ByFinding maps an index into the diagnosis's Report.Findings to its
	// cause; findings without a known cause are absent.
	ByFinding map[int]AuditCause
}

// Of returns the cause of finding i, if one is known.
func (c AuditCauses) Of(i int) (AuditCause, bool) {
	cause, ok := c.ByFinding[i]
	return cause, ok
}

// DefaultCauseWindow is how far back [Engine.Causes] reads the audit log
// unless [CauseWindow] says otherwise.
const DefaultCauseWindow = 90 * 24 * time.Hour

// maxCauseRecords bounds the records one read of the log examines: two of
// Jira's pages.
const maxCauseRecords = 2000

// causeSearch is the configuration of one Causes call.
type causeSearch struct {
	now    func() time.Time
	window time.Duration
}

// CauseOption configures one [Engine.Causes] search.
type CauseOption func(*causeSearch)

// CauseClock sets the clock whose present ends the search window (default
// time.Now).
func CauseClock(now func() time.Time) CauseOption {
	return func(s *causeSearch) { s.now = now }
}

// CauseWindow sets how far back the search reads (default
// [DefaultCauseWindow]).
func CauseWindow(d time.Duration) CauseOption {
	return func(s *causeSearch) { s.window = d }
}

// Audit summaries of permission-scheme changes (reference §9).
const (
	auditSchemeUpdated = "Permission scheme updated"
	auditSchemeAdded   = "Permission scheme added to project"
	auditSchemeRemoved = "Permission scheme removed from project"
)

// Causes finds in Jira's audit log the cause of each critical finding of d
// (see the comment at the top of cause.go). It costs two reads of the log,
// run at once, and one user lookup per author; a diagnosis without
// critical findings costs nothing. Front ends keep the result in
// d.Causes.
//
// A log Jira refuses to show (403) is not an error: the result says
// [AuditUnreadable] and holds no cause. Any other failure to read the log
// is returned with the same result, for the caller to log; the diagnosis
// stands without causes either way.
func (e *Engine) Causes(ctx context.Context, d *Diagnosis, opts ...CauseOption) (AuditCauses, error) {
	cfg := causeSearch{now: time.Now, window: DefaultCauseWindow}
	for _, o := range opts {
		o(&cfg)
	}
	wants := wantedChanges(d)
	if len(wants) == 0 {
		return AuditCauses{}, nil
	}
	to := cfg.now()
	q := jira.AuditQuery{From: to.Add(-cfg.window), To: to}
	scheme, project := d.Snapshot.Scheme, d.Snapshot.Project

	var (
		wg                      sync.WaitGroup
		updates, moves          []jira.AuditRecord
		updatesErr, movesErr    error
		schemeQuery, projectQry = q, q
	)
	schemeQuery.Filter = auditSchemeUpdated + " " + scheme.Name
	projectQry.Filter = "Permission scheme " + project.Name
	wg.Go(func() { updates, updatesErr = e.auditRecords(ctx, schemeQuery) })
	wg.Go(func() { moves, movesErr = e.auditRecords(ctx, projectQry) })
	wg.Wait()
	if err := errors.Join(updatesErr, movesErr); err != nil {
		if errors.Is(err, jira.ErrForbidden) {
			e.log.Debug("the audit log is unreadable", "project", project.Key)
			return AuditCauses{Log: AuditUnreadable}, nil
		}
		return AuditCauses{Log: AuditUnreadable}, fmt.Errorf("read the audit log for %s: %w", project.Key, err)
	}

	schemeID := strconv.FormatInt(scheme.ID, 10)
	move, moveFrom := lastMove(moves, project, schemeID)
	out := AuditCauses{Log: AuditRead, ByFinding: map[int]AuditCause{}}
	for _, w := range wants {
		var best *jira.AuditRecord
		for i := range updates {
			if r := &updates[i]; isScheme(r.ObjectItem, schemeID, scheme.Name) && w.matches(r) {
				best = newer(best, r)
			}
		}
		c := AuditCause{SchemeID: scheme.ID, SchemeName: scheme.Name}
		switch {
		case move != nil && newer(best, move) == move:
			c.Kind, c.FromScheme, best = AuditSchemeChanged, moveFrom, move
		case best != nil && w.removed:
			c.Kind = AuditGrantRemoved
		case best != nil:
			c.Kind = AuditGrantAdded
		default:
			continue
		}
		c.AuthorAccountID, c.At, c.RecordID = best.AuthorAccountID, best.Created, best.ID
		out.ByFinding[w.finding] = c
	}
	if err := e.nameAuthors(ctx, out.ByFinding); err != nil {
		return out, err
	}
	return out, nil
}

// auditRecords reads at most maxCauseRecords records q selects.
func (e *Engine) auditRecords(ctx context.Context, q jira.AuditQuery) ([]jira.AuditRecord, error) {
	var out []jira.AuditRecord
	for r, err := range e.jira.AuditRecords(ctx, q) {
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		if len(out) == maxCauseRecords {
			break
		}
	}
	return out, nil
}

// nameAuthors fills in the authors' display names, asking Jira once per
// account; an account Jira will not show is named by its accountId.
func (e *Engine) nameAuthors(ctx context.Context, causes map[int]AuditCause) error {
	names := map[string]string{}
	for i, c := range causes {
		if c.AuthorAccountID == "" {
			continue
		}
		name, seen := names[c.AuthorAccountID]
		if !seen {
			name = c.AuthorAccountID
			u, err := e.jira.User(ctx, c.AuthorAccountID)
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case err != nil:
				e.log.Debug("cannot name the author of a change", "accountId", c.AuthorAccountID, "err", err)
			case u.DisplayName != "":
				name = u.DisplayName
			}
			names[c.AuthorAccountID] = name
		}
		c.AuthorName = name
		causes[i] = c
	}
	return nil
}

// wantedChange is the scheme change that would explain one finding.
type wantedChange struct {
	finding int
	// removed: the grant is missing and its removal is wanted; otherwise it
	// is present and its addition is.
	removed bool
	holder  func(typ, value string) bool
	perm    string // the permission key
}

// wantedChanges lists, for each critical finding about one grant, the
// change that would explain it.
func wantedChanges(d *Diagnosis) []wantedChange {
	if !d.Report.Applicable || d.Report.Healthy {
		return nil
	}
	roleName := map[string]string{}
	for name, id := range d.Snapshot.Roles {
		roleName[id] = name
	}
	var out []wantedChange
	for i, f := range d.Report.Findings {
		if f.Severity != diagnosis.Critical || f.Permission == "" {
			continue
		}
		w := wantedChange{finding: i, perm: f.Permission, removed: !hasGrant(d.Snapshot.Scheme, f.Holder, f.Permission)}
		switch f.Holder.Type {
		case diagnosis.HolderPortalAccess:
			w.holder = func(typ, _ string) bool { return isPortalAccessLabel(typ) }
		case diagnosis.HolderProjectRole:
			name, ok := roleName[f.Holder.Parameter]
			if !ok {
				continue
			}
			w.holder = func(typ, value string) bool {
				return strings.EqualFold(typ, "Project Role") && strings.EqualFold(value, name)
			}
		default:
			continue
		}
		out = append(out, w)
	}
	return out
}

// isPortalAccessLabel reports whether an audit record's holder type is the
// Portal Access security type under any of the names it has had: "Service
// Desk Customer - Portal Access", "Service Project Customer - Portal
// Access", "Space Customer - Portal Access".
func isPortalAccessLabel(typ string) bool {
	return strings.HasSuffix(strings.ToLower(strings.TrimSpace(typ)), "customer - portal access")
}

// permissionMatches reports whether an audit record's permission label
// names the permission key: Jira writes display names ("Browse Projects"
// for BROWSE_PROJECTS).
func permissionMatches(label, key string) bool {
	label = strings.TrimSpace(label)
	return strings.EqualFold(label, key) || strings.EqualFold(label, strings.ReplaceAll(key, "_", " "))
}

// matches reports whether r is the change w wants: a scheme update whose
// changed values add or remove the grant.
func (w wantedChange) matches(r *jira.AuditRecord) bool {
	if r.Summary != auditSchemeUpdated {
		return false
	}
	var typ, value, perm string
	var have struct{ typ, perm bool }
	for _, cv := range r.ChangedValues {
		v, other := cv.ChangedTo, cv.ChangedFrom
		if w.removed {
			v, other = cv.ChangedFrom, cv.ChangedTo
		}
		if other != "" {
			continue // a rename or a change the other way
		}
		switch cv.FieldName {
		case "Type":
			typ, have.typ = v, true
		case "Value":
			value = v
		case "Permission":
			perm, have.perm = v, true
		}
	}
	return have.typ && have.perm && w.holder(typ, value) && permissionMatches(perm, w.perm)
}

// lastMove returns the newest record of the project's move to the scheme
// and the name of the scheme it left, when the log says.
func lastMove(records []jira.AuditRecord, p diagnosis.Project, schemeID string) (*jira.AuditRecord, string) {
	var move *jira.AuditRecord
	for i := range records {
		r := &records[i]
		if r.Summary == auditSchemeAdded && isProject(r.ObjectItem, p) && associatesScheme(r, schemeID) {
			move = newer(move, r)
		}
	}
	if move == nil {
		return nil, ""
	}
	// Jira writes the removal from the old scheme just before the addition.
	var left *jira.AuditRecord
	for i := range records {
		r := &records[i]
		if r.Summary != auditSchemeRemoved || !isProject(r.ObjectItem, p) || r.ID > move.ID ||
			r.Created.After(move.Created) || move.Created.Sub(r.Created) > time.Minute {
			continue
		}
		left = newer(left, r)
	}
	if left == nil {
		return move, ""
	}
	for _, it := range left.AssociatedItems {
		if it.TypeName == "SCHEME" {
			return move, it.Name
		}
	}
	return move, ""
}

// newer returns the more recent of two records (nil is older than any).
func newer(a, b *jira.AuditRecord) *jira.AuditRecord {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case b.Created.After(a.Created) || b.Created.Equal(a.Created) && b.ID > a.ID:
		return b
	}
	return a
}

func isScheme(it jira.AuditItem, id, name string) bool {
	if it.TypeName != "" && it.TypeName != "SCHEME" {
		return false
	}
	if it.ID != "" {
		return it.ID == id
	}
	return it.Name == name
}

func isProject(it jira.AuditItem, p diagnosis.Project) bool {
	if it.TypeName != "" && it.TypeName != "PROJECT" {
		return false
	}
	if it.ID != "" {
		return it.ID == p.ID
	}
	return it.Name == p.Name
}

func associatesScheme(r *jira.AuditRecord, id string) bool {
	for _, it := range r.AssociatedItems {
		if it.TypeName == "SCHEME" && it.ID == id {
			return true
		}
	}
	return false
}

// hasGrant reports whether the scheme grants perm to h.
func hasGrant(s diagnosis.Scheme, h diagnosis.Holder, perm string) bool {
	for _, g := range s.Grants {
		if g.Holder == h && g.Permission == perm {
			return true
		}
	}
	return false
}

// causeTimeLayout is how a cause's time is written: in UTC, to the minute.
const causeTimeLayout = "2006-01-02 15:04 UTC"

// Sentence says the cause in words for an admin, scheme names passed
// through mark (a quote; nil leaves them bare): "Removed by Olivia Owner on
// 2026-03-02 09:00 UTC." or "The project was moved to scheme "X" (from
// "Y") by … on …". Front ends that need escaping escape the whole.
func (c AuditCause) Sentence(mark func(string) string) string {
	if mark == nil {
		mark = func(s string) string { return s }
	}
	var b strings.Builder
	switch c.Kind {
	case AuditSchemeChanged:
		b.WriteString("The project was moved to scheme " + mark(c.SchemeName))
		if c.FromScheme != "" {
			b.WriteString(" (from " + mark(c.FromScheme) + ")")
		}
	case AuditGrantAdded:
		b.WriteString("Granted")
	default:
		b.WriteString("Removed")
	}
	if name := cmp.Or(c.AuthorName, c.AuthorAccountID); name != "" {
		b.WriteString(" by " + name)
	}
	b.WriteString(" on " + c.At.UTC().Format(causeTimeLayout) + ".")
	return b.String()
}
