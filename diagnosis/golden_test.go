package diagnosis_test

import (
	"encoding/json"
	"testing"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/internal/golden"
)

// TestGolden pins the words admins read and the JSON scripts parse: the
// report and the auto-mode plan of a few snapshots, as the CLI's --json
// would carry them.
func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edits []edit
	}{
		{name: "healthy"},
		{name: "portal-access-missing", edits: []edit{without(portal, "BROWSE_PROJECTS"), without(portal, "CREATE_ISSUES")}},
		{name: "customers-role-shared", edits: []edit{
			withGrant(10900, customers, "BROWSE_PROJECTS"), withGrant(10901, customers, "CREATE_ISSUES"),
			sharedWith("OPS", "HR"),
		}},
		{name: "admin-mandatory-and-drift", edits: []edit{
			without(admins, "ADMINISTER_PROJECTS"), without(team, "EDIT_ISSUES"), without(portal, "ADD_COMMENTS"),
		}},
		{name: "roles-missing", edits: []edit{withoutRole("Administrators"), withoutRole("Service Desk Team")}},
		{name: "software-project", edits: []edit{project("software", false)}},
		{name: "team-managed", edits: []edit{project("service_desk", true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := snapshotWith(t, tt.edits...)
			out := struct {
				Report    diagnosis.Report `json:"report"`
				Plan      *diagnosis.Plan  `json:"plan"`
				PlanError string           `json:"planError,omitempty"`
			}{Report: diagnosis.Diagnose(s)}
			if p, err := diagnosis.NewPlan(s, diagnosis.ModeAuto); err != nil {
				out.PlanError = err.Error()
			} else {
				out.Plan = &p
			}
			b, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tt.name+".json", append(b, '\n'))
		})
	}
}
