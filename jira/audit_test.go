package jira_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// collect reads every record of q.
func collect(t *testing.T, c *jira.Client, q jira.AuditQuery) []jira.AuditRecord {
	t.Helper()
	var out []jira.AuditRecord
	for rec, err := range c.AuditRecords(t.Context(), q) {
		if err != nil {
			t.Fatalf("AuditRecords: %v", err)
		}
		out = append(out, rec)
	}
	return out
}

// TestAuditRecords reads back, newest first and across pages, what the
// bot changed through the client and what an admin changed behind its
// back: who, when, what.
func TestAuditRecords(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New()
	c, sim := newTestClient(t, []jirasim.Option{jirasim.WithClock(clock.Now)})
	ctx := t.Context()
	nopa, _ := sim.ProjectSchemeID("NOPA")
	portal := jira.Holder{Type: "sd.customer.portal.only"}
	g, err := c.AddGrant(ctx, nopa, jira.Grant{Holder: portal, Permission: "BROWSE_PROJECTS"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	sim.SetChangeAuthor(jirasim.AgentAccountID)
	sim.RemoveGrants(nopa, g.ID)
	clock.Advance(time.Hour)
	if err := c.AssignPermissionScheme(ctx, "NOPA", 0); err != nil {
		t.Fatal(err)
	}

	scheme := jira.AuditItem{ID: strconv.FormatInt(nopa, 10), Name: sim.SchemeName(nopa), TypeName: "SCHEME"}
	project, _ := sim.Project("NOPA")
	projectItem := jira.AuditItem{ID: strconv.FormatInt(project.ID, 10), Name: project.Name, TypeName: "PROJECT"}
	defaultItem := jira.AuditItem{ID: "0", Name: "Default Permission Scheme", TypeName: "SCHEME"}
	rec := func(d time.Duration, author, summary string, obj jira.AuditItem, assoc []jira.AuditItem, cv ...jira.ChangedValue) jira.AuditRecord {
		return jira.AuditRecord{Summary: summary, Category: "permissions", AuthorAccountID: author,
			Created: fakeclock.Start.Add(d), ObjectItem: obj, AssociatedItems: assoc, ChangedValues: cv}
	}
	want := []jira.AuditRecord{
		rec(2*time.Hour, jirasim.AdminAccountID, "Permission scheme added to project", projectItem, []jira.AuditItem{defaultItem}),
		rec(2*time.Hour, jirasim.AdminAccountID, "Permission scheme removed from project", projectItem, []jira.AuditItem{scheme}),
		rec(time.Hour, jirasim.AgentAccountID, "Permission scheme updated", scheme, nil,
			jira.ChangedValue{FieldName: "Type", ChangedFrom: "Service Project Customer - Portal Access"},
			jira.ChangedValue{FieldName: "Permission", ChangedFrom: "Browse Projects"}),
		rec(0, jirasim.AdminAccountID, "Permission scheme updated", scheme, nil,
			jira.ChangedValue{FieldName: "Type", ChangedTo: "Service Project Customer - Portal Access"},
			jira.ChangedValue{FieldName: "Permission", ChangedTo: "Browse Projects"}),
	}
	ignore := cmpopts.IgnoreFields(jira.AuditRecord{}, "ID", "RemoteAddress")
	got := collect(t, c, jira.AuditQuery{})
	if diff := cmp.Diff(want, got, ignore); diff != "" {
		t.Errorf("AuditRecords mismatch (-want +got):\n%s", diff)
	}

	tests := []struct {
		name string
		q    jira.AuditQuery
		want []jira.AuditRecord
	}{
		{"from", jira.AuditQuery{From: fakeclock.Start.Add(time.Hour)}, want[:3]},
		{"to", jira.AuditQuery{To: fakeclock.Start.Add(time.Hour)}, want[2:]},
		{"from and to", jira.AuditQuery{From: fakeclock.Start.Add(time.Hour), To: fakeclock.Start.Add(time.Hour)}, want[2:3]},
		{"filter", jira.AuditQuery{Filter: "portal browse"}, want[2:]},
		{"filter on the project", jira.AuditQuery{Filter: "from project"}, want[1:2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, collect(t, c, tt.q), ignore); diff != "" {
				t.Errorf("AuditRecords(%+v) mismatch (-want +got):\n%s", tt.q, diff)
			}
		})
	}
}

// TestAuditRecordsWhileChanging: records written during the walk shift
// Jira's offsets; every record is still yielded exactly once.
func TestAuditRecordsWhileChanging(t *testing.T) {
	t.Parallel()
	c, sim := newTestClient(t, []jirasim.Option{jirasim.WithSeed(jirasim.ScenarioPortalAccessMissing)})
	nopa, _ := sim.ProjectSchemeID("NOPA")
	add := func(perm string) {
		sim.AddGrants(nopa, jirasim.Grant{HolderType: "projectRole", HolderParameter: "10002", Permission: perm})
	}
	before := []string{"BROWSE_PROJECTS", "CREATE_ISSUES", "MANAGE_WATCHERS", "EDIT_ISSUES", "LINK_ISSUES"}
	for _, p := range before {
		add(p)
	}
	var ids []int64
	for rec, err := range c.AuditRecords(t.Context(), jira.AuditQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 {
			add("CLOSE_ISSUES") // lands on top and pushes the rest down
		}
		ids = append(ids, rec.ID)
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("record %d yielded twice: %v", id, ids)
		}
		seen[id] = true
	}
	if len(ids) < len(before) {
		t.Errorf("yielded %d records, want at least the %d made before: %v", len(ids), len(before), ids)
	}
}

