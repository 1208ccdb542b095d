package openapi

import (
	"context"
	"sync"
)

// Set holds one Spec per upstream, by name, and runs them in the background. Its Specs
// outlive reloads: Sync re-decides what a held one serves rather than build it again, so
// the fetched document is kept. The zero Set is empty and ready.
type Set struct {
	mu     sync.Mutex
	by     map[string]*setRun
	runCtx context.Context // set by Run; nil until then
	wg     sync.WaitGroup  // the documents' refresh loops
}

type setRun struct {
	spec   *Spec
	cancel context.CancelFunc
}

// Get returns upstream's Spec, or nil when it serves none.
func (s *Set) Get(upstream string) *Spec {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.by[upstream]; r != nil {
		return r.spec
	}
	return nil
}

// Sync makes the set match want, one Options per upstream: a held upstream gets the new
// Routing (SetRouting; its other options stay), a new one is built (New) and started if
// Run is under way, and one not in want stops. On an error it stops there, and failed is
// the index in want of the Options that could not be applied.
func (s *Set) Sync(want []Options) (failed int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.by == nil {
		s.by = map[string]*setRun{}
	}
	keep := map[string]bool{}
	for i, o := range want {
		keep[o.Upstream] = true
		if r := s.by[o.Upstream]; r != nil {
			if err := r.spec.SetRouting(o.Routing); err != nil {
				return i, err
			}
			continue
		}
		sp, err := New(o)
		if err != nil {
			return i, err
		}
		r := &setRun{spec: sp}
		s.by[o.Upstream] = r
		if s.runCtx != nil {
			s.start(r)
		}
	}
	for name, r := range s.by {
		if !keep[name] {
			if r.cancel != nil {
				r.cancel()
			}
			delete(s.by, name)
		}
	}
	return 0, nil
}

func (s *Set) start(r *setRun) {
	ctx, cancel := context.WithCancel(s.runCtx)
	r.cancel = cancel
	s.wg.Add(1)
	go func() { defer s.wg.Done(); r.spec.Run(ctx) }()
}

// Run runs every Spec held, and those Sync adds later, until ctx ends, and returns when
// all of them have stopped.
func (s *Set) Run(ctx context.Context) {
	s.mu.Lock()
	s.runCtx = ctx
	for _, r := range s.by {
		s.start(r)
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.wg.Wait()
}
