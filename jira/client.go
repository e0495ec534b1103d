package jira

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// Defaults applied by [NewClient]. DefaultMaxRetries and DefaultTimeout can
// be changed with an [Option]; DefaultMaxWait is the longest wait before one
// retry: when Jira's Retry-After asks for more, the client gives up at once
// and reports when to retry instead of waiting.
const (
	DefaultMaxRetries = 4
	DefaultMaxWait    = 30 * time.Second
	DefaultTimeout    = 30 * time.Second
	userAgent         = "jsmbot (+https://github.com/jsmbot/jsmbot)"
	// maxBodyBytes bounds every response body read, errors included.
	maxBodyBytes = 8 << 20
	// maxPages bounds every iterator, so a server that never says "last
	// page" cannot keep one running.
	maxPages = 1000
)

// Client talks to one Jira Cloud site. Create it with [NewClient].
type Client struct {
	r        *resty.Client
	log      *slog.Logger
	policy   retryPolicy
	observer Observer
	pace     *pacer      // nil: unpaced (pace.go)
	tokens   *tokenCache // nil: Basic auth
}

// Option configures a [Client].
type Option func(*options)

type options struct {
	httpClient *http.Client
	maxRetries int
	minWait    time.Duration
	timeout    time.Duration
	logger     *slog.Logger
	observer   Observer
	// rate and endpointRates configure the pacer (pace.go).
	rate          float64
	endpointRates map[string]float64
	oauth         *clientCredentials // nil: Basic auth
}

// WithHTTPClient makes the client send requests through hc, for custom
// transports and proxies. Its Timeout is replaced by the client's timeout.
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.httpClient = hc } }

// WithMaxRetries sets how many times a request is retried after the first
// attempt (default [DefaultMaxRetries]). Zero disables retries.
func WithMaxRetries(n int) Option { return func(o *options) { o.maxRetries = max(n, 0) } }

// WithRetryWait sets the shortest wait before a retry that Jira gave no
// Retry-After for (default 500ms); the wait doubles, with jitter, at each
// further attempt. Tests shorten it so that retries take no real time.
func WithRetryWait(d time.Duration) Option { return func(o *options) { o.minWait = max(d, 0) } }

// WithTimeout bounds each HTTP attempt (default [DefaultTimeout]).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithLogger sets the logger for retries and transport warnings (default:
// discard). Nothing logged carries credentials.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Observer receives what the client does, for metrics. Either function may
// be nil; both must be safe for concurrent use and quick.
type Observer struct {
	// Call is told about every finished call, after its last attempt.
	Call func(Call)
	// Retry is told about every attempt that is about to be repeated.
	Retry func(Retry)
}

// Call describes one finished call to Jira.
type Call struct {
	Method string
	// Endpoint is the path template, e.g.
	// /rest/api/3/project/{projectIdOrKey}: ids are left out so it can be a
	// metric label.
	Endpoint string
	// Status is the last answer's status code, 0 when none came.
	Status   int
	Attempts int
	Duration time.Duration
}

// Retry describes one attempt that is repeated.
type Retry struct {
	Method, Endpoint string
	// Status is the attempt's status code, 0 for a transport error.
	Status int
	// Reason is Jira's RateLimit-Reason for a 429.
	Reason string
}

// WithObserver makes the client report calls and retries to o.
func WithObserver(o Observer) Option { return func(opts *options) { opts.observer = o } }

