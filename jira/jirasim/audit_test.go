package jirasim_test

import (
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// auditItem, changed and auditRec are the test's own reading of Jira's
// AuditRecordBean, as the real sample has it.
type auditItem struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	TypeName string `json:"typeName"`
}

type changed struct {
	FieldName   string  `json:"fieldName"`
	ChangedFrom *string `json:"changedFrom"`
	ChangedTo   string  `json:"changedTo"`
}

type auditRec struct {
	ID              int64       `json:"id"`
	Summary         string      `json:"summary"`
	Created         string      `json:"created"`
	Category        string      `json:"category"`
	EventSource     *string     `json:"eventSource"`
	AuthorAccountID string      `json:"authorAccountId"`
	RemoteAddress   string      `json:"remoteAddress"`
	ObjectItem      auditItem   `json:"objectItem"`
	ChangedValues   []changed   `json:"changedValues"`
	AssociatedItems []auditItem `json:"associatedItems"`
}

type auditPage struct {
	Offset  int        `json:"offset"`
	Limit   int        `json:"limit"`
	Total   int        `json:"total"`
	Records []auditRec `json:"records"`
}

func str(s string) *string { return &s }

// idOf reads the id of a created object.
func idOf(t *testing.T, body []byte) string {
	t.Helper()
	return decode[struct {
		ID json.Number `json:"id"`
	}](t, body).ID.String()
}

// grantChange is the changedValues of a grant added (from "") or removed
// (to "").
func grantChange(add bool, kv ...string) []changed {
	var out []changed
	for i := 0; i < len(kv); i += 2 {
		if add {
			out = append(out, changed{FieldName: kv[i], ChangedFrom: str(""), ChangedTo: kv[i+1]})
		} else {
			out = append(out, changed{FieldName: kv[i], ChangedFrom: str(kv[i+1]), ChangedTo: ""})
		}
	}
	return out
}

// readAudit reads the whole log, newest first, following offset paging.
func readAudit(t *testing.T, s *jirasim.Server, query string) []auditRec {
	t.Helper()
	var all []auditRec
	for {
		r := do(t, s, "GET", "/rest/api/3/auditing/record?offset="+strconv.Itoa(len(all))+query, "")
		wantStatus(t, "audit", r, 200)
		p := decode[auditPage](t, r.Body)
		all = append(all, p.Records...)
		if len(p.Records) == 0 || len(all) >= p.Total {
			return all
		}
	}
}

