package jirasim

import (
	"net/http"
)

// API prefixes below the base path.
const (
	platformPrefix = "/rest/api/3"
	jsmPrefix      = "/rest/servicedeskapi"
)

// routes maps the whole simulated surface (paths below the base path).
func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	p, j := platformPrefix, jsmPrefix

	// Platform: projects.
	m.Handle("GET "+p+"/project/search", s.handle(s.searchProjects))
	m.Handle("GET "+p+"/project/{key}", s.handle(s.getProject))
	m.Handle("GET "+p+"/project/{key}/permissionscheme", s.handle(s.getProjectScheme))
	m.Handle("PUT "+p+"/project/{key}/permissionscheme", s.handle(s.assignProjectScheme))
	m.Handle("GET "+p+"/project/{key}/role", s.handle(s.getProjectRoles))
	m.Handle("GET "+p+"/project/{key}/role/{id}", s.handle(s.getProjectRole))

	// Platform: permission schemes and grants.
	m.Handle("GET "+p+"/permissionscheme", s.handle(s.listSchemes))
	m.Handle("POST "+p+"/permissionscheme", s.handle(s.createScheme))
	m.Handle("GET "+p+"/permissionscheme/{sid}", s.handle(s.getScheme))
	m.Handle("PUT "+p+"/permissionscheme/{sid}", s.handle(s.updateScheme))
	m.Handle("DELETE "+p+"/permissionscheme/{sid}", s.handle(s.deleteScheme))
	m.Handle("GET "+p+"/permissionscheme/{sid}/permission", s.handle(s.listGrants))
	m.Handle("POST "+p+"/permissionscheme/{sid}/permission", s.handle(s.createGrant))
	m.Handle("GET "+p+"/permissionscheme/{sid}/permission/{gid}", s.handle(s.getGrant))
	m.Handle("DELETE "+p+"/permissionscheme/{sid}/permission/{gid}", s.handle(s.deleteGrant))

	// Platform: the caller and users.
	m.Handle("GET "+p+"/myself", s.handle(s.myself))
	m.Handle("GET "+p+"/mypermissions", s.handle(s.myPermissions))
	m.Handle("POST "+p+"/permissions/check", s.handle(s.checkPermissions))
	m.Handle("GET "+p+"/user/search", s.handle(s.searchUsers))
	m.Handle("GET "+p+"/user", s.handle(s.getUser))

	// Platform: the audit log.
	m.Handle("GET "+p+"/auditing/record", s.handle(s.auditRecords))

	// JSM.
	m.Handle("GET "+j+"/servicedesk", s.handle(s.listDesks))
	m.Handle("GET "+j+"/servicedesk/{id}", s.handle(s.getDesk))
	m.Handle("GET "+j+"/servicedesk/{id}/customer", s.handle(s.listCustomers))
	m.Handle("POST "+j+"/servicedesk/{id}/customer", s.handle(s.addCustomers))
	m.Handle("POST "+j+"/customer", s.handle(s.createCustomer))

	// Anything else, including a known path with another method.
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiErr(r.URL.Path, http.StatusNotFound, "No resource found for "+r.Method+" "+r.URL.Path+".", "sd.jirasim.resource.not.found").write(w)
	})
	return m
}

// reply is a computed answer: handlers build it under the lock and it is
// written after the lock is released.
type reply struct {
	status int
	body   any // nil: no body
}

// handle adapts a reply-computing handler: it runs fn under the state lock.
func (s *Server) handle(fn func(*http.Request) reply) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.st.by = actor{accountID: AdminAccountID, remote: remoteHost(r)}
		rep := fn(r)
		s.mu.Unlock()
		rep.write(w)
	})
}

// write sends the reply.
func (rep reply) write(w http.ResponseWriter) {
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	writeJSON(w, rep.status, rep.body)
}

// ok is a 200 reply.
func ok(body any) reply { return reply{status: http.StatusOK, body: body} }

// platformErr is an ErrorCollection reply.
func platformErr(status int, msgs ...string) reply {
	return reply{status: status, body: wireErrorCollection{ErrorMessages: msgs, Errors: map[string]string{}}}
}

// fieldErr is an ErrorCollection reply with one field error.
func fieldErr(status int, field, msg string) reply {
	return reply{status: status, body: wireErrorCollection{ErrorMessages: []string{}, Errors: map[string]string{field: msg}}}
}

// apiErr is the error reply of the API path (below the base path) belongs
// to: JSM's ErrorResponse under /rest/servicedeskapi, the platform's
// ErrorCollection elsewhere.
func apiErr(path string, status int, msg, i18nKey string) reply {
	if isJSM(path) {
		return jsmErr(status, msg, i18nKey)
	}
	return platformErr(status, msg)
}

// jsmErr is a JSM ErrorResponse reply.
func jsmErr(status int, msg, key string, params ...string) reply {
	if params == nil {
		params = []string{}
	}
	return reply{status: status, body: wireJSMError{ErrorMessage: msg, I18nErrorMessage: wireI18nMessage{I18nKey: key, Parameters: params}}}
}
