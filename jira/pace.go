package jira

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"
)

// DefaultRate is how many requests per second the client sends, at most,
// to one endpoint whose Jira Cloud burst limit is the default for GETs
// (100/s, reference §6). It is 85% of that limit: close enough to finish a
// fleet scan near the speed Jira allows, far enough below it that other
// clients of the same site and the jitter of the network leave Jira's
// bucket some tokens. Every other endpoint is paced in the same proportion
// to its own limit (see [WithRate]).
const DefaultRate = 85.0

// Pacing constants. A 429 halves an endpoint's pace, down to a sixteenth
// of its configured pace; after Jira's Retry-After has passed, the pace
// climbs back linearly over paceRecovery. The burst is half a second of
// the pace, so that a fan-out starts at once without emptying more than
// half of Jira's bucket, which holds one second of its rate.
const (
	paceBurst    = 500 * time.Millisecond
	paceFloor    = 16
	paceRecovery = 10 * time.Second
	// pauseWithoutHint is how long an endpoint pauses after a 429 that
	// says neither Retry-After nor X-RateLimit-Reset.
	pauseWithoutHint = time.Second
)

// WithRate sets the pace, in requests per second, of an endpoint on Jira's
// default GET burst limit (100/s); the default is [DefaultRate]. Every
// endpoint is paced in proportion to its own documented limit: with
// WithRate(50), PUT and DELETE endpoints (50/s) get 25/s and GET
// /rest/servicedeskapi/servicedesk/{serviceDeskId}/customer (5/s) 2.5/s.
// [WithEndpointRate] overrides one endpoint. Zero or less turns pacing off:
// the client then sends as fast as its callers ask and only reacts to 429s
// by retrying.
func WithRate(perSecond float64) Option { return func(o *options) { o.rate = perSecond } }

// WithEndpointRate paces one endpoint at perSecond requests per second,
// whatever [WithRate] says. The endpoint is named as [Call.Endpoint] names
// it: the method and the path template, e.g. http.MethodGet and
// "/rest/servicedeskapi/servicedesk/{serviceDeskId}/customer". A perSecond
// of zero or less leaves that endpoint unpaced.
func WithEndpointRate(method, endpoint string, perSecond float64) Option {
	return func(o *options) {
		if o.endpointRates == nil {
			o.endpointRates = map[string]float64{}
		}
		o.endpointRates[method+" "+endpoint] = perSecond
	}
}

// jiraBurstLimit is Jira Cloud's documented burst limit of an endpoint, in
// requests per second (reference §6): per method, with overrides for a few
// endpoints. The templates are the ones the client's methods use.
func jiraBurstLimit(method, endpoint string) float64 {
	switch method + " " + endpoint {
	case "GET " + deskPath + "/customer":
		return 5
	case "GET " + projectPath + "/role/{id}":
		return 200
	case "GET /rest/api/3/user":
		return 150
	}
	switch method {
	case http.MethodGet, http.MethodPost:
		return 100
	}
	return 50
}

// pacer is the client's limiter: a token bucket per endpoint (method and
// path template), because that is how Jira Cloud counts its burst limits.
// A 429 pauses every caller of the endpoint until Jira's Retry-After has
// passed (a quota 429 pauses every endpoint, as the reference advises),
// and slows the endpoint down for a while. A nil *pacer paces nothing.
type pacer struct {
	rate    float64            // pace of a 100/s endpoint
	fixed   map[string]float64 // "METHOD template" → pace, from WithEndpointRate
	maxWait time.Duration      // a pause longer than this is refused, not waited

	mu    sync.Mutex
	lanes map[string]*lane
	// all pauses every endpoint until then, after a quota-based 429.
	all       time.Time
	allReason string
}

// lane is one endpoint's state.
type lane struct {
	lim   *rate.Limiter
	base  float64 // the configured pace; 0: unpaced
	burst int
	// slow is the pace right after the last cut, cutAt when it was made;
	// cutAt is zero while the lane runs at its base pace.
	slow  float64
	cutAt time.Time
	// until pauses the lane after a 429, for Retry-After.
	until  time.Time
	reason string
}

// newPacer returns the pacer for the options, or nil when pacing is off.
func newPacer(perSecond float64, fixed map[string]float64, maxWait time.Duration) *pacer {
	if perSecond <= 0 {
		return nil
	}
	return &pacer{rate: perSecond, fixed: fixed, maxWait: maxWait, lanes: map[string]*lane{}}
}

// lane returns the endpoint's lane, creating it. p.mu must be held.
func (p *pacer) lane(method, endpoint string) *lane {
	key := method + " " + endpoint
	if l, ok := p.lanes[key]; ok {
		return l
	}
	base, ok := p.fixed[key]
	if !ok {
		base = p.rate * jiraBurstLimit(method, endpoint) / 100
	}
	l := &lane{lim: rate.NewLimiter(rate.Inf, 1)}
	if base > 0 {
		l.base = base
		l.burst = max(1, int(base*paceBurst.Seconds()))
		l.lim = rate.NewLimiter(rate.Limit(base), l.burst)
	}
	p.lanes[key] = l
	return l
}

