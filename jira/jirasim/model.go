package jirasim

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Project role ids of the simulated site. Roles are site-wide in Jira Cloud;
// their ids differ between real sites, so code must resolve them by name.
const (
	RoleAdministrators              int64 = 10002
	RoleServiceDeskCustomers        int64 = 10100
	RoleServiceDeskTeam             int64 = 10101
	RoleDevelopers                  int64 = 10200
	RoleAddonsProjectAccess         int64 = 10300
	roleNameAdministrators                = "Administrators"
	roleNameServiceDeskTeam               = "Service Desk Team"
	roleNameServiceDeskCustomers          = "Service Desk Customers"
	roleNameDevelopers                    = "Developers"
	roleNameAddonsProjectAccess           = "atlassian-addons-project-access"
	defaultPermissionSchemeName           = "Default Permission Scheme"
	defaultPermissionSchemeDescribe       = "This is the default Permission Scheme. Any new projects that are created will be assigned this scheme."
)

// AdminAccountID is the account id of the admin user the default credentials
// log in as.
const AdminAccountID = "5b10a2844c20165700ede21g"

// Project types (projectTypeKey).
const (
	TypeServiceDesk = "service_desk"
	TypeSoftware    = "software"
	TypeBusiness    = "business"
)

// Project is a Jira project of the simulated site.
type Project struct {
	// ID is the numeric project id; 0 means "assign the next one" (from
	// 10000 upward).
	ID int64
	// Key is the project key; keys are case-sensitive.
	Key  string
	Name string
	// TypeKey is the projectTypeKey: TypeServiceDesk, TypeSoftware or
	// TypeBusiness; empty means TypeServiceDesk.
	TypeKey string
	// TeamManaged makes it a team-managed ("next-gen", simplified) project,
	// which has no shared permission scheme (SchemeID is ignored).
	TeamManaged bool
	// SchemeID is the permission scheme assigned to a company-managed project
	// (0 is the Default Permission Scheme).
	SchemeID int64
	// Desk gives the project a JSM service desk.
	Desk bool
	// ServiceDeskID is the service desk id ("1", "2", …); empty means
	// "assign the next one". Ignored unless Desk is set.
	ServiceDeskID string
	// Unreadable makes GET project/{key}/permissionscheme answer 403 for
	// this project alone, as for a project whose permissions the caller may
	// not administer although it may administer the others.
	Unreadable bool
}

// Grant is a permission grant of a permission scheme.
type Grant struct {
	// ID is the grant id, unique site-wide; 0 means "assign the next one"
	// (from 10000 upward) when seeding.
	ID int64
	// HolderType is the holder's type string, e.g. "projectRole" or
	// "sd.customer.portal.only".
	HolderType string
	// HolderParameter identifies the holder within its type (a role id for
	// projectRole); empty for types without one.
	HolderParameter string
	// HolderValue is the holder's value (a group id for groups); empty means
	// the same as HolderParameter.
	HolderValue string
	// Permission is the permission key, e.g. "BROWSE_PROJECTS".
	Permission string
}

// User is an account of the simulated site.
type User struct {
	// AccountID is the account id; empty means "generate one", a portal-only
	// style id (qm:<uuid>:<hex>) for customers.
	AccountID   string
	Email       string
	DisplayName string
	Active      bool
	// Customer marks a portal-only customer account (accountType
	// "customer"); others are licensed Atlassian accounts.
	Customer bool
}

// scheme is a permission scheme.
type scheme struct {
	id          int64
	name        string
	description string
	grants      []Grant // sorted by id
}

// project is a project plus its desk state.
type project struct {
	Project
	customers []string // desk customers' account ids, in order added
}

// role is a site-wide project role.
type role struct {
	id          int64
	name        string
	description string
}

