package slacksim_test

import (
	"encoding/json"
	"fmt"

	"github.com/jsmbot/jsmbot/bot/slacksim"
)

func ExampleRenderBlocks() {
	blocks := json.RawMessage(`[
		{"type":"header","text":{"type":"plain_text","text":"HELP needs a fix"}},
		{"type":"section","text":{"type":"mrkdwn","text":"Portal access lacks *Browse Projects*"}},
		{"type":"actions","block_id":"plan","elements":[
			{"type":"button","action_id":"approve","text":{"type":"plain_text","text":"Approve"}},
			{"type":"button","action_id":"dismiss","text":{"type":"plain_text","text":"Dismiss"}}]}]`)
	fmt.Print(slacksim.RenderBlocks(blocks))
	// Output:
	// HELP needs a fix
	// ================
	// Portal access lacks *Browse Projects*
	// [ Approve ]  [ Dismiss ]
}
