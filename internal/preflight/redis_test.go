package preflight

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func redisConfig(t *testing.T, url, extra string) *Check {
	t.Helper()
	cfg := parseConfig(t, fmt.Sprintf(`
redis: {url: %q, replicas: 3%s}
upstreams:
  - name: up
    base_url: http://127.0.0.1:1
    profile: retool-v2
    auth: {token_env: %s}
`, url, extra, orgTokenEnv))
	// Only the Redis target: the upstream is there because a config needs one.
	c := New(cfg, Options{})
	c.Targets = c.Targets[len(c.Targets)-1:]
	return c
}

func TestARunningRedisAnswersPingWithinTheTimeout(t *testing.T) {
	addr := startRedis(t)
	rep := redisConfig(t, "redis://"+addr+"/0", "").Run(context.Background(), nil)
	ping := stepResult(t, rep, "ping")
	if ping.Err != nil || !strings.HasPrefix(ping.Detail, "PONG in ") {
		t.Fatalf("ping = %+v", ping)
	}
}

func TestRedisFailuresNameTheServerButNotItsPassword(t *testing.T) {
	refused := closedAddr(t)
	for _, tc := range []struct {
		name, url, extra, want string
	}{
		{"a closed port refuses the connection", "redis://:hunter2@" + refused + "/0", "",
			"redis: ping: PING redis://:xxxxx@" + refused + "/0: dial tcp " + refused + ": connect: connection refused"},
		{"an unset password variable is reported without connecting", "redis://" + refused, ", password: {token_env: PREFLIGHT_TEST_UNSET}",
			"redis: ping: redis.password: environment variable PREFLIGHT_TEST_UNSET is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := redisConfig(t, tc.url, tc.extra)
			if strings.Contains(c.Targets[0].About, "hunter2") {
				t.Errorf("the target shows the password: %s", c.Targets[0].About)
			}
			f := c.Run(context.Background(), nil).Failures()
			if len(f) != 1 || !strings.Contains(f[0].String(), tc.want) || strings.Contains(f[0].String(), "hunter2") {
				t.Fatalf("failures %v, want one containing\n  %s", f, tc.want)
			}
		})
	}
}
