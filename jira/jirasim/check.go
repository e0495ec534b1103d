package jirasim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// POST /rest/api/3/permissions/check: which of the asked project
// permissions an account holds on which projects, answered from the
// projects' permission schemes as Jira evaluates them.
//
// Who holds a grant, by holder type (the parts of Jira the simulator
// models):
//
//   - sd.customer.portal.only: the customers of the project's service desk;
//   - projectRole: the role's actors in the project, as GET
//     project/{key}/role/{id} lists them;
//   - applicationRole: licensed (non-customer) accounts, with or without a
//     parameter (every licensed account has every product here);
//   - anyone: every account;
//   - user: the account named by the parameter;
//   - group, groupCustomField, userCustomField: nobody (the simulator has no
//     groups or custom fields); assignee, reporter and projectLead: nobody,
//     since they grant on issues, not on the project.
//
// An inactive account, or one made unable to use the site with
// [Server.SetAccountBlocked], holds nothing whatever the scheme says. A
// team-managed project has no scheme: its desk's customers hold the
// default Portal Access share and its agents (the admin and the agent) the
// Service Desk Team share. The caller's own check (no accountId, or the
// admin's) answers from the caller's permissions ([Server.SetProjectPermission]).
//
// Undocumented details, modelled and kept stable: a permission granted on no
// project is left out of projectPermissions; the simulator has no issues,
// so issues lists are always empty; an account id the site does not know
// is a 400 naming accountId.

// maxCheckedIDs is Jira's cap on the project (and issue) ids of one check.
const maxCheckedIDs = 1000

// wireCheckIn is BulkPermissionsRequestBean. Null entries are ignored, as
// the spec says, hence the pointers.
type wireCheckIn struct {
	AccountID          string            `json:"accountId"`
	GlobalPermissions  []*string         `json:"globalPermissions"`
	ProjectPermissions []*wireCheckOneIn `json:"projectPermissions"`
}

// wireCheckOneIn is BulkProjectPermissions.
type wireCheckOneIn struct {
	Permissions []string `json:"permissions"`
	Projects    []*int64 `json:"projects"`
	Issues      []*int64 `json:"issues"`
}

// wireCheck is BulkPermissionGrants.
type wireCheck struct {
	GlobalPermissions  []string         `json:"globalPermissions"`
	ProjectPermissions []wireCheckGrant `json:"projectPermissions"`
}

// wireCheckGrant is BulkProjectPermissionGrants.
type wireCheckGrant struct {
	Permission string  `json:"permission"`
	Projects   []int64 `json:"projects"`
	Issues     []int64 `json:"issues"`
}

// msgAdminOnly is the spec's 403 of this operation.
const msgAdminOnly = "Only Jira administrators can perform this operation."

