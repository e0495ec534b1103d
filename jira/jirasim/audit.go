package jirasim

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The audit log: GET /rest/api/3/auditing/record.
//
// Every change to permission schemes is recorded in Jira's shape (from the
// real records in testdata/jira-samples/derived-audit-permission-scheme-
// records.json and reference §9), whoever makes it: the REST API (the
// author is the account the credentials log in as, [AdminAccountID]) or
// the simulator's own helpers (the author is [OwnerAccountID] unless
// [Server.SetChangeAuthor] says otherwise). The seeded site starts with an
// empty log, as if older records had expired.
//
//   - "Permission scheme created": objectItem SCHEME, changedValues
//     Description and Name (changedTo only), then one "Permission scheme
//     updated" per grant.
//   - "Permission scheme updated": objectItem SCHEME; a grant added has
//     changedValues Value (for holders with a parameter), Type and
//     Permission with changedFrom "" and the labels in changedTo; a grant
//     removed the same with the labels in changedFrom and changedTo "". A
//     new name or description is Name / Description from → to.
//   - "Permission scheme deleted": objectItem SCHEME.
//   - "Permission scheme removed from project" and "Permission scheme added
//     to project": objectItem PROJECT, associatedItems the SCHEME.
//
// Labels: permissions by their display names ("Browse Projects"); holder
// types as Jira's UI names them: "Service Project Customer - Portal Access"
// and "Project Role" (with the role's name as Value) are confirmed by the
// sample, the others ("Application access", "Group", "Single user", …) are
// the simulator's reading of the UI. Records are listed newest first.

// OwnerAccountID is a second site administrator, a person: the author of
// the changes made through the simulator's helpers (see
// [Server.SetChangeAuthor]).
const OwnerAccountID = "5b10a2844c20165700ede2aa"

const (
	auditCategory   = "permissions"
	auditDefault    = 1000 // default limit of the audit log
	auditMax        = 1000
	jiraTimeLayout  = "2006-01-02T15:04:05.000-0700"
	typeNameScheme  = "SCHEME"
	typeNameProject = "PROJECT"
)

// Audit summaries.
const (
	sumSchemeCreated = "Permission scheme created"
	sumSchemeUpdated = "Permission scheme updated"
	sumSchemeDeleted = "Permission scheme deleted"
	sumSchemeRemoved = "Permission scheme removed from project"
	sumSchemeAdded   = "Permission scheme added to project"
)

// actor is who makes the change being applied.
type actor struct {
	accountID string
	remote    string // remote address; empty for helpers
}

// auditRecord is one record, stored in its wire form.
type auditRecord = wireAuditRecord

// wireAuditItem is AssociatedItemBean.
type wireAuditItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	TypeName   string `json:"typeName"`
	ParentID   string `json:"parentId,omitempty"`
	ParentName string `json:"parentName,omitempty"`
}

// wireChangedValue is ChangedValueBean. The real "created" records carry
// no changedFrom, hence the pointer.
type wireChangedValue struct {
	FieldName   string  `json:"fieldName"`
	ChangedFrom *string `json:"changedFrom,omitempty"`
	ChangedTo   string  `json:"changedTo"`
}

// wireAuditRecord is AuditRecordBean.
type wireAuditRecord struct {
	ID              int64              `json:"id"`
	Summary         string             `json:"summary"`
	RemoteAddress   string             `json:"remoteAddress,omitempty"`
	AuthorKey       string             `json:"authorKey,omitempty"`
	AuthorAccountID string             `json:"authorAccountId,omitempty"`
	Created         string             `json:"created"`
	Category        string             `json:"category"`
	EventSource     string             `json:"eventSource"`
	ObjectItem      wireAuditItem      `json:"objectItem"`
	ChangedValues   []wireChangedValue `json:"changedValues,omitempty"`
	AssociatedItems []wireAuditItem    `json:"associatedItems,omitempty"`

	at time.Time // created, for from/to
}

