package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// TestTransient: which failures of a recording step are worth another
// try, and after how long.
func TestTransient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     error
		attempt int
		wait    time.Duration
		again   bool
	}{
		{"success", nil, 1, 0, false},
		{"rate limited: its Retry-After", fmt.Errorf("update message: %w", &slack.RateLimitedError{RetryAfter: 3 * time.Second}), 1, 3 * time.Second, true},
		{"redis blip", fmt.Errorf("transition: %w", store.ErrUnavailable), 1, firstBackoff, true},
		{"redis blip, third try", store.ErrUnavailable, 3, 4 * firstBackoff, true},
		{"backoff is capped", store.ErrUnavailable, 9, maxBackoff, true},
		{"no answer", context.DeadlineExceeded, 1, firstBackoff, true},
		{"slack 5xx", slack.StatusCodeError{Code: 503, Status: "503"}, 2, 2 * firstBackoff, true},
		{"slack internal_error", slack.SlackErrorResponse{Err: "internal_error"}, 1, firstBackoff, true},
		{"slack refuses", slack.SlackErrorResponse{Err: "channel_not_found"}, 1, 0, false},
		{"lost race", store.ErrConflict, 1, 0, false},
		{"plan gone", store.ErrNotFound, 1, 0, false},
		{"other", errors.New("boom"), 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wait, again := transient(tt.err, tt.attempt)
			if wait != tt.wait || again != tt.again {
				t.Errorf("transient = %v, %v; want %v, %v", wait, again, tt.wait, tt.again)
			}
		})
	}
}

// TestChangeMark: an unknown outcome is "may have been applied", never
// "failed".
func TestChangeMark(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c          repair.Change
		mark, note string
	}{
		{repair.Change{Outcome: repair.Made, Done: true}, "✅", ""},
		{repair.Change{Outcome: repair.AlreadyThere, Done: true, AlreadyDone: true}, "✅", " (already there)"},
		{repair.Change{Outcome: repair.Unknown, Err: repair.ErrUnknownOutcome}, "❔", " — may have been applied"},
		{repair.Change{Outcome: repair.Failed, Err: errors.New("400")}, "❌", " — failed"},
		{repair.Change{Outcome: repair.NotMade}, "⏸️", " — not made"},
		{repair.Change{Outcome: repair.NotAttempted}, "⏸️", " — not attempted"},
		{repair.Change{Done: true}, "✅", ""}, // a caller that predates Outcome
	}
	for _, tt := range tests {
		mark, note := changeMark(tt.c)
		if mark != tt.mark || note != tt.note {
			t.Errorf("changeMark(%s) = %q %q, want %q %q", tt.c.Outcome, mark, note, tt.mark, tt.note)
		}
	}
}

// TestCustomerText: the verdict of the check of a real customer, in the
// result message.
func TestCustomerText(t *testing.T) {
	t.Parallel()
	perms := []string{"BROWSE_PROJECTS", "CREATE_ISSUES"}
	tests := []struct {
		name  string
		check *repair.CustomerCheck
		want  []string
	}{
		{"not asked", nil, nil},
		{"verified", &repair.CustomerCheck{Verdict: repair.VerdictVerified, Name: "Carol <c>", Allowed: true}, []string{"*Verified for Carol &lt;c&gt;*"}},
		{"still denied", &repair.CustomerCheck{Verdict: repair.VerdictStillDenied, Name: "Carol", Missing: perms,
			Causes: []repair.Cause{repair.CauseLicensedAccount, repair.CauseCustomerAccess, repair.CauseAccountState}},
			[]string{"*Grants present, customer still denied*", "denies Carol BROWSE_PROJECTS and CREATE_ISSUES on NOPA", "• the account checked is a licensed", "• the desk's customer access settings", "• the account is deactivated or suspended"}},
		{"denied", &repair.CustomerCheck{Verdict: repair.VerdictDenied, Name: "Carol", Missing: perms[:1]}, []string{"Jira denies Carol BROWSE_PROJECTS on NOPA"}},
		{"no customer", &repair.CustomerCheck{Verdict: repair.VerdictNoCustomer, NoCustomer: true}, []string{"No customer to check"}},
		{"not checked", &repair.CustomerCheck{Verdict: repair.VerdictNotChecked, Err: errors.New("secret 500 body")}, []string{"couldn't ask Jira about a customer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := customerText(tt.check, "NOPA")
			if tt.want == nil && got != "" {
				t.Errorf("customerText = %q, want nothing", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("customerText = %q, want it to contain %q", got, w)
				}
			}
			if strings.Contains(got, "secret") {
				t.Errorf("customerText shows the error: %q", got)
			}
		})
	}
}

