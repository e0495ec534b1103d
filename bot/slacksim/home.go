package slacksim

import (
	"context"
	"errors"
	"fmt"
)

// HomeView returns the Home tab the bot last published for a user
// (views.publish), and whether it published one.
func (s *Server) HomeView(userID string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.published[userID]
	if v == nil {
		return View{}, false
	}
	return v.clone(), true
}

// OpenAppHome sends the app_home_opened event of a user opening the app's
// Home tab, as Slack does (with the published view, if any). It waits for
// a connection and returns the envelope_id.
func (s *Server) OpenAppHome(ctx context.Context, userID string) (string, error) {
	if userID == "" {
		return "", errors.New("slacksim: open app home: no user")
	}
	s.mu.Lock()
	ev := map[string]any{
		"type":     "app_home_opened",
		"user":     userID,
		"channel":  "D0SIM" + userID,
		"tab":      "home",
		"event_ts": s.newTSLocked(),
	}
	if v := s.published[userID]; v != nil {
		ev["view"] = v.JSON
	}
	n := s.nextLocked("event")
	payload := map[string]any{
		"token":      verificationToken,
		"team_id":    s.cfg.teamID,
		"api_app_id": s.cfg.appID,
		"event":      ev,
		"type":       "event_callback",
		"event_id":   fmt.Sprintf("Ev0SIM%06d", n),
		"event_time": s.now().Unix(),
		"authorizations": []any{map[string]any{
			"team_id": s.cfg.teamID, "user_id": s.cfg.botUserID, "is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         fmt.Sprintf("4-sim-%d", n),
	}
	return s.sendLocked(ctx, EnvelopeEventsAPI, payload, false, "", "")
}
