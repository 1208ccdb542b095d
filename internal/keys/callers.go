package keys

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/config"
)

// SetCaller sets a run-time caller's scopes, priority and max_points (adding the caller
// if new). A caller of the config file is refused: the file owns it.
func (m *Manager) SetCaller(ctx context.Context, who string, cs CallerSettings) (CallerSettings, error) {
	m.mu.Lock()
	known, isFile := m.known, m.fileCaller(cs.Name)
	m.mu.Unlock()
	if !config.ValidName(cs.Name) {
		// The name becomes a metric label and a log field: the same rule as the file's.
		return cs, fmt.Errorf("%w: caller name %q: use 1-63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalid, cs.Name)
	}
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
	m.audit(ctx, who, "set_caller", zap.String("caller", cs.Name), zap.Strings("scopes", cs.Scopes), zap.String("priority", cs.Priority), zap.Int64("max_points", cs.MaxPoints))
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
	m.audit(ctx, who, "delete_caller", zap.String("caller", name))
	return m.Refresh(ctx)
}