// NewClient returns a client for the Jira site at baseURL
// (https://your-site.atlassian.net, or the gateway form
// https://api.atlassian.com/ex/jira/{cloudId}), authenticating as email
// with apiToken, or with OAuth 2.0 client credentials when
// [WithClientCredentials] is given (email and apiToken ""). It does no I/O.
func NewClient(baseURL, email, apiToken string, opts ...Option) (*Client, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	o := options{
		maxRetries: DefaultMaxRetries,
		minWait:    500 * time.Millisecond,
		timeout:    DefaultTimeout,
		rate:       DefaultRate,
	}
	for _, opt := range opts {
		opt(&o)
	}
	var problems []error
	if o.oauth != nil {
		problems = append(problems, o.oauth.check(email, apiToken))
	} else {
		if strings.TrimSpace(email) == "" {
			problems = append(problems, errors.New("jira: email is empty"))
		}
		if strings.TrimSpace(apiToken) == "" {
			problems = append(problems, errors.New("jira: API token is empty"))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	hc := &http.Client{}
	if o.httpClient != nil {
		copied := *o.httpClient
		hc = &copied
	}
	hc.Timeout = o.timeout
	var tokens *tokenCache
	if o.oauth != nil {
		bt := o.oauth.transport(hc.Transport, hc)
		hc.Transport, tokens = bt, bt.cache
	}

	c := &Client{
		log:      o.logger,
		policy:   retryPolicy{maxRetries: o.maxRetries, maxWait: DefaultMaxWait},
		observer: o.observer,
		pace:     newPacer(o.rate, o.endpointRates, DefaultMaxWait),
		tokens:   tokens,
	}
	c.r = resty.NewWithClient(hc).
		SetBaseURL(base).
		SetHeader("User-Agent", userAgent).
		SetHeader("Accept", "application/json").
		SetLogger(restyLogger{o.logger}).
		SetResponseBodyLimit(maxBodyBytes).
		SetRetryCount(o.maxRetries).
		SetRetryWaitTime(o.minWait).
		// resty clamps every wait, Retry-After included, to this maximum
		// (2 s by default). Raise it past our own budget so the header is
		// honoured; retryPolicy.retry refuses waits beyond the budget.
		SetRetryMaxWaitTime(DefaultMaxWait + time.Second).
		SetRetryAfter(c.policy.wait).
		AddRetryCondition(c.policy.retry).
		AddRetryHook(c.logRetry).
		OnBeforeRequest(c.paceRequest).
		OnAfterResponse(c.noteResponse)
	if o.oauth == nil {
		c.r.SetBasicAuth(email, apiToken)
	}
	return c, nil
}

// request describes one call for [Client.do].
type request struct {
	method string
	// path is below the base URL, starting with /rest/. It is a template
	// whose {name} parts are filled from params, escaped: the template
	// names the endpoint in logs and metrics without the ids.
	path   string
	params map[string]string
	query  url.Values
	header map[string]string
	body   any
}

// do sends one request and decodes a 2xx JSON body into out (when out is
// not nil). Every other outcome is an error: an [*APIError] for a Jira
// answer, or a [*TransportError] wrapping ctx.Err() when the context ended
// or the transport's error.
func (c *Client) do(ctx context.Context, rq request, out any) error {
	start := time.Now()
	ctx = context.WithValue(ctx, endpointKey{}, rq.path)
	r := c.r.R().SetContext(ctx).SetHeaders(rq.header).SetPathParams(rq.params)
	if rq.query != nil {
		r.SetQueryParamsFromValues(rq.query)
	}
	if rq.body != nil {
		r.SetHeader("Content-Type", "application/json").SetBody(rq.body)
	}
	if out != nil {
		r.SetResult(out)
	}
	resp, err := r.Execute(rq.method, rq.path)
	c.observeCall(rq, resp, start)
	if ctxErr := ctx.Err(); ctxErr != nil {
		// Wrapped, so that a caller can tell Jira kept it waiting from
		// its own deadline passing elsewhere; errors.Is still matches.
		return &TransportError{Method: rq.method, Path: expandPath(rq), Err: ctxErr}
	}
	var paused *APIError
	if errors.As(err, &paused) {
		return paused // the pacer refused: Jira asked for a longer wait than the budget
	}
	if err != nil {
		// resty's transport errors quote the full URL; it carries no
		// secrets (auth is a header), but the path is what matters.
		return &TransportError{Method: rq.method, Path: expandPath(rq), Err: unwrapURLError(err)}
	}
	return checkResponse(resp, rq.method, expandPath(rq))
}

// expandPath fills the template's parameters, for error messages.
func expandPath(rq request) string {
	p := rq.path
	for k, v := range rq.params {
		p = strings.ReplaceAll(p, "{"+k+"}", url.PathEscape(v))
	}
	return p
}

// unwrapURLError drops *url.Error's "Get \"https://…\"" prefix, which repeats
// what do already says.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// endpointKey carries a request's path template to the retry hook, which
// resty calls with the expanded URL only.
type endpointKey struct{}

func (c *Client) observeCall(rq request, resp *resty.Response, start time.Time) {
	if c.observer.Call == nil {
		return
	}
	call := Call{Method: rq.method, Endpoint: rq.path, Duration: time.Since(start), Attempts: 1}
	if resp != nil {
		if resp.Request != nil {
			call.Attempts = max(resp.Request.Attempt, 1)
		}
		if resp.RawResponse != nil {
			call.Status = resp.StatusCode()
		}
	}
	c.observer.Call(call)
}

func (c *Client) logRetry(resp *resty.Response, err error) {
	if c.observer.Retry != nil && resp != nil && resp.Request != nil {
		r := Retry{Method: resp.Request.Method}
		r.Endpoint, _ = resp.Request.Context().Value(endpointKey{}).(string)
		if resp.RawResponse != nil {
			r.Status, r.Reason = resp.StatusCode(), resp.Header().Get("RateLimit-Reason")
		}
		c.observer.Retry(r)
	}
	attrs := []any{}
	if resp != nil && resp.Request != nil {
		attrs = append(attrs, "method", resp.Request.Method, "path", sanitizePath(resp.Request.URL), "attempt", resp.Request.Attempt)
		if resp.RawResponse != nil {
			attrs = append(attrs, "status", resp.StatusCode(), "reason", resp.Header().Get("RateLimit-Reason"))
		}
	}
	if err != nil {
		attrs = append(attrs, "err", unwrapURLError(err).Error())
	}
	c.log.Debug("jira: retrying", attrs...)
}

// restyLogger routes resty's own warnings to slog at debug level, instead of
// resty's default of printing to stderr.
type restyLogger struct{ l *slog.Logger }

func (r restyLogger) Errorf(format string, v ...any) { r.debug(format, v...) }
func (r restyLogger) Warnf(format string, v ...any)  { r.debug(format, v...) }
func (r restyLogger) Debugf(format string, v ...any) { r.debug(format, v...) }

func (r restyLogger) debug(format string, v ...any) { r.l.Debug("resty: " + fmt.Sprintf(format, v...)) }
