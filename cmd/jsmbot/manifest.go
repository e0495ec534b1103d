package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/internal/manifest"
)

// runManifest prints the Slack app manifest (internal/manifest) of the
// bot's surface.
func runManifest(_ context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("manifest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	private := fs.Bool("private-channels", false, "also detect reports in private channels (message.groups, groups:history)")
	if err := fs.Parse(args); err != nil {
		return &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("manifest takes no arguments, got %q", fs.Arg(0))}
	}
	out, err := manifest.YAML(bot.SlackSurface(bot.SurfaceOptions{PrivateChannels: *private}))
	if err != nil {
		return fmt.Errorf("render the manifest: %w", err)
	}
	_, err = stdout.Write(out)
	return err
}
