package jirasim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Handlers of the platform API (/rest/api/3). They run under Server.mu and
// return a reply; see routes.go for the route table.

const (
	projectSearchDefault = 50  // default maxResults of project search
	projectSearchMax     = 100 // Jira coerces larger maxResults to 100
	userSearchDefault    = 50
	userSearchMax        = 1000
	grantsExpand         = "user,group,projectRole,field,all"
)

// intParam parses an optional integer query parameter; on error it returns
// the 400 reply to send.
func intParam(q url.Values, name string, def int) (int, *reply) {
	n, good := intParamOK(q, name, def)
	if !good {
		rep := platformErr(http.StatusBadRequest, fmt.Sprintf("The value '%s' is invalid for the parameter '%s'.", q.Get(name), name))
		return 0, &rep
	}
	return n, nil
}

// expanded reports whether the request asks for a scheme's grants: the spec
// says permissions are included when expand has any value.
func expanded(r *http.Request) bool {
	return strings.TrimSpace(r.URL.Query().Get("expand")) != ""
}

// adminProjects reports whether the caller may read project configuration:
// Administer Projects, or Administer Jira, as the reference (§2.2, §2.5)
// says for the scheme and role reads.
func (st *state) adminProjects() bool {
	return st.perms["ADMINISTER_PROJECTS"] || st.global["ADMINISTER"]
}

// canBrowse reports whether the caller sees projects at all.
func (st *state) canBrowse() bool {
	return st.perms["BROWSE_PROJECTS"] || st.perms["ADMINISTER_PROJECTS"] || st.global["ADMINISTER"]
}

// projectNotFound is Jira's 404 for a {projectIdOrKey}.
func projectNotFound(idOrKey string) reply {
	if _, err := strconv.ParseInt(idOrKey, 10, 64); err == nil {
		return platformErr(http.StatusNotFound, fmt.Sprintf("No project could be found with id '%s'.", idOrKey))
	}
	return platformErr(http.StatusNotFound, fmt.Sprintf("No project could be found with key '%s'.", idOrKey))
}

// lookupProject resolves {key} or answers 404.
func (st *state) lookupProject(r *http.Request) (*project, *reply) {
	k := r.PathValue("key")
	p := st.projectByIDOrKey(k)
	if p == nil || !st.canBrowse() {
		rep := projectNotFound(k)
		return nil, &rep
	}
	return p, nil
}

// lookupScheme resolves {sid} or answers 404.
func (st *state) lookupScheme(r *http.Request) (*scheme, *reply) {
	raw := r.PathValue("sid")
	id, err := strconv.ParseInt(raw, 10, 64)
	sc, ok := st.schemes[id]
	if err != nil || !ok {
		rep := platformErr(http.StatusNotFound, fmt.Sprintf("A permission scheme with the id '%s' does not exist.", raw))
		return nil, &rep
	}
	return sc, nil
}

// Wire builders.

func (st *state) projectSelf(p *project) string {
	return fmt.Sprintf("%s%s/project/%d", st.url, platformPrefix, p.ID)
}

func (st *state) wireProject(p *project, full bool) wireProject {
	style := "classic"
	if p.TeamManaged {
		style = "next-gen"
	}
	w := wireProject{
		Expand:         "description,lead,issueTypes,url,projectKeys,permissions,insight",
		Self:           st.projectSelf(p),
		ID:             strconv.FormatInt(p.ID, 10),
		Key:            p.Key,
		Name:           p.Name,
		ProjectTypeKey: p.TypeKey,
		Simplified:     p.TeamManaged,
		Style:          style,
	}
	if full {
		desc := ""
		archived := false
		w.Description = &desc
		w.Archived = &archived
		w.Roles = st.roleLinks(p)
	}
	return w
}

func (st *state) roleLinks(p *project) map[string]string {
	m := make(map[string]string, len(st.roles))
	for _, r := range st.roles {
		m[r.name] = fmt.Sprintf("%s/role/%d", st.projectSelf(p), r.id)
	}
	return m
}

