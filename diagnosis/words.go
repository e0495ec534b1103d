package diagnosis

import (
	"fmt"
	"strings"
)

// This file holds the words every front end uses for holders, grants and
// plans, so the terminal and Slack say the same thing. Front ends differ
// only in how they mark names ([Marks]) and in layout (bullets, indents,
// emoji), never in the words.

// HolderName says who h is in words, as findings do: the Portal Access
// security type's name, "<name> role" for a role found in roles (name →
// id), or the raw type and parameter otherwise. Every front end names
// holders through it, so they all say the same thing.
func HolderName(h Holder, roles map[string]string) string {
	return newFacts(Snapshot{Roles: roles}).holderName(h)
}

// SharedWords names the other projects that use a scheme: their keys, or
// "no other project".
func SharedWords(keys []string) string {
	if len(keys) == 0 {
		return "no other project"
	}
	return strings.Join(keys, ", ")
}

// Marks is how a front end sets names apart in the words of this file; the
// zero Marks leaves them bare. The words are not escaped: a front end
// escapes what it shows, so a mark must be text that escaping leaves alone.
type Marks struct {
	// Code marks a permission key (`BROWSE_PROJECTS` in Slack); nil leaves
	// it bare.
	Code func(string) string
	// Quote marks a scheme name (“Name” in Slack, "Name" on a terminal);
	// nil leaves it bare.
	Quote func(string) string
	// GrantIDs adds the id of an existing grant where it is taken away:
	// "… from Service Desk Customers role (grant 10402)".
	GrantIDs bool
}

// Scheme marks a scheme name.
func (m Marks) Scheme(name string) string {
	if m.Quote == nil {
		return name
	}
	return m.Quote(name)
}

func (m Marks) permission(key string) string {
	if m.Code == nil {
		return key
	}
	return m.Code(key)
}

// To says what a grant gives to whom: "BROWSE_PROJECTS to Service Project
// Customer - Portal Access". roles (name → id) names role holders.
func (m Marks) To(g Grant, roles map[string]string) string {
	return m.permission(g.Permission) + " to " + HolderName(g.Holder, roles)
}

// From says what is taken from whom: "BROWSE_PROJECTS from Service Desk
// Customers role", with the grant's id when m.GrantIDs is set.
func (m Marks) From(g Grant, roles map[string]string) string {
	s := m.permission(g.Permission) + " from " + HolderName(g.Holder, roles)
	if m.GrantIDs {
		s += fmt.Sprintf(" (grant %d)", g.ID)
	}
	return s
}

// PlanWords is what a plan changes, in words a front end lays out as it
// likes: Slack as bullets, a terminal as an indented list.
type PlanWords struct {
	// Head says which scheme changes: "Change the scheme S (id N):", or for
	// a copy "Create the scheme C as a copy of S with these changes, and
	// assign it to KEY only:".
	Head string
	// Add holds "grant P to H" for each grant the plan adds, and Remove
	// "remove P from H" for each it removes, in the plan's order.
	Add, Remove []string
	// Others says what becomes of the other projects on the scheme, as a
	// sentence without its full stop so a front end may add a clause of its
	// own; "" when there is nothing to say.
	Others string
	// AlsoChanges is true when Others says that an in-place plan changes
	// other projects too, which a front end may warn about.
	AlsoChanges bool
}

// DescribePlan says what plan p changes. roles (name → id) names role
// holders; shared lists the other projects on the scheme, which a copy
// leaves alone.
func DescribePlan(p Plan, roles map[string]string, shared []string, m Marks) PlanWords {
	var w PlanWords
	if p.Mode == ModeCopy {
		w.Head = fmt.Sprintf("Create the scheme %s as a copy of %s with these changes, and assign it to %s only:",
			m.Scheme(p.CopyName), m.Scheme(p.SchemeName), p.ProjectKey)
	} else {
		w.Head = fmt.Sprintf("Change the scheme %s (id %d):", m.Scheme(p.SchemeName), p.SchemeID)
	}
	for _, g := range p.AddGrants {
		w.Add = append(w.Add, "grant "+m.To(g, roles))
	}
	for _, g := range p.RemoveGrants {
		w.Remove = append(w.Remove, "remove "+m.From(g, roles))
	}
	switch {
	case p.Mode == ModeCopy && len(shared) > 0:
		w.Others = strings.Join(shared, ", ") + map[bool]string{true: " keeps", false: " keep"}[len(shared) == 1] + " the original scheme, unchanged"
	case p.Mode == ModeInPlace && len(p.Affects) > 0:
		w.Others = "This also changes " + strings.Join(p.Affects, ", ") + map[bool]string{true: ", which uses", false: ", which use"}[len(p.Affects) == 1] + " the same scheme"
		w.AlsoChanges = true
	case p.Mode == ModeInPlace:
		w.Others = "No other project uses this scheme"
	}
	return w
}

// Counts returns how many of the report's findings are critical and how
// many are warnings.
func (r Report) Counts() (critical, warnings int) {
	for _, f := range r.Findings {
		switch f.Severity {
		case Critical:
			critical++
		case Warning:
			warnings++
		}
	}
	return critical, warnings
}
