package keys

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/scopes"
	"github.com/budgetgw/gateway/internal/secret"
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
}

// Manager owns the merged view of callers and keys and every change to it.
type Manager struct {
	o       Options
	mu      sync.Mutex
	callers []config.Caller
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
	m := &Manager{o: o, callers: o.Callers, touches: make(chan string, 256)}
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

// merge builds the keyring: config callers with their dynamic overrides, callers that
// exist only dynamically, config keys and dynamic keys.
func merge(callers []config.Caller, s State) (*auth.Keyring, error) {
	byName := map[string]*config.Caller{}
	var out []config.Caller
	for _, c := range callers {
		c.Keys = slices.Clone(c.Keys)
		if cs, ok := s.Callers[c.Name]; ok {
			c.Scopes, c.Priority, c.MaxPoints = cs.Scopes, cs.Priority, cs.MaxPoints
		}
		out = append(out, c)
	}
	for name, cs := range s.Callers {
		if !slices.ContainsFunc(out, func(c config.Caller) bool { return c.Name == name }) {
			out = append(out, config.Caller{Name: name, Scopes: cs.Scopes, Priority: cs.Priority, MaxPoints: cs.MaxPoints})
		}
	}
	for i := range out {
		byName[out[i].Name] = &out[i]
	}
	for _, k := range s.Keys {
		if c := byName[k.Caller]; c != nil {
			c.Keys = append(c.Keys, config.Key{ID: k.ID, SHA256: k.SHA256, Disabled: k.Disabled, Expires: k.Expires})
		}
	}
	return auth.NewKeyring(out)
}

// KeyView is a key as the admin API shows it (never a secret or hash).
type KeyView struct {
	ID        string    `json:"id"`
	Caller    string    `json:"caller"`
	Name      string    `json:"name,omitempty"`
	Source    string    `json:"source"` // config or dynamic
	Created   time.Time `json:"created,omitzero"`
	Expires   time.Time `json:"expires,omitzero"`
	Disabled  bool      `json:"disabled"`
	Active    bool      `json:"active"`
	RotatedTo string    `json:"rotated_to,omitempty"`
	LastUsed  time.Time `json:"last_used,omitzero"`
}

// CallerView is a caller with its settings and keys.
type CallerView struct {
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	Priority  string    `json:"priority"`
	MaxPoints int64     `json:"max_points"`
	Source    string    `json:"source"` // config, dynamic, or config+dynamic (overridden)
	Keys      []KeyView `json:"keys"`
}

// Callers lists every caller, sorted by name.
func (m *Manager) Callers() []CallerView {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.o.Now()
	views := map[string]*CallerView{}
	for _, c := range m.callers {
		v := &CallerView{Name: c.Name, Scopes: c.Scopes, Priority: c.Priority, MaxPoints: c.MaxPoints, Source: "config"}
		for _, k := range c.Keys {
			v.Keys = append(v.Keys, KeyView{ID: k.ID, Caller: c.Name, Source: "config", Expires: k.Expires, Disabled: k.Disabled,
				Active: !k.Disabled && (k.Expires.IsZero() || now.Before(k.Expires)), LastUsed: m.state.LastUsed[k.ID]})
		}
		views[c.Name] = v
	}
	for name, cs := range m.state.Callers {
		v := views[name]
		if v == nil {
			v = &CallerView{Name: name, Source: "dynamic"}
			views[name] = v
		} else {
			v.Source = "config+dynamic"
		}
		v.Scopes, v.Priority, v.MaxPoints = cs.Scopes, cs.Priority, cs.MaxPoints
	}
	for _, k := range m.state.Keys {
		if v := views[k.Caller]; v != nil {
			v.Keys = append(v.Keys, viewOf(k, now, m.state.LastUsed[k.ID]))
		}
	}
	out := make([]CallerView, 0, len(views))
	for _, v := range views {
		sort.Slice(v.Keys, func(i, j int) bool { return v.Keys[i].ID < v.Keys[j].ID })
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func viewOf(k Key, now, lastUsed time.Time) KeyView {
	return KeyView{ID: k.ID, Caller: k.Caller, Name: k.Name, Source: "dynamic", Created: k.Created, Expires: k.Expires,
		Disabled: k.Disabled, Active: active(k, now), RotatedTo: k.RotatedTo, LastUsed: lastUsed}
}

func active(k Key, now time.Time) bool {
	return !k.Disabled && k.RotatedTo == "" && (k.Expires.IsZero() || now.Before(k.Expires))
}

func (m *Manager) configKey(id string) (string, bool) {
	for _, c := range m.callers {
		for _, k := range c.Keys {
			if k.ID == id {
				return c.Name, true
			}
		}
	}
	return "", false
}

func (m *Manager) callerKnown(name string, s *State) bool {
	if _, ok := s.Callers[name]; ok {
		return true
	}
	return slices.ContainsFunc(m.callers, func(c config.Caller) bool { return c.Name == name })
}

// activeKeys lists a caller's active keys (config and dynamic), except skip.
func (m *Manager) activeKeys(caller, skip string, s *State, now time.Time) []string {
	var ids []string
	for _, c := range m.callers {
		if c.Name != caller {
			continue
		}
		for _, k := range c.Keys {
			if !k.Disabled && (k.Expires.IsZero() || now.Before(k.Expires)) {
				ids = append(ids, k.ID)
			}
		}
	}
	for _, k := range s.Keys {
		if k.Caller == caller && k.ID != skip && active(k, now) {
			ids = append(ids, k.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// Created is a new key: the secret is returned here and nowhere else, ever.
type Created struct {
	Key    KeyView      `json:"key"`
	Secret secret.Value `json:"-"`
}

// CreateKey mints a key for caller. At most MaxActive keys may be active per caller.
func (m *Manager) CreateKey(ctx context.Context, who, caller, name string, ttl time.Duration) (Created, error) {
	return m.mint(ctx, who, "create_key", caller, name, ttl, "", 0)
}

// RotateKey mints a successor for id; id keeps working for grace, then expires.
func (m *Manager) RotateKey(ctx context.Context, who, id string, grace time.Duration) (Created, error) {
	m.mu.Lock()
	if _, isConfig := m.configKey(id); isConfig {
		m.mu.Unlock()
		return Created{}, fmt.Errorf("%w: key %s is defined in the config file; rotate it there (gateway keys new prints a new one)", ErrConflict, id)
	}
	old, ok := m.state.Keys[id]
	m.mu.Unlock()
	if !ok {
		return Created{}, fmt.Errorf("%w: no key %s", ErrNotFound, id)
	}
	var ttl time.Duration // the successor lives as long as its predecessor was meant to
	if !old.Expires.IsZero() {
		ttl = old.Expires.Sub(old.Created)
	}
	return m.mint(ctx, who, "rotate_key", old.Caller, old.Name, ttl, id, grace)
}

func (m *Manager) mint(ctx context.Context, who, action, caller, name string, ttl time.Duration, rotates string, grace time.Duration) (Created, error) {
	var b [3]byte
	_, _ = rand.Read(b[:])
	id := strings.NewReplacer("_", "-", ".", "-").Replace(caller) + "-" + hex.EncodeToString(b[:])
	secretKey, sum := auth.NewKey(id)
	now := m.o.Now()
	k := Key{ID: id, Caller: caller, Name: name, SHA256: sum, Created: now}
	if ttl > 0 {
		k.Expires = now.Add(ttl)
	}
	err := m.o.Store.Update(ctx, func(s *State) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if !m.callerKnown(caller, s) {
			return fmt.Errorf("%w: no caller %s (add it to the config file, or set its scopes first)", ErrNotFound, caller)
		}
		if _, clash := s.Keys[id]; clash {
			return fmt.Errorf("%w: key id %s exists; try again", ErrConflict, id)
		}
		if rotates != "" {
			old, ok := s.Keys[rotates]
			if !ok {
				return fmt.Errorf("%w: no key %s", ErrNotFound, rotates)
			}
			if until := now.Add(grace); old.Expires.IsZero() || until.Before(old.Expires) {
				old.Expires = until
			}
			old.RotatedTo = id
			s.Keys[rotates] = old
		}
		if act := m.activeKeys(caller, rotates, s, now); len(act) >= m.o.MaxActive {
			return fmt.Errorf("%w: caller %s already has %d active keys (%s); disable or delete one of them first", ErrConflict, caller, len(act), strings.Join(act, ", "))
		}
		s.Keys[id] = k
		return nil
	})
	if err != nil {
		return Created{}, err
	}
	m.audit(ctx, who, action, zap.String("key_id", id), zap.String("caller", caller), zap.String("rotates", rotates))
	_ = m.Refresh(ctx)
	return Created{Key: viewOf(k, now, time.Time{}), Secret: secretKey}, nil
}

// SetDisabled disables or enables a dynamic key.
func (m *Manager) SetDisabled(ctx context.Context, who, id string, disabled bool) (KeyView, error) {
	var out KeyView
	err := m.o.Store.Update(ctx, func(s *State) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		k, err := m.dynamicKey(s, id)
		if err != nil {
			return err
		}
		now := m.o.Now()
		if !disabled && k.Disabled {
			if act := m.activeKeys(k.Caller, id, s, now); len(act) >= m.o.MaxActive && k.RotatedTo == "" {
				return fmt.Errorf("%w: caller %s already has %d active keys (%s)", ErrConflict, k.Caller, len(act), strings.Join(act, ", "))
			}
		}
		k.Disabled = disabled
		s.Keys[id] = k
		out = viewOf(k, now, s.LastUsed[id])
		return nil
	})
	if err != nil {
		return KeyView{}, err
	}
	action := "enable_key"
	if disabled {
		action = "disable_key"
	}
	m.audit(ctx, who, action, zap.String("key_id", id), zap.String("caller", out.Caller))
	_ = m.Refresh(ctx)
	return out, nil
}

// DeleteKey removes a dynamic key: it answers 401 from then on.
func (m *Manager) DeleteKey(ctx context.Context, who, id string) error {
	var caller string
	err := m.o.Store.Update(ctx, func(s *State) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		k, err := m.dynamicKey(s, id)
		if err != nil {
			return err
		}
		caller = k.Caller
		delete(s.Keys, id)
		delete(s.LastUsed, id)
		return nil
	})
	if err != nil {
		return err
	}
	m.audit(ctx, who, "delete_key", zap.String("key_id", id), zap.String("caller", caller))
	return m.Refresh(ctx)
}

func (m *Manager) dynamicKey(s *State, id string) (Key, error) {
	if _, isConfig := m.configKey(id); isConfig {
		return Key{}, fmt.Errorf("%w: key %s is defined in the config file, which is read-only here; change it there", ErrConflict, id)
	}
	k, ok := s.Keys[id]
	if !ok {
		return Key{}, fmt.Errorf("%w: no key %s", ErrNotFound, id)
	}
	return k, nil
}

// SetCaller sets a caller's scopes, priority and max_points (adding the caller if new).
func (m *Manager) SetCaller(ctx context.Context, who string, cs CallerSettings) (CallerSettings, error) {
	if _, err := scopes.ParseSet(cs.Scopes); err != nil {
		return cs, fmt.Errorf("%w: scopes: %v", ErrInvalid, err)
	}
	if cs.Priority == "" {
		cs.Priority = "normal"
	}
	if _, err := budget.ParsePriority(cs.Priority); err != nil {
		return cs, fmt.Errorf("%w: priority: %v", ErrInvalid, err)
	}
	if cs.MaxPoints < 0 {
		return cs, fmt.Errorf("%w: max_points must be >= 0 (0: no cap)", ErrInvalid)
	}
	if cs.Scopes == nil {
		cs.Scopes = []string{}
	}
	cs.Updated = m.o.Now()
	if err := m.o.Store.Update(ctx, func(s *State) error { s.Callers[cs.Name] = cs; return nil }); err != nil {
		return cs, err
	}
	m.audit(ctx, who, "set_caller", zap.String("caller", cs.Name), zap.Strings("scopes", cs.Scopes), zap.String("priority", cs.Priority), zap.Int64("max_points", cs.MaxPoints))
	return cs, m.Refresh(ctx)
}

func (m *Manager) audit(ctx context.Context, who, action string, fields ...zap.Field) {
	m.o.Audit.Info("audit", append(append([]zap.Field{zap.String("who", who), zap.String("action", action), zap.Time("when", m.o.Now())}, claimedActor(ctx)...), fields...)...)
}
