package apispec_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jsmbot/jsmbot/internal/apispec"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path string
		want               apispec.Route
		wantErr            string
	}{
		{
			name: "project by key under a gateway base path", method: "GET",
			path: "https://api.atlassian.com/ex/jira/abc/rest/api/3/project/HELP?expand=lead",
			want: apispec.Route{API: apispec.Platform, Method: "GET", Path: "/rest/api/3/project/{projectIdOrKey}",
				OperationID: "getProject", PathParams: map[string]string{"projectIdOrKey": "HELP"}},
		},
		{
			name: "static path wins over a template", method: "get", path: "/rest/api/3/project/search",
			want: apispec.Route{API: apispec.Platform, Method: "GET", Path: "/rest/api/3/project/search",
				OperationID: "searchProjects", PathParams: map[string]string{}},
		},
		{
			name: "grant delete", method: "DELETE", path: "/rest/api/3/permissionscheme/10000/permission/10481",
			want: apispec.Route{API: apispec.Platform, Method: "DELETE", Path: "/rest/api/3/permissionscheme/{schemeId}/permission/{permissionId}",
				OperationID: "deletePermissionSchemeEntity", PathParams: map[string]string{"schemeId": "10000", "permissionId": "10481"}},
		},
		{
			name: "experimental JSM operation", method: "GET", path: "/x/rest/servicedeskapi/servicedesk/projectKey:HELP/customer",
			want: apispec.Route{API: apispec.JSM, Method: "GET", Path: "/rest/servicedeskapi/servicedesk/{serviceDeskId}/customer",
				OperationID: "getCustomers", Experimental: true, PathParams: map[string]string{"serviceDeskId": "projectKey:HELP"}},
		},
		{
			name: "path kept only so that routing stays exact", method: "GET", path: "/rest/api/3/project/recent",
			wantErr: `add "/rest/api/3/project/recent" to the platform paths`,
		},
		{name: "unknown path", method: "GET", path: "/rest/api/3/nope/nope", wantErr: "no such operation in the platform spec"},
		{
			name: "operation the trim leaves out", method: "GET", path: "/rest/api/3/issue/HELP-1",
			wantErr: `the full platform spec has it as /rest/api/3/issue/{issueIdOrKey} (getIssue): add "/rest/api/3/issue/{issueIdOrKey}" to the platform paths in internal/apispec/internal/trim/paths.go and run go generate ./internal/apispec`,
		},
		{
			name: "JSM operation the trim leaves out", method: "GET", path: "/rest/servicedeskapi/request/HELP-1",
			wantErr: `add "/rest/servicedeskapi/request/{issueIdOrKey}" to the jsm paths`,
		},
		{name: "method not allowed on a path the trim leaves out", method: "PATCH", path: "/rest/api/3/issue/HELP-1", wantErr: "not the method"},
		{name: "method not allowed", method: "PATCH", path: "/rest/api/3/myself", wantErr: "not the method"},
		{name: "not a REST path", method: "GET", path: "/secure/Dashboard.jspa", wantErr: "not under /rest/"},
		{name: "other REST API", method: "GET", path: "/rest/agile/1.0/board", wantErr: "neither under"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := apispec.Lookup(tt.method, tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Lookup(%s %s) error = %v, want one containing %q", tt.method, tt.path, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lookup(%s %s): %v", tt.method, tt.path, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(apispec.Route{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Lookup(%s %s) mismatch (-want +got):\n%s", tt.method, tt.path, diff)
			}
		})
	}
}