// TestCustomerVerdictInResult: when something besides the scheme blocks
// the desk's customers after a repair (repair's TestVerifiedForCustomer:
// blocked accounts give this verdict and causes), the result message says
// the grants are present but the customer is still denied, with the other
// causes. TestApprovalFlow carries a verdict from Jira to this message end
// to end.
func TestCustomerVerdictInResult(t *testing.T) {
	t.Parallel()
	nopa := diagnoseSim(t, "NOPA")
	plan := offersOf(t, nopa)[0].Plan
	v := planView{
		Rec:  store.PlanRecord{ID: "p1", ProjectKey: "NOPA", RequesterID: userRequester, ApproverID: userApprover},
		Data: approval.PlanData{Plan: plan, ProjectName: nopa.Snapshot.Project.Name, Roles: nopa.Snapshot.Roles},
	}
	var changes []repair.Change
	for _, g := range plan.AddGrants {
		changes = append(changes, repair.Change{Step: repair.StepAddGrant, SchemeID: plan.SchemeID, SchemeName: plan.SchemeName, Grant: g, Outcome: repair.Made, Done: true})
	}
	check := &repair.CustomerCheck{Verdict: repair.VerdictStillDenied, Name: "Alice Customer", Missing: repair.CustomerPermissions,
		Causes: []repair.Cause{repair.CauseCustomerAccess, repair.CauseAccountState}}
	msg := renderResult(v, &repair.Result{Plan: plan, Changes: changes, After: diagnoseSim(t, "HELP"), Verified: true, Customer: check}, "")
	checkLimits(t, msg)
	raw, err := json.Marshal(msg.blocks)
	if err != nil {
		t.Fatal(err)
	}
	final := slacksim.RenderBlocks(raw)
	for _, w := range []string{"Grants present, customer still denied", "customer access settings", "deactivated or suspended"} {
		if !strings.Contains(final, w) {
			t.Errorf("result message lacks %q:\n%s", w, final)
		}
	}
}

// TestAuditChanges: the audit record lists what Jira holds; an unknown
// change as one that may have been applied; a deleted copy as removed.
func TestAuditChanges(t *testing.T) {
	t.Parallel()
	g := diagnosis.Grant{Permission: "BROWSE_PROJECTS", Holder: diagnosis.Holder{Type: "sd.customer.portal.only"}}
	data := approval.PlanData{Plan: diagnosis.Plan{Mode: diagnosis.ModeCopy}}
	res := &repair.Result{Changes: []repair.Change{
		{Step: repair.StepCreateScheme, SchemeID: 7, SchemeName: "S 2", Outcome: repair.Made, Done: true},
		{Step: repair.StepAssignScheme, SchemeName: "S 2", Outcome: repair.Failed, Err: errors.New("400")},
		{Step: repair.StepDeleteScheme, SchemeID: 7, SchemeName: "S 2", Outcome: repair.Made, Done: true},
		{Step: repair.StepAddGrant, SchemeName: "S", Grant: g, Outcome: repair.Unknown},
		{Step: repair.StepAddGrant, SchemeName: "S", Grant: g, Outcome: repair.NotAttempted},
	}}
	created, removed := auditChanges(data, res)
	if diff := cmp.Diff([]string{
		"created the scheme “S 2” (id 7)",
		"may have been applied: granted `BROWSE_PROJECTS` to Service Project Customer - Portal Access in “S”",
	}, created); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"deleted the scheme “S 2” (id 7)"}, removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
}
