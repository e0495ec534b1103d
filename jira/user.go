package jira

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Myself returns the account the client authenticates as.
func (c *Client) Myself(ctx context.Context) (*User, error) {
	var u User
	if err := c.do(ctx, request{method: http.MethodGet, path: "/rest/api/3/myself"}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// User returns the account accountID names (GET /rest/api/3/user). It
// needs Browse users and groups ([ErrForbidden] otherwise); an account Jira
// does not know, or hides from the caller, is [ErrNotFound].
func (c *Client) User(ctx context.Context, accountID string) (*User, error) {
	if accountID == "" {
		return nil, errors.New("jira: no account id")
	}
	var u User
	q := url.Values{"accountId": {accountID}}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/rest/api/3/user", query: q}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// MyPermissions reports which of the given permission keys the caller
// holds: globally, or in projectKey when it is not empty.
func (c *Client) MyPermissions(ctx context.Context, projectKey string, keys ...string) (map[string]bool, error) {
	if len(keys) == 0 {
		return nil, errors.New("jira: no permission keys to check")
	}
	q := url.Values{"permissions": {strings.Join(keys, ",")}}
	if projectKey != "" {
		q.Set("projectKey", projectKey)
	}
	var out struct {
		Permissions map[string]struct {
			HavePermission bool `json:"havePermission"`
		} `json:"permissions"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/rest/api/3/mypermissions", query: q}, &out); err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(keys))
	for _, k := range keys {
		have[k] = out.Permissions[k].HavePermission
	}
	return have, nil
}

// SearchUsers returns the users whose display name or email starts with
// query. Jira returns an empty list, not an error, when the caller lacks
// Browse users and groups, and hides emails that privacy settings hide.
func (c *Client) SearchUsers(ctx context.Context, query string) ([]User, error) {
	var users []User
	q := url.Values{"query": {query}, "maxResults": {"50"}}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/rest/api/3/user/search", query: q}, &users); err != nil {
		return nil, err
	}
	return users, nil
}
