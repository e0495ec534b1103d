package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// TestJSONErrors: with --json, a failure is one JSON object on stdout, so
// a script never reads empty input; stderr keeps its line.
func TestJSONErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		noSim    bool
		wantKind string
		wantCode int
	}{
		{name: "unknown project", args: []string{"diagnose", "NOPE", "--json"}, wantKind: "not-found", wantCode: exitFailed},
		{name: "unknown project, fix", args: []string{"fix", "NOPE", "--yes", "--json"}, wantKind: "not-found", wantCode: exitFailed},
		{name: "bad credentials", args: []string{"diagnose", "HELP", "--json"}, env: map[string]string{"JIRA_API_TOKEN": "wrong"}, wantKind: "unauthenticated", wantCode: exitFailed},
		{name: "no configuration", args: []string{"diagnose", "HELP", "--json"}, noSim: true, wantKind: "config", wantCode: exitFailed},
		{name: "fix --json without --yes", args: []string{"fix", "NOPA", "--json"}, wantKind: "usage", wantCode: exitUsage},
		{name: "bad timeout", args: []string{"diagnose", "HELP", "--json", "--timeout", "0s"}, wantKind: "usage", wantCode: exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var sim *jirasim.Server
			if !tt.noSim {
				sim = siteOf(t, "HELP") // NOPA's row stops before Jira
			}
			code, out, errOut := cli(t, sim, tt.env, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			var got struct {
				Error struct{ Kind, Message string } `json:"error"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("stdout is not one JSON object: %v\n%q", err, out)
			}
			if got.Error.Kind != tt.wantKind || got.Error.Message == "" {
				t.Errorf("error = %+v, want kind %q and a message", got.Error, tt.wantKind)
			}
			if !strings.Contains(errOut, got.Error.Message) {
				t.Errorf("stderr %q does not say the message %q", errOut, got.Error.Message)
			}
		})
	}
}

// fixResult is the part of fix --json the test checks.
type fixResult struct {
	Diagnosis *result `json:"diagnosis"`
	Changes   []struct {
		Step, Words, Status string
		Error               *struct{ Kind, Message string }
	} `json:"changes"`
	Verified bool    `json:"verified"`
	After    *result `json:"after"`
	Customer *struct {
		Verdict string `json:"verdict"`
	} `json:"customer"`
	Error *struct{ Kind, Message string }
}

// TestFixJSON: fix --json is one object with the diagnosis, each write and
// its status, whether it verified, the diagnosis after and the error; a
// repair names the customer check's verdict; without REDIS_URL its
// planId is null.
func TestFixJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		key          string
		setup        func(*jirasim.Server)
		wantCode     int
		wantStatuses []string
		wantVerified bool
		wantError    string
		wantCustomer string // the verdict; "" for no customer object
	}{
		{name: "repaired", key: "NOPA", wantCode: exitOK, wantStatuses: []string{"done", "done"}, wantVerified: true, wantCustomer: "verified"},
		{name: "healthy", key: "HELP", wantCode: exitOK, wantStatuses: []string{}, wantVerified: true},
		{name: "not applicable", key: "SOFT", wantCode: exitFailed, wantStatuses: []string{}, wantError: "not-applicable"},
		{name: "a write refused", key: "NOPA", setup: func(s *jirasim.Server) {
			s.FailNext(http.MethodPost, "/rest/api/3/permissionscheme/", 1, http.StatusForbidden, nil)
		}, wantCode: exitFailed, wantStatuses: []string{"failed", "skipped"}, wantError: "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := siteOf(t, tt.key)
			if tt.setup != nil {
				tt.setup(sim)
			}
			code, out, errOut := cli(t, sim, nil, "fix", tt.key, "--yes", "--json")
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			var got fixResult
			dec := json.NewDecoder(strings.NewReader(out))
			if err := dec.Decode(&got); err != nil || dec.More() {
				t.Fatalf("stdout is not one JSON object (%v):\n%s", err, out)
			}
			statuses := []string{}
			for _, c := range got.Changes {
				statuses = append(statuses, c.Status)
				if c.Words == "" {
					t.Errorf("change %+v has no words", c)
				}
			}
			if diff := cmp.Diff(tt.wantStatuses, statuses); diff != "" {
				t.Errorf("change statuses (-want +got):\n%s", diff)
			}
			if got.Diagnosis == nil || got.Diagnosis.Project.Key != tt.key {
				t.Errorf("diagnosis = %+v, want %s's", got.Diagnosis, tt.key)
			}
			if got.Verified != tt.wantVerified {
				t.Errorf("verified = %t, want %t", got.Verified, tt.wantVerified)
			}
			gotErr := ""
			if got.Error != nil {
				gotErr = got.Error.Kind
			}
			if gotErr != tt.wantError {
				t.Errorf("error kind %q, want %q", gotErr, tt.wantError)
			}
			if len(tt.wantStatuses) > 0 && tt.wantVerified && (got.After == nil || !got.After.Healthy) {
				t.Errorf("after = %+v, want the healthy diagnosis", got.After)
			}
			gotCustomer := ""
			if got.Customer != nil {
				gotCustomer = got.Customer.Verdict
			}
			if gotCustomer != tt.wantCustomer {
				t.Errorf("customer verdict %q, want %q", gotCustomer, tt.wantCustomer)
			}
			if !strings.Contains(out, `"planId": null`) {
				t.Errorf("without REDIS_URL, planId is not null:\n%s", out)
			}
		})
	}
}
