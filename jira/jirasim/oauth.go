package jirasim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The simulated Atlassian identity endpoints for service accounts: the
// OAuth 2.0 token endpoint (client credentials grant) and the unauthenticated
// cloudId lookup of a site. Both live at the server's root, outside the base
// path, as auth.atlassian.com/oauth/token and SITE/_edge/tenant_info do.
const (
	TokenPath      = "/oauth/token"
	TenantInfoPath = "/_edge/tenant_info"
)

// Default OAuth 2.0 client credentials accepted at [TokenPath] unless
// [WithClientCredentials] says otherwise, and the default lifetime of an
// access token (Atlassian's: 60 minutes).
const (
	DefaultClientID      = "sim-client-id"
	DefaultClientSecret  = "sim-client-secret"
	DefaultTokenLifetime = time.Hour
)

// DefaultCloudID is the cloudId of the simulated site: the last segment of
// [DefaultBasePath], and what [TenantInfoPath] answers when the base path
// names no other.
const DefaultCloudID = "11111111-2222-3333-4444-555555555555"

// WithClientCredentials sets the OAuth 2.0 client id and secret that the
// token endpoint accepts.
func WithClientCredentials(id, secret string) Option {
	return func(c *config) { c.clientID, c.clientSecret = id, secret }
}

// WithTokenLifetime sets the expires_in of the access tokens the token
// endpoint issues (see [Server.SetTokenLifetime]).
func WithTokenLifetime(d time.Duration) Option {
	return func(c *config) { c.tokenLifetime = d }
}

// WithTokenScopes sets the scope the token endpoint answers with, by
// default the classic scopes of every operation the simulator serves.
func WithTokenScopes(scopes ...string) Option {
	return func(c *config) { c.tokenScopes = strings.Join(scopes, " ") }
}

// oauthState is the tokens issued so far, guarded by Server.mu.
type oauthState struct {
	lifetime time.Duration
	expiry   map[string]time.Time // access token → when it expires
	issued   []string             // in issue order
}

// TokenURL is the simulated token endpoint, for JIRA_TOKEN_URL.
func (s *Server) TokenURL() string { return s.SiteURL() + TokenPath }

// SiteURL is the server's root, scheme://host:port, where [TenantInfoPath]
// is served: what a site URL (https://x.atlassian.net) is to the gateway
// URL [Server.URL].
func (s *Server) SiteURL() string { return strings.TrimSuffix(s.URL, s.cfg.basePath) }

// CloudID is the cloudId [TenantInfoPath] answers.
func (s *Server) CloudID() string {
	if rest, ok := strings.CutPrefix(s.cfg.basePath, "/ex/jira/"); ok && rest != "" && !strings.Contains(rest, "/") {
		return rest
	}
	return DefaultCloudID
}

// SetTokenLifetime sets the expires_in of the access tokens issued from
// now on; tokens already issued keep their expiry. Expiry is read on the
// server's clock ([WithClock]), so a test can make a token lapse during a
// run by advancing a fake clock.
func (s *Server) SetTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.lifetime = d
}

// RevokeTokens makes every access token issued so far invalid, as revoking
// a service account's credential does: the next request with one gets 401.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.oauth.expiry)
}

// IssuedTokens returns every access token issued, in issue order, so tests
// can count renewals and scan output for them.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.oauth.issued...)
}

// serveRoot answers the identity endpoints outside the base path; it
// reports whether r was one of them.
func (s *Server) serveRoot(w http.ResponseWriter, r *http.Request, body []byte) bool {
	switch {
	case r.URL.Path == TokenPath && r.Method == http.MethodPost:
		s.issueToken(w, r, body)
	case r.URL.Path == TenantInfoPath && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"cloudId": s.CloudID()})
	default:
		return false
	}
	return true
}

// oauthError is an OAuth 2.0 error answer (RFC 6749 §5.2).
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// tokenAnswer is Atlassian's token answer.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
}

// DefaultTokenScopes are the classic scopes the token endpoint grants
// unless [WithTokenScopes]: those of every operation the simulator serves.
const DefaultTokenScopes = "read:jira-work manage:jira-configuration manage:jira-project read:jira-user read:servicedesk-request manage:servicedesk-customer"

// issueToken serves the client credentials grant: the parameters come
// form-encoded or as JSON, the client's id and secret in the body or as
// Basic auth.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, body []byte) {
	params := url.Values{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var m map[string]string
		if json.Unmarshal(body, &m) != nil {
			writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "The request body is not a JSON object of strings."})
			return
		}
		for k, v := range m {
			params.Set(k, v)
		}
	case "application/x-www-form-urlencoded":
		p, err := url.ParseQuery(string(body))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "The request body is not form-encoded."})
			return
		}
		params = p
	default:
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "Unsupported content type."})
		return
	}
	if g := params.Get("grant_type"); g != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type", "Unsupported grant type."})
		return
	}
	id, secret := params.Get("client_id"), params.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if id == "" || secret == "" {
		writeJSON(w, http.StatusUnauthorized, oauthError{"invalid_client", "Client authentication failed."})
		return
	}
	i := subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.clientID))
	k := subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.clientSecret))
	if i&k != 1 {
		writeJSON(w, http.StatusUnauthorized, oauthError{"access_denied", "Unauthorized"})
		return
	}
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	token := "sim-oauth-" + hex.EncodeToString(raw[:])

	s.mu.Lock()
	lifetime := s.oauth.lifetime
	s.oauth.expiry[token] = s.cfg.now().Add(lifetime)
	s.oauth.issued = append(s.oauth.issued, token)
	s.mu.Unlock()

	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tokenAnswer{AccessToken: token, ExpiresIn: int(lifetime / time.Second), TokenType: "Bearer", Scope: s.cfg.tokenScopes})
}

// bearerValid reports whether token was issued and has not expired or
// been revoked.
func (s *Server) bearerValid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.oauth.expiry[token]
	return ok && s.cfg.now().Before(exp)
}