// wireAuditRecords is AuditRecords.
type wireAuditRecords struct {
	Offset  int               `json:"offset"`
	Limit   int               `json:"limit"`
	Total   int               `json:"total"`
	Records []wireAuditRecord `json:"records"`
}

// record appends a record made by st.by at the clock's time. Nothing is
// recorded while the site is being seeded.
func (st *state) record(summary string, object wireAuditItem, changed []wireChangedValue, associated ...wireAuditItem) {
	if !st.recording {
		return
	}
	at := st.now()
	st.audit = append(st.audit, &auditRecord{
		ID:              st.nextAuditID,
		Summary:         summary,
		RemoteAddress:   st.by.remote,
		AuthorAccountID: st.by.accountID,
		Created:         at.UTC().Format(jiraTimeLayout),
		Category:        auditCategory,
		EventSource:     "",
		ObjectItem:      object,
		ChangedValues:   changed,
		AssociatedItems: associated,
		at:              at,
	})
	st.nextAuditID++
}

func schemeItem(sc *scheme) wireAuditItem {
	return wireAuditItem{ID: strconv.FormatInt(sc.id, 10), Name: sc.name, TypeName: typeNameScheme}
}

func projectItem(p *project) wireAuditItem {
	return wireAuditItem{ID: strconv.FormatInt(p.ID, 10), Name: p.Name, TypeName: typeNameProject}
}

// added and removed are changed values of a field set or cleared.
func added(field, v string) wireChangedValue {
	empty := ""
	return wireChangedValue{FieldName: field, ChangedFrom: &empty, ChangedTo: v}
}

func removed(field, v string) wireChangedValue {
	return wireChangedValue{FieldName: field, ChangedFrom: &v, ChangedTo: ""}
}

// recordSchemeCreated writes the creation of sc (its grants follow as
// recordGrant calls).
func (st *state) recordSchemeCreated(sc *scheme) {
	if !st.recording {
		return
	}
	var cv []wireChangedValue
	if sc.description != "" {
		cv = append(cv, wireChangedValue{FieldName: "Description", ChangedTo: sc.description})
	}
	cv = append(cv, wireChangedValue{FieldName: "Name", ChangedTo: sc.name})
	st.record(sumSchemeCreated, schemeItem(sc), cv)
}

// recordGrant writes a grant added to (add) or removed from sc.
func (st *state) recordGrant(sc *scheme, g Grant, add bool) {
	if !st.recording {
		return
	}
	typ, value := st.holderLabels(g)
	perm := g.Permission
	if def, ok := lookupPermission(g.Permission); ok {
		perm = def.Name
	}
	change := removed
	if add {
		change = added
	}
	var cv []wireChangedValue
	if value != "" {
		cv = append(cv, change("Value", value))
	}
	cv = append(cv, change("Type", typ), change("Permission", perm))
	st.record(sumSchemeUpdated, schemeItem(sc), cv)
}

// recordAssignment writes a project moving from one scheme to another (old
// nil: a new project).
func (st *state) recordAssignment(p *project, old, now *scheme) {
	if !st.recording {
		return
	}
	if old != nil {
		st.record(sumSchemeRemoved, projectItem(p), nil, schemeItem(old))
	}
	st.record(sumSchemeAdded, projectItem(p), nil, schemeItem(now))
}

// holderLabels names a grant's holder type and value as Jira's audit log
// shows them.
func (st *state) holderLabels(g Grant) (typ, value string) {
	switch g.HolderType {
	case holderPortalAccess:
		return "Service Project Customer - Portal Access", ""
	case holderProjectRole:
		id, _ := strconv.ParseInt(g.HolderParameter, 10, 64)
		if rl, ok := st.roleByID(id); ok {
			return "Project Role", rl.name
		}
		return "Project Role", g.HolderParameter
	case holderApplicationRole:
		if g.HolderParameter == "" {
			return "Application access", "Any logged in user"
		}
		return "Application access", g.HolderParameter
	case "group":
		return "Group", g.HolderParameter
	case "user":
		if u := st.userByID(g.HolderParameter); u != nil {
			return "Single user", u.DisplayName
		}
		return "Single user", g.HolderParameter
	case "anyone":
		return "Anyone", ""
	case "assignee":
		return "Current Assignee", ""
	case "reporter":
		return "Reporter", ""
	case "projectLead":
		return "Project Lead", ""
	case "groupCustomField":
		return "Group Custom Field Value", g.HolderParameter
	case "userCustomField":
		return "User Custom Field Value", g.HolderParameter
	}
	return g.HolderType, g.HolderParameter
}

