package slacksim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jsmbot/jsmbot/internal/loopback"
)

// Defaults used when no option overrides them.
const (
	// DefaultBotToken is the bot token (xoxb-) the simulator accepts.
	DefaultBotToken = "xoxb-sim-bot-token"
	// DefaultAppToken is the app-level token (xapp-) the simulator accepts.
	DefaultAppToken = "xapp-1-sim-app-token"
	// DefaultBotUserID is the bot's user ID, as auth.test reports it.
	DefaultBotUserID = "U0BOT"
	// DefaultBotID is the bot's bot ID (B…), set on the bot's messages.
	DefaultBotID = "B0BOT"
	// DefaultTeamID is the workspace ID.
	DefaultTeamID = "T0SIM"
	// DefaultTeamDomain is the workspace's domain.
	DefaultTeamDomain = "simteam"
	// DefaultAppID is the app's ID, sent in hello and in payloads.
	DefaultAppID = "A0SIM"
	// DefaultPingInterval is how often the simulator sends WebSocket pings
	// unless [WithPingInterval] says otherwise. It is well below slack-go's
	// default dead-man interval of 30 s.
	DefaultPingInterval = 5 * time.Second
)

// Slack's documented lifetimes, on the server's clock.
const (
	triggerTTL      = 3 * time.Second
	responseURLTTL  = 30 * time.Minute
	responseURLUses = 5
	maxBodyBytes    = 1 << 20 // requests and frames; Slack's own limits are lower
)

// ErrClosed is returned by waiting and sending methods once the server is closed.
var ErrClosed = errors.New("slacksim: server closed")

// User is a workspace member known to the simulator (users.info,
// users.lookupByEmail, names in payloads).
type User struct {
	ID       string
	Name     string // handle, e.g. "alice"
	RealName string
	Email    string
	IsBot    bool
	IsAdmin  bool
	Deleted  bool
}

// Option configures a [Server].
type Option func(*config)

type config struct {
	botToken, appToken string
	botUserID, botID   string
	botName            string
	teamID, teamDomain string
	appID              string
	pingInterval       time.Duration
	now                func() time.Time
	users              []User
	groups             map[string][]string
	channels           map[string]string
	echoBotMessages    bool
}

// WithTokens sets the bot (xoxb-…) and app-level (xapp-…) tokens the server
// accepts. New panics if a token lacks its prefix: that is a test bug.
func WithTokens(bot, app string) Option {
	return func(c *config) { c.botToken, c.appToken = bot, app }
}

// WithUsers adds workspace members. The bot user is always present.
func WithUsers(users ...User) Option {
	return func(c *config) { c.users = append(c.users, users...) }
}

// WithUserGroup defines a user group (S…) and its members for
// usergroups.users.list.
func WithUserGroup(id string, members ...string) Option {
	return func(c *config) { c.groups[id] = append([]string(nil), members...) }
}

// WithChannel names a channel; payloads carry the name in channel_name and
// channel.name. Channels need not be declared to be used.
func WithChannel(id, name string) Option {
	return func(c *config) { c.channels[id] = name }
}

// WithPingInterval sets how often the server sends WebSocket pings on each
// connection; 0 disables them (slack-go then reconnects after its dead-man
// interval, as it would with a silent Slack).
func WithPingInterval(d time.Duration) Option {
	return func(c *config) { c.pingInterval = d }
}

// WithClock sets the server's clock, used for message timestamps, event
// times, trigger_id and response_url expiry and record times. Default
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithEchoBotMessages makes the server deliver each message the bot posts
// with chat.postMessage back to the bot as an Events API message event (with
// bot_id, no subtype), as Slack does when the app subscribes to message
// events in that channel. Off by default so that tests see only the
// envelopes they send.
func WithEchoBotMessages() Option {
	return func(c *config) { c.echoBotMessages = true }
}

// Server is a running Slack simulator. Create it with [New] or [NewServer];
// it is safe for concurrent use.
type Server struct {
	cfg  config
	http *loopback.Server
	done chan struct{} // closed by Close
	wg   sync.WaitGroup

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	closed  bool
	seq     map[string]int // per-kind ID counters
	lastTS  time.Time

	users  map[string]User
	groups map[string][]string

	// Socket Mode.
	tickets   map[string]bool // issued, not yet used
	conns     []*conn         // open and eligible for delivery, oldest first
	allConns  map[*conn]bool  // every open socket, for Close
	rr        int
	envelopes map[string]*Envelope
	acks      []Ack

	// Web API.
	calls     []Call
	failNext  map[string][]failure
	messages  map[string][]*Message // per channel, in ts order
	views     []*View
	triggers  map[string]*trigger
	respURLs  map[string]*responseURL
	published map[string]*View // home tabs per user
}

type failure struct {
	status     int
	retryAfter time.Duration
	err        string
}

