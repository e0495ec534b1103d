package slacksim

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// RenderBlocks renders Block Kit blocks as plain text for a terminal: a
// header is underlined, section text and fields are printed as written
// (mrkdwn left as is), context elements are joined on one line, a divider is
// a rule, buttons look like "[ Approve ]", selects like "[ Pick one ▾ ]",
// inputs like "Label: ____", rich text as its text. Unknown blocks print
// their type in brackets. Invalid JSON gives "[invalid blocks]".
func RenderBlocks(blocks json.RawMessage) string {
	var list []block
	if len(blocks) == 0 {
		return ""
	}
	if err := json.Unmarshal(blocks, &list); err != nil {
		return "[invalid blocks]\n"
	}
	var b strings.Builder
	for _, bl := range list {
		bl.render(&b)
	}
	return b.String()
}

type textObj struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type element struct {
	Type        string          `json:"type"`
	Text        json.RawMessage `json:"text"` // a text object, or a string in rich text
	Placeholder *textObj        `json:"placeholder"`
	AltText     string          `json:"alt_text"`
	URL         string          `json:"url"`
	Name        string          `json:"name"`
	UserID      string          `json:"user_id"`
	ChannelID   string          `json:"channel_id"`
	Elements    []element       `json:"elements"`
}

type block struct {
	Type      string    `json:"type"`
	Text      *textObj  `json:"text"`
	Fields    []textObj `json:"fields"`
	Accessory *element  `json:"accessory"`
	Elements  []element `json:"elements"`
	Label     *textObj  `json:"label"`
	Element   *element  `json:"element"`
	AltText   string    `json:"alt_text"`
	Title     *textObj  `json:"title"`
}

func (bl block) render(b *strings.Builder) {
	switch bl.Type {
	case "header":
		t := textOf(bl.Text)
		fmt.Fprintf(b, "%s\n%s\n", t, strings.Repeat("=", utf8.RuneCountInString(t)))
	case "section":
		if t := textOf(bl.Text); t != "" {
			b.WriteString(t + "\n")
		}
		for _, f := range bl.Fields {
			b.WriteString("  " + f.Text + "\n")
		}
		if bl.Accessory != nil {
			if r := bl.Accessory.control(); r != "" {
				b.WriteString("  " + r + "\n")
			}
		}
	case "context":
		var parts []string
		for _, e := range bl.Elements {
			if e.Type == "image" {
				parts = append(parts, "["+e.AltText+"]")
				continue
			}
			var s string // a text object: {"type":"mrkdwn","text":"…"}
			_ = json.Unmarshal(e.Text, &s)
			parts = append(parts, s)
		}
		b.WriteString("  " + strings.Join(parts, "  ") + "\n")
	case "divider":
		b.WriteString(strings.Repeat("-", 40) + "\n")
	case "actions":
		var parts []string
		for _, e := range bl.Elements {
			parts = append(parts, e.control())
		}
		b.WriteString(strings.Join(parts, "  ") + "\n")
	case "input":
		ctl := "____"
		if bl.Element != nil && bl.Element.Type != "plain_text_input" {
			ctl = bl.Element.control()
		}
		fmt.Fprintf(b, "%s: %s\n", textOf(bl.Label), ctl)
	case "image":
		fmt.Fprintf(b, "[image: %s]\n", bl.AltText)
	case "rich_text":
		var sb strings.Builder
		for _, e := range bl.Elements {
			e.richText(&sb)
		}
		b.WriteString(strings.TrimRight(sb.String(), "\n") + "\n")
	default:
		fmt.Fprintf(b, "[%s]\n", bl.Type)
	}
}

func textOf(t *textObj) string {
	if t == nil {
		return ""
	}
	return t.Text
}

func (e element) textObj() textObj {
	var t textObj
	_ = json.Unmarshal(e.Text, &t)
	return t
}

// control renders an interactive element.
func (e element) control() string {
	switch e.Type {
	case "button":
		return "[ " + e.textObj().Text + " ]"
	case "overflow":
		return "[ … ]"
	case "image":
		return "[image: " + e.AltText + "]"
	}
	if strings.Contains(e.Type, "select") {
		label := "Select"
		if e.Placeholder != nil {
			label = e.Placeholder.Text
		}
		return "[ " + label + " ▾ ]"
	}
	return "[" + e.Type + "]"
}

// richText flattens rich text elements.
func (e element) richText(b *strings.Builder) {
	switch e.Type {
	case "text":
		var s string
		_ = json.Unmarshal(e.Text, &s)
		b.WriteString(s)
	case "link":
		var s string
		_ = json.Unmarshal(e.Text, &s)
		if s == "" {
			s = e.URL
		}
		b.WriteString(s)
	case "user":
		b.WriteString("<@" + e.UserID + ">")
	case "channel":
		b.WriteString("<#" + e.ChannelID + ">")
	case "emoji":
		b.WriteString(":" + e.Name + ":")
	default: // sections, lists, quotes, preformatted
		for _, c := range e.Elements {
			c.richText(b)
		}
		if e.Type != "rich_text_section" || len(e.Elements) > 0 {
			b.WriteString("\n")
		}
	}
}
