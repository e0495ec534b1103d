package slacksim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// verificationToken is the deprecated verification token Slack still puts
// in payloads; Socket Mode apps ignore it.
const verificationToken = "sim-verification-token"

// SlashCommand is a slash command a user types.
type SlashCommand struct {
	UserID    string
	ChannelID string
	Command   string // with the slash; default "/jsm"
	Text      string // everything after the command
}

// SlashCommand sends a slash_commands envelope (accepts_response_payload
// true) with a fresh trigger_id and response_url, and returns its
// envelope_id.
func (s *Server) SlashCommand(ctx context.Context, c SlashCommand) (string, error) {
	if c.Command == "" {
		c.Command = "/jsm"
	}
	if !strings.HasPrefix(c.Command, "/") {
		return "", fmt.Errorf("slacksim: slash command %q must start with /", c.Command)
	}
	s.mu.Lock()
	payload := map[string]any{
		"token":                 verificationToken,
		"team_id":               s.cfg.teamID,
		"team_domain":           s.cfg.teamDomain,
		"channel_id":            c.ChannelID,
		"channel_name":          s.channelName(c.ChannelID),
		"user_id":               c.UserID,
		"user_name":             s.userName(c.UserID),
		"command":               c.Command,
		"text":                  c.Text,
		"api_app_id":            s.cfg.appID,
		"is_enterprise_install": "false",
		"response_url":          s.issueResponseURLLocked("commands", c.ChannelID, c.UserID, ""),
		"trigger_id":            s.issueTriggerLocked(c.UserID, ""),
	}
	return s.sendLocked(ctx, EnvelopeSlashCommands, payload, true, "", "")
}

// sendLocked records an envelope, releases s.mu and delivers it.
func (s *Server) sendLocked(ctx context.Context, typ string, payload any, acceptsResponse bool, interaction, viewID string) (string, error) {
	e, err := s.newEnvelopeLocked(typ, payload, acceptsResponse)
	if err == nil {
		e.interaction, e.viewID = interaction, viewID
	}
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	return e.ID, s.deliver(ctx, e)
}

func (s *Server) userObj(id string) map[string]any {
	name := s.userName(id)
	return map[string]any{"id": id, "username": name, "name": name, "team_id": s.cfg.teamID}
}

func (s *Server) teamObj() map[string]any {
	return map[string]any{"id": s.cfg.teamID, "domain": s.cfg.teamDomain}
}

// Click is a click on a button (block_actions). Set ChannelID and MessageTS
// for a button in a message, or ViewID for a button in a modal.
type Click struct {
	UserID    string
	ChannelID string
	MessageTS string
	ViewID    string
	ActionID  string
	BlockID   string // looked up from the message or view blocks when empty
	Value     string // looked up from the button when empty
}