// state is the simulated site. It is guarded by Server.mu.
type state struct {
	url      string // site URL including the base path
	schemes  map[int64]*scheme
	projects []*project // in creation order
	byKey    map[string]*project
	byID     map[int64]*project
	byDesk   map[string]*project // by service desk id
	users    []*User
	roles    []role
	global   map[string]bool
	perms    map[string]bool // project permissions of the caller, site-wide
	blocked  map[string]bool // accounts denied every project permission

	// The audit log (audit.go). by is who makes the change being applied:
	// set under the lock by Server.handle for REST calls and by the helpers.
	audit          []*auditRecord
	nextAuditID    int64
	recording      bool // false while seeding
	auditAvailable bool
	by             actor
	now            func() time.Time

	nextSchemeID  int64
	nextGrantID   int64
	nextProjectID int64
	nextDeskID    int
	nextUserSeq   int
}

// newState builds an empty site: the admin, the roles and the Default
// Permission Scheme (id 0).
func newState(url, adminEmail string, now func() time.Time) *state {
	st := &state{
		url:            url,
		now:            now,
		nextAuditID:    10000,
		auditAvailable: true,
		schemes:        map[int64]*scheme{},
		byKey:          map[string]*project{},
		byID:           map[int64]*project{},
		byDesk:         map[string]*project{},
		nextSchemeID:   10000,
		nextGrantID:    10000,
		nextProjectID:  10000,
		nextDeskID:     1,
		global:         map[string]bool{},
		perms:          map[string]bool{},
		blocked:        map[string]bool{},
		roles: []role{
			{RoleAdministrators, roleNameAdministrators, "A project role that represents administrators in a project"},
			{RoleServiceDeskCustomers, roleNameServiceDeskCustomers, "Customers of a service project"},
			{RoleServiceDeskTeam, roleNameServiceDeskTeam, "Agents of a service project"},
			{RoleDevelopers, roleNameDevelopers, "A project role that represents developers in a project"},
			{RoleAddonsProjectAccess, roleNameAddonsProjectAccess, "A project role that represents Connect add-ons declaring a scope that requires more than read permissions"},
		},
	}
	for _, p := range permissionCatalogue() {
		if p.Type == permGlobal {
			st.global[p.Key] = true
		} else {
			st.perms[p.Key] = true
		}
	}
	st.users = append(st.users, &User{
		AccountID: AdminAccountID, Email: adminEmail, DisplayName: "Sim Admin", Active: true,
	}, &User{
		AccountID: OwnerAccountID, Email: "olivia.owner@example.com", DisplayName: "Olivia Owner", Active: true,
	})
	var g []Grant
	g = append(g, grantsTo(holderApplicationRole, "", defaultSchemeAnyUser())...)
	g = append(g, roleGrants(RoleAdministrators, defaultSchemeAdministrators())...)
	g = append(g, roleGrants(RoleAddonsProjectAccess, defaultAddons())...)
	st.schemes[0] = &scheme{id: 0, name: defaultPermissionSchemeName, description: defaultPermissionSchemeDescribe}
	st.addGrants(st.schemes[0], g)
	return st
}

// grantsTo builds grants of keys to one holder.
func grantsTo(holderType, param string, keys []string) []Grant {
	out := make([]Grant, len(keys))
	for i, k := range keys {
		out[i] = Grant{HolderType: holderType, HolderParameter: param, Permission: k}
	}
	return out
}

// roleGrants builds grants of keys to a project role.
func roleGrants(roleID int64, keys []string) []Grant {
	return grantsTo(holderProjectRole, strconv.FormatInt(roleID, 10), keys)
}

// addGrants stores grants, assigning ids where missing.
func (st *state) addGrants(sc *scheme, gs []Grant) []Grant {
	added := make([]Grant, 0, len(gs))
	for _, g := range gs {
		if g.ID == 0 {
			g.ID = st.nextGrantID
			st.nextGrantID++
		} else if g.ID >= st.nextGrantID {
			st.nextGrantID = g.ID + 1
		}
		if g.HolderValue == "" {
			g.HolderValue = g.HolderParameter
		}
		sc.grants = append(sc.grants, g)
		added = append(added, g)
		st.recordGrant(sc, g, true)
	}
	slices.SortFunc(sc.grants, func(a, b Grant) int { return cmp.Compare(a.ID, b.ID) })
	return added
}

// addScheme creates a scheme with the next id.
func (st *state) addScheme(name, description string, gs []Grant) *scheme {
	sc := &scheme{id: st.nextSchemeID, name: name, description: description}
	st.nextSchemeID++
	st.schemes[sc.id] = sc
	st.recordSchemeCreated(sc)
	st.addGrants(sc, gs)
	return sc
}