// TestAuditRecordsEveryChange makes each kind of scheme change, through the
// REST API and behind its back through the helpers, and reads the log.
func TestAuditRecordsEveryChange(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New()
	s := jirasim.NewServer(t, jirasim.WithClock(clock.Now))
	if got := readAudit(t, s, ""); len(got) != 0 {
		t.Fatalf("the seeded site's log holds %d records, want none", len(got))
	}
	nopa, _ := s.ProjectSchemeID("NOPA")
	nopaName := s.SchemeName(nopa)
	nopaProject, _ := s.Project("NOPA")
	sid := strconv.FormatInt(nopa, 10)
	pid := strconv.FormatInt(nopaProject.ID, 10)
	scheme := auditItem{ID: sid, Name: nopaName, TypeName: "SCHEME"}
	project := auditItem{ID: pid, Name: nopaProject.Name, TypeName: "PROJECT"}

	// Through the REST API, as the bot.
	r := do(t, s, "POST", "/rest/api/3/permissionscheme/"+sid+"/permission", `{"holder":{"type":"sd.customer.portal.only"},"permission":"BROWSE_PROJECTS"}`)
	wantStatus(t, "add grant", r, 201)
	gid := idOf(t, r.Body)
	clock.Advance(time.Minute)
	wantStatus(t, "delete grant", do(t, s, "DELETE", "/rest/api/3/permissionscheme/"+sid+"/permission/"+gid, ""), 204)
	clock.Advance(time.Minute)
	r = do(t, s, "POST", "/rest/api/3/permissionscheme", `{"name":"Copy","description":"d","permissions":[{"holder":{"type":"projectRole","parameter":"10101"},"permission":"SERVICEDESK_AGENT"}]}`)
	wantStatus(t, "create scheme", r, 201)
	copyID := idOf(t, r.Body)
	copyItem := auditItem{ID: copyID, Name: "Copy", TypeName: "SCHEME"}
	wantStatus(t, "assign", do(t, s, "PUT", "/rest/api/3/project/NOPA/permissionscheme", `{"id":`+copyID+`}`), 200)
	wantStatus(t, "assign again", do(t, s, "PUT", "/rest/api/3/project/NOPA/permissionscheme", `{"id":`+copyID+`}`), 200)
	wantStatus(t, "rename", do(t, s, "PUT", "/rest/api/3/permissionscheme/"+copyID, `{"name":"Copy 2","description":"d"}`), 200)
	copyItem.Name = "Copy 2"
	wantStatus(t, "delete scheme", do(t, s, "DELETE", "/rest/api/3/permissionscheme/"+copyID, ""), 204)
	defaultItem := auditItem{ID: "0", Name: "Default Permission Scheme", TypeName: "SCHEME"}

	// Behind the client's back.
	clock.Advance(time.Hour)
	s.AssignScheme("NOPA", nopa)
	s.SetChangeAuthor(jirasim.AgentAccountID)
	g := s.AddGrants(nopa, jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: "CREATE_ISSUES"})
	s.RemoveGrants(nopa, g[0].ID)

	t0 := fakeclock.Start.UTC()
	at := func(d time.Duration) string { return t0.Add(d).Format("2006-01-02T15:04:05.000-0700") }
	bot := func(rec auditRec) auditRec {
		rec.AuthorAccountID, rec.RemoteAddress = jirasim.AdminAccountID, "127.0.0.1"
		return rec
	}
	by := func(who string, rec auditRec) auditRec { rec.AuthorAccountID = who; return rec }
	upd := "Permission scheme updated"
	want := []auditRec{ // oldest first; the log lists newest first
		bot(auditRec{Summary: upd, Created: at(0), ObjectItem: scheme,
			ChangedValues: grantChange(true, "Type", "Service Project Customer - Portal Access", "Permission", "Browse Projects")}),
		bot(auditRec{Summary: upd, Created: at(time.Minute), ObjectItem: scheme,
			ChangedValues: grantChange(false, "Type", "Service Project Customer - Portal Access", "Permission", "Browse Projects")}),
		bot(auditRec{Summary: "Permission scheme created", Created: at(2 * time.Minute), ObjectItem: auditItem{ID: copyID, Name: "Copy", TypeName: "SCHEME"},
			ChangedValues: []changed{{FieldName: "Description", ChangedTo: "d"}, {FieldName: "Name", ChangedTo: "Copy"}}}),
		bot(auditRec{Summary: upd, Created: at(2 * time.Minute), ObjectItem: auditItem{ID: copyID, Name: "Copy", TypeName: "SCHEME"},
			ChangedValues: grantChange(true, "Value", "Service Desk Team", "Type", "Project Role", "Permission", "Service Project Agent")}),
		bot(auditRec{Summary: "Permission scheme removed from project", Created: at(2 * time.Minute), ObjectItem: project, AssociatedItems: []auditItem{scheme}}),
		bot(auditRec{Summary: "Permission scheme added to project", Created: at(2 * time.Minute), ObjectItem: project, AssociatedItems: []auditItem{{ID: copyID, Name: "Copy", TypeName: "SCHEME"}}}),
		bot(auditRec{Summary: upd, Created: at(2 * time.Minute), ObjectItem: copyItem,
			ChangedValues: []changed{{FieldName: "Name", ChangedFrom: str("Copy"), ChangedTo: "Copy 2"}}}),
		bot(auditRec{Summary: "Permission scheme removed from project", Created: at(2 * time.Minute), ObjectItem: project, AssociatedItems: []auditItem{copyItem}}),
		bot(auditRec{Summary: "Permission scheme added to project", Created: at(2 * time.Minute), ObjectItem: project, AssociatedItems: []auditItem{defaultItem}}),
		bot(auditRec{Summary: "Permission scheme deleted", Created: at(2 * time.Minute), ObjectItem: copyItem}),
		by(jirasim.OwnerAccountID, auditRec{Summary: "Permission scheme removed from project", Created: at(62 * time.Minute), ObjectItem: project, AssociatedItems: []auditItem{defaultItem}}),
		by(jirasim.OwnerAccountID, auditRec{Summary: "Permission scheme added to project", Created: at(62 * time.Minute), ObjectItem: project, AssociatedItems: []auditItem{scheme}}),
		by(jirasim.AgentAccountID, auditRec{Summary: upd, Created: at(62 * time.Minute), ObjectItem: scheme,
			ChangedValues: grantChange(true, "Type", "Service Project Customer - Portal Access", "Permission", "Create Issues")}),
		by(jirasim.AgentAccountID, auditRec{Summary: upd, Created: at(62 * time.Minute), ObjectItem: scheme,
			ChangedValues: grantChange(false, "Type", "Service Project Customer - Portal Access", "Permission", "Create Issues")}),
	}
	got := readAudit(t, s, "")
	for i := range want {
		want[i].Category, want[i].EventSource = "permissions", str("")
	}
	// Newest first, ids rising with time.
	for i := range got {
		if i > 0 && got[i].ID >= got[i-1].ID {
			t.Errorf("record %d has id %d after %d: not newest first", i, got[i].ID, got[i-1].ID)
		}
	}
	for i := range got {
		got[i].ID = 0
	}
	for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
		got[i], got[j] = got[j], got[i]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit log mismatch (-want +got):\n%s", diff)
	}
}

