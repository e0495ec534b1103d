package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// DefaultTokenURL is Atlassian's OAuth 2.0 token endpoint, where a
// service account's client credentials are exchanged for an access token.
const DefaultTokenURL = "https://auth.atlassian.com/oauth/token"

// RenewBefore is how long before its expiry an access token is renewed, so
// that no request goes out with a token about to lapse.
const RenewBefore = time.Minute

// ErrTokenRefused matches a [*TokenError] whose token endpoint refused the
// client credentials (wrong or revoked client id or secret). It is never
// retried. errors.Is(err, [ErrUnauthorized]) matches it too.
var ErrTokenRefused = errors.New("jira: the token endpoint refused the client credentials")

// TokenError is a failure to get an access token for OAuth 2.0 client
// credentials. Its text names the status and OAuth error code only: never
// the body, the secret or a token.
type TokenError struct {
	// Status is the token endpoint's HTTP status, 0 when none came.
	Status int
	// Code is the OAuth 2.0 error code (invalid_client, access_denied, …),
	// "" when the answer had none.
	Code string
	// Err is the cause when no answer came (a transport error).
	Err error
}

// Error reads like "jira: the token endpoint refused the client
// credentials (401 access_denied)".
func (e *TokenError) Error() string {
	if e.Refused() {
		return fmt.Sprintf("%s (%d %s)", ErrTokenRefused.Error(), e.Status, strings.TrimSpace(e.Code))
	}
	if e.Status != 0 {
		return fmt.Sprintf("jira: the token endpoint answered %d %s", e.Status, strings.TrimSpace(e.Code))
	}
	return fmt.Sprintf("jira: cannot get an access token: %v", e.Err)
}

// Unwrap returns the transport error, if any.
func (e *TokenError) Unwrap() error { return e.Err }

// Refused reports whether the token endpoint answered that the
// credentials are not valid: a 4xx other than 429.
func (e *TokenError) Refused() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests
}

// Is makes a refusal match [ErrTokenRefused] and [ErrUnauthorized].
func (e *TokenError) Is(target error) bool {
	return e.Refused() && (target == ErrTokenRefused || target == ErrUnauthorized)
}

// WithClientCredentials makes the client authenticate with OAuth 2.0
// client credentials (a service account's credential) instead of Basic
// auth: it gets access tokens from tokenURL ([DefaultTokenURL] when ""),
// keeps the current one, renews it [RenewBefore] its expiry, and renews it
// once more when Jira answers 401 (a token revoked early), repeating that
// request with the new token. The base URL is then the API gateway's,
// https://api.atlassian.com/ex/jira/{cloudId}. [NewClient]'s email and
// token must be "". Token requests use the client's HTTP client and
// timeout.
func WithClientCredentials(clientID, clientSecret, tokenURL string) Option {
	return func(o *options) {
		o.oauth = &clientCredentials{id: clientID, secret: clientSecret, tokenURL: tokenURL}
	}
}

// WithTokenSource makes the client authenticate with Bearer tokens from
// ts, as [WithClientCredentials] does with its own source: ts is asked
// when the client has no fresh token (it should fetch one, not cache), and
// the client keeps, renews and on a 401 replaces what it returns.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(o *options) {
		o.oauth = &clientCredentials{source: ts}
	}
}

// clientCredentials is what [WithClientCredentials] or [WithTokenSource]
// asked for.
type clientCredentials struct {
	id, secret, tokenURL string
	source               oauth2.TokenSource
}

// CheckTokenURL checks a token endpoint URL the way [NewClient] checks a
// base URL: https://, or http:// on a loopback address only, no
// credentials, query or fragment. Its errors never repeat the URL.
func CheckTokenURL(raw string) error {
	if _, err := parseBaseURL(raw); err != nil {
		// The base URL's hints name the site and JIRA_EMAIL: keep the rule only.
		msg := strings.Replace(err.Error(), "base URL", "token URL", 1)
		msg, _, _ = strings.Cut(msg, "; ")
		if err == errBaseNotURL || err == errBaseNoHost {
			msg += "; use " + DefaultTokenURL + " (or leave it unset)"
		}
		return errors.New(msg)
	}
	return nil
}

// check validates the settings for [NewClient].
func (cc *clientCredentials) check(email, apiToken string) error {
	var problems []error
	if strings.TrimSpace(email) != "" || strings.TrimSpace(apiToken) != "" {
		problems = append(problems, errors.New("jira: client credentials and an email and API token are both given; use one"))
	}
	if cc.source == nil {
		if strings.TrimSpace(cc.id) == "" {
			problems = append(problems, errors.New("jira: client id is empty"))
		}
		if strings.TrimSpace(cc.secret) == "" {
			problems = append(problems, errors.New("jira: client secret is empty"))
		}
		if cc.tokenURL == "" {
			cc.tokenURL = DefaultTokenURL
		}
		if err := CheckTokenURL(cc.tokenURL); err != nil {
			problems = append(problems, err)
		}
	}
	return errors.Join(problems...)
}