// New starts a simulator on a loopback port. Close it when done.
func New(opts ...Option) *Server {
	cfg := config{
		botToken:     DefaultBotToken,
		appToken:     DefaultAppToken,
		botUserID:    DefaultBotUserID,
		botID:        DefaultBotID,
		botName:      "jsmbot",
		teamID:       DefaultTeamID,
		teamDomain:   DefaultTeamDomain,
		appID:        DefaultAppID,
		pingInterval: DefaultPingInterval,
		now:          time.Now,
		groups:       map[string][]string{},
		channels:     map[string]string{},
	}
	for _, o := range opts {
		o(&cfg)
	}
	if !strings.HasPrefix(cfg.botToken, "xoxb-") {
		panic(fmt.Sprintf("slacksim: bot token must start with xoxb-, got %.5q", cfg.botToken))
	}
	if !strings.HasPrefix(cfg.appToken, "xapp-") {
		panic(fmt.Sprintf("slacksim: app token must start with xapp-, got %.5q", cfg.appToken))
	}

	s := &Server{
		cfg:       cfg,
		done:      make(chan struct{}),
		changed:   make(chan struct{}),
		seq:       map[string]int{},
		users:     map[string]User{},
		groups:    cfg.groups,
		tickets:   map[string]bool{},
		allConns:  map[*conn]bool{},
		envelopes: map[string]*Envelope{},
		failNext:  map[string][]failure{},
		messages:  map[string][]*Message{},
		triggers:  map[string]*trigger{},
		respURLs:  map[string]*responseURL{},
		published: map[string]*View{},
	}
	s.users[cfg.botUserID] = User{ID: cfg.botUserID, Name: cfg.botName, RealName: cfg.botName, IsBot: true}
	for _, u := range cfg.users {
		s.users[u.ID] = u
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("/link/", s.serveLink)
	mux.HandleFunc("POST /hooks/{kind}/{team}/{id}/{secret}", s.serveResponseURL)
	hs, err := loopback.New(mux)
	if err != nil {
		// Like httptest: there is nothing a test could do without a port.
		panic("slacksim: " + err.Error())
	}
	s.http = hs
	hs.Start()
	return s
}

// TB is the part of testing.TB that [NewServer] uses; *testing.T and
// *testing.B satisfy it. It is an interface of its own so that the
// simulator does not link the testing package into a binary that runs it.
type TB interface {
	Helper()
	Cleanup(func())
}

// NewServer is [New] for tests: it registers Close with tb.Cleanup.
func NewServer(tb TB, opts ...Option) *Server {
	tb.Helper()
	s := New(opts...)
	tb.Cleanup(s.Close)
	return s
}

// APIURL returns the Web API base URL, ending in "/" as slack.OptionAPIURL
// requires. The API lives under a non-empty path (/api/) so that a client
// dropping the base path fails loudly.
func (s *Server) APIURL() string { return s.http.URL() + "/api/" }

// URL returns the server's root URL (http://127.0.0.1:port).
func (s *Server) URL() string { return s.http.URL() }

// Close drops every socket, stops the HTTP server and waits for the
// simulator's goroutines. Waiting methods return [ErrClosed] afterwards. It is
// safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
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
	s.http.Close()
	s.wg.Wait()
}

// notifyLocked wakes every waiter. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor calls check under s.mu until it reports true, the context ends or
// the server closes.
func waitFor[T any](ctx context.Context, s *Server, check func() (T, bool)) (T, error) {
	for {
		s.mu.Lock()
		v, ok := check()
		closed, ch := s.closed, s.changed
		s.mu.Unlock()
		if ok {
			return v, nil
		}
		var zero T
		if closed {
			return zero, ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// now reads the injected clock.
func (s *Server) now() time.Time { return s.cfg.now() }

// nextLocked returns the next value of a per-kind counter, starting at 1.
func (s *Server) nextLocked(kind string) int {
	s.seq[kind]++
	return s.seq[kind]
}

// newTSLocked returns a fresh message timestamp ("1700000000.000100"),
// strictly increasing even when the clock stands still, as Slack's ts values
// are unique per channel.
func (s *Server) newTSLocked() string {
	t := s.now().Truncate(time.Microsecond)
	if !t.After(s.lastTS) {
		t = s.lastTS.Add(time.Microsecond)
	}
	s.lastTS = t
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// uuidLocked returns a deterministic, UUID-shaped ID for envelopes.
func (s *Server) uuidLocked() string {
	n := s.nextLocked("uuid")
	return fmt.Sprintf("5a1c5140-0000-4000-8000-%012x", n)
}

func (s *Server) userName(id string) string {
	if u, ok := s.users[id]; ok && u.Name != "" {
		return u.Name
	}
	return strings.ToLower(id)
}

func (s *Server) channelName(id string) string {
	if n, ok := s.cfg.channels[id]; ok {
		return n
	}
	return strings.ToLower(id)
}
