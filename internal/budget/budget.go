package budget

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Spec describes one named budget. It is immutable once built; stores key their state by Name.
type Spec struct {
	Name     string
	Capacity int64         // points per Window
	Window   time.Duration // the provider's window (sliding: every interval of this length)
	Reserve  int64         // the last Reserve points are for PriorityCritical only
	// Hold bounds how long an admitted call may stay unanswered (the upstream timeout plus
	// slack). An admission never settled is counted until Hold+Window after it was made.
	Hold time.Duration
}

// Validate reports the first problem with s, naming the field.
func (s *Spec) Validate() error {
	switch {
	case s.Name == "":
		return errors.New("name: must not be empty")
	case s.Capacity <= 0:
		return errors.New("capacity: must be > 0")
	case s.Window <= 0:
		return errors.New("window: must be > 0")
	case s.Reserve < 0 || s.Reserve >= s.Capacity:
		return fmt.Errorf("reserve: must be >= 0 and < capacity (%d)", s.Capacity)
	case s.Hold <= 0:
		return errors.New("hold: must be > 0")
	}
	return nil
}

// Priority orders waiters and decides who may use the reserve. The zero value is normal.
type Priority uint8

const (
	PriorityNormal   Priority = iota // may use capacity minus reserve
	PriorityCritical                 // may use the reserve; served before others
	PriorityBatch                    // served after every other waiter
)

// rank orders waiters: lower goes first.
func (p Priority) rank() int64 {
	switch p {
	case PriorityCritical:
		return 0
	case PriorityBatch:
		return 2
	}
	return 1
}

func (p Priority) String() string {
	switch p {
	case PriorityCritical:
		return "critical"
	case PriorityBatch:
		return "batch"
	}
	return "normal"
}

// ParsePriority reads "critical", "normal" (or ""), "batch".
func ParsePriority(s string) (Priority, error) {
	switch s {
	case "", "normal":
		return PriorityNormal, nil
	case "critical":
		return PriorityCritical, nil
	case "batch":
		return PriorityBatch, nil
	}
	return PriorityNormal, fmt.Errorf("unknown priority %q: use critical, normal or batch", s)
}

// Reason says why an ask was refused. Values are bounded: they are metric label values.
type Reason string

const (
	ReasonNone             Reason = ""
	ReasonExhausted        Reason = "exhausted"         // the shared budget has no room now
	ReasonCallerCap        Reason = "caller_cap"        // the caller's own max_points is spent
	ReasonLockout          Reason = "lockout"           // the upstream locked the organisation out
	ReasonStoreUnavailable Reason = "store_unavailable" // the budget could not be consulted
	ReasonTooExpensive     Reason = "too_expensive"     // the cost can never fit this caller's limit
)

// Ask is one request for points.
type Ask struct {
	Caller    string // bounded name (config or admin API); used for caps and metrics
	Cost      int64
	Priority  Priority
	CallerCap int64 // max points of this caller alive at once; 0: no cap
	// Waiter, when set, registers the ask in the budget's waiting line if it is refused,
	// so that later asks set its points aside (no starvation of expensive calls). The
	// Gate fills it; a store returns the handle to pass on later asks in Decision.Waiter.
	Waiter *Waiter

	// Set by Failover: ask Redis for a lease of this many points (the ask's own cost
	// included) that this replica may spend alone for leaseLife (lease.go).
	lease     int64
	leaseLife time.Duration
}

// Waiter is a place in a budget's waiting line, shared by all replicas of a Redis store.
type Waiter struct {
	ID       string        // random, unique per request
	Patience time.Duration // how long the place may be kept; a stale place ages out after it
	Handle   string        // store-specific; empty until the store registered the waiter
}

// Ticket identifies an admission, so the store can re-count it from the upstream's answer.
type Ticket struct {
	ID     string
	Caller string
	Cost   int64
}

// Decision is a store's answer to an Ask.
type Decision struct {
	Allowed bool
	Reason  Reason
	Cost    int64
	// Used is the points counted in the budget after this decision; Capacity is the
	// budget's capacity, so Remaining() maps straight to a RateLimit header.
	Used     int64
	Capacity int64
	// RetryAfter, when refused, is when enough points should be free for this ask
	// (a lower bound: the ask must still be made again). Negative: never.
	RetryAfter time.Duration
	Ticket     Ticket
	Waiter     string        // the waiter handle, when the ask registered one
	Waited     time.Duration // time spent waiting for points (set by Gate)
	Local      bool          // decided without the shared store: from the Gate's cache, or by Failover alone
	// Leased: admitted from points this replica leased from the shared store in advance
	// (counted there already; no round trip for this call). Never Local.
	Leased bool
	Epoch  string // the store's state generation (Redis: changes when data was lost)

	leaseGranted bool // the take script granted the ask's lease (lease.go)
}

// Remaining is capacity minus used, never negative.
func (d Decision) Remaining() int64 {
	if r := d.Capacity - d.Used; r > 0 {
		return r
	}
	return 0
}

// Usage is a budget's state as the store sees it now.
type Usage struct {
	Used      int64
	Capacity  int64
	Waiters   int
	LockedFor time.Duration    // remaining upstream lockout; 0 when none
	Epoch     string           // changes when the store's state was lost (Redis restarted empty)
	Schedule  []Release        // when counted points are released, earliest first (upper bounds)
	ByCaller  map[string]int64 // points counted now, per caller
}

// Release says that Points counted now will have been released After from now.
type Release struct {
	After  time.Duration
	Points int64
}

// Store holds the state of named budgets. Implementations must be safe for concurrent use
// and keep the package invariant across every process sharing them.
type Store interface {
	// Take admits the ask or refuses it; a refusal changes nothing but the waiting line.
	Take(ctx context.Context, spec *Spec, ask Ask) (Decision, error)
	// Settle reports that the upstream answered the ticket's call now: it stays counted
	// until Window from now (never longer than it already was).
	Settle(ctx context.Context, spec *Spec, t Ticket) error
	// Leave removes a waiter that gave up (timeout, client gone).
	Leave(ctx context.Context, spec *Spec, waiterHandle string) error
	// Lock refuses every ask for d (the upstream answered 429), extending any current lockout.
	Lock(ctx context.Context, spec *Spec, d time.Duration) error
	// Usage reports the budget's state (it may evict expired entries).
	Usage(ctx context.Context, spec *Spec) (Usage, error)
	// Absorb counts points spent outside the gateway (the upstream says fewer remain than
	// the store counts) for d, whether or not they fit: the store must not admit them again.
	Absorb(ctx context.Context, spec *Spec, points int64, d time.Duration) error
}

// OutsideCaller is the caller name absorbed points are counted under.
const OutsideCaller = "_outside"

// ErrUnavailable marks store failures: the budget could not be consulted.
var ErrUnavailable = errors.New("budget store unavailable")
