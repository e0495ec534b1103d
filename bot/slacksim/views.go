package slacksim

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

const (
	maxViewBlocks = 100
	maxViewStack  = 3
)

// View is a modal (or Home tab) the bot opened, pushed, updated or
// published, as the simulator holds it.
type View struct {
	ID              string
	ExternalID      string
	RootViewID      string
	PreviousViewID  string
	UserID          string // whose client shows it
	Type            string // "modal" or "home"
	CallbackID      string
	PrivateMetadata string
	Hash            string
	Title           string
	Blocks          json.RawMessage
	JSON            json.RawMessage   // the whole view object, as views.* return it
	Errors          map[string]string // from the last view_submission ack with response_action "errors"
	Closed          bool
}

// trigger is an issued trigger_id.
type trigger struct {
	userID string
	issued time.Time
	used   bool
	viewID string // set when issued from inside a modal (views.push target)
}

// Views returns every view in creation order (closed ones included) and the
// published Home tabs after them.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.views))
	for _, v := range s.views {
		out = append(out, v.clone())
	}
	return out
}

// View returns one view by ID.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.viewLocked(id); v != nil {
		return v.clone(), true
	}
	return View{}, false
}

func (v *View) clone() View {
	c := *v
	c.Errors = maps.Clone(v.Errors)
	return c
}

func (s *Server) viewLocked(id string) *View {
	for _, v := range s.views {
		if v.ID == id {
			return v
		}
	}
	return nil
}

// issueTriggerLocked hands out a trigger_id for a user action.
func (s *Server) issueTriggerLocked(userID, viewID string) string {
	n := s.nextLocked("trigger")
	now := s.now()
	id := fmt.Sprintf("%d.%d.%032x", now.Unix(), 1000000000+n, n)
	s.triggers[id] = &trigger{userID: userID, issued: now, viewID: viewID}
	return id
}

// useTriggerLocked exchanges a trigger_id: valid for 3 s, single use.
func (s *Server) useTriggerLocked(id string) (*trigger, *apiError) {
	if id == "" {
		return nil, fail("invalid_arguments", "missing required field: trigger_id")
	}
	t, ok := s.triggers[id]
	if !ok {
		return nil, fail("invalid_arguments", "invalid `trigger_id`")
	}
	if t.used {
		return nil, fail("exchanged_trigger_id")
	}
	if s.now().Sub(t.issued) > triggerTTL {
		return nil, fail("expired_trigger_id")
	}
	t.used = true
	return t, nil
}

// parseView validates a view payload and returns it as an object.
func parseView(raw json.RawMessage, wantType string) (map[string]json.RawMessage, *apiError) {
	var obj map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &obj) != nil {
		return nil, fail("invalid_arguments", "missing required field: view")
	}
	var typ string
	_ = json.Unmarshal(obj["type"], &typ)
	if typ != wantType {
		return nil, fail("invalid_arguments", fmt.Sprintf("must be %q [json-pointer:/view/type]", wantType))
	}
	var blocks []json.RawMessage
	if b, ok := obj["blocks"]; ok && json.Unmarshal(b, &blocks) != nil {
		return nil, fail("invalid_arguments", "must be an array [json-pointer:/view/blocks]")
	}
	if len(blocks) > maxViewBlocks {
		return nil, fail("invalid_arguments", "must provide an array of no more than 100 items [json-pointer:/view/blocks]")
	}
	return obj, nil
}

// setContentLocked (re)fills a view from a request's view object and renders
// the JSON the API returns.
func (s *Server) setContentLocked(v *View, obj map[string]json.RawMessage) {
	str := func(k string) string {
		var x string
		_ = json.Unmarshal(obj[k], &x)
		return x
	}
	v.Type = str("type")
	v.CallbackID = str("callback_id")
	v.PrivateMetadata = str("private_metadata")
	if ext := str("external_id"); ext != "" {
		v.ExternalID = ext
	}
	v.Title = ""
	var title struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(obj["title"], &title) == nil {
		v.Title = title.Text
	}
	v.Blocks = obj["blocks"]
	if v.Blocks == nil {
		v.Blocks = json.RawMessage("[]")
	}
	v.Hash = fmt.Sprintf("%d.sim%05d", s.now().Unix(), s.nextLocked("hash"))
	v.Errors = nil
	s.renderViewLocked(v, obj)
}

func (s *Server) renderViewLocked(v *View, obj map[string]json.RawMessage) {
	out := map[string]any{}
	for k, val := range obj {
		out[k] = val
	}
	out["id"] = v.ID
	out["team_id"] = s.cfg.teamID
	out["type"] = v.Type
	out["blocks"] = v.Blocks
	out["private_metadata"] = v.PrivateMetadata
	out["callback_id"] = v.CallbackID
	out["external_id"] = v.ExternalID
	out["state"] = map[string]any{"values": map[string]any{}}
	out["hash"] = v.Hash
	out["root_view_id"] = v.RootViewID
	if v.PreviousViewID != "" {
		out["previous_view_id"] = v.PreviousViewID
	} else {
		out["previous_view_id"] = nil
	}
	out["app_id"] = s.cfg.appID
	out["app_installed_team_id"] = s.cfg.teamID
	out["bot_id"] = s.cfg.botID
	for _, k := range []string{"clear_on_close", "notify_on_close"} {
		if _, ok := out[k]; !ok {
			out[k] = false
		}
	}
	v.JSON, _ = json.Marshal(out)
}

