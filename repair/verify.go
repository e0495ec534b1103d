package repair

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
)

// CustomerPermissions are the permissions a customer needs to use a
// desk's portal, which a customer check asks Jira about.
var CustomerPermissions = []string{diagnosis.PermBrowseProjects, diagnosis.PermCreateIssues}

// PermissionCheck asks Jira which of keys the account accountID really
// holds on the project projectID, as Jira evaluates them
// (POST /rest/api/3/permissions/check); it returns the keys held.
type PermissionCheck func(ctx context.Context, accountID string, projectID int64, keys []string) ([]string, error)

// WithCustomerCheck makes the engine ask Jira, after every apply and undo
// and in [Engine.VerifyCustomer], about one real customer of the desk,
// through the Jira client's CheckPermissions. Without it (or
// [WithPermissionCheck]) the engine asks nothing: the check is one more
// request, a POST that only reads, which front ends opt in to.
func WithCustomerCheck() Option { return func(e *Engine) { e.check = jiraPermissionCheck(e.jira) } }

// WithPermissionCheck makes the engine check customers through f; nil
// turns the check off.
func WithPermissionCheck(f PermissionCheck) Option { return func(e *Engine) { e.check = f } }

// jiraPermissionCheck asks through c's POST permissions/check, for one
// project.
func jiraPermissionCheck(c *jira.Client) PermissionCheck {
	return func(ctx context.Context, accountID string, projectID int64, keys []string) ([]string, error) {
		held, err := c.CheckPermissions(ctx, accountID, []int64{projectID}, keys)
		if err != nil {
			return nil, err
		}
		return held[projectID], nil
	}
}

// Verdict is what a customer check found.
type Verdict string

// Verdicts.
const (
	// VerdictNotChecked: Jira could not be asked; CustomerCheck.Err says
	// why.
	VerdictNotChecked Verdict = "not-checked"
	// VerdictVerified: Jira says the customer has every
	// [CustomerPermissions] on the project.
	VerdictVerified Verdict = "verified"
	// VerdictStillDenied: the scheme's grants are right, yet Jira denies
	// the customer; CustomerCheck.Causes lists what else to check.
	VerdictStillDenied Verdict = "still-denied"
	// VerdictDenied: Jira denies the customer, and the scheme's grants are
	// not right either (as after an undo).
	VerdictDenied Verdict = "denied"
	// VerdictNoCustomer: the desk has no active customer to check.
	VerdictNoCustomer Verdict = "no-customer"
)

// Cause is something other than the permission scheme that can keep a
// customer out of a desk.
type Cause string

// Causes, in the order a check lists them.
const (
	// CauseLicensedAccount: the account checked is a licensed Atlassian
	// account, not a portal-only customer; it reaches the project through
	// its product access, groups and roles, not the Portal Access grants.
	CauseLicensedAccount Cause = "licensed-account"
	// CauseCustomerAccess: the desk's customer access settings (who may
	// use the portal and raise requests) leave the customer out.
	CauseCustomerAccess Cause = "customer-access"
	// CauseAccountState: the account itself is blocked: deactivated or
	// suspended in Atlassian Administration, or no longer a customer of
	// the desk.
	CauseAccountState Cause = "account-state"
)

// Words says what the cause is, in the words every front end shows (the
// terminal and Slack mark nothing in them).
func (c Cause) Words() string {
	switch c {
	case CauseLicensedAccount:
		return "the account checked is a licensed Atlassian account, not a portal-only customer: it reaches the project through product access, groups and roles"
	case CauseCustomerAccess:
		return "the desk's customer access settings (who may use the portal and raise requests) leave customers out"
	case CauseAccountState:
		return "the account is deactivated or suspended in Atlassian Administration, or no longer a customer of the desk"
	}
	return string(c)
}

