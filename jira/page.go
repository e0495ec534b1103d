package jira

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// platformPage is the platform API's paging envelope (startAt, maxResults,
// isLast), as /rest/api/3/project/search answers.
type platformPage[T any] struct {
	StartAt    int    `json:"startAt"`
	MaxResults int    `json:"maxResults"`
	Total      int    `json:"total"`
	IsLast     bool   `json:"isLast"`
	NextPage   string `json:"nextPage"`
	Values     []T    `json:"values"`
}

// jsmPage is JSM's paging envelope (start, limit, size, isLastPage).
type jsmPage[T any] struct {
	Start      int  `json:"start"`
	Limit      int  `json:"limit"`
	Size       int  `json:"size"`
	IsLastPage bool `json:"isLastPage"`
	Links      struct {
		Next string `json:"next"`
	} `json:"_links"`
	Values []T `json:"values"`
}

// paginate follows pages produced by fetch(start) until fetch reports the
// last page, the caller stops, an error occurs, or maxPages is reached.
// fetch returns the page's values and the start of the next page (or -1
// when it was the last).
func paginate[T any](ctx context.Context, fetch func(ctx context.Context, start int) ([]T, int, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		start := 0
		for range maxPages {
			values, next, err := fetch(ctx, start)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, v := range values {
				if !yield(v, nil) {
					return
				}
			}
			if next < 0 {
				return
			}
			start = next
		}
		var zero T
		yield(zero, fmt.Errorf("jira: stopped after %d pages", maxPages))
	}
}

// nextPlatform is where the page after p starts, or -1 after the last. Jira
// may answer an empty page that is not the last (the reference says to
// expect it); the walk then moves on by the page size rather than stopping
// early, and ends only when no next page is announced either. maxPages
// bounds a server that keeps announcing empty pages.
func nextPlatform[T any](p *platformPage[T]) int {
	if p.IsLast {
		return -1
	}
	if len(p.Values) > 0 {
		return p.StartAt + len(p.Values)
	}
	if p.NextPage == "" || p.MaxResults <= 0 {
		return -1
	}
	return p.StartAt + p.MaxResults
}

// nextJSM is where the JSM page after p starts, or -1 after the last. JSM
// may cap a page below the requested limit, so the next start follows the
// values actually returned; an empty page that is not the last moves on by
// the limit when a next link is announced, as nextPlatform does.
func nextJSM[T any](p *jsmPage[T]) int {
	if p.IsLastPage {
		return -1
	}
	if len(p.Values) > 0 {
		return p.Start + len(p.Values)
	}
	if p.Links.Next == "" || p.Limit <= 0 {
		return -1
	}
	return p.Start + p.Limit
}

func setInt(q url.Values, key string, v int) {
	if v > 0 {
		q.Set(key, strconv.Itoa(v))
	}
}
