// Package bot is jsmbot's Slack front end: a Socket Mode bot that diagnoses
// Jira Service Management permission schemes on request and applies an
// approved repair through the shared [repair.Engine].
//
// # Surface
//
// commands.go is the whole Slack surface in one table, one entry per thing
// a user can do: the /jsm subcommands (diagnose KEY, report [KEY]
// [emails…], audit, help; anything else gets the help), the buttons, the message
// shortcut, the report form's submission, the channel events the detector
// listens for and the bot scopes. A subcommand's entry owns its parser, its
// ack (computed without I/O, so an ack never waits for work), its lane (the
// ordinary workers, or the fast lane of lane.go for work that opens a modal
// or answers in its ack), its help and its handler; buttons, shortcuts and
// modals own their lane, help and handler. /jsm help is generated from the
// table, and so is the Slack app manifest: [SlackSurface] describes the
// surface as plain values and internal/manifest writes the manifest from
// them.
//
// # Adding to the surface
//
// A slash subcommand is one entry in commands() and its handler; help, the
// ack, the lane, the manifest's usage hint and the routing follow from the
// entry. /jsm audit, for example:
//
//	{
//		name:        "audit",
//		description: "Audit every service project of the site.",
//		example:     slashCommand + " audit",
//		parse: func(args []string) (parsedCommand, string) {
//			if len(args) > 0 {
//				return parsedCommand{}, "audit takes no arguments."
//			}
//			return parsedCommand{}, ""
//		},
//		ack:    func(parsedCommand) string { return "Auditing the site…" },
//		handle: (*Bot).auditCommand, // on the ordinary workers: lane is nil
//	},
//
// An argument the existing ones do not cover adds a field to parsedCommand.
//
// A button is one entry in actions(): an exported Action* ID, its help, its
// lane and its handler; the renderer puts the ID on the message. A message
// shortcut is an entry in shortcuts() and reaches the manifest with its
// callback ID; a modal's submission is an entry in viewCallbacks(), on the
// fast lane. A channel event is an entry in listeners() and a bot scope one
// in scopes(), each saying why it is needed.
//
// # Deciding and doing
//
// Handlers decide; one executor acts (exec.go). A handler reads what it
// needs (the plan a button names, a diagnosis, a user group's members),
// wins the compare-and-sets its decision turns on (the claim on a
// message, the plan's move to applying), and returns everything else as a
// list of effects: posts, updates, ephemerals, view opens, plan and offer
// saves, state transitions and audit records. Pure functions build those
// lists (offered, finished, dismissed, expired, denied, detected…), so
// tests compare them as values without Slack; the executor carries them
// out, in order, with each step's failure policy (go on, stop, abort, or
// run something else instead) and budget. A step that needs an earlier
// post's ts names it, which keeps "no button before its plan is stored"
// in one list: post without buttons, save the plans with that ts, add
// the buttons. Steps that record an outcome run on a budget of their own
// each, detached from the handler's context, and retry transient failures
// (Slack's 429 after its Retry-After, a Slack 5xx or lost answer, a Redis
// that did not answer) with a backoff on [Config.Sleep]'s clock; a message
// update or audit record that still fails is left in the store for the
// reconciler, which retries it on every pass (unrecorded.go).
//
// The approval lifecycle's decisions themselves (the policy, the offered
// plans and their records, the claim, the transitions, the outcome of an
// apply, the audit records) are platform-neutral and live in package
// approval; this package is their Slack front end: Block Kit rendering,
// Slack's IDs and the executor.
//
// # Where new things go
//
//   - A slash subcommand, a button, a message shortcut or a modal: one
//     entry in commands.go's tables, with its handler. The handler reads,
//     decides with a pure function returning []effect, and hands the list
//     to b.exec.run; the pure function gets a value test beside the
//     others (values_test.go).
//   - A new kind of effect: a type in exec.go and its case in
//     executor.do; nothing else calls Slack or writes the store.
//   - A diagnosis rule: package diagnosis (rules.go); the bot renders
//     every finding it returns.
//   - A rule about who may approve, or a new outcome of an apply:
//     package approval.
//   - A second chat front end (Microsoft Teams): a package of its own
//     beside bot that uses repair.Engine, package approval and store.Store
//     as this one does, with its own rendering and executor; repair,
//     diagnosis and store need no change.
//
// # Reports of failed invites
//
// The message shortcut "Customer invite failed", /jsm report and the
// detector (channel messages carrying Atlassian's "could not be added"
// text, when [Config.DetectReports] is on) lead into one flow (report.go):
// a form filled in from the message, then a diagnosis answered in the
// message's thread. When the permission rules explain the failure the
// report offers the repair, and its plans remember the emails, so that an
// approved, verified repair is followed by adding each customer again;
// otherwise it lists what Jira says about each customer and the causes
// the API cannot see. Modals and form submissions, which Slack wants
// answered within 3 seconds, run on a small fast lane (lane.go) that never
// queues behind diagnoses.
//
// # The fleet
//
// /jsm audit (audit.go) audits every service project of the site through
// [repair.Engine.Audit]: a progress message updated while the site is
// scanned becomes the summary (a table block within Block Kit's limits,
// the full list in its thread when it does not fit), and each broken
// scheme is offered in the thread as a normal in-place plan from
// [repair.Engine.PlanScheme], approved through the Approve path and
// followed by a diagnosis of every project on the scheme. The App Home
// tab (home.go) shows the last audit, kept in a store blob, and the
// pending plans. The engine's site index lives in the store
// ([NewIndexStore]) and [Bot.KeepIndexFresh] refreshes it in the
// background, one replica at a time, so that no diagnosis or approval
// scans the site inside its handler's timeout.
//
// # Transport
//
// [Bot.Run] reads the Events channel of a slack-go socketmode client. It
// acknowledges every envelope at once, before any other I/O (a slash
// command's ack carries its immediate answer), then hands the envelope to
// a bounded pool of workers. It never waits for a worker: the work is
// queued, without blocking, before the ack, and when the queue is full the
// ack says the bot is busy instead (bot.go refuse; a click is told in an
// ephemeral message, an event logged), every refusal counted through
// [Observer]. A worker first de-duplicates it on its
// envelope_id (and an Events API event_id, and a command's or click's
// trigger_id, which a redelivery in a new envelope keeps) through
// [store.Store.MarkOnce], so Slack's redeliveries and several replicas
// sharing one Redis handle it once. internal/slackrun sets the socket's
// ping interval so that a half-open socket is noticed within 15 s, and
// the Web API client's retries of rate-limited calls. Envelopes slack-go cannot decode are acknowledged by their raw id.
//
// # Approval
//
// A detected report's Diagnose button carries the ID of a
// [store.OfferRecord], which holds what the message said; it is not a
// plan, and a plan's button given its ID does nothing.
//
// A diagnosis that finds a broken scheme is posted with an Approve button
// per repair mode (both in-place and copy when the scheme is shared) and a
// Dismiss button. Each offered plan is saved in the store before its
// button appears; a button carries only the plan's unguessable ID. The
// policy is deny by default: only [Config.Approvers] (user IDs, or user
// groups whose members are looked up with usergroups.users.list) may
// approve, and not their own request unless [Config.AllowSelfApproval].
// A refusal is an ephemeral message and an audit record; nothing else
// changes.
//
// An approval must win, in this order, a store marker for the message (so
// one decision is taken across both modes, Dismiss and every replica) and
// the plan's compare-and-set from pending to applying. The message then
// shows "applying", the engine re-reads Jira and applies the plan only if
// nothing changed since the diagnosis (otherwise nothing is written and a
// fresh diagnosis is posted in the thread), verifies the result, and the
// message shows exactly what Jira now holds (a change whose outcome is
// unknown "may have been applied"), with what Jira says about one real
// customer of the desk. Every decision is written to the audit trail and
// summarized in the message's thread. Plans expire after [Config.PlanTTL].
//
// # Leases and the reconciler
//
// The approval records this replica ([Config.Owner]) and a lease
// ([Config.Lease]) the owner renews while it applies (reconcile.go), on
// the bot's clock ([Config.Now], [Config.Sleep]); after each write lands
// (repair.WithProgress) the renewal stores the record so far, so the
// exact grant ids survive a crash. Run reconciles at start and every
// [Config.ReconcileInterval], one replica at a time through the store's
// "reconciler" lease, which a stopping replica gives up: an applying plan
// whose lease ran out is settled from what Jira holds
// (repair.Engine.Settle), never re-applied; the plan, the message and one
// audit record follow, an orphan copy is deleted, and a fresh diagnosis is
// offered when problems remain.
//
// # Undo
//
// An applied repair's message carries an Undo button (undo.go), behind a
// confirm dialog that says customers lose access again. Approvers only;
// within [Config.UndoWindow] of the apply (approval.CanUndo); the first
// click wins the plan's compare-and-set from applied to undone
// (approval.Undoing), and only then does repair.Engine.Undo restore,
// from the stored record, exactly what the repair changed. The message
// lists what was restored and what was left alone (and why), the
// diagnosis after the undo and the customer check; an undone audit record
// follows in the thread.
//
// # Errors
//
// Users never see err.Error(): one function turns an error into friendly
// text (project not found, Jira throttling with when to retry, a missing
// Jira permission…) or "Something went wrong (ref …)", and the full error
// is logged once with the same ref.
//
// # Shutdown
//
// When Run's context ends it stops reading envelopes and lets in-flight
// work finish within [Config.DrainTimeout] on a context of its own, so a
// repair under way records its outcome, then returns. While a repair is
// under way the drain waits longer: [Config.WriteBudget] for each write it
// has not tried yet, up to [Config.MaxDrain]. When even that runs out the
// repair stops after the write under way and is left applying, with the
// writes it recorded and its lease ended, for the reconciler (the log says
// so); a click a worker reaches then is told that jsmbot is restarting and
// changes nothing. Closing the store is the caller's job.
package bot
