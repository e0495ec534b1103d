package jira

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// Holder is who a grant is given to. Type is one of Jira's holder type
// strings (projectRole, group, user, applicationRole,
// sd.customer.portal.only, …); Parameter and Value identify the holder
// where the type needs one (a role id for projectRole).
type Holder struct {
	Type      string `json:"type"`
	Parameter string `json:"parameter,omitempty"`
	Value     string `json:"value,omitempty"`
}

// Grant is one permission given to one holder in a permission scheme.
type Grant struct {
	ID         int64  `json:"id,omitempty"`
	Holder     Holder `json:"holder"`
	Permission string `json:"permission"`
}

// PermissionScheme is a permission scheme; Permissions holds its grants
// when they were asked for.
type PermissionScheme struct {
	ID          int64   `json:"id,omitempty"`
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Permissions []Grant `json:"permissions,omitempty"`
}

// expandPermissions makes Jira include the grants; the spec says any
// expand value does, "permissions" says what we mean.
var expandPermissions = url.Values{"expand": {"permissions"}}

// ProjectPermissionScheme returns the permission scheme assigned to a
// project, with its grants. It needs Administer Projects on the project or
// Administer Jira ([ErrForbidden] otherwise).
func (c *Client) ProjectPermissionScheme(ctx context.Context, projectKeyOrID string) (*PermissionScheme, error) {
	return c.projectScheme(ctx, projectKeyOrID, expandPermissions)
}

// projectScheme reads GET project/{key}/permissionscheme with query.
func (c *Client) projectScheme(ctx context.Context, projectKeyOrID string, query url.Values) (*PermissionScheme, error) {
	var s PermissionScheme
	rq := request{method: http.MethodGet, path: projectPath + "/permissionscheme", params: projectParams(projectKeyOrID), query: query}
	if err := c.do(ctx, rq, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// PermissionSchemes returns every permission scheme on the site, without
// their grants.
func (c *Client) PermissionSchemes(ctx context.Context) ([]PermissionScheme, error) {
	var out struct {
		PermissionSchemes []PermissionScheme `json:"permissionSchemes"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/rest/api/3/permissionscheme"}, &out); err != nil {
		return nil, err
	}
	return out.PermissionSchemes, nil
}

// PermissionSchemesWithGrants returns every permission scheme on the site
// with its grants, in one call: with the per-project scheme reads, the
// whole of a site index.
func (c *Client) PermissionSchemesWithGrants(ctx context.Context) ([]PermissionScheme, error) {
	var out struct {
		PermissionSchemes []PermissionScheme `json:"permissionSchemes"`
	}
	rq := request{method: http.MethodGet, path: "/rest/api/3/permissionscheme", query: expandPermissions}
	if err := c.do(ctx, rq, &out); err != nil {
		return nil, err
	}
	return out.PermissionSchemes, nil
}

// PermissionScheme returns one permission scheme with its grants.
func (c *Client) PermissionScheme(ctx context.Context, id int64) (*PermissionScheme, error) {
	var s PermissionScheme
	rq := request{method: http.MethodGet, path: schemePath, params: schemeParams(id), query: expandPermissions}
	if err := c.do(ctx, rq, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// CreatePermissionScheme creates a scheme with the given name, description
// and grants (grant ids are ignored). Names are unique: a taken name is an
// [ErrBadRequest]. It needs Administer Jira.
func (c *Client) CreatePermissionScheme(ctx context.Context, s PermissionScheme) (*PermissionScheme, error) {
	body := PermissionScheme{Name: s.Name, Description: s.Description, Permissions: make([]Grant, len(s.Permissions))}
	for i, g := range s.Permissions {
		body.Permissions[i] = Grant{Holder: g.Holder, Permission: g.Permission}
	}
	var created PermissionScheme
	if err := c.do(ctx, request{method: http.MethodPost, path: "/rest/api/3/permissionscheme", body: body}, &created); err != nil {
		return nil, err
	}
	return &created, nil
}

// AddGrant adds one grant to a scheme and returns it with its id. Jira
// answers 400 ([ErrBadRequest]) when the identical grant already exists.
// It needs Administer Jira.
func (c *Client) AddGrant(ctx context.Context, schemeID int64, g Grant) (*Grant, error) {
	var created Grant
	body := Grant{Holder: g.Holder, Permission: g.Permission}
	if err := c.do(ctx, request{method: http.MethodPost, path: schemePath + "/permission", params: schemeParams(schemeID), body: body}, &created); err != nil {
		return nil, err
	}
	return &created, nil
}

// DeleteGrant removes one grant from a scheme. Jira answers 400, not 404,
// for a grant id it does not know. It needs Administer Jira.
func (c *Client) DeleteGrant(ctx context.Context, schemeID, grantID int64) error {
	params := schemeParams(schemeID)
	params["grantId"] = strconv.FormatInt(grantID, 10)
	return c.do(ctx, request{method: http.MethodDelete, path: schemePath + "/permission/{grantId}", params: params}, nil)
}

// DeletePermissionScheme deletes a scheme. Jira answers 404
// ([ErrNotFound]) for an unknown id. The spec does not say what Jira does
// with a scheme that projects still use, so callers must make sure none
// does before deleting it. It needs Administer Jira.
func (c *Client) DeletePermissionScheme(ctx context.Context, id int64) error {
	return c.do(ctx, request{method: http.MethodDelete, path: schemePath, params: schemeParams(id)}, nil)
}

// AssignPermissionScheme makes a project use the given scheme. It needs
// Administer Jira.
func (c *Client) AssignPermissionScheme(ctx context.Context, projectKeyOrID string, schemeID int64) error {
	rq := request{
		method: http.MethodPut,
		path:   projectPath + "/permissionscheme",
		params: projectParams(projectKeyOrID),
		body:   map[string]int64{"id": schemeID},
	}
	return c.do(ctx, rq, nil)
}

const schemePath = "/rest/api/3/permissionscheme/{schemeId}"

func schemeParams(id int64) map[string]string {
	return map[string]string{"schemeId": strconv.FormatInt(id, 10)}
}

// AssignedPermissionScheme returns the id and name of the scheme assigned to
// a project, without its grants: the cheap form for scanning many projects.
func (c *Client) AssignedPermissionScheme(ctx context.Context, projectKeyOrID string) (*PermissionScheme, error) {
	return c.projectScheme(ctx, projectKeyOrID, nil)
}
