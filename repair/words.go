package repair

import (
	"fmt"

	"github.com/jsmbot/jsmbot/diagnosis"
)

// Words says what the step did, in the words every front end uses, with m's
// marks and unescaped: "granted P to H in S", "removed P from H in S",
// "created the scheme S (id N)", "assigned S to the project" or "deleted
// the scheme S (id N)". roles (name → id) names role holders; nil leaves
// role ids as they are.
func (c Change) Words(roles map[string]string, m diagnosis.Marks) string {
	switch c.Step {
	case StepAddGrant:
		return "granted " + m.To(c.Grant, roles) + " in " + m.Scheme(c.SchemeName)
	case StepRemoveGrant:
		return "removed " + m.From(c.Grant, roles) + " in " + m.Scheme(c.SchemeName)
	case StepCreateScheme:
		return fmt.Sprintf("created the scheme %s (id %d)", m.Scheme(c.SchemeName), c.SchemeID)
	case StepAssignScheme:
		return "assigned " + m.Scheme(c.SchemeName) + " to the project"
	case StepDeleteScheme:
		return fmt.Sprintf("deleted the scheme %s (id %d)", m.Scheme(c.SchemeName), c.SchemeID)
	}
	return c.Step
}

// Words says what the undo step does, in the words every front end uses,
// with m's marks and unescaped: "deleted the grant of P to H in S",
// "granted P to H in S again", "assigned S back to the project" or
// "deleted the copy S (id N)". Whether it was done, skipped (and why) or
// failed is the step's Outcome and Skip, for the front end to say.
func (s UndoStep) Words(roles map[string]string, m diagnosis.Marks) string {
	switch s.Action {
	case UndoDeleteGrant:
		return "deleted the grant of " + m.To(s.Grant, roles) + " in " + m.Scheme(s.SchemeName)
	case UndoAddGrant:
		return "granted " + m.To(s.Grant, roles) + " in " + m.Scheme(s.SchemeName) + " again"
	case UndoAssignOriginal:
		return "assigned " + m.Scheme(s.SchemeName) + " back to the project"
	case UndoDeleteCopy:
		return fmt.Sprintf("deleted the copy %s (id %d)", m.Scheme(s.SchemeName), s.SchemeID)
	}
	return s.Action
}
