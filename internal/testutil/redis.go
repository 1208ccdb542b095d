package testutil

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// RedisServer is a redis-server process owned by one test.
type RedisServer struct {
	t    testing.TB
	bin  string
	dir  string
	Port int
	args []string
	cmd  *exec.Cmd
}

// RequireBinary returns the path of name, skipping the test when it is absent on a
// developer's machine and failing it in CI (CI=true), where skipping would hide a gap.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not on PATH; CI must install it (see .ci/run)", name)
	}
	t.Skipf("%s is not on PATH: install it to run this test (apt-get install redis-server)", name)
	return ""
}

// StartRedis starts an empty, non-persistent redis-server on a free loopback port and
// stops it when the test ends. Extra arguments are passed to redis-server.
func StartRedis(t testing.TB, extra ...string) *RedisServer {
	t.Helper()
	r := &RedisServer{t: t, bin: RequireBinary(t, "redis-server"), dir: t.TempDir(), args: extra}
	r.Port = FreePort(t)
	r.start()
	t.Cleanup(r.Kill)
	return r
}

// Addr is host:port.
func (r *RedisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.Port) }

// URL is a redis:// URL for go-redis.
func (r *RedisServer) URL() string { return "redis://" + r.Addr() + "/0" }

func (r *RedisServer) start() {
	r.t.Helper()
	args := append([]string{"--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--logfile", filepath.Join(r.dir, "redis.log")}, r.args...)
	r.cmd = exec.Command(r.bin, args...)
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(r.Addr()) == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
	r.t.Fatalf("redis-server on %s did not answer PING within 10s; log:\n%s", r.Addr(), log)
}

// Kill stops the server at once (SIGKILL): its data is gone, as in a crash.
func (r *RedisServer) Kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGCONT) // a paused process must be able to die
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// Restart kills the server and starts an empty one on the same port.
func (r *RedisServer) Restart() {
	r.t.Helper()
	r.Kill()
	r.start()
}

// Pause freezes the server (SIGSTOP): connections stay open and nothing answers.
func (r *RedisServer) Pause() { _ = r.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume lets a paused server go on (SIGCONT).
func (r *RedisServer) Resume() { _ = r.cmd.Process.Signal(syscall.SIGCONT) }

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// FreePort asks the kernel for a free loopback TCP port.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