// remoteHost is the client's address without the port.
func remoteHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// parseAuditTime reads a from/to value: Jira's own timestamp form, RFC
// 3339, a date, or epoch milliseconds.
func parseAuditTime(v string) (time.Time, bool) {
	for _, layout := range []string{jiraTimeLayout, "2006-01-02T15:04:05-0700", time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), true
	}
	return time.Time{}, false
}

// matches reports whether every term of filter occurs (case-insensitively)
// in one of the fields the spec lists.
func (rec *auditRecord) matches(terms []string) bool {
	fields := []string{rec.Summary, rec.Category, rec.EventSource, rec.ObjectItem.Name, rec.ObjectItem.ParentName, rec.ObjectItem.TypeName, rec.RemoteAddress}
	for _, cv := range rec.ChangedValues {
		if cv.ChangedFrom != nil {
			fields = append(fields, *cv.ChangedFrom)
		}
		fields = append(fields, cv.ChangedTo)
	}
	for _, t := range terms {
		if !slices.ContainsFunc(fields, func(f string) bool { return strings.Contains(strings.ToLower(f), t) }) {
			return false
		}
	}
	return true
}

// GET /auditing/record
func (s *Server) auditRecords(r *http.Request) reply {
	st, q := s.st, r.URL.Query()
	if !st.global["ADMINISTER"] || !st.auditAvailable {
		return platformErr(http.StatusForbidden, msgNoPermission)
	}
	offset, rep := intParam(q, "offset", 0)
	if rep != nil {
		return *rep
	}
	limit, rep := intParam(q, "limit", auditDefault)
	if rep != nil {
		return *rep
	}
	offset = max(offset, 0)
	if limit < 1 {
		limit = auditDefault
	}
	limit = min(limit, auditMax)
	var from, to time.Time
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, good := parseAuditTime(v)
		if !good {
			return platformErr(http.StatusBadRequest, fmt.Sprintf("The value '%s' is invalid for the parameter '%s'.", v, p.name))
		}
		*p.t = t
	}
	terms := strings.Fields(strings.ToLower(q.Get("filter")))

	var match []*auditRecord
	for i := len(st.audit) - 1; i >= 0; i-- { // newest first
		rec := st.audit[i]
		if !from.IsZero() && rec.at.Before(from) || !to.IsZero() && rec.at.After(to) || !rec.matches(terms) {
			continue
		}
		match = append(match, rec)
	}
	out := wireAuditRecords{Offset: offset, Limit: limit, Total: len(match), Records: []wireAuditRecord{}}
	for i := offset; i < len(match) && len(out.Records) < min(limit, s.cfg.pageSize); i++ {
		out.Records = append(out.Records, *match[i])
	}
	return ok(out)
}

// SetChangeAuthor makes accountID the author of the changes made through
// the simulator's helpers from now on ([OwnerAccountID] at first). It
// panics if the account does not exist.
func (s *Server) SetChangeAuthor(accountID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.userByID(accountID) == nil {
		panic("jirasim: SetChangeAuthor: no account " + accountID)
	}
	s.changeAuthor = accountID
}

// SetAuditLogAvailable makes GET auditing/record answer 403 (false), as on
// a site whose Jira products are all on free plans, or serve it again.
// Changes are recorded either way.
func (s *Server) SetAuditLogAvailable(available bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.auditAvailable = available
}