func (st *state) wireGrant(sc *scheme, g Grant) wireGrant {
	return wireGrant{
		ID:         g.ID,
		Self:       fmt.Sprintf("%s%s/permissionscheme/%d/permission/%d", st.url, platformPrefix, sc.id, g.ID),
		Holder:     wireHolder{Type: g.HolderType, Parameter: g.HolderParameter, Value: g.HolderValue},
		Permission: g.Permission,
	}
}

func (st *state) wireGrants(sc *scheme) []wireGrant {
	out := make([]wireGrant, len(sc.grants))
	for i, g := range sc.grants {
		out[i] = st.wireGrant(sc, g)
	}
	return out
}

func (st *state) wireScheme(sc *scheme, expand bool) wireScheme {
	w := wireScheme{
		Expand:      wireSchemeExpand,
		ID:          sc.id,
		Self:        fmt.Sprintf("%s%s/permissionscheme/%d", st.url, platformPrefix, sc.id),
		Name:        sc.name,
		Description: sc.description,
	}
	if expand {
		w.Permissions = st.wireGrants(sc)
	}
	return w
}

func (st *state) wireUser(u *User) wireUser {
	typ := "atlassian"
	if u.Customer {
		typ = "customer"
	}
	return wireUser{
		Self:         st.url + platformPrefix + "/user?accountId=" + url.QueryEscape(u.AccountID),
		AccountID:    u.AccountID,
		AccountType:  typ,
		EmailAddress: u.Email,
		AvatarURLs:   st.avatarURLs(u),
		DisplayName:  u.DisplayName,
		Active:       u.Active,
		TimeZone:     "Etc/UTC",
		Locale:       "en_US",
	}
}

func (st *state) avatarURLs(u *User) map[string]string {
	m := map[string]string{}
	for _, sz := range []int{16, 24, 32, 48} {
		m[fmt.Sprintf("%dx%d", sz, sz)] = fmt.Sprintf("%s/secure/useravatar?size=%d&accountId=%s", st.url, sz, url.QueryEscape(u.AccountID))
	}
	return m
}

// GET /project/search
func (s *Server) searchProjects(r *http.Request) reply {
	st, q := s.st, r.URL.Query()
	startAt, rep := intParam(q, "startAt", 0)
	if rep != nil {
		return *rep
	}
	maxResults, rep := intParam(q, "maxResults", projectSearchDefault)
	if rep != nil {
		return *rep
	}
	startAt = max(startAt, 0)
	if maxResults < 1 {
		maxResults = projectSearchDefault
	}
	maxResults = min(maxResults, projectSearchMax, s.cfg.pageSize)

	types := splitList(q.Get("typeKey"))
	keys := splitAll(q["keys"])
	ids := splitAll(q["id"])
	query := strings.ToLower(q.Get("query"))

	var match []*project
	if st.canBrowse() {
		for _, p := range st.projects {
			if len(types) > 0 && !slices.Contains(types, p.TypeKey) {
				continue
			}
			if len(keys) > 0 && !slices.Contains(keys, p.Key) {
				continue
			}
			if len(ids) > 0 && !slices.Contains(ids, strconv.FormatInt(p.ID, 10)) {
				continue
			}
			if query != "" && !strings.Contains(strings.ToLower(p.Key), query) && !strings.Contains(strings.ToLower(p.Name), query) {
				continue
			}
			match = append(match, p)
		}
	}
	// The spec: "404 Returned if no projects matching the search criteria
	// are found." A start beyond the end of a non-empty result is an empty
	// page instead.
	if len(match) == 0 {
		return platformErr(http.StatusNotFound, "No projects matching the search criteria were found.")
	}
	slices.SortFunc(match, func(a, b *project) int { return strings.Compare(a.Key, b.Key) })

	end := min(startAt+maxResults, len(match))
	page := []wireProject{}
	if startAt < len(match) {
		for _, p := range match[startAt:end] {
			page = append(page, st.wireProject(p, false))
		}
	}
	isLast := startAt+len(page) >= len(match)
	out := wireProjectPage{
		Self:       pageURL(st.url+platformPrefix+"/project/search", q, "startAt", startAt, "maxResults", maxResults),
		MaxResults: maxResults,
		StartAt:    startAt,
		Total:      len(match),
		IsLast:     isLast,
		Values:     page,
	}
	if !isLast {
		out.NextPage = pageURL(st.url+platformPrefix+"/project/search", q, "startAt", startAt+len(page), "maxResults", maxResults)
	}
	return ok(out)
}

