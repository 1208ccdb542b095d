package budget

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// The journal's running sums must equal what a walk of every entry counts, at every
// step of any sequence of additions, settles, syncs, write-backs and releases.
func TestJournalSumsEqualAWalk(t *testing.T) {
	type shadow struct {
		t       Ticket
		release time.Time
		local   bool
		seq     uint64
	}
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		j := newJournal()
		var all []*shadow
		var sinceSeq, seq uint64
		now := time.Unix(1_000_000, 0)
		check := func(step int) {
			t.Helper()
			var alive, since, local int64
			aliveBy, localBy := map[string]int64{}, map[string]int64{}
			for _, e := range all {
				if !e.release.After(now) {
					continue
				}
				alive += e.t.Cost
				aliveBy[e.t.Caller] += e.t.Cost
				if e.seq >= sinceSeq {
					since += e.t.Cost
				}
				if e.local {
					local += e.t.Cost
					localBy[e.t.Caller] += e.t.Cost
				}
			}
			got := fmt.Sprint(j.alive, j.since, j.local, j.aliveBy, j.localBy)
			want := fmt.Sprint(alive, since, local, aliveBy, localBy)
			if got != want {
				t.Fatalf("seed %d step %d: sums (alive since local aliveBy localBy) %s; a walk counts %s", seed, step, got, want)
			}
		}
		for step := range 3000 {
			now = now.Add(time.Duration(rng.IntN(40)) * time.Millisecond)
			switch op := rng.IntN(10); {
			case op < 5: // an admission, through Redis or alone
				tk := Ticket{ID: newID(), Caller: fmt.Sprint("c", rng.IntN(4)), Cost: int64(1 + rng.IntN(10))}
				release := now.Add(time.Duration(100+rng.IntN(2000)) * time.Millisecond)
				local := rng.IntN(3) == 0
				j.add(tk, now, release, local)
				all = append(all, &shadow{t: tk, release: release, local: local, seq: seq})
				seq++
			case op < 7 && len(all) > 0: // an answer: the release moves earlier, never later
				e := all[rng.IntN(len(all))]
				r := now.Add(time.Duration(rng.IntN(1500)) * time.Millisecond)
				j.moveEarlier(e.t.ID, r)
				if e.release.After(now) && r.Before(e.release) {
					e.release = r
				}
			case op < 8: // a sync answered, sent a few entries ago
				s := seq - uint64(min(int(seq), rng.IntN(5)))
				j.synced(s)
				sinceSeq = max(sinceSeq, s)
			default: // a write-back of some of what is dirty
				pend := j.pending()
				es, gens := j.takeDirty(1+rng.IntN(8), &pend)
				if rng.IntN(4) == 0 {
					j.unwritten(es)
					break
				}
				j.written(es, gens)
				for _, e := range es {
					for _, s := range all {
						if s.t.ID == e.t.ID {
							s.local = false
						}
					}
				}
			}
			j.advance(now)
			check(step)
		}
	}
}

// A write-back sends each entry once while nothing moves; one that moved while its
// write-back was on its way is sent again; a failed write-back loses nothing.
func TestJournalWriteBackTracksWhatIsDirty(t *testing.T) {
	j := newJournal()
	now := time.Unix(1_000_000, 0)
	for i := range 5 {
		j.add(Ticket{ID: fmt.Sprint("t", i), Caller: "a", Cost: 1}, now, now.Add(time.Hour), true)
	}
	all := j.pending()
	es, gens := j.takeDirty(3, &all)
	if len(es) != 3 {
		t.Fatalf("took %d; want 3", len(es))
	}
	j.moveEarlier(es[0].t.ID, now.Add(time.Minute)) // answered while its write-back was out
	j.written(es, gens)
	all = j.pending()
	rest, _ := j.takeDirty(10, &all)
	if len(rest) != 3 { // the two never sent and the one that moved
		t.Fatalf("%d left to write; want 3", len(rest))
	}
	j.unwritten(rest)
	all = j.pending()
	again, _ := j.takeDirty(10, &all)
	if len(again) != 3 {
		t.Fatalf("after a failed write-back %d left; want the same 3", len(again))
	}
	if j.local != 2 {
		t.Fatalf("local points %d; want 2 (three written back; the one that moved goes again for its earlier release)", j.local)
	}
	// A write-back takes what was dirty when it started, not what is added meanwhile.
	j.unwritten(again)
	all = j.pending()
	first, _ := j.takeDirty(2, &all)
	j.add(Ticket{ID: "late", Caller: "a", Cost: 1}, now, now.Add(time.Hour), true)
	rest, _ = j.takeDirty(10, &all)
	if len(first)+len(rest) != 3 {
		t.Fatalf("the pass took %d entries; want the 3 dirty when it started, not the one added since", len(first)+len(rest))
	}
}

// What the journal costs per admission on the hot path: add, an answer moving the
// release earlier, and the releases that come due, with some 100k entries counted.
func BenchmarkJournalPerAdmission(b *testing.B) {
	j := newJournal()
	now := time.Unix(1_000_000, 0)
	life, window := 90*time.Second, 60*time.Second
	ids := make([]string, 1<<17)
	for i := range ids {
		ids[i] = fmt.Sprint("t", i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now = now.Add(time.Millisecond) // 1000 admissions a second
		id := ids[i&(len(ids)-1)]
		j.add(Ticket{ID: id, Caller: "a", Cost: 2}, now, now.Add(life), false)
		j.moveEarlier(id, now.Add(window))
		if i%250 == 0 {
			j.synced(j.seq)
		}
	}
}
