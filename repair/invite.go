package repair

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jsmbot/jsmbot/jira"
	"golang.org/x/sync/errgroup"
)

// inviteConcurrency bounds the customer calls of one invite batch; JSM's
// customer list allows only 5 requests a second per tenant.
const inviteConcurrency = 4

// Customer is what the API can tell about one reported customer.
type Customer struct {
	Email string
	// AccountID is empty when no account with the email was found.
	AccountID   string
	DisplayName string
	Active      bool
	// OnDesk is true when the account is already a customer of the desk.
	OnDesk bool
}

// LookupCustomers reports, for each email, whether an account exists, is
// active, and is already a customer of the project's desk. It changes
// nothing. An email that Jira's privacy settings hide looks like a missing
// account; callers should say so. Errors are a [*ProjectError].
func (e *Engine) LookupCustomers(ctx context.Context, projectKey string, emails []string) ([]Customer, error) {
	out := make([]Customer, len(emails))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(inviteConcurrency)
	for i, email := range emails {
		g.Go(func() error {
			c, err := e.lookupCustomer(gctx, projectKey, email)
			out[i] = c
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, aboutProject(projectKey, err)
	}
	return out, nil
}

func (e *Engine) lookupCustomer(ctx context.Context, projectKey, email string) (Customer, error) {
	c := Customer{Email: email}
	u, err := e.findUser(ctx, email)
	if err != nil || u == nil {
		return c, err
	}
	c.AccountID, c.DisplayName, c.Active = u.AccountID, u.DisplayName, u.Active
	for d, err := range e.jira.DeskCustomers(ctx, projectKey, email) {
		if err != nil {
			return c, fmt.Errorf("list the customers of %s: %w", projectKey, err)
		}
		if d.AccountID == u.AccountID {
			c.OnDesk = true
			break
		}
	}
	return c, nil
}

// findUser returns the account whose email is exactly email, or nil.
func (e *Engine) findUser(ctx context.Context, email string) (*jira.User, error) {
	users, err := e.jira.SearchUsers(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("search for %s: %w", email, err)
	}
	for _, u := range users {
		if strings.EqualFold(u.EmailAddress, email) {
			return &u, nil
		}
	}
	return nil, nil
}

// Invite is the outcome of adding one customer to a desk.
type Invite struct {
	Customer
	// Created is true when jsmbot created the customer account.
	Created bool
	// Added is true when the account is a customer of the desk now.
	Added bool
	// Err says why the customer could not be added.
	Err error
}

// ErrHiddenAccount reports an email that has an account Jira will not show
// to the bot (user privacy settings), so it cannot be added by id.
var ErrHiddenAccount = errors.New("an account with this email exists but Jira hides it from the bot's account")

// Invite adds each email's account to the project's desk, creating a
// portal-only customer account when none exists. Each customer is added on
// its own, so every result is exact; one customer's failure does not stop
// the others. The error is non-nil only when the batch could not run at
// all (the context ended).
func (e *Engine) Invite(ctx context.Context, projectKey string, emails []string) ([]Invite, error) {
	out := make([]Invite, len(emails))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(inviteConcurrency)
	for i, email := range emails {
		g.Go(func() error {
			out[i] = e.invite(gctx, projectKey, email)
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return out, err
	}
	return out, nil
}

func (e *Engine) invite(ctx context.Context, projectKey, email string) Invite {
	inv := Invite{Customer: Customer{Email: email}}
	u, err := e.findUser(ctx, email)
	if err != nil {
		inv.Err = err
		return inv
	}
	if u == nil {
		name, _, _ := strings.Cut(email, "@")
		u, err = e.jira.CreateCustomer(ctx, email, name)
		var ae *jira.APIError
		switch {
		case errors.As(err, &ae) && ae.StatusCode == http.StatusConflict:
			inv.Err = ErrHiddenAccount
			return inv
		case err != nil:
			inv.Err = needPermission("create customer "+email, "Administer Jira", err)
			return inv
		}
		inv.Created = true
	}
	inv.AccountID, inv.DisplayName, inv.Active = u.AccountID, u.DisplayName, u.Active
	if err := e.jira.AddCustomers(ctx, projectKey, []string{u.AccountID}); err != nil {
		inv.Err = needPermission(fmt.Sprintf("add %s to %s", email, projectKey), "Administer Projects (service desk administrator)", err)
		return inv
	}
	inv.Added, inv.OnDesk = true, true
	return inv
}
