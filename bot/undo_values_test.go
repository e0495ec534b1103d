package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// TestUndoable: the outcome message gets the Undo button only when the
// plan ends applied and the repair itself changed Jira.
func TestUndoable(t *testing.T) {
	t.Parallel()
	v := planView{Rec: store.PlanRecord{ID: "p1", ChannelID: channel, MessageTS: "1.2", ProjectKey: "HELP"}}
	made := &repair.Result{Changes: []repair.Change{{Step: repair.StepAddGrant, Outcome: repair.Made}}}
	there := &repair.Result{Changes: []repair.Change{{Step: repair.StepAddGrant, Outcome: repair.AlreadyThere}}}
	tests := []struct {
		name string
		res  *repair.Result
		o    approval.Outcome
		want bool
	}{
		{"applied", made, approval.Outcome{State: store.StateApplied}, true},
		{"failed", made, approval.Outcome{State: store.StateFailed}, false},
		{"nothing made", there, approval.Outcome{State: store.StateApplied}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			effs := undoable([]effect{update{channel: channel, ts: "1.2", msg: message{text: "x"}}}, v, tt.res, tt.o, 48*time.Hour)
			var got bool
			for _, b := range effs[0].(update).msg.blocks {
				got = got || strings.Contains(blockJSON(t, b), `"action_id":"`+ActionUndo+`"`)
			}
			if got != tt.want {
				t.Errorf("Undo button shown %v, want %v", got, tt.want)
			}
		})
	}
}

// TestWindowText words the undo window.
func TestWindowText(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{168 * time.Hour: "7 day(s)", 12 * time.Hour: "12 hour(s)", 90 * time.Minute: "1h30m0s"} {
		if got := windowText(d); got != want {
			t.Errorf("windowText(%v) = %q, want %q", d, got, want)
		}
	}
}

func blockJSON(t *testing.T, b slack.Block) string {
	t.Helper()
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
