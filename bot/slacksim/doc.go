// Package slacksim is an in-process Slack simulator for tests and the demo.
//
// It plays Slack's part for a bot built on github.com/slack-go/slack v0.35.0
// and its socketmode package, faithfully at the wire:
//
//   - the Web API under [Server.APIURL] (pass it to slack.OptionAPIURL):
//     apps.connections.open, auth.test, chat.postMessage, chat.update,
//     chat.postEphemeral, chat.delete, conversations.replies, users.info,
//     users.lookupByEmail, usergroups.users.list, views.open, views.update,
//     views.push and views.publish, each answered in the shape slack-go
//     decodes and recorded as a [Call] with its form or JSON arguments;
//   - a Socket Mode websocket: hello, envelopes, recorded acks, WebSocket
//     pings, disconnect frames ("warning", "refresh_requested", …) and dropped
//     TCP connections;
//   - response_url endpoints handed out in slash-command and interactive
//     payloads, whose posts are recorded and applied to the channel state.
//
// # Driving the bot
//
// The sending helpers ([Server.SlashCommand], [Server.Click],
// [Server.MessageShortcut], [Server.SubmitView], [Server.PostUserMessage] and
// the raw [Server.SendEnvelope]) build payloads modelled on real ones, wrap
// them in a Socket Mode envelope, wait for a connected socket and push the
// envelope to one of the connected sockets, round-robin. They return the
// envelope_id; [Server.WaitAck] waits for the bot's ack. Nothing is redelivered
// unless a test asks for it with [Server.Redeliver].
//
// # Authentication
//
// Web API methods need the bot token (xoxb-…, form field "token" or an
// Authorization: Bearer header); apps.connections.open needs the app-level
// token (xapp-…) in the Authorization header. A missing token is answered
// {"ok":false,"error":"not_authed"}, a wrong one "invalid_auth" and a token of
// the wrong kind "not_allowed_token_type", with HTTP 200 as Slack does.
//
// # State
//
// The simulator keeps what Slack would: messages per channel (with thread
// replies and ephemeral messages), views and their stacks, trigger_ids (valid
// for 3 seconds on the server's clock, single use) and response URLs (5 uses
// in 30 minutes). Tests inspect it with [Server.Messages], [Server.Views],
// [Server.Calls] and [Server.ResponseURLPosts], or wait for it with
// [Server.WaitCall], [Server.WaitAck] and [Server.WaitConnected].
//
// # Concurrency
//
// A [Server] is safe for concurrent use. All waiting methods take a context
// and return [ErrClosed] once the server is closed. The package never sleeps
// to synchronize: waiters are woken whenever the state changes.
package slacksim
