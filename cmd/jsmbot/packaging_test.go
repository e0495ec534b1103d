package main

// Tests of the files that ship jsmbot: Dockerfile, docker-compose.yml,
// .env.example, .dockerignore and .gitignore. CI has no Docker engine, so
// they are checked as text and YAML, against the code that reads the
// environment.

import (
	"bufio"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v4"
)

// repoFile reads a file at the top of the repository.
func repoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// envName is what jsmbot's variables look like.
var envName = regexp.MustCompile(`^(JIRA|SLACK|REDIS|JSMBOT)_[A-Z0-9_]+$`)

// secretVars are the variables whose values are credentials.
func secretVars() []string {
	return []string{"JIRA_API_TOKEN", "JIRA_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"}
}

// envDirs are the packages that read the environment: the command and
// the configuration it loads.
var envDirs = []string{".", filepath.Join("..", "..", "internal", "config")}

// envVarsInCode finds every variable the command reads, from its sources:
// the argument of every getenv("…") call, and every string literal that is
// a variable name on its own (tables of names and constants). Test files
// are left out: they set variables, they do not define them.
func envVarsInCode(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	var files []string
	for _, dir := range envDirs {
		found, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, found...)
	}
	seen := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if call, isCall := n.(*ast.CallExpr); isCall && len(call.Args) > 0 && isGetenv(call.Fun) {
				lit, ok = call.Args[0].(*ast.BasicLit)
				if ok {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						seen[s] = true
					}
				}
				return true
			}
			if ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && envName.MatchString(s) {
					seen[s] = true
				}
			}
			return true
		})
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func isGetenv(fun ast.Expr) bool {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name == "getenv"
	case *ast.SelectorExpr:
		return f.Sel.Name == "Getenv" || f.Sel.Name == "LookupEnv" || f.Sel.Name == "getenv"
	}
	return false
}

// envExample parses .env.example: NAME=value lines, also commented out
// ("# NAME=value" documents a variable compose sets itself).
func envExample(t *testing.T) map[string]string {
	t.Helper()
	line := regexp.MustCompile(`^#?\s*([A-Z][A-Z0-9_]*)=(.*)$`)
	vars := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(repoFile(t, ".env.example")))
	for sc.Scan() {
		if m := line.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			vars[m[1]] = m[2]
		}
	}
	return vars
}

func TestEnvExampleDocumentsEveryVariable(t *testing.T) {
	t.Parallel()
	code := envVarsInCode(t)
	// If detection broke, every comparison below would pass vacuously.
	for _, must := range []string{"JIRA_BASE_URL", "JIRA_API_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "REDIS_URL", "JSMBOT_APPROVERS"} {
		if !slices.Contains(code, must) {
			t.Fatalf("found %v in the sources, which lacks %s: the scan is broken", code, must)
		}
	}
	example := envExample(t)
	var documented []string
	for k := range example {
		documented = append(documented, k)
	}
	slices.Sort(documented)
	if diff := cmp.Diff(code, documented); diff != "" {
		t.Errorf("variables read by cmd/jsmbot (-) vs documented in .env.example (+):\n%s", diff)
	}
}

func TestEnvExampleHasOnlyPlaceholders(t *testing.T) {
	t.Parallel()
	example := envExample(t)
	for _, name := range secretVars() {
		v, ok := example[name]
		if !ok {
			continue // TestEnvExampleDocumentsEveryVariable reports it
		}
		if !strings.Contains(strings.ToLower(v), "replace") {
			t.Errorf("%s=%q: a secret's example value must be an obvious placeholder (containing \"replace\")", name, v)
		}
	}
	realLooking := regexp.MustCompile(`xox[abposr]-[0-9]+-|xapp-[0-9]+-[A-Z0-9]+-[0-9]+-|ATATT[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{32,}`)
	for name, v := range example {
		if realLooking.MatchString(v) {
			t.Errorf("%s=%q looks like a real credential", name, v)
		}
	}
}

// composeFile is the part of the Compose specification the tests read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image           string                    `yaml:"image"`
	Build           any                       `yaml:"build"`
	Command         any                       `yaml:"command"`
	EnvFile         any                       `yaml:"env_file"`
	Environment     map[string]string         `yaml:"environment"`
	DependsOn       map[string]composeDepends `yaml:"depends_on"`
	Healthcheck     *composeHealthcheck       `yaml:"healthcheck"`
	Restart         string                    `yaml:"restart"`
	StopGracePeriod string                    `yaml:"stop_grace_period"`
	User            string                    `yaml:"user"`
	ReadOnly        bool                      `yaml:"read_only"`
	Ports           []any                     `yaml:"ports"`
	ContainerName   string                    `yaml:"container_name"`
	Volumes         []string                  `yaml:"volumes"`
}

type composeDepends struct {
	Condition string `yaml:"condition"`
}

type composeHealthcheck struct {
	Test []string `yaml:"test"`
}

