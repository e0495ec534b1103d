package repair

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/jsmbot/jsmbot/jira"
	"golang.org/x/sync/errgroup"
)

// scanConcurrency bounds the scheme reads a scan has in flight or queued
// at the client's pacer. The pacer, not this, sets the pace (reference §6:
// Jira's burst limits are per endpoint); this only bounds goroutines. At
// the default pace and 200 ms of latency about 17 reads are in flight.
const scanConcurrency = 64

// Scan limits: Jira's page size for project search, and how many pages a
// scan follows at most (100,000 projects).
const (
	scanPageSize = 100
	scanMaxPages = 1000
)

// scanAttempts is how many times a scan makes one read that Jira refused
// for its rate limits, each try with the client's own retries. A scan
// takes minutes on a large site; a throttling longer than one call's retry
// budget should slow it down, not lose a page or a project.
const scanAttempts = 3

// flight is one scan under way, shared by every caller that asked for a
// scan while it runs. It runs on a context of its own, cancelled when the
// last of its callers has gone, so that one caller giving up does not fail
// the others.
type flight struct {
	key    string // singleflight key: one per flight
	ctx    context.Context
	cancel context.CancelFunc
	// Guarded by Engine.mu.
	waiters   int
	listeners map[int]func(done, total int)
	nextID    int
}

// join returns the index of a scan: the one under way, or a new one.
// progress, when not nil, hears of the scan's progress while this caller
// waits.
func (e *Engine) join(ctx context.Context, progress func(done, total int)) (*shareIndex, error) {
	e.mu.Lock()
	f := e.flight
	if f == nil || f.ctx.Err() != nil {
		e.flights++
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{key: strconv.Itoa(e.flights), ctx: fctx, cancel: cancel, listeners: map[int]func(int, int){}}
		e.flight = f
	}
	f.waiters++
	id := f.nextID
	f.nextID++
	if progress != nil {
		f.listeners[id] = progress
	}
	e.mu.Unlock()

	ch := e.scans.DoChan(f.key, func() (any, error) { return e.run(f) })
	select {
	case r := <-ch:
		e.leave(f, id)
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*shareIndex), nil
	case <-ctx.Done():
		if e.leave(f, id) {
			// The last caller gone cancels the scan; wait for it to stop,
			// so that no read of it outlives its callers (and, say, logs
			// to a terminal after the command returned).
			<-ch
		}
		return nil, ctx.Err()
	}
}

// leave takes a caller off f, cancelling the scan when none is left; it
// reports whether it did.
func (e *Engine) leave(f *flight, id int) (last bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(f.listeners, id)
	if f.waiters--; f.waiters == 0 {
		f.cancel()
		return true
	}
	return false
}

