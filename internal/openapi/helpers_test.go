package openapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/budgetgw/gateway/internal/testutil"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/scopes"
)

const orgToken = "org-token-for-tests"

// retoolDocument reads Retool's published document from the shared reference data
// beside the module. It is data for the tests only: nothing of it is copied here.
func retoolDocument(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(testutil.RetoolDocumentPath(t))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// everything is "*" and the scope of every sensitive route, which no wildcard grants.
func everything(t testing.TB) []string {
	held := []string{"*"}
	for _, r := range retoolTable(t).Routes() {
		if r.Sensitive {
			held = append(held, r.Scope.String())
		}
	}
	return held
}

func retoolTable(t testing.TB) *routes.Table {
	t.Helper()
	tab, err := routes.Build("retool-v2", "retool-v2", nil)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// fakeUpstream serves whatever document it holds at /api/v2/spec, to the org token
// only, and says on fetched each time it does.
type fakeUpstream struct {
	*httptest.Server
	mu      sync.Mutex
	doc     []byte
	status  int
	fetched chan struct{}
}

func newUpstream(t *testing.T, doc []byte) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{doc: doc, status: http.StatusOK, fetched: make(chan struct{}, 100)}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/spec" || r.Header.Get("Authorization") != "Bearer "+orgToken {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		u.mu.Lock()
		doc, status := u.doc, u.status
		u.mu.Unlock()
		select {
		case u.fetched <- struct{}{}:
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(doc)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *fakeUpstream) set(doc []byte, status int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.doc, u.status = doc, status
}

func (u *fakeUpstream) fetch() func(context.Context) ([]byte, error) {
	return HTTPFetch(u.Client(), u.URL+"/api/v2/spec", func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+orgToken)
	})
}

// newSpec builds a Spec over the retool-v2 table that fetches from up; edit adjusts
// the options first.
func newSpec(t *testing.T, up *fakeUpstream, edit func(*Options)) *Spec {
	t.Helper()
	o := Options{
		Upstream: "retool",
		Routing:  Routing{Table: retoolTable(t), TokenScopes: scopes.MustParseSet(everything(t)...), Mount: "/"},
		Fetch:    func(context.Context) ([]byte, error) { return nil, context.DeadlineExceeded },
	}
	if up != nil {
		o.Fetch = up.fetch()
	}
	if edit != nil {
		edit(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// get asks for the document as a caller holding held.
func get(t *testing.T, s *Spec, held ...string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, s, httptest.NewRequest(http.MethodGet, "http://gw.internal/api/v2/spec", nil), held...)
}

func do(t *testing.T, s *Spec, r *http.Request, held ...string) *httptest.ResponseRecorder {
	t.Helper()
	if len(held) == 1 && held[0] == "*" {
		held = everything(t) // "a * caller" of these tests holds the sensitive scopes too
	}
	w := httptest.NewRecorder()
	s.Serve(w, r, scopes.MustParseSet(held...))
	return w
}

// servedDoc is the part of a served document the tests look at.
type servedDoc struct {
	Info struct {
		Version string `json:"version"`
	} `json:"info"`
	Servers []struct {
		URL string `json:"url"`
	} `json:"servers"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components map[string]json.RawMessage            `json:"components"`
}

func decode(t testing.TB, body []byte) servedDoc {
	t.Helper()
	var d servedDoc
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("the served document is not JSON: %v", err)
	}
	return d
}

var colonParam = regexp.MustCompile(`/:([A-Za-z0-9_]+)`)

// operations lists a document's operations as route IDs ("GET /api/v2/users/{userId}"),
// sorted, so they compare with the table's.
func (d servedDoc) operations() []string {
	var out []string
	for p, item := range d.Paths {
		for k := range item {
			if m, ok := operationMethods[k]; ok {
				out = append(out, m+" "+BasePath+colonParam.ReplaceAllString(p, "/{$1}"))
			}
		}
	}
	sort.Strings(out)
	return out
}

// routeIDs lists the table's API routes that keep says are visible, sorted. Public rows
// (the health probe) are outside the API the document describes.
func routeIDs(tab *routes.Table, keep func(*routes.Route) bool) []string {
	var out []string
	for _, r := range tab.Routes() {
		if keep(r) && !r.Public {
			out = append(out, r.ID)
		}
	}
	sort.Strings(out)
	return out
}

// validate loads a served document the way Retool's OpenAPI resource would, with
// kin-openapi, and checks it against the OpenAPI 3 rules.
func validate(t testing.TB, body []byte) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("the served document does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the served document is not valid OpenAPI 3: %v", err)
	}
	return doc
}

// withExtraOperation adds an operation the route table does not know to a document.
func withExtraOperation(t testing.TB, doc []byte, path, method string) []byte {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	paths := d["paths"].(map[string]any)
	item, _ := paths[path].(map[string]any)
	if item == nil {
		item = map[string]any{}
		paths[path] = item
	}
	item[strings.ToLower(method)] = map[string]any{
		"operationId": "gatewayTestUnrouted",
		"responses":   map[string]any{"200": map[string]any{"description": "ok"}},
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
