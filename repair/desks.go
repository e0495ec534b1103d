package repair

import (
	"context"
	"errors"
	"fmt"

	"github.com/jsmbot/jsmbot/jira"
)

// ErrTooManyDesks is returned by [Engine.ServiceDesks] when the site has
// more service desks than the caller asked for.
var ErrTooManyDesks = errors.New("repair: more service desks than the limit")

// ServiceDesks returns the site's service desks the bot's account can see,
// in Jira's order, at most limit of them; with more it returns the first
// limit and [ErrTooManyDesks]. It changes nothing.
func (e *Engine) ServiceDesks(ctx context.Context, limit int) ([]jira.ServiceDesk, error) {
	var out []jira.ServiceDesk
	for d, err := range e.jira.ServiceDesks(ctx) {
		if err != nil {
			return nil, fmt.Errorf("list service desks: %w", err)
		}
		if len(out) == limit {
			return out, ErrTooManyDesks
		}
		out = append(out, d)
	}
	return out, nil
}

// ServiceDesk returns one service desk by desk id (a customer portal's id)
// or project key. Jira answers 404 ([jira.ErrNotFound]) for an unknown
// desk and for a project that is not a service project.
func (e *Engine) ServiceDesk(ctx context.Context, idOrKey string) (*jira.ServiceDesk, error) {
	d, err := e.jira.ServiceDesk(ctx, idOrKey)
	if err != nil {
		return nil, fmt.Errorf("get service desk %s: %w", idOrKey, err)
	}
	return d, nil
}

// Project returns a project by key, for checking that it exists and is a
// service project before diagnosing it. Jira answers 404
// ([jira.ErrNotFound]) for a missing project and for one the bot's account
// may not browse.
func (e *Engine) Project(ctx context.Context, key string) (*jira.Project, error) {
	p, err := e.jira.Project(ctx, key)
	if err != nil {
		return nil, onProject(key, fmt.Errorf("get project %s: %w", key, err))
	}
	return p, nil
}