// pageURL is base with the query q, the two paging parameters replaced.
func pageURL(base string, q url.Values, startName string, start int, sizeName string, size int) string {
	v := cloneValues(q)
	if v == nil {
		v = url.Values{}
	}
	v.Set(startName, strconv.Itoa(start))
	v.Set(sizeName, strconv.Itoa(size))
	return base + "?" + v.Encode()
}

// splitList splits a comma list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// splitAll splits every value of a repeatable parameter.
func splitAll(vs []string) []string {
	var out []string
	for _, v := range vs {
		out = append(out, splitList(v)...)
	}
	return out
}

// GET /project/{projectIdOrKey}
func (s *Server) getProject(r *http.Request) reply {
	p, rep := s.st.lookupProject(r)
	if rep != nil {
		return *rep
	}
	return ok(s.st.wireProject(p, true))
}

// GET /project/{projectKeyOrId}/permissionscheme
func (s *Server) getProjectScheme(r *http.Request) reply {
	st := s.st
	p, rep := st.lookupProject(r)
	if rep != nil {
		return *rep
	}
	if !st.adminProjects() || p.Unreadable {
		return platformErr(http.StatusForbidden, msgNoPermission)
	}
	if p.TeamManaged {
		return teamManagedNoScheme(p)
	}
	return ok(st.wireScheme(st.schemes[p.SchemeID], expanded(r)))
}

// teamManagedNoScheme answers the scheme operations for a team-managed
// project. Team-managed projects keep their permissions outside the shared
// schemes; neither the spec nor the reference says what Jira answers here,
// so the simulator models it as "no scheme found": a 404 with Jira's
// ErrorCollection, which the spec lists for these operations.
func teamManagedNoScheme(p *project) reply {
	return platformErr(http.StatusNotFound,
		fmt.Sprintf("Project '%s' is team-managed and has no permission scheme.", p.Key))
}

// PUT /project/{projectKeyOrId}/permissionscheme
func (s *Server) assignProjectScheme(r *http.Request) reply {
	st := s.st
	if !st.global["ADMINISTER"] {
		return platformErr(http.StatusForbidden, msgNoPermission)
	}
	p, rep := st.lookupProject(r)
	if rep != nil {
		return *rep
	}
	var in wireIDBean
	if err := decodeBody(r, &in); err != nil {
		return platformErr(http.StatusBadRequest, msgBadBody)
	}
	if in.ID == nil {
		return fieldErr(http.StatusBadRequest, "id", "The permission scheme id is required.")
	}
	sc, found := st.schemes[*in.ID]
	if !found {
		return platformErr(http.StatusNotFound, fmt.Sprintf("A permission scheme with the id '%d' does not exist.", *in.ID))
	}
	if p.TeamManaged {
		return teamManagedNoScheme(p)
	}
	st.assign(p, sc)
	return ok(st.wireScheme(sc, expanded(r)))
}

// GET /project/{projectIdOrKey}/role
func (s *Server) getProjectRoles(r *http.Request) reply {
	st := s.st
	// The spec answers 401 to a caller without administrative rights.
	if !st.adminProjects() {
		return platformErr(http.StatusUnauthorized, msgNotAuthenticated)
	}
	p, rep := st.lookupProject(r)
	if rep != nil {
		return *rep
	}
	return ok(st.roleLinks(p))
}