// wait blocks until the endpoint may be called: past any pause Jira asked
// for, then for a token. It returns ctx's error when ctx ends first, and an
// [*APIError] 429 at once when the pause still to run is longer than the
// client's wait budget, as the retry policy does for a Retry-After beyond
// it. path is the request's path, for that error.
func (p *pacer) wait(ctx context.Context, method, endpoint, path string) error {
	if p == nil {
		return nil
	}
	for {
		p.mu.Lock()
		l := p.lane(method, endpoint)
		now := time.Now()
		l.recover(now)
		until, reason := l.until, l.reason
		if p.all.After(until) {
			until, reason = p.all, p.allReason
		}
		if pause := until.Sub(now); pause > 0 {
			p.mu.Unlock()
			if pause > p.maxWait {
				return &APIError{
					StatusCode: http.StatusTooManyRequests, Method: method, Path: path,
					Messages:        []string{"Jira asked to wait before calling this endpoint again."},
					RetryAfter:      pause,
					RateLimitReason: reason,
				}
			}
			if err := sleepCtx(ctx, pause); err != nil {
				return err
			}
			continue
		}
		r := l.lim.ReserveN(now, 1)
		p.mu.Unlock()
		delay := r.DelayFrom(now)
		if delay <= 0 {
			return nil
		}
		if err := sleepCtx(ctx, delay); err != nil {
			r.Cancel()
			return err
		}
		// A 429 may have paused the lane while this caller waited for
		// its token; the token is spent, but the pause is honoured.
		p.mu.Lock()
		paused := l.until.After(time.Now()) || p.all.After(time.Now())
		p.mu.Unlock()
		if !paused {
			return nil
		}
	}
}

// throttled records a 429 from the endpoint: every caller of it pauses
// until Retry-After has passed (every caller of any endpoint, for a quota
// limit), and its pace is halved unless this 429 belongs to a pause
// already under way, as the answers to requests sent before the pause do.
func (p *pacer) throttled(method, endpoint string, h http.Header) {
	if p == nil {
		return
	}
	now := time.Now()
	pause := retryAfter(h, now)
	if pause <= 0 {
		pause = pauseWithoutHint
	}
	reason := h.Get("RateLimit-Reason")
	p.mu.Lock()
	defer p.mu.Unlock()
	if strings.HasPrefix(reason, "jira-quota") {
		if end := now.Add(pause); end.After(p.all) {
			p.all, p.allReason = end, reason
		}
	}
	l := p.lane(method, endpoint)
	if l.base > 0 && !now.Before(l.until) {
		l.recover(now)
		l.slow = max(float64(l.lim.Limit())/2, l.base/paceFloor)
		l.cutAt = now
		l.lim.SetLimitAt(now, rate.Limit(l.slow))
		// One request at a time until the pace has recovered: a bucket
		// full of tokens would fire them all at a Jira that just said no.
		l.lim.SetBurstAt(now, 1)
	}
	if end := now.Add(pause); end.After(l.until) {
		l.until, l.reason = end, reason
	}
}

// recover raises a slowed lane's pace linearly from its cut back to its
// base over paceRecovery, counted from the end of the pause.
func (l *lane) recover(now time.Time) {
	if l.cutAt.IsZero() {
		return
	}
	from := l.cutAt
	if l.until.After(from) {
		from = l.until
	}
	if !now.After(from) {
		return
	}
	r := l.slow + (l.base-l.slow)*float64(now.Sub(from))/float64(paceRecovery)
	if r >= l.base {
		l.lim.SetLimitAt(now, rate.Limit(l.base))
		l.lim.SetBurstAt(now, l.burst)
		l.cutAt = time.Time{}
		return
	}
	l.lim.SetLimitAt(now, rate.Limit(r))
}

// sleepCtx waits d or until ctx ends. It uses a timer, so that it runs on
// the fake clock inside a testing/synctest bubble.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// paceRequest is resty's OnBeforeRequest hook: it runs before every
// attempt, retries included, and before the HTTP client's timeout starts.
func (c *Client) paceRequest(_ *resty.Client, r *resty.Request) error {
	endpoint, _ := r.Context().Value(endpointKey{}).(string)
	return c.pace.wait(r.Context(), r.Method, endpoint, expandPath(request{path: endpoint, params: r.PathParams}))
}

// noteResponse is resty's OnAfterResponse hook: it tells the pacer of
// every 429, whether or not the attempt is retried.
func (c *Client) noteResponse(_ *resty.Client, resp *resty.Response) error {
	if resp.StatusCode() == http.StatusTooManyRequests {
		endpoint, _ := resp.Request.Context().Value(endpointKey{}).(string)
		c.pace.throttled(resp.Request.Method, endpoint, resp.Header())
	}
	return nil
}
