package keys

import (
	"context"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/scopes"
)

// Options build a Manager.
type Options struct {
	Store     Store
	Callers   []config.Caller // the config file's callers (read-only keys)
	MaxActive int             // active keys per caller; 0: 2
	Apply     func(*auth.Keyring)
	Audit     *zap.Logger // one line per change: who, what, when; never a secret
	Now       func() time.Time
	Poll      time.Duration // version poll, covering a missed notification; 0: 500ms
	// KnownScopes are the scopes the route tables require; a caller's scopes must name
	// them (nil: syntax only). SetKnownScopes replaces them on a reload.
	KnownScopes *scopes.Catalogue
}

// Manager owns the merged view of callers and keys and every change to it.
type Manager struct {
	o       Options
	mu      sync.Mutex
	callers []config.Caller
	known   *scopes.Catalogue
	state   State
	touched sync.Map // key id -> time.Time of the last Touch sent
	touches chan string
}

// NewManager loads the store once and applies the merged keyring.
func NewManager(ctx context.Context, o Options) (*Manager, error) {
	if o.MaxActive <= 0 {
		o.MaxActive = 2
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Audit == nil {
		o.Audit = zap.NewNop()
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	m := &Manager{o: o, callers: o.Callers, known: o.KnownScopes, touches: make(chan string, 256)}
	if err := m.Refresh(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// SetConfig replaces the config file's callers (a reload) and re-applies.
func (m *Manager) SetConfig(callers []config.Caller) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	kr, err := merge(callers, m.state)
	if err != nil {
		return err
	}
	m.callers = callers
	m.o.Apply(kr)
	return nil
}

// SetKnownScopes replaces the scopes a caller may be given (a reload's route tables).
func (m *Manager) SetKnownScopes(c *scopes.Catalogue) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.known = c
}

// Refresh reloads the dynamic state from the store and re-applies.
func (m *Manager) Refresh(ctx context.Context) error {
	s, err := m.o.Store.Load(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	kr, err := merge(m.callers, s)
	if err != nil {
		return err
	}
	m.state = s
	m.o.Apply(kr)
	return nil
}

// Run follows changes from every replica (notification, or the version poll) and sends
// last-used marks, until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	changes := m.o.Store.Changes(ctx)
	tick := time.NewTicker(m.o.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
			_ = m.Refresh(ctx)
		case <-tick.C:
			m.mu.Lock()
			have := m.state.Version
			m.mu.Unlock()
			if v, err := m.o.Store.Version(ctx); err == nil && v != have {
				_ = m.Refresh(ctx)
			}
		case id := <-m.touches:
			_ = m.o.Store.Touch(ctx, id, m.o.Now())
		}
	}
}

// Touch marks a key used; the store hears of it at most once a minute per key, so the
// request path never waits for it.
func (m *Manager) Touch(id string) {
	now := m.o.Now()
	if last, ok := m.touched.Load(id); ok && now.Sub(last.(time.Time)) < time.Minute {
		return
	}
	m.touched.Store(id, now)
	select {
	case m.touches <- id:
	default: // busy: the next use a minute later tries again
	}
}

// merge builds the keyring: the file's callers as the file says (with any emergency
// disable laid over their keys), callers added at run time, and keys added at run time.
// A run-time setting stored for a file caller (by an older version) is ignored: the file
// owns what it says, so a reload always applies it.
func merge(callers []config.Caller, s State) (*auth.Keyring, error) {
	byName := map[string]*auth.CallerSpec{}
	var out []auth.CallerSpec
	for _, c := range callers {
		spec := auth.CallerSpec{Name: c.Name, Scopes: c.Scopes, Priority: c.Priority, MaxPoints: c.MaxPoints, MaxWait: c.MaxWait}
		for _, k := range c.Keys {
			spec.Keys = append(spec.Keys, auth.KeySpec{ID: k.ID, SHA256: k.SHA256, Disabled: k.Disabled || s.Overlays[k.ID].Disabled, Expires: k.Expires})
		}
		out = append(out, spec)
	}
	for name, cs := range s.Callers {
		if !slices.ContainsFunc(out, func(c auth.CallerSpec) bool { return c.Name == name }) {
			out = append(out, auth.CallerSpec{Name: name, Scopes: cs.Scopes, Priority: cs.Priority, MaxPoints: cs.MaxPoints})
		}
	}
	for i := range out {
		byName[out[i].Name] = &out[i]
	}
	for _, k := range s.Keys {
		if c := byName[k.Caller]; c != nil {
			c.Keys = append(c.Keys, auth.KeySpec{ID: k.ID, SHA256: k.SHA256, Disabled: k.Disabled, Expires: k.Expires})
		}
	}
	return auth.NewKeyring(out)
}

func (m *Manager) audit(ctx context.Context, who, action string, fields ...zap.Field) {
	m.o.Audit.Info("audit", append(append([]zap.Field{zap.String("who", who), zap.String("action", action), zap.Time("when", m.o.Now())}, claimedActor(ctx)...), fields...)...)
}