// GET /project/{projectIdOrKey}/role/{id}
func (s *Server) getProjectRole(r *http.Request) reply {
	st := s.st
	p, rep := st.lookupProject(r)
	if rep != nil {
		return *rep
	}
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return platformErr(http.StatusBadRequest, fmt.Sprintf("The project role id '%s' is invalid.", raw))
	}
	rl, found := st.roleByID(id)
	// The spec answers 404 to a caller without administrative rights.
	if !found || !st.adminProjects() {
		return platformErr(http.StatusNotFound, fmt.Sprintf("No project role with id '%s' could be found.", raw))
	}
	actors := st.roleActors(p, rl)
	return ok(wireRole{
		Self:        fmt.Sprintf("%s/role/%d", st.projectSelf(p), rl.id),
		Name:        rl.name,
		ID:          rl.id,
		Description: rl.description,
		Actors:      actors,
	})
}

// roleActors lists who is in a role in a project, sorted by display name.
func (st *state) roleActors(p *project, rl role) []wireRoleActor {
	actors := []wireRoleActor{}
	user := func(id string, n int64) {
		if u := st.userByID(id); u != nil {
			actors = append(actors, wireRoleActor{
				ID: rl.id*10 + n, DisplayName: u.DisplayName, Type: "atlassian-user-role-actor",
				ActorUser: &wireActorUser{AccountID: u.AccountID},
			})
		}
	}
	switch rl.id {
	case RoleAdministrators:
		user(AdminAccountID, 1)
	case RoleServiceDeskTeam:
		if p.TypeKey == TypeServiceDesk {
			user(AdminAccountID, 1)
			user(AgentAccountID, 2)
		}
	case RoleDevelopers:
		if p.TypeKey == TypeSoftware {
			user(AgentAccountID, 1)
		}
	case RoleAddonsProjectAccess:
		actors = append(actors, wireRoleActor{
			ID: rl.id*10 + 1, DisplayName: "atlassian-addons-admin", Type: "atlassian-group-role-actor",
			Name: "atlassian-addons-admin",
			ActorGroup: &wireActorGroup{
				Name: "atlassian-addons-admin", DisplayName: "atlassian-addons-admin",
				GroupID: "5b7a0e1c-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
			},
		})
	}
	slices.SortFunc(actors, func(a, b wireRoleActor) int { return strings.Compare(a.DisplayName, b.DisplayName) })
	return actors
}

// GET /permissionscheme
func (s *Server) listSchemes(r *http.Request) reply {
	st := s.st
	ids := make([]int64, 0, len(st.schemes))
	for id := range st.schemes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := struct {
		PermissionSchemes []wireScheme `json:"permissionSchemes"`
	}{PermissionSchemes: []wireScheme{}}
	for _, id := range ids {
		out.PermissionSchemes = append(out.PermissionSchemes, st.wireScheme(st.schemes[id], expanded(r)))
	}
	return ok(out)
}

// POST /permissionscheme
func (s *Server) createScheme(r *http.Request) reply {
	st := s.st
	if !st.global["ADMINISTER"] {
		return platformErr(http.StatusForbidden, msgNoPermission)
	}
	var in wireSchemeIn
	if err := decodeBody(r, &in); err != nil {
		return platformErr(http.StatusBadRequest, msgBadBody)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return fieldErr(http.StatusBadRequest, "name", "You must enter a name for the permission scheme.")
	}
	for _, sc := range st.schemes {
		if strings.EqualFold(sc.name, name) {
			return fieldErr(http.StatusBadRequest, "name", fmt.Sprintf("A permission scheme with the name '%s' already exists.", name))
		}
	}
	var grants []Grant
	for _, gi := range in.Permissions {
		g, rep := st.validateGrant(gi)
		if rep != nil {
			return *rep
		}
		if !slices.ContainsFunc(grants, g.sameAs) {
			grants = append(grants, g)
		}
	}
	sc := st.addScheme(name, in.Description, grants)
	return reply{status: http.StatusCreated, body: st.wireScheme(sc, expanded(r))}
}

