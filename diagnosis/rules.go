package diagnosis

import (
	"cmp"
	"fmt"
	"slices"
)

// rule is one row of the rule table: a named check with its explanation and,
// for rules whose critical findings a plan fixes, the repair.
type rule struct {
	name string
	// severity is given to every finding the check returns without one.
	severity Severity
	// why explains the rule to an admin; it becomes Finding.Why unless the
	// check wrote a more specific one.
	why string
	// check returns the rule's findings for the snapshot.
	check func(f *facts) []Finding
	// fix returns the grants that repair one critical finding of this rule.
	// Nil for rules a plan never repairs.
	fix func(f *facts, fd Finding) (add, remove []Grant)
	// final stops the run when the rule fires: nothing after it applies.
	final bool
}

// rules returns the rule table in order. The order is part of the contract:
// findings of equal severity are sorted by it, and later rules do not repeat
// what earlier ones reported.
func rules() []rule {
	return []rule{
		{
			name:     RuleNotApplicable,
			severity: Info,
			check:    checkNotApplicable,
			final:    true,
		},
		{
			name:     RulePortalAccess,
			severity: Critical,
			why: "Customers reach a service project through the " + PortalAccessName +
				" security type, which must hold Browse Projects and Create Issues. Without them agents adding" +
				" customers get \"Successfully added 0 customers. The following customers could not be added.\"," +
				" and email from new customers fails even with self sign-up and open channel access.",
			check: checkPortalAccess,
			fix: func(_ *facts, fd Finding) ([]Grant, []Grant) {
				return []Grant{{Holder: Holder{Type: HolderPortalAccess}, Permission: fd.Permission}}, nil
			},
		},
		{
			name:     RuleCustomersRole,
			severity: Critical,
			why: "Customer permissions belong to the " + PortalAccessName + " security type, which reads the " +
				RoleServiceDeskCusts + " role to decide who is a customer; they must not be granted to the role" +
				" itself. Atlassian classes this as a critical error: admins cannot add customers, open service" +
				" projects become restricted and public sign-up is disabled.",
			check: checkCustomersRole,
			fix: func(f *facts, fd Finding) ([]Grant, []Grant) {
				var remove []Grant
				for _, g := range f.s.Scheme.Grants {
					if g.Holder == fd.Holder && g.Permission == fd.Permission {
						remove = append(remove, g)
					}
				}
				return nil, remove
			},
		},
		{
			name:     RuleAdminMandatory,
			severity: Critical,
			why: "Atlassian makes this grant mandatory, not just a default: without Administer Projects nobody" +
				" in the " + RoleAdministrators + " role can change the project's settings, its customers or" +
				" its permissions.",
			check: checkAdminMandatory,
			fix: func(_ *facts, fd Finding) ([]Grant, []Grant) {
				return []Grant{{Holder: fd.Holder, Permission: fd.Permission}}, nil
			},
		},
		{
			name:     RuleDefaultDrift,
			severity: Warning,
			why: "Jira Service Management grants this by default, and Atlassian advises never removing the" +
				" default grants of the " + RoleAdministrators + " role, the " + RoleServiceDeskTeam + " role and " +
				PortalAccessName + ". It may have been removed on purpose, so jsmbot reports it but never" +
				" restores it on its own.",
			check: checkDefaultDrift,
		},
	}
}

// facts is what the rules read: the snapshot plus lookups built once.
type facts struct {
	s Snapshot
	// roleNames maps role ids back to names, for words.
	roleNames map[string]string
	// granted holds every (holder, permission) the scheme grants.
	granted map[grantKey]bool
}

// grantKey identifies a grant by holder and permission, ignoring its id.
type grantKey struct {
	holder     Holder
	permission string
}

func newFacts(s Snapshot) *facts {
	f := &facts{
		s:         s,
		roleNames: make(map[string]string, len(s.Roles)),
		granted:   make(map[grantKey]bool, len(s.Scheme.Grants)),
	}
	for name, id := range s.Roles {
		// Two names for one id should not happen; if it does, pick the
		// smallest so the words do not depend on map order.
		if old, ok := f.roleNames[id]; !ok || name < old {
			f.roleNames[id] = name
		}
	}
	for _, g := range s.Scheme.Grants {
		f.granted[grantKey{holder: normalHolder(g.Holder), permission: g.Permission}] = true
	}
	return f
}

