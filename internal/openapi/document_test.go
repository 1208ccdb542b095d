package openapi

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/scopes"
)

// testdata/small.json is a document of our own, shaped like Retool's, with the cases
// the real one lacks: :name parameters, path- and operation-level servers, a path
// item $ref, a path-level parameters member and an operation the table does not know.

func smallSpec(t *testing.T, held ...string) (servedDoc, *Spec) {
	t.Helper()
	data, err := os.ReadFile("testdata/small.json")
	if err != nil {
		t.Fatal(err)
	}
	s := newSpec(t, nil, func(o *Options) {
		o.Fetch = func(context.Context) ([]byte, error) { return data, nil }
	})
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := get(t, s, held...)
	validate(t, w.Body.Bytes())
	return decode(t, w.Body.Bytes()), s
}

func TestPathItemsAreCutToTheVisibleOperations(t *testing.T) {
	t.Parallel()
	d, s := smallSpec(t, "users:read", "access_tokens:read")
	got := d.operations()
	want := []string{
		"GET /api/v2/access_tokens/{accessTokenId}", // documented as /access_tokens/:accessTokenId
		"GET /api/v2/users",
		"GET /api/v2/users/{userId}",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("operations %v, want %v", got, want)
	}
	if _, ok := d.Paths["/users/{userId}"]["parameters"]; !ok {
		t.Error("the path-level parameters of a kept path item were dropped")
	}
	if _, ok := d.Paths["/users/{userId}"]["servers"]; ok {
		t.Error("a path-level servers member would send clients past the gateway")
	}
	if strings.Contains(string(get(t, s, "*").Body.Bytes()), "upstream.example") {
		t.Error("a servers member naming the upstream is served")
	}
	if _, ok := d.Paths["/elsewhere"]; ok {
		t.Error("a path item holding a $ref is served")
	}
	for p, item := range d.Paths {
		if !slices.ContainsFunc(mapKeys(item), func(k string) bool { _, op := operationMethods[k]; return op }) {
			t.Errorf("path %s is served with no operation", p)
		}
	}
}

func TestTheDocumentsOrderIsKept(t *testing.T) {
	t.Parallel()
	_, s := smallSpec(t, "*")
	body := get(t, s, "*").Body.String()
	order := []string{`"openapi"`, `"info"`, `"servers"`, `"paths"`, `"/users"`, `"/users/{userId}"`, `"components"`}
	last := -1
	for _, k := range order {
		i := strings.Index(body, k)
		if i < last {
			t.Fatalf("%s moved: %s", k, body)
		}
		last = i
	}
}

func TestTheUnknownOperationsOfASmallDocument(t *testing.T) {
	t.Parallel()
	_, s := smallSpec(t, "*")
	got := s.cur.Load().bound.unknown
	want := []string{"$ref /elsewhere", "TRACE /users", "GET /users/{userId}/unrouted"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("unknown %v, want %v", got, want)
	}
}

func TestMalformedDocumentsAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, doc string }{
		{"not JSON", `<html>`},
		{"not an object", `[]`},
		{"Swagger 2", `{"swagger":"2.0","paths":{}}`},
		{"no paths", `{"openapi":"3.0.0","info":{}}`},
		{"a duplicate operation", `{"openapi":"3.0.0","paths":{"/users":{"get":{},"get":{}}}}`},
		{"a duplicate path", `{"openapi":"3.0.0","paths":{"/users":{},"/users":{}}}`},
		{"a duplicate paths member", `{"openapi":"3.0.0","paths":{},"paths":{}}`},
		{"an operation that is not an object", `{"openapi":"3.0.0","paths":{"/users":{"get":1}}}`},
		{"trailing data", `{"openapi":"3.0.0","paths":{}} {}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := parseDocument([]byte(c.doc)); err == nil {
				t.Fatalf("%s was accepted", c.doc)
			}
		})
	}
}

func TestADocumentWithoutServersGetsTheGateway(t *testing.T) {
	t.Parallel()
	s := newSpec(t, nil, func(o *Options) {
		o.Fetch = func(context.Context) ([]byte, error) {
			return []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/users":{"get":{"responses":{"200":{"description":"ok"}}}}}}`), nil
		}
	})
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := get(t, s, "users:read")
	validate(t, w.Body.Bytes())
	if d := decode(t, w.Body.Bytes()); len(d.Servers) != 1 || d.Servers[0].URL != "http://gw.internal/api/v2" {
		t.Fatalf("servers %+v", d.Servers)
	}
}

