package diagnosis

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Errors NewPlan and ParseMode return. Test for them with errors.Is.
var (
	// ErrNotApplicable means the project is not a company-managed service
	// project, so there is no permission scheme jsmbot may change.
	ErrNotApplicable = errors.New("not a company-managed service project")
	// ErrNothingToRepair means the diagnosis has no critical finding.
	// Warnings alone are never repaired automatically.
	ErrNothingToRepair = errors.New("nothing to repair")
	// ErrUnknownMode means a repair mode is not one of auto, in-place, copy.
	ErrUnknownMode = errors.New("unknown repair mode")
)

// validModes is the error text naming the modes ParseMode accepts.
const validModes = "want auto, in-place or copy"

// ParseMode parses a repair mode as a user types it: "auto", "in-place" or
// "copy", ignoring case and surrounding space. Any other input returns an
// error wrapping [ErrUnknownMode] that names the valid values.
func ParseMode(s string) (Mode, error) {
	m := Mode(strings.ToLower(strings.TrimSpace(s)))
	if !m.valid() {
		return "", fmt.Errorf("%w %q: %s", ErrUnknownMode, s, validModes)
	}
	return m, nil
}

func (m Mode) valid() bool {
	return m == ModeAuto || m == ModeInPlace || m == ModeCopy
}

// NewPlan builds the repair plan for the critical findings of Diagnose(s).
//
// ModeAuto resolves to ModeInPlace when the scheme serves this project alone
// (s.SharedWith, ignoring the project's own key, is empty) and to ModeCopy
// otherwise; the returned Plan.Mode is the resolved mode. An in-place plan
// lists the other projects it changes in Affects; a copy plan names the new
// scheme in CopyName and affects no other project.
//
// NewPlan returns an error wrapping [ErrUnknownMode] for a mode other than
// the three constants, [ErrNotApplicable] when the project is not a
// company-managed service project, and [ErrNothingToRepair] when there is no
// critical finding. The same snapshot and mode always give the same plan.
func NewPlan(s Snapshot, mode Mode) (Plan, error) {
	if !mode.valid() {
		return Plan{}, fmt.Errorf("%w %q: %s", ErrUnknownMode, string(mode), validModes)
	}
	f := newFacts(s)
	d := diagnose(f)
	if !d.report.Applicable {
		return Plan{}, fmt.Errorf("%s: %w", s.Project.Key, ErrNotApplicable)
	}
	if len(d.fixes) == 0 {
		return Plan{}, fmt.Errorf("%s: %w", s.Project.Key, ErrNothingToRepair)
	}

	add, remove := []Grant{}, []Grant{}
	for _, fx := range d.fixes {
		a, r := fx.rule.fix(f, fx.finding)
		add = append(add, a...)
		remove = append(remove, r...)
	}

	others := otherProjects(s)
	if mode == ModeAuto {
		mode = ModeInPlace
		if len(others) > 0 {
			mode = ModeCopy
		}
	}
	p := Plan{
		Mode:         mode,
		ProjectKey:   s.Project.Key,
		SchemeID:     s.Scheme.ID,
		SchemeName:   s.Scheme.Name,
		AddGrants:    sortGrants(add),
		RemoveGrants: sortGrants(remove),
		Affects:      []string{},
		Digest:       Digest(s),
	}
	switch mode {
	case ModeInPlace:
		p.Affects = others
	case ModeCopy:
		p.CopyName = copyName(s.Scheme.Name, s.SchemeNames)
	}
	p.ID = planID(p)
	return p, nil
}

// otherProjects returns the sorted, de-duplicated keys of the other projects
// on the scheme, never nil. The project's own key is dropped in case the
// caller listed every project on the scheme.
func otherProjects(s Snapshot) []string {
	out := make([]string, 0, len(s.SharedWith))
	for _, k := range s.SharedWith {
		if k != "" && k != s.Project.Key {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// copyName returns the name Jira's "Fix permissions" button gives a copy:
// "<name> <n>" with the smallest n >= 2 that no scheme has yet. Scheme names
// are compared ignoring case, as Jira refuses names that differ only in case.
func copyName(name string, taken []string) string {
	used := make(map[string]bool, len(taken))
	for _, t := range taken {
		used[strings.ToLower(t)] = true
	}
	// There are at most len(taken) names, so this ends by n = len(taken)+2.
	for n := 2; ; n++ {
		c := name + " " + strconv.Itoa(n)
		if !used[strings.ToLower(c)] {
			return c
		}
	}
}

// planID fingerprints a plan's content: the digest of the state it was made
// from, its mode and the changes it makes, including where (copy name,
// affected projects), so a plan that would do something else gets another ID.
func planID(p Plan) string {
	h := newHasher("jsmbot-plan/v1")
	h.str(p.Digest)
	h.str(string(p.Mode))
	h.str(p.ProjectKey)
	h.str(p.CopyName)
	h.strs(p.Affects)
	h.grants(p.AddGrants, true)
	h.grants(p.RemoveGrants, true)
	return h.hex()[:12]
}

// ApplyTo returns the grants a scheme has after plan p is applied to grants:
// grants minus p.RemoveGrants (matched on holder and permission, whatever
// their ids) plus p.AddGrants. The result is a set: a grant already present
// is not added again, duplicates of one holder and permission are kept once
// (with the lowest id), and it is sorted by holder type, parameter and
// permission. It is the one computation of a scheme after a plan: package
// repair sends it as the body of a copy-mode scheme, and it predicts the
// result of an in-place repair. The inputs are not modified; the result is
// never nil.
func ApplyTo(grants []Grant, p Plan) []Grant {
	drop := make(map[grantKey]bool, len(p.RemoveGrants))
	for _, g := range p.RemoveGrants {
		drop[grantKey{holder: g.Holder, permission: g.Permission}] = true
	}
	out := make([]Grant, 0, len(grants)+len(p.AddGrants))
	for _, g := range grants {
		if !drop[grantKey{holder: g.Holder, permission: g.Permission}] {
			out = append(out, g)
		}
	}
	for _, g := range p.AddGrants {
		g.ID = 0
		out = append(out, g)
	}
	// Sort existing grants (ids > 0) before new ones for the same holder and
	// permission, so compaction keeps the existing grant and its id.
	slices.SortFunc(out, func(a, b Grant) int {
		return cmp.Or(compareGrants(a, b), compareIDs(a.ID, b.ID))
	})
	return slices.CompactFunc(out, func(a, b Grant) bool {
		return a.Holder == b.Holder && a.Permission == b.Permission
	})
}

// compareGrants orders grants by holder type, parameter and permission.
func compareGrants(a, b Grant) int {
	return cmp.Or(
		cmp.Compare(a.Holder.Type, b.Holder.Type),
		cmp.Compare(a.Holder.Parameter, b.Holder.Parameter),
		cmp.Compare(a.Permission, b.Permission),
	)
}

// compareIDs orders existing grants (id > 0) by id, before grants that do
// not exist yet (id 0).
func compareIDs(a, b int64) int {
	switch {
	case a == b:
		return 0
	case a == 0:
		return 1
	case b == 0:
		return -1
	}
	return cmp.Compare(a, b)
}

// sortGrants sorts grants in place by holder, permission and id, drops exact
// duplicates and never returns nil.
func sortGrants(gs []Grant) []Grant {
	if gs == nil {
		return []Grant{}
	}
	slices.SortFunc(gs, func(a, b Grant) int {
		return cmp.Or(compareGrants(a, b), compareIDs(a.ID, b.ID))
	})
	return slices.Compact(gs)
}
