package slacksim

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// Slack's message limits (chat.postMessage docs, Block Kit reference).
const (
	maxMessageBlocks = 50
	maxTextRunes     = 40000
)

// Message is a message in the simulator's channel state: posted by the bot
// (chat.postMessage, chat.postEphemeral, response_url) or by a user
// ([Server.PostUserMessage]). It is also the input of PostUserMessage.
type Message struct {
	ChannelID string
	TS        string
	ThreadTS  string // parent's ts for thread replies, "" otherwise
	UserID    string // author; the bot user for the bot's messages
	BotID     string // set on messages posted by a bot
	Subtype   string // e.g. "bot_message" for other integrations; "" for plain messages
	Text      string
	Blocks    json.RawMessage // nil when the message has none
	Ephemeral bool
	VisibleTo string // the only user who sees an ephemeral message
}

// Messages returns the channel's messages (thread replies and ephemeral
// messages included) in ts order.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages[channelID]))
	for _, m := range s.messages[channelID] {
		out = append(out, *m)
	}
	return out
}

// Message returns one message by channel and ts.
func (s *Server) Message(channelID, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findLocked(channelID, ts)
	if m == nil {
		return Message{}, false
	}
	return *m, true
}

// WaitMessage waits for a message in the channel for which pred (nil means
// any) is true and returns it.
func (s *Server) WaitMessage(ctx context.Context, channelID string, pred func(Message) bool) (Message, error) {
	return waitFor(ctx, s, func() (Message, bool) {
		for _, m := range s.messages[channelID] {
			if pred == nil || pred(*m) {
				return *m, true
			}
		}
		return Message{}, false
	})
}

func (s *Server) findLocked(channelID, ts string) *Message {
	for _, m := range s.messages[channelID] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

func (s *Server) addMessageLocked(m *Message) {
	list := append(s.messages[m.ChannelID], m)
	slices.SortStableFunc(list, func(a, b *Message) int { return compareTS(a.TS, b.TS) })
	s.messages[m.ChannelID] = list
}

func (s *Server) deleteMessageLocked(channelID, ts string) {
	s.messages[channelID] = slices.DeleteFunc(s.messages[channelID], func(m *Message) bool { return m.TS == ts })
}

// compareTS orders Slack timestamps ("seconds.micros") numerically.
func compareTS(a, b string) int {
	as, af, _ := strings.Cut(a, ".")
	bs, bf, _ := strings.Cut(b, ".")
	if len(as) != len(bs) {
		return len(as) - len(bs)
	}
	if c := strings.Compare(as, bs); c != 0 {
		return c
	}
	return strings.Compare(af, bf)
}

// messageJSON renders a message as the Web API and events return it.
func (s *Server) messageJSON(m *Message) map[string]any {
	out := map[string]any{
		"type": "message",
		"text": m.Text,
		"ts":   m.TS,
		"team": s.cfg.teamID,
	}
	if m.UserID != "" {
		out["user"] = m.UserID
	}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
		if m.BotID == s.cfg.botID {
			out["app_id"] = s.cfg.appID
		}
	}
	if m.Subtype != "" {
		out["subtype"] = m.Subtype
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
		if m.ThreadTS == m.TS {
			n := 0
			for _, r := range s.messages[m.ChannelID] {
				if r.ThreadTS == m.TS && r.TS != m.TS && !r.Ephemeral {
					n++
				}
			}
			out["reply_count"] = n
		}
	}
	return out
}

// Block limits Slack enforces (Block Kit reference): a section's text and
// a table's size, one table per message.
const (
	maxSectionRunes = 3000
	maxTableRows    = 100
	maxTableCells   = 20
)

// checkBlock validates one block's section text and table, counting the
// tables of the message.
func checkBlock(b map[string]json.RawMessage, tables *int) *apiError {
	var typ string
	_ = json.Unmarshal(b["type"], &typ)
	switch typ {
	case "section":
		var t struct {
			Text string `json:"text"`
		}
		if raw, ok := b["text"]; ok && json.Unmarshal(raw, &t) == nil && utf8.RuneCountInString(t.Text) > maxSectionRunes {
			return fail("invalid_blocks", "must be less than 3001 characters [json-pointer:/blocks/text/text]")
		}
	case "table":
		if *tables++; *tables > 1 {
			return fail("invalid_blocks", "only one table block is allowed per message")
		}
		var rows [][]json.RawMessage
		if json.Unmarshal(b["rows"], &rows) != nil || len(rows) == 0 {
			return fail("invalid_blocks", "missing required field: rows")
		}
		if len(rows) > maxTableRows {
			return fail("invalid_blocks", "must provide an array of no more than 100 items [json-pointer:/blocks/rows]")
		}
		for _, r := range rows {
			if len(r) > maxTableCells {
				return fail("invalid_blocks", "must provide an array of no more than 20 items [json-pointer:/blocks/rows/cells]")
			}
		}
	}
	return nil
}

// checkContent validates text and blocks as chat.postMessage does.
func checkContent(text string, blocks json.RawMessage, hasAttachments bool) *apiError {
	if len(blocks) > 0 {
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(blocks, &list); err != nil {
			return fail("invalid_blocks_format")
		}
		if len(list) > maxMessageBlocks {
			return fail("invalid_blocks", "must provide an array of no more than 50 items [json-pointer:/blocks]")
		}
		tables := 0
		for _, b := range list {
			if _, ok := b["type"]; !ok {
				return fail("invalid_blocks", "missing required field: type")
			}
			if e := checkBlock(b, &tables); e != nil {
				return e
			}
		}
		if len(list) == 0 {
			blocks = nil
		}
	}
	if text == "" && len(blocks) == 0 && !hasAttachments {
		return fail("no_text")
	}
	if utf8.RuneCountInString(text) > maxTextRunes {
		return fail("msg_too_long")
	}
	return nil
}

