package jirasim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// post sends body to the token endpoint and returns the status and the
// decoded JSON answer.
func post(t *testing.T, sim *jirasim.Server, contentType, body string, basic [2]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, sim.TokenURL(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if basic[0] != "" {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %q", b)
	}
	return resp.StatusCode, m
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t)
	form := func(v url.Values) string { return v.Encode() }
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {jirasim.DefaultClientID}, "client_secret": {jirasim.DefaultClientSecret}}
	tests := []struct {
		name, ctype, body string
		basic             [2]string
		wantStatus        int
		wantError         string
	}{
		{name: "form", ctype: "application/x-www-form-urlencoded", body: form(good), wantStatus: 200},
		{name: "JSON", ctype: "application/json", body: `{"grant_type":"client_credentials","client_id":"` + jirasim.DefaultClientID + `","client_secret":"` + jirasim.DefaultClientSecret + `"}`, wantStatus: 200},
		{name: "Basic client auth", ctype: "application/x-www-form-urlencoded", body: "grant_type=client_credentials", basic: [2]string{jirasim.DefaultClientID, jirasim.DefaultClientSecret}, wantStatus: 200},
		{name: "wrong secret", ctype: "application/x-www-form-urlencoded", body: form(url.Values{"grant_type": {"client_credentials"}, "client_id": {jirasim.DefaultClientID}, "client_secret": {"nope"}}), wantStatus: 401, wantError: "access_denied"},
		{name: "no client", ctype: "application/x-www-form-urlencoded", body: "grant_type=client_credentials", wantStatus: 401, wantError: "invalid_client"},
		{name: "other grant", ctype: "application/x-www-form-urlencoded", body: "grant_type=password", wantStatus: 400, wantError: "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, m := post(t, sim, tt.ctype, tt.body, tt.basic)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %v", status, tt.wantStatus, m)
			}
			if tt.wantError != "" {
				if m["error"] != tt.wantError {
					t.Errorf("error = %v, want %s", m["error"], tt.wantError)
				}
				return
			}
			got := map[string]any{"expires_in": m["expires_in"], "token_type": m["token_type"], "scope": m["scope"]}
			want := map[string]any{"expires_in": float64(3600), "token_type": "Bearer", "scope": jirasim.DefaultTokenScopes}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if tok, _ := m["access_token"].(string); tok == "" {
				t.Error("no access_token")
			}
		})
	}
}

// get calls /myself with a Bearer token and returns the status.
func get(t *testing.T, sim *jirasim.Server, token string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, sim.URL+"/rest/api/3/myself", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestBearerTokensExpireOnTheClock(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New()
	sim := jirasim.NewServer(t, jirasim.WithClock(clock.Now), jirasim.WithTokenLifetime(10*time.Minute))
	_, m := post(t, sim, "application/x-www-form-urlencoded", "grant_type=client_credentials", [2]string{jirasim.DefaultClientID, jirasim.DefaultClientSecret})
	tok, _ := m["access_token"].(string)
	if m["expires_in"] != float64(600) {
		t.Errorf("expires_in = %v, want 600", m["expires_in"])
	}
	var got []int
	got = append(got, get(t, sim, tok), get(t, sim, "sim-oauth-unknown"))
	clock.Advance(10 * time.Minute)
	got = append(got, get(t, sim, tok))
	if diff := cmp.Diff([]int{200, 401, 401}, got); diff != "" {
		t.Errorf("statuses: fresh, unknown, expired (-want +got):\n%s", diff)
	}
}

func TestTenantInfo(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t)
	resp, err := http.Get(sim.SiteURL() + jirasim.TenantInfoPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct{ CloudID string }
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || info.CloudID != jirasim.DefaultCloudID {
		t.Errorf("tenant_info = %+v, %v; want cloudId %s", info, err, jirasim.DefaultCloudID)
	}
}
