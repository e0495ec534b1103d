package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/internal/config"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// This file is the record the command line shares with the bot: with
// REDIS_URL set, fix saves its plan and audit record in the store jsmbot
// run keeps (the same shapes the bot writes), so that undo and history,
// and the bot's reconciler, see the command line's repairs as their own.

// noRecordNote is what fix says once when there is no shared record.
const noRecordNote = "REDIS_URL is not set: this fix is not recorded; jsmbot undo and history need the shared record"

// errNoSharedRecord: undo and history need REDIS_URL.
var errNoSharedRecord = errors.New("there is no shared record: REDIS_URL is not set (set it to the Redis jsmbot run uses; undo and history read the plans and audit records kept there)")

// Lease and timings of a recorded apply.
const (
	// cliPlanTTL is how long a plan the command line saved may stay
	// pending; it goes to applying at once.
	cliPlanTTL = time.Hour
	// cliLease is the lease of an apply under way, renewed every third
	// of it: when the command dies, the bot's reconciler settles the plan
	// once the lease runs out.
	cliLease = 30 * time.Second
	// recordBudget bounds each write of an outcome, made even after
	// Ctrl-C: the plan must not stay applying.
	recordBudget = 10 * time.Second
)

// recordMarks are the marks of the words in audit records, the bot's, so
// that the record reads the same whichever front end wrote it.
var recordMarks = diagnosis.Marks{
	Code:  func(s string) string { return "`" + s + "`" },
	Quote: func(s string) string { return "“" + s + "”" },
}

// openShared opens the shared record REDIS_URL names, checked with a
// ping; nil, nil when REDIS_URL is unset. A Redis that does not answer is
// an error repair.Classify calls KindRedisUnavailable.
func openShared(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.Redis.Options == nil {
		return nil, nil
	}
	return openStore(ctx, cfg.Redis.Options)
}

// cliActor names the person at the terminal in the record, as the bot
// names a Slack user: "cli:alice@host".
func cliActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return "cli:" + name + "@" + host
}

// recorder records one fix in the shared record: the plan saved pending,
// moved to applying with a lease, then to its outcome, and the audit
// record.
type recorder struct {
	st    store.Store
	actor string
	owner string
	now   func() time.Time
	warn  io.Writer // where a write that failed is told

	rec       store.PlanRecord
	stopLease func()
}

func newRecorder(st store.Store, warn io.Writer) *recorder {
	actor := cliActor()
	return &recorder{st: st, actor: actor, owner: actor + "/" + strconv.Itoa(os.Getpid()), now: time.Now, warn: warn}
}

// begin saves plan, made from d, and moves it to applying under this
// process's lease, with the record of a plan none of whose writes is
// made yet: a reconciler can settle it from there.
func (r *recorder) begin(ctx context.Context, d *repair.Diagnosis, plan diagnosis.Plan) error {
	id, err := store.NewID()
	if err != nil {
		return err
	}
	recs, err := approval.NewRecords(d, []diagnosis.Plan{plan}, []string{id}, approval.Origin{RequesterID: r.actor}, nil, r.now().Add(cliPlanTTL))
	if err != nil {
		return err
	}
	if err := r.st.SavePlan(ctx, recs[0]); err != nil {
		return fmt.Errorf("record the plan in the shared record: %w", err)
	}
	planned, err := json.Marshal(repair.PlannedRecord(plan, id))
	if err != nil {
		return err
	}
	rec, err := r.st.Transition(ctx, id, store.StatePending, store.StateApplying, func(p *store.PlanRecord) {
		p.ApproverID, p.Owner, p.LeaseUntil, p.Record = r.actor, r.owner, r.now().Add(cliLease), planned
	})
	if err != nil {
		return fmt.Errorf("record the approval in the shared record: %w", err)
	}
	r.rec = rec
	r.stopLease = r.renew(rec.ID)
	return nil
}

// renew renews the lease of plan id every third of it until stopped.
func (r *recorder) renew(id string) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(cliLease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), cliLease/3)
				_, _ = r.st.RenewLease(ctx, id, r.owner, r.now().Add(cliLease), nil) // a missed renewal is retried next tick
				cancel()
			}
		}
	}()
	return func() { close(done); <-finished }
}

