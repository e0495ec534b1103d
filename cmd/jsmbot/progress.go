package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
)

// progress prints a line per write to Jira while fix applies a plan, so
// that a slow Jira is not silence. It learns of the writes from the jira
// client's Observer; between start and stop only.
type progress struct {
	mu    sync.Mutex
	w     io.Writer // nil: not applying
	done  int
	total int
}

// start makes writes print to w, numbered out of the plan's writes.
func (p *progress) start(w io.Writer, plan diagnosis.Plan) {
	total := len(plan.AddGrants) + len(plan.RemoveGrants)
	if plan.Mode == diagnosis.ModeCopy {
		total = 2 // the copy, with its changes, and its assignment
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w, p.done, p.total = w, 0, total
}

// stop ends the printing.
func (p *progress) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w = nil
}

// call is the Observer's Call.
func (p *progress) call(c jira.Call) {
	if !isWrite(c.Method, c.Endpoint) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return
	}
	p.done++
	outcome := "done"
	if c.Status < 200 || c.Status > 299 {
		outcome = "failed"
	}
	fmt.Fprintf(p.w, "  … write %d of %d: %s, %s\n", p.done, max(p.total, p.done), writeWords(c), outcome)
}

// writeWords names a write from its endpoint.
func writeWords(c jira.Call) string {
	switch {
	case c.Method == http.MethodPost && strings.HasSuffix(c.Endpoint, "/permission"):
		return "add a grant"
	case c.Method == http.MethodDelete && strings.Contains(c.Endpoint, "/permission/"):
		return "remove a grant"
	case c.Method == http.MethodPost && strings.HasSuffix(c.Endpoint, "/permissionscheme"):
		return "create the scheme copy"
	case c.Method == http.MethodPut && strings.HasSuffix(c.Endpoint, "/permissionscheme"):
		return "assign the scheme"
	}
	return c.Method + " " + c.Endpoint
}

// checkEndpoint is POST permissions/check: a POST that only reads (the
// customer check after a repair or an undo), not a write.
const checkEndpoint = "/rest/api/3/permissions/check"

// isWrite reports whether a call to Jira's endpoint (its path) changes
// Jira.
func isWrite(method, endpoint string) bool {
	return method != http.MethodGet && !strings.HasSuffix(endpoint, checkEndpoint)
}
