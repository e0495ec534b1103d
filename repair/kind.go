package repair

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/store"
)

// Kind is what kind of failure an error is, as a person must be told about
// it: which component failed and how. It is the one classification every
// front end shares; a front end maps kinds to its own words and never
// inspects an error itself. A new kind of failure gets a constant here, a
// case in [KindOf] and a row in the test; a new front end gets one switch
// over [Classify].
type Kind int

// The kinds of failure, from [KindOf].
const (
	// KindUnknown is an error nothing below describes.
	KindUnknown Kind = iota
	// KindNotFound: Jira does not show the project (it does not exist, or
	// the account may not see it). Failure.Project names it.
	KindNotFound
	// KindNotApplicable: the project is not one jsmbot repairs (not a
	// company-managed service project).
	KindNotApplicable
	// KindForbidden: Jira refused the account. Failure.Permission names
	// the missing permission when it is known, Failure.Op what was refused.
	KindForbidden
	// KindUnauthenticated: Jira rejected the credentials (401).
	KindUnauthenticated
	// KindRateLimited: Jira throttled us and the retries ran out;
	// Failure.RetryAfter says how long it asked us to wait, Failure.Reason
	// its RateLimit-Reason.
	KindRateLimited
	// KindJiraUnavailable: Jira answered 502, 503 or 504 and the retries
	// ran out. Failure.Status is the last status.
	KindJiraUnavailable
	// KindJiraTimeout: Jira did not answer in time.
	KindJiraTimeout
	// KindJiraUnreachable: no connection to Jira could be made or kept.
	KindJiraUnreachable
	// KindRedisUnavailable: the state store (Redis) did not answer.
	KindRedisUnavailable
	// KindSlackUnavailable: Slack's Web API did not answer (set by the
	// caller with [Mark]).
	KindSlackUnavailable
	// KindSlackRateLimited: Slack throttled us; Failure.RetryAfter says
	// for how long.
	KindSlackRateLimited
	// KindListenFailed: the ops HTTP listener could not listen (set by the
	// caller with [Mark]).
	KindListenFailed
	// KindStale: the project changed since the plan was made; nothing was
	// applied.
	KindStale
	// KindCancelled: the work was cancelled (shutdown, the user gave up).
	KindCancelled
	// KindConfig: the configuration is wrong (set by the caller with
	// [Mark]).
	KindConfig
	// KindBadResponse: Jira's address answered, but not with Jira's JSON
	// (an HTML page: a login page, a proxy, a host that is not Jira).
	KindBadResponse
	// KindWrongBaseURL: the base URL does not lead to Jira's REST API:
	// a 404 that is not Jira's JSON, or (set by the caller with [Mark])
	// a 404 for a path every Jira has.
	KindWrongBaseURL
)

var kindNames = [...]string{
	KindUnknown:          "unknown",
	KindNotFound:         "not found",
	KindNotApplicable:    "not applicable",
	KindForbidden:        "forbidden",
	KindUnauthenticated:  "unauthenticated",
	KindRateLimited:      "rate limited",
	KindJiraUnavailable:  "jira unavailable",
	KindJiraTimeout:      "jira timeout",
	KindJiraUnreachable:  "jira unreachable",
	KindRedisUnavailable: "redis unavailable",
	KindSlackUnavailable: "slack unavailable",
	KindSlackRateLimited: "slack rate limited",
	KindListenFailed:     "listen failed",
	KindStale:            "stale",
	KindCancelled:        "cancelled",
	KindConfig:           "config",
	KindBadResponse:      "bad response",
	KindWrongBaseURL:     "wrong base url",
}

// String names the kind for logs and metrics, e.g. "redis unavailable".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// Mark tags err with kind k, for failures of components repair does not
// own (a Slack call, the ops HTTP listener), so that [KindOf] names the
// right component. The text and the chain of err are unchanged. Of several
// marks in a chain the outermost wins. Mark(k, nil) is nil.
func Mark(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &markedError{kind: k, err: err}
}

type markedError struct {
	kind Kind
	err  error
}

func (e *markedError) Error() string { return e.err.Error() }
func (e *markedError) Unwrap() error { return e.err }

// KindOf classifies err; see [Kind] for what each kind means. Nil is
// [KindUnknown].
func KindOf(err error) Kind { return Classify(err).Kind }