func (s *Server) newViewLocked(userID, rootID, prevID string, obj map[string]json.RawMessage) (*View, *apiError) {
	var ext string
	_ = json.Unmarshal(obj["external_id"], &ext)
	if ext != "" {
		for _, v := range s.views {
			if v.ExternalID == ext && !v.Closed {
				return nil, fail("duplicate_external_id")
			}
		}
	}
	v := &View{ID: fmt.Sprintf("V0SIM%05d", s.nextLocked("view")), UserID: userID, PreviousViewID: prevID}
	v.RootViewID = rootID
	if rootID == "" {
		v.RootViewID = v.ID
	}
	s.setContentLocked(v, obj)
	s.views = append(s.views, v)
	return v, nil
}

func (s *Server) viewsOpen(r *apiRequest) (map[string]any, *apiError) {
	raw, _ := r.raw("view")
	obj, e := parseView(raw, "modal")
	if e != nil {
		return nil, e
	}
	t, e := s.useTriggerLocked(r.str("trigger_id"))
	if e != nil {
		return nil, e
	}
	v, e := s.newViewLocked(t.userID, "", "", obj)
	if e != nil {
		return nil, e
	}
	return map[string]any{"view": v.JSON}, nil
}

func (s *Server) viewsPush(r *apiRequest) (map[string]any, *apiError) {
	raw, _ := r.raw("view")
	obj, e := parseView(raw, "modal")
	if e != nil {
		return nil, e
	}
	t, e := s.useTriggerLocked(r.str("trigger_id"))
	if e != nil {
		return nil, e
	}
	// Push onto the modal the trigger came from, else the user's newest
	// open modal.
	top := s.viewLocked(t.viewID)
	if top == nil || top.Closed {
		top = nil
		for _, v := range s.views {
			if v.UserID == t.userID && v.Type == "modal" && !v.Closed {
				top = v
			}
		}
	}
	if top == nil {
		return nil, fail("invalid_arguments", "no open view to push onto")
	}
	top = s.stackTopLocked(top.RootViewID)
	if s.stackDepthLocked(top.RootViewID) >= maxViewStack {
		return nil, fail("push_limit_reached")
	}
	v, e := s.newViewLocked(t.userID, top.RootViewID, top.ID, obj)
	if e != nil {
		return nil, e
	}
	return map[string]any{"view": v.JSON}, nil
}

func (s *Server) stackTopLocked(root string) *View {
	var top *View
	for _, v := range s.views {
		if v.RootViewID == root && !v.Closed {
			top = v
		}
	}
	return top
}

func (s *Server) stackDepthLocked(root string) int {
	n := 0
	for _, v := range s.views {
		if v.RootViewID == root && !v.Closed {
			n++
		}
	}
	return n
}

func (s *Server) viewsUpdate(r *apiRequest) (map[string]any, *apiError) {
	raw, _ := r.raw("view")
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil, fail("invalid_arguments", "missing required field: view")
	}
	var v *View
	id, ext := r.str("view_id"), r.str("external_id")
	for _, x := range s.views {
		if (id != "" && x.ID == id) || (id == "" && ext != "" && x.ExternalID == ext) {
			v = x
		}
	}
	if v == nil || v.Closed {
		return nil, fail("not_found")
	}
	typ := v.Type
	if _, e := parseView(raw, typ); e != nil {
		return nil, e
	}
	if h := r.str("hash"); h != "" && h != v.Hash {
		return nil, fail("hash_conflict")
	}
	s.setContentLocked(v, obj)
	return map[string]any{"view": v.JSON}, nil
}

func (s *Server) viewsPublish(r *apiRequest) (map[string]any, *apiError) {
	user := r.str("user_id")
	if _, ok := s.users[user]; !ok || user == "" {
		return nil, fail("invalid_arguments", "invalid `user_id`")
	}
	raw, _ := r.raw("view")
	obj, e := parseView(raw, "home")
	if e != nil {
		return nil, e
	}
	v := s.published[user]
	if v == nil {
		v = &View{ID: fmt.Sprintf("V0SIM%05d", s.nextLocked("view")), UserID: user}
		v.RootViewID = v.ID
		s.published[user] = v
		s.views = append(s.views, v)
	} else if h := r.str("hash"); h != "" && h != v.Hash {
		return nil, fail("hash_conflict")
	}
	s.setContentLocked(v, obj)
	return map[string]any{"view": v.JSON}, nil
}

// applyViewResponseLocked does what Slack does with a view_submission ack.
func (s *Server) applyViewResponseLocked(viewID string, a Ack) {
	v := s.viewLocked(viewID)
	if v == nil {
		return
	}
	vr, err := a.ViewResponse()
	if err != nil {
		return
	}
	var obj map[string]json.RawMessage
	if len(vr.View) > 0 {
		_ = json.Unmarshal(vr.View, &obj)
	}
	switch vr.ResponseAction {
	case "errors":
		v.Errors = maps.Clone(vr.Errors)
	case "update":
		if obj != nil {
			s.setContentLocked(v, obj)
		}
	case "push":
		if obj != nil && s.stackDepthLocked(v.RootViewID) < maxViewStack {
			_, _ = s.newViewLocked(v.UserID, v.RootViewID, v.ID, obj)
		}
	case "clear":
		for _, x := range s.views {
			if x.RootViewID == v.RootViewID {
				x.Closed = true
			}
		}
	default: // an empty ack closes the submitted view
		v.Closed = true
	}
}
