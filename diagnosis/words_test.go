package diagnosis_test

import (
	"testing"

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