// normalHolder drops the parameter of the Portal Access type, which has
// none: the rules match it on its type alone.
func normalHolder(h Holder) Holder {
	if h.Type == HolderPortalAccess {
		return Holder{Type: HolderPortalAccess}
	}
	return h
}

func (f *facts) has(h Holder, permission string) bool {
	return f.granted[grantKey{holder: normalHolder(h), permission: permission}]
}

// role returns the holder for the named project role, and false when the
// site has no role of that name.
func (f *facts) role(name string) (Holder, bool) {
	id, ok := f.s.Roles[name]
	if !ok || id == "" {
		return Holder{}, false
	}
	return Holder{Type: HolderProjectRole, Parameter: id}, true
}

// holderName says who h is in words: the security type's name, "<name>
// role" for a resolved role, or the raw type and parameter otherwise.
func (f *facts) holderName(h Holder) string {
	switch h.Type {
	case HolderPortalAccess:
		return PortalAccessName
	case HolderProjectRole:
		if name, ok := f.roleNames[h.Parameter]; ok {
			return name + " role"
		}
	}
	if h.Parameter == "" {
		return h.Type
	}
	return h.Type + " " + h.Parameter
}

// subject is holderName as the subject of a sentence.
func subject(holderName string, h Holder) string {
	if h.Type == HolderProjectRole {
		return "The " + holderName
	}
	return holderName
}

// quoted names a permission the way an admin sees it, with its key.
func quoted(permission string) string {
	if label := permissionLabel(permission); label != permission {
		return fmt.Sprintf("%q (%s)", label, permission)
	}
	return permission
}

func checkNotApplicable(f *facts) []Finding {
	p := f.s.Project
	who := cmp.Or(p.Key, p.Name, p.ID, "The project")
	switch ApplicabilityOf(p) {
	case NotServiceProject:
		return []Finding{{
			Summary: fmt.Sprintf("%s is %s; jsmbot only repairs company-managed service projects.",
				who, projectTypeWords(p.TypeKey)),
			Why: "Only Jira Service Management projects have the customer portal and the " +
				PortalAccessName + " grants jsmbot checks.",
		}}
	case TeamManagedProject:
		return []Finding{{
			Summary: fmt.Sprintf("%s is team-managed: it has no permission scheme; customer access is managed"+
				" in the project's own settings.", who),
			Why: "jsmbot repairs permission schemes, and team-managed projects do not use one.",
		}}
	}
	return nil
}

// projectTypeWords names a project type key with its article.
func projectTypeWords(typeKey string) string {
	switch typeKey {
	case "software":
		return "a software project"
	case "business":
		return "a business project"
	case "product_discovery":
		return "a product discovery project"
	case "":
		return "a project of unknown type"
	}
	return fmt.Sprintf("a project of type %q", typeKey)
}

func checkPortalAccess(f *facts) []Finding {
	var out []Finding
	h := Holder{Type: HolderPortalAccess}
	for _, perm := range []string{PermBrowseProjects, PermCreateIssues} {
		if !f.has(h, perm) {
			out = append(out, missing(f, h, perm, ""))
		}
	}
	return out
}

func checkCustomersRole(f *facts) []Finding {
	h, ok := f.role(RoleServiceDeskCusts)
	if !ok {
		// No such role on the site: nothing can be granted to it.
		return nil
	}
	var out []Finding
	for _, g := range f.s.Scheme.Grants {
		if g.Holder != h {
			continue
		}
		name := f.holderName(h)
		out = append(out, Finding{
			Holder:     h,
			HolderName: name,
			Permission: g.Permission,
			Summary:    fmt.Sprintf("%s is granted %s.", subject(name, h), quoted(g.Permission)),
		})
	}
	return out
}

func checkAdminMandatory(f *facts) []Finding {
	h, ok := f.role(RoleAdministrators)
	if !ok {
		return []Finding{unresolvedRole(RoleAdministrators)}
	}
	if f.has(h, PermAdministerProjects) {
		return nil
	}
	return []Finding{missing(f, h, PermAdministerProjects, "")}
}