// transport returns the RoundTripper that signs requests with tokens,
// fetching them through hc (whose transport is base).
func (cc *clientCredentials) transport(base http.RoundTripper, hc *http.Client) *bearerTransport {
	if base == nil {
		base = http.DefaultTransport
	}
	fetch := func(ctx context.Context) (*oauth2.Token, error) { return cc.source.Token() }
	if cc.source == nil {
		conf := &clientcredentials.Config{
			ClientID: cc.id, ClientSecret: cc.secret, TokenURL: cc.tokenURL,
			// Atlassian takes client_id and client_secret in the body.
			AuthStyle: oauth2.AuthStyleInParams,
		}
		tokenClient := *hc
		tokenClient.Transport = base
		fetch = func(ctx context.Context) (*oauth2.Token, error) {
			return conf.Token(context.WithValue(ctx, oauth2.HTTPClient, &tokenClient))
		}
	}
	return &bearerTransport{base: base, cache: &tokenCache{fetch: fetch, now: time.Now}}
}

// tokenCache keeps the current access token. One fetch at a time: callers
// that need a token while one is being fetched wait for it.
type tokenCache struct {
	fetch func(context.Context) (*oauth2.Token, error)
	now   func() time.Time

	mu  sync.Mutex
	tok *oauth2.Token
}

// token returns the current token, fetching a new one when there is none
// or it expires within [RenewBefore].
func (c *tokenCache) token(ctx context.Context) (*oauth2.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != nil && (c.tok.Expiry.IsZero() || c.now().Add(RenewBefore).Before(c.tok.Expiry)) {
		return c.tok, nil
	}
	tok, err := c.fetch(ctx)
	if err != nil {
		return nil, tokenError(err)
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, &TokenError{Err: errors.New("the token endpoint answered no access token")}
	}
	c.tok = tok
	return tok, nil
}

// drop forgets bad, if it is still the current token, so that the next
// call fetches a new one. Concurrent 401s for one token fetch once.
func (c *tokenCache) drop(bad *oauth2.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok == bad {
		c.tok = nil
	}
}

// tokenError turns oauth2's error, whose text quotes the endpoint's body,
// into a [*TokenError].
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{Code: re.ErrorCode}
		if re.Response != nil {
			te.Status = re.Response.StatusCode
		}
		return te
	}
	var te *TokenError
	if errors.As(err, &te) {
		return te
	}
	return &TokenError{Err: unwrapURLError(err)}
}

// bearerTransport signs each request with the current token and, on a 401,
// repeats it once with a new one.
type bearerTransport struct {
	base  http.RoundTripper
	cache *tokenCache
}

// RoundTrip sends req with the Bearer token.
func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.cache.token(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.send(req, tok, req.Body)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	// The token was revoked or expired early: renew it and repeat once,
	// when the body can be read again.
	body := io.ReadCloser(http.NoBody)
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return resp, nil
		}
		if body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	t.cache.drop(tok)
	fresh, err := t.cache.token(req.Context())
	if err != nil {
		body.Close()
		drain(resp)
		return nil, err
	}
	if fresh.AccessToken == tok.AccessToken {
		body.Close()
		return resp, nil
	}
	drain(resp)
	return t.send(req, fresh, body)
}

// send sends a copy of req with tok and body.
func (t *bearerTransport) send(req *http.Request, tok *oauth2.Token, body io.ReadCloser) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Body = body
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return t.base.RoundTrip(r)
}

// drain reads a little of a discarded answer and closes it, so that the
// connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}

// closeBody closes a request body that will not be sent, as RoundTrip must.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// IsGatewayURL reports whether baseURL is an API gateway URL,
// …/ex/jira/{cloudId}, rather than a site URL: OAuth tokens and scoped API
// tokens work only there.
func IsGatewayURL(baseURL string) bool {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	return err == nil && strings.Contains(u.Path+"/", "/ex/jira/") && len(strings.TrimSuffix(u.Path, "/")) > len("/ex/jira/")
}

// GrantedScopes returns the scopes the token endpoint says the current
// access token carries (its answer's "scope"), getting a token if there is
// none. listed is false when the answer named none, or the client signs
// in with Basic auth, where scopes cannot be read.
func (c *Client) GrantedScopes(ctx context.Context) (scopes []string, listed bool, err error) {
	if c.tokens == nil {
		return nil, false, nil
	}
	tok, err := c.tokens.token(ctx)
	if err != nil {
		return nil, false, err
	}
	s, _ := tok.Extra("scope").(string)
	scopes = strings.Fields(s)
	return scopes, len(scopes) > 0, nil
}

// TenantInfoPath is where a site answers its cloudId without
// authentication.
const TenantInfoPath = "/_edge/tenant_info"

// GatewayBase is the API gateway's base URL for a cloudId.
func GatewayBase(cloudID string) string {
	return "https://api.atlassian.com/ex/jira/" + url.PathEscape(cloudID)
}

// CloudID asks the site at siteURL (https://NAME.atlassian.net) for its
// cloudId, without credentials: GET siteURL/_edge/tenant_info. hc nil
// means http.DefaultClient.
func CloudID(ctx context.Context, hc *http.Client, siteURL string) (string, error) {
	base, err := parseBaseURL(siteURL)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", errBaseNotURL
	}
	u.Path, u.RawPath = TenantInfoPath, ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", errBaseNotURL
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("jira: cloudId lookup: %w", unwrapURLError(err))
	}
	defer resp.Body.Close()
	var info struct {
		CloudID string `json:"cloudId"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("jira: cloudId lookup: the site answered %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&info); err != nil || info.CloudID == "" {
		return "", errors.New("jira: cloudId lookup: the site answered no cloudId")
	}
	return info.CloudID, nil
}
