package slacksim

import (
	"encoding/json"
	"testing"
)

// TestFindButtonBesideContext: a context block's elements carry "text" as a
// string; that must not hide the buttons of the message (a regression: the
// whole block list failed to decode, so Click found no block_id).
func TestFindButtonBesideContext(t *testing.T) {
	t.Parallel()
	blocks := json.RawMessage(`[
		{"type":"context","elements":[{"type":"mrkdwn","text":"Requested by <@U1>"}]},
		{"type":"actions","block_id":"plan","elements":[
			{"type":"button","action_id":"approve","value":"p1","text":{"type":"plain_text","text":"Approve"}}]}]`)
	got := findButton(blocks, "approve", "")
	if want := (button{blockID: "plan", value: "p1", text: "Approve"}); got != want {
		t.Errorf("findButton = %+v, want %+v", got, want)
	}
}
