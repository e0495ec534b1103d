// Package jirasim is an in-process simulator of the Jira Cloud platform REST
// API (v3) and the Jira Service Management REST API, limited to the
// operations jsmbot uses: projects, permission schemes and grants, project
// roles, the caller's permissions, what an account may really do
// (POST permissions/check, answered from the schemes: see check.go), the
// audit log of scheme changes (see audit.go), users, service desks and their
// customers.
//
// # Usage
//
// [NewServer] starts the simulator on a loopback port and registers its
// Close with the test ([New] leaves closing to the caller); point the code under test at [Server.URL], which
// already ends in a non-empty base path ([DefaultBasePath]) the way OAuth
// gateway URLs (https://api.atlassian.com/ex/jira/{cloudId}) do. A request
// that drops the base path gets a 404. Every request must carry Basic
// credentials ([DefaultEmail], [DefaultToken] unless [WithCredentials]) or
// a Bearer token from the simulated OAuth 2.0 token endpoint,
// [Server.TokenURL] (client credentials [DefaultClientID],
// [DefaultClientSecret]; see oauth.go): tokens expire on the server's clock
// after [DefaultTokenLifetime] unless [WithTokenLifetime], and
// [Server.SiteURL]+[TenantInfoPath] answers the site's cloudId.
//
// The site is seeded with named scenarios ([WithSeed]; all of them by
// default), one Jira project per broken (or healthy) state the bot must
// recognise, or with a fleet of up to thousands of projects on a few shared
// schemes ([WithFleet], laid out deterministically: see [Fleet]). Tests can seed their own sites with [Server.AddScheme],
// [Server.AddProject], [Server.AddUser] and [Server.AddCustomers], and assert
// on state with [Server.SchemeGrants], [Server.ProjectSchemeID] and friends.
// [Server.RemoveGrants] and [Server.AssignScheme] change a site behind the
// client's back; every change to schemes, through the API or the helpers,
// lands in the audit log with its author ([Server.SetChangeAuthor]) and
// time ([WithClock]).
//
// # Faithful on the wire
//
// Response bodies, status codes and paging follow the Atlassian OpenAPI
// documents and the project's reference notes: Jira's ErrorCollection body
// (errorMessages plus an errors map) on the platform API, JSM's ErrorResponse
// (errorMessage plus i18nErrorMessage) on /rest/servicedeskapi, isLast/nextPage
// paging on the platform and start/limit/isLastPage/_links paging on JSM,
// grants only when expand asks for them, 400 (not 404) when deleting an
// unknown grant, 412 for experimental JSM operations called without
// X-ExperimentalApi: opt-in. The page size is capped at 2 by default
// ([WithPageSize]) so that every test exercises pagination.
//
// The simulator deliberately has its own wire structs and imports no other
// package of this module, not even the jira client: if the two shared
// structs, a wrong JSON tag would be wrong on both sides and every test would
// still pass.
//
// # Faults, latency and the request log
//
// [WithBurstLimits] (or [Server.SetBurstLimits]) enforces Jira Cloud's
// burst limits, a token bucket per endpoint and method answered with 429,
// Retry-After and RateLimit-Reason: jira-burst-based (see burst.go); they
// are off by default. [Server.FailNext] and [Server.RateLimit] inject error
// responses,
// [Server.SetLatency] delays every answer, [Server.SetGlobalPermission] and
// [Server.SetProjectPermission] take rights away from the caller,
// [Server.SetUserActive] and [Server.SetAccountBlocked] make an account
// denied although the scheme grants it (inactive, or blocked by a cause the
// scheme does not show), and
// [Server.Requests] returns every request received, in arrival order, with
// the status it got.
//
// # Time
//
// [WithClock] gives the simulator a clock for audit record times and for
// refilling the burst buckets, so tests advance a fake clock instead of
// sleeping. Latency is implemented with a plain timer, so it runs on the fake clock
// inside a testing/synctest bubble, provided the waiting happens in a bubble
// goroutine. Requests through a real socket are served by goroutines of the
// simulator's HTTP server (outside any bubble) and a goroutine blocked on a socket is
// never durably blocked; inside a bubble use [Server.Client], whose transport
// serves requests in the calling goroutine without touching the network.
//
// # Where new things go
//
// A new operation is a handler next to its kind (platform.go, jsm.go, or a
// file of its own such as check.go and audit.go), one line in routes.go,
// and success and error cases in conformance_test.go, whose list of covered
// operations must name it. A new seeded state is a [Scenario] in
// scenarios.go; a new fault, a method in faults.go.
//
// # Concurrency
//
// All methods of [Server] are safe for concurrent use, also while requests
// are being served.
package jirasim
