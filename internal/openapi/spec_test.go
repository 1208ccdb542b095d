package openapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/budgetgw/gateway/internal/metrics"
	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/scopes"
)

func TestTheServedDocumentIsValidOpenAPI3(t *testing.T) {
	t.Parallel()
	original := retoolDocument(t)
	// The published document itself validates; if a newer one did not, this says so
	// before blaming the filter.
	validate(t, original)

	s := newSpec(t, newUpstream(t, original), nil)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, held := range [][]string{{"*"}, {"users:read"}, {"apps:write", "groups:read"}, {}} {
		t.Run(strings.Join(held, ",")+" caller", func(t *testing.T) {
			w := get(t, s, held...)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, content type %q", w.Code, w.Header().Get("Content-Type"))
			}
			if got := w.Header().Get("Gateway-Spec-Source"); got != SourceUpstream {
				t.Fatalf("Gateway-Spec-Source = %q, want upstream", got)
			}
			validate(t, w.Body.Bytes())
		})
	}
}

func TestTheServerIsTheGatewaysURLForTheMount(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		mount     string
		publicURL string
		target    string
		tls       bool
		header    http.Header
		want      string
	}{
		{"public_url wins over the request", "/retool", "https://gw.example/retool/", "http://other.host/retool/api/v2/spec", false, nil, "https://gw.example/retool/api/v2"},
		{"derived from Host and the mount", "/retool", "", "http://gw.internal:8080/retool/api/v2/spec", false, nil, "http://gw.internal:8080/retool/api/v2"},
		{"a root mount adds nothing", "/", "", "http://gw.internal/api/v2/spec", false, nil, "http://gw.internal/api/v2"},
		{"a TLS connection makes https", "/", "", "https://gw.internal/api/v2/spec", true, nil, "https://gw.internal/api/v2"},
		{"X-Forwarded-Proto is not trusted", "/", "", "http://gw.internal/api/v2/spec", false,
			http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"evil.example"}}, "http://gw.internal/api/v2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSpec(t, nil, func(o *Options) { o.Mount, o.PublicURL = c.mount, c.publicURL })
			r := httptest.NewRequest(http.MethodGet, c.target, nil)
			if !c.tls {
				r.TLS = nil
			} else if r.TLS == nil {
				r.TLS = &tls.ConnectionState{}
			}
			for k, v := range c.header {
				r.Header[k] = v
			}
			d := decode(t, do(t, s, r, "*").Body.Bytes())
			if len(d.Servers) != 1 || d.Servers[0].URL != c.want {
				t.Fatalf("servers = %+v, want one with url %s", d.Servers, c.want)
			}
		})
	}
}

func TestEachCallerSeesOnlyWhatItAndTheOrgTokenMayCall(t *testing.T) {
	t.Parallel()
	original := retoolDocument(t)
	tab := retoolTable(t)
	users := func(r *routes.Route) bool { return r.Scope.String() == "users:read" }
	cases := []struct {
		name   string
		token  []string
		caller []string
		want   func(*routes.Route) bool
		count  int // -1: not checked
	}{
		{"a users:read caller sees the users read operations", []string{"*"}, []string{"users:read"}, users, -1},
		{"a * org token grants no sensitive operation, even to a caller holding it", []string{"*"}, []string{"*"}, func(r *routes.Route) bool { return !r.Sensitive }, 120},
		{"write implies read", []string{"*"}, []string{"users:write"},
			func(r *routes.Route) bool {
				return r.Scope.Family == "users" && (r.Scope.Level == "read" || r.Scope.Level == "write")
			}, -1},
		{"the org token's scopes restrict a * caller", []string{"users:read", "apps"}, []string{"*"},
			func(r *routes.Route) bool { return users(r) || r.Scope.Family == "apps" }, -1},
		{"a caller sees the intersection with the org token", []string{"users:read"}, []string{"users:write", "apps:read"}, users, -1},
		{"a caller without scopes sees no operation", []string{"*"}, nil, func(*routes.Route) bool { return false }, 0},
	}
	up := newUpstream(t, original)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSpec(t, up, func(o *Options) { o.TokenScopes = scopes.MustParseSet(c.token...) })
			if err := s.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := decode(t, get(t, s, c.caller...).Body.Bytes()).operations()
			want := routeIDs(tab, c.want)
			if !slices.Equal(got, want) {
				t.Fatalf("served %d operations, want %d\n got %v\nwant %v", len(got), len(want), got, want)
			}
			if c.count >= 0 && len(got) != c.count {
				t.Fatalf("served %d operations, want %d", len(got), c.count)
			}
		})
	}
}

