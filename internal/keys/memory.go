package keys

import (
	"context"
	"maps"
	"sync"
	"time"
)

// Memory is a Store for one replica (the embedded default). Its state ends with the process.
type Memory struct {
	mu    sync.Mutex
	state State
	subs  []chan struct{}
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{state: emptyState()}
}

func (m *Memory) Load(context.Context) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return cloneState(m.state), nil
}

func (m *Memory) Version(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state.Version, nil
}

func (m *Memory) Update(_ context.Context, fn func(*State) error) error {
	m.mu.Lock()
	next := cloneState(m.state)
	if err := fn(&next); err != nil {
		m.mu.Unlock()
		return err
	}
	for id := range m.state.Keys { // as in Redis: a removed key's last use goes with it
		if _, kept := next.Keys[id]; !kept {
			delete(next.LastUsed, id)
		}
	}
	next.Version = m.state.Version + 1
	m.state = next
	subs := m.subs
	m.mu.Unlock()
	for _, c := range subs {
		select {
		case c <- struct{}{}:
		default: // a change is already pending for this subscriber
		}
	}
	return nil
}

func (m *Memory) Touch(_ context.Context, id string, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state.LastUsed[id] = t
	return nil
}

func (m *Memory) Changes(ctx context.Context) <-chan struct{} {
	c := make(chan struct{}, 1)
	m.mu.Lock()
	m.subs = append(m.subs, c)
	m.mu.Unlock()
	go func() {
		<-ctx.Done()
		m.mu.Lock()
		defer m.mu.Unlock()
		for i, s := range m.subs {
			if s == c {
				m.subs = append(m.subs[:i], m.subs[i+1:]...)
				break
			}
		}
	}()
	return c
}

func emptyState() State {
	return State{Keys: map[string]Key{}, Callers: map[string]CallerSettings{}, LastUsed: map[string]time.Time{}, Overlays: map[string]Overlay{}}
}

func cloneState(s State) State {
	c := State{Version: s.Version, Keys: maps.Clone(s.Keys), Callers: maps.Clone(s.Callers), LastUsed: maps.Clone(s.LastUsed), Overlays: maps.Clone(s.Overlays)}
	if c.Overlays == nil {
		c.Overlays = map[string]Overlay{}
	}
	return c
}
