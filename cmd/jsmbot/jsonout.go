package main

import (
	"errors"
	"io"
	"strings"

	"github.com/jsmbot/jsmbot/repair"
)

// errorJSON is the error object of --json: {"error": {"kind", "message"}}.
// kind is a stable word for scripts (not-found, unauthenticated,
// jira-timeout, config, usage, …); message is the line stderr shows.
type errorJSON struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// errorOf is err as --json reports it; nil for no error and for the
// errors that are not failures (problems found, help).
func errorOf(err error) *errorJSON {
	var (
		ue  *usageError
		cfg *configError
		na  *notApplicableError
		re  *recordError
	)
	switch {
	case err == nil, errors.Is(err, errProblems), errors.Is(err, errHelp):
		return nil
	case errors.As(err, &ue):
		return &errorJSON{Kind: "usage", Message: ue.msg}
	case errors.As(err, &re):
		return &errorJSON{Kind: re.kind, Message: describe(err)}
	case errors.Is(err, errNoSharedRecord):
		return &errorJSON{Kind: "no-shared-record", Message: describe(err)}
	case errors.Is(err, errDeclined):
		return &errorJSON{Kind: "declined", Message: "the plan was not applied"}
	case errors.As(err, &cfg):
		return &errorJSON{Kind: "config", Message: describe(err)}
	case errors.As(err, &na):
		return &errorJSON{Kind: "not-applicable", Message: describe(err)}
	}
	return &errorJSON{Kind: strings.ReplaceAll(repair.KindOf(err).String(), " ", "-"), Message: describe(err)}
}

// withJSONErrors runs f. With --json, an error of f that left stdout
// empty is written there as {"error": …}, so that a script always reads
// one object; stderr still gets its line.
func withJSONErrors(stdout io.Writer, asJSON bool, f func(stdout io.Writer) error) error {
	if !asJSON {
		return f(stdout)
	}
	cw := &countingWriter{w: stdout}
	err := f(cw)
	if e := errorOf(err); e != nil && cw.n == 0 {
		if werr := writeJSON(stdout, struct {
			Error *errorJSON `json:"error"`
		}{e}); werr != nil {
			return werr
		}
	}
	return err
}

// countingWriter counts what was written through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// fixJSON is the object of fix --json: the diagnosis before, each write
// and what became of it, the diagnosis after, and the error if any.
type fixJSON struct {
	Diagnosis *diagnosisJSON `json:"diagnosis"`
	Changes   []changeJSON   `json:"changes"`
	Verified  bool           `json:"verified"`
	After     *diagnosisJSON `json:"after"`
	// Customer is what Jira said about one real customer after the
	// repair; null when nobody was asked.
	Customer *customerJSON `json:"customer"`
	// PlanID is the plan's ID in the shared record; null without
	// REDIS_URL or when nothing was applied.
	PlanID *string    `json:"planId"`
	Error  *errorJSON `json:"error,omitempty"`
}

// changeJSON is one write: step is add-grant, remove-grant,
// create-scheme or assign-scheme; status is done, already-there, failed
// or skipped.
type changeJSON struct {
	Step     string     `json:"step"`
	SchemeID int64      `json:"schemeId"`
	Words    string     `json:"words"`
	Status   string     `json:"status"`
	Error    *errorJSON `json:"error,omitempty"`
}

func changesJSON(r *repair.Result) []changeJSON {
	out := []changeJSON{}
	for _, c := range r.Changes {
		words := c.Words(rolesOf(r.After), terminalMarks)
		cj := changeJSON{Step: c.Step, SchemeID: c.SchemeID, Words: words, Status: "done"}
		switch {
		case c.Err != nil:
			cj.Status, cj.Words, cj.Error = "failed", intended(c, words), errorOf(c.Err)
		case !c.Done:
			cj.Status, cj.Words = "skipped", intended(c, words)
		case c.AlreadyDone:
			cj.Status = "already-there"
		}
		out = append(out, cj)
	}
	return out
}
