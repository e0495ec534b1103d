package jirasim

import (
	"fmt"
	"strconv"
)

// Fleet describes a seeded site of many projects on a few shared schemes,
// for scale tests and benchmarks of the fleet audit (issue 10). The site is
// the same for the same Fleet, every time.
//
// Project i (0-based) has the key [FleetKey](i), a service desk with
// customers Alice and Bob, and its kind decided by i mod 20:
//
//   - 19: a team-managed service project (no scheme);
//   - 18: a company-managed software project without a desk, on the fleet's
//     software scheme;
//   - 17: a service project whose scheme cannot be read (403, see
//     [Project.Unreadable]), on a JSM scheme like the others;
//   - otherwise a service project on JSM scheme j, the company-managed
//     service projects taking the JSM schemes in turn.
//
// With Schemes = M there are M-1 JSM schemes and the software scheme (one
// JSM scheme and no separate software scheme when M is 1). JSM scheme j is
// the default JSM scheme of reference §5.1, broken by j mod 4: 0 lacks the
// Portal Access grants of BROWSE_PROJECTS and CREATE_ISSUES, 2 lacks only
// CREATE_ISSUES, 1 and 3 are healthy. So every scheme with more than one
// project is shared, and a quarter of them lack both critical grants.
type Fleet struct {
	// Projects is N, the number of projects (at least 1).
	Projects int
	// Schemes is M, the number of permission schemes besides the Default
	// Permission Scheme (at least 1).
	Schemes int
}

// Kinds of fleet scheme, by JSM scheme index mod 4.
const (
	fleetBroken = iota
	fleetHealthy
	fleetCreateMissing
	fleetHealthy2
)

// WithFleet seeds the site with f instead of the named scenarios
// (replacing any [WithSeed]). The seeded accounts exist as with the
// scenarios. New panics if f has no projects or no schemes.
func WithFleet(f Fleet) Option {
	return func(c *config) {
		c.fleet = &f
		c.scenarios = nil
	}
}

// FleetKey is the key of fleet project i (0-based): "FL0001" for 0.
func FleetKey(i int) string { return fmt.Sprintf("FL%04d", i+1) }

// FleetSchemeName is the name of JSM scheme j (0-based) of a fleet.
func FleetSchemeName(j int) string { return fmt.Sprintf("Fleet JSM scheme %03d", j+1) }

// fleetSoftwareSchemeName is the fleet's software scheme.
const fleetSoftwareSchemeName = "Fleet software scheme"

// seedFleet builds f. Grants are stored once per scheme, projects refer to
// schemes by id: a 5,000-project site costs little more than its projects.
func (st *state) seedFleet(f Fleet) error {
	if f.Projects < 1 || f.Schemes < 1 {
		return fmt.Errorf("fleet of %d projects on %d schemes", f.Projects, f.Schemes)
	}
	if err := st.seedUsers(); err != nil {
		return err
	}
	jsm := max(f.Schemes-1, 1)
	jsmIDs := make([]int64, jsm)
	for j := range jsm {
		g := defaultJSMGrants()
		switch j % 4 {
		case fleetBroken:
			g = dropGrants(g, holderPortalAccess, "", "BROWSE_PROJECTS", "CREATE_ISSUES")
		case fleetCreateMissing:
			g = dropGrants(g, holderPortalAccess, "", "CREATE_ISSUES")
		}
		jsmIDs[j] = st.addScheme(FleetSchemeName(j), "Permission scheme shared by fleet service projects.", g).id
	}
	softwareID := jsmIDs[0]
	if f.Schemes > 1 {
		var g []Grant
		g = append(g, roleGrants(RoleAdministrators, without(defaultAdministrators(), "SERVICEDESK_AGENT"))...)
		g = append(g, roleGrants(RoleDevelopers, defaultSchemeAnyUser())...)
		softwareID = st.addScheme(fleetSoftwareSchemeName, "Permission scheme of the fleet's software projects.", g).id
	}
	next := 0 // company-managed service projects so far
	for i := range f.Projects {
		p := Project{Key: FleetKey(i), Name: "Fleet project " + strconv.Itoa(i+1), TypeKey: TypeServiceDesk, Desk: true}
		switch i % 20 {
		case 19:
			p.TeamManaged = true
		case 18:
			p.TypeKey, p.Desk, p.SchemeID = TypeSoftware, false, softwareID
		default:
			p.SchemeID = jsmIDs[next%jsm]
			p.Unreadable = i%20 == 17
			next++
		}
		pr, err := st.addProject(p)
		if err != nil {
			return err
		}
		if pr.Desk {
			pr.customers = []string{CustomerAliceID, CustomerBobID}
		}
	}
	return nil
}

// ProjectKeys returns the keys of every project, in creation order.
func (s *Server) ProjectKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.st.projects))
	for i, p := range s.st.projects {
		out[i] = p.Key
	}
	return out
}
