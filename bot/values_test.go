package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// This file tests the bot's decisions as values and through the executor
// on a recording fake of Slack and a memory store: no simulator, no
// socket. The end-to-end tests (e2e_test.go, report_e2e_test.go…) keep the
// stories through the real slack-go client.

// fakeSlack is a Poster that records what the bot sent, one line per
// call, and answers user-group lookups from a map. fail makes a method
// ("post", "update", "ephemeral", "view", "groups") fail.
type fakeSlack struct {
	mu     sync.Mutex
	calls  []string
	groups map[string][]string
	fail   map[string]error
	n      int
}

func (f *fakeSlack) record(method, line string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail[method]; err != nil {
		return "", err
	}
	f.n++
	f.calls = append(f.calls, line)
	return fmt.Sprintf("1700000000.%06d", f.n), nil
}

func msgValues(channelID string, opts []slack.MsgOption) (text, thread string) {
	_, v, _ := slack.UnsafeApplyMsgOptions("", channelID, "", opts...)
	return v.Get("text"), v.Get("thread_ts")
}

func (f *fakeSlack) PostMessageContext(_ context.Context, channelID string, opts ...slack.MsgOption) (string, string, error) {
	text, thread := msgValues(channelID, opts)
	if thread != "" {
		thread = " thread " + thread
	}
	ts, err := f.record("post", "post "+channelID+thread+": "+text)
	return channelID, ts, err
}

func (f *fakeSlack) UpdateMessageContext(_ context.Context, channelID, ts string, opts ...slack.MsgOption) (string, string, string, error) {
	text, _ := msgValues(channelID, opts)
	_, err := f.record("update", "update "+channelID+" "+ts+": "+text)
	return channelID, ts, text, err
}

func (f *fakeSlack) PostEphemeralContext(_ context.Context, channelID, userID string, opts ...slack.MsgOption) (string, error) {
	text, _ := msgValues(channelID, opts)
	return f.record("ephemeral", "tell "+userID+" in "+channelID+": "+text)
}

func (f *fakeSlack) GetUserGroupMembersContext(_ context.Context, group string, _ ...slack.GetUserGroupMembersOption) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail["groups"]; err != nil {
		return nil, err
	}
	return f.groups[group], nil
}

func (f *fakeSlack) OpenViewContext(_ context.Context, trigger string, v slack.ModalViewRequest) (*slack.ViewResponse, error) {
	_, err := f.record("view", "view "+v.CallbackID+" on "+trigger)
	return &slack.ViewResponse{}, err
}

func (f *fakeSlack) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// valueBot is a bot on a fake Slack and a memory store, whose handlers
// the tests call directly. Its engine points nowhere: a test that reached
// Jira would fail.
type valueBot struct {
	*Bot
	slack *fakeSlack
	store *store.Memory
	clock *fakeclock.Clock
}

