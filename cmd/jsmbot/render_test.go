package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
)

// TestPrintPlanAndResult pins the terminal's words for a plan and for what
// a repair did, which it shares with Slack (diagnosis.DescribePlan,
// repair.Change.Words) apart from its marks: Go-quoted scheme names and the
// ids of removed grants.
func TestPrintPlanAndResult(t *testing.T) {
	t.Parallel()
	portal := diagnosis.Grant{Holder: diagnosis.Holder{Type: diagnosis.HolderPortalAccess}, Permission: "BROWSE_PROJECTS"}
	role := diagnosis.Grant{ID: 10402, Holder: diagnosis.Holder{Type: diagnosis.HolderProjectRole, Parameter: "10100"}, Permission: "CREATE_ISSUES"}
	d := &repair.Diagnosis{Snapshot: diagnosis.Snapshot{
		Project:    diagnosis.Project{Key: "SHRA", Name: "Shared A", TypeKey: diagnosis.TypeServiceDesk},
		Scheme:     diagnosis.Scheme{ID: 10001, Name: "Shared Support Scheme"},
		Roles:      map[string]string{"Service Desk Customers": "10100"},
		SharedWith: []string{"SHRB", "SHRC"},
	}}
	inPlace := diagnosis.Plan{
		ID: "p1", Mode: diagnosis.ModeInPlace, ProjectKey: "SHRA", SchemeID: 10001, SchemeName: "Shared Support Scheme",
		AddGrants: []diagnosis.Grant{portal}, RemoveGrants: []diagnosis.Grant{role}, Affects: []string{"SHRB", "SHRC"},
	}
	cp := inPlace
	cp.ID, cp.Mode, cp.CopyName, cp.Affects = "p2", diagnosis.ModeCopy, "Shared Support Scheme 2", []string{}

	tests := []struct {
		name  string
		print func(*strings.Builder)
		want  []string
	}{
		{
			name:  "in-place plan",
			print: func(w *strings.Builder) { printPlan(w, d, inPlace) },
			want: []string{
				"Fix (plan p1, mode in-place):",
				`  Change the scheme "Shared Support Scheme" (id 10001):`,
				"    + grant BROWSE_PROJECTS to " + diagnosis.PortalAccessName,
				"    - remove CREATE_ISSUES from Service Desk Customers role (grant 10402)",
				"  This also changes SHRB, SHRC, which use the same scheme (use --mode copy to change SHRA alone).",
			},
		},
		{
			name:  "copy plan",
			print: func(w *strings.Builder) { printPlan(w, d, cp) },
			want: []string{
				"Fix (plan p2, mode copy):",
				`  Create the scheme "Shared Support Scheme 2" as a copy of "Shared Support Scheme" with these changes, and assign it to SHRA only:`,
				"    + grant BROWSE_PROJECTS to " + diagnosis.PortalAccessName,
				"    - remove CREATE_ISSUES from Service Desk Customers role (grant 10402)",
				"  SHRB, SHRC keep the original scheme, unchanged.",
			},
		},
		{
			name: "result",
			print: func(w *strings.Builder) {
				printResult(w, &repair.Result{Plan: inPlace, Changes: []repair.Change{
					{Step: repair.StepRemoveGrant, SchemeID: 10001, SchemeName: "Shared Support Scheme", Grant: role, Done: true, AlreadyDone: true},
					{Step: repair.StepCreateScheme, SchemeID: 10010, SchemeName: "Shared Support Scheme 2", Done: true},
					{Step: repair.StepAddGrant, SchemeID: 10001, SchemeName: "Shared Support Scheme", Grant: portal, Done: true},
					{Step: repair.StepAssignScheme, SchemeID: 10010, SchemeName: "Shared Support Scheme 2"},
				}})
			},
			want: []string{
				"Applying plan p1 to SHRA:",
				// Without After there are no role names to resolve.
				`  ✓ removed CREATE_ISSUES from projectRole 10100 (grant 10402) in "Shared Support Scheme" (already there)`,
				`  ✓ created the scheme "Shared Support Scheme 2" (id 10010)`,
				`  ✓ granted BROWSE_PROJECTS to ` + diagnosis.PortalAccessName + ` in "Shared Support Scheme"`,
				`  · skipped: assign "Shared Support Scheme 2" to the project (an earlier write failed)`,
			},
		},
		{
			name: "failed and skipped writes",
			print: func(w *strings.Builder) {
				printResult(w, &repair.Result{Plan: cp, Changes: []repair.Change{
					{Step: repair.StepCreateScheme, SchemeName: "Shared Support Scheme 2",
						Err: &jira.APIError{StatusCode: 403, Method: "POST", Path: "/rest/api/3/permissionscheme"}},
					{Step: repair.StepAssignScheme, SchemeName: "Shared Support Scheme 2"},
					{Step: repair.StepAddGrant, SchemeID: 10001, SchemeName: "Shared Support Scheme", Grant: portal},
					{Step: repair.StepRemoveGrant, SchemeID: 10001, SchemeName: "Shared Support Scheme", Grant: role},
				}})
			},
			want: []string{
				"Applying plan p2 to SHRA:",
				`  ✗ could not create the scheme "Shared Support Scheme 2": Jira refused the request: the account lacks a permission (jira: POST /rest/api/3/permissionscheme: 403 Forbidden)`,
				`  · skipped: assign "Shared Support Scheme 2" to the project (an earlier write failed)`,
				`  · skipped: grant BROWSE_PROJECTS to ` + diagnosis.PortalAccessName + ` in "Shared Support Scheme" (an earlier write failed)`,
				`  · skipped: remove CREATE_ISSUES from projectRole 10100 (grant 10402) in "Shared Support Scheme" (an earlier write failed)`,
			},
		},
		{
			name: "one project keeps the scheme",
			print: func(w *strings.Builder) {
				one := *d
				one.Snapshot.SharedWith = []string{"SHRC"}
				printPlan(w, &one, cp)
			},
			want: []string{
				"Fix (plan p2, mode copy):",
				`  Create the scheme "Shared Support Scheme 2" as a copy of "Shared Support Scheme" with these changes, and assign it to SHRA only:`,
				"    + grant BROWSE_PROJECTS to " + diagnosis.PortalAccessName,
				"    - remove CREATE_ISSUES from Service Desk Customers role (grant 10402)",
				"  SHRC keeps the original scheme, unchanged.",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var sb strings.Builder
			tt.print(&sb)
			got := strings.Split(strings.TrimSuffix(sb.String(), "\n"), "\n")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}
