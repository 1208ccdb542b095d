// Package schedlag measures how long this process's runnable goroutines wait for a CPU:
// the 99th percentile of the runtime's scheduling latencies (/sched/latencies) over about
// the last second.
//
// The budget store reads it to tell a Redis that does not answer from a process too busy
// to read the answer in time: on a saturated machine every wait grows by the time the
// waiting goroutine spends in the run queue once it is woken, and a timeout measured
// then says more about the gateway than about Redis.
//
// It only measures: what a given latency means is its reader's business. It never
// changes how the runtime schedules, and costs one histogram read per 100ms.
package schedlag