// Click sends an interactive block_actions envelope for a button, with a
// fresh trigger_id and (for messages) response_url, and returns its
// envelope_id. When the message or view is in the simulator's state, the
// payload carries it as Slack does and a missing BlockID, Value and button
// text are taken from its blocks; without a block_id slack-go would decode
// the action as a legacy attachment action, so Click fails if none is found.
func (s *Server) Click(ctx context.Context, c Click) (string, error) {
	s.mu.Lock()
	var blocks json.RawMessage
	var msg *Message
	var view *View
	if c.ViewID != "" {
		if view = s.viewLocked(c.ViewID); view != nil {
			blocks = view.Blocks
		}
	} else if msg = s.findLocked(c.ChannelID, c.MessageTS); msg != nil {
		blocks = msg.Blocks
	}
	btn := findButton(blocks, c.ActionID, c.BlockID)
	if c.BlockID == "" {
		c.BlockID = btn.blockID
	}
	if c.Value == "" {
		c.Value = btn.value
	}
	label := btn.text
	if label == "" {
		label = c.ActionID
	}
	if c.BlockID == "" {
		s.mu.Unlock()
		return "", fmt.Errorf("slacksim: click %q: no block_id given or found in the blocks", c.ActionID)
	}

	now := s.now()
	action := map[string]any{
		"action_id": c.ActionID,
		"block_id":  c.BlockID,
		"text":      map[string]any{"type": "plain_text", "text": label, "emoji": true},
		"value":     c.Value,
		"type":      "button",
		"action_ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  s.userObj(c.UserID),
		"api_app_id":            s.cfg.appID,
		"token":                 verificationToken,
		"team":                  s.teamObj(),
		"enterprise":            nil,
		"is_enterprise_install": false,
		"state":                 map[string]any{"values": map[string]any{}},
		"actions":               []any{action},
	}
	if c.ViewID != "" {
		payload["container"] = map[string]any{"type": "view", "view_id": c.ViewID}
		payload["trigger_id"] = s.issueTriggerLocked(c.UserID, c.ViewID)
		if view != nil {
			payload["view"] = view.JSON
		}
	} else {
		container := map[string]any{
			"type":         "message",
			"message_ts":   c.MessageTS,
			"channel_id":   c.ChannelID,
			"is_ephemeral": msg != nil && msg.Ephemeral,
		}
		if msg != nil && msg.ThreadTS != "" {
			container["thread_ts"] = msg.ThreadTS
		}
		payload["container"] = container
		payload["channel"] = map[string]any{"id": c.ChannelID, "name": s.channelName(c.ChannelID)}
		payload["trigger_id"] = s.issueTriggerLocked(c.UserID, "")
		payload["response_url"] = s.issueResponseURLLocked("actions", c.ChannelID, c.UserID, c.MessageTS)
		// Slack includes the message, except for ephemeral ones.
		if msg != nil && !msg.Ephemeral {
			payload["message"] = s.messageJSON(msg)
		}
	}
	return s.sendLocked(ctx, EnvelopeInteractive, payload, false, "block_actions", "")
}

type button struct{ blockID, value, text string }

// ButtonValue returns the value of the message's button with the action
// ID (in an actions block or a section's accessory), and whether there is
// one: what a click on it would send.
func (m Message) ButtonValue(actionID string) (string, bool) {
	b := findButton(m.Blocks, actionID, "")
	return b.value, b.value != "" || b.blockID != ""
}

// findButton looks for an element with the action_id in actions blocks and
// section accessories.
func findButton(blocks json.RawMessage, actionID, blockID string) button {
	// Text is raw: in context blocks an element's "text" is a string, in
	// buttons an object, and one strict type would fail the whole list.
	type element struct {
		ActionID string          `json:"action_id"`
		Value    string          `json:"value"`
		Text     json.RawMessage `json:"text"`
	}
	var list []struct {
		BlockID   string    `json:"block_id"`
		Elements  []element `json:"elements"`
		Accessory *element  `json:"accessory"`
	}
	if json.Unmarshal(blocks, &list) != nil {
		return button{}
	}
	for _, b := range list {
		if blockID != "" && b.BlockID != blockID {
			continue
		}
		els := b.Elements
		if b.Accessory != nil {
			els = append(els, *b.Accessory)
		}
		for _, e := range els {
			if e.ActionID == actionID {
				var label struct {
					Text string `json:"text"`
				}
				_ = json.Unmarshal(e.Text, &label)
				return button{blockID: b.BlockID, value: e.Value, text: label.Text}
			}
		}
	}
	return button{}
}

// Shortcut is a message shortcut (message_action) run on a message.
type Shortcut struct {
	CallbackID    string
	UserID        string // who runs the shortcut
	ChannelID     string
	MessageTS     string
	MessageText   string // taken from the simulator's state when empty
	MessageUserID string // the message's author; taken from the state when empty
}

