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
	byName := map[string]*config.Caller{}
	var out []config.Caller
	for _, c := range callers {
		c.Keys = slices.Clone(c.Keys)
		for i, k := range c.Keys {
			if s.Overlays[k.ID].Disabled {
				c.Keys[i].Disabled = true
			}
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
	Source    string    `json:"source"`            // file or admin
	Overlay   *Overlay  `json:"overlay,omitempty"` // a run-time change over a file key
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
	Source    string    `json:"source"` // file or admin
	Keys      []KeyView `json:"keys"`
}

// Callers lists every caller, sorted by name.
func (m *Manager) Callers() []CallerView {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.o.Now()
	views := map[string]*CallerView{}
	for _, c := range m.callers {
		v := &CallerView{Name: c.Name, Scopes: c.Scopes, Priority: c.Priority, MaxPoints: c.MaxPoints, Source: SourceFile}
		for _, k := range c.Keys {
			kv := KeyView{ID: k.ID, Caller: c.Name, Source: SourceFile, Expires: k.Expires, Disabled: k.Disabled, LastUsed: m.state.LastUsed[k.ID]}
			if ov, ok := m.state.Overlays[k.ID]; ok {
				kv.Overlay = &ov
				kv.Disabled = kv.Disabled || ov.Disabled
			}
			kv.Active = !kv.Disabled && (k.Expires.IsZero() || now.Before(k.Expires))
			v.Keys = append(v.Keys, kv)
		}
		views[c.Name] = v
	}
	for name, cs := range m.state.Callers {
		if views[name] == nil { // a setting for a file caller is ignored (see merge)
			views[name] = &CallerView{Name: name, Source: SourceAdmin, Scopes: cs.Scopes, Priority: cs.Priority, MaxPoints: cs.MaxPoints}
		}
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
	return KeyView{ID: k.ID, Caller: k.Caller, Name: k.Name, Source: SourceAdmin, Created: k.Created, Expires: k.Expires,
		Disabled: k.Disabled, Active: active(k, now), RotatedTo: k.RotatedTo, LastUsed: lastUsed}
}

func active(k Key, now time.Time) bool {
	return !k.Disabled && k.RotatedTo == "" && (k.Expires.IsZero() || now.Before(k.Expires))
}

func (m *Manager) configKey(id string) (config.Key, string, bool) {
	for _, c := range m.callers {
		for _, k := range c.Keys {
			if k.ID == id {
				return k, c.Name, true
			}
		}
	}
	return config.Key{}, "", false
}

func (m *Manager) fileCaller(name string) bool {
	return slices.ContainsFunc(m.callers, func(c config.Caller) bool { return c.Name == name })
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
			if !k.Disabled && !s.Overlays[k.ID].Disabled && (k.Expires.IsZero() || now.Before(k.Expires)) {
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
	if _, _, isConfig := m.configKey(id); isConfig {
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
	m.audit(who, action, zap.String("key_id", id), zap.String("caller", caller), zap.String("rotates", rotates))
	_ = m.Refresh(ctx)
	return Created{Key: viewOf(k, now, time.Time{}), Secret: secretKey}, nil
}

// SetDisabled disables or enables a key. A key of the config file gets (or loses) an
// emergency-disable overlay: it stops authenticating on every replica at once, stays
// disabled across reloads, and enabling it lifts the overlay.
func (m *Manager) SetDisabled(ctx context.Context, who, id string, disabled bool) (KeyView, error) {
	var out KeyView
	err := m.o.Store.Update(ctx, func(s *State) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if fk, caller, isFile := m.configKey(id); isFile {
			return m.overlay(s, who, fk, caller, disabled, &out)
		}
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
	m.audit(who, action, zap.String("key_id", id), zap.String("caller", out.Caller))
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
	m.audit(who, "delete_key", zap.String("key_id", id), zap.String("caller", caller))
	return m.Refresh(ctx)
}

// overlay sets or lifts the emergency disable of a file key.
func (m *Manager) overlay(s *State, who string, k config.Key, caller string, disabled bool, out *KeyView) error {
	now := m.o.Now()
	if disabled {
		s.Overlays[k.ID] = Overlay{Disabled: true, By: who, At: now}
	} else {
		if k.Disabled {
			return fmt.Errorf("%w: key %s is disabled in the config file; enable it there", ErrConflict, k.ID)
		}
		delete(s.Overlays, k.ID)
	}
	*out = KeyView{ID: k.ID, Caller: caller, Source: SourceFile, Expires: k.Expires, Disabled: disabled, LastUsed: s.LastUsed[k.ID],
		Active: !disabled && (k.Expires.IsZero() || now.Before(k.Expires))}
	if ov, ok := s.Overlays[k.ID]; ok {
		out.Overlay = &ov
	}
	return nil
}

func (m *Manager) dynamicKey(s *State, id string) (Key, error) {
	if _, _, isConfig := m.configKey(id); isConfig {
		return Key{}, fmt.Errorf("%w: key %s is defined in the config file, which the admin API does not change (only an emergency disable: gateway keys disable %s); change it there", ErrConflict, id, id)
	}
	k, ok := s.Keys[id]
	if !ok {
		return Key{}, fmt.Errorf("%w: no key %s", ErrNotFound, id)
	}
	return k, nil
}

// SetCaller sets a run-time caller's scopes, priority and max_points (adding the caller
// if new). A caller of the config file is refused: the file owns it.
func (m *Manager) SetCaller(ctx context.Context, who string, cs CallerSettings) (CallerSettings, error) {
	m.mu.Lock()
	known, isFile := m.known, m.fileCaller(cs.Name)
	m.mu.Unlock()
	if isFile {
		return cs, fmt.Errorf("%w: caller %s is defined in the config file, which the admin API does not change: edit the file and reload (in an emergency, disable its keys: gateway keys disable ID)", ErrConflict, cs.Name)
	}
	if err := known.CheckAll(cs.Scopes); err != nil {
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
	m.audit(who, "set_caller", zap.String("caller", cs.Name), zap.Strings("scopes", cs.Scopes), zap.String("priority", cs.Priority), zap.Int64("max_points", cs.MaxPoints))
	return cs, m.Refresh(ctx)
}

// DeleteCaller removes a run-time caller and its keys (they answer 401 from then on).
// For a caller of the config file it clears a setting an older version stored for it.
func (m *Manager) DeleteCaller(ctx context.Context, who, name string) error {
	err := m.o.Store.Update(ctx, func(s *State) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		_, stored := s.Callers[name]
		if m.fileCaller(name) {
			if !stored {
				return fmt.Errorf("%w: caller %s is defined in the config file; remove it there", ErrConflict, name)
			}
			delete(s.Callers, name)
			return nil
		}
		if !stored {
			return fmt.Errorf("%w: no run-time caller %s", ErrNotFound, name)
		}
		delete(s.Callers, name)
		for id, k := range s.Keys {
			if k.Caller == name {
				delete(s.Keys, id)
				delete(s.LastUsed, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.audit(who, "delete_caller", zap.String("caller", name))
	return m.Refresh(ctx)
}

func (m *Manager) audit(who, action string, fields ...zap.Field) {
	m.o.Audit.Info("audit", append([]zap.Field{zap.String("who", who), zap.String("action", action), zap.Time("when", m.o.Now())}, fields...)...)
}
