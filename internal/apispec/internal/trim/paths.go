package trim

// Docs are the two documents and what their trimmed copies keep. This is
// the one list of the operations jsmbot's client and simulator use: when
// either starts to call a new path, add its template here (as Atlassian's
// document writes it) and run go generate ./internal/apispec.
var Docs = []Doc{
	{
		Name:    "platform",
		Full:    "jira-platform-swagger-v3.v3.json",
		Trimmed: "jira-platform.trimmed.json",
		Paths: []string{
			"/rest/api/3/auditing/record",
			"/rest/api/3/mypermissions",
			"/rest/api/3/myself",
			"/rest/api/3/permissions/check",
			"/rest/api/3/permissionscheme",
			"/rest/api/3/permissionscheme/{schemeId}",
			"/rest/api/3/permissionscheme/{schemeId}/permission",
			"/rest/api/3/permissionscheme/{schemeId}/permission/{permissionId}",
			"/rest/api/3/project/search",
			"/rest/api/3/project/{projectIdOrKey}",
			"/rest/api/3/project/{projectIdOrKey}/role",
			"/rest/api/3/project/{projectIdOrKey}/role/{id}",
			"/rest/api/3/project/{projectKeyOrId}/permissionscheme",
			"/rest/api/3/user",
			"/rest/api/3/user/search",
		},
		// apispec.ValidateErrorBody checks error bodies against it.
		Schemas: []string{"ErrorCollection"},
	},
	{
		Name:    "jsm",
		Full:    "jsm-servicedesk-swagger.v3.json",
		Trimmed: "jsm-servicedesk.trimmed.json",
		Paths: []string{
			"/rest/servicedeskapi/customer",
			"/rest/servicedeskapi/servicedesk",
			"/rest/servicedeskapi/servicedesk/{serviceDeskId}",
			"/rest/servicedeskapi/servicedesk/{serviceDeskId}/customer",
		},
		// apispec.ValidateErrorBody checks error bodies against it.
		Schemas: []string{"ErrorResponse"},
	},
}
