package jirasim

import (
	"fmt"
	"net/http"
	"strings"
)

// DELETE /permissionscheme/{schemeId}
//
// The spec lists 204, 401, 403 (without Administer Jira) and 404 (unknown
// scheme). It says nothing of a scheme that projects still use, nor of the
// Default Permission Scheme; Jira's UI offers no delete for either. The
// simulator refuses both with a 400 ErrorCollection, so a caller that
// tries shows up in its tests as a failed request rather than as a site
// whose projects silently lost their scheme.
func (s *Server) deleteScheme(r *http.Request) reply {
	st := s.st
	if !st.global["ADMINISTER"] {
		return platformErr(http.StatusForbidden, msgNoPermission)
	}
	sc, rep := st.lookupScheme(r)
	if rep != nil {
		return *rep
	}
	if sc.id == 0 {
		return platformErr(http.StatusBadRequest, "The default permission scheme cannot be deleted.")
	}
	var users []string
	for _, p := range st.projects {
		if !p.TeamManaged && p.SchemeID == sc.id {
			users = append(users, p.Key)
		}
	}
	if len(users) > 0 {
		return platformErr(http.StatusBadRequest, fmt.Sprintf(
			"The permission scheme '%s' is used by the projects %s and cannot be deleted.", sc.name, strings.Join(users, ", ")))
	}
	delete(st.schemes, sc.id)
	return reply{status: http.StatusNoContent}
}
