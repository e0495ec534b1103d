package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/internal/manifest"
)

// TestManifest: jsmbot manifest prints the manifest of the bot's surface
// (internal/manifest tests its content), and --private-channels asks for
// the private-channel surface.
func TestManifest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		opts bot.SurfaceOptions
	}{
		{"public channels", nil, bot.SurfaceOptions{}},
		{"private channels too", []string{"--private-channels"}, bot.SurfaceOptions{PrivateChannels: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := cli(t, nil, nil, append([]string{"manifest"}, tt.args...)...)
			if code != exitOK || errOut != "" {
				t.Fatalf("exit code %d, stderr %q; want 0 and nothing", code, errOut)
			}
			want, err := manifest.YAML(bot.SlackSurface(tt.opts))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), out); diff != "" {
				t.Errorf("jsmbot manifest %s (-want +got):\n%s", strings.Join(tt.args, " "), diff)
			}
		})
	}
}

func TestManifestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--json"}, "flag provided but not defined: -json"},
		{"argument", []string{"extra"}, `manifest takes no arguments, got "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := cli(t, nil, nil, append([]string{"manifest"}, tt.args...)...)
			if code != exitUsage || out != "" {
				t.Errorf("exit code %d, stdout %q; want %d and nothing", code, out, exitUsage)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q, want it to contain %q", errOut, tt.want)
			}
		})
	}
}
