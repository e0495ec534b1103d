package diagnosis_test

import (
	"testing"

	"github.com/jsmbot/jsmbot/diagnosis"
)

// TestApplicabilityOf pins the one decision of which projects jsmbot
// diagnoses and repairs, and that Diagnose and NewPlan follow it.
func TestApplicabilityOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typeKey     string
		teamManaged bool
		want        diagnosis.Applicability
	}{
		{typeKey: "service_desk", want: diagnosis.Applicable},
		{typeKey: "service_desk", teamManaged: true, want: diagnosis.TeamManagedProject},
		{typeKey: "software", want: diagnosis.NotServiceProject},
		{typeKey: "business", teamManaged: true, want: diagnosis.NotServiceProject},
		{typeKey: "", want: diagnosis.NotServiceProject},
		{typeKey: "Service_Desk", want: diagnosis.NotServiceProject},
	}
	for _, tt := range tests {
		s := snapshotWith(t, project(tt.typeKey, tt.teamManaged))
		if got := diagnosis.ApplicabilityOf(s.Project); got != tt.want {
			t.Errorf("ApplicabilityOf(%q, team-managed %v) = %v, want %v", tt.typeKey, tt.teamManaged, got, tt.want)
		}
		applicable := tt.want == diagnosis.Applicable
		if got := diagnosis.Diagnose(s).Applicable; got != applicable {
			t.Errorf("Diagnose(%q, team-managed %v).Applicable = %v, want %v", tt.typeKey, tt.teamManaged, got, applicable)
		}
	}
}
