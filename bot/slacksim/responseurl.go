package slacksim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// responseURL is an issued response_url and what it answers for.
type responseURL struct {
	channelID string
	userID    string
	messageTS string // the source message ("original"); for commands, the last response
	issued    time.Time
	uses      int
}

// issueResponseURLLocked hands out a response_url shaped like Slack's
// (https://hooks.slack.com/{commands|actions|app}/T…/n/secret) on this
// server. kind is "commands", "actions" or "app".
func (s *Server) issueResponseURLLocked(kind, channelID, userID, messageTS string) string {
	n := s.nextLocked("response_url")
	path := fmt.Sprintf("/hooks/%s/%s/%d/sim%016x", kind, s.cfg.teamID, 1000000000+n, uint64(n)*0x9e3779b97f4a7c15)
	s.respURLs[path] = &responseURL{channelID: channelID, userID: userID, messageTS: messageTS, issued: s.now()}
	return s.http.URL() + path
}

// responseBody is what slack-go (MsgOptionResponseURL and friends) and
// slack.PostWebhook send to a response_url.
type responseBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

// serveResponseURL records a response_url post and applies it: a new
// ephemeral (default) or in_channel message, or a replacement or deletion
// of the original message.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	body, err := io.ReadAll(r.Body)
	call := Call{Method: ResponseURLMethod, URL: s.http.URL() + r.URL.Path, Args: r.URL.Query(), Status: http.StatusOK}
	if json.Valid(body) {
		call.JSON = body
	}

	status, answer := http.StatusOK, ""
	var maxErr *http.MaxBytesError
	s.mu.Lock()
	ru := s.respURLs[r.URL.Path]
	var rb responseBody
	switch {
	case errors.As(err, &maxErr):
		status, answer = http.StatusRequestEntityTooLarge, "request_too_large"
	case ru == nil:
		status, answer = http.StatusNotFound, "no_service"
	case s.now().Sub(ru.issued) > responseURLTTL:
		status, answer = http.StatusNotFound, "expired_url"
	case ru.uses >= responseURLUses:
		status, answer = http.StatusNotFound, "used_url"
	case err != nil || json.Unmarshal(body, &rb) != nil:
		status, answer = http.StatusBadRequest, "invalid_payload"
	default:
		if e := s.applyResponseLocked(ru, rb); e != nil {
			status, answer = http.StatusBadRequest, e.code
		} else {
			ru.uses++
		}
	}
	call.Status, call.Error, call.Time = status, answer, s.now()
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if answer == "" {
		_, _ = w.Write([]byte(`{"ok":true}`))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": answer})
}

func (s *Server) applyResponseLocked(ru *responseURL, rb responseBody) *apiError {
	orig := s.findLocked(ru.channelID, ru.messageTS)
	switch {
	case rb.DeleteOriginal:
		if orig == nil {
			return fail("message_not_found")
		}
		s.deleteMessageLocked(orig.ChannelID, orig.TS)
		return nil
	case rb.ReplaceOriginal && orig != nil:
		if e := checkContent(rb.Text, rb.Blocks, false); e != nil {
			return e
		}
		orig.Text = rb.Text
		orig.Blocks = compactBlocks(rb.Blocks)
		return nil
	}
	if e := checkContent(rb.Text, rb.Blocks, false); e != nil {
		return e
	}
	m := &Message{
		ChannelID: ru.channelID,
		TS:        s.newTSLocked(),
		ThreadTS:  rb.ThreadTS,
		UserID:    s.cfg.botUserID,
		BotID:     s.cfg.botID,
		Text:      rb.Text,
		Blocks:    compactBlocks(rb.Blocks),
	}
	if rb.ResponseType != "in_channel" {
		m.Ephemeral, m.VisibleTo = true, ru.userID
	}
	s.addMessageLocked(m)
	if ru.messageTS == "" {
		// A slash command has no original; its first response becomes the
		// message a later replace_original or delete_original acts on.
		ru.messageTS = m.TS
	}
	return nil
}