// Failure is an error classified: its [Kind] and the details a person
// should be told. Every field but Kind may be empty.
type Failure struct {
	Kind Kind
	// Project is the key of the project the error was about, from a
	// [*ProjectError].
	Project string
	// Op is what Jira refused, e.g. "read the roles of HELP", and
	// Permission the Jira permission the account needs, from a
	// [*PermissionError].
	Op         string
	Permission string
	// RetryAfter is how long Jira or Slack asked us to wait.
	RetryAfter time.Duration
	// Reason is Jira's RateLimit-Reason, e.g. "jira-burst-based".
	Reason string
	// Status is Jira's HTTP status, when Jira answered.
	Status int
	// JiraMessages are Jira's errorMessages. They may quote URLs and
	// user data: fit for an admin's terminal, never for chat.
	JiraMessages []string
}

// Classify classifies err and extracts the details a message about it
// needs. Its rules, first match wins:
//
//   - a [Mark]: its kind (the outermost);
//   - context.Canceled: [KindCancelled];
//   - a [*StaleError]: [KindStale];
//   - a [*PermissionError]: [KindForbidden], with the permission;
//   - [store.ErrUnavailable]: [KindRedisUnavailable];
//   - Jira's 401, 429: [KindUnauthenticated], [KindRateLimited];
//   - an answer that is not JSON: [KindBadResponse] for a 2xx,
//     [KindWrongBaseURL] for a 404;
//   - a [*ProjectError] that is Missing: [KindNotFound];
//   - Jira's 403: [KindForbidden]; its 502, 503, 504: [KindJiraUnavailable];
//   - a *slack.RateLimitedError: [KindSlackRateLimited];
//   - a [*jira.TransportError]: [KindJiraTimeout] for a deadline or a
//     timeout, else [KindJiraUnreachable];
//   - [diagnosis.ErrNotApplicable]: [KindNotApplicable].
//
// A network error that does not come from the jira client is
// [KindUnknown]: naming a component needs proof that it failed.
func Classify(err error) Failure {
	var (
		f   Failure
		me  *markedError
		pe  *PermissionError
		ke  *ProjectError
		ae  *jira.APIError
		te  *jira.TransportError
		rle *slack.RateLimitedError
		ne  net.Error
	)
	if err == nil {
		return f
	}
	if errors.As(err, &ke) {
		f.Project = ke.Key
	}
	if errors.As(err, &ae) {
		f.Status, f.RetryAfter, f.Reason, f.JiraMessages = ae.StatusCode, ae.RetryAfter, ae.RateLimitReason, ae.Messages
	}
	if errors.As(err, &pe) {
		f.Op, f.Permission = pe.Op, pe.Permission
	}
	isSlackRateLimit := errors.As(err, &rle)
	if isSlackRateLimit && ae == nil {
		f.RetryAfter = rle.RetryAfter
	}
	fromJira := errors.As(err, &te)
	switch {
	case errors.As(err, &me):
		f.Kind = me.kind
	case errors.Is(err, context.Canceled):
		f.Kind = KindCancelled
	case errors.Is(err, ErrStale):
		f.Kind = KindStale
	case pe != nil:
		f.Kind = KindForbidden
	case errors.Is(err, store.ErrUnavailable):
		f.Kind = KindRedisUnavailable
	case errors.Is(err, jira.ErrUnauthorized):
		f.Kind = KindUnauthenticated
	case errors.Is(err, jira.ErrRateLimited):
		f.Kind = KindRateLimited
	case jira.IsBadResponse(err):
		f.Kind = KindBadResponse
	case ae != nil && ae.NotJSON && ae.StatusCode == http.StatusNotFound:
		f.Kind = KindWrongBaseURL
	case ke != nil && ke.Missing:
		f.Kind = KindNotFound
	case errors.Is(err, jira.ErrForbidden):
		f.Kind = KindForbidden
	case ae != nil && ae.Retryable():
		f.Kind = KindJiraUnavailable
	case isSlackRateLimit:
		f.Kind = KindSlackRateLimited
	case fromJira && (errors.Is(te, context.DeadlineExceeded) || errors.As(te, &ne) && ne.Timeout()):
		f.Kind = KindJiraTimeout
	case fromJira:
		f.Kind = KindJiraUnreachable
	case errors.Is(err, diagnosis.ErrNotApplicable):
		f.Kind = KindNotApplicable
	}
	return f
}