// MessageShortcut sends an interactive message_action envelope with a fresh
// trigger_id and response_url, and returns its envelope_id.
func (s *Server) MessageShortcut(ctx context.Context, sc Shortcut) (string, error) {
	if sc.CallbackID == "" {
		return "", errors.New("slacksim: message shortcut needs a CallbackID")
	}
	s.mu.Lock()
	message := map[string]any{"type": "message", "ts": sc.MessageTS, "text": sc.MessageText}
	if m := s.findLocked(sc.ChannelID, sc.MessageTS); m != nil && !m.Ephemeral {
		message = s.messageJSON(m)
		if sc.MessageText != "" {
			message["text"] = sc.MessageText
		}
	}
	if sc.MessageUserID != "" {
		message["user"] = sc.MessageUserID
	}
	now := s.now()
	payload := map[string]any{
		"type":                  "message_action",
		"token":                 verificationToken,
		"action_ts":             fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000),
		"team":                  s.teamObj(),
		"user":                  s.userObj(sc.UserID),
		"channel":               map[string]any{"id": sc.ChannelID, "name": s.channelName(sc.ChannelID)},
		"is_enterprise_install": false,
		"enterprise":            nil,
		"callback_id":           sc.CallbackID,
		"trigger_id":            s.issueTriggerLocked(sc.UserID, ""),
		"response_url":          s.issueResponseURLLocked("app", sc.ChannelID, sc.UserID, ""),
		"message_ts":            sc.MessageTS,
		"message":               message,
	}
	return s.sendLocked(ctx, EnvelopeInteractive, payload, false, "message_action", "")
}

// Value is the state of one input element in a view submission. Set the
// field that matches the element; Type defaults from it.
type Value struct {
	Type            string   // "plain_text_input", "static_select", "users_select", …
	Value           string   // plain_text_input (also number_input, email_text_input, url_text_input)
	SelectedOption  string   // static_select, radio_buttons: the option's value
	SelectedOptions []string // checkboxes, multi_static_select: option values
	SelectedUser    string   // users_select
	SelectedUsers   []string // multi_users_select
}

func (v Value) wire() map[string]any {
	opt := func(val string) map[string]any {
		return map[string]any{"text": map[string]any{"type": "plain_text", "text": val, "emoji": true}, "value": val}
	}
	out := map[string]any{}
	typ := v.Type
	switch {
	case v.SelectedOptions != nil:
		if typ == "" {
			typ = "checkboxes"
		}
		opts := []any{}
		for _, o := range v.SelectedOptions {
			opts = append(opts, opt(o))
		}
		out["selected_options"] = opts
	case v.SelectedOption != "":
		if typ == "" {
			typ = "static_select"
		}
		out["selected_option"] = opt(v.SelectedOption)
	case v.SelectedUsers != nil:
		if typ == "" {
			typ = "multi_users_select"
		}
		out["selected_users"] = v.SelectedUsers
	case v.SelectedUser != "":
		if typ == "" {
			typ = "users_select"
		}
		out["selected_user"] = v.SelectedUser
	default:
		if typ == "" {
			typ = "plain_text_input"
		}
		out["value"] = v.Value
	}
	out["type"] = typ
	return out
}

// ViewSubmission is a user pressing a modal's submit button.
type ViewSubmission struct {
	UserID          string
	ViewID          string                      // a view the bot opened; its callback_id, metadata and blocks are used
	CallbackID      string                      // overrides (or, for unknown views, sets) callback_id
	PrivateMetadata string                      // overrides private_metadata when not empty
	Values          map[string]map[string]Value // block_id → action_id → value
}

