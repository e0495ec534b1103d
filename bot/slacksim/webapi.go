package slacksim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ResponseURLMethod is the Method of a [Call] recording a POST to a
// response_url.
const ResponseURLMethod = "response_url"

// Call is one recorded request: a Web API method call or a response_url post.
type Call struct {
	Method string          // "chat.postMessage", or ResponseURLMethod
	Args   url.Values      // form fields and query parameters as sent (form calls include "token")
	JSON   json.RawMessage // the body, when it was JSON (views.*, response_url)
	Token  string          // the token used, from the form or the Authorization header
	URL    string          // the response_url, for ResponseURLMethod
	Time   time.Time       // server clock
	Status int             // HTTP status answered
	Error  string          // the "error" answered with ok:false, or ""
}

// Arg returns a call argument by name, from the form or from a top-level
// JSON string field.
func (c Call) Arg(name string) string {
	if v, ok := c.Args[name]; ok && len(v) > 0 {
		return v[0]
	}
	if len(c.JSON) > 0 {
		var m map[string]json.RawMessage
		if json.Unmarshal(c.JSON, &m) == nil {
			var str string
			if json.Unmarshal(m[name], &str) == nil {
				return str
			}
		}
	}
	return ""
}

// tokenKind says which token a method takes.
type tokenKind int

const (
	botToken tokenKind = iota
	appToken
)

// apiError is an ok:false answer.
type apiError struct {
	code     string
	messages []string // response_metadata.messages
}

func fail(code string, messages ...string) *apiError {
	return &apiError{code: code, messages: messages}
}

type methodFunc func(s *Server, r *apiRequest) (map[string]any, *apiError)

type method struct {
	token tokenKind
	fn    methodFunc
}

// lookupMethod maps a method name to its implementation: the Web API
// surface the simulator models. Everything else is answered
// "unknown_method", as Slack does.
func lookupMethod(name string) (method, bool) {
	switch name {
	case "apps.connections.open":
		return method{appToken, (*Server).appsConnectionsOpen}, true
	case "auth.test":
		return method{botToken, (*Server).authTest}, true
	case "chat.postMessage":
		return method{botToken, (*Server).chatPostMessage}, true
	case "chat.update":
		return method{botToken, (*Server).chatUpdate}, true
	case "chat.postEphemeral":
		return method{botToken, (*Server).chatPostEphemeral}, true
	case "chat.delete":
		return method{botToken, (*Server).chatDelete}, true
	case "conversations.replies":
		return method{botToken, (*Server).conversationsReplies}, true
	case "users.info":
		return method{botToken, (*Server).usersInfo}, true
	case "users.lookupByEmail":
		return method{botToken, (*Server).usersLookupByEmail}, true
	case "usergroups.users.list":
		return method{botToken, (*Server).usergroupsUsersList}, true
	case "views.open":
		return method{botToken, (*Server).viewsOpen}, true
	case "views.push":
		return method{botToken, (*Server).viewsPush}, true
	case "views.update":
		return method{botToken, (*Server).viewsUpdate}, true
	case "views.publish":
		return method{botToken, (*Server).viewsPublish}, true
	}
	return method{}, false
}

// apiRequest is a parsed Web API request: form values or a JSON object.
type apiRequest struct {
	form url.Values
	obj  map[string]json.RawMessage // JSON body, nil for forms
}

// str returns a string argument from the form or the JSON object.
func (r *apiRequest) str(name string) string {
	if v := r.form.Get(name); v != "" {
		return v
	}
	if raw, ok := r.obj[name]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return string(raw) // numbers, booleans
	}
	return ""
}

// has reports whether an argument is present at all.
func (r *apiRequest) has(name string) bool {
	_, inForm := r.form[name]
	_, inObj := r.obj[name]
	return inForm || inObj
}

