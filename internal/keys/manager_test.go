package keys_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/auth"
	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/keys"
	"github.com/budgetgw/gateway/internal/scopes"
)

// ring is the keyring the manager applied last.
type ring struct {
	mu sync.Mutex
	kr *auth.Keyring
}

func (r *ring) set(kr *auth.Keyring) { r.mu.Lock(); r.kr = kr; r.mu.Unlock() }

func (r *ring) check(key string) auth.Failure {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, f := r.kr.Authenticate(key, time.Now())
	return f
}

func fileCallers(scope string, sum string) []config.Caller {
	return []config.Caller{{Name: "support-tools", Scopes: []string{scope}, Priority: "normal",
		Keys: []config.Key{{ID: "support-1", SHA256: sum}}}}
}

func view(t *testing.T, m *keys.Manager, name string) keys.CallerView {
	t.Helper()
	for _, c := range m.Callers() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no caller %s in %+v", name, m.Callers())
	return keys.CallerView{}
}

func TestTheFileOwnsItsCallersAndAReloadAppliesIt(t *testing.T) {
	ctx := context.Background()
	fileKey, sum := auth.NewKey("support-1")
	var r ring
	m, err := keys.NewManager(ctx, keys.Options{Store: keys.NewMemory(), Callers: fileCallers("users:read", sum), Apply: r.set,
		KnownScopes: scopes.NewCatalogue(scopes.Scope{Family: "users", Level: "read"}, scopes.Scope{Family: "groups", Level: "read"})})
	if err != nil {
		t.Fatal(err)
	}

	// The admin API may not change a file caller: it says where to change it instead.
	_, err = m.SetCaller(ctx, "ops", keys.CallerSettings{Name: "support-tools", Scopes: []string{"groups:read"}})
	if !errors.Is(err, keys.ErrConflict) || !strings.Contains(err.Error(), "config file") {
		t.Fatalf("setting a file caller: %v; want a conflict naming the config file", err)
	}

	// Run-time callers live beside the file's and say so.
	if _, err := m.SetCaller(ctx, "ops", keys.CallerSettings{Name: "reports", Scopes: []string{"groups:read"}}); err != nil {
		t.Fatal(err)
	}
	if v := view(t, m, "reports"); v.Source != keys.SourceAdmin {
		t.Errorf("reports source = %q; want admin", v.Source)
	}
	if v := view(t, m, "support-tools"); v.Source != keys.SourceFile || v.Keys[0].Source != keys.SourceFile || v.Keys[0].Overlay != nil {
		t.Errorf("support-tools = %+v; want source file, its key from the file, no overlay", v)
	}

	// Emergency disable of a file key: an overlay, visible, effective at once.
	kv, err := m.SetDisabled(ctx, "ops", "support-1", true)
	if err != nil {
		t.Fatal(err)
	}
	if !kv.Disabled || kv.Overlay == nil || !kv.Overlay.Disabled || kv.Overlay.By != "ops" {
		t.Errorf("disabled file key = %+v; want an overlay by ops", kv)
	}
	if f := r.check(fileKey.Reveal()); f != auth.Disabled {
		t.Fatalf("a disabled file key authenticates: %v", f)
	}

	// A reload applies the file (new scopes), and the overlay survives it.
	if err := m.SetConfig(fileCallers("groups:read", sum)); err != nil {
		t.Fatal(err)
	}
	v := view(t, m, "support-tools")
	if len(v.Scopes) != 1 || v.Scopes[0] != "groups:read" {
		t.Errorf("after a reload the scopes are %v; want the file's [groups:read]", v.Scopes)
	}
	if k := v.Keys[0]; !k.Disabled || k.Overlay == nil {
		t.Errorf("after a reload the key is %+v; want still disabled by the overlay", k)
	}
	if f := r.check(fileKey.Reveal()); f != auth.Disabled {
		t.Fatalf("the overlay did not survive the reload: %v", f)
	}

	// Lifting the overlay: enable.
	if _, err := m.SetDisabled(ctx, "ops", "support-1", false); err != nil {
		t.Fatal(err)
	}
	if k := view(t, m, "support-tools").Keys[0]; k.Disabled || k.Overlay != nil || !k.Active {
		t.Errorf("after enable the key is %+v; want active, no overlay", k)
	}
	if f := r.check(fileKey.Reveal()); f != auth.OK {
		t.Fatalf("an enabled file key does not authenticate: %v", f)
	}

	// Run-time callers can be removed; file callers cannot.
	if err := m.DeleteCaller(ctx, "ops", "reports"); err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteCaller(ctx, "ops", "support-tools"); !errors.Is(err, keys.ErrConflict) {
		t.Errorf("deleting a file caller: %v; want a conflict", err)
	}
}

func TestScopeTyposAreRefusedWithTheClosestName(t *testing.T) {
	ctx := context.Background()
	var r ring
	m, err := keys.NewManager(ctx, keys.Options{Store: keys.NewMemory(), Apply: r.set,
		KnownScopes: scopes.NewCatalogue(scopes.Scope{Family: "apps", Level: "read"})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.SetCaller(ctx, "ops", keys.CallerSettings{Name: "reporting", Scopes: []string{"appz:raed"}})
	if !errors.Is(err, keys.ErrInvalid) || !strings.Contains(err.Error(), "did you mean apps:read?") {
		t.Fatalf("err = %v; want invalid, suggesting apps:read", err)
	}
}

// A caller's name becomes a metric label and a log field, so the admin API holds it to
// the config file's rule: no label values the file could not have written.
func TestARunTimeCallerNeedsAValidName(t *testing.T) {
	ctx := context.Background()
	var r ring
	m, err := keys.NewManager(ctx, keys.Options{Store: keys.NewMemory(), Apply: r.set})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "Reporting", "a b", "x\nlevel=error", strings.Repeat("a", 64)} {
		if _, err := m.SetCaller(ctx, "ops", keys.CallerSettings{Name: name}); !errors.Is(err, keys.ErrInvalid) {
			t.Errorf("SetCaller(%q) = %v; want invalid", name, err)
		}
	}
	if _, err := m.SetCaller(ctx, "ops", keys.CallerSettings{Name: "reporting-2"}); err != nil {
		t.Errorf("a valid name was refused: %v", err)
	}
}
