package main

import (
	"testing"

	"github.com/jsmbot/jsmbot/bot"
)

// TestManifestShortcutMatchesTheBot: Slack routes the shortcut by the
// callback_id the manifest declares; the bot must handle the same one.
func TestManifestShortcutMatchesTheBot(t *testing.T) {
	t.Parallel()
	if inviteFailedCallback != bot.ShortcutInviteFailed {
		t.Errorf("manifest callback_id %q, bot handles %q", inviteFailedCallback, bot.ShortcutInviteFailed)
	}
}
