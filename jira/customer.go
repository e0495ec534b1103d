package jira

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// User is a Jira user or JSM customer account.
type User struct {
	AccountID    string `json:"accountId"`
	AccountType  string `json:"accountType,omitempty"`
	EmailAddress string `json:"emailAddress,omitempty"`
	DisplayName  string `json:"displayName"`
	Active       bool   `json:"active"`
	TimeZone     string `json:"timeZone,omitempty"`
}

// experimental is the header JSM requires on experimental operations;
// without it they answer 412.
var experimental = map[string]string{"X-ExperimentalApi": "opt-in"}

// DeskCustomers iterates over a desk's customers whose display name, name
// or email matches query (all when empty). The operation is experimental
// in JSM and limited to 5 requests a second per tenant.
func (c *Client) DeskCustomers(ctx context.Context, deskID, query string) iter.Seq2[User, error] {
	return paginate(ctx, func(ctx context.Context, start int) ([]User, int, error) {
		q := url.Values{"start": {strconv.Itoa(start)}, "limit": {"50"}}
		if query != "" {
			q.Set("query", query)
		}
		var p jsmPage[User]
		rq := request{method: http.MethodGet, path: deskPath + "/customer", params: deskParams(deskID), query: q, header: experimental}
		if err := c.do(ctx, rq, &p); err != nil {
			return nil, 0, err
		}
		return p.Values, nextJSM(&p), nil
	})
}

// AddCustomers adds existing customer accounts to a desk. JSM answers 204
// when all were added or already members and 400 ([ErrBadRequest]) when any
// account does not exist (the others are still added). It needs service
// desk administrator rights.
func (c *Client) AddCustomers(ctx context.Context, deskID string, accountIDs []string) error {
	body := map[string][]string{"accountIds": accountIDs}
	return c.do(ctx, request{method: http.MethodPost, path: deskPath + "/customer", params: deskParams(deskID), body: body}, nil)
}

// CreateCustomer creates a portal-only customer account. An email that
// already has an account is a 409 (the client asks for the strict status
// code, so it is told apart from other 400s by its StatusCode). It needs
// Administer Jira.
func (c *Client) CreateCustomer(ctx context.Context, email, displayName string) (*User, error) {
	var u User
	rq := request{
		method: http.MethodPost,
		path:   "/rest/servicedeskapi/customer",
		query:  url.Values{"strictConflictStatusCode": {"true"}},
		body:   map[string]string{"email": email, "displayName": displayName},
	}
	if err := c.do(ctx, rq, &u); err != nil {
		return nil, err
	}
	return &u, nil
}
