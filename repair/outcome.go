package repair

import (
	"errors"
	"fmt"
	"net"

	"github.com/jsmbot/jsmbot/jira"
)

// Outcome is what became of one write: of a [Change] of a repair or an
// [UndoStep] of an undo. Its values are also the JSON of a [Record].
type Outcome string

// Outcomes.
const (
	// NotAttempted: the write was not tried, because an earlier one failed
	// or its outcome is unknown.
	NotAttempted Outcome = "not-attempted"
	// Made: this write made the change; Jira holds it.
	Made Outcome = "made"
	// AlreadyThere: Jira held the change before this write (someone else
	// made it); it is not this repair's, and an undo leaves it alone.
	AlreadyThere Outcome = "already-there"
	// NotMade: a later read ([Engine.Settle]) found that Jira does not
	// hold the change.
	NotMade Outcome = "not-made"
	// Failed: Jira refused the write, or a read proved it did not land.
	Failed Outcome = "failed"
	// Unknown: the write's answer was lost and the read that would have
	// told whether it landed failed too. Jira may hold it; the next read
	// ([Engine.Settle]) decides. It is not a failure.
	Unknown Outcome = "unknown"
	// Skipped: an undo step left Jira alone, for the step's [SkipReason].
	Skipped Outcome = "skipped"
)

// Holds reports whether the outcome means Jira holds the change.
func (o Outcome) Holds() bool { return o == Made || o == AlreadyThere }

// ErrUnknownOutcome reports that a write's outcome could not be confirmed:
// Jira may or may not hold it. The change's [Outcome] is [Unknown], and
// [Engine.Settle] settles it by a later read.
var ErrUnknownOutcome = errors.New("repair: whether Jira holds a change is unknown")

// unknownOutcome wraps a write's error as [ErrUnknownOutcome], keeping
// Jira's error for errors.Is and errors.As.
func unknownOutcome(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, ErrUnknownOutcome, err)
}

// mayHaveLanded reports whether a write that returned err may all the same
// have been applied. An answer from Jira below 500 (a 4xx, including 429)
// means Jira refused it, and a connection that could not be made means it
// never left; anything else (a 5xx, a timeout, a dropped connection, a
// cancelled context) may have been applied.
func mayHaveLanded(err error) bool {
	var api *jira.APIError
	if errors.As(err, &api) {
		return api.StatusCode >= 500
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	return err != nil
}

// foundAfter is the outcome of a write that returned err although a
// re-read then found its change in Jira: this write's when its answer was
// lost, someone else's when Jira refused it (a duplicate grant, a grant
// already deleted).
func foundAfter(err error) Outcome {
	if mayHaveLanded(err) {
		return Made
	}
	return AlreadyThere
}
