package diagnosis_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/diagnosis"
)

func TestHolderName(t *testing.T) {
	t.Parallel()
	roles := map[string]string{"Administrators": "10002", "Service Desk Team": "10101"}
	tests := []struct {
		h    diagnosis.Holder
		want string
	}{
		{diagnosis.Holder{Type: diagnosis.HolderPortalAccess}, diagnosis.PortalAccessName},
		{diagnosis.Holder{Type: diagnosis.HolderProjectRole, Parameter: "10101"}, "Service Desk Team role"},
		{diagnosis.Holder{Type: diagnosis.HolderProjectRole, Parameter: "999"}, "projectRole 999"},
		{diagnosis.Holder{Type: "group", Parameter: "jira-admins"}, "group jira-admins"},
		{diagnosis.Holder{Type: "anyone"}, "anyone"},
	}
	for _, tt := range tests {
		if got := diagnosis.HolderName(tt.h, roles); got != tt.want {
			t.Errorf("HolderName(%+v) = %q, want %q", tt.h, got, tt.want)
		}
	}
}

func TestReportCounts(t *testing.T) {
	t.Parallel()
	r := diagnosis.Report{Findings: []diagnosis.Finding{{Severity: diagnosis.Critical}, {Severity: diagnosis.Warning}, {Severity: diagnosis.Critical}, {Severity: diagnosis.Info}}}
	if c, w := r.Counts(); c != 2 || w != 1 {
		t.Errorf("Counts() = %d, %d; want 2, 1", c, w)
	}
}

func TestSharedWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		keys []string
		want string
	}{
		{nil, "no other project"},
		{[]string{}, "no other project"},
		{[]string{"SHRB"}, "SHRB"},
		{[]string{"SHRB", "SHRC"}, "SHRB, SHRC"},
	}
	for _, tt := range tests {
		if got := diagnosis.SharedWords(tt.keys); got != tt.want {
			t.Errorf("SharedWords(%q) = %q, want %q", tt.keys, got, tt.want)
		}
	}
}

// TestDescribePlan pins the words of a plan, bare and with marks, for each
// mode and each answer to "what about the other projects".
func TestDescribePlan(t *testing.T) {
	t.Parallel()
	roles := map[string]string{"Service Desk Customers": "10100"}
	portalGrant := diagnosis.Grant{Holder: diagnosis.Holder{Type: diagnosis.HolderPortalAccess}, Permission: "BROWSE_PROJECTS"}
	roleGrant := diagnosis.Grant{ID: 10402, Holder: diagnosis.Holder{Type: diagnosis.HolderProjectRole, Parameter: "10100"}, Permission: "CREATE_ISSUES"}
	inPlace := diagnosis.Plan{
		Mode: diagnosis.ModeInPlace, ProjectKey: "CUST", SchemeID: 10001, SchemeName: "CUST scheme",
		AddGrants: []diagnosis.Grant{portalGrant}, RemoveGrants: []diagnosis.Grant{roleGrant}, Affects: []string{},
	}
	affects := inPlace
	affects.Affects = []string{"SHRB", "SHRC"}
	affectsOne := inPlace
	affectsOne.Affects = []string{"SHRB"}
	cp := inPlace
	cp.Mode, cp.CopyName = diagnosis.ModeCopy, "CUST scheme 2"
	marks := diagnosis.Marks{
		Code:     func(s string) string { return "`" + s + "`" },
		Quote:    func(s string) string { return "«" + s + "»" },
		GrantIDs: true,
	}
	tests := []struct {
		name   string
		plan   diagnosis.Plan
		shared []string
		marks  diagnosis.Marks
		want   diagnosis.PlanWords
	}{
		{
			name: "in place, alone", plan: inPlace,
			want: diagnosis.PlanWords{
				Head:   "Change the scheme CUST scheme (id 10001):",
				Add:    []string{"grant BROWSE_PROJECTS to " + diagnosis.PortalAccessName},
				Remove: []string{"remove CREATE_ISSUES from Service Desk Customers role"},
				Others: "No other project uses this scheme",
			},
		},
		{
			name: "in place, shared, marked", plan: affects, shared: []string{"SHRB", "SHRC"}, marks: marks,
			want: diagnosis.PlanWords{
				Head:        "Change the scheme «CUST scheme» (id 10001):",
				Add:         []string{"grant `BROWSE_PROJECTS` to " + diagnosis.PortalAccessName},
				Remove:      []string{"remove `CREATE_ISSUES` from Service Desk Customers role (grant 10402)"},
				Others:      "This also changes SHRB, SHRC, which use the same scheme",
				AlsoChanges: true,
			},
		},
		{
			name: "in place, shared with one", plan: affectsOne, shared: []string{"SHRB"},
			want: diagnosis.PlanWords{
				Head:        "Change the scheme CUST scheme (id 10001):",
				Add:         []string{"grant BROWSE_PROJECTS to " + diagnosis.PortalAccessName},
				Remove:      []string{"remove CREATE_ISSUES from Service Desk Customers role"},
				Others:      "This also changes SHRB, which uses the same scheme",
				AlsoChanges: true,
			},
		},
		{
			name: "copy, shared", plan: cp, shared: []string{"SHRB", "SHRC"}, marks: marks,
			want: diagnosis.PlanWords{
				Head:   "Create the scheme «CUST scheme 2» as a copy of «CUST scheme» with these changes, and assign it to CUST only:",
				Add:    []string{"grant `BROWSE_PROJECTS` to " + diagnosis.PortalAccessName},
				Remove: []string{"remove `CREATE_ISSUES` from Service Desk Customers role (grant 10402)"},
				Others: "SHRB, SHRC keep the original scheme, unchanged",
			},
		},
		{
			name: "copy, alone", plan: cp,
			want: diagnosis.PlanWords{
				Head:   "Create the scheme CUST scheme 2 as a copy of CUST scheme with these changes, and assign it to CUST only:",
				Add:    []string{"grant BROWSE_PROJECTS to " + diagnosis.PortalAccessName},
				Remove: []string{"remove CREATE_ISSUES from Service Desk Customers role"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := diagnosis.DescribePlan(tt.plan, roles, tt.shared, tt.marks)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DescribePlan (-want +got):\n%s", diff)
			}
		})
	}
}