// sameAs reports whether two grants give the same permission to the same
// holder.
func (g Grant) sameAs(o Grant) bool {
	return g.HolderType == o.HolderType && g.HolderParameter == o.HolderParameter && g.Permission == o.Permission
}

// validateGrant checks a grant of a request body the way Jira does.
func (st *state) validateGrant(in wireGrantIn) (Grant, *reply) {
	bad := func(msg string) (Grant, *reply) {
		rep := platformErr(http.StatusBadRequest, msg)
		return Grant{}, &rep
	}
	if in.Holder == nil || in.Holder.Type == "" {
		return bad("The holder of a permission grant is required.")
	}
	if in.Permission == "" {
		return bad("The permission of a permission grant is required.")
	}
	h := *in.Holder
	if !slices.Contains(knownHolderTypes(), h.Type) {
		return bad(fmt.Sprintf("The holder type '%s' is invalid.", h.Type))
	}
	def, known := lookupPermission(in.Permission)
	if !known || def.Type != permProject {
		return bad(fmt.Sprintf("The permission with key '%s' does not exist.", in.Permission))
	}
	if h.Type == holderPortalAccess && slices.Contains(portalAccessForbidden(), in.Permission) {
		return bad(fmt.Sprintf("The permission '%s' can't be granted to '%s'", in.Permission, holderPortalAccess))
	}
	g := Grant{HolderType: h.Type, Permission: in.Permission}
	if slices.Contains(parameterHolderTypes(), h.Type) {
		param := cmpOr(h.Parameter, h.Value)
		if param == "" {
			return bad(fmt.Sprintf("The holder type '%s' requires a parameter.", h.Type))
		}
		if h.Type == holderProjectRole {
			id, err := strconv.ParseInt(param, 10, 64)
			if _, found := st.roleByID(id); err != nil || !found {
				return bad(fmt.Sprintf("The project role with id '%s' does not exist.", param))
			}
		}
		g.HolderParameter = param
		g.HolderValue = cmpOr(h.Value, param)
	} else if h.Type == holderApplicationRole && h.Parameter != "" {
		g.HolderParameter, g.HolderValue = h.Parameter, cmpOr(h.Value, h.Parameter)
	}
	return g, nil
}

// cmpOr returns the first non-empty string.
func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// lookupPermission finds a permission in the catalogue.
func lookupPermission(key string) (permissionDef, bool) {
	p, ok := catalogueByKey()[key]
	return p, ok
}

// catalogueByKey indexes the catalogue once; it is read-only after.
var catalogueByKey = sync.OnceValue(func() map[string]permissionDef {
	m := map[string]permissionDef{}
	for _, p := range permissionCatalogue() {
		m[p.Key] = p
	}
	return m
})

// GET /permissionscheme/{schemeId}
func (s *Server) getScheme(r *http.Request) reply {
	sc, rep := s.st.lookupScheme(r)
	if rep != nil {
		return *rep
	}
	return ok(s.st.wireScheme(sc, expanded(r)))
}

// GET /permissionscheme/{schemeId}/permission
func (s *Server) listGrants(r *http.Request) reply {
	sc, rep := s.st.lookupScheme(r)
	if rep != nil {
		return *rep
	}
	return ok(wireGrants{Expand: grantsExpand, Permissions: s.st.wireGrants(sc)})
}

// POST /permissionscheme/{schemeId}/permission
func (s *Server) createGrant(r *http.Request) reply {
	st := s.st
	if !st.global["ADMINISTER"] {
		return platformErr(http.StatusForbidden, msgNoPermission)
	}
	sc, rep := st.lookupScheme(r)
	if rep != nil {
		return *rep
	}
	var in wireGrantIn
	if err := decodeBody(r, &in); err != nil {
		return platformErr(http.StatusBadRequest, msgBadBody)
	}
	g, rep := st.validateGrant(in)
	if rep != nil {
		return *rep
	}
	if slices.ContainsFunc(sc.grants, g.sameAs) {
		return platformErr(http.StatusBadRequest, "The permission scheme already contains this permission grant.")
	}
	added := st.addGrants(sc, []Grant{g})
	return reply{status: http.StatusCreated, body: st.wireGrant(sc, added[0])}
}

