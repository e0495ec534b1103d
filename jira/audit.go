package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// AuditRecord is one record of Jira's audit log (GET
// /rest/api/3/auditing/record).
type AuditRecord struct {
	ID int64 `json:"id"`
	// Summary says what happened, e.g. "Permission scheme updated" or
	// "Permission scheme added to project".
	Summary  string `json:"summary"`
	Category string `json:"category"`
	// EventSource is usually empty.
	EventSource string `json:"eventSource"`
	// AuthorAccountID is who made the change.
	AuthorAccountID string `json:"authorAccountId"`
	RemoteAddress   string `json:"remoteAddress"`
	// Created is when the change was made.
	Created time.Time `json:"-"`
	// ObjectItem is what changed: a SCHEME or a PROJECT (TypeName).
	ObjectItem AuditItem `json:"objectItem"`
	// AssociatedItems are related objects, e.g. the SCHEME of a project
	// assignment.
	AssociatedItems []AuditItem `json:"associatedItems"`
	// ChangedValues are the fields changed; for a grant: Type (the holder
	// type's label), Permission (the permission's name) and, for holders
	// with one, Value.
	ChangedValues []ChangedValue `json:"changedValues"`
}

// AuditItem is an object an audit record names.
type AuditItem struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	TypeName   string `json:"typeName"`
	ParentID   string `json:"parentId"`
	ParentName string `json:"parentName"`
}

// ChangedValue is one field of an audit record's change. A value added has
// an empty ChangedFrom, a value removed an empty ChangedTo.
type ChangedValue struct {
	FieldName   string `json:"fieldName"`
	ChangedFrom string `json:"changedFrom"`
	ChangedTo   string `json:"changedTo"`
}

// UnmarshalJSON reads a record, Created in Jira's timestamp form
// (2021-01-02T02:02:12.939+0000) or RFC 3339.
func (r *AuditRecord) UnmarshalJSON(b []byte) error {
	type plain AuditRecord
	var w struct {
		plain
		Created string `json:"created"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = AuditRecord(w.plain)
	if w.Created == "" {
		return nil
	}
	t, err := parseJiraTime(w.Created)
	if err != nil {
		return fmt.Errorf("jira: audit record %d: created %q: %w", r.ID, w.Created, err)
	}
	r.Created = t
	return nil
}

// MarshalJSON writes the record as Jira does, Created in Jira's timestamp
// form, so a record survives a round trip.
func (r AuditRecord) MarshalJSON() ([]byte, error) {
	type plain AuditRecord
	w := struct {
		plain
		Created string `json:"created,omitempty"`
	}{plain: plain(r)}
	if !r.Created.IsZero() {
		w.Created = r.Created.Format(jiraTimeLayout)
	}
	return json.Marshal(w)
}

// jiraTimeLayout is Jira's timestamp form.
const jiraTimeLayout = "2006-01-02T15:04:05.000-0700"

func parseJiraTime(s string) (time.Time, error) {
	if t, err := time.Parse(jiraTimeLayout, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// AuditQuery selects audit records for [Client.AuditRecords]. The zero
// value selects every record.
type AuditQuery struct {
	// From and To bound the records' creation time, both inclusive; zero
	// leaves that end open.
	From, To time.Time
	// Filter is space-separated terms; Jira keeps the records in which every
	// term occurs in the summary, category, object, changed values or
	// remote address.
	Filter string
}

// auditPageSize is Jira's default and largest page of audit records.
const auditPageSize = 1000

// auditRecords is AuditRecords.
type auditRecords struct {
	Offset  int           `json:"offset"`
	Limit   int           `json:"limit"`
	Total   int           `json:"total"`
	Records []AuditRecord `json:"records"`
}

// AuditRecords iterates over the audit records q selects, newest first,
// following pages. It needs Administer Jira ([ErrForbidden] otherwise, and
// also on sites whose products are all on free plans). It stops at the
// first error, which it yields. Records created while it runs shift Jira's
// offsets; a record seen twice is yielded once, and pinning q.To keeps the
// pages stable.
func (c *Client) AuditRecords(ctx context.Context, q AuditQuery) iter.Seq2[AuditRecord, error] {
	return func(yield func(AuditRecord, error) bool) {
		seen := map[int64]bool{}
		for rec, err := range paginate(ctx, func(ctx context.Context, start int) ([]AuditRecord, int, error) {
			p, err := c.auditPage(ctx, q, start)
			if err != nil {
				return nil, 0, err
			}
			next := p.Offset + len(p.Records)
			if len(p.Records) == 0 || next >= p.Total {
				next = -1
			}
			return p.Records, next, nil
		}) {
			if err == nil && seen[rec.ID] {
				continue
			}
			seen[rec.ID] = true
			if !yield(rec, err) {
				return
			}
		}
	}
}

// auditPage reads one page of the audit log from offset.
func (c *Client) auditPage(ctx context.Context, q AuditQuery, offset int) (*auditRecords, error) {
	v := url.Values{}
	v.Set("offset", strconv.Itoa(offset))
	v.Set("limit", strconv.Itoa(auditPageSize))
	if q.Filter != "" {
		v.Set("filter", q.Filter)
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(jiraTimeLayout))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(jiraTimeLayout))
	}
	var p auditRecords
	if err := c.do(ctx, request{method: http.MethodGet, path: "/rest/api/3/auditing/record", query: v}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}
