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

// TestMessageButtonValue: a message's button value is what a click sends;
// a button that is not there is reported as missing.
func TestMessageButtonValue(t *testing.T) {
	t.Parallel()
	m := Message{Blocks: []byte(`[{"type":"actions","block_id":"b","elements":[{"type":"button","action_id":"approve","value":"plan1","text":{"type":"plain_text","text":"Approve"}}]}]`)}
	if v, ok := m.ButtonValue("approve"); !ok || v != "plan1" {
		t.Errorf("ButtonValue(approve) = %q, %v; want plan1, true", v, ok)
	}
	if v, ok := m.ButtonValue("dismiss"); ok {
		t.Errorf("ButtonValue(dismiss) = %q, true; want no button", v)
	}
}
