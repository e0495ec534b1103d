// Package jira is a small client for the parts of the Jira Cloud platform
// REST API (v3) and the Jira Service Management API that jsmbot needs:
// projects, permission schemes and their grants, project roles, service
// desks, customers and the caller's own permissions.
//
// # Authentication
//
// [NewClient] takes a base URL, an Atlassian account email and an API token
// and sends them as HTTP Basic auth. The base URL may carry a path, as the
// API gateway form https://api.atlassian.com/ex/jira/{cloudId} does; every
// request path is appended to it. The token never appears in errors or logs.
//
// With [WithClientCredentials] (a service account's OAuth 2.0 credential;
// email and token "") it sends Bearer tokens instead, got from the token
// endpoint, kept, renewed [RenewBefore] their expiry and once on a 401
// (see auth.go, where everything about signing in lives). A refused
// credential is a [*TokenError] matching [ErrTokenRefused]. [CloudID] reads
// a site's cloudId for the gateway URL.
//
// # Errors
//
// Every non-2xx answer becomes one [*APIError] carrying the status, the
// method and path, Jira's errorMessages and errors map (or JSM's
// errorMessage), and the rate-limit headers. errors.Is works against
// [ErrNotFound], [ErrUnauthorized], [ErrForbidden], [ErrRateLimited] and
// [ErrBadRequest]; errors.As gives the detail. A request that got no answer
// (the connection failed, the timeout passed, or the context ended) returns
// a [*TransportError]; errors.Is(err, context.Canceled) and the like see the
// cause through it.
//
// # Rate limits and retries
//
// 429 answers are retried for every method: a 429 means Jira did not process
// the request. 502, 503, 504 and transport errors are retried only for
// idempotent methods, so a POST that may have been applied is never sent
// twice blindly; a POST is retried after a transport error only when the
// connection could not be made at all. Waits honour Retry-After, then X-RateLimit-Reset, then a
// jittered exponential backoff. When Jira asks for a longer wait than the
// client's budget, or the attempts run out, the last [*APIError] is returned
// with RetryAfter set so callers can say when to try again.
//
// # Pacing
//
// Jira Cloud counts its burst limits per endpoint and method, so the client
// paces each endpoint (method and path template, as [Call.Endpoint] names
// it) with a token bucket of its own, shared by every caller of the
// [Client]: by default at 85% of the endpoint's documented limit
// ([DefaultRate], [WithRate], [WithEndpointRate]), so that a fan-out of
// hundreds of reads is never refused. Every attempt, retries included,
// waits for its turn before it is sent (pace.go). A 429 pauses every caller
// of that endpoint until its Retry-After has passed (every endpoint, for a
// quota limit), halves the endpoint's pace and lets it climb back over a
// few seconds; a caller that would have to wait longer than the client's
// budget gets the 429 at once, with RetryAfter set. Pacing is per client:
// processes sharing one site share its limits and should divide the rate.
//
// # Pagination
//
// Platform lists page with startAt/maxResults/isLast and JSM lists with
// start/limit/isLastPage. Methods that list return one page; iterators such
// as [Client.Projects] follow the pages, stop when the caller stops, and
// give up after a fixed number of pages so a misbehaving server cannot make
// them run forever.
//
// # Concurrency
//
// A [Client] is safe for concurrent use by multiple goroutines.
package jira
