package diagnosis_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/diagnosis"
)

func TestDiagnose(t *testing.T) {
	t.Parallel()
	pa := diagnosis.PortalAccessName + ":"
	tests := []struct {
		name           string
		edits          []edit
		wantApplicable bool
		wantHealthy    bool
		want           []string
	}{
		{
			name:           "default scheme is healthy",
			wantApplicable: true, wantHealthy: true,
			want: []string{},
		},
		{
			name:  "software project is not applicable",
			edits: []edit{project("software", false)},
			want:  []string{"info not-applicable :"},
		},
		{
			name:  "team-managed service project is not applicable",
			edits: []edit{project("service_desk", true)},
			want:  []string{"info not-applicable :"},
		},
		{
			name:  "team-managed software project is not applicable",
			edits: []edit{project("software", true)},
			want:  []string{"info not-applicable :"},
		},
		{
			name:  "not applicable stops the other rules",
			edits: []edit{project("business", false), without(portal, "BROWSE_PROJECTS")},
			want:  []string{"info not-applicable :"},
		},
		{
			name:           "portal access lacks browse projects",
			edits:          []edit{without(portal, "BROWSE_PROJECTS")},
			wantApplicable: true,
			want:           []string{"critical portal-access " + pa + " BROWSE_PROJECTS"},
		},
		{
			name:           "portal access lacks both, not repeated as drift",
			edits:          []edit{without(portal, "CREATE_ISSUES"), without(portal, "BROWSE_PROJECTS")},
			wantApplicable: true,
			want: []string{
				"critical portal-access " + pa + " BROWSE_PROJECTS",
				"critical portal-access " + pa + " CREATE_ISSUES",
			},
		},
		{
			name: "portal access grant with a stray parameter still counts",
			edits: []edit{
				without(portal, "BROWSE_PROJECTS"),
				withGrant(1, diagnosis.Holder{Type: "sd.customer.portal.only", Parameter: "x"}, "BROWSE_PROJECTS"),
			},
			wantApplicable: true, wantHealthy: true,
			want: []string{},
		},
		{
			name: "grants to a group or a user named like the holder are ignored",
			edits: []edit{
				without(portal, "CREATE_ISSUES"),
				without(admins, "ADMINISTER_PROJECTS"),
				withGrant(1, diagnosis.Holder{Type: "group", Parameter: "sd.customer.portal.only"}, "CREATE_ISSUES"),
				withGrant(2, diagnosis.Holder{Type: "group", Parameter: "Administrators"}, "ADMINISTER_PROJECTS"),
				withGrant(3, diagnosis.Holder{Type: "user", Parameter: idAdministrators}, "ADMINISTER_PROJECTS"),
				withGrant(4, diagnosis.Holder{Type: "group", Parameter: "Service Desk Customers"}, "BROWSE_PROJECTS"),
			},
			wantApplicable: true,
			want: []string{
				"critical portal-access " + pa + " CREATE_ISSUES",
				"critical admin-mandatory Administrators role: ADMINISTER_PROJECTS",
			},
		},
		{
			name: "customers role holds grants, duplicates reported once",
			edits: []edit{
				withGrant(1, customers, "CREATE_ISSUES"),
				withGrant(2, customers, "BROWSE_PROJECTS"),
				withGrant(3, customers, "BROWSE_PROJECTS"),
			},
			wantApplicable: true,
			want: []string{
				"critical customers-role Service Desk Customers role: BROWSE_PROJECTS",
				"critical customers-role Service Desk Customers role: CREATE_ISSUES",
			},
		},
		{
			name: "customers role missing from the site cannot fire",
			edits: []edit{
				withoutRole("Service Desk Customers"),
				withGrant(1, customers, "BROWSE_PROJECTS"),
			},
			wantApplicable: true, wantHealthy: true,
			want: []string{},
		},
		{
			name:           "administrators lack administer projects, not repeated as drift",
			edits:          []edit{without(admins, "ADMINISTER_PROJECTS")},
			wantApplicable: true,
			want:           []string{"critical admin-mandatory Administrators role: ADMINISTER_PROJECTS"},
		},
		{
			name:           "administrators role missing is a warning, reported once",
			edits:          []edit{withoutRole("Administrators")},
			wantApplicable: true, wantHealthy: true,
			want: []string{"warning admin-mandatory Administrators role:"},
		},
		{
			name:           "service desk team role missing is a drift warning",
			edits:          []edit{withoutRole("Service Desk Team")},
			wantApplicable: true, wantHealthy: true,
			want: []string{"warning default-drift Service Desk Team role:"},
		},
		{
			name: "no roles at all",
			edits: []edit{func(s *diagnosis.Snapshot) {
				s.Roles = nil
			}},
			wantApplicable: true, wantHealthy: true,
			want: []string{
				"warning admin-mandatory Administrators role:",
				"warning default-drift Service Desk Team role:",
			},
		},
		{
			name: "drift is a warning per missing grant",
			edits: []edit{
				without(team, "EDIT_ISSUES"),
				without(portal, "ADD_COMMENTS"),
				without(admins, "VIEW_DEV_TOOLS"),
			},
			wantApplicable: true, wantHealthy: true,
			want: []string{
				"warning default-drift Administrators role: VIEW_DEV_TOOLS",
				"warning default-drift Service Desk Team role: EDIT_ISSUES",
				"warning default-drift " + pa + " ADD_COMMENTS",
			},
		},
		{
			name: "criticals sort before warnings, by rule order",
			edits: []edit{
				without(team, "EDIT_ISSUES"),
				without(admins, "ADMINISTER_PROJECTS"),
				withGrant(1, customers, "ADD_COMMENTS"),
				without(portal, "CREATE_ISSUES"),
			},
			wantApplicable: true,
			want: []string{
				"critical portal-access " + pa + " CREATE_ISSUES",
				"critical customers-role Service Desk Customers role: ADD_COMMENTS",
				"critical admin-mandatory Administrators role: ADMINISTER_PROJECTS",
				"warning default-drift Service Desk Team role: EDIT_ISSUES",
			},
		},
		{
			name: "duplicate grants are harmless",
			edits: []edit{
				withGrant(1, portal, "BROWSE_PROJECTS"),
				withGrant(2, admins, "ADMINISTER_PROJECTS"),
			},
			wantApplicable: true, wantHealthy: true,
			want: []string{},
		},
		{
			name:           "extra grants to other holders are not findings",
			edits:          []edit{withGrant(1, diagnosis.Holder{Type: "applicationRole"}, "BROWSE_PROJECTS")},
			wantApplicable: true, wantHealthy: true,
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := diagnosis.Diagnose(snapshotWith(t, tt.edits...))
			if got.Applicable != tt.wantApplicable {
				t.Errorf("Applicable: got %v, want %v", got.Applicable, tt.wantApplicable)
			}
			if got.Healthy != tt.wantHealthy {
				t.Errorf("Healthy: got %v, want %v", got.Healthy, tt.wantHealthy)
			}
			if diff := cmp.Diff(tt.want, brief(got.Findings)); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s", diff)
			}
			for _, f := range got.Findings {
				if f.Summary == "" || f.Why == "" {
					t.Errorf("finding %s/%s has no words: %+v", f.Rule, f.Permission, f)
				}
			}
		})
	}
}

func TestDiagnoseNotApplicableWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		typeKey string
		team    bool
		want    string
	}{
		{"software", "software", false, "HELP is a software project; jsmbot only repairs company-managed service projects."},
		{"business", "business", false, "HELP is a business project; jsmbot only repairs company-managed service projects."},
		{"unknown type", "", false, "HELP is a project of unknown type; jsmbot only repairs company-managed service projects."},
		{"new type", "customer_service", false, `HELP is a project of type "customer_service"; jsmbot only repairs company-managed service projects.`},
		{"team-managed", "service_desk", true, "HELP is team-managed: it has no permission scheme; customer access is managed in the project's own settings."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := diagnosis.Diagnose(snapshotWith(t, project(tt.typeKey, tt.team)))
			if len(got.Findings) != 1 {
				t.Fatalf("got %d findings, want 1", len(got.Findings))
			}
			if diff := cmp.Diff(tt.want, got.Findings[0].Summary); diff != "" {
				t.Errorf("summary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiagnoseDeterministic checks that neither the order Jira lists grants
// in nor map iteration order changes the report.
func TestDiagnoseDeterministic(t *testing.T) {
	t.Parallel()
	base := snapshotWith(t,
		without(team, "EDIT_ISSUES"), without(portal, "CREATE_ISSUES"), without(admins, "ADMINISTER_PROJECTS"),
		withGrant(1, customers, "ADD_COMMENTS"), withGrant(2, customers, "BROWSE_PROJECTS"))
	want := diagnosis.Diagnose(base)
	for i := range 20 {
		s := base
		s.Scheme.Grants = slices.Clone(base.Scheme.Grants)
		// A fixed, varied permutation: rotate and, on odd rounds, reverse.
		n := len(s.Scheme.Grants)
		s.Scheme.Grants = append(s.Scheme.Grants[i*7%n:], s.Scheme.Grants[:i*7%n]...)
		if i%2 == 1 {
			slices.Reverse(s.Scheme.Grants)
		}
		if diff := cmp.Diff(want, diagnosis.Diagnose(s)); diff != "" {
			t.Fatalf("round %d: report mismatch (-want +got):\n%s", i, diff)
		}
	}
}

// TestDiagnoseRoleNameAmbiguity checks that a role id known under two names
// is named the same way every time.
func TestDiagnoseRoleNameAmbiguity(t *testing.T) {
	t.Parallel()
	s := snapshotWith(t, without(team, "EDIT_ISSUES"), func(s *diagnosis.Snapshot) {
		s.Roles["Agents"] = idTeam
	})
	for range 20 {
		got := diagnosis.Diagnose(s)
		if len(got.Findings) != 1 || got.Findings[0].HolderName != "Agents role" {
			t.Fatalf("got %v, want one finding for the Agents role", brief(got.Findings))
		}
	}
}

func TestDiagnoseEmptyScheme(t *testing.T) {
	t.Parallel()
	s := snapshotWith(t, func(s *diagnosis.Snapshot) { s.Scheme.Grants = nil })
	got := diagnosis.Diagnose(s)
	if got.Healthy || !got.Applicable {
		t.Errorf("got healthy=%v applicable=%v, want unhealthy and applicable", got.Healthy, got.Applicable)
	}
	var critical, drift int
	for _, f := range got.Findings {
		switch {
		case f.Severity == diagnosis.Critical:
			critical++
		case f.Rule == diagnosis.RuleDefaultDrift:
			drift++
		}
	}
	// 2 portal-access + 1 admin-mandatory; drift is every default minus those 3.
	if critical != 3 {
		t.Errorf("got %d critical findings, want 3", critical)
	}
	if want := 33 + 29 + 20 - 3; drift != want {
		t.Errorf("got %d drift findings, want %d", drift, want)
	}
}

func TestDefaultGrants(t *testing.T) {
	t.Parallel()
	fixture := defaultFixture(t)
	want := map[string][]string{
		"Administrators":                           fixture["projectRole:Administrators"],
		"Service Desk Team":                        fixture["projectRole:Service Desk Team"],
		"Service Project Customer - Portal Access": fixture["sd.customer.portal.only"],
	}
	got := diagnosis.DefaultGrants()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DefaultGrants mismatch (-want +got):\n%s", diff)
	}
	for name, perms := range got {
		if !slices.IsSorted(perms) {
			t.Errorf("%s: permissions not sorted", name)
		}
	}
	// The caller owns the result: changing it changes nothing else.
	got["Administrators"][0] = "MANGLED"
	delete(got, "Service Desk Team")
	if diff := cmp.Diff(want, diagnosis.DefaultGrants()); diff != "" {
		t.Errorf("DefaultGrants changed after the caller edited a result (-want +got):\n%s", diff)
	}
}

func TestFindingWords(t *testing.T) {
	t.Parallel()
	got := diagnosis.Diagnose(snapshotWith(t, without(portal, "CREATE_ISSUES"), withGrant(1, customers, "BROWSE_PROJECTS")))
	want := []diagnosis.Finding{
		{
			Rule: "portal-access", Severity: "critical", Holder: portal,
			HolderName: "Service Project Customer - Portal Access", Permission: "CREATE_ISSUES",
			Summary: `Service Project Customer - Portal Access lacks "Create Issues" (CREATE_ISSUES).`,
		},
		{
			Rule: "customers-role", Severity: "critical", Holder: customers,
			HolderName: "Service Desk Customers role", Permission: "BROWSE_PROJECTS",
			Summary: `The Service Desk Customers role is granted "Browse Projects" (BROWSE_PROJECTS).`,
		},
	}
	ignoreWhy := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Why" }, cmp.Ignore())
	if diff := cmp.Diff(want, got.Findings, ignoreWhy); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(got.Findings[0].Why, "Successfully added 0 customers") {
		t.Errorf("portal-access Why = %q, want it to quote the symptom", got.Findings[0].Why)
	}
}