// addProject stores a project, assigning ids.
func (st *state) addProject(p Project) (*project, error) {
	if p.Key == "" {
		return nil, fmt.Errorf("project without a key")
	}
	if st.projectByKey(p.Key) != nil {
		return nil, fmt.Errorf("project %s exists", p.Key)
	}
	if p.TypeKey == "" {
		p.TypeKey = TypeServiceDesk
	}
	if p.Name == "" {
		p.Name = p.Key
	}
	if p.TeamManaged {
		p.SchemeID = 0
	} else if _, ok := st.schemes[p.SchemeID]; !ok {
		return nil, fmt.Errorf("project %s: no permission scheme %d", p.Key, p.SchemeID)
	}
	if p.ID == 0 {
		p.ID = st.nextProjectID
	}
	if p.ID >= st.nextProjectID {
		st.nextProjectID = p.ID + 1
	}
	if st.projectByID(p.ID) != nil {
		return nil, fmt.Errorf("project id %d exists", p.ID)
	}
	if !p.Desk {
		p.ServiceDeskID = ""
	} else if p.ServiceDeskID == "" {
		p.ServiceDeskID = strconv.Itoa(st.nextDeskID)
		st.nextDeskID++
	} else if n, err := strconv.Atoi(p.ServiceDeskID); err == nil && n >= st.nextDeskID {
		st.nextDeskID = n + 1
	}
	if p.Desk && st.byDesk[p.ServiceDeskID] != nil {
		return nil, fmt.Errorf("project %s: service desk %s exists", p.Key, p.ServiceDeskID)
	}
	pr := &project{Project: p}
	st.projects = append(st.projects, pr)
	st.byKey[p.Key] = pr
	st.byID[p.ID] = pr
	if p.Desk {
		st.byDesk[p.ServiceDeskID] = pr
	}
	if !p.TeamManaged {
		st.recordAssignment(pr, nil, st.schemes[p.SchemeID])
	}
	return pr, nil
}

// addUser stores a user, generating an account id when missing.
func (st *state) addUser(u User) (User, error) {
	if u.AccountID == "" {
		st.nextUserSeq++
		u.AccountID = generatedAccountID(u.Email, st.nextUserSeq, u.Customer)
	}
	if st.userByID(u.AccountID) != nil {
		return User{}, fmt.Errorf("account %s exists", u.AccountID)
	}
	c := u
	st.users = append(st.users, &c)
	return u, nil
}

// removeGrant deletes a grant by id and reports whether it was there.
func (st *state) removeGrant(sc *scheme, id int64) bool {
	i := slices.IndexFunc(sc.grants, func(g Grant) bool { return g.ID == id })
	if i < 0 {
		return false
	}
	g := sc.grants[i]
	sc.grants = slices.Delete(sc.grants, i, i+1)
	st.recordGrant(sc, g, false)
	return true
}

// assign moves a company-managed project to sc; assigning the scheme it
// already uses changes and records nothing.
func (st *state) assign(p *project, sc *scheme) {
	if p.SchemeID == sc.id {
		return
	}
	old := st.schemes[p.SchemeID]
	p.SchemeID = sc.id
	st.recordAssignment(p, old, sc)
}

// deleteScheme removes a scheme; the projects that used it fall back to
// the Default Permission Scheme, as in Jira.
func (st *state) deleteScheme(sc *scheme) {
	for _, p := range st.projects {
		if !p.TeamManaged && p.SchemeID == sc.id {
			p.SchemeID = 0
			st.recordAssignment(p, sc, st.schemes[0])
		}
	}
	delete(st.schemes, sc.id)
	st.record(sumSchemeDeleted, schemeItem(sc), nil)
}

// generatedAccountID derives a stable id: qm:<uuid>:<hex> for portal-only
// customers (the shape JSM gives them), a 24-hex-digit id otherwise.
func generatedAccountID(email string, seq int, customer bool) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s#%d", email, seq)))
	h := hex.EncodeToString(sum[:])
	if !customer {
		return h[:24]
	}
	return fmt.Sprintf("qm:%s-%s-4%s-a%s-%s:%s", h[0:8], h[8:12], h[13:16], h[17:20], h[20:32], h[32:55])
}