// SubmitView sends an interactive view_submission envelope
// (accepts_response_payload true) and returns its envelope_id. The bot's ack
// payload is the response (response_action "errors", "update", "push",
// "clear", or none to close); read it with [Server.WaitAck] and
// [Ack.ViewResponse]. The simulator applies it to its views.
func (s *Server) SubmitView(ctx context.Context, vs ViewSubmission) (string, error) {
	s.mu.Lock()
	obj := map[string]any{}
	if v := s.viewLocked(vs.ViewID); v != nil {
		if err := json.Unmarshal(v.JSON, &obj); err != nil {
			s.mu.Unlock()
			return "", fmt.Errorf("slacksim: submit view: %w", err)
		}
		if vs.UserID == "" {
			vs.UserID = v.UserID
		}
	} else {
		if vs.ViewID == "" {
			vs.ViewID = fmt.Sprintf("V0SIM%05d", s.nextLocked("view"))
		}
		obj = map[string]any{
			"id": vs.ViewID, "team_id": s.cfg.teamID, "type": "modal", "blocks": []any{},
			"private_metadata": "", "callback_id": "", "hash": fmt.Sprintf("%d.sim", s.now().Unix()),
			"root_view_id": vs.ViewID, "app_id": s.cfg.appID, "bot_id": s.cfg.botID,
			"title": map[string]any{"type": "plain_text", "text": "Modal"},
		}
	}
	if vs.CallbackID != "" {
		obj["callback_id"] = vs.CallbackID
	}
	if vs.PrivateMetadata != "" {
		obj["private_metadata"] = vs.PrivateMetadata
	}
	values := map[string]any{}
	for blockID, actions := range vs.Values {
		m := map[string]any{}
		for actionID, v := range actions {
			m[actionID] = v.wire()
		}
		values[blockID] = m
	}
	obj["state"] = map[string]any{"values": values}
	payload := map[string]any{
		"type":                  "view_submission",
		"team":                  s.teamObj(),
		"user":                  s.userObj(vs.UserID),
		"api_app_id":            s.cfg.appID,
		"token":                 verificationToken,
		"trigger_id":            s.issueTriggerLocked(vs.UserID, vs.ViewID),
		"view":                  obj,
		"response_urls":         []any{},
		"is_enterprise_install": false,
		"enterprise":            nil,
	}
	return s.sendLocked(ctx, EnvelopeInteractive, payload, true, "view_submission", vs.ViewID)
}

// PostUserMessage adds a message to the channel state (TS is generated when
// empty) and sends it to the bot as an Events API message event
// (event_callback with event_id, event_time and authorizations), returning
// the envelope_id. Set UserID for a person (the event gets a client_msg_id)
// or BotID (and optionally UserID and Subtype) for a bot.
func (s *Server) PostUserMessage(ctx context.Context, m Message) (string, error) {
	if m.ChannelID == "" {
		return "", errors.New("slacksim: post user message: no ChannelID")
	}
	if m.UserID == "" && m.BotID == "" {
		return "", errors.New("slacksim: post user message: no UserID or BotID")
	}
	s.mu.Lock()
	if m.TS == "" {
		m.TS = s.newTSLocked()
	} else if s.findLocked(m.ChannelID, m.TS) != nil {
		s.mu.Unlock()
		return "", fmt.Errorf("slacksim: post user message: ts %s already used in %s", m.TS, m.ChannelID)
	}
	m.Ephemeral, m.VisibleTo = false, ""
	msg := m
	s.addMessageLocked(&msg)
	return s.sendLocked(ctx, EnvelopeEventsAPI, s.messageEventLocked(&msg), false, "", "")
}

// messageEventLocked wraps a message as an Events API event_callback.
func (s *Server) messageEventLocked(m *Message) map[string]any {
	ev := s.messageJSON(m)
	ev["channel"] = m.ChannelID
	ev["event_ts"] = m.TS
	ev["channel_type"] = channelType(m.ChannelID)
	if m.BotID == "" {
		ev["client_msg_id"] = fmt.Sprintf("c11e4700-0000-4000-8000-%012x", s.nextLocked("client_msg"))
	}
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		if p := s.findLocked(m.ChannelID, m.ThreadTS); p != nil && p.UserID != "" {
			ev["parent_user_id"] = p.UserID
		}
	}
	delete(ev, "reply_count")
	n := s.nextLocked("event")
	return map[string]any{
		"token":      verificationToken,
		"team_id":    s.cfg.teamID,
		"api_app_id": s.cfg.appID,
		"event":      ev,
		"type":       "event_callback",
		"event_id":   fmt.Sprintf("Ev0SIM%06d", n),
		"event_time": s.now().Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id":         nil,
			"team_id":               s.cfg.teamID,
			"user_id":               s.cfg.botUserID,
			"is_bot":                true,
			"is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         fmt.Sprintf("4-sim-%d", n),
	}
}

// channelType derives channel_type from a conversation ID's prefix.
func channelType(id string) string {
	switch {
	case strings.HasPrefix(id, "D"):
		return "im"
	case strings.HasPrefix(id, "G"):
		return "group"
	default:
		return "channel"
	}
}