// grantIn finds {permissionId} in the scheme.
func grantIn(sc *scheme, raw string) (Grant, bool) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return Grant{}, false
	}
	i := slices.IndexFunc(sc.grants, func(g Grant) bool { return g.ID == id })
	if i < 0 {
		return Grant{}, false
	}
	return sc.grants[i], true
}

// GET /permissionscheme/{schemeId}/permission/{permissionId}
func (s *Server) getGrant(r *http.Request) reply {
	sc, rep := s.st.lookupScheme(r)
	if rep != nil {
		return *rep
	}
	g, found := grantIn(sc, r.PathValue("gid"))
	if !found {
		return platformErr(http.StatusNotFound, fmt.Sprintf("The permission grant with id '%s' does not exist.", r.PathValue("gid")))
	}
	return ok(s.st.wireGrant(sc, g))
}

// DELETE /permissionscheme/{schemeId}/permission/{permissionId}
func (s *Server) deleteGrant(r *http.Request) reply {
	st := s.st
	if !st.global["ADMINISTER"] {
		return platformErr(http.StatusForbidden, msgNoPermission)
	}
	sc, rep := st.lookupScheme(r)
	if rep != nil {
		return *rep
	}
	g, found := grantIn(sc, r.PathValue("gid"))
	if !found {
		// Jira answers 400, not 404, for an unknown grant id.
		return platformErr(http.StatusBadRequest, fmt.Sprintf("The permission grant with id '%s' does not exist.", r.PathValue("gid")))
	}
	st.removeGrant(sc, g.ID)
	return reply{status: http.StatusNoContent}
}

// GET /myself
func (s *Server) myself(*http.Request) reply {
	return ok(s.st.wireUser(s.st.userByID(AdminAccountID)))
}

// GET /mypermissions
func (s *Server) myPermissions(r *http.Request) reply {
	st, q := s.st, r.URL.Query()
	keys := splitList(q.Get("permissions"))
	if len(keys) == 0 {
		return platformErr(http.StatusBadRequest, "The 'permissions' query parameter is required.")
	}
	var defs []permissionDef
	for _, k := range keys {
		d, found := lookupPermission(k)
		if !found {
			return platformErr(http.StatusBadRequest, fmt.Sprintf("The permission key '%s' is invalid.", k))
		}
		defs = append(defs, d)
	}
	if k := q.Get("projectKey"); k != "" && (st.projectByKey(k) == nil || !st.canBrowse()) {
		return projectNotFound(k)
	}
	if id := q.Get("projectId"); id != "" && (st.projectByIDOrKey(id) == nil || !st.canBrowse()) {
		return projectNotFound(id)
	}
	out := wirePermissions{Permissions: map[string]wireUserPermission{}}
	for _, d := range defs {
		have := st.perms[d.Key]
		if d.Type == permGlobal {
			have = st.global[d.Key]
		}
		out.Permissions[d.Key] = wireUserPermission{
			ID: d.ID, Key: d.Key, Name: d.Name, Type: d.Type, Description: d.Description, HavePermission: have,
		}
	}
	return ok(out)
}

// GET /user/search
func (s *Server) searchUsers(r *http.Request) reply {
	st, q := s.st, r.URL.Query()
	query, accountID := strings.ToLower(strings.TrimSpace(q.Get("query"))), q.Get("accountId")
	if query == "" && accountID == "" && q.Get("property") == "" {
		return platformErr(http.StatusBadRequest, "One of 'query', 'accountId' or 'property' query parameters must be provided.")
	}
	startAt, rep := intParam(q, "startAt", 0)
	if rep != nil {
		return *rep
	}
	maxResults, rep := intParam(q, "maxResults", userSearchDefault)
	if rep != nil {
		return *rep
	}
	if maxResults < 1 {
		maxResults = userSearchDefault
	}
	maxResults = min(maxResults, userSearchMax)
	out := []wireUser{}
	// Without "Browse users and groups" Jira answers an empty list.
	if !st.global["USER_PICKER"] {
		return ok(out)
	}
	var match []*User
	for _, u := range st.users {
		if accountID != "" && u.AccountID != accountID {
			continue
		}
		if query != "" && !userMatches(u, query) {
			continue
		}
		match = append(match, u)
	}
	for i := max(startAt, 0); i < len(match) && len(out) < maxResults; i++ {
		out = append(out, st.wireUser(match[i]))
	}
	return ok(out)
}