// TestNoCallerIsShownWhatItMayNotCall checks the invariant for random scope sets, on
// the real document: every served operation is one the gateway would let this caller
// call, and every operation it may call is served.
func TestNoCallerIsShownWhatItMayNotCall(t *testing.T) {
	t.Parallel()
	tab := retoolTable(t)
	s := newSpec(t, newUpstream(t, retoolDocument(t)), func(o *Options) {
		o.TokenScopes = scopes.MustParseSet("*")
	})
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	var families []string
	for _, r := range tab.Routes() {
		if !r.Public && !slices.Contains(families, r.Scope.Family) {
			families = append(families, r.Scope.Family)
		}
	}
	levels := []string{"read", "write", "*", "deploy"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 25; i++ {
		var held []string
		for n := rng.IntN(4); n > 0; n-- {
			held = append(held, families[rng.IntN(len(families))]+":"+levels[rng.IntN(len(levels))])
		}
		caller := scopes.MustParseSet(held...)
		got := decode(t, get(t, s, held...).Body.Bytes()).operations()
		want := routeIDs(tab, func(r *routes.Route) bool { return caller.Allows(r.Scope) && scopes.MustParseSet("*").Allows(r.Scope) })
		if !slices.Equal(got, want) {
			t.Fatalf("caller %v: served %v, may call %v", held, got, want)
		}
	}
}

func TestHTTPFetchSendsTheTokenAndRefusesErrors(t *testing.T) {
	t.Parallel()
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		if r.URL.Path == "/gone" {
			http.Error(w, "internal details", http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	auth := func(r *http.Request) { r.Header.Set("Authorization", "Bearer t") }
	data, err := HTTPFetch(srv.Client(), srv.URL+"/api/v2/spec", auth)(context.Background())
	if err != nil || string(data) != "{}" || gotAuth != "Bearer t" {
		t.Fatalf("fetched %q, %v with Authorization %q", data, err, gotAuth)
	}
	_, err = HTTPFetch(srv.Client(), srv.URL+"/gone", auth)(context.Background())
	if err == nil || !strings.Contains(err.Error(), "502") || strings.Contains(err.Error(), "internal details") {
		t.Fatalf("a 502 gives %v", err)
	}
}

func TestTheViewCacheIsBounded(t *testing.T) {
	t.Parallel()
	c := newViewCache(3)
	for _, k := range []string{"a", "b", "c"} {
		c.put(k, &view{tag: k})
	}
	c.get("a") // recently used: "b" is now the oldest
	c.put("d", &view{tag: "d"})
	if c.len() != 3 {
		t.Fatalf("%d entries, want 3", c.len())
	}
	if _, ok := c.get("b"); ok {
		t.Fatal("the least recently used entry was kept")
	}
	if v, ok := c.get("a"); !ok || v.tag != "a" {
		t.Fatal("a recently used entry was evicted")
	}
	if kept := c.put("a", &view{tag: "other"}); kept.tag != "a" {
		t.Fatal("a second rendering of one key replaced the first")
	}
}

func mapKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAnUnchangedDocumentKeepsItsRenderedViews(t *testing.T) {
	t.Parallel()
	_, s := smallSpec(t, "*")
	before := s.cur.Load().views
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := s.cur.Load(); st.views != before || st.views.len() != 1 || st.source != SourceUpstream {
		t.Fatalf("an unchanged document was rendered again (source %s)", st.source)
	}
}