func checkDefaultDrift(f *facts) []Finding {
	var out []Finding
	for _, d := range defaultHolders() {
		h := Holder{Type: HolderPortalAccess}
		if d.role != "" {
			var ok bool
			if h, ok = f.role(d.role); !ok {
				out = append(out, unresolvedRole(d.role))
				continue
			}
		}
		for _, perm := range d.perms {
			if !f.has(h, perm) {
				out = append(out, missing(f, h, perm, "the default grant "))
			}
		}
	}
	return out
}

// missing is the finding for a holder that lacks a permission.
func missing(f *facts, h Holder, permission, what string) Finding {
	name := f.holderName(h)
	return Finding{
		Holder:     h,
		HolderName: name,
		Permission: permission,
		Summary:    fmt.Sprintf("%s lacks %s%s.", subject(name, h), what, quoted(permission)),
	}
}

// unresolvedRole is the warning for a role the site does not have. It is a
// warning, not critical: the project may work (the role may have been
// renamed), and with no role to grant to there is nothing a plan could do.
func unresolvedRole(name string) Finding {
	return Finding{
		Severity:   Warning,
		Holder:     Holder{Type: HolderProjectRole},
		HolderName: name + " role",
		Summary: fmt.Sprintf("The site has no project role named %q, so jsmbot could not check its grants.",
			name),
		Why: "Jira Service Management expects the " + name + " role; if it was renamed or deleted, restore it" +
			" in Jira's project role settings and diagnose again.",
	}
}

// Diagnose applies the rules, in table order, to a snapshot and reports what
// they found.
//
// The report is not applicable (and not healthy) when the project is not a
// company-managed service project; it then holds a single not-applicable
// finding. Otherwise it is healthy when no finding is critical. A finding an
// earlier rule already made (same holder and permission) is not repeated.
// Findings are sorted by severity, then rule order, then holder, then
// permission. Diagnose is pure: the same snapshot gives the same report.
func Diagnose(s Snapshot) Report {
	return diagnose(newFacts(s)).report
}

// diagnosis is a report plus what NewPlan needs to repair it.
type diagnosis struct {
	report Report
	// fixes holds, per critical finding, the rule that made it.
	fixes []fixable
}

type fixable struct {
	rule    rule
	finding Finding
}

// findingKey is what makes two findings the same finding.
type findingKey struct {
	holder     Holder
	holderName string
	permission string
}

func diagnose(f *facts) diagnosis {
	table := rules()
	order := make(map[string]int, len(table))
	for i, r := range table {
		order[r.name] = i
	}
	var d diagnosis
	findings := []Finding{}
	seen := make(map[findingKey]bool)
	applicable := true
	for _, r := range table {
		got := r.check(f)
		for _, fd := range got {
			k := findingKey{holder: fd.Holder, holderName: fd.HolderName, permission: fd.Permission}
			if seen[k] {
				continue
			}
			seen[k] = true
			fd.Rule = r.name
			fd.Severity = cmp.Or(fd.Severity, r.severity)
			fd.Why = cmp.Or(fd.Why, r.why)
			findings = append(findings, fd)
			if fd.Severity == Critical && r.fix != nil {
				d.fixes = append(d.fixes, fixable{rule: r, finding: fd})
			}
		}
		if r.final && len(got) > 0 {
			applicable = false
			break
		}
	}
	slices.SortStableFunc(findings, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)),
			cmp.Compare(order[a.Rule], order[b.Rule]),
			cmp.Compare(a.HolderName, b.HolderName),
			cmp.Compare(a.Holder.Type, b.Holder.Type),
			cmp.Compare(a.Holder.Parameter, b.Holder.Parameter),
			cmp.Compare(a.Permission, b.Permission),
		)
	})
	healthy := applicable
	for _, fd := range findings {
		if fd.Severity == Critical {
			healthy = false
		}
	}
	d.report = Report{Applicable: applicable, Healthy: healthy, Findings: findings}
	return d
}

// severityRank orders severities from most to least severe; unknown ones
// sort last.
func severityRank(s Severity) int {
	switch s {
	case Critical:
		return 0
	case Warning:
		return 1
	case Info:
		return 2
	}
	return 3
}