// POST /permissions/check
func (s *Server) checkPermissions(r *http.Request) reply {
	st := s.st
	var in wireCheckIn
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return platformErr(http.StatusBadRequest, msgBadBody)
	}
	self := in.AccountID == "" || in.AccountID == AdminAccountID
	var who *User
	if !self {
		if !st.global["ADMINISTER"] {
			return platformErr(http.StatusForbidden, msgAdminOnly)
		}
		if who = st.userByID(in.AccountID); who == nil {
			return fieldErr(http.StatusBadRequest, "accountId", fmt.Sprintf("The account ID '%s' is invalid.", in.AccountID))
		}
	}

	out := wireCheck{GlobalPermissions: []string{}, ProjectPermissions: []wireCheckGrant{}}
	for _, k := range in.GlobalPermissions {
		if k == nil {
			continue
		}
		def, known := lookupPermission(*k)
		if !known || def.Type != permGlobal {
			return fieldErr(http.StatusBadRequest, *k, "Unrecognized permission")
		}
		// Other accounts hold no global permission here: the simulator
		// models no groups, through which Jira gives them.
		if self && st.global[*k] && !slices.Contains(out.GlobalPermissions, *k) {
			out.GlobalPermissions = append(out.GlobalPermissions, *k)
		}
	}

	// granted collects, per permission in order of first mention, the
	// projects it is held on.
	var order []string
	granted := map[string][]int64{}
	var valid []int64
	for _, pp := range in.ProjectPermissions {
		if pp == nil {
			continue
		}
		keys := slices.DeleteFunc(slices.Clone(pp.Permissions), func(k string) bool { return k == "" })
		if len(keys) == 0 {
			return platformErr(http.StatusBadRequest, "At least one project permission must be provided.")
		}
		for _, k := range keys {
			if def, known := lookupPermission(k); !known || def.Type != permProject {
				return fieldErr(http.StatusBadRequest, k, "Unrecognized permission")
			}
		}
		var projects []*project
		for _, id := range pp.Projects {
			if id == nil {
				continue
			}
			// Invalid project ids are ignored, so are projects the caller
			// cannot see.
			if p := st.projectByID(*id); p != nil && st.canBrowse() {
				projects = append(projects, p)
				if !slices.Contains(valid, p.ID) {
					valid = append(valid, p.ID)
				}
			}
		}
		if len(valid) > maxCheckedIDs {
			return platformErr(http.StatusBadRequest, fmt.Sprintf("A maximum of %d projects can be checked.", maxCheckedIDs))
		}
		for _, k := range keys {
			for _, p := range projects {
				if !st.checkHolds(who, p, k) || slices.Contains(granted[k], p.ID) {
					continue
				}
				if _, seen := granted[k]; !seen {
					order = append(order, k)
				}
				granted[k] = append(granted[k], p.ID)
			}
		}
	}
	for _, k := range order {
		out.ProjectPermissions = append(out.ProjectPermissions, wireCheckGrant{Permission: k, Projects: granted[k], Issues: []int64{}})
	}
	return ok(out)
}

// checkHolds reports whether who (nil: the caller) holds the project
// permission key on p.
func (st *state) checkHolds(who *User, p *project, key string) bool {
	if who == nil {
		return st.perms[key]
	}
	if !who.Active || st.blocked[who.AccountID] {
		return false
	}
	if p.TeamManaged {
		switch {
		case who.Customer || slices.Contains(p.customers, who.AccountID):
			return slices.Contains(p.customers, who.AccountID) && slices.Contains(defaultPortalAccess(), key)
		case who.AccountID == AdminAccountID || who.AccountID == AgentAccountID:
			return slices.Contains(defaultServiceDeskTeam(), key)
		}
		return false
	}
	for _, g := range st.schemes[p.SchemeID].grants {
		if g.Permission == key && st.holderIncludes(g, who, p) {
			return true
		}
	}
	return false
}

// holderIncludes reports whether a grant's holder includes the account in
// project p (see the comment at the top of the file).
func (st *state) holderIncludes(g Grant, who *User, p *project) bool {
	switch g.HolderType {
	case holderPortalAccess:
		return p.Desk && slices.Contains(p.customers, who.AccountID)
	case holderProjectRole:
		id, err := strconv.ParseInt(g.HolderParameter, 10, 64)
		rl, found := st.roleByID(id)
		if err != nil || !found {
			return false
		}
		return slices.ContainsFunc(st.roleActors(p, rl), func(a wireRoleActor) bool {
			return a.ActorUser != nil && a.ActorUser.AccountID == who.AccountID
		})
	case holderApplicationRole:
		return !who.Customer
	case "anyone":
		return true
	case "user":
		return g.HolderParameter == who.AccountID
	}
	return false
}

// SetAccountBlocked makes Jira deny the account every project permission
// (blocked) or stops doing so, whatever the schemes grant, while the account
// stays active and listed as before: it models a cause of denial that
// neither the permission scheme nor the customer list shows, such as the
// portal's access settings or a restriction at the organization. Only
// POST permissions/check sees it. It panics if the account does not exist.
func (s *Server) SetAccountBlocked(accountID string, blocked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.userByID(accountID) == nil {
		panic("jirasim: SetAccountBlocked: no account " + accountID)
	}
	s.st.blocked[accountID] = blocked
}

// SetUserActive activates or deactivates an account. An inactive account
// holds no permission, and shows active false in user and customer lists.
// It panics if the account does not exist.
func (s *Server) SetUserActive(accountID string, active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.userByID(accountID)
	if u == nil {
		panic("jirasim: SetUserActive: no account " + accountID)
	}
	u.Active = active
}
