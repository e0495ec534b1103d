package diagnosis

// Holder types, as Jira's REST API spells them (reference §3). Rules match on
// these strings, never on UI labels, which Atlassian has renamed several times.
const (
	HolderPortalAccess = "sd.customer.portal.only"
	HolderProjectRole  = "projectRole"
)

// Role names that carry meaning for JSM. Role ids differ per site, so rules
// resolve roles by name through [Snapshot.Roles].
const (
	RoleAdministrators   = "Administrators"
	RoleServiceDeskTeam  = "Service Desk Team"
	RoleServiceDeskCusts = "Service Desk Customers"
)

// Permission keys the rules name directly.
const (
	PermBrowseProjects     = "BROWSE_PROJECTS"
	PermCreateIssues       = "CREATE_ISSUES"
	PermAdministerProjects = "ADMINISTER_PROJECTS"
)

// Rule names, as they appear in findings and in the JSON contract.
const (
	RulePortalAccess   = "portal-access"
	RuleCustomersRole  = "customers-role"
	RuleAdminMandatory = "admin-mandatory"
	RuleDefaultDrift   = "default-drift"
	RuleNotApplicable  = "not-applicable"
)

// Severity ranks a finding. Critical findings make a project unhealthy and
// are what a repair plan fixes; warnings are reported but never changed
// automatically, because an admin may have removed a default on purpose.
type Severity string

// Severities, from most to least severe.
const (
	Critical Severity = "critical"
	Warning  Severity = "warning"
	Info     Severity = "info"
)

// Holder is who a grant is given to: a holder type and, for roles, groups
// and users, its parameter (a role id for projectRole).
type Holder struct {
	Type      string `json:"type"`
	Parameter string `json:"parameter,omitempty"`
}

// Grant is one permission granted to one holder in a permission scheme. ID
// is Jira's grant id; it is zero for a grant that does not exist yet.
type Grant struct {
	ID         int64  `json:"id,omitempty"`
	Holder     Holder `json:"holder"`
	Permission string `json:"permission"`
}

// Project is what the rules need to know about a Jira project.
type Project struct {
	ID      string `json:"id"`
	Key     string `json:"key"`
	Name    string `json:"name"`
	TypeKey string `json:"projectTypeKey"`
	// TeamManaged is true for team-managed (next-gen, simplified) projects,
	// which have no permission scheme to repair.
	TeamManaged bool `json:"teamManaged"`
}

// Scheme is a permission scheme with its grants.
type Scheme struct {
	ID     int64   `json:"id"`
	Name   string  `json:"name"`
	Grants []Grant `json:"-"`
}

// Snapshot is everything diagnosis reads about one project at one moment.
// The caller fills it from Jira; diagnosis never does I/O.
type Snapshot struct {
	Project Project
	// Scheme is the permission scheme assigned to Project. It is the zero
	// value for projects the rules do not apply to.
	Scheme Scheme
	// Roles maps project role names to their site-specific ids.
	Roles map[string]string
	// SharedWith lists the keys of the other projects that use Scheme.
	SharedWith []string
	// SchemeNames lists the names of all permission schemes on the site, so
	// a copy can be given a name Jira will accept (names are unique).
	SchemeNames []string
}

// Finding is one problem a rule found, with the words an admin needs.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Holder   Holder   `json:"holder,omitzero"`
	// HolderName is the holder in words ("Service Project Customer - Portal
	// Access", "Administrators role").
	HolderName string `json:"holderName,omitempty"`
	Permission string `json:"permission,omitempty"`
	// Summary says what is wrong; Why says why it matters.
	Summary string `json:"summary"`
	Why     string `json:"why,omitempty"`
}

// Mode is how a plan changes Jira.
type Mode string

// Repair modes (DESIGN.md "Repairs").
const (
	// ModeAuto is in-place when the scheme serves this project alone and
	// copy when it is shared.
	ModeAuto Mode = "auto"
	// ModeInPlace edits the scheme, affecting every project that uses it.
	ModeInPlace Mode = "in-place"
	// ModeCopy copies the scheme with the fixes and assigns the copy to
	// this project only, as Jira's own "Fix permissions" button does.
	ModeCopy Mode = "copy"
)

// Plan is a repair, as data. It is applied only while Digest still matches
// the project's current state.
type Plan struct {
	// ID identifies the plan's content: the same snapshot and mode give the
	// same ID.
	ID         string `json:"id"`
	Mode       Mode   `json:"mode"`
	ProjectKey string `json:"projectKey"`
	SchemeID   int64  `json:"schemeId"`
	SchemeName string `json:"schemeName"`
	// CopyName is the name of the scheme a copy-mode plan creates.
	CopyName     string  `json:"copyName,omitempty"`
	AddGrants    []Grant `json:"addGrants"`
	RemoveGrants []Grant `json:"removeGrants"`
	// Affects lists the other projects an in-place plan changes.
	Affects []string `json:"affects"`
	// Digest covers the project→scheme link and the scheme's grant set.
	Digest string `json:"digest"`
}

// Report is the outcome of diagnosing one snapshot.
type Report struct {
	// Applicable is false when the project is not a company-managed service
	// project; then Findings holds one not-applicable finding and nothing
	// may be changed.
	Applicable bool `json:"applicable"`
	// Healthy is true when no critical finding was made.
	Healthy  bool      `json:"healthy"`
	Findings []Finding `json:"findings"`
}
