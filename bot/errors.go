package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// projectError ties an error to the project it was about, so the message
// can name the project without quoting Jira's error text.
type projectError struct {
	key string
	err error
}

func (e *projectError) Error() string { return e.key + ": " + e.err.Error() }
func (e *projectError) Unwrap() error { return e.err }

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
// for the log. It never includes err.Error(), which may carry URLs.
func userText(err error) (text, ref string) {
	ref = newRef()
	var (
		fe  *friendlyError
		pe  *repair.PermissionError
		ae  *jira.APIError
		ke  *projectError
		ne  net.Error
		rle *slack.RateLimitedError
	)
	project := "the project"
	if errors.As(err, &ke) {
		project = "project " + escape(ke.key)
	}
	switch {
	case errors.As(err, &fe):
		text = fe.text
	case errors.As(err, &pe):
		text = fmt.Sprintf("Jira refused to let me %s: my Jira account needs the *%s* permission.", escape(pe.Op), escape(pe.Permission))
	case errors.Is(err, jira.ErrUnauthorized):
		text = "Jira rejected my credentials. Ask the operator to check the Jira email and API token jsmbot uses."
	case errors.Is(err, jira.ErrRateLimited):
		when := "in a minute"
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			when = "in " + ae.RetryAfter.Round(time.Second).String()
		}
		text = "Jira is throttling my requests and the retries ran out; try again " + when + "."
	case errors.Is(err, jira.ErrNotFound) && errors.As(err, &ae) && strings.Contains(ae.Path, "/project/"):
		text = fmt.Sprintf("I can't find %s, or my Jira account can't see it.", project)
	case errors.Is(err, jira.ErrForbidden):
		text = fmt.Sprintf("Jira refused my request about %s: my Jira account lacks a permission for it.", project)
	case errors.As(err, &ae) && ae.Retryable():
		text = "Jira is unavailable right now and the retries ran out; try again later."
	case errors.As(err, &rle):
		text = fmt.Sprintf("Slack is rate limiting me; try again in %s.", rle.RetryAfter.Round(time.Second))
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		text = "Jira did not answer in time; try again in a moment."
	case errors.As(err, &ne):
		text = "I can't reach Jira right now; try again in a moment."
	default:
		return genericText(ref), ref
	}
	return fmt.Sprintf("%s (ref %s)", text, ref), ref
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
