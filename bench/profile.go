package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/budgetgw/gateway/bench/internal/load"
	"github.com/budgetgw/gateway/bench/internal/proc"
	"github.com/budgetgw/gateway/bench/internal/profgateway"
)

// profileGateway runs the gateway described by s under profgateway.Run, puts it at
// saturation for dur (after warm), and returns pprof's top-10 (by flat and by cumulative
// CPU) for it.
func (e *env) profileGateway(s gatewaySpec, dur, warm time.Duration) (string, error) {
	cfgPath, err := e.writeGatewayConfig(&s)
	if err != nil {
		return "", err
	}
	profPath := filepath.Join(e.dir, s.name+".pprof")
	p, err := proc.Start(s.name, filepath.Join(e.dir, s.name+".log"), e.self, "profgateway", "-config", cfgPath, "-cpuprofile", profPath)
	if err != nil {
		return "", err
	}
	defer p.Stop(10 * time.Second)
	if err := proc.WaitReady(s.adminURL()+"/readyz", 200, 15*time.Second); err != nil {
		return "", err
	}
	cl := s.callers[0]
	spec := load.Spec{URL: s.url() + "/api/v2/users", Header: bearer(cl.key), Workers: saturationWorkers, Dur: warm}
	load.Attack(spec, 200)
	_ = p.Signal(syscall.SIGUSR1)
	spec.Dur = dur
	res := load.Attack(spec, 200)
	p.Stop(10 * time.Second)
	var top strings.Builder
	fmt.Fprintf(&top, "%.0f answered/s while profiled (profiling costs a few per cent)\n", res.Throughput())
	for _, sort := range []string{"-flat", "-cum"} {
		b, err := exec.Command("go", "tool", "pprof", "-top", sort, "-nodecount=10", e.self, profPath).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("go tool pprof: %v\n%s", err, b)
		}
		top.WriteString(profgateway.Table(string(b)))
	}
	return top.String(), nil
}