// run is the scan of flight f; its index is kept.
func (e *Engine) run(f *flight) (*shareIndex, error) {
	defer func() {
		e.mu.Lock()
		if e.flight == f {
			e.flight = nil
		}
		e.mu.Unlock()
	}()
	idx, err := e.build(f.ctx, func(done, total int) {
		e.mu.Lock()
		ls := make([]func(int, int), 0, len(f.listeners))
		for _, l := range f.listeners {
			ls = append(ls, l)
		}
		e.mu.Unlock()
		for _, l := range ls {
			l(done, total)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("scan the site's projects: %w", err)
	}
	return e.keep(f.ctx, idx), nil
}

// scan scans the site now (joining a scan under way) and keeps the index.
func (e *Engine) scan(ctx context.Context) (*shareIndex, error) { return e.join(ctx, nil) }

// build reads the site: every scheme with its grants in one call, and
// beside it the pages of projects and each company-managed project's
// scheme, concurrently, as fast as the client's pacer lets them go. A
// project whose scheme cannot be read is listed as unchecked with the
// reason; only a failure to list the projects or the schemes, or the end
// of ctx, fails the scan. progress hears, one call at a time, how many
// projects are done of how many are known. The index is stamped when the
// scan finishes.
func (e *Engine) build(ctx context.Context, progress func(done, total int)) (*Index, error) {
	idx := &Index{Projects: map[string]IndexProject{}, Schemes: map[int64]IndexScheme{}}
	var (
		mu          sync.Mutex
		done, total int
		names       = map[int64]string{} // scheme names from the project reads
	)
	finish := func(p IndexProject) {
		mu.Lock()
		defer mu.Unlock()
		idx.Projects[p.Key] = p
		done++
		total = max(total, done)
		progress(done, total)
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(scanConcurrency)
	g.Go(func() error {
		schemes, err := persist(gctx, func() ([]jira.PermissionScheme, error) { return e.jira.PermissionSchemesWithGrants(gctx) })
		if err != nil {
			return fmt.Errorf("list permission schemes: %w", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, s := range schemes {
			idx.Schemes[s.ID] = toIndexScheme(s)
		}
		return nil
	})
	g.Go(func() error {
		start := 0
		for range scanMaxPages {
			page, err := persist(gctx, func() (*jira.ProjectPage, error) {
				return e.jira.SearchProjects(gctx, jira.ProjectSearch{StartAt: start, MaxResults: scanPageSize})
			})
			if errors.Is(err, jira.ErrNotFound) {
				return nil // Jira's answer when nothing matches
			}
			if err != nil {
				return fmt.Errorf("list projects: %w", err)
			}
			mu.Lock()
			total = max(total, page.Total, start+len(page.Values))
			mu.Unlock()
			for _, p := range page.Values {
				ip := IndexProject{Key: p.Key, ID: p.ID, Name: p.Name, TypeKey: p.ProjectTypeKey, TeamManaged: p.TeamManaged()}
				if ip.TeamManaged {
					finish(ip) // team-managed projects have no permission scheme
					continue
				}
				g.Go(func() error {
					s, err := persist(gctx, func() (*jira.PermissionScheme, error) { return e.jira.AssignedPermissionScheme(gctx, p.Key) })
					if gctx.Err() != nil {
						return gctx.Err()
					}
					if err != nil {
						ip.Unchecked, ip.UncheckedStatus = uncheckedReason(err)
					} else {
						ip.SchemeID = s.ID
						mu.Lock()
						names[s.ID] = s.Name
						mu.Unlock()
					}
					finish(ip)
					return nil
				})
			}
			switch {
			case page.IsLast:
				return nil
			case len(page.Values) > 0:
				start += len(page.Values)
			case page.MaxResults > 0 && start+page.MaxResults < page.Total:
				start += page.MaxResults // an empty page that is not the last
			default:
				return nil
			}
		}
		return fmt.Errorf("list projects: stopped after %d pages", scanMaxPages)
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := e.readMissing(ctx, idx, names); err != nil {
		return nil, err
	}
	idx.BuiltAt = e.now()
	return idx, nil
}

// readMissing reads the schemes that projects use but the list of schemes
// did not have (created while the scan ran). A scheme that cannot be read
// leaves its projects unchecked.
func (e *Engine) readMissing(ctx context.Context, idx *Index, names map[int64]string) error {
	for id := range names {
		if _, ok := idx.Schemes[id]; ok {
			continue
		}
		s, err := persist(ctx, func() (*jira.PermissionScheme, error) { return e.jira.PermissionScheme(ctx, id) })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			idx.Schemes[id] = toIndexScheme(*s)
			continue
		}
		reason, status := uncheckedReason(err)
		for k, p := range idx.Projects {
			if p.HasScheme() && p.SchemeID == id {
				p.Unchecked, p.UncheckedStatus = reason, status
				idx.Projects[k] = p
			}
		}
	}
	return nil
}

// persist makes a read, again when Jira refused it for its rate limits
// (see scanAttempts). The client's pacer holds the next try until Jira's
// Retry-After has passed.
func persist[T any](ctx context.Context, read func() (T, error)) (T, error) {
	var (
		v   T
		err error
	)
	for range scanAttempts {
		v, err = read()
		if err == nil || !errors.Is(err, jira.ErrRateLimited) || ctx.Err() != nil {
			break
		}
	}
	return v, err
}

func toIndexScheme(s jira.PermissionScheme) IndexScheme {
	grants := s.Permissions
	if grants == nil {
		grants = []jira.Grant{}
	}
	return IndexScheme{ID: s.ID, Name: s.Name, Description: s.Description, Grants: grants}
}