func TestAuditRecordsErrorsAndStop(t *testing.T) {
	t.Parallel()
	t.Run("forbidden", func(t *testing.T) {
		t.Parallel()
		c, sim := newTestClient(t, nil)
		sim.SetAuditLogAvailable(false)
		var got error
		for _, err := range c.AuditRecords(t.Context(), jira.AuditQuery{}) {
			got = err
		}
		if !errors.Is(got, jira.ErrForbidden) {
			t.Errorf("err = %v, want ErrForbidden", got)
		}
	})
	t.Run("stop early", func(t *testing.T) {
		t.Parallel()
		c, sim := newTestClient(t, nil)
		nopa, _ := sim.ProjectSchemeID("NOPA")
		for _, p := range []string{"BROWSE_PROJECTS", "CREATE_ISSUES", "MANAGE_WATCHERS"} {
			sim.AddGrants(nopa, jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: p})
		}
		sim.ResetRequests()
		for range c.AuditRecords(t.Context(), jira.AuditQuery{}) {
			break
		}
		if n := len(sim.Requests()); n != 1 {
			t.Errorf("stopping after the first record sent %d requests, want 1", n)
		}
	})
}

// TestAuditRecordJSON: a record keeps its fields, Created included, through
// a round trip, and reads Jira's timestamp form.
func TestAuditRecordJSON(t *testing.T) {
	t.Parallel()
	const real = `{"id":10163,"summary":"Permission scheme updated","created":"2021-01-02T02:02:12.438+0000","category":"permissions","eventSource":"","objectItem":{"id":"10001","name":"Jira Service Management Permission Scheme for Project DESK","typeName":"SCHEME"},"changedValues":[{"fieldName":"Type","changedFrom":"","changedTo":"Service Project Customer - Portal Access"},{"fieldName":"Permission","changedFrom":"","changedTo":"Delete Own Attachments"}]}`
	var rec jira.AuditRecord
	if err := json.Unmarshal([]byte(real), &rec); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2021, 1, 2, 2, 2, 12, 438e6, time.UTC); !rec.Created.Equal(want) {
		t.Errorf("Created = %v, want %v", rec.Created, want)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var again jira.AuditRecord
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec, again); diff != "" {
		t.Errorf("round trip mismatch (-first +second):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"id":1,"created":"yesterday"}`), &rec); err == nil {
		t.Error("a record with an unreadable created time was accepted")
	}
}