func TestValidateResponse(t *testing.T) {
	t.Parallel()
	json := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name   string
		method string
		url    string
		status int
		body   string
		ok     bool
	}{
		{"grant with Jira fields", "GET", "/rest/api/3/permissionscheme/1/permission/2", 200,
			`{"id":2,"self":"https://x.atlassian.net/rest/api/3/permissionscheme/1/permission/2","holder":{"type":"sd.customer.portal.only"},"permission":"BROWSE_PROJECTS"}`, true},
		{"grant with an unknown holder field", "GET", "/rest/api/3/permissionscheme/1/permission/2", 200,
			`{"id":2,"holder":{"type":"projectRole","role":"x"},"permission":"BROWSE_PROJECTS"}`, false},
		{"relative self link", "GET", "/rest/api/3/permissionscheme/1/permission/2", 200,
			`{"id":2,"self":"/rest/api/3/permissionscheme/1/permission/2","holder":{"type":"anyone"},"permission":"BROWSE_PROJECTS"}`, false},
		{"project with a Jira timestamp", "GET", "/rest/api/3/project/HELP", 200,
			`{"id":"1","key":"HELP","archivedDate":"2021-01-02T10:20:30.000+0000"}`, true},
		{"project with a broken timestamp", "GET", "/rest/api/3/project/HELP", 200,
			`{"id":"1","key":"HELP","archivedDate":"yesterday"}`, false},
		{"platform error body", "GET", "/rest/api/3/project/NOPE", 404,
			`{"errorMessages":["No project could be found with key 'NOPE'."],"errors":{}}`, true},
		{"JSM body on the platform", "GET", "/rest/api/3/project/NOPE", 404,
			`{"errorMessage":"nope","i18nErrorMessage":{"i18nKey":"k","parameters":[]}}`, false},
		{"empty platform error", "GET", "/rest/api/3/project/NOPE", 401, `{"errorMessages":[],"errors":{}}`, false},
		{"JSM 412", "GET", "/rest/servicedeskapi/servicedesk/1/customer", 412,
			`{"errorMessage":"opt in","i18nErrorMessage":{"i18nKey":"k","parameters":[]}}`, true},
		{"audit record with its author", "GET", "/rest/api/3/auditing/record", 200,
			`{"offset":0,"limit":1000,"total":1,"records":[{"id":1,"summary":"Permission scheme updated","authorAccountId":"5b10a2844c20165700ede21g"}]}`, true},
		{"audit record with an undocumented field", "GET", "/rest/api/3/auditing/record", 200,
			`{"offset":0,"limit":1000,"total":1,"records":[{"id":1,"summary":"Permission scheme updated","authorName":"x"}]}`, false},
		{"platform body on JSM", "GET", "/rest/servicedeskapi/servicedesk/1", 404, `{"errorMessages":["x"],"errors":{}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ft := &fakeTB{TB: t}
			req := httptest.NewRequest(tt.method, tt.url, nil)
			apispec.ValidateResponse(ft, req, tt.status, json, []byte(tt.body))
			if got := !ft.failed; got != tt.ok {
				t.Errorf("ValidateResponse passed = %v, want %v; errors: %v", got, tt.ok, ft.errs)
			}
		})
	}
}

func TestValidateRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, url, body string
		ok                      bool
	}{
		{"grant body", "POST", "/rest/api/3/permissionscheme/10000/permission", `{"holder":{"type":"sd.customer.portal.only"},"permission":"CREATE_ISSUES"}`, true},
		{"grant body with unknown field", "POST", "/rest/api/3/permissionscheme/10000/permission", `{"holder":{"kind":"x"},"permission":"CREATE_ISSUES"}`, false},
		{"non-integer scheme id", "GET", "/rest/api/3/permissionscheme/abc", "", false},
		{"customers body", "POST", "/rest/servicedeskapi/servicedesk/1/customer", `{"accountIds":["qm:1"]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ft := &fakeTB{TB: t}
			req := httptest.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			apispec.ValidateRequest(ft, req, []byte(tt.body))
			if got := !ft.failed; got != tt.ok {
				t.Errorf("ValidateRequest passed = %v, want %v; errors: %v", got, tt.ok, ft.errs)
			}
		})
	}
}

// fakeTB records failures instead of failing the test.
type fakeTB struct {
	testing.TB
	failed bool
	errs   []string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.failed = true
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
