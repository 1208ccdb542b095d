package budget

import "time"

// journal is what this replica admitted (through Redis or alone) that is still counted,
// with the sums a decision made alone needs kept up to date as entries are added, moved
// earlier and released. A local decision then costs O(log n) however many calls the
// budget carries: with a large budget a walk of the whole journal per call, under the
// process's lock, made the outage path slower than the traffic it had to carry.
//
// Entries are released when their release time has passed (release ≤ now), exactly as the
// walks it replaces counted them. Not safe for concurrent use: Failover holds its lock.
type journal struct {
	byID  map[string]*jentry
	heap  releaseQueue // by release; a moved entry is pushed again and its old item skipped
	until time.Time    // released up to here: the sums are as of this time or later

	seq      uint64    // the next entry's sequence number
	order    []*jentry // entries by sequence from the oldest not yet known to be synced
	sinceSeq uint64    // entries with seq ≥ this were added after the last sync was sent

	alive, since, local int64            // points of: every entry, entries since the sync, local entries
	aliveBy, localBy    map[string]int64 // per caller: every entry, local entries
	compactAt           int              // len(order) that triggers the next compaction

	dirty []*jentry // may need writing back (flag jentry.dirty), oldest first; released ones are skipped
}

// jentry is one admission made by this replica.
type jentry struct {
	t       Ticket
	release time.Time
	local   bool // admitted during an outage and not written back since
	dirty   bool // Redis may not have it as it is here: admitted or moved while cut off
	gone    bool // released
	seq     uint64
	gen     int // bumped when release moves: heap items of older generations are stale
}

func newJournal() *journal {
	return &journal{byID: map[string]*jentry{}, aliveBy: map[string]int64{}, localBy: map[string]int64{}, compactAt: 256}
}

// advance releases every entry whose release time is not after now, and returns the time
// the sums are valid for: now, or the latest time released up to if the clock read by
// this caller is behind it (goroutines read the clock before taking the lock).
func (j *journal) advance(now time.Time) time.Time {
	if now.Before(j.until) {
		return j.until
	}
	j.until = now
	for len(j.heap) > 0 && !j.heap[0].release.After(now) {
		it := j.heap.pop()
		if e := it.e; !e.gone && it.gen == e.gen {
			j.release(e)
		}
	}
	return now
}

func (j *journal) release(e *jentry) {
	e.gone = true
	delete(j.byID, e.t.ID)
	c := e.t.Cost
	j.alive -= c
	j.sub(j.aliveBy, e.t.Caller, c)
	if e.seq >= j.sinceSeq {
		j.since -= c
	}
	j.unlocal(e)
}

func (j *journal) sub(m map[string]int64, caller string, c int64) {
	if m[caller] -= c; m[caller] <= 0 {
		delete(m, caller)
	}
}

// unlocal records that a local entry is in Redis now.
func (j *journal) unlocal(e *jentry) {
	if e.local {
		e.local = false
		j.local -= e.t.Cost
		j.sub(j.localBy, e.t.Caller, e.t.Cost)
	}
}

// add journals t, counted until release.
func (j *journal) add(t Ticket, now, release time.Time, local bool) {
	j.advance(now)
	e := &jentry{t: t, release: release, local: local, seq: j.seq}
	j.seq++
	j.byID[t.ID] = e
	j.heap.push(releaseItem{release: release, e: e})
	j.order = append(j.order, e)
	j.compact()
	c := t.Cost
	j.alive += c
	j.aliveBy[t.Caller] += c
	j.since += c
	if local {
		j.local += c
		j.localBy[t.Caller] += c
		j.markDirty(e)
	}
}

// moveEarlier brings the release of ticket id forward to r (an answer arrived); a later r
// changes nothing. It returns the entry, nil if it is not counted any more.
func (j *journal) moveEarlier(id string, r time.Time) *jentry {
	e := j.byID[id]
	if e == nil || !r.Before(e.release) {
		return e
	}
	e.release = r
	e.gen++
	j.heap.push(releaseItem{release: r, e: e, gen: e.gen})
	return e
}

func (j *journal) markDirty(e *jentry) {
	if e != nil && !e.dirty && !e.gone {
		e.dirty = true
		j.dirty = append(j.dirty, e)
	}
}

// markAllDirty: Redis lost what it held, so everything counted must be written back.
func (j *journal) markAllDirty() {
	for _, e := range j.byID {
		j.markDirty(e)
	}
}

// synced records that a sync sent when the next sequence number was seq has answered:
// entries added before it are in the schedule Redis reported.
func (j *journal) synced(seq uint64) {
	if seq <= j.sinceSeq {
		return
	}
	i := 0
	for ; i < len(j.order) && j.order[i].seq < seq; i++ {
		if e := j.order[i]; !e.gone {
			j.since -= e.t.Cost
		}
	}
	j.order = j.order[i:]
	j.sinceSeq = seq
	j.compact()
}

// compact drops released entries from order when it has doubled since the last time
// (amortised O(1) per entry): without syncs, during an outage, nothing else shortens it.
func (j *journal) compact() {
	if len(j.order) < j.compactAt {
		return
	}
	kept := j.order[:0]
	for _, e := range j.order {
		if !e.gone {
			kept = append(kept, e)
		}
	}
	clear(j.order[len(kept):])
	j.order = kept
	j.compactAt = max(256, 2*len(kept))
}

// takeDirty removes up to n entries that need writing back, oldest first, with the
// generation of each, looking at no more than *budget items of the list (counted down). A
// write-back that starts with budget = pending() writes what was dirty when it started
// and then stops, instead of chasing what local admissions add meanwhile (the breaker's
// second pass, with local admissions held, takes those).
func (j *journal) takeDirty(n int, budget *int) ([]*jentry, []int) {
	var es []*jentry
	var gens []int
	for len(j.dirty) > 0 && len(es) < n && *budget > 0 {
		e := j.dirty[0]
		j.dirty[0] = nil
		j.dirty = j.dirty[1:]
		*budget--
		if e.gone || !e.dirty {
			continue
		}
		e.dirty = false
		es, gens = append(es, e), append(gens, e.gen)
	}
	return es, gens
}

// pending is the length of the list of entries to write back (some may be stale).
func (j *journal) pending() int { return len(j.dirty) }

// written records that es (taken with gens) are in Redis; one whose release moved
// meanwhile needs writing again, with the earlier release.
func (j *journal) written(es []*jentry, gens []int) {
	for i, e := range es {
		j.unlocal(e)
		if e.gen != gens[i] {
			j.markDirty(e)
		}
	}
}

// unwritten puts es back: their write-back failed.
func (j *journal) unwritten(es []*jentry) {
	for _, e := range es {
		j.markDirty(e)
	}
}

type releaseItem struct {
	release time.Time
	e       *jentry
	gen     int
}

// releaseQueue is a binary min-heap by release, typed (container/heap would box every
// item it moves through an interface: an allocation per push and pop on the hot path).
type releaseQueue []releaseItem

func (q *releaseQueue) push(it releaseItem) {
	h := append(*q, it)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h[i].release.Before(h[p].release) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	*q = h
}

func (q *releaseQueue) pop() releaseItem {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = releaseItem{}
	h = h[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(h) && h[l].release.Before(h[m].release) {
			m = l
		}
		if r := l + 1; r < len(h) && h[r].release.Before(h[m].release) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}
