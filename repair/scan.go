package repair

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jsmbot/jsmbot/jira"
	"golang.org/x/sync/errgroup"
)

// shareIndex maps each company-managed project to its permission scheme.
// No Jira endpoint maps a scheme to its projects, so the index is built by
// scanning every project (reference §2.4).
type shareIndex struct {
	at        time.Time
	schemeOf  map[string]int64
	unscanned []string // projects whose scheme could not be read
}

// using returns the projects other than key that use scheme id, sorted, and
// how many projects could not be checked.
func (x *shareIndex) using(id int64, key string) ([]string, int) {
	shared := []string{}
	for k, s := range x.schemeOf {
		if s == id && k != key {
			shared = append(shared, k)
		}
	}
	slices.Sort(shared)
	unscanned := len(x.unscanned)
	if slices.Contains(x.unscanned, key) {
		unscanned--
	}
	return shared, unscanned
}

// shareIndex returns a fresh enough index, scanning when the cached one is
// older than the cache TTL. Concurrent callers may scan at the same time;
// the last one to finish wins, which is harmless.
func (e *Engine) shareIndex(ctx context.Context) (*shareIndex, error) {
	e.mu.Lock()
	cached := e.share
	e.mu.Unlock()
	if cached != nil && time.Since(cached.at) < e.cacheTTL {
		return cached, nil
	}
	idx, err := e.scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the projects that share the scheme: %w", err)
	}
	e.mu.Lock()
	e.share = idx
	e.mu.Unlock()
	return idx, nil
}

// forgetShares drops the cached index; a repair that assigns a scheme makes
// it stale.
func (e *Engine) forgetShares() {
	e.mu.Lock()
	e.share = nil
	e.mu.Unlock()
}

// scan pages through the projects and reads each one's scheme with bounded
// concurrency. Scheme reads for one page run while the next page is
// fetched.
func (e *Engine) scan(ctx context.Context) (*shareIndex, error) {
	idx := &shareIndex{at: time.Now(), schemeOf: map[string]int64{}}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(scanConcurrency + 1) // +1: the pager itself
	g.Go(func() error {
		for p, err := range e.jira.Projects(gctx, jira.ProjectSearch{}) {
			if err != nil {
				return err
			}
			if p.TeamManaged() {
				continue // team-managed projects have no permission scheme
			}
			g.Go(func() error {
				s, err := e.jira.AssignedPermissionScheme(gctx, p.Key)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					idx.schemeOf[p.Key] = s.ID
				case errors.Is(err, jira.ErrForbidden) || errors.Is(err, jira.ErrNotFound):
					idx.unscanned = append(idx.unscanned, p.Key)
				default:
					return err
				}
				return nil
			})
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	slices.Sort(idx.unscanned)
	return idx, nil
}
