package keys

import (
	"slices"
	"sort"
	"time"

	"github.com/budgetgw/gateway/internal/config"
)

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