// finish records how the apply ended: the plan's final state with what
// the apply did, and the audit record. A write that fails is said on
// warn; the plan is then left to the bot's reconciler.
func (r *recorder) finish(ctx context.Context, res *repair.Result, applyErr error) approval.Outcome {
	r.stopLease()
	o := approval.Decide(res, applyErr, "cli")
	var record json.RawMessage
	if res != nil {
		if b, err := json.Marshal(res.Record()); err == nil {
			record = b
		}
	}
	ctx = context.WithoutCancel(ctx)
	tctx, cancel := context.WithTimeout(ctx, recordBudget)
	rec, err := r.st.Transition(tctx, r.rec.ID, store.StateApplying, o.State, func(p *store.PlanRecord) {
		p.Result = o.Result
		if record != nil {
			p.Record = record
		}
	})
	cancel()
	if err != nil {
		fmt.Fprintf(r.warn, "jsmbot: could not record the outcome of plan %s in the shared record (%s); the bot's reconciler will settle it from what Jira holds\n", r.rec.ID, describe(err))
	} else {
		r.rec = rec
	}
	a := approval.Audit(r.rec, r.actor, o.Action, o.Result, r.now())
	if res != nil {
		a.Created, a.Removed = appliedWords(res, rolesOf(res.After))
	}
	tctx, cancel = context.WithTimeout(ctx, recordBudget)
	defer cancel()
	if err := r.st.AppendAudit(tctx, a); err != nil {
		fmt.Fprintf(r.warn, "jsmbot: could not write the audit record of plan %s (%s)\n", r.rec.ID, describe(err))
	}
	return o
}

// appliedWords are the audit record's created and removed lines of what
// the apply made, as the bot writes them.
func appliedWords(res *repair.Result, roles map[string]string) (created, removed []string) {
	for _, c := range res.Applied() {
		if c.Step == repair.StepRemoveGrant {
			removed = append(removed, c.Words(roles, recordMarks))
			continue
		}
		created = append(created, c.Words(roles, recordMarks))
		if c.Step == repair.StepCreateScheme {
			for _, g := range res.Plan.AddGrants {
				created = append(created, fmt.Sprintf("with `%s` granted to %s", g.Permission, diagnosis.HolderName(g.Holder, roles)))
			}
			for _, g := range res.Plan.RemoveGrants {
				created = append(created, fmt.Sprintf("without `%s` for %s", g.Permission, diagnosis.HolderName(g.Holder, roles)))
			}
		}
	}
	return created, removed
}

// printCustomer says what Jira said about one real customer of the desk
// after a repair or an undo; nothing when nobody was asked.
func printCustomer(w io.Writer, c *repair.CustomerCheck, key string) {
	if c == nil {
		return
	}
	who := c.Name
	if who == "" {
		who = c.AccountID
	}
	fmt.Fprintln(w)
	switch c.Verdict {
	case repair.VerdictVerified:
		fmt.Fprintf(w, "Customer check: verified for %s: Jira says this customer can open %s's portal and raise requests.\n", who, key)
	case repair.VerdictStillDenied:
		fmt.Fprintf(w, "Customer check: grants present, customer still denied: the permission scheme is right, yet Jira denies %s %s on %s. Other causes to check:\n", who, strings.Join(c.Missing, " and "), key)
		for _, cause := range c.Causes {
			fmt.Fprintf(w, "  - %s\n", cause.Words())
		}
	case repair.VerdictDenied:
		fmt.Fprintf(w, "Customer check: Jira denies %s %s on %s: the scheme's customer grants are not right.\n", who, strings.Join(c.Missing, " and "), key)
	case repair.VerdictNoCustomer:
		fmt.Fprintf(w, "Customer check: no customer to check: %s's desk has no active customer yet.\n", key)
	default:
		why := "Jira could not be asked"
		if c.Err != nil {
			why = describe(c.Err)
		}
		fmt.Fprintf(w, "Customer check: not checked: %s\n", why)
	}
}

// customerJSON is a customer check in --json: verdict is verified,
// still-denied, denied, no-customer or not-checked.
type customerJSON struct {
	Verdict   repair.Verdict `json:"verdict"`
	AccountID string         `json:"accountId,omitempty"`
	Name      string         `json:"name,omitempty"`
	Missing   []string       `json:"missing"`
	Causes    []repair.Cause `json:"causes"`
	Error     *errorJSON     `json:"error,omitempty"`
}

func toCustomerJSON(c *repair.CustomerCheck) *customerJSON {
	if c == nil {
		return nil
	}
	out := &customerJSON{Verdict: c.Verdict, AccountID: c.AccountID, Name: c.Name, Missing: c.Missing, Causes: c.Causes}
	if out.Missing == nil {
		out.Missing = []string{}
	}
	if out.Causes == nil {
		out.Causes = []repair.Cause{}
	}
	if c.Err != nil {
		out.Error = errorOf(c.Err)
	}
	return out
}
