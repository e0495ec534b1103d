package jirasim

import (
	"fmt"
	"slices"
)

// Scenario names a seeded project (or group of projects) in a known state.
type Scenario string

// The scenarios. Each company-managed JSM project gets its own scheme named
// "Jira Service Management Permission Scheme for Project <KEY>" unless
// stated, built from the default JSM grants of reference §5.1
// (Administrators 33, Service Desk Team 29, Portal Access 20,
// atlassian-addons-project-access 34) and then broken as described. Every
// JSM project has a service desk with a few customers.
const (
	// SeedAll stands for every scenario below, in the order listed; it is
	// the default seed.
	SeedAll Scenario = "all"
	// ScenarioHealthy is project HELP with the full default scheme.
	ScenarioHealthy Scenario = "healthy"
	// ScenarioPortalAccessMissing is project NOPA: Portal Access lacks both
	// BROWSE_PROJECTS and CREATE_ISSUES.
	ScenarioPortalAccessMissing Scenario = "portal-access-missing"
	// ScenarioCreateMissing is project NOCR: Portal Access lacks only
	// CREATE_ISSUES.
	ScenarioCreateMissing Scenario = "create-missing"
	// ScenarioCustomersRole is project CUST: Portal Access lacks
	// BROWSE_PROJECTS and CREATE_ISSUES, and the Service Desk Customers role
	// (10100) holds BROWSE_PROJECTS, CREATE_ISSUES and ADD_COMMENTS instead.
	ScenarioCustomersRole Scenario = "customers-role"
	// ScenarioDrift is project DRFT: the critical grants are in place but
	// the Service Desk Team lacks ADD_COMMENTS and SERVICEDESK_AGENT and
	// Portal Access lacks MANAGE_WATCHERS.
	ScenarioDrift Scenario = "drift"
	// ScenarioAdminMissing is project ADMN: the Administrators role lacks
	// ADMINISTER_PROJECTS.
	ScenarioAdminMissing Scenario = "admin-missing"
	// ScenarioShared is projects SHRA, SHRB and SHRC sharing one scheme,
	// "Shared Support Scheme", whose Portal Access lacks BROWSE_PROJECTS and
	// CREATE_ISSUES.
	ScenarioShared Scenario = "shared"
	// ScenarioSoftware is project SOFT, a company-managed software project
	// with its own scheme and no service desk.
	ScenarioSoftware Scenario = "software"
	// ScenarioTeamManaged is project TEAM, a team-managed service project
	// (style next-gen, simplified) with a service desk and no permission
	// scheme.
	ScenarioTeamManaged Scenario = "team-managed"
)

// Scenarios returns every scenario SeedAll stands for, in seeding order.
func Scenarios() []Scenario {
	return []Scenario{
		ScenarioHealthy, ScenarioPortalAccessMissing, ScenarioCreateMissing,
		ScenarioCustomersRole, ScenarioDrift, ScenarioAdminMissing, ScenarioShared,
		ScenarioSoftware, ScenarioTeamManaged,
	}
}

// Seeded accounts, shared by every scenario that needs customers. They are
// created once, on the first scenario that needs them.
const (
	// AgentAccountID is a licensed agent in the Service Desk Team role.
	AgentAccountID = "5b10ac8d82e05b22cc7d4ef5"
	// CustomerAliceID and CustomerBobID are active portal-only customers.
	CustomerAliceID = "qm:a713c8ea-1075-4e30-9d96-891a7d181739:5ad6d3581db05e2a66fa80b"
	CustomerBobID   = "qm:2f9a1c3e-7b4d-4e8a-9c1f-3d5e7a9b1c2d:6be7f4692ec16f3b77fb91c"
	// CustomerCarolID is an inactive portal-only customer (active false).
	CustomerCarolID = "qm:8c2d4e6f-1a3b-4c5d-8e7f-9a0b1c2d3e4f:7cf805a3bfd2704c88ac02d"
	// CustomerDaveID is a licensed account that is also a customer of HELP.
	CustomerDaveID = "5b10a0effa615349cb016cd8"
	// ProspectErinID and ProspectFrankID are portal-only accounts that are
	// customers of no desk yet: the invites the bot retries after a repair.
	ProspectErinID  = "qm:4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8:8d0916b4c0e3815d99bd13e"
	ProspectFrankID = "qm:5f6a7b8c-9d0e-4f1a-b2c3-d4e5f6a7b8c9:9e1a27c5d1f4926eaace24f"
)

// seedUsers are the accounts the scenarios share.
func seedUsers() []User {
	return []User{
		{AccountID: AgentAccountID, Email: "agent@example.com", DisplayName: "Alex Agent", Active: true},
		{AccountID: CustomerAliceID, Email: "alice@example.com", DisplayName: "Alice Customer", Active: true, Customer: true},
		{AccountID: CustomerBobID, Email: "bob@example.com", DisplayName: "Bob Customer", Active: true, Customer: true},
		{AccountID: CustomerCarolID, Email: "carol@example.com", DisplayName: "Carol Inactive", Active: false, Customer: true},
		{AccountID: CustomerDaveID, Email: "dave@example.com", DisplayName: "Dave Licensed", Active: true},
		{AccountID: ProspectErinID, Email: "erin@example.com", DisplayName: "Erin Prospect", Active: true, Customer: true},
		{AccountID: ProspectFrankID, Email: "frank@example.com", DisplayName: "Frank Prospect", Active: true, Customer: true},
	}
}

