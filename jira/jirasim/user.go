package jirasim

import "net/http"

// The user endpoint: GET /rest/api/3/user?accountId=….

// msgUserNotFound is what Jira answers for an account it does not know,
// or one the caller may not see.
const msgUserNotFound = "Specified user does not exist or you do not have required permissions"

// GET /user
func (s *Server) getUser(r *http.Request) reply {
	st := s.st
	id := r.URL.Query().Get("accountId")
	if id == "" {
		return platformErr(http.StatusBadRequest, "The query parameter 'accountId' is required.")
	}
	if !st.global["USER_PICKER"] {
		return platformErr(http.StatusForbidden, msgNoPermission)
	}
	u := st.userByID(id)
	if u == nil {
		return platformErr(http.StatusNotFound, msgUserNotFound)
	}
	return ok(st.wireUser(u))
}