// userMatches is a case-insensitive prefix match on the email address, the
// display name or any word of the display name.
func userMatches(u *User, query string) bool {
	if strings.HasPrefix(strings.ToLower(u.Email), query) || strings.HasPrefix(strings.ToLower(u.DisplayName), query) {
		return true
	}
	for _, w := range strings.Fields(strings.ToLower(u.DisplayName)) {
		if strings.HasPrefix(w, query) {
			return true
		}
	}
	return false
}

// msgBadBody answers a request body that is not the expected JSON.
const msgBadBody = "The request body is not valid JSON."

// decodeBody decodes a JSON request body (already size-limited by serve).
func decodeBody(r *http.Request, v any) error {
	return json.NewDecoder(r.Body).Decode(v)
}

// wireSchemeUpdateIn is the PermissionScheme body of PUT: a permissions
// list that is present, even empty, replaces every grant.
type wireSchemeUpdateIn struct {
	Name        string         `json:"name"`
	Description *string        `json:"description"`
	Permissions *[]wireGrantIn `json:"permissions"`
}

// PUT /permissionscheme/{schemeId}
func (s *Server) updateScheme(r *http.Request) reply {
	st := s.st
	if !st.global["ADMINISTER"] {
		return platformErr(http.StatusForbidden, msgNoPermission)
	}
	sc, rep := st.lookupScheme(r)
	if rep != nil {
		return *rep
	}
	var in wireSchemeUpdateIn
	if err := decodeBody(r, &in); err != nil {
		return platformErr(http.StatusBadRequest, msgBadBody)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return fieldErr(http.StatusBadRequest, "name", "You must enter a name for the permission scheme.")
	}
	for _, other := range st.schemes {
		if other != sc && strings.EqualFold(other.name, name) {
			return fieldErr(http.StatusBadRequest, "name", fmt.Sprintf("A permission scheme with the name '%s' already exists.", name))
		}
	}
	var want []Grant
	if in.Permissions != nil {
		for _, gi := range *in.Permissions {
			g, rep := st.validateGrant(gi)
			if rep != nil {
				return *rep
			}
			if !slices.ContainsFunc(want, g.sameAs) {
				want = append(want, g)
			}
		}
	}
	// Validated: apply and record.
	var changed []wireChangedValue
	if name != sc.name {
		from := sc.name
		changed = append(changed, wireChangedValue{FieldName: "Name", ChangedFrom: &from, ChangedTo: name})
	}
	if in.Description != nil && *in.Description != sc.description {
		from := sc.description
		changed = append(changed, wireChangedValue{FieldName: "Description", ChangedFrom: &from, ChangedTo: *in.Description})
		sc.description = *in.Description
	}
	sc.name = name
	if len(changed) > 0 {
		st.record(sumSchemeUpdated, schemeItem(sc), changed)
	}
	if in.Permissions != nil {
		for _, g := range slices.Clone(sc.grants) {
			if !slices.ContainsFunc(want, g.sameAs) {
				st.removeGrant(sc, g.ID)
			}
		}
		var add []Grant
		for _, g := range want {
			if !slices.ContainsFunc(sc.grants, g.sameAs) {
				add = append(add, g)
			}
		}
		st.addGrants(sc, add)
	}
	return ok(st.wireScheme(sc, expanded(r)))
}

// DELETE /permissionscheme/{schemeId}
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
	st.deleteScheme(sc)
	return reply{status: http.StatusNoContent}
}