func newValueBot(t *testing.T, cfg Config) *valueBot {
	t.Helper()
	client, err := jira.NewClient("http://127.0.0.1:1", "bot@example.com", "token", jira.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	clock := fakeclock.New()
	st := store.NewMemory(store.WithClock(clock.Now))
	fs := &fakeSlack{groups: map[string][]string{approverGroup: {userGroupMember}}}
	if cfg.Approvers == nil {
		cfg.Approvers = []string{userRequester, userApprover, approverGroup}
	}
	cfg.Now = clock.Now
	b, err := New(cfg, Deps{
		Events: make(chan socketmode.Event), Ack: func(context.Context, string, any) error { return nil },
		Slack: fs, Engine: repair.New(client), Store: st, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &valueBot{Bot: b, slack: fs, store: st, clock: clock}
}

// brokenDiagnosis is a diagnosis of NOPA whose scheme lacks every Portal
// Access grant; shared lists the other projects on the scheme.
func brokenDiagnosis(t *testing.T, shared ...string) *repair.Diagnosis {
	t.Helper()
	roles := map[string]string{
		diagnosis.RoleAdministrators:   "10002",
		diagnosis.RoleServiceDeskTeam:  "10005",
		diagnosis.RoleServiceDeskCusts: "10004",
	}
	var grants []diagnosis.Grant
	id := int64(10400)
	for name, holder := range map[string]diagnosis.Holder{
		diagnosis.RoleAdministrators:  {Type: diagnosis.HolderProjectRole, Parameter: "10002"},
		diagnosis.RoleServiceDeskTeam: {Type: diagnosis.HolderProjectRole, Parameter: "10005"},
	} {
		for _, perm := range diagnosis.DefaultGrants()[name] {
			grants = append(grants, diagnosis.Grant{ID: id, Holder: holder, Permission: perm})
			id++
		}
	}
	snap := diagnosis.Snapshot{
		Project:    diagnosis.Project{ID: "10010", Key: "NOPA", Name: "No Portal Access", TypeKey: "service_desk"},
		Scheme:     diagnosis.Scheme{ID: 10100, Name: "NOPA scheme", Grants: grants},
		Roles:      roles,
		SharedWith: append([]string{}, shared...),
	}
	d := &repair.Diagnosis{Snapshot: snap, Report: diagnosis.Diagnose(snap)}
	p, err := diagnosis.NewPlan(snap, diagnosis.ModeAuto)
	if err != nil {
		t.Fatal(err)
	}
	d.Plan = &p
	return d
}

// offeredPlans saves the plans of a diagnosis as a posted report would
// have them, and returns them in offer order.
func (vb *valueBot) offeredPlans(t *testing.T, d *repair.Diagnosis) []store.PlanRecord {
	t.Helper()
	plans, err := approval.Offers(d)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(plans))
	for i := range ids {
		ids[i] = strings.Repeat(string(rune('a'+i)), 26)
	}
	recs, err := approval.NewRecords(d, plans, ids, approval.Origin{RequesterID: userRequester, ChannelID: channel}, nil, vb.cfg.Now().Add(vb.cfg.PlanTTL))
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		recs[i].MessageTS = "1699999999.000001"
		if err := vb.store.SavePlan(t.Context(), recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return recs
}

func (vb *valueBot) click(user string, rec store.PlanRecord, value string) click {
	return click{request: request{userID: user, channelID: channel, log: slog.New(slog.DiscardHandler)},
		messageTS: rec.MessageTS, planID: value, mode: rec.Mode}
}

func (vb *valueBot) state(t *testing.T, id string) store.State {
	t.Helper()
	r, err := vb.store.Plan(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r.State
}

func (vb *valueBot) actions(t *testing.T, id string) []string {
	t.Helper()
	recs, err := vb.store.Audit(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Action)
	}
	return out
}

func describe(effs []effect) []string {
	var out []string
	for _, e := range effs {
		out = append(out, e.String())
	}
	return out
}

// TestRefusedClicks: clicks that must change nothing: a forged, tampered or
// unknown value, a report token on Approve, a plan from another channel,
// the policy's refusals. Each clicker is told why, the plan stays pending,
// the report is not touched, and only the policy's refusals are audited
// (as denied, without a word in the channel).
func TestRefusedClicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		user    string
		action  func(b *Bot, ctx context.Context, c click) error
		value   func(planID, offerID string) string
		channel string
		want    string
		audited bool
	}{
		// A well-formed ID the store does not hold: forged, or forgotten
		// (past its retention, a Redis that lost its data).
		{name: "unknown plan ID", value: func(string, string) string { return "zzzzzzzzzzzzzzzzzzzzzzzzzz" }, want: goneText},
		{name: "extra text", value: func(id, _ string) string { return id + " <!channel>" }, want: "I don't know that plan"},
		{name: "trailing newline", value: func(id, _ string) string { return id + "\n" }, want: "I don't know that plan"},
		{name: "upper case", value: func(id, _ string) string { return strings.ToUpper(id) }, want: "I don't know that plan"},
		{name: "key injection", value: func(id, _ string) string { return id[:20] + ":plan:*" }, want: "I don't know that plan"},
		{name: "long", value: func(id, _ string) string { return strings.Repeat(id, 80) }, want: "I don't know that plan"},
		{name: "report token", value: func(_, offer string) string { return offer }, want: "That button does not match its plan, so I did nothing."},
		{name: "another channel's message", channel: "C0OTHER", want: "belongs to a message in another channel"},
		{name: "outsider approves", user: userOutsider, want: "you are not one of them", audited: true},
		{name: "requester approves", user: userRequester, want: "self-approval is turned off", audited: true},
		{name: "no approvers", cfg: Config{Approvers: []string{}}, want: "JSMBOT_APPROVERS", audited: true},
		{name: "outsider dismisses", user: userOutsider, action: (*Bot).dismiss, want: "may dismiss", audited: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vb := newValueBot(t, tt.cfg)
			rec := vb.offeredPlans(t, brokenDiagnosis(t))[0]
			offerID, _ := store.NewID()
			if err := vb.store.SaveOffer(t.Context(), store.OfferRecord{ID: offerID, ChannelID: channel, ExpiresAt: vb.clock.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			user, action, value := cmpOr(tt.user, userApprover), tt.action, rec.ID
			if action == nil {
				action = (*Bot).approve
			}
			if tt.value != nil {
				value = tt.value(rec.ID, offerID)
			}
			c := vb.click(user, rec, value)
			c.channelID = cmpOr(tt.channel, channel)
			if err := action(vb.Bot, t.Context(), c); err != nil {
				t.Fatalf("handler: %v", err)
			}
			sent := vb.slack.sent()
			if len(sent) != 1 || !strings.HasPrefix(sent[0], "tell "+user+" in "+c.channelID+": ") || !strings.Contains(sent[0], tt.want) {
				t.Errorf("sent %q, want only an ephemeral to %s containing %q", sent, user, tt.want)
			}
			if !strings.Contains(sent[0], "Nothing was changed") && !strings.Contains(sent[0], "I did nothing") {
				t.Errorf("ephemeral %q does not say that nothing changed", sent[0])
			}
			if got := vb.state(t, rec.ID); got != store.StatePending {
				t.Errorf("plan is %s, want pending", got)
			}
			var want []string
			if tt.audited {
				want = []string{approval.Denied}
			}
			if diff := cmp.Diff(want, vb.actions(t, rec.ID)); diff != "" {
				t.Errorf("audit actions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnusablePlanClicks: an expired, a dismissed and a superseded plan
// cannot be decided on; the first click after the expiry records it once
// (message and audit), and each clicker is told why.
func TestUnusablePlanClicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(t *testing.T, vb *valueBot, recs []store.PlanRecord)
		want    string
		state   store.State
		// sent are the other calls, after the ephemeral, besides it.
		sent    []string
		actions []string
	}{
		{
			name:    "expired",
			prepare: func(_ *testing.T, vb *valueBot, _ []store.PlanRecord) { vb.clock.Advance(DefaultPlanTTL + time.Second) },
			want:    "This diagnosis expired at 09:30 UTC without approval, so nothing was changed. Run `/jsm diagnose NOPA` for a fresh diagnosis.",
			state:   store.StateExpired,
			sent: []string{
				"update C0OPS 1699999999.000001: NOPA: expired",
				"post C0OPS thread 1699999999.000001: Audit: expired",
			},
			actions: []string{approval.Expired},
		},
		{
			name: "dismissed",
			prepare: func(t *testing.T, vb *valueBot, recs []store.PlanRecord) {
				if err := vb.dismiss(t.Context(), vb.click(userRequester, recs[0], recs[0].ID)); err != nil {
					t.Fatal(err)
				}
			},
			want:    "This diagnosis was dismissed by <@U0REQUEST>; nothing was changed. Run `/jsm diagnose NOPA` for a fresh diagnosis.",
			state:   store.StateDismissed,
			actions: []string{approval.Dismissed},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vb := newValueBot(t, Config{})
			recs := vb.offeredPlans(t, brokenDiagnosis(t))
			tt.prepare(t, vb, recs)
			before := len(vb.slack.sent())
			if err := vb.approve(t.Context(), vb.click(userApprover, recs[0], recs[0].ID)); err != nil {
				t.Fatal(err)
			}
			want := append(tt.sent, "tell "+userApprover+" in "+channel+": "+tt.want)
			if diff := cmp.Diff(want, vb.slack.sent()[before:]); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if got := vb.state(t, recs[0].ID); got != tt.state {
				t.Errorf("plan is %s, want %s", got, tt.state)
			}
			if diff := cmp.Diff(tt.actions, vb.actions(t, recs[0].ID)); diff != "" {
				t.Errorf("audit actions (-want +got):\n%s", diff)
			}
			// A second click records nothing more.
			if err := vb.approve(t.Context(), vb.click(userApprover, recs[0], recs[0].ID)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.actions, vb.actions(t, recs[0].ID)); diff != "" {
				t.Errorf("audit actions after a second click (-want +got):\n%s", diff)
			}
		})
	}
}

// TestClickAfterDrainChangesNothing: a click a worker reaches once the
// shutdown's drain has run out of time is told that jsmbot is restarting,
// whether it approves or undoes, and the plan stays pending.
func TestClickAfterDrainChangesNothing(t *testing.T) {
	t.Parallel()
	vb := newValueBot(t, Config{})
	rec := vb.offeredPlans(t, brokenDiagnosis(t))[0]
	vb.draining.Store(true)
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(errDrainDeadline)
	for _, handle := range []func(*Bot, context.Context, click) error{(*Bot).approve, (*Bot).undo} {
		before := len(vb.slack.sent())
		if err := handle(vb.Bot, ctx, vb.click(userApprover, rec, rec.ID)); err != nil {
			t.Fatal(err)
		}
		want := []string{"tell " + userApprover + " in " + channel + ": " + restartingText}
		if diff := cmp.Diff(want, vb.slack.sent()[before:]); diff != "" {
			t.Errorf("sent (-want +got):\n%s", diff)
		}
	}
	if got := vb.state(t, rec.ID); got != store.StatePending {
		t.Errorf("plan is %s, want pending", got)
	}
	if acts := vb.actions(t, rec.ID); len(acts) != 0 {
		t.Errorf("audit actions %v, want none", acts)
	}
}

// TestDismissByApprover: an approver (here through a user group) may
// dismiss; every offered plan is retired, the message says who, and the
// dismissal is audited and announced in the thread.
func TestDismissByApprover(t *testing.T) {
	t.Parallel()
	vb := newValueBot(t, Config{})
	recs := vb.offeredPlans(t, brokenDiagnosis(t, "SHRB"))
	if err := vb.dismiss(t.Context(), vb.click(userGroupMember, recs[0], recs[0].ID)); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"update C0OPS 1699999999.000001: NOPA: dismissed",
		"post C0OPS thread 1699999999.000001: Audit: dismissed",
	}
	if diff := cmp.Diff(want, vb.slack.sent()); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	for _, r := range recs {
		got, err := vb.store.Plan(t.Context(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != store.StateDismissed || got.ApproverID != userGroupMember || got.SupersededBy != "" {
			t.Errorf("plan %s is %s by %q superseded by %q, want dismissed by %s", r.ID, got.State, got.ApproverID, got.SupersededBy, userGroupMember)
		}
	}
	// The other button of the message is spent, and says by whom.
	if err := vb.approve(t.Context(), vb.click(userApprover, recs[1], recs[1].ID)); err != nil {
		t.Fatal(err)
	}
	if got := vb.slack.sent()[2]; !strings.Contains(got, "dismissed by <@"+userGroupMember+">") {
		t.Errorf("click after the dismissal: %q", got)
	}
}

// TestStateText words every state a clicked plan can be in; superseded is
// told apart from dismissed by its field, whatever Result says.
func TestStateText(t *testing.T) {
	t.Parallel()
	base := store.PlanRecord{ProjectKey: "NOPA", ApproverID: userApprover, ExpiresAt: fakeclock.Start.Add(30 * time.Minute)}
	with := func(f func(*store.PlanRecord)) store.PlanRecord { r := base; f(&r); return r }
	tests := []struct {
		name string
		rec  store.PlanRecord
		want string
	}{
		{"expired", with(func(r *store.PlanRecord) { r.State = store.StateExpired }), "This diagnosis expired at 09:30 UTC without approval, so nothing was changed. Run `/jsm diagnose NOPA` for a fresh diagnosis."},
		{"dismissed", with(func(r *store.PlanRecord) { r.State = store.StateDismissed; r.Result = "superseded-looking words" }), "This diagnosis was dismissed by <@U0APPROVE>; nothing was changed. Run `/jsm diagnose NOPA` for a fresh diagnosis."},
		{"superseded", with(func(r *store.PlanRecord) {
			r.State = store.StateDismissed
			r.SupersededBy = "b"
			r.Result = "dismissed"
		}), "This fix was not chosen: <@U0APPROVE> approved the other one. Nothing more to do."},
		{"applying", with(func(r *store.PlanRecord) { r.State = store.StateApplying }), "This fix is being applied now, approved by <@U0APPROVE>."},
		{"applied", with(func(r *store.PlanRecord) { r.State = store.StateApplied }), "This fix was already applied, approved by <@U0APPROVE>."},
		{"failed", with(func(r *store.PlanRecord) { r.State = store.StateFailed; r.Result = "failed <x>" }), "This plan already ran (failed &lt;x&gt;). Run `/jsm diagnose NOPA` for a fresh diagnosis."},
		{"undone", with(func(r *store.PlanRecord) { r.State = store.StateUndone }), "This fix was applied and later undone. Run `/jsm diagnose NOPA` for a fresh diagnosis."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := stateText(tt.rec); got != tt.want {
				t.Errorf("stateText = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHandledBy: who a late clicker is told is deciding.
func TestHandledBy(t *testing.T) {
	t.Parallel()
	rec := func(s store.State, approver, by string) store.PlanRecord {
		return store.PlanRecord{State: s, ApproverID: approver, SupersededBy: by}
	}
	tests := []struct {
		name  string
		group []store.PlanRecord
		want  string
	}{
		{"nobody yet", []store.PlanRecord{rec(store.StatePending, "", ""), rec(store.StatePending, "", "")}, "Someone else is already handling this diagnosis. Nothing more to do."},
		{"applying", []store.PlanRecord{rec(store.StateDismissed, userApprover, "b"), rec(store.StateApplying, userApprover, "")}, "This fix is already being applied, approved by <@U0APPROVE>. Nothing more to do."},
		{"applied", []store.PlanRecord{rec(store.StateApplied, userApprover, "")}, "<@U0APPROVE> already approved a fix for this diagnosis. Nothing more to do."},
		{"dismissed", []store.PlanRecord{rec(store.StateDismissed, userApprover, "")}, "<@U0APPROVE> already dismissed this diagnosis. Nothing was changed."},
		{"superseded only", []store.PlanRecord{rec(store.StateDismissed, userApprover, "b")}, "Someone else is already handling this diagnosis. Nothing more to do."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := handledBy(tt.group); got != tt.want {
				t.Errorf("handledBy = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOffered: a diagnosis with a repair is posted without buttons, its
// plans are saved with the message's ts, and only then are the buttons
// added; without a repair it is one post; a failed save withdraws the
// offer.
func TestOffered(t *testing.T) {
	t.Parallel()
	expires := fakeclock.Start.Add(DefaultPlanTTL)
	o := approval.Origin{RequesterID: userRequester, ChannelID: channel, ThreadTS: "1.5"}

	healthy := brokenDiagnosis(t)
	healthy.Plan = nil
	effs, err := offered(healthy, nil, nil, o, "", nil, expires, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"post C0OPS thread 1.5: NOPA: broken, 2 critical problem(s)"}, describe(effs)); diff != "" {
		t.Errorf("without a repair (-want +got):\n%s", diff)
	}

	d := brokenDiagnosis(t, "SHRB")
	plans, err := approval.Offers(d)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{strings.Repeat("a", 26), strings.Repeat("b", 26)}
	effs, err = offered(d, plans, ids, o, "", &approval.Report{Emails: []string{"erin@example.com"}}, expires, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"post C0OPS thread 1.5 as report: NOPA: broken, 2 critical problem(s)",
		"save plans " + ids[0] + " (in-place), " + ids[1] + " (copy) @report",
		"update C0OPS  @report: NOPA: broken, 2 critical problem(s)",
	}
	if diff := cmp.Diff(want, describe(effs)); diff != "" {
		t.Errorf("with two repairs (-want +got):\n%s", diff)
	}
	if first := blocksJSON(t, effs[0].(post).msg); strings.Contains(first, ActionApproveInPlace) || !strings.Contains(first, "Preparing") {
		t.Errorf("the first post has buttons or lacks the note: %s", first)
	}
	if last := blocksJSON(t, effs[2].(update).msg); !strings.Contains(last, ActionApproveInPlace) || !strings.Contains(last, ActionApproveCopy) {
		t.Errorf("the update lacks the buttons: %s", last)
	}
	save := effs[1].(savePlans)
	for i, rec := range save.recs {
		data, err := approval.Decode(rec)
		if err != nil {
			t.Fatal(err)
		}
		if rec.ID != ids[i] || rec.ThreadTS != "1.5" || !rec.ExpiresAt.Equal(expires) || rec.RequesterID != userRequester {
			t.Errorf("plan %d = %+v", i, rec)
		}
		if diff := cmp.Diff(ids, data.Group); diff != "" || data.Report == nil || data.Report.Emails[0] != "erin@example.com" {
			t.Errorf("plan %d data: group diff %s, report %+v", i, diff, data.Report)
		}
	}
	withdrawn := describe(save.orElse("Something went wrong (ref abc)"))
	if diff := cmp.Diff([]string{"update C0OPS  @report: NOPA: broken, 2 critical problem(s)"}, withdrawn); diff != "" {
		t.Errorf("withdrawal (-want +got):\n%s", diff)
	}
	if w := blocksJSON(t, save.orElse("ref abc")[0].(update).msg); strings.Contains(w, ActionApproveInPlace) || !strings.Contains(w, "I can't offer the fix for approval right now: ref abc") {
		t.Errorf("the withdrawal still offers the fix or does not say why: %s", w)
	}
}

// TestFinished: how each outcome of an apply is recorded: the plan's final
// state, the message, the audit record with what changed, and its summary
// in the thread, every step on an outcome's budget.
func TestFinished(t *testing.T) {
	t.Parallel()
	d := brokenDiagnosis(t)
	rec := store.PlanRecord{ID: "p1", State: store.StateApplying, ProjectKey: "NOPA", Mode: "in-place", Digest: "d", RequesterID: userRequester, ApproverID: userApprover, ChannelID: channel, MessageTS: "1.1"}
	v := planView{Rec: rec, Data: approval.PlanData{Plan: *d.Plan, Group: []string{"p1"}, Roles: d.Snapshot.Roles}}
	grant := d.Plan.AddGrants[0]
	done := &repair.Result{Changes: []repair.Change{{Step: repair.StepAddGrant, SchemeName: "NOPA scheme", Grant: grant, Done: true}}, Verified: true}
	tests := []struct {
		name    string
		res     *repair.Result
		err     error
		failure string
		want    []string
		created []string
	}{
		{
			name: "verified", res: done,
			want: []string{
				"transition p1 applying→applied: applied; verified healthy",
				"update C0OPS 1.1: NOPA: repaired and verified",
				"audit applied of p1 by U0APPROVE: applied; verified healthy",
				"post C0OPS thread 1.1: Audit: applied",
			},
			created: []string{"granted `" + grant.Permission + "` to " + diagnosis.PortalAccessName + " in “NOPA scheme”"},
		},
		{
			name: "failed", res: &repair.Result{}, err: errors.New("jira: 503"), failure: "Jira is unavailable",
			want: []string{
				"transition p1 applying→failed: failed after 0 change(s) (ref r1)",
				"update C0OPS 1.1: NOPA: the repair failed",
				"audit failed of p1 by U0APPROVE: failed after 0 change(s) (ref r1)",
				"post C0OPS thread 1.1: Audit: failed",
			},
		},
		{
			name: "stale", err: &repair.StaleError{},
			want: []string{
				"transition p1 applying→failed: not applied: the project changed after the diagnosis; nothing was changed",
				"update C0OPS 1.1: NOPA: not applied, the project changed",
				"audit stale of p1 by U0APPROVE: not applied: the project changed after the diagnosis; nothing was changed",
				"post C0OPS thread 1.1: Audit: stale",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			effs := finished(v, userApprover, tt.res, approval.Decide(tt.res, tt.err, "r1"), tt.failure, fakeclock.Start)
			if diff := cmp.Diff(tt.want, describe(effs)); diff != "" {
				t.Errorf("effects (-want +got):\n%s", diff)
			}
			for _, e := range effs {
				if !e.policy().record {
					t.Errorf("%s does not record on its own budget", e)
				}
			}
			if diff := cmp.Diff(tt.created, effs[2].(audit).rec.Created); diff != "" {
				t.Errorf("audit created (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApproved: a won approval retires the other offered plan as
// superseded and shows "applying".
func TestApproved(t *testing.T) {
	t.Parallel()
	rec := store.PlanRecord{ID: "b", Mode: "copy", ProjectKey: "NOPA", ChannelID: channel, MessageTS: "1.1"}
	d := brokenDiagnosis(t, "SHRB")
	effs := approved(planView{Rec: rec, Data: approval.PlanData{Plan: *d.Plan, Group: []string{"a", "b"}}}, userApprover)
	want := []string{
		"transition a pending→dismissed superseded by b: superseded: U0APPROVE approved the copy fix",
		"update C0OPS 1.1: NOPA: applying the fix",
	}
	if diff := cmp.Diff(want, describe(effs)); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
}

// TestDetected: the offer is kept before its button is posted, and a
// failed save says nothing.
func TestDetected(t *testing.T) {
	t.Parallel()
	o := store.OfferRecord{ID: "t1", ProjectKey: "NOPA", Emails: []string{"a@example.com", "b@example.com"}, ChannelID: channel, ThreadTS: "1.1"}
	effs := detected(o)
	want := []string{"save offer t1 on NOPA", "post C0OPS thread 1.1: Customers could not be added? I can diagnose it."}
	if diff := cmp.Diff(want, describe(effs)); diff != "" {
		t.Errorf("effects (-want +got):\n%s", diff)
	}
	if effs[0].policy().fail != stop {
		t.Error("a failed save of the offer does not stop the answer")
	}
}

// TestOfferGate: the Diagnose button of a detected report opens the form
// only for a known, unexpired offer of this channel.
func TestOfferGate(t *testing.T) {
	t.Parallel()
	now := fakeclock.Start
	live := store.OfferRecord{ID: "t1", ChannelID: channel, ExpiresAt: now.Add(time.Hour)}
	c := click{request: request{userID: userApprover, channelID: channel}}
	tests := []struct {
		name    string
		o       store.OfferRecord
		err     error
		want    string
		wantErr bool
	}{
		{"live", live, nil, "", false},
		{"unknown", store.OfferRecord{}, store.ErrNotFound, "I don't know that report any more.", false},
		{"store down", store.OfferRecord{}, errors.New("redis: down"), "", true},
		{"another channel", store.OfferRecord{ChannelID: "C0OTHER", ExpiresAt: now.Add(time.Hour)}, nil, "belongs to a message in another channel", false},
		{"expired", store.OfferRecord{ChannelID: channel, ExpiresAt: now}, nil, "This offer has expired.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tell, _, err := offerGate(c, tt.o, tt.err, now)
			if (err != nil) != tt.wantErr || tt.want == "" && tell != "" || !strings.Contains(tell, tt.want) {
				t.Errorf("offerGate = %q, %v; want %q (error %v)", tell, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestExecutor: steps run in order; a later step takes the ts of a named
// post; a failed abort step returns its error; a failed stop step ends the
// run quietly; orElse replaces the rest; a recording step still runs when
// the handler's context has ended.
func TestExecutor(t *testing.T) {
	t.Parallel()
	m := message{text: "hello"}
	tests := []struct {
		name    string
		fail    map[string]error
		effs    func(cancel context.CancelFunc) []effect
		want    []string
		wantErr bool
	}{
		{
			name: "refs",
			effs: func(context.CancelFunc) []effect {
				return []effect{
					post{channel: channel, msg: m, as: "r"},
					update{channel: channel, tsOf: "r", msg: message{text: "bye"}},
				}
			},
			want: []string{"post C0OPS: hello", "update C0OPS 1700000000.000001: bye"},
		},
		{
			name: "abort",
			fail: map[string]error{"post": errors.New("slack: channel_not_found")},
			effs: func(context.CancelFunc) []effect {
				return []effect{post{step: step{fail: abort}, channel: channel, msg: m}, ephemeral{who: request{userID: "U1", channelID: channel}, text: "never"}}
			},
			wantErr: true,
		},
		{
			name: "stop and go on",
			fail: map[string]error{"update": errors.New("slack: message_not_found")},
			effs: func(context.CancelFunc) []effect {
				return []effect{
					update{channel: channel, ts: "1.1", msg: m},
					ephemeral{who: request{userID: "U1", channelID: channel}, text: "after a failed goOn step"},
					update{step: step{fail: stop}, channel: channel, ts: "1.1", msg: m},
					ephemeral{who: request{userID: "U1", channelID: channel}, text: "never"},
				}
			},
			want: []string{"tell U1 in C0OPS: after a failed goOn step"},
		},
		{
			name: "orElse",
			fail: map[string]error{"view": errors.New("slack: expired_trigger_id")},
			effs: func(context.CancelFunc) []effect {
				return []effect{
					openView{step: step{orElse: func(text string) []effect {
						return []effect{ephemeral{who: request{userID: "U1", channelID: channel}, text: "instead: " + strings.SplitN(text, " (ref", 2)[0]}}
					}}, trigger: "t", view: slack.ModalViewRequest{CallbackID: ViewReport}},
					ephemeral{who: request{userID: "U1", channelID: channel}, text: "never"},
				}
			},
			want: []string{"tell U1 in C0OPS: instead: Something went wrong"},
		},
		{
			name: "record after the handler's end",
			effs: func(cancel context.CancelFunc) []effect {
				cancel()
				return []effect{
					post{channel: channel, msg: message{text: "skipped: the handler's context is done"}},
					audit{step: step{record: true}, rec: store.AuditRecord{PlanID: "p1", Action: approval.Applied}},
					update{step: step{record: true}, channel: channel, ts: "1.1", msg: message{text: "outcome"}},
				}
			},
			want: []string{"update C0OPS 1.1: outcome"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := &fakeSlack{fail: tt.fail}
			st := store.NewMemory()
			x := executor{slack: ctxSlack{fs}, store: st, tell: func(ctx context.Context, who request, text string) {
				_, _ = fs.PostEphemeralContext(ctx, who.channelID, who.userID, slack.MsgOptionText(text, false))
			}}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			err := x.run(ctx, nil, tt.effs(cancel))
			if (err != nil) != tt.wantErr {
				t.Errorf("run: err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, fs.sent()); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if tt.name == "record after the handler's end" {
				if recs, _ := st.Audit(t.Context(), "p1"); len(recs) != 1 {
					t.Errorf("%d audit records, want the one recorded after the end", len(recs))
				}
			}
		})
	}
}

// ctxSlack makes the fake honour a done context, as slack-go does.
type ctxSlack struct{ *fakeSlack }

func (c ctxSlack) PostMessageContext(ctx context.Context, ch string, opts ...slack.MsgOption) (string, string, error) {
	if err := ctx.Err(); err != nil {
		return "", "", err
	}
	return c.fakeSlack.PostMessageContext(ctx, ch, opts...)
}

func (c ctxSlack) UpdateMessageContext(ctx context.Context, ch, ts string, opts ...slack.MsgOption) (string, string, string, error) {
	if err := ctx.Err(); err != nil {
		return "", "", "", err
	}
	return c.fakeSlack.UpdateMessageContext(ctx, ch, ts, opts...)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func blocksJSON(t *testing.T, m message) string {
	t.Helper()
	raw, err := json.Marshal(m.blocks)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
