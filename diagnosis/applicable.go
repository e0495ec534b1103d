package diagnosis

// TypeServiceDesk is the project type key of a Jira Service Management
// (service) project.
const TypeServiceDesk = "service_desk"

// Applicability says whether jsmbot diagnoses and repairs a project and,
// when it does not, why not.
type Applicability int

// Applicabilities. The zero value is Applicable.
const (
	// Applicable is a company-managed service project: it has customers
	// and a permission scheme jsmbot checks and repairs.
	Applicable Applicability = iota
	// NotServiceProject is a project of another type (software, business,
	// …): it has no customer portal and no customers.
	NotServiceProject
	// TeamManagedProject is a team-managed service project: it has
	// customers, but no permission scheme to check or repair.
	TeamManagedProject
)

// ApplicabilityOf decides whether jsmbot diagnoses and repairs p. It is the
// one place that decides: the not-applicable rule, the repair engine (which
// reads no scheme of a project it does not repair) and the front ends (a
// report about customers needs a service project) all ask it.
func ApplicabilityOf(p Project) Applicability {
	switch {
	case p.TypeKey != TypeServiceDesk:
		return NotServiceProject
	case p.TeamManaged:
		return TeamManagedProject
	}
	return Applicable
}
