package slacksim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Envelope types, as Slack names them in the "type" field of an envelope.
const (
	EnvelopeSlashCommands = "slash_commands"
	EnvelopeInteractive   = "interactive"
	EnvelopeEventsAPI     = "events_api"
)

const (
	writeTimeout = 5 * time.Second
	// warningGrace is how long Slack keeps a socket open after a "warning"
	// disconnect (about 10 s, per Slack's Socket Mode docs); other reasons
	// close sooner. slack-go closes its side at once on any disconnect frame,
	// so these only matter for clients that don't.
	warningGrace = 10 * time.Second
	otherGrace   = time.Second
)

// Envelope is a Socket Mode envelope the simulator sent.
type Envelope struct {
	ID                     string
	Type                   string // EnvelopeSlashCommands, EnvelopeInteractive or EnvelopeEventsAPI
	Payload                json.RawMessage
	AcceptsResponsePayload bool
	RetryAttempt           int
	RetryReason            string
	Deliveries             int // how many times it was written to a socket

	interaction string // payload "type" for interactive envelopes
	viewID      string // for view_submission
}

// envelopeWire is an envelope as Slack writes it on the socket.
type envelopeWire struct {
	EnvelopeID             string          `json:"envelope_id"`
	Type                   string          `json:"type"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           *int            `json:"retry_attempt,omitempty"`
	RetryReason            *string         `json:"retry_reason,omitempty"`
	Payload                json.RawMessage `json:"payload"`
}

func (e *Envelope) wire() ([]byte, error) {
	w := envelopeWire{
		EnvelopeID:             e.ID,
		Type:                   e.Type,
		AcceptsResponsePayload: e.AcceptsResponsePayload,
		Payload:                e.Payload,
	}
	// Events API envelopes always carry the retry fields ("" and 0 on the
	// first try); the others only when a test redelivers them.
	if e.Type == EnvelopeEventsAPI || e.RetryAttempt > 0 {
		n, r := e.RetryAttempt, e.RetryReason
		w.RetryAttempt, w.RetryReason = &n, &r
	}
	return json.Marshal(w)
}

// Ack is an acknowledgement the bot wrote on a socket:
// {"envelope_id":"…","payload":{…}}.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // nil when the ack had no payload
	ReceivedAt time.Time       // server clock
}

// ViewResponse is the response payload of a view_submission ack.
type ViewResponse struct {
	ResponseAction string            `json:"response_action"` // "errors", "update", "push", "clear" or "" (close)
	Errors         map[string]string `json:"errors,omitempty"`
	View           json.RawMessage   `json:"view,omitempty"`
}

// ViewResponse decodes the ack's payload as a view_submission response. An
// ack without payload gives the zero ViewResponse (Slack closes the view).
func (a Ack) ViewResponse() (ViewResponse, error) {
	var vr ViewResponse
	if len(a.Payload) == 0 || string(a.Payload) == "null" {
		return vr, nil
	}
	if err := json.Unmarshal(a.Payload, &vr); err != nil {
		return vr, fmt.Errorf("slacksim: decode view response: %w", err)
	}
	return vr, nil
}

// conn is one Socket Mode websocket.
type conn struct {
	id        int
	host      string
	ws        *websocket.Conn
	wmu       sync.Mutex // gorilla allows one concurrent writer of data frames
	done      chan struct{}
	closeOnce sync.Once
}

func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// close drops the TCP connection without a close frame.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

// connectionURLLocked issues a single-use ticket for apps.connections.open.
func (s *Server) connectionURLLocked() string {
	ticket := fmt.Sprintf("sim-ticket-%d", s.nextLocked("ticket"))
	s.tickets[ticket] = true
	return "ws" + strings.TrimPrefix(s.http.URL(), "http") + "/link/?ticket=" + ticket + "&app_id=" + s.cfg.appID
}

// serveLink accepts the Socket Mode websocket for a ticket from
// apps.connections.open, sends hello and reads acks until the socket dies.
func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket]
	delete(s.tickets, ticket) // single use, like Slack's
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}

	up := websocket.Upgrader{
		// slack-go dials with Origin: https://api.slack.com.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already answered
	}
	ws.SetReadLimit(maxBodyBytes)
	c := &conn{ws: ws, done: make(chan struct{})}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	c.id = s.nextLocked("conn")
	c.host = fmt.Sprintf("applink-sim-%d", c.id)
	s.allConns[c] = true
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": len(s.conns) + 1,
		"debug_info": map[string]any{
			"host":                        c.host,
			"build_number":                1,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": s.cfg.appID},
	})
	ws.SetPongHandler(func(string) error {
		s.mu.Lock()
		s.seq["pong"]++
		s.notifyLocked()
		s.mu.Unlock()
		return nil
	})
	s.wg.Add(1) // the reader below; the HTTP server forgets hijacked connections
	s.trackLocked(func() { s.pingLoop(c) })
	s.mu.Unlock()
	defer s.wg.Done()

	// hello goes out before the socket becomes eligible for envelopes.
	if err := c.write(hello); err == nil {
		s.mu.Lock()
		if !s.closed {
			s.conns = append(s.conns, c)
			s.notifyLocked()
		}
		s.mu.Unlock()
	}

	for {
		typ, data, err := ws.ReadMessage()
		if err != nil {
			break
		}
		if typ == websocket.TextMessage {
			s.handleFrame(data)
		}
	}
	c.close()
	s.mu.Lock()
	s.removeConnLocked(c)
	delete(s.allConns, c)
	s.notifyLocked()
	s.mu.Unlock()
}

func (s *Server) removeConnLocked(c *conn) {
	for i, x := range s.conns {
		if x == c {
			s.conns = append(s.conns[:i:i], s.conns[i+1:]...)
			return
		}
	}
}

// pingLoop sends WebSocket pings, as Slack does, until the socket closes.
func (s *Server) pingLoop(c *conn) {
	if s.cfg.pingInterval <= 0 {
		return
	}
	t := time.NewTicker(s.cfg.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-s.done:
			return
		case <-t.C:
			// WriteControl may run concurrently with WriteMessage.
			_ = c.ws.WriteControl(websocket.PingMessage, []byte("sim"), time.Now().Add(writeTimeout))
		}
	}
}

// handleFrame records an ack written by the client.
func (s *Server) handleFrame(data []byte) {
	var f struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &f); err != nil || f.EnvelopeID == "" {
		return // Slack ignores what isn't an ack
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := Ack{EnvelopeID: f.EnvelopeID, Payload: f.Payload, ReceivedAt: s.now()}
	if string(a.Payload) == "null" {
		a.Payload = nil
	}
	s.acks = append(s.acks, a)
	if e, ok := s.envelopes[a.EnvelopeID]; ok && e.interaction == "view_submission" && s.countAcksLocked(a.EnvelopeID) == 1 {
		s.applyViewResponseLocked(e.viewID, a)
	}
	s.notifyLocked()
}

func (s *Server) countAcksLocked(id string) int {
	n := 0
	for _, a := range s.acks {
		if a.EnvelopeID == id {
			n++
		}
	}
	return n
}

// trackLocked runs f on a goroutine that Close waits for; after Close it
// does nothing. s.mu must be held, which orders the Add before Close's Wait.
func (s *Server) trackLocked(f func()) {
	if s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// newEnvelopeLocked records an envelope for delivery.
func (s *Server) newEnvelopeLocked(typ string, payload any, acceptsResponse bool) (*Envelope, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("slacksim: encode payload: %w", err)
	}
	e := &Envelope{ID: s.uuidLocked(), Type: typ, Payload: raw, AcceptsResponsePayload: acceptsResponse}
	s.envelopes[e.ID] = e
	return e, nil
}

// deliver waits for a connected socket and writes the envelope to one of
// them, round-robin, as Slack spreads payloads over an app's connections.
func (s *Server) deliver(ctx context.Context, e *Envelope) error {
	for {
		c, err := waitFor(ctx, s, func() (*conn, bool) {
			if len(s.conns) == 0 {
				return nil, false
			}
			c := s.conns[s.rr%len(s.conns)]
			s.rr++
			return c, true
		})
		if err != nil {
			return err
		}
		s.mu.Lock()
		frame, err := e.wire()
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("slacksim: encode envelope: %w", err)
		}
		if err := c.write(frame); err != nil {
			// A dead socket: forget it and try another one.
			c.close()
			s.mu.Lock()
			s.removeConnLocked(c)
			s.notifyLocked()
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		e.Deliveries++
		s.notifyLocked()
		s.mu.Unlock()
		return nil
	}
}

// SendEnvelope pushes a raw envelope of the given type ([EnvelopeEventsAPI],
// [EnvelopeInteractive], [EnvelopeSlashCommands]) with the payload as is. It
// is the escape hatch for payloads the typed helpers don't build (for example
// app_home_opened). It waits for a connection and returns the envelope_id.
func (s *Server) SendEnvelope(ctx context.Context, typ string, payload json.RawMessage, acceptsResponsePayload bool) (string, error) {
	if !json.Valid(payload) {
		return "", fmt.Errorf("slacksim: send envelope: payload is not valid JSON")
	}
	s.mu.Lock()
	e, err := s.newEnvelopeLocked(typ, payload, acceptsResponsePayload)
	if err == nil {
		var p struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(payload, &p)
		if typ == EnvelopeInteractive {
			e.interaction = p.Type
		}
	}
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	return e.ID, s.deliver(ctx, e)
}

// Redeliver sends an envelope again with retry_attempt increased by one and
// retry_reason "timeout", as Slack retries an Events API delivery that was
// not acked in time. (Slack retries only events_api envelopes; the simulator
// lets a test redeliver any.) The envelope_id stays the same.
func (s *Server) Redeliver(ctx context.Context, envelopeID string) error {
	s.mu.Lock()
	e, ok := s.envelopes[envelopeID]
	if ok {
		e.RetryAttempt++
		e.RetryReason = "timeout"
	}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("slacksim: redeliver: unknown envelope %q", envelopeID)
	}
	return s.deliver(ctx, e)
}

// Envelope returns a copy of a sent envelope (its payload holds the
// trigger_id and response_url the bot received).
func (s *Server) Envelope(envelopeID string) (Envelope, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.envelopes[envelopeID]
	if !ok {
		return Envelope{}, false
	}
	return *e, true
}

// WaitAck waits until the bot acks the envelope and returns the first ack.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	return waitFor(ctx, s, func() (Ack, bool) {
		for _, a := range s.acks {
			if a.EnvelopeID == envelopeID {
				return a, true
			}
		}
		return Ack{}, false
	})
}

// Acks returns every ack received, in arrival order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ack(nil), s.acks...)
}

// Disconnect sends {"type":"disconnect","reason":reason,"debug_info":{…}} on
// every open socket and closes them as Slack does: at once the sockets stop
// receiving envelopes (Connections drops), and each is closed after a grace
// period (10 s for "warning", 1 s otherwise) unless the client closes first,
// which slack-go does immediately. Typical reasons: "refresh_requested",
// "warning", "link_disabled", "too_many_websockets".
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	conns := s.conns
	s.conns = nil
	s.notifyLocked()
	grace := otherGrace
	if reason == "warning" {
		grace = warningGrace
	}
	for _, c := range conns {
		s.trackLocked(func() {
			frame, _ := json.Marshal(map[string]any{
				"type":       "disconnect",
				"reason":     reason,
				"debug_info": map[string]any{"host": c.host},
			})
			if err := c.write(frame); err != nil {
				c.close()
				return
			}
			t := time.NewTimer(grace)
			defer t.Stop()
			select {
			case <-c.done:
			case <-s.done:
			case <-t.C:
				_ = c.ws.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(writeTimeout))
				c.close()
			}
		})
	}
	s.mu.Unlock()
}

// DropConnections closes every socket's TCP connection without a disconnect
// message or close frame, as a network failure would. Connections is 0 when
// it returns.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.allConns))
	for c := range s.allConns {
		conns = append(conns, c)
	}
	s.conns = nil
	s.notifyLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// Connections returns the number of open sockets that receive envelopes
// (sockets told to disconnect no longer count).
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// WaitConnected waits until at least n sockets receive envelopes.
func (s *Server) WaitConnected(ctx context.Context, n int) error {
	_, err := waitFor(ctx, s, func() (struct{}, bool) { return struct{}{}, len(s.conns) >= n })
	return err
}

// WaitDisconnected waits until no socket is open: every client has closed
// its connection (a bot that stopped) or the server dropped it.
func (s *Server) WaitDisconnected(ctx context.Context) error {
	_, err := waitFor(ctx, s, func() (struct{}, bool) { return struct{}{}, len(s.allConns) == 0 })
	return err
}

// Pongs returns how many WebSocket pongs the clients sent in answer to the
// server's pings.
func (s *Server) Pongs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq["pong"]
}