func (st *state) projectByKey(key string) *project { return st.byKey[key] }

func (st *state) projectByID(id int64) *project { return st.byID[id] }

// projectByIDOrKey resolves a {projectIdOrKey} path parameter.
func (st *state) projectByIDOrKey(s string) *project {
	if id, err := strconv.ParseInt(s, 10, 64); err == nil {
		return st.projectByID(id)
	}
	return st.projectByKey(s)
}

// projectByDesk resolves a JSM {serviceDeskId}: a desk id, a project key,
// projectKey:KEY, projectId:ID or serviceDeskId:ID.
func (st *state) projectByDesk(s string) *project {
	var p *project
	switch {
	case strings.HasPrefix(s, "projectKey:"):
		p = st.projectByKey(strings.TrimPrefix(s, "projectKey:"))
	case strings.HasPrefix(s, "projectId:"):
		if id, err := strconv.ParseInt(strings.TrimPrefix(s, "projectId:"), 10, 64); err == nil {
			p = st.projectByID(id)
		}
	default:
		id := strings.TrimPrefix(s, "serviceDeskId:")
		p = st.byDesk[id]
		if p == nil && id == s {
			p = st.projectByKey(s)
		}
	}
	if p == nil || !p.Desk {
		return nil
	}
	return p
}

func (st *state) userByID(id string) *User {
	for _, u := range st.users {
		if u.AccountID == id {
			return u
		}
	}
	return nil
}

func (st *state) userByEmail(email string) *User {
	for _, u := range st.users {
		if strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

func (st *state) roleByID(id int64) (role, bool) {
	for _, r := range st.roles {
		if r.id == id {
			return r, true
		}
	}
	return role{}, false
}

// hasPortalAccessBasics reports whether a scheme grants the Portal Access
// security type both BROWSE_PROJECTS and CREATE_ISSUES.
func (sc *scheme) hasPortalAccessBasics() bool {
	var browse, create bool
	for _, g := range sc.grants {
		if g.HolderType != holderPortalAccess {
			continue
		}
		browse = browse || g.Permission == "BROWSE_PROJECTS"
		create = create || g.Permission == "CREATE_ISSUES"
	}
	return browse && create
}

// Seeding and inspection, exported for tests and the demo. They panic on
// inconsistent input (a duplicate key, an unknown scheme): that is a bug in
// the test, not a condition to handle.

// Changes made through these helpers are recorded in the audit log as made
// by the change author (see [Server.SetChangeAuthor]).

// helper marks the change about to be made under s.mu as the change
// author's.
func (s *Server) helper() {
	s.st.by = actor{accountID: s.changeAuthor}
}

// AddScheme creates a permission scheme with the next free id (from 10000
// upward) and the given grants (ids assigned where zero) and returns its id.
func (s *Server) AddScheme(name, description string, grants ...Grant) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.helper()
	return s.st.addScheme(name, description, grants).id
}

// AddGrants adds grants to a scheme as seeding, without the checks of the
// REST API, and returns them with their ids. It panics if the scheme does
// not exist.
func (s *Server) AddGrants(schemeID int64, grants ...Grant) []Grant {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.st.schemes[schemeID]
	if !ok {
		panic(fmt.Sprintf("jirasim: AddGrants: no permission scheme %d", schemeID))
	}
	s.helper()
	return s.st.addGrants(sc, grants)
}

// RemoveGrants deletes grants from a scheme behind the client's back, as an
// administrator editing the scheme in Jira's UI would. It panics if the
// scheme or a grant does not exist.
func (s *Server) RemoveGrants(schemeID int64, grantIDs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.st.schemes[schemeID]
	if !ok {
		panic(fmt.Sprintf("jirasim: RemoveGrants: no permission scheme %d", schemeID))
	}
	s.helper()
	for _, id := range grantIDs {
		if !s.st.removeGrant(sc, id) {
			panic(fmt.Sprintf("jirasim: RemoveGrants: no grant %d in scheme %d", id, schemeID))
		}
	}
}

// AssignScheme makes a company-managed project use another scheme behind
// the client's back. It panics if the project is unknown or team-managed or
// the scheme does not exist.
func (s *Server) AssignScheme(projectKey string, schemeID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.projectByKey(projectKey)
	sc, ok := s.st.schemes[schemeID]
	if p == nil || p.TeamManaged || !ok {
		panic(fmt.Sprintf("jirasim: AssignScheme: cannot assign scheme %d to %s", schemeID, projectKey))
	}
	s.helper()
	s.st.assign(p, sc)
}

// AddProject creates a project and returns it with its ids filled in. It
// panics if the key or id is taken or the scheme does not exist.
func (s *Server) AddProject(p Project) Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.helper()
	pr, err := s.st.addProject(p)
	if err != nil {
		panic("jirasim: AddProject: " + err.Error())
	}
	return pr.Project
}

