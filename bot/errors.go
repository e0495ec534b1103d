package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// friendlyError carries the text a user sees for an error the bot already
// understands; the wrapped error is for the log.
type friendlyError struct {
	text string
	err  error
}

func (e *friendlyError) Error() string {
	if e.err == nil {
		return e.text
	}
	return e.text + ": " + e.err.Error()
}
func (e *friendlyError) Unwrap() error { return e.err }

// newRef returns a short reference id that ties a message a user sees to
// the log line an operator reads.
func newRef() string {
	id, err := store.NewID()
	if err != nil || len(id) < 8 {
		return fmt.Sprintf("%08x", time.Now().UnixNano()&0xffffffff)
	}
	return id[:8]
}

// genericText is what a user sees for an error the bot does not recognise.
func genericText(ref string) string {
	return fmt.Sprintf("Something went wrong (ref %s). Nothing was changed in Jira unless a message says so; the operator can look the reference up in the logs.", ref)
}

// userText turns any error into the words a user sees, with a reference id
// for the log. It never includes err.Error(), which may carry URLs. What
// failed is decided by [repair.Classify]; this only says it in Slack's words.
func userText(err error) (text, ref string) {
	ref = newRef()
	if fe := (*friendlyError)(nil); errors.As(err, &fe) {
		return fmt.Sprintf("%s (ref %s)", fe.text, ref), ref
	}
	f := repair.Classify(err)
	project := "the project"
	if f.Project != "" {
		project = "project " + escape(f.Project)
	}
	switch f.Kind {
	case repair.KindForbidden:
		text = fmt.Sprintf("Jira refused my request about %s: my Jira account lacks a permission for it.", project)
		if f.Permission != "" {
			text = fmt.Sprintf("Jira refused to let me %s: my Jira account needs the *%s* permission.", escape(f.Op), escape(f.Permission))
		}
	case repair.KindUnauthenticated:
		text = "Jira rejected my credentials. Ask the operator to check the Jira email and API token jsmbot uses."
	case repair.KindRateLimited:
		text = "Jira is throttling my requests and the retries ran out; try again " + inWhile(f.RetryAfter) + "."
	case repair.KindNotFound:
		text = fmt.Sprintf("I can't find %s, or my Jira account can't see it.", project)
	case repair.KindJiraUnavailable:
		text = "Jira is unavailable right now and the retries ran out; try again later."
	case repair.KindJiraTimeout:
		text = "Jira did not answer in time; try again in a moment."
	case repair.KindJiraUnreachable:
		text = "I can't reach Jira right now; try again in a moment."
	case repair.KindRedisUnavailable:
		text = "My state store (Redis) is not answering, so I couldn't finish. Try again in a moment; if it keeps happening, tell the operator."
	case repair.KindSlackUnavailable:
		text = "Slack did not take my message, so part of my answer may be missing. Try again in a moment."
	case repair.KindSlackRateLimited:
		text = fmt.Sprintf("Slack is rate limiting me; try again in %s.", f.RetryAfter.Round(time.Second))
	default:
		return genericText(ref), ref
	}
	return fmt.Sprintf("%s (ref %s)", text, ref), ref
}

// inWhile says when to try again after a wait Jira asked for.
func inWhile(wait time.Duration) string {
	if wait <= 0 {
		return "in a minute"
	}
	return "in " + wait.Round(time.Second).String()
}

// slackFailed names Slack as what failed when a Slack Web API call got no
// answer or a 5xx, so that userText does not blame anything else. Slack's
// refusals (not_in_channel, …) and cancelled calls are left as they are; a
// *slack.RateLimitedError speaks for itself.
func slackFailed(err error) error {
	var (
		ne  net.Error
		sce slack.StatusCodeError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &ne), errors.As(err, &sce) && sce.Code >= 500:
		return repair.Mark(repair.KindSlackUnavailable, err)
	}
	return err
}

// tell sends a user an ephemeral message where they spoke; failures are
// only logged, since there is nobody else to tell.
func (b *Bot) tell(ctx context.Context, who request, text string) {
	if who.userID == "" || who.channelID == "" {
		return
	}
	if ctx.Err() != nil {
		// The handler ran out of time; the answer still deserves a short
		// try, within the drain's grace period.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
	}
	if _, err := b.slack.PostEphemeralContext(ctx, who.channelID, who.userID, slack.MsgOptionText(text, false)); err != nil {
		b.log.Warn("could not tell the user", "user_id", who.userID, "channel_id", who.channelID, "err", err)
	}
}