// defaultJSMGrants is the full default JSM scheme of reference §5.1.
func defaultJSMGrants() []Grant {
	var g []Grant
	g = append(g, roleGrants(RoleAdministrators, defaultAdministrators())...)
	g = append(g, roleGrants(RoleServiceDeskTeam, defaultServiceDeskTeam())...)
	g = append(g, grantsTo(holderPortalAccess, "", defaultPortalAccess())...)
	g = append(g, roleGrants(RoleAddonsProjectAccess, defaultAddons())...)
	return g
}

// dropGrants removes the grants of perms held by (holderType, param).
func dropGrants(gs []Grant, holderType, param string, perms ...string) []Grant {
	return slices.DeleteFunc(gs, func(g Grant) bool {
		return g.HolderType == holderType && g.HolderParameter == param && slices.Contains(perms, g.Permission)
	})
}

func roleParam(id int64) string { return fmt.Sprint(id) }

// jsmSchemeName is the name JSM gives the scheme it generates for a project.
func jsmSchemeName(key string) string {
	return "Jira Service Management Permission Scheme for Project " + key
}

// seed adds one scenario to the site.
func (st *state) seed(sc Scenario) error {
	if sc == SeedAll {
		for _, s := range Scenarios() {
			if err := st.seed(s); err != nil {
				return err
			}
		}
		return nil
	}
	type jsmProject struct{ key, name string }
	var (
		projects []jsmProject
		grants   = defaultJSMGrants()
		name     string
	)
	switch sc {
	case ScenarioHealthy:
		projects = []jsmProject{{"HELP", "Help Desk"}}
	case ScenarioPortalAccessMissing:
		projects = []jsmProject{{"NOPA", "No Portal Access"}}
		grants = dropGrants(grants, holderPortalAccess, "", "BROWSE_PROJECTS", "CREATE_ISSUES")
	case ScenarioCreateMissing:
		projects = []jsmProject{{"NOCR", "No Create Issues"}}
		grants = dropGrants(grants, holderPortalAccess, "", "CREATE_ISSUES")
	case ScenarioCustomersRole:
		projects = []jsmProject{{"CUST", "Customers Role Grants"}}
		grants = dropGrants(grants, holderPortalAccess, "", "BROWSE_PROJECTS", "CREATE_ISSUES")
		grants = append(grants, roleGrants(RoleServiceDeskCustomers, []string{"BROWSE_PROJECTS", "CREATE_ISSUES", "ADD_COMMENTS"})...)
	case ScenarioDrift:
		projects = []jsmProject{{"DRFT", "Drifted Desk"}}
		grants = dropGrants(grants, holderProjectRole, roleParam(RoleServiceDeskTeam), "ADD_COMMENTS", "SERVICEDESK_AGENT")
		grants = dropGrants(grants, holderPortalAccess, "", "MANAGE_WATCHERS")
	case ScenarioAdminMissing:
		projects = []jsmProject{{"ADMN", "Admin Grant Missing"}}
		grants = dropGrants(grants, holderProjectRole, roleParam(RoleAdministrators), "ADMINISTER_PROJECTS")
	case ScenarioShared:
		projects = []jsmProject{{"SHRA", "Shared Support A"}, {"SHRB", "Shared Support B"}, {"SHRC", "Shared Support C"}}
		grants = dropGrants(grants, holderPortalAccess, "", "BROWSE_PROJECTS", "CREATE_ISSUES")
		name = "Shared Support Scheme"
	case ScenarioSoftware:
		return st.seedSoftware()
	case ScenarioTeamManaged:
		if err := st.seedUsers(); err != nil {
			return err
		}
		p, err := st.addProject(Project{Key: "TEAM", Name: "Team-managed Desk", TypeKey: TypeServiceDesk, TeamManaged: true, Desk: true})
		if err != nil {
			return err
		}
		p.customers = []string{CustomerAliceID, CustomerBobID}
		return nil
	default:
		return fmt.Errorf("unknown scenario %q", sc)
	}
	if err := st.seedUsers(); err != nil {
		return err
	}
	desc := "This Jira Service Management Permission Scheme was generated for Project " + projects[0].key
	if name == "" {
		name = jsmSchemeName(projects[0].key)
	} else {
		desc = "Permission scheme shared by the support projects."
	}
	scheme := st.addScheme(name, desc, grants)
	for _, jp := range projects {
		p, err := st.addProject(Project{Key: jp.key, Name: jp.name, TypeKey: TypeServiceDesk, SchemeID: scheme.id, Desk: true})
		if err != nil {
			return err
		}
		p.customers = []string{CustomerAliceID, CustomerBobID}
		if jp.key == "HELP" {
			p.customers = append(p.customers, CustomerCarolID, CustomerDaveID)
		}
	}
	return nil
}

// seedUsers adds the shared accounts unless they exist.
func (st *state) seedUsers() error {
	if st.userByID(AgentAccountID) != nil {
		return nil
	}
	for _, u := range seedUsers() {
		if _, err := st.addUser(u); err != nil {
			return err
		}
	}
	return nil
}

// seedSoftware adds SOFT with a software-style scheme.
func (st *state) seedSoftware() error {
	var g []Grant
	g = append(g, roleGrants(RoleAdministrators, without(defaultAdministrators(), "SERVICEDESK_AGENT"))...)
	g = append(g, roleGrants(RoleDevelopers, defaultSchemeAnyUser())...)
	g = append(g, roleGrants(RoleAddonsProjectAccess, defaultAddons())...)
	sc := st.addScheme("SOFT software permission scheme", "Permission scheme of the software project SOFT.", g)
	_, err := st.addProject(Project{Key: "SOFT", Name: "Software Project", TypeKey: TypeSoftware, SchemeID: sc.id})
	return err
}
