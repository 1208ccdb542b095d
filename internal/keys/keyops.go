package keys

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/secret"
)

// Created is a new key: the secret is returned here and nowhere else, ever.
type Created struct {
	Key    KeyView      `json:"key"`
	Secret secret.Value `json:"-"`
}

// CreateKey mints a key for caller. At most MaxActive keys may be active per caller.
func (m *Manager) CreateKey(ctx context.Context, who, caller, name string, ttl time.Duration) (Created, error) {
	return m.mint(ctx, mintOptions{who: who, action: "create_key", caller: caller, name: name, ttl: ttl})
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
	return m.mint(ctx, mintOptions{who: who, action: "rotate_key", caller: old.Caller, name: old.Name, ttl: ttl, rotates: id, grace: grace})
}

// mintOptions describe a key to mint: for whom, why, and (for a rotation) which key it
// replaces and how long that one keeps working.
type mintOptions struct {
	who, action  string // for the audit line
	caller, name string
	ttl          time.Duration // 0: never expires
	rotates      string        // the key this one replaces, if any
	grace        time.Duration // how long the replaced key keeps working
}

func (m *Manager) mint(ctx context.Context, o mintOptions) (Created, error) {
	who, action, caller, name, ttl, rotates, grace := o.who, o.action, o.caller, o.name, o.ttl, o.rotates, o.grace
	id := auth.NewKeyID(caller)
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

// SetDisabled disables or enables a key. A key of the config file gets (or loses) an
// emergency-disable overlay: it stops authenticating on every replica at once, stays
// disabled across reloads, and enabling it lifts the overlay.
func (m *Manager) SetDisabled(ctx context.Context, who, id string, disabled bool) (KeyView, error) {
	var out KeyView
	err := m.o.Store.Update(ctx, func(s *State) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if fk, caller, isFile := m.configKey(id); isFile {
			return m.overlay(s, byline(ctx, who), fk, caller, disabled, &out)
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

// overlay sets or lifts the emergency disable of a file key.
func (m *Manager) overlay(s *State, by string, k config.Key, caller string, disabled bool, out *KeyView) error {
	now := m.o.Now()
	if disabled {
		s.Overlays[k.ID] = Overlay{Disabled: true, By: by, At: now}
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
