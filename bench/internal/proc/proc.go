// Package proc runs the harness's child processes and reads what each one costs from
// /proc: CPU time from /proc/<pid>/stat, resident memory from /proc/<pid>/status. Each
// number belongs to one process, never to the load generator beside it.
//
// It starts, signals and stops only the processes it started itself; it never looks
// for others by name, and it never decides what a reading means (the report does).
// Linux only.
package proc

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is one child process whose CPU time and memory the harness reads from /proc, so
// each number belongs to one process and not to the load generator beside it.
type Proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
}

// clockTick is USER_HZ: /proc/<pid>/stat counts CPU time in these. It is 100 on every
// Linux the harness is meant for (getconf CLK_TCK).
const clockTick = 10 * time.Millisecond

// Start runs bin with args, its stdout and stderr going to logPath.
func Start(name, logPath, bin string, args ...string) (*Proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return &Proc{name: name, cmd: cmd, log: f}, nil
}

// PID is the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// CPU is the user plus system time the process (all its threads) has used so far.
func (p *Proc) CPU() time.Duration { return cpuOf(p.PID()) }

func cpuOf(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; the fields after its ')' are fixed.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}

// CPUs reads the CPU time of each process (0 for nil).
func CPUs(ps ...*Proc) []time.Duration {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		if p != nil {
			out[i] = p.CPU()
		}
	}
	return out
}

// RSS is the process's resident set size in bytes (VmRSS).
func (p *Proc) RSS() int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID()) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Stop sends SIGTERM and waits up to grace, then kills.
func (p *Proc) Stop(grace time.Duration) {
	if p == nil || p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-done
	}
	p.log.Close()
}

// FreePort asks the kernel for a free loopback port.
func FreePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err) // loopback without a free port: nothing to measure on
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// WaitReady polls url until it answers want, or fails after limit.
func WaitReady(url string, want int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New(url + " did not become ready")
}

// RaiseFileLimit lifts the soft descriptor limit to the hard one; children inherit it.
func RaiseFileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	l.Cur = l.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
	return l.Cur
}