func TestAUsersReadCallerSeesOnlyGETs(t *testing.T) {
	t.Parallel()
	s := newSpec(t, newUpstream(t, retoolDocument(t)), nil)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := decode(t, get(t, s, "users:read").Body.Bytes())
	ops := d.operations()
	if len(ops) == 0 {
		t.Fatal("no operation served")
	}
	for _, op := range ops {
		if !strings.HasPrefix(op, "GET ") {
			t.Errorf("%s is served to a users:read caller", op)
		}
	}
	for p, item := range d.Paths {
		if len(item) == 0 {
			t.Errorf("path %s is served with no operation", p)
		}
	}
}

func TestSchemasAreKeptWhetherReferencedOrNot(t *testing.T) {
	t.Parallel()
	original := retoolDocument(t)
	s := newSpec(t, newUpstream(t, original), nil)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal(original, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(get(t, s, "users:read").Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"components", "info", "security", "openapi", "externalDocs"} {
		if !reflect.DeepEqual(got[k], want[k]) {
			t.Errorf("%s differs from the published document", k)
		}
	}
}

func TestTheLastDocumentIsServedWhileTheUpstreamIsDown(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, retoolDocument(t))
	s := newSpec(t, up, nil)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	up.Close()
	if err := s.Refresh(context.Background()); err == nil {
		t.Fatal("a refresh from a closed upstream succeeded")
	}
	w := get(t, s, "*")
	if got := w.Header().Get("Gateway-Spec-Source"); got != SourceStale {
		t.Fatalf("Gateway-Spec-Source = %q, want stale", got)
	}
	if n := len(decode(t, w.Body.Bytes()).operations()); n != 144 {
		t.Fatalf("the stale document has %d operations, want 144", n)
	}
}

func TestABrokenDocumentDoesNotReplaceAGoodOne(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, retoolDocument(t))
	s := newSpec(t, up, nil)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`<html>maintenance</html>`, `{"openapi":"3.0.0"}`, `{"swagger":"2.0","paths":{}}`} {
		up.set([]byte(bad), http.StatusOK)
		if err := s.Refresh(context.Background()); err == nil {
			t.Fatalf("%s was accepted", bad)
		}
	}
	up.set(nil, http.StatusServiceUnavailable)
	if err := s.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("a 503 gives %v", err)
	}
	if n := len(decode(t, get(t, s, "*").Body.Bytes()).operations()); n != 144 {
		t.Fatalf("served %d operations, want the good document's 144", n)
	}
}

func TestARefreshReplacesTheDocumentAndItsCachedViews(t *testing.T) {
	t.Parallel()
	original := retoolDocument(t)
	up := newUpstream(t, original)
	s := newSpec(t, up, nil)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := decode(t, get(t, s, "*").Body.Bytes()).Info.Version; v != "2.12.0" {
		t.Fatalf("version %q", v)
	}
	up.set([]byte(strings.Replace(string(original), `"version": "2.12.0"`, `"version": "2.13.0"`, 1)), http.StatusOK)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := decode(t, get(t, s, "*").Body.Bytes()).Info.Version; v != "2.13.0" {
		t.Fatalf("after a refresh the version is %q, want 2.13.0", v)
	}
}

func TestAnOperationTheTableDoesNotKnowIsCountedLoggedAndNeverServed(t *testing.T) {
	t.Parallel()
	original := retoolDocument(t)
	reg := prometheus.NewRegistry()
	gauge := metrics.New(reg).UnknownOperations.WithLabelValues("retool")
	core, logs := observer.New(zap.InfoLevel)
	up := newUpstream(t, withExtraOperation(t, original, "/users/{userId}/gateway_unrouted", "GET"))
	s := newSpec(t, up, func(o *Options) { o.Unknown, o.Logger = gauge, zap.New(core) })
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := promtestutil.ToFloat64(gauge); got != 1 {
		t.Fatalf("gateway_routes_unknown_operations = %v, want 1", got)
	}
	warned := logs.FilterMessageSnippet("does not know").All()
	if len(warned) != 1 || !slices.Contains(toStrings(warned[0].ContextMap()["operations"]), "GET /users/{userId}/gateway_unrouted") {
		t.Fatalf("logged %v", logs.All())
	}
	for _, held := range [][]string{{"*"}, {"users:read"}, {"users:write"}} {
		ops := decode(t, get(t, s, held...).Body.Bytes()).operations()
		if slices.Contains(ops, "GET /api/v2/users/{userId}/gateway_unrouted") {
			t.Fatalf("a %v caller is shown the unrouted operation", held)
		}
		if held[0] == "*" && len(ops) != 144 {
			t.Fatalf("a * caller sees %d operations, want 144", len(ops))
		}
	}

	// The same refresh again logs nothing new; the upstream dropping it clears the gauge.
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(logs.FilterMessageSnippet("does not know").All()); n != 1 {
		t.Fatalf("an unchanged list was logged %d times", n)
	}
	up.set(original, http.StatusOK)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := promtestutil.ToFloat64(gauge); got != 0 {
		t.Fatalf("gateway_routes_unknown_operations = %v after the upstream dropped it", got)
	}
}

