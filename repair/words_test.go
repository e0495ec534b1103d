package repair_test

import (
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
)

// TestChangeWords pins the words of each step, bare and with marks.
func TestChangeWords(t *testing.T) {
	t.Parallel()
	roles := map[string]string{"Service Desk Customers": "10100"}
	portal := diagnosis.Grant{ID: 10500, Holder: diagnosis.Holder{Type: diagnosis.HolderPortalAccess}, Permission: "BROWSE_PROJECTS"}
	role := diagnosis.Grant{ID: 10402, Holder: diagnosis.Holder{Type: diagnosis.HolderProjectRole, Parameter: "10100"}, Permission: "CREATE_ISSUES"}
	marks := diagnosis.Marks{
		Code:     func(s string) string { return "`" + s + "`" },
		Quote:    func(s string) string { return "«" + s + "»" },
		GrantIDs: true,
	}
	tests := []struct {
		change     repair.Change
		bare, mark string
	}{
		{
			change: repair.Change{Step: repair.StepAddGrant, SchemeID: 10001, SchemeName: "CUST scheme", Grant: portal},
			bare:   "granted BROWSE_PROJECTS to " + diagnosis.PortalAccessName + " in CUST scheme",
			mark:   "granted `BROWSE_PROJECTS` to " + diagnosis.PortalAccessName + " in «CUST scheme»",
		},
		{
			change: repair.Change{Step: repair.StepRemoveGrant, SchemeID: 10001, SchemeName: "CUST scheme", Grant: role},
			bare:   "removed CREATE_ISSUES from Service Desk Customers role in CUST scheme",
			mark:   "removed `CREATE_ISSUES` from Service Desk Customers role (grant 10402) in «CUST scheme»",
		},
		{
			change: repair.Change{Step: repair.StepCreateScheme, SchemeID: 10010, SchemeName: "CUST scheme 2"},
			bare:   "created the scheme CUST scheme 2 (id 10010)",
			mark:   "created the scheme «CUST scheme 2» (id 10010)",
		},
		{
			change: repair.Change{Step: repair.StepAssignScheme, SchemeID: 10010, SchemeName: "CUST scheme 2"},
			bare:   "assigned CUST scheme 2 to the project",
			mark:   "assigned «CUST scheme 2» to the project",
		},
		{
			change: repair.Change{Step: repair.StepDeleteScheme, SchemeID: 10010, SchemeName: "CUST scheme 2"},
			bare:   "deleted the scheme CUST scheme 2 (id 10010)",
			mark:   "deleted the scheme «CUST scheme 2» (id 10010)",
		},
		{change: repair.Change{Step: "future-step"}, bare: "future-step", mark: "future-step"},
	}
	for _, tt := range tests {
		if got := tt.change.Words(roles, diagnosis.Marks{}); got != tt.bare {
			t.Errorf("%s: Words(no marks) = %q, want %q", tt.change.Step, got, tt.bare)
		}
		if got := tt.change.Words(roles, marks); got != tt.mark {
			t.Errorf("%s: Words(marks) = %q, want %q", tt.change.Step, got, tt.mark)
		}
	}
}

// TestUndoStepWords pins the words of each undo step, bare and with marks.
func TestUndoStepWords(t *testing.T) {
	t.Parallel()
	portal := diagnosis.Grant{ID: 10500, Holder: diagnosis.Holder{Type: diagnosis.HolderPortalAccess}, Permission: "BROWSE_PROJECTS"}
	marks := diagnosis.Marks{Code: func(s string) string { return "`" + s + "`" }, Quote: func(s string) string { return "«" + s + "»" }}
	tests := []struct {
		step       repair.UndoStep
		bare, mark string
	}{
		{
			step: repair.UndoStep{Action: repair.UndoDeleteGrant, SchemeName: "NOPA scheme", Grant: portal},
			bare: "deleted the grant of BROWSE_PROJECTS to " + diagnosis.PortalAccessName + " in NOPA scheme",
			mark: "deleted the grant of `BROWSE_PROJECTS` to " + diagnosis.PortalAccessName + " in «NOPA scheme»",
		},
		{
			step: repair.UndoStep{Action: repair.UndoAddGrant, SchemeName: "NOPA scheme", Grant: portal},
			bare: "granted BROWSE_PROJECTS to " + diagnosis.PortalAccessName + " in NOPA scheme again",
			mark: "granted `BROWSE_PROJECTS` to " + diagnosis.PortalAccessName + " in «NOPA scheme» again",
		},
		{
			step: repair.UndoStep{Action: repair.UndoAssignOriginal, SchemeID: 10001, SchemeName: "Shared"},
			bare: "assigned Shared back to the project",
			mark: "assigned «Shared» back to the project",
		},
		{
			step: repair.UndoStep{Action: repair.UndoDeleteCopy, SchemeID: 10010, SchemeName: "Shared 2"},
			bare: "deleted the copy Shared 2 (id 10010)",
			mark: "deleted the copy «Shared 2» (id 10010)",
		},
		{step: repair.UndoStep{Action: "future-step"}, bare: "future-step", mark: "future-step"},
	}
	for _, tt := range tests {
		if got := tt.step.Words(nil, diagnosis.Marks{}); got != tt.bare {
			t.Errorf("%s: Words(no marks) = %q, want %q", tt.step.Action, got, tt.bare)
		}
		if got := tt.step.Words(nil, marks); got != tt.mark {
			t.Errorf("%s: Words(marks) = %q, want %q", tt.step.Action, got, tt.mark)
		}
	}
}

// TestCauseWords: every cause a customer check can list has words of its
// own, and an unknown one is shown as it is.
func TestCauseWords(t *testing.T) {
	t.Parallel()
	for _, c := range []repair.Cause{repair.CauseLicensedAccount, repair.CauseCustomerAccess, repair.CauseAccountState} {
		if w := c.Words(); w == string(c) || w == "" {
			t.Errorf("%s has no words of its own: %q", c, w)
		}
	}
	if got := repair.Cause("new-cause").Words(); got != "new-cause" {
		t.Errorf("unknown cause worded %q, want it as it is", got)
	}
}

// TestSkipWords: an undo step left alone says why, in words of its own;
// one that was not skipped says nothing.
func TestSkipWords(t *testing.T) {
	t.Parallel()
	for _, r := range []repair.SkipReason{repair.SkipNotOurs, repair.SkipGone, repair.SkipAlreadyBack, repair.SkipMovedOn, repair.SkipOriginalGone, repair.SkipInUse, repair.SkipUnscanned} {
		if w := (repair.UndoStep{Skip: r, UsedBy: []string{"SHRB"}}).SkipWords(); w == string(r) || w == "" {
			t.Errorf("%s has no words of its own: %q", r, w)
		}
	}
	if w := (repair.UndoStep{Skip: repair.SkipInUse, UsedBy: []string{"SHRB", "SHRC"}}).SkipWords(); !strings.Contains(w, "SHRB, SHRC") {
		t.Errorf("in-use skip %q does not name the projects using the copy", w)
	}
	if w := (repair.UndoStep{}).SkipWords(); w != "" {
		t.Errorf("a step not skipped says %q", w)
	}
}
