package repair_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
)

// TestApplyProgress: WithProgress hears the record after each write, with
// the grant ids Jira gave to the writes made so far and the rest still
// planned, before the next write starts; for a copy, the copy's id after
// its creation.
func TestApplyProgress(t *testing.T) {
	t.Parallel()
	for _, mode := range []diagnosis.Mode{diagnosis.ModeInPlace, diagnosis.ModeCopy} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			e, sim := newEngine(t, jirasim.ScenarioPortalAccessMissing)
			d, err := e.Diagnose(t.Context(), "NOPA")
			if err != nil {
				t.Fatal(err)
			}
			plan, err := diagnosis.NewPlan(d.Snapshot, mode)
			if err != nil {
				t.Fatal(err)
			}
			var seen [][]repair.Outcome
			var writesAt []int
			var last repair.Record
			res, err := e.Apply(t.Context(), plan, repair.WithPlanID("p1"), repair.WithProgress(func(rec repair.Record) {
				var outs []repair.Outcome
				for _, c := range rec.Changes {
					outs = append(outs, c.Outcome)
					if c.Outcome == repair.Made && c.Step == repair.StepAddGrant && c.Grant.ID == 0 {
						t.Errorf("a made grant is recorded without its id: %+v", c)
					}
					if c.Outcome == repair.Made && c.Step == repair.StepCreateScheme && c.SchemeID == 0 {
						t.Errorf("the copy is recorded without its id: %+v", c)
					}
				}
				if rec.PlanID != "p1" {
					t.Errorf("record names plan %q, want p1", rec.PlanID)
				}
				last = rec
				seen = append(seen, outs)
				writesAt = append(writesAt, len(writes(sim)))
			}))
			if err != nil {
				t.Fatal(err)
			}
			m, n := repair.Made, repair.NotAttempted
			want := [][]repair.Outcome{{m, n}, {m, m}}
			if diff := cmp.Diff(want, seen); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]int{1, 2}, writesAt); diff != "" {
				t.Errorf("writes made when progress was heard (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(res.Record(), last); diff != "" {
				t.Errorf("the last progress is not the apply's record (-want +got):\n%s", diff)
			}
		})
	}
}
