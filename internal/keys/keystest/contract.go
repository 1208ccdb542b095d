// Package keystest is the behaviour every keys.Store must show, run against each
// implementation (memory and a real Redis). It must never depend on how a store keeps its
// data: only on what Load returns after Update.
package keystest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/keys"
)

// Run checks store, which must start empty.
func Run(t *testing.T, store keys.Store) {
	ctx := context.Background()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	load := func() keys.State {
		t.Helper()
		s, err := store.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	update := func(fn func(*keys.State) error) error {
		t.Helper()
		return store.Update(ctx, fn)
	}

	v0 := load().Version
	if err := update(func(s *keys.State) error {
		s.Keys["k1"] = keys.Key{ID: "k1", Caller: "svc", SHA256: "00", Created: at}
		s.Callers["reports"] = keys.CallerSettings{Name: "reports", Scopes: []string{"users:read"}, Priority: "normal"}
		s.Overlays["file-1"] = keys.Overlay{Disabled: true, By: "ops@127.0.0.1", At: at}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s := load()
	if s.Version == v0 {
		t.Error("an update did not change the version")
	}
	if v, err := store.Version(ctx); err != nil || v != s.Version {
		t.Errorf("Version = %d, %v; Load says %d", v, err, s.Version)
	}
	if k := s.Keys["k1"]; k.Caller != "svc" || !k.Created.Equal(at) {
		t.Errorf("key after update = %+v", k)
	}
	if c := s.Callers["reports"]; len(c.Scopes) != 1 || c.Scopes[0] != "users:read" {
		t.Errorf("caller after update = %+v", c)
	}
	if o := s.Overlays["file-1"]; !o.Disabled || o.By != "ops@127.0.0.1" || !o.At.Equal(at) {
		t.Errorf("overlay after update = %+v", o)
	}

	refused := errors.New("refused")
	if err := update(func(s *keys.State) error { delete(s.Keys, "k1"); return refused }); !errors.Is(err, refused) {
		t.Fatalf("a refusing update returned %v", err)
	}
	if _, ok := load().Keys["k1"]; !ok {
		t.Error("a refused update changed the state")
	}

	if err := store.Touch(ctx, "k1", at); err != nil {
		t.Fatal(err)
	}
	if u := load().LastUsed["k1"]; !u.Equal(at) {
		t.Errorf("last used = %v; want %v", u, at)
	}

	if err := update(func(s *keys.State) error {
		delete(s.Keys, "k1") // its last use must go with it, without being asked
		delete(s.Callers, "reports")
		delete(s.Overlays, "file-1")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s = load()
	if len(s.Keys) != 0 || len(s.Callers) != 0 || len(s.Overlays) != 0 || len(s.LastUsed) != 0 {
		t.Errorf("after deleting everything the state still holds %+v", s)
	}
}

// RunConcurrent checks that concurrent updates never lose one another: each of n writers
// adds its own key on the state it read, and all n keys must be there at the end (a
// read-decide-write that is not atomic loses some). store must start empty.
func RunConcurrent(t *testing.T, store keys.Store, n int) {
	ctx := context.Background()
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- store.Update(ctx, func(s *keys.State) error {
				id := fmt.Sprintf("k%d", i)
				s.Keys[id] = keys.Key{ID: id, Caller: "svc", SHA256: "00"}
				return nil
			})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s, err := store.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Keys) != n {
		t.Fatalf("after %d concurrent updates the state holds %d keys: updates were lost", n, len(s.Keys))
	}
}