// raw returns a JSON-valued argument: a JSON-encoded string in a form (how
// slack-go sends blocks), or a JSON value in a JSON body (how it sends views).
// A JSON body may also carry the value as a JSON-encoded string.
func (r *apiRequest) raw(name string) (json.RawMessage, bool) {
	if v, ok := r.form[name]; ok && len(v) > 0 {
		return json.RawMessage(v[0]), true
	}
	raw, ok := r.obj[name]
	if !ok {
		return nil, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return json.RawMessage(s), true
	}
	return raw, true
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("method")
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	call := Call{Method: name, Status: http.StatusOK}
	req := &apiRequest{form: url.Values{}}

	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var parseErr error
	if ctype == "application/json" {
		body, err := io.ReadAll(r.Body)
		parseErr = err
		if err == nil && len(strings.TrimSpace(string(body))) > 0 {
			call.JSON = body
			if json.Unmarshal(body, &req.obj) != nil {
				parseErr = errors.New("invalid json")
			}
		}
		req.form = r.URL.Query()
	} else {
		parseErr = r.ParseForm()
		req.form = r.Form
	}
	call.Args = req.form

	// Slack takes the token from the Authorization header or the form (JSON
	// bodies must use the header).
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		call.Token = strings.TrimPrefix(auth, "Bearer ")
	} else {
		call.Token = req.form.Get("token")
	}

	var maxErr *http.MaxBytesError
	if errors.As(parseErr, &maxErr) {
		call.Status = http.StatusRequestEntityTooLarge
		s.record(call)
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}

	s.mu.Lock()
	resp, status, retryAfter := s.callLocked(name, req, &call, parseErr)
	call.Time = s.now()
	call.Status = status
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(resp)
}

// callLocked authenticates and runs a method; it returns the body, the HTTP
// status and, for 429, Retry-After seconds.
func (s *Server) callLocked(name string, req *apiRequest, call *Call, parseErr error) (map[string]any, int, int) {
	errBody := func(e *apiError) map[string]any {
		call.Error = e.code
		b := map[string]any{"ok": false, "error": e.code}
		if len(e.messages) > 0 {
			b["response_metadata"] = map[string]any{"messages": e.messages}
		}
		return b
	}
	m, ok := lookupMethod(name)
	if !ok {
		b := errBody(fail("unknown_method"))
		b["req_method"] = name
		return b, http.StatusOK, 0
	}
	if parseErr != nil {
		if call.JSON != nil {
			return errBody(fail("invalid_json")), http.StatusOK, 0
		}
		return errBody(fail("invalid_form_data")), http.StatusOK, 0
	}
	if e := s.authLocked(m.token, call.Token); e != nil {
		return errBody(e), http.StatusOK, 0
	}
	if q := s.failNext[name]; len(q) > 0 {
		f := q[0]
		s.failNext[name] = q[1:]
		if f.status == http.StatusTooManyRequests {
			return errBody(fail("ratelimited")), f.status, int(math.Ceil(f.retryAfter.Seconds()))
		}
		return errBody(fail(f.err)), f.status, 0
	}
	resp, e := m.fn(s, req)
	if e != nil {
		return errBody(e), http.StatusOK, 0
	}
	body := map[string]any{"ok": true}
	for k, v := range resp {
		body[k] = v
	}
	return body, http.StatusOK, 0
}

// authLocked checks a token against the kind the method needs.
func (s *Server) authLocked(want tokenKind, token string) *apiError {
	if token == "" {
		return fail("not_authed")
	}
	good, other := s.cfg.botToken, s.cfg.appToken
	if want == appToken {
		good, other = other, good
	}
	switch token {
	case good:
		return nil
	case other:
		return fail("not_allowed_token_type")
	default:
		return fail("invalid_auth")
	}
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Time = s.now()
	s.calls = append(s.calls, c)
	s.notifyLocked()
}

