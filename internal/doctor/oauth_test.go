package doctor

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/jira/jirasim"
)

const doctorClientSecret = "doctor-client-secret-71aa"

// newOAuthWorld is newDoctorWorld signing in with client credentials.
func newOAuthWorld(t *testing.T, simOpts ...jirasim.Option) *doctorWorld {
	t.Helper()
	w := newWorld(t, append([]jirasim.Option{jirasim.WithClientCredentials(jirasim.DefaultClientID, doctorClientSecret)}, simOpts...)...)
	w.env["JIRA_EMAIL"], w.env["JIRA_API_TOKEN"] = "", ""
	w.env["JIRA_CLIENT_ID"] = jirasim.DefaultClientID
	w.env["JIRA_CLIENT_SECRET"] = doctorClientSecret
	w.env["JIRA_TOKEN_URL"] = w.jira.TokenURL()
	return w
}

// oauthMarks are the lines of a passing doctor on client credentials.
func oauthMarks(repl map[int]string) []string {
	m := slices.Insert(healthyMarks(), 4, "✓ Jira OAuth scopes")
	for i, s := range repl {
		m[i] = s
	}
	return m
}

func TestDoctorOAuth(t *testing.T) {
	t.Parallel()
	skipped := map[int]string{
		4: "– Jira OAuth scopes",
		5: "– Jira permission Administer Jira (ADMINISTER)",
		6: "– Jira permission Administer Projects (ADMINISTER_PROJECTS)",
		7: "– Jira permission Browse users and groups (USER_PICKER)",
	}
	tests := []struct {
		name      string
		simOpts   []jirasim.Option
		setup     func(w *doctorWorld)
		wantCode  int
		wantMarks []string
		wantLines []string
	}{
		{
			name:      "healthy",
			wantMarks: oauthMarks(nil),
			wantLines: []string{"(service account, OAuth 2.0 client " + jirasim.DefaultClientID + ")", "every scope jsmbot needs is granted", "all 9 checks passed"},
		},
		{
			name:      "wrong secret",
			setup:     func(w *doctorWorld) { w.env["JIRA_CLIENT_SECRET"] = "doctor-wrong-secret-22bb" },
			wantCode:  1,
			wantMarks: oauthMarks(map[int]string{3: "✗ Jira", 4: skipped[4], 5: skipped[5], 6: skipped[6], 7: skipped[7]}),
			wantLines: []string{"✗ Jira: described: unauthorized", "fix: JIRA_CLIENT_ID and JIRA_CLIENT_SECRET must be the service account's OAuth 2.0 credential"},
		},
		{
			name:      "site URL: doctor finds the cloudId",
			setup:     func(w *doctorWorld) { w.env["JIRA_BASE_URL"] = w.jira.SiteURL() },
			wantCode:  1,
			wantMarks: oauthMarks(map[int]string{3: "✗ Jira", 4: skipped[4], 5: skipped[5], 6: skipped[6], 7: skipped[7]}),
			wantLines: []string{
				"the site's cloudId is " + jirasim.DefaultCloudID,
				"fix: set JIRA_BASE_URL=https://api.atlassian.com/ex/jira/" + jirasim.DefaultCloudID,
			},
		},
		{
			name:      "scopes missing",
			simOpts:   []jirasim.Option{jirasim.WithTokenScopes("read:jira-work", "read:jira-user", "manage:jira-configuration")},
			wantCode:  1,
			wantMarks: oauthMarks(map[int]string{4: "✗ Jira OAuth scopes"}),
			wantLines: []string{
				"✗ Jira OAuth scopes: 3 of 6 scopes missing",
				"missing manage:jira-project (without it: assigning a repaired copy of a scheme to a project)",
				"missing read:servicedesk-request (without it: finding a project's service desk)",
				"missing manage:servicedesk-customer (without it: adding customers when retrying failed invites)",
				"fix: add the scopes to the service account's OAuth 2.0 credential",
			},
		},
		{
			name:      "granular scopes are not compared",
			simOpts:   []jirasim.Option{jirasim.WithTokenScopes("read:permission-scheme:jira", "write:permission:jira")},
			wantMarks: oauthMarks(nil),
			wantLines: []string{"granular scopes granted"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newOAuthWorld(t, tt.simOpts...)
			if tt.setup != nil {
				tt.setup(w)
			}
			code, out := doctor(t, w.env, Options{})
			if code != tt.wantCode {
				t.Errorf("code = %d, want %d\n%s", code, tt.wantCode, out)
			}
			if diff := cmp.Diff(tt.wantMarks, marks(out)); diff != "" {
				t.Errorf("marks (-want +got):\n%s\n%s", diff, out)
			}
			for _, l := range tt.wantLines {
				if !strings.Contains(out, l) {
					t.Errorf("output lacks %q:\n%s", l, out)
				}
			}
			assertClean(t, out)
			for _, secret := range append(w.jira.IssuedTokens(), doctorClientSecret, "doctor-wrong-secret-22bb") {
				if strings.Contains(out, secret) {
					t.Errorf("output shows the secret %q:\n%s", secret, out)
				}
			}
		})
	}
}
