package budget

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// The calls Failover syncs and writes back with: the usage script's full answer (release
// schedule, heartbeats, Redis's clock), the write-back of a journal, and the goodbye.

// syncState is a Usage plus what Failover keeps from a sync.
type syncState struct {
	Usage
	beats map[string]int64 // replica -> connected until (Redis µs)
	now   int64            // Redis µs when the script ran
}

func (r *Redis) usage(ctx context.Context, spec *Spec, hb heartbeat) (syncState, int64, error) {
	slot := slotUS(spec)
	_, stateMS := ttls(spec)
	res, err := usageScript.Run(ctx, r.c, r.keysOf(spec.Name), r.now(), slot, hb.replica, hb.until, stateMS).Slice()
	if err != nil {
		return syncState{}, 0, fmt.Errorf("usage %s: %w", spec.Name, err)
	}
	if len(res) != 8 {
		return syncState{}, 0, fmt.Errorf("usage %s: malformed script reply", spec.Name)
	}
	used, e1 := asInt(res[0])
	lock, e2 := asInt(res[1])
	waiters, e3 := asInt(res[2])
	epoch, ok := res[3].(string)
	now, e4 := asInt(res[4])
	sched, ok2 := res[5].([]any)
	callers, ok3 := res[6].([]any)
	beats, ok4 := res[7].([]any)
	if e1 != nil || e2 != nil || e3 != nil || e4 != nil || !ok || !ok2 || !ok3 || !ok4 {
		return syncState{}, 0, fmt.Errorf("usage %s: malformed script reply %v", spec.Name, res[:5])
	}
	u := Usage{Used: used, Capacity: spec.Capacity, Waiters: int(waiters), LockedFor: usDur(lock), Epoch: epoch, ByCaller: map[string]int64{}}
	for i := 0; i+1 < len(sched); i += 2 {
		s, err1 := asInt(sched[i])
		p, err2 := asInt(sched[i+1])
		if err1 != nil || err2 != nil || p <= 0 {
			continue
		}
		u.Schedule = append(u.Schedule, Release{After: usDur(max((s+1)*slot-now, 0)), Points: p})
	}
	for i := 0; i+1 < len(callers); i += 2 {
		name, okName := callers[i].(string)
		p, err := asInt(callers[i+1])
		if okName && err == nil && p > 0 {
			u.ByCaller[name] = p
		}
	}
	sort.Slice(u.Schedule, func(i, j int) bool { return u.Schedule[i].After < u.Schedule[j].After })
	st := syncState{Usage: u, beats: map[string]int64{}, now: now}
	for i := 0; i+1 < len(beats); i += 2 {
		id, okID := beats[i].(string)
		until, err := asInt(beats[i+1])
		if okID && err == nil {
			st.beats[id] = until
		}
	}
	return st, now, nil
}

// Restored is one admission to write back, with the time left until its release.
type Restored struct {
	Ticket Ticket
	Left   time.Duration
}

// Restore writes back admissions Redis does not know (it lost them, or they were made
// during an outage), and cancels admissions whose answer never arrived (they were not
// forwarded). Entries already present are left alone, unless the write-back releases them
// sooner. It returns the epoch.
func (r *Redis) Restore(ctx context.Context, spec *Spec, entries []Restored, cancel []Ticket) (string, error) {
	epoch, _, err := r.restore(ctx, spec, heartbeat{}, nil, entries, cancel)
	return epoch, err
}

// restore also writes the replica's heartbeat and the heartbeats it last saw; it returns
// the epoch and Redis's clock (µs).
func (r *Redis) restore(ctx context.Context, spec *Spec, hb heartbeat, beats map[string]int64, entries []Restored, cancel []Ticket) (string, int64, error) {
	keyMS, stateMS := ttls(spec)
	args := make([]any, 0, 10+2*len(beats)+2*len(entries)+len(cancel))
	args = append(args, r.now(), keyMS, stateMS, newID(), slotUS(spec), hb.replica, hb.until, len(beats))
	for id, until := range beats {
		args = append(args, id, until)
	}
	args = append(args, len(entries))
	for _, e := range entries {
		args = append(args, member(e.Ticket), e.Left.Microseconds())
	}
	for _, t := range cancel {
		args = append(args, member(t))
	}
	res, err := restoreScript.Run(ctx, r.c, r.keysOf(spec.Name), args...).Slice()
	if err != nil {
		return "", 0, fmt.Errorf("restore %s: %w", spec.Name, err)
	}
	if len(res) != 4 {
		return "", 0, fmt.Errorf("restore %s: malformed script reply", spec.Name)
	}
	epoch, ok := res[0].(string)
	now, err := asInt(res[3])
	if !ok || err != nil {
		return "", 0, fmt.Errorf("restore %s: malformed script reply %v", spec.Name, res)
	}
	return epoch, now, nil
}

// forget removes a replica's heartbeat (it stopped, and will not spend alone).
func (r *Redis) forget(ctx context.Context, spec *Spec, replica string) error {
	return forgetScript.Run(ctx, r.c, r.keysOf(spec.Name), replica, r.now()).Err()
}