// RateLimitNext makes the next call of method answer HTTP 429 with
// Retry-After (whole seconds, rounded up) and {"ok":false,"error":"ratelimited"},
// as Slack does; slack-go turns that into *slack.RateLimitedError. Calls
// queue: calling it twice limits the next two calls.
func (s *Server) RateLimitNext(method string, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[method] = append(s.failNext[method], failure{status: http.StatusTooManyRequests, retryAfter: retryAfter})
}

// FailNext makes the next call of method answer {"ok":false,"error":code}
// with HTTP 200 (for example "channel_not_found" or "internal_error"), after
// the token check. Calls queue like [Server.RateLimitNext].
func (s *Server) FailNext(method, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[method] = append(s.failNext[method], failure{status: http.StatusOK, err: code})
}

// Calls returns the recorded calls of a method (every call when method is
// ""), in arrival order, including rejected ones.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method)
}

func (s *Server) callsLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// ResponseURLPosts returns the recorded posts to response URLs.
func (s *Server) ResponseURLPosts() []Call { return s.Calls(ResponseURLMethod) }

// WaitCall waits for a call of method (any method when "") for which pred
// (nil means any) is true, whether it was already recorded or arrives later,
// and returns the first such call.
func (s *Server) WaitCall(ctx context.Context, method string, pred func(Call) bool) (Call, error) {
	return waitFor(ctx, s, func() (Call, bool) {
		i := slices.IndexFunc(s.calls, func(c Call) bool {
			return (method == "" || c.Method == method) && (pred == nil || pred(c))
		})
		if i < 0 {
			return Call{}, false
		}
		return s.calls[i], true
	})
}

func (s *Server) appsConnectionsOpen(*apiRequest) (map[string]any, *apiError) {
	return map[string]any{"url": s.connectionURLLocked()}, nil
}

func (s *Server) authTest(*apiRequest) (map[string]any, *apiError) {
	return map[string]any{
		"url":                   "https://" + s.cfg.teamDomain + ".slack.com/",
		"team":                  "Sim Team",
		"user":                  s.cfg.botName,
		"team_id":               s.cfg.teamID,
		"user_id":               s.cfg.botUserID,
		"bot_id":                s.cfg.botID,
		"is_enterprise_install": false,
	}, nil
}

func (s *Server) userJSON(u User) map[string]any {
	return map[string]any{
		"id":        u.ID,
		"team_id":   s.cfg.teamID,
		"name":      u.Name,
		"deleted":   u.Deleted,
		"real_name": u.RealName,
		"is_bot":    u.IsBot,
		"is_admin":  u.IsAdmin,
		"profile": map[string]any{
			"real_name":    u.RealName,
			"display_name": u.Name,
			"email":        u.Email,
			"team":         s.cfg.teamID,
		},
	}
}

func (s *Server) usersInfo(r *apiRequest) (map[string]any, *apiError) {
	if list := r.str("users"); list != "" { // GetUsersInfo
		var out []map[string]any
		for _, id := range strings.Split(list, ",") {
			u, ok := s.users[id]
			if !ok {
				return nil, fail("user_not_found")
			}
			out = append(out, s.userJSON(u))
		}
		return map[string]any{"users": out}, nil
	}
	u, ok := s.users[r.str("user")]
	if !ok {
		return nil, fail("user_not_found")
	}
	return map[string]any{"user": s.userJSON(u)}, nil
}

func (s *Server) usersLookupByEmail(r *apiRequest) (map[string]any, *apiError) {
	email := r.str("email")
	for _, u := range s.users {
		if email != "" && strings.EqualFold(u.Email, email) {
			return map[string]any{"user": s.userJSON(u)}, nil
		}
	}
	return nil, fail("users_not_found")
}

func (s *Server) usergroupsUsersList(r *apiRequest) (map[string]any, *apiError) {
	members, ok := s.groups[r.str("usergroup")]
	if !ok {
		return nil, fail("no_such_subteam")
	}
	return map[string]any{"users": append([]string{}, members...)}, nil
}
