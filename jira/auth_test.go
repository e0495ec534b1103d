package jira_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// newOAuthClient returns a client on client credentials for sim.
func newOAuthClient(t *testing.T, sim *jirasim.Server, secret string, opts ...jira.Option) *jira.Client {
	t.Helper()
	opts = append([]jira.Option{jira.WithClientCredentials(jirasim.DefaultClientID, secret, sim.TokenURL())}, opts...)
	c, err := jira.NewClient(sim.URL, "", "", opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// statuses lists the requests sim got at path, as "METHOD status".
func statuses(sim *jirasim.Server, path string) []string {
	var out []string
	for _, r := range sim.Requests() {
		if r.Path == path {
			out = append(out, r.Method+" "+http.StatusText(r.Status))
		}
	}
	return out
}

func TestClientCredentialsTokenIsCachedAndRenewed(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New()
	sim := jirasim.NewServer(t, jirasim.WithClock(clock.Now))
	c := newOAuthClient(t, sim, jirasim.DefaultClientSecret)
	ctx := t.Context()

	for range 3 {
		if _, err := c.Myself(ctx); err != nil {
			t.Fatalf("Myself: %v", err)
		}
	}
	if n := len(sim.IssuedTokens()); n != 1 {
		t.Fatalf("3 calls fetched %d tokens, want 1 (cached)", n)
	}

	// The token lapses on Jira's clock although the client still thinks it
	// fresh (revoked early, or clocks apart): one 401, one renewal, and the
	// call succeeds.
	clock.Advance(2 * time.Hour)
	if _, err := c.Myself(ctx); err != nil {
		t.Fatalf("Myself after expiry: %v", err)
	}
	if n := len(sim.IssuedTokens()); n != 2 {
		t.Errorf("after expiry %d tokens were issued, want 2", n)
	}
	want := []string{"GET OK", "GET OK", "GET OK", "GET Unauthorized", "GET OK"}
	if diff := cmp.Diff(want, statuses(sim, "/rest/api/3/myself")); diff != "" {
		t.Errorf("requests to /myself (-want +got):\n%s", diff)
	}
}

func TestClientCredentialsRenewsBeforeExpiry(t *testing.T) {
	t.Parallel()
	// A lifetime below jira.RenewBefore: every call needs a fresh token, and
	// none goes out with one about to lapse.
	sim := jirasim.NewServer(t, jirasim.WithTokenLifetime(jira.RenewBefore/2))
	c := newOAuthClient(t, sim, jirasim.DefaultClientSecret)
	for range 3 {
		if _, err := c.Myself(t.Context()); err != nil {
			t.Fatalf("Myself: %v", err)
		}
	}
	if n := len(sim.IssuedTokens()); n != 3 {
		t.Errorf("%d tokens issued for 3 calls, want 3", n)
	}
	if diff := cmp.Diff([]string{"GET OK", "GET OK", "GET OK"}, statuses(sim, "/rest/api/3/myself")); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestClientCredentialsRepeatsABodyOnceAfterRevocation(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t)
	c := newOAuthClient(t, sim, jirasim.DefaultClientSecret)
	ctx := t.Context()
	if _, err := c.Myself(ctx); err != nil {
		t.Fatal(err)
	}
	sim.RevokeTokens()
	created, err := c.CreatePermissionScheme(ctx, jira.PermissionScheme{Name: "renewed"})
	if err != nil {
		t.Fatalf("CreatePermissionScheme after revocation: %v", err)
	}
	if created.Name != "renewed" {
		t.Errorf("created %q, want the body sent again", created.Name)
	}
	want := []string{"POST Unauthorized", "POST Created"}
	if diff := cmp.Diff(want, statuses(sim, "/rest/api/3/permissionscheme")); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestClientCredentialsRenewsOnlyOnce(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t)
	c := newOAuthClient(t, sim, jirasim.DefaultClientSecret)
	// Jira refuses even a fresh token (e.g. the base URL is the site's).
	sim.FailNext(http.MethodGet, "/rest/api/3/myself", 5, http.StatusUnauthorized, nil)
	_, err := c.Myself(t.Context())
	if !errors.Is(err, jira.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if got := len(statuses(sim, "/rest/api/3/myself")); got != 2 {
		t.Errorf("%d attempts, want exactly 2 (one renewal)", got)
	}
	if n := len(sim.IssuedTokens()); n != 2 {
		t.Errorf("%d tokens issued, want 2", n)
	}
}

func TestClientCredentialsWrongSecret(t *testing.T) {
	t.Parallel()
	const secret = "wrong-client-secret-77"
	sim := jirasim.NewServer(t)
	c := newOAuthClient(t, sim, secret)
	_, err := c.Myself(t.Context())
	if !errors.Is(err, jira.ErrTokenRefused) || !errors.Is(err, jira.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrTokenRefused and ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("the error shows the secret: %v", err)
	}
	if !strings.Contains(err.Error(), "401 access_denied") {
		t.Errorf("err = %v, want the status and OAuth code", err)
	}
	var tokenReqs int
	for _, r := range sim.Requests() {
		if r.Path == jirasim.TokenPath {
			tokenReqs++
		}
	}
	if tokenReqs != 1 {
		t.Errorf("%d token requests, want 1: a refusal is not retried", tokenReqs)
	}
	if got := statuses(sim, "/rest/api/3/myself"); len(got) != 0 {
		t.Errorf("Jira was called without a token: %v", got)
	}
}

func TestClientCredentialsSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		email, token string
		id, secret   string
		tokenURL     string
		wantErr      string
	}{
		{name: "defaults to Atlassian's endpoint", id: "id", secret: "s"},
		{name: "loopback http", id: "id", secret: "s", tokenURL: "http://127.0.0.1:9/oauth/token"},
		{name: "both kinds", email: "a@b.c", token: "t", id: "id", secret: "s", wantErr: "both given"},
		{name: "no secret", id: "id", wantErr: "client secret is empty"},
		{name: "no id", secret: "s", wantErr: "client id is empty"},
		{name: "http elsewhere", id: "id", secret: "s", tokenURL: "http://auth.example.com/oauth/token", wantErr: "token URL must start with https://"},
		{name: "credentials in the URL", id: "id", secret: "s", tokenURL: "https://u:SECRETX@auth.example.com/", wantErr: "token URL must not carry credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := jira.NewClient("https://api.atlassian.com/ex/jira/abc", tt.email, tt.token, jira.WithClientCredentials(tt.id, tt.secret, tt.tokenURL))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "SECRETX"):
				t.Errorf("the error shows the URL's secret: %v", err)
			}
		})
	}
}

func TestIsGatewayURL(t *testing.T) {
	t.Parallel()
	for u, want := range map[string]bool{
		"https://api.atlassian.com/ex/jira/abc-123":  true,
		"https://api.atlassian.com/ex/jira/abc-123/": true,
		"http://127.0.0.1:8/ex/jira/x":               true,
		"https://x.atlassian.net":                    false,
		"https://api.atlassian.com/ex/jira/":         false,
		"http://127.0.0.1:8":                         false,
	} {
		if got := jira.IsGatewayURL(u); got != want {
			t.Errorf("IsGatewayURL(%q) = %v, want %v", u, got, want)
		}
	}
}