// AddUser creates an account and returns it with its id filled in. It panics
// if the account id is taken.
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.st.addUser(u)
	if err != nil {
		panic("jirasim: AddUser: " + err.Error())
	}
	return u
}

// AddCustomers makes existing accounts customers of the project's service
// desk, bypassing the permission-scheme check of the REST API. It panics if
// the project has no desk or an account does not exist.
func (s *Server) AddCustomers(projectKey string, accountIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.projectByKey(projectKey)
	if p == nil || !p.Desk {
		panic("jirasim: AddCustomers: no service desk for project " + projectKey)
	}
	for _, id := range accountIDs {
		if s.st.userByID(id) == nil {
			panic("jirasim: AddCustomers: no account " + id)
		}
		if !slices.Contains(p.customers, id) {
			p.customers = append(p.customers, id)
		}
	}
}

// Project returns the project with the key.
func (s *Server) Project(key string) (Project, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.projectByKey(key)
	if p == nil {
		return Project{}, false
	}
	return p.Project, true
}

// ProjectSchemeID returns the id of the permission scheme assigned to the
// project; false if there is no such project or it is team-managed.
func (s *Server) ProjectSchemeID(key string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.projectByKey(key)
	if p == nil || p.TeamManaged {
		return 0, false
	}
	return p.SchemeID, true
}

// SchemeGrants returns a copy of the scheme's grants sorted by id (nil if
// the scheme does not exist).
func (s *Server) SchemeGrants(schemeID int64) []Grant {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.st.schemes[schemeID]
	if !ok {
		return nil
	}
	return slices.Clone(sc.grants)
}

// SchemeName returns the scheme's name ("" if it does not exist).
func (s *Server) SchemeName(schemeID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc, ok := s.st.schemes[schemeID]; ok {
		return sc.name
	}
	return ""
}

// SchemeIDs returns the ids of all permission schemes, ascending.
func (s *Server) SchemeIDs() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.st.schemes))
	for id := range s.st.schemes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// DeskCustomers returns the account ids of the customers of the project's
// service desk, in the order they were added (nil if it has no desk).
func (s *Server) DeskCustomers(projectKey string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.projectByKey(projectKey)
	if p == nil {
		return nil
	}
	return slices.Clone(p.customers)
}

// Users returns a copy of all accounts, in creation order.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, len(s.st.users))
	for i, u := range s.st.users {
		out[i] = *u
	}
	return out
}

// SetGlobalPermission grants (has) or revokes a global permission of the
// caller, e.g. "ADMINISTER": without it, creating schemes, adding and
// deleting grants, assigning schemes and creating customers answer 403. The
// change shows in GET mypermissions.
func (s *Server) SetGlobalPermission(key string, has bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.global[key] = has
}

// SetProjectPermission grants (has) or revokes a project permission of the
// caller in every project, e.g. "ADMINISTER_PROJECTS": without it, GET
// project/{key}/permissionscheme answers 403, GET project/{key}/role 401,
// GET project/{key}/role/{id} 404 (as the spec describes for callers lacking
// administrative rights) and adding desk customers 403 — unless the caller
// also holds the global ADMINISTER (Administer Jira), which Jira accepts for
// these reads too: to model a caller who cannot administer the project,
// revoke both. The change shows in GET mypermissions.
func (s *Server) SetProjectPermission(key string, has bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.perms[key] = has
}