// CustomerCheck is what Jira says about one real customer of a desk.
type CustomerCheck struct {
	Verdict Verdict
	// AccountID and Name identify the customer checked.
	AccountID string
	Name      string
	// Allowed is true when Jira says the customer has every
	// [CustomerPermissions]; Missing lists those it lacks.
	Allowed bool
	Missing []string
	// NoCustomer is true when the desk has no active customer to check.
	NoCustomer bool
	// Causes lists the other causes to check when Verdict is
	// [VerdictStillDenied].
	Causes []Cause
	// Err is why Jira could not be asked ([VerdictNotChecked]).
	Err error
}

// VerifyCustomer asks Jira whether one real customer of the desk of d's
// project has [CustomerPermissions] on it, and reads the answer against d:
// denied with the grants right means something else blocks customers. It
// changes nothing. It returns nil when the project is not one jsmbot
// repairs or the engine checks no customers (see [WithCustomerCheck]); a
// failed check is a [VerdictNotChecked] with Err set.
func (e *Engine) VerifyCustomer(ctx context.Context, d *Diagnosis) *CustomerCheck {
	if d == nil || !d.Report.Applicable || e.check == nil {
		return nil
	}
	key := d.Snapshot.Project.Key
	failed := func(err error) *CustomerCheck { return &CustomerCheck{Verdict: VerdictNotChecked, Err: err} }
	projectID, err := strconv.ParseInt(d.Snapshot.Project.ID, 10, 64)
	if err != nil {
		return failed(fmt.Errorf("check a customer of %s: project id %q: %w", key, d.Snapshot.Project.ID, err))
	}
	u, ok, err := e.someCustomer(ctx, key)
	if err != nil {
		return failed(fmt.Errorf("find a customer of %s: %w", key, err))
	}
	if !ok {
		return &CustomerCheck{Verdict: VerdictNoCustomer, NoCustomer: true}
	}
	held, err := e.check(ctx, u.AccountID, projectID, CustomerPermissions)
	if err != nil {
		return failed(fmt.Errorf("check the permissions of a customer of %s: %w", key, err))
	}
	return judge(u, held, grantsRight(d.Report))
}

// judge reads Jira's answer for customer u: the permissions held, and
// whether the scheme's grants for customers are right.
func judge(u jira.User, held []string, right bool) *CustomerCheck {
	c := &CustomerCheck{AccountID: u.AccountID, Name: u.DisplayName}
	for _, k := range CustomerPermissions {
		if !slices.Contains(held, k) {
			c.Missing = append(c.Missing, k)
		}
	}
	c.Allowed = len(c.Missing) == 0
	switch {
	case c.Allowed:
		c.Verdict = VerdictVerified
	case right:
		c.Verdict = VerdictStillDenied
		if u.AccountType != "" && u.AccountType != "customer" {
			c.Causes = append(c.Causes, CauseLicensedAccount)
		}
		c.Causes = append(c.Causes, CauseCustomerAccess, CauseAccountState)
	default:
		c.Verdict = VerdictDenied
	}
	return c
}

// grantsRight reports whether a report finds nothing wrong with the
// grants customers depend on: no critical finding about Portal Access or
// the customers role.
func grantsRight(r diagnosis.Report) bool {
	for _, f := range r.Findings {
		if f.Severity == diagnosis.Critical && (f.Rule == diagnosis.RulePortalAccess || f.Rule == diagnosis.RuleCustomersRole) {
			return false
		}
	}
	return r.Applicable
}

// someCustomer returns the desk's first active customer, preferring a
// portal-only account to a licensed one. It reads one page when that page
// has a portal-only customer.
func (e *Engine) someCustomer(ctx context.Context, key string) (jira.User, bool, error) {
	var licensed *jira.User
	for u, err := range e.jira.DeskCustomers(ctx, key, "") {
		if err != nil {
			return jira.User{}, false, err
		}
		if !u.Active {
			continue
		}
		if u.AccountType == "" || u.AccountType == "customer" {
			return u, true, nil
		}
		if licensed == nil {
			licensed = &u
		}
	}
	if licensed != nil {
		return *licensed, true, nil
	}
	return jira.User{}, false, nil
}