func (s *Server) chatPostMessage(r *apiRequest) (map[string]any, *apiError) {
	ch := r.str("channel")
	if ch == "" {
		return nil, fail("channel_not_found")
	}
	m, e := s.botMessageLocked(r, ch)
	if e != nil {
		return nil, e
	}
	s.addMessageLocked(m)
	if s.cfg.echoBotMessages {
		s.echoLocked(m)
	}
	return map[string]any{"channel": ch, "ts": m.TS, "message": s.messageJSON(m)}, nil
}

// botMessageLocked builds the bot's message in ch from a post's text,
// blocks and thread_ts, checking the content as Slack does.
func (s *Server) botMessageLocked(r *apiRequest, ch string) (*Message, *apiError) {
	blocks, _ := r.raw("blocks")
	text := r.str("text")
	if e := checkContent(text, blocks, r.has("attachments")); e != nil {
		return nil, e
	}
	return &Message{
		ChannelID: ch,
		TS:        s.newTSLocked(),
		ThreadTS:  r.str("thread_ts"),
		UserID:    s.cfg.botUserID,
		BotID:     s.cfg.botID,
		Text:      text,
		Blocks:    compactBlocks(blocks),
	}, nil
}

// compactBlocks returns nil for absent or empty block lists.
func compactBlocks(b json.RawMessage) json.RawMessage {
	t := strings.TrimSpace(string(b))
	if t == "" || t == "[]" || t == "null" {
		return nil
	}
	return json.RawMessage(t)
}

func (s *Server) chatUpdate(r *apiRequest) (map[string]any, *apiError) {
	ch := r.str("channel")
	if ch == "" {
		return nil, fail("channel_not_found")
	}
	m := s.findLocked(ch, r.str("ts"))
	if m == nil || m.Ephemeral { // ephemeral messages change only through response_url
		return nil, fail("message_not_found")
	}
	if m.BotID != s.cfg.botID {
		return nil, fail("cant_update_message")
	}
	blocks, hasBlocks := r.raw("blocks")
	text := r.str("text")
	if !r.has("text") && !hasBlocks && !r.has("attachments") {
		return nil, fail("no_text")
	}
	if hasBlocks && len(compactBlocks(blocks)) > 0 {
		if e := checkContent("x", blocks, false); e != nil {
			return nil, e
		}
	}
	if utf8.RuneCountInString(text) > maxTextRunes {
		return nil, fail("msg_too_long")
	}
	// Fields left out keep their value; blocks=[] clears the blocks.
	if r.has("text") {
		m.Text = text
	}
	if hasBlocks {
		m.Blocks = compactBlocks(blocks)
	}
	return map[string]any{"channel": ch, "ts": m.TS, "text": m.Text, "message": s.messageJSON(m)}, nil
}

func (s *Server) chatPostEphemeral(r *apiRequest) (map[string]any, *apiError) {
	ch := r.str("channel")
	if ch == "" {
		return nil, fail("channel_not_found")
	}
	user := r.str("user")
	if u, known := s.users[user]; user == "" || (known && u.Deleted) {
		return nil, fail("user_not_in_channel")
	}
	m, e := s.botMessageLocked(r, ch)
	if e != nil {
		return nil, e
	}
	m.Ephemeral, m.VisibleTo = true, user
	s.addMessageLocked(m)
	return map[string]any{"message_ts": m.TS}, nil
}

func (s *Server) chatDelete(r *apiRequest) (map[string]any, *apiError) {
	ch := r.str("channel")
	if ch == "" {
		return nil, fail("channel_not_found")
	}
	m := s.findLocked(ch, r.str("ts"))
	if m == nil || m.Ephemeral {
		return nil, fail("message_not_found")
	}
	if m.BotID != s.cfg.botID {
		return nil, fail("cant_delete_message")
	}
	s.deleteMessageLocked(ch, m.TS)
	return map[string]any{"channel": ch, "ts": m.TS}, nil
}

func (s *Server) conversationsReplies(r *apiRequest) (map[string]any, *apiError) {
	ch := r.str("channel")
	if _, ok := s.messages[ch]; !ok {
		return nil, fail("channel_not_found")
	}
	m := s.findLocked(ch, r.str("ts"))
	if m == nil || m.Ephemeral {
		return nil, fail("thread_not_found")
	}
	root := m.TS
	if m.ThreadTS != "" {
		root = m.ThreadTS
	}
	var out []map[string]any
	for _, x := range s.messages[ch] {
		if x.Ephemeral {
			continue
		}
		if x.TS == root || x.ThreadTS == root {
			out = append(out, s.messageJSON(x))
		}
	}
	return map[string]any{
		"messages":          out,
		"has_more":          false,
		"response_metadata": map[string]any{"next_cursor": ""},
	}, nil
}

// echoLocked delivers the bot's own message back as a message event.
func (s *Server) echoLocked(m *Message) {
	e, err := s.newEnvelopeLocked(EnvelopeEventsAPI, s.messageEventLocked(m), false)
	if err != nil {
		return
	}
	s.trackLocked(func() {
		// Ends with ErrClosed when the server closes.
		_ = s.deliver(context.Background(), e)
	})
}