func toStrings(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		var out []string
		for _, e := range x {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

func TestARoutingReloadDecidesTheDocumentAgain(t *testing.T) {
	t.Parallel()
	s := newSpec(t, newUpstream(t, retoolDocument(t)), nil)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	tab := retoolTable(t)
	if err := s.SetRouting(Routing{Table: tab, TokenScopes: scopes.MustParseSet("users:read"), Mount: "/"}); err != nil {
		t.Fatal(err)
	}
	got := decode(t, get(t, s, "*").Body.Bytes()).operations()
	want := routeIDs(tab, func(r *routes.Route) bool { return r.Scope.String() == "users:read" })
	if !slices.Equal(got, want) {
		t.Fatalf("after narrowing token_scopes: %v, want %v", got, want)
	}
	if src := get(t, s, "*").Header().Get("Gateway-Spec-Source"); src != SourceUpstream {
		t.Fatalf("a reload changed the source to %q", src)
	}
}

func TestRunFetchesOnStartAndOnEachRefresh(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, retoolDocument(t))
	s := newSpec(t, up, func(o *Options) { o.Refresh = 1 }) // a nanosecond: the ticker paces the test
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	<-up.fetched
	<-up.fetched
	cancel()
	<-done
	if src := get(t, s, "*").Header().Get("Gateway-Spec-Source"); src != SourceUpstream {
		t.Fatalf("after Run the source is %q", src)
	}
}

func TestCallersWithTheSameVisibleOperationsShareOneRendering(t *testing.T) {
	t.Parallel()
	s := newSpec(t, newUpstream(t, retoolDocument(t)), nil)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := s.cur.Load()
	a, b := st.view(scopes.MustParseSet("users:read")), st.view(scopes.MustParseSet("users:read", "no_such_family:read"))
	if a != b || st.views.len() != 1 {
		t.Fatalf("two scope sets showing the same operations rendered %d views", st.views.len())
	}
	if st.view(scopes.MustParseSet("*")) == a || st.views.len() != 2 {
		t.Fatalf("a * caller shares the users:read view")
	}
}

func TestConditionalAndHEADRequests(t *testing.T) {
	t.Parallel()
	s := newSpec(t, nil, nil) // the fallback is enough to test the protocol
	first := get(t, s, "*")
	etag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || etag == "" || first.Header().Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("status %d, headers %v", first.Code, first.Header())
	}
	r := httptest.NewRequest(http.MethodGet, "http://gw.internal/api/v2/spec", nil)
	r.Header.Set("If-None-Match", `"other", `+etag)
	if w := do(t, s, r, "*"); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Fatalf("a matching If-None-Match gets %d with %d bytes", w.Code, w.Body.Len())
	}
	other := httptest.NewRequest(http.MethodGet, "http://other.host/api/v2/spec", nil)
	if w := do(t, s, other, "*"); w.Header().Get("ETag") == etag {
		t.Fatal("two server URLs share an ETag")
	}
	if w := get(t, s, "users:read"); w.Header().Get("ETag") == etag {
		t.Fatal("two views share an ETag")
	}
	head := do(t, s, httptest.NewRequest(http.MethodHead, "http://gw.internal/api/v2/spec", nil), "*")
	if head.Code != http.StatusOK || head.Header().Get("Content-Length") != first.Header().Get("Content-Length") {
		t.Fatalf("HEAD: %d, Content-Length %q", head.Code, head.Header().Get("Content-Length"))
	}
	if w := do(t, s, httptest.NewRequest(http.MethodPost, "http://gw.internal/api/v2/spec", nil), "*"); w.Code != http.StatusNotFound {
		t.Fatalf("POST gets %d", w.Code)
	}
}

func TestIsSpecRequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		method, path string
		want         bool
	}{
		{"GET", "/api/v2/spec", true},
		{"GET", "/api/v2/spec.json", true},
		{"HEAD", "/api/v2/spec", true},
		{"GET", "/API/v2/Spec/", true},
		{"POST", "/api/v2/spec", false},
		{"GET", "/api/v2/specs", false},
		{"GET", "/api/v2/spec/x", false},
		{"GET", "/spec", false},
	}
	for _, c := range cases {
		if got := IsSpecRequest(c.method, c.path); got != c.want {
			t.Errorf("IsSpecRequest(%s, %s) = %v, want %v", c.method, c.path, got, c.want)
		}
	}
}

func TestNewReportsEveryBadOption(t *testing.T) {
	t.Parallel()
	_, err := New(Options{Upstream: "retool", Routing: Routing{Mount: "retool", PublicURL: "gw.internal"}})
	if err == nil {
		t.Fatal("New accepted bad options")
	}
	for _, want := range []string{"fetch: is nil", "table: is nil", "mount:", "public_url:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not mention %s", err, want)
		}
	}
}
