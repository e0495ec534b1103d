package slacksim

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

func TestRenderBlocks(t *testing.T) {
	t.Parallel()
	txt := func(typ, s string) *slack.TextBlockObject { return slack.NewTextBlockObject(typ, s, false, false) }
	tests := []struct {
		name   string
		blocks any
		want   string
	}{
		{
			name: "diagnosis message",
			blocks: []slack.Block{
				slack.NewHeaderBlock(txt(slack.PlainTextType, "HELP: 2 problems")),
				slack.NewSectionBlock(txt(slack.MarkdownType, "*Portal access* lacks Browse Projects"), []*slack.TextBlockObject{
					txt(slack.MarkdownType, "*Scheme*\nDefault"), txt(slack.MarkdownType, "*Shared with*\n3 projects"),
				}, nil),
				slack.NewDividerBlock(),
				slack.NewContextBlock("ctx", txt(slack.MarkdownType, "rule portal-access"), txt(slack.PlainTextType, "ref abc123")),
				slack.NewActionBlock("plan",
					slack.NewButtonBlockElement("approve", "p1", txt(slack.PlainTextType, "Approve")),
					slack.NewButtonBlockElement("dismiss", "p1", txt(slack.PlainTextType, "Dismiss")),
					slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, txt(slack.PlainTextType, "Mode"), "mode",
						slack.NewOptionBlockObject("copy", txt(slack.PlainTextType, "copy"), nil))),
			},
			want: "HELP: 2 problems\n" +
				"================\n" +
				"*Portal access* lacks Browse Projects\n" +
				"  *Scheme*\nDefault\n" +
				"  *Shared with*\n3 projects\n" +
				"----------------------------------------\n" +
				"  rule portal-access  ref abc123\n" +
				"[ Approve ]  [ Dismiss ]  [ Mode ▾ ]\n",
		},
		{
			name: "section accessory and modal input",
			blocks: []slack.Block{
				slack.NewSectionBlock(txt(slack.MarkdownType, "Undo the repair?"), nil,
					slack.NewAccessory(slack.NewButtonBlockElement("undo", "p1", txt(slack.PlainTextType, "Undo")))),
				slack.NewInputBlock("b", txt(slack.PlainTextType, "Emails"), nil, slack.NewPlainTextInputBlockElement(nil, "emails")),
			},
			want: "Undo the repair?\n  [ Undo ]\nEmails: ____\n",
		},
		{
			name:   "rich text from a user message",
			blocks: json.RawMessage(`[{"type":"rich_text","block_id":"u6n","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"hi "},{"type":"user","user_id":"U0BOT"}]}]}]`),
			want:   "hi <@U0BOT>\n",
		},
		{
			name:   "unknown block",
			blocks: json.RawMessage(`[{"type":"video","title":{"type":"plain_text","text":"x"}}]`),
			want:   "[video]\n",
		},
		{
			name:   "no blocks",
			blocks: json.RawMessage(nil),
			want:   "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, ok := tt.blocks.(json.RawMessage)
			if !ok {
				var err error
				if raw, err = json.Marshal(tt.blocks); err != nil {
					t.Fatalf("marshal: %v", err)
				}
			}
			if diff := cmp.Diff(tt.want, RenderBlocks(raw)); diff != "" {
				t.Errorf("RenderBlocks (-want +got):\n%s", diff)
			}
		})
	}
}
