package main

import (
	"context"
	"fmt"
	"io"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/internal/manifest"
)

// runManifest prints the Slack app manifest (internal/manifest) of the
// bot's surface.
func runManifest(_ context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("manifest")
	private := fs.Bool("private-channels", false, "also detect reports in private channels (message.groups, groups:history)")
	if err := noArgs(fs, args, stdout, ""); err != nil {
		return err
	}
	out, err := manifest.YAML(bot.SlackSurface(bot.SurfaceOptions{PrivateChannels: *private}))
	if err != nil {
		return fmt.Errorf("render the manifest: %w", err)
	}
	_, err = stdout.Write(out)
	return err
}
