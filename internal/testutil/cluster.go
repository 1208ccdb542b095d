package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// StartCluster starts n empty redis-server nodes in cluster mode, joins them into one
// cluster (every slot covered, no replicas) and returns their addresses.
func StartCluster(t testing.TB, n int) []string {
	t.Helper()
	cli := RequireBinary(t, "redis-cli")
	var addrs []string
	for range n {
		s := StartRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		addrs = append(addrs, s.Addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	host, port, _ := strings.Cut(addrs[0], ":")
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command(cli, "-h", host, "-p", port, "cluster", "info").Output()
		if strings.Contains(string(out), "cluster_state:ok") {
			return addrs
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("cluster on %v never reached cluster_state:ok", addrs)
	return nil
}

// StartSentinel starts a Sentinel watching master (as "mymaster", quorum 1) and returns
// its address.
func StartSentinel(t testing.TB, master *RedisServer) string {
	t.Helper()
	bin := RequireBinary(t, "redis-server")
	dir := t.TempDir()
	port := FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %d 1\nsentinel down-after-milliseconds mymaster 1000\n", port, dir, master.Port)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, conf, "--sentinel")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sentinel: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(addr) == nil {
			return addr
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("sentinel on %s did not answer", addr)
	return ""
}