// TestAuditQuery pages the log and filters it by time and terms.
func TestAuditQuery(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New()
	s := jirasim.NewServer(t, jirasim.WithClock(clock.Now), jirasim.WithSeed(jirasim.ScenarioPortalAccessMissing))
	nopa, _ := s.ProjectSchemeID("NOPA")
	for _, perm := range []string{"BROWSE_PROJECTS", "CREATE_ISSUES", "MANAGE_WATCHERS"} {
		s.AddGrants(nopa, jirasim.Grant{HolderType: "projectRole", HolderParameter: "10002", Permission: perm})
		clock.Advance(time.Hour)
	}
	t0 := fakeclock.Start
	perms := func(recs []auditRec) []string {
		out := []string{}
		for _, r := range recs {
			out = append(out, r.ChangedValues[len(r.ChangedValues)-1].ChangedTo)
		}
		return out
	}
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"all, newest first", "", []string{"Manage Watchers", "Create Issues", "Browse Projects"}},
		{"from", "&from=" + url.QueryEscape(t0.Add(time.Hour).Format(time.RFC3339)), []string{"Manage Watchers", "Create Issues"}},
		{"to, Jira's form", "&to=" + url.QueryEscape(t0.Add(time.Hour).Format("2006-01-02T15:04:05.000-0700")), []string{"Create Issues", "Browse Projects"}},
		{"from and to, epoch ms", "&from=" + strconv.FormatInt(t0.Add(time.Hour).UnixMilli(), 10) + "&to=" + strconv.FormatInt(t0.Add(time.Hour).UnixMilli(), 10), []string{"Create Issues"}},
		{"from after to", "&from=" + strconv.FormatInt(t0.Add(time.Hour).UnixMilli(), 10) + "&to=" + strconv.FormatInt(t0.UnixMilli(), 10), []string{}},
		{"filter, every term somewhere", "&filter=" + url.QueryEscape("CREATE permissions administrators"), []string{"Create Issues"}},
		{"filter, a term nowhere", "&filter=" + url.QueryEscape("create nowhere"), []string{}},
		{"filter on the object", "&filter=" + url.QueryEscape("project NOPA"), []string{"Manage Watchers", "Create Issues", "Browse Projects"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, perms(readAudit(t, s, tt.query))); diff != "" {
				t.Errorf("records mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("paging", func(t *testing.T) {
		t.Parallel()
		r := do(t, s, "GET", "/rest/api/3/auditing/record?offset=1&limit=1", "")
		p := decode[auditPage](t, r.Body)
		if p.Offset != 1 || p.Limit != 1 || p.Total != 3 || len(p.Records) != 1 || p.Records[0].ChangedValues[2].ChangedTo != "Create Issues" {
			t.Errorf("offset=1&limit=1: got %s", r.Body)
		}
		p = decode[auditPage](t, do(t, s, "GET", "/rest/api/3/auditing/record", "").Body)
		if p.Limit != 1000 || len(p.Records) != 2 { // the simulator's page size
			t.Errorf("default page: limit %d with %d records, want 1000 with 2", p.Limit, len(p.Records))
		}
		p = decode[auditPage](t, do(t, s, "GET", "/rest/api/3/auditing/record?offset=9", "").Body)
		if p.Total != 3 || len(p.Records) != 0 {
			t.Errorf("offset past the end: %+v", p)
		}
	})
	t.Run("bad time", func(t *testing.T) {
		t.Parallel()
		wantStatus(t, "bad from", do(t, s, "GET", "/rest/api/3/auditing/record?from=yesterday", ""), 400)
	})
}

// TestAuditLogForbidden: the log needs Administer Jira, and is unavailable
// on free plans; changes are recorded meanwhile.
func TestAuditLogForbidden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		block func(*jirasim.Server)
		allow func(*jirasim.Server)
	}{
		{"without Administer Jira",
			func(s *jirasim.Server) { s.SetGlobalPermission("ADMINISTER", false) },
			func(s *jirasim.Server) { s.SetGlobalPermission("ADMINISTER", true) }},
		{"free plan",
			func(s *jirasim.Server) { s.SetAuditLogAvailable(false) },
			func(s *jirasim.Server) { s.SetAuditLogAvailable(true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := jirasim.NewServer(t)
			tt.block(s)
			id, _ := s.ProjectSchemeID("NOPA")
			s.AddGrants(id, jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: "BROWSE_PROJECTS"})
			r := do(t, s, "GET", "/rest/api/3/auditing/record", "")
			wantStatus(t, "blocked", r, 403)
			if e := decode[platformError](t, r.Body); len(e.ErrorMessages) != 1 || e.Errors == nil {
				t.Errorf("body %s, want Jira's ErrorCollection", r.Body)
			}
			tt.allow(s)
			if got := readAudit(t, s, ""); len(got) != 1 {
				t.Errorf("after allowing again: %d records, want the one change", len(got))
			}
		})
	}
}