// strings normalizes a Compose string-or-list field.
func asStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

// appendOnly reports whether a redis-server command line turns on the
// append-only file.
func appendOnly(cmd []string) bool {
	i := slices.Index(cmd, "--appendonly")
	return len(cmd) > 0 && cmd[0] == "redis-server" && i > 0 && i+1 < len(cmd) && cmd[i+1] == "yes"
}

// volumeNames lists the compose file's named volumes.
func (c composeFile) volumeNames() []string {
	var out []string
	for n := range c.Volumes {
		out = append(out, n)
	}
	return out
}

func nonRoot(user string) bool {
	u, _, _ := strings.Cut(user, ":")
	return u != "" && u != "0" && u != "root"
}

func TestCompose(t *testing.T) {
	t.Parallel()
	raw := repoFile(t, "docker-compose.yml")
	var c composeFile
	if err := yaml.Load([]byte(raw), &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	var names []string
	for n := range c.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"jsmbot", "redis"}, names); diff != "" {
		t.Fatalf("services (-want +got):\n%s", diff)
	}

	redis, bot := c.Services["redis"], c.Services["jsmbot"]
	checks := []struct {
		what string
		ok   bool
	}{
		{"redis runs redis:7-alpine", redis.Image == "redis:7-alpine"},
		{"redis has a redis-cli ping healthcheck", redis.Healthcheck != nil && slices.Contains(redis.Healthcheck.Test, "redis-cli") && slices.Contains(redis.Healthcheck.Test, "ping")},
		{"redis publishes no port", len(redis.Ports) == 0},
		{"redis keeps its data across restarts: append-only file", appendOnly(asStrings(redis.Command))},
		{"redis keeps its data on a named volume at /data", slices.Contains(redis.Volumes, "redis-data:/data") && slices.Contains(c.volumeNames(), "redis-data")},
		{"jsmbot is built from the Dockerfile here", bot.Build == "."},
		{"jsmbot runs the bot", slices.Equal(asStrings(bot.Command), []string{"run"})},
		{"jsmbot reads secrets from .env", slices.Equal(asStrings(bot.EnvFile), []string{".env"})},
		{"jsmbot uses the compose Redis", bot.Environment["REDIS_URL"] == "redis://redis:6379/0"},
		{"jsmbot listens for probes on :8080", bot.Environment["JSMBOT_HTTP_ADDR"] == ":8080"},
		{"jsmbot waits for a healthy Redis", bot.DependsOn["redis"].Condition == "service_healthy"},
		{"jsmbot restarts unless stopped", bot.Restart == "unless-stopped"},
		{"jsmbot has a read-only root filesystem", bot.ReadOnly},
		{"jsmbot runs as a non-root user", nonRoot(bot.User)},
		{"jsmbot can be scaled: no published port", len(bot.Ports) == 0},
		{"jsmbot can be scaled: no container_name", bot.ContainerName == ""},
		{"jsmbot is probed by jsmbot healthcheck (no shell in the image)", bot.Healthcheck != nil && slices.Equal(bot.Healthcheck.Test, []string{"CMD", "/jsmbot", "healthcheck"})},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("docker-compose.yml: want %s", c.what)
		}
	}
	if d, err := time.ParseDuration(bot.StopGracePeriod); err != nil || d != 10*time.Second {
		t.Errorf("jsmbot stop_grace_period %q, want 10s (Slack's and Kubernetes' usual SIGTERM budget)", bot.StopGracePeriod)
	}

	// No secret inline: secrets come only from .env.
	for _, s := range c.Services {
		for k := range s.Environment {
			if slices.Contains(secretVars(), k) {
				t.Errorf("docker-compose.yml sets %s inline; secrets belong in .env", k)
			}
		}
	}
	// A NAME_FILE variable names a secret file (a path, not a secret): the
	// compose file shows how to use them.
	withoutFiles := regexp.MustCompile(`[A-Z][A-Z0-9_]*_FILE\b`).ReplaceAllString(raw, "")
	for _, pat := range []string{"xoxb-", "xapp-", "xoxp-", "ATATT", "JIRA_API_TOKEN", "JIRA_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "password"} {
		if strings.Contains(withoutFiles, pat) {
			t.Errorf("docker-compose.yml mentions %q; secrets belong in .env", pat)
		}
	}
}

// dockerInstr is one Dockerfile instruction.
type dockerInstr struct{ op, args string }

// dockerStages parses a Dockerfile into stages of instructions, joining
// continuation lines and dropping comments.
func dockerStages(t *testing.T, src string) [][]dockerInstr {
	t.Helper()
	var (
		stages  [][]dockerInstr
		pending string
	)
	for line := range strings.Lines(src) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			pending += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line, pending = pending+line, ""
		op, args, _ := strings.Cut(line, " ")
		in := dockerInstr{op: strings.ToUpper(op), args: strings.TrimSpace(args)}
		if in.op == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %s before the first FROM", in.op)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	return stages
}

