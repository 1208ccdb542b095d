package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/budgetgw/gateway/bench/internal/proc"
	"github.com/budgetgw/gateway/bench/internal/redisserver"
	"github.com/budgetgw/gateway/internal/auth"
)

// env is what every scenario shares: the work directory, the binaries, one Redis and the
// org token the upstreams accept.
type env struct {
	dir      string
	self     string // this harness's binary, for the child modes
	gateway  string // the gateway binary built from ./cmd/gateway
	redis    *redisserver.Server
	orgToken string
	quick    bool // seconds per scenario: the harness works, the numbers mean nothing
	long     bool // minutes per scenario: steadier numbers

	// baseline is a gateway binary built from an earlier revision (-baseline), measured
	// beside the current one; "" when not asked for.
	baseline, baselineRev string
}

// scaled picks a duration by mode.
func (e *env) scaled(quick, normal, long time.Duration) time.Duration {
	return byMode(e, quick, normal, long)
}

// byMode picks a value (a duration, a count) by the run's mode.
func byMode[T any](e *env, quick, normal, long T) T {
	switch {
	case e.quick:
		return quick
	case e.long:
		return long
	}
	return normal
}

// caller is a configured caller and its raw key.
type caller struct {
	name string
	key  string
	sum  string
}

func newCaller(name string) caller {
	k, sum := auth.NewKey(name + "-1")
	return caller{name: name, key: k.Reveal(), sum: sum}
}

// gatewaySpec describes one gateway process.
type gatewaySpec struct {
	name     string
	memory   bool   // the in-memory store instead of Redis
	upstream string // base URL
	replicas int
	capacity int64
	window   time.Duration
	maxWait  time.Duration
	callers  []caller
	redisURL string        // empty: the shared bench Redis
	timeout  time.Duration // the upstream timeout; 0: the default (30s)
	binary   string        // "": the gateway built from the working tree
	pprof    bool          // server.pprof: the profiler on the admin listener

	port, adminPort int // chosen when the configuration is written
}

func (s *gatewaySpec) url() string      { return "http://127.0.0.1:" + strconv.Itoa(s.port) }
func (s *gatewaySpec) adminURL() string { return "http://127.0.0.1:" + strconv.Itoa(s.adminPort) }

// gatewayProc is a running gateway process.
type gatewayProc struct {
	*proc.Proc
	url, admin string
	logPath    string
}

// startGateway writes the configuration and runs `gateway serve` until ready.
func (e *env) startGateway(s gatewaySpec) (*gatewayProc, error) {
	cfgPath, err := e.writeGatewayConfig(&s)
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(e.dir, s.name+".log")
	bin := e.gateway
	if s.binary != "" {
		bin = s.binary
	}
	p, err := proc.Start(s.name, logPath, bin, "serve", "-config", cfgPath)
	if err != nil {
		return nil, err
	}
	g := &gatewayProc{Proc: p, url: s.url(), admin: s.adminURL(), logPath: logPath}
	if err := proc.WaitReady(g.admin+"/readyz", http.StatusOK, 15*time.Second); err != nil {
		p.Stop(time.Second)
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("%s: %w; log:\n%s", s.name, err, log)
	}
	return g, nil
}

// writeGatewayConfig picks the ports of s and writes its configuration file.
func (e *env) writeGatewayConfig(s *gatewaySpec) (string, error) {
	s.port, s.adminPort = proc.FreePort(), proc.FreePort()
	tokenPath := filepath.Join(e.dir, "org-token")
	if err := os.WriteFile(tokenPath, []byte(e.orgToken+"\n"), 0o600); err != nil {
		return "", err
	}
	redisURL := s.redisURL
	if redisURL == "" {
		redisURL = e.redis.URL()
	}
	redisLine := fmt.Sprintf("redis: {url: %q, replicas: %d}", redisURL, max(s.replicas, 1))
	timeoutLine := ""
	if s.timeout > 0 {
		timeoutLine = fmt.Sprintf("\n    timeout: %s", s.timeout)
	}
	if s.memory {
		redisLine = "# the in-memory store"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `server: {listen: "127.0.0.1:%d", admin_listen: "127.0.0.1:%d", shutdown_grace: 5s, pprof: %t}
%s
log: {level: info}
upstreams:
  - name: retool
    base_url: %q
    profile: retool-v2
    spec: {enabled: false}
    auth: {token_file: %q}%s
    budget: {capacity: %d, window: %s, lockout: %s, max_wait: %s}
callers:
`, s.port, s.adminPort, s.pprof, redisLine, s.upstream, tokenPath, timeoutLine, s.capacity, s.window, s.window, s.maxWait)
	for _, c := range s.callers {
		fmt.Fprintf(&b, "  - {name: %s, scopes: [\"*\"], keys: [{id: %s-1, sha256: %q}]}\n", c.name, c.name, c.sum)
	}
	cfgPath := filepath.Join(e.dir, s.name+".yaml")
	return cfgPath, os.WriteFile(cfgPath, []byte(b.String()), 0o600)
}

// startChild runs one of the harness's own child modes and waits until url answers.
func (e *env) startChild(name, readyURL string, args ...string) (*proc.Proc, error) {
	p, err := proc.Start(name, filepath.Join(e.dir, name+".log"), e.self, args...)
	if err != nil {
		return nil, err
	}
	if err := proc.WaitReady(readyURL, http.StatusOK, 10*time.Second); err != nil {
		p.Stop(time.Second)
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// startUpstream runs the recording upstream and returns it with its base URL.
func (e *env) startUpstream() (*proc.Proc, string, error) {
	port := proc.FreePort()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	p, err := e.startChild("upstream", base+"/__bench/stats", "upstream", "-listen", "127.0.0.1:"+strconv.Itoa(port), "-token", e.orgToken)
	return p, base, err
}

// metricValue sums the samples of one metric on a gateway's /metrics page.
func metricValue(adminURL, name string) (float64, error) {
	resp, err := http.Get(adminURL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	var sum float64
	found := false
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err == nil {
			sum += v
			found = true
		}
	}
	if !found {
		return 0, fmt.Errorf("no %s on %s/metrics", name, adminURL)
	}
	return sum, nil
}

func bearer(key string) http.Header {
	return http.Header{"Authorization": {"Bearer " + key}}
}
