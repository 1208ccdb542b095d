// Package budget decides whether a call may spend points of a shared upstream budget.
//
// The invariant every Store keeps: for every named budget and every interval of length
// Window, the points of admitted calls alive in that interval never exceed Capacity. An
// admission stays counted from the moment it is granted until Window after the upstream
// answered (Settle), or, if no answer is ever reported, until Hold+Window after admission.
// Counting that way makes the guarantee hold on the upstream's own clock whatever the
// latency: of any set of calls that reach the upstream within one window, the last one
// admitted saw every other one still counted.
//
// Refused asks write nothing, so overload never shrinks the budget. Decisions are values
// (Decision); this package never touches HTTP. Stores: Memory (one process; its books are
// kept by internal/ledger) and Redis (shared by replicas); Failover wraps Redis with an
// exact local share during outages.
// It must never admit a point it cannot prove free, whatever fails: a refused call costs
// a retry, an overspent point locks the whole organisation out.
//
// # Faults (Failover)
//
// Bounded waits. Every Redis call made for a request is bounded by CallTimeout
// (redis.timeout) through its context, and the client bounds each stage by it too (pool
// wait, dial, read, write). The first call that fails opens one breaker for the process:
// every request then decides locally at once, and only the background loop talks to Redis
// (it writes the journal back and closes the breaker when that works). Its steps may take
// several calls and get Timeout for all of them, but each call still ends at the client's
// timeout: a probe that waited longer than a request may would close the breaker onto a
// Redis too slow for requests, and the breaker would flap. A request waits at most
// max_wait plus one CallTimeout. Two failures open nothing: an ask that timed out while
// still in its budget's line (never sent; the batch ahead of it answers for Redis), and
// any call that failed while the process was starved of CPU (FailoverOptions.Lag: a busy
// process reads answers late, a hung Redis leaves it idle). Asks still in the line when
// the breaker opens leave it unsent and are decided locally at once.
//
// The journal. Each replica remembers what it admitted within the last Hold+Window and
// when each is released (journal.go keeps the sums a local decision needs, so deciding
// alone costs O(log n) however large the budget). It is written back when Redis answers
// again: what was admitted alone and releases moved earlier while cut off, or everything
// when Redis lost its data (another epoch); in calls of at most 1024 entries, each
// idempotent and kept if a later one fails. The write-back also cancels asks whose answer
// was lost. A budget whose state Redis lost refuses asks for a short grace so that every
// replica can write back first.
//
// One replica (Replicas = 1). Nobody else spends, so what is counted is what Redis held
// at the last sync (its release schedule, to a sixteenth of the window) plus what this
// replica admitted since: everything else is free at once.
//
// Several replicas: heartbeats. Every call a replica makes carries a heartbeat: "I am
// connected until R+Stale", where R is Redis's clock in an earlier answer. The admission
// script sets aside Capacity/Replicas for every other replica whose heartbeat has lapsed,
// for 4×(Hold+Window) after it lapsed. A replica cut off from Redis (the others fine, or
// Redis gone for everyone) may spend Capacity/Replicas alone:
//   - not before rAck+Stale+Hold+Window, where rAck is when it received the latest Redis
//     clock it ever based a heartbeat on: the others noticed by rAck+Stale, and whatever
//     they admitted before noticing is released Hold+Window later;
//   - not after beatFloor+Stale+4×(Hold+Window)−(Hold+Window), where beatFloor is when it
//     sent the call whose answer its last confirmed heartbeat was based on: everything it
//     admits alone is released before the others take the share back.
//
// A heartbeat is never based on the clock of the call that carries it, because Redis may
// run a command long after the replica gave up on it (a frozen server resumes and drains
// its sockets); a late heartbeat then still claims no more than the replica already
// accounted for. Durations are measured on each side's own clock; clocks are never
// compared. A replica that says goodbye on shutdown is forgotten at once; one that never
// reached Redis gets no share (the others never heard of it).
//
// Why heartbeats, not leases, for outages. A block of points a replica holds in Redis to
// spend alone when cut off makes outages instant, but to matter it must be large and held
// all the time: with Retool's 300 points and three replicas it idles a large part of the
// budget, and the fleet's utilisation target (≥ 0.97) is missed. Heartbeats cost nothing
// while Redis answers (one HSET in a script that runs anyway); their price is paid only in
// an outage of several replicas: nothing is spent alone for Stale+Hold+Window. The short
// leases below are another thing: they save round trips while a budget is far from
// binding, and are never granted where utilisation is decided.
//
// # Leases (Failover)
//
// While a budget is far from binding, a busy replica need not ask Redis for every call
// (lease.go). When it has no lease to admit a call from, it asks for one of L points, in
// the background: twice what it admitted in the last life T (1s, or Window/16 when
// shorter), at most (Capacity−Reserve)/(16×Replicas), and only if that is at least eight
// asks like this one. The script grants it only if nobody waits and used + set aside + L ≤
// (Capacity−Reserve)/2: one entry of L points under the caller "~lease", released at
// R+T+Hold+Window, where R is Redis's clock when it ran. A refused lease is not asked for
// again for T. The replica then admits calls of callers without a cap from the lease,
// alone, while their points fit in L and its own clock (read under its lock) is before
// S+T, where S is when it sent the lease ask; their answers are recorded locally too (no
// settle is sent). Asks that find no lease while one is asked for wait for it, at most
// CallTimeout, then ask Redis themselves; the next lease is asked for when three quarters
// of the open one is spent or a quarter of its life is left, so a steady stream never
// waits. On a process short of CPU, where every round trip risks reading its answer too
// late, one lease ask that arrives in time serves the many calls behind it; without it,
// each would need a round trip of its own.
//
// Why it holds. S comes before R, so a call admitted from the lease at a < S+T must be
// counted until a+Hold+Window at the latest (or Window after its answer): within the life
// of the lease entry. The calls of a lease never hold more than L between them. So while
// the entry lives, Redis counts at least what those calls need counted, and decides for
// everybody else as if each had been admitted by its own script call. Closing a lease
// (once its life is over and its calls answered, or min(Hold, 4×Every) after its life) is
// one write-back call: it cancels the lease entry and writes the calls it stood for, one
// entry per caller and release rounded up to Window/64, atomically. Their times left are
// measured from when the close was sent, before Redis ran it, so each entry lasts at least
// as long as its calls need. A close whose answer is lost is sent again with the same
// entries (idempotent: entries already there are left as they are).
//
// Faults. The lease entry is journalled like an admission, so it is written back if Redis
// loses its data. A lease may still be spent while the breaker is open: its points are in
// Redis or in the journal. Unspent points stay counted until the close, or through an
// outage until the entry expires; that is the price, and it is paid only where the budget
// was far from binding. A lease ends early when the upstream locks the organisation out
// (Lock here at once; other replicas when they hear Lock's announcement on Redis pub/sub,
// or at their next sync, within Every, if they missed it; a lease asked for before the
// lockout was made or heard of is ended as soon as it is granted), when Redis refuses
// one of this replica's asks, or when a sync sees waiters: its unspent points come back at
// the close. A replica that stops while connected closes its leases, after waiting (at
// most Timeout) for a lease ask still in flight, so a lease granted as it stops is closed
// too. Callers with a cap always ask Redis, which keeps their count.
//
// # Batches (Redis)
//
// Group commit, per budget and replica (batch.go): an ask that finds no batch of its
// budget in flight is sent at once, alone, on its own goroutine (one round trip, nothing
// added); asks that arrive meanwhile queue, and leave as soon as the one in flight is
// answered: all of them, in batches of up to 128, up to 8 batches side by side (like
// separate calls, which Redis runs one after the other). The take script decides a
// batch's asks one after the other at one Redis instant, exactly as separate calls would
// (the waiting line, priorities, caps and outage shares included), so every guarantee
// above holds. Failover builds the
// batch's one heartbeat when it is sent, from an earlier answer's clock. Each ask waits for
// its answer at most CallTimeout from when it queued; the batch's call ends by the latest
// deadline of its asks; an ask whose caller left before its batch is sent is dropped, and
// one whose caller left after is cancelled by the write-back like any lost answer.
//
// Failover sends settles asynchronously, batched the same way (settle.go; the queue is
// internal/groupcommit): the caller does not wait for Redis. A late settle only keeps
// points counted longer; a lost one leaves them counted until Hold+Window after admission.
// Run sends the settles still queued before it returns, so a replica that drains and
// stops loses none.
package budget
