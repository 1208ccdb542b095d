package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/metrics"
)

type composeService struct {
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
}

// composeServices reads docker-compose.yaml (merge keys resolved) and sorts the services
// by the gateway subcommand they run.
func composeServices(t *testing.T) (all map[string]composeService, byCommand map[string][]string) {
	t.Helper()
	var c struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(readFile(t, "../docker-compose.yaml"), &c); err != nil {
		t.Fatal(err)
	}
	byCommand = map[string][]string{}
	for name, s := range c.Services {
		if len(s.Command) > 0 {
			byCommand[s.Command[0]] = append(byCommand[s.Command[0]], name)
		}
	}
	for _, names := range byCommand {
		slices.Sort(names)
	}
	return c.Services, byCommand
}

func TestComposeRunsThreeReplicasOnOneBudgetInFrontOfASandbox(t *testing.T) {
	services, byCommand := composeServices(t)
	gateways, sandboxes := byCommand["serve"], byCommand["sandbox"]
	if len(gateways) != 3 || len(sandboxes) != 1 {
		t.Fatalf("gateways %v and sandboxes %v, want three and one", gateways, sandboxes)
	}
	cfg, err := config.Load("compose/gateway.yaml")
	if err != nil {
		t.Fatalf("compose/gateway.yaml: %v", err)
	}
	for _, g := range gateways {
		s := services[g]
		if !slices.Equal(s.Command, []string{"serve", "-config", "/etc/gateway/config.yaml"}) || !slices.Contains(s.Volumes, "./deploy/compose/gateway.yaml:/etc/gateway/config.yaml:ro") {
			t.Errorf("%s: command %v, volumes %v: want compose/gateway.yaml served from /etc/gateway", g, s.Command, s.Volumes)
		}
	}
	if cfg.Redis.Replicas != len(gateways) {
		t.Errorf("redis.replicas %d, but compose runs %d gateways", cfg.Redis.Replicas, len(gateways))
	}
	if r, err := url.Parse(cfg.Redis.URL); err != nil || !hasService(services, r.Hostname()) {
		t.Errorf("redis.url %q does not name a compose service", cfg.Redis.URL)
	}
	if host, _, _ := net.SplitHostPort(cfg.Server.AdminListen); host != "0.0.0.0" {
		t.Errorf("admin_listen %q: Prometheus scrapes from another container", cfg.Server.AdminListen)
	}

	// The upstream is the sandbox, which accepts the token the gateways send.
	sb := services[sandboxes[0]]
	u := cfg.Upstreams[0]
	base, _ := url.Parse(u.BaseURL)
	if listen := flagValue(sb.Command, "-listen"); base.Hostname() != sandboxes[0] || ":"+base.Port() != listen {
		t.Errorf("base_url %s, but the sandbox is %s listening on %s", u.BaseURL, sandboxes[0], listen)
	}
	env := flagValue(sb.Command, "-token-env")
	if env != u.Auth.Env || sb.Environment[env] == "" || sb.Environment[env] != services[gateways[0]].Environment[env] {
		t.Errorf("the sandbox reads $%s, the gateways send $%s: want one variable with one value", env, u.Auth.Env)
	}

	for name, s := range services {
		for _, v := range s.Volumes {
			if src, _, _ := strings.Cut(v, ":"); strings.HasPrefix(src, "./") && !exists(filepath.Join("..", src)) {
				t.Errorf("%s mounts %s, which does not exist", name, src)
			}
		}
	}

	var prom struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(readFile(t, "compose/prometheus.yml"), &prom); err != nil {
		t.Fatal(err)
	}
	var targets, want []string
	for _, sc := range prom.ScrapeConfigs {
		if sc.JobName == "gateway" {
			for _, st := range sc.StaticConfigs {
				targets = append(targets, st.Targets...)
			}
		}
	}
	for _, g := range gateways {
		want = append(want, g+":9090")
	}
	if slices.Sort(targets); !slices.Equal(targets, want) {
		t.Errorf("job gateway scrapes %v, want %v", targets, want)
	}
	if !slices.Contains(services["prometheus"].Volumes, "./deploy/prometheus/alerts.yaml:"+firstOr(prom.RuleFiles)+":ro") {
		t.Errorf("Prometheus loads %v, which is not where alerts.yaml is mounted", prom.RuleFiles)
	}
}

func TestTheRunbooksComposeKeyOpensTheComposeCaller(t *testing.T) {
	key := regexp.MustCompile(`gwk_compose-demo_[A-Za-z0-9_-]+`).FindString(string(readFile(t, runbookFile)))
	cfg, err := config.Load("compose/gateway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(key))
	if key == "" || len(cfg.Callers) != 1 || cfg.Callers[0].Keys[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("the runbook's compose key %q does not hash to the compose caller's sha256", key)
	}
}

func TestDockerfileStampsTheVersionAndServesTheMountedConfig(t *testing.T) {
	df := string(readFile(t, "../Dockerfile"))
	version := reflect.TypeFor[metrics.Metrics]().PkgPath() + ".Version=${VERSION}"
	for _, want := range []string{
		"FROM golang:1.26 AS build", "CGO_ENABLED=0 go build -trimpath", `-ldflags "-s -w -X ` + version + `"`,
		"FROM gcr.io/distroless/static-debian12:nonroot", "USER 65532:65532", "EXPOSE 8080 9090",
		`ENTRYPOINT ["/gateway"]`, `CMD ["serve", "-config", "/etc/gateway/config.yaml"]`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
	if regexp.MustCompile(`(?m)^HEALTHCHECK`).MatchString(df) {
		t.Error("Dockerfile has a HEALTHCHECK: orchestrators probe /healthz and /readyz instead")
	}
}

func hasService(services map[string]composeService, name string) bool {
	_, ok := services[name]
	return ok
}

// flagValue is the argument after name in a command line.
func flagValue(cmd []string, name string) string {
	if i := slices.Index(cmd, name); i >= 0 && i+1 < len(cmd) {
		return cmd[i+1]
	}
	return ""
}

func exists(p string) bool { return isFile(p) || isDir(p) }

func firstOr(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
