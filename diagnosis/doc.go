// Package diagnosis is jsmbot's pure core: it decides whether a Jira Service
// Management project's permission scheme is broken, explains why in words an
// admin understands, and turns the fix into a repair [Plan] as plain data.
//
// # Inputs and outputs
//
// The caller reads Jira and fills a [Snapshot]: the project, its permission
// scheme with every grant, the site's project roles (name → id), the other
// projects sharing the scheme and the names of all schemes. [Diagnose] turns
// it into a [Report]; [NewPlan] turns it into a [Plan]; [Digest] fingerprints
// the state a plan was made from so it is applied only while that state still
// holds; [ApplyTo] computes the grants a scheme has after a plan (the body of
// a copy). [ApplicabilityOf] decides which projects jsmbot diagnoses and
// repairs at all; every other package asks it rather than deciding itself.
//
// Nothing here does I/O, reads a clock, uses randomness or lets map iteration
// order leak into a result: the same snapshot always gives byte-identical
// JSON. A test enforces that the package imports only pure standard-library
// packages.
//
// # Rules
//
// The rules are an ordered table; each has a name (the Rule* constants), a
// severity, a predicate and an explanation, and the critical ones carry their
// own repair. They match holders on REST type strings and roles on role
// names resolved through [Snapshot.Roles], never on UI labels:
//
//   - not-applicable: not a service project, or team-managed. The report is
//     not applicable and not healthy (nothing can be diagnosed), and no other
//     rule runs.
//   - portal-access (critical): the Portal Access security type lacks Browse
//     Projects or Create Issues, the cause of "Successfully added 0
//     customers".
//   - customers-role (critical): a permission is granted to the Service Desk
//     Customers role; customer grants belong to the security type.
//   - admin-mandatory (critical): the Administrators role lacks Administer
//     Projects. When the site has no role named Administrators the rule
//     cannot check and reports a warning instead: there is no role to grant
//     to, so nothing could be repaired automatically.
//   - default-drift (warning): a default grant of the Administrators role,
//     the Service Desk Team role or Portal Access ([DefaultGrants]) is
//     missing. Grants already reported by an earlier rule are not repeated,
//     and an unresolvable role is reported once.
//
// Findings are sorted by severity, then rule order, then holder, then
// permission. Identical findings (duplicate grants) are reported once.
//
// # Repairs
//
// A plan fixes critical findings only. Warnings are never repaired
// automatically: an admin may have removed a default on purpose. A plan adds
// the missing Portal Access and Administer Projects grants and removes every
// Service Desk Customers role grant, either in place (every project on the
// scheme is affected, listed in [Plan.Affects]) or on a copy named the way
// Jira's own "Fix permissions" button names it ([ModeCopy]).
//
// # Words
//
// The words every front end uses for holders, grants, plans and shared
// schemes live here ([HolderName], [SharedWords], [DescribePlan]); a front
// end picks only its [Marks] (how names are set apart) and its layout, so the
// terminal and Slack say the same thing. Words for a new kind of change go
// here, or, for a step of package repair, next to it (repair.Change.Words).
package diagnosis