// last returns the args of a stage's last op instruction, and whether it has one.
func last(stage []dockerInstr, op string) (string, bool) {
	for i := len(stage) - 1; i >= 0; i-- {
		if stage[i].op == op {
			return stage[i].args, true
		}
	}
	return "", false
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	stages := dockerStages(t, repoFile(t, "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a final one", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	// The build image's Go is the module's (go.mod "go 1.26.x" → golang:1.26).
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(repoFile(t, "go.mod"))
	if goVersion == nil {
		t.Fatal("go.mod has no go directive")
	}
	if from := strings.Fields(build[0].args); len(from) == 0 || from[0] != "golang:"+goVersion[1] {
		t.Errorf("build stage FROM %q, want golang:%s like go.mod", build[0].args, goVersion[1])
	}
	var buildCmd string
	for _, in := range build {
		if in.op == "RUN" && strings.Contains(in.args, "go build") {
			buildCmd = in.args
		}
	}
	// -s -w strip the symbols; -X main.version sets what jsmbot version
	// prints, since the build context has no .git for the build info.
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w `, "-X main.version=${VERSION}", "./cmd/jsmbot"} {
		if !strings.Contains(buildCmd, want) {
			t.Errorf("build stage's go build %q lacks %s", buildCmd, want)
		}
	}

	base := strings.Fields(final[0].args)[0]
	distroless := strings.HasPrefix(base, "gcr.io/distroless/static") && strings.HasSuffix(base, ":nonroot")
	if !distroless && base != "scratch" {
		t.Errorf("final stage FROM %s, want gcr.io/distroless/static…:nonroot or scratch (a static binary needs nothing else)", base)
	}
	if user, ok := last(final, "USER"); !ok || !nonRoot(user) {
		t.Errorf("final stage USER %q, want a non-root user", user)
	} else if u, _, _ := strings.Cut(user, ":"); !regexp.MustCompile(`^[0-9]+$`).MatchString(u) {
		t.Errorf("final stage USER %q: make it numeric so Kubernetes' runAsNonRoot can verify it", user)
	}
	if copyArgs, ok := last(final, "COPY"); !ok || !strings.HasPrefix(copyArgs, "--from=") || !strings.HasSuffix(copyArgs, " /jsmbot") {
		t.Errorf("final stage COPY %q, want the binary from the build stage at /jsmbot", copyArgs)
	}
	for op, want := range map[string][]string{"ENTRYPOINT": {"/jsmbot"}, "CMD": {"run"}} {
		args, _ := last(final, op)
		var got []string
		if err := json.Unmarshal([]byte(args), &got); err != nil {
			t.Errorf("%s %s: want the exec (JSON) form, there is no shell: %v", op, args, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", op, diff)
		}
	}
	hc, ok := last(final, "HEALTHCHECK")
	_, execForm, _ := strings.Cut(hc, "CMD ")
	var probe []string
	switch {
	case !ok:
		t.Error("final stage has no HEALTHCHECK")
	case json.Unmarshal([]byte(execForm), &probe) != nil:
		t.Errorf("HEALTHCHECK %q: want CMD in the exec (JSON) form, there is no shell", hc)
	default:
		if diff := cmp.Diff([]string{"/jsmbot", "healthcheck"}, probe); diff != "" {
			t.Errorf("HEALTHCHECK command (-want +got):\n%s", diff)
		}
	}
	// jsmbot healthcheck needs the port, also under a plain docker run.
	if env, _ := last(final, "ENV"); !strings.Contains(env, "JSMBOT_HTTP_ADDR=:8080") {
		t.Errorf("final stage ENV %q, want JSMBOT_HTTP_ADDR=:8080 for the health check", env)
	}
}

func TestIgnoreFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []string
	}{
		{".gitignore", []string{".env"}},
		{".dockerignore", []string{".env", ".git"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			var lines []string
			for l := range strings.Lines(repoFile(t, tt.file)) {
				lines = append(lines, strings.TrimSpace(l))
			}
			for _, w := range tt.want {
				if !slices.Contains(lines, w) {
					t.Errorf("%s lacks the line %q", tt.file, w)
				}
			}
		})
	}
}

// TestCIStopsTheRedisItStarts: .ci/run's Redis helper starts redis-server
// when nothing answers and stops it when the shell that asked ends (it
// used to be left running). It runs the helper on a free port of its own.
func TestCIStopsTheRedisItStarts(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed; .ci/run installs it before the tests")
		}
		t.Skip("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	script := `source .ci/redis.sh; ensure_redis; redis_up && echo UP`
	cmd := exec.CommandContext(t.Context(), "bash", "-c", script)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "JSMBOT_TEST_REDIS_ADDR="+addr)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "UP") {
		t.Fatalf("ensure_redis on %s: %v\n%s", addr, err, out)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("redis-server still answers on %s after the shell ended:\n%s", addr, out)
	}
}
