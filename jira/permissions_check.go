package jira

import (
	"context"
	"errors"
	"net/http"
	"slices"
)

// maxCheckProjects is how many projects one POST permissions/check may
// name; [Client.CheckPermissions] splits longer lists.
const maxCheckProjects = 1000

// ProjectPermissions is the answer of [Client.CheckPermissions]: for each
// project id, the permission keys the account holds there, sorted. A
// project that was asked about and holds none is absent.
type ProjectPermissions map[int64][]string

// Has reports whether the account holds key on the project.
func (pp ProjectPermissions) Has(projectID int64, key string) bool {
	return slices.Contains(pp[projectID], key)
}

// Missing returns those of keys the account does not hold on the project,
// in the order given; nil when it holds them all.
func (pp ProjectPermissions) Missing(projectID int64, keys ...string) []string {
	var out []string
	for _, k := range keys {
		if !pp.Has(projectID, k) {
			out = append(out, k)
		}
	}
	return out
}

// checkRequest is BulkPermissionsRequestBean.
type checkRequest struct {
	AccountID          string              `json:"accountId,omitempty"`
	ProjectPermissions []checkProjectsBody `json:"projectPermissions"`
}

// checkProjectsBody is BulkProjectPermissions.
type checkProjectsBody struct {
	Permissions []string `json:"permissions"`
	Projects    []int64  `json:"projects"`
}

// checkAnswer is BulkPermissionGrants (the project part).
type checkAnswer struct {
	ProjectPermissions []struct {
		Permission string  `json:"permission"`
		Projects   []int64 `json:"projects"`
	} `json:"projectPermissions"`
}

// CheckPermissions asks Jira which of the project permissions keys the
// account accountID really holds on each of projectIDs, as Jira evaluates
// them (the scheme, the account's roles and customer status, whether it is
// active): the way to tell whether a customer can use a service project.
// An empty accountID checks the caller. Checking another account needs
// Administer Jira ([ErrForbidden] otherwise); an unknown permission key or
// account is an [ErrBadRequest]. Jira ignores project ids it does not know.
// Lists longer than Jira's limit of 1,000 projects are sent in several
// requests. No projects means no request and an empty answer.
func (c *Client) CheckPermissions(ctx context.Context, accountID string, projectIDs []int64, keys []string) (ProjectPermissions, error) {
	if len(keys) == 0 {
		return nil, errors.New("jira: CheckPermissions: no permission keys")
	}
	// The spec wants unique items in both lists.
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	ids := make([]int64, 0, len(projectIDs))
	for _, id := range projectIDs {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	out := ProjectPermissions{}
	for chunk := range slices.Chunk(ids, maxCheckProjects) {
		body := checkRequest{
			AccountID:          accountID,
			ProjectPermissions: []checkProjectsBody{{Permissions: keys, Projects: chunk}},
		}
		var ans checkAnswer
		if err := c.do(ctx, request{method: http.MethodPost, path: "/rest/api/3/permissions/check", body: body}, &ans); err != nil {
			return nil, err
		}
		for _, g := range ans.ProjectPermissions {
			for _, id := range g.Projects {
				if !slices.Contains(out[id], g.Permission) {
					out[id] = append(out[id], g.Permission)
				}
			}
		}
	}
	for id := range out {
		slices.Sort(out[id])
	}
	return out, nil
}
