package retoolclient_test

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/budgetgw/gateway/internal/proxytest"
	"github.com/budgetgw/gateway/internal/retoolclient"
	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/sandbox"
	"github.com/budgetgw/gateway/internal/testutil"
)

// stack is `gateway demo`'s stack, in-process: the RetoolV2 sandbox and a
// gateway in front of it, serving the upstream's document, with one caller
// holding every scope. The budget is large: the 144 operations cost more
// than 300 points, and waiting out Retool's minute is no test's business.
type stack struct {
	sandbox  *sandbox.Server
	direct   string // the sandbox's own URL, for setting up state
	orgToken string
	gateway  *proxytest.Gateway
	key      string
}

func startStack(t *testing.T) *stack {
	t.Helper()
	st := &stack{orgToken: "retool_org_clienttest"}
	st.sandbox, st.direct = proxytest.StartSandbox(t, sandbox.Options{API: sandbox.RetoolV2, Token: st.orgToken, Seed: 1}, "retool-v2")
	admin := proxytest.NewKey("admin-1")
	st.key = admin.Raw
	st.gateway = proxytest.Start(t, proxytest.Options{Config: fmt.Sprintf(`
server: {listen: "127.0.0.1:0", shutdown_grace: 1s}
upstreams:
  - name: retool
    mount: /
    base_url: %[1]q
    profile: retool-v2
    auth: {scheme: bearer, token_file: %[2]q}
    token_scopes: ["*", %[4]s]
    spec: {enabled: true}
    budget: {capacity: 1000000, window: 60s, lockout: 60s, max_wait: 5s}
callers:
  - name: admin
    scopes: ["*", %[4]s]
    keys: [{id: admin-1, sha256: %[3]q}]
`, st.direct, proxytest.SecretFile(t, st.orgToken), admin.SHA256, sensitiveScopes(t))})
	return st
}

// call sends one request straight to the sandbox, to prepare state.
func (st *stack) call(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, st.direct+path, r)
	req.Header.Set("Authorization", "Bearer "+st.orgToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("setting up: %s %s answered %d %s", method, path, resp.StatusCode, b)
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func TestTheGatewayServesTheSandboxsOwnDocument(t *testing.T) {
	st := startStack(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := st.gateway.Call(t, "GET", "/api/v2/spec", st.key, nil)
		if got.Status == http.StatusOK && got.Header.Get("Gateway-Spec-Source") == "upstream" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /api/v2/spec: %d, Gateway-Spec-Source %q; want 200 from the upstream",
				got.Status, got.Header.Get("Gateway-Spec-Source"))
		}
		time.Sleep(50 * time.Millisecond) // polling the gateway's first fetch, not a proof
	}
}

// TestEveryGeneratedOperationWorksThroughTheGateway calls every operation the
// generated client offers, through the gateway, on a freshly seeded sandbox:
// each answers 2xx or a 4xx the document lists for it, and each 2xx body
// decodes into the generated types.
func TestEveryGeneratedOperationWorksThroughTheGateway(t *testing.T) {
	doc := loadDocument(t)
	st := startStack(t)
	c, err := retoolclient.NewClientWithResponses(st.gateway.URL+"/api/v2",
		retoolclient.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+st.key)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	methods := operations(reflect.ValueOf(c))
	if len(methods) != len(doc.ops) {
		t.Errorf("the client offers %d operations, the document %d", len(methods), len(doc.ops))
	}
	seen := map[string]string{}
	for _, name := range sortedNames(methods) {
		m := methods[name]
		t.Run(name, func(t *testing.T) {
			st.sandbox.Reset()
			method, template := discover(t, m.discover, doc)
			key := method + " " + template
			if other, dup := seen[key]; dup {
				t.Fatalf("%s and %s both call %s", other, name, key)
			}
			seen[key] = name
			f := newFixture(t, st)
			f.prepare(t, st, key)
			resp, err := invoke(t, m.call, f, template, key)
			if err != nil {
				t.Fatalf("%s: the generated client could not decode the answer: %v", key, err)
			}
			status, body := responseOf(resp)
			switch {
			case status/100 == 2 && !doc.hasBody(key, status):
				// The document gives this answer no body, so the client
				// reads none (the sandbox sends role grants a list anyway).
			case status/100 == 2:
				if len(bytes.TrimSpace(body)) > 0 && !decodedField(resp, status) {
					t.Errorf("%s answered %d %s; the generated types hold nothing for it", key, status, clip(body))
				}
				if err := strictly(resp, status, body); err != nil {
					t.Errorf("%s answered %d %s; it does not decode into the generated type without leftovers: %v", key, status, clip(body), err)
				}
			case status/100 == 4 && doc.documents(key, status):
				t.Logf("%s answered a documented %d %s", key, status, clip(body))
			default:
				t.Errorf("%s answered %d %s: neither 2xx nor a 4xx the document lists", key, status, clip(body))
			}
		})
	}
	for _, key := range doc.ops {
		if _, ok := seen[key]; !ok {
			t.Errorf("%s: the generated client offers no way to call it", key)
		}
	}
}

// document is what the test needs of Retool's document: its operations and
// the statuses each lists.
type document struct {
	ops       []string // "METHOD /api/v2/template"
	templates []string
	statuses  map[string]map[int]bool
	bodies    map[string]map[int]bool // statuses documented with a JSON body
}

var colon = regexp.MustCompile(`/:([A-Za-z_]+)`)

func loadDocument(t *testing.T) *document {
	t.Helper()
	d, err := openapi3.NewLoader().LoadFromFile(testutil.RetoolDocumentPath(t))
	if err != nil {
		t.Fatal(err)
	}
	out := &document{statuses: map[string]map[int]bool{}, bodies: map[string]map[int]bool{}}
	for _, p := range d.Paths.InMatchingOrder() {
		tpl := "/api/v2" + colon.ReplaceAllString(p, "/{$1}")
		out.templates = append(out.templates, tpl)
		for method, op := range d.Paths.Value(p).Operations() {
			key := method + " " + tpl
			out.ops = append(out.ops, key)
			out.statuses[key], out.bodies[key] = map[int]bool{}, map[int]bool{}
			for st, r := range op.Responses.Map() {
				if n, err := strconv.Atoi(st); err == nil {
					out.statuses[key][n] = true
					out.bodies[key][n] = r.Value != nil && r.Value.Content.Get("application/json") != nil
				}
			}
		}
	}
	return out
}

func (d *document) documents(key string, status int) bool { return d.statuses[key][status] }

func (d *document) hasBody(key string, status int) bool { return d.bodies[key][status] }

// operation is one operation of the client: the method to call (the
// typed-body one where there is one, else the one taking a raw body), and
// the one to discover it with (the raw-body one where there is one, which
// needs no valid body to build its request).
type operation struct{ call, discover reflect.Value }

func operations(client reflect.Value) map[string]operation {
	out := map[string]operation{}
	typ := client.Type()
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		base, ok := strings.CutSuffix(name, "WithResponse")
		if !ok {
			continue
		}
		if plain, raw := strings.CutSuffix(base, "WithBody"); raw {
			if _, typed := typ.MethodByName(plain + "WithResponse"); typed {
				continue
			}
			base = plain
		}
		op := operation{call: client.Method(i), discover: client.Method(i)}
		if _, ok := typ.MethodByName(base + "WithBodyWithResponse"); ok {
			op.discover = client.MethodByName(base + "WithBodyWithResponse")
		}
		out[base] = op
	}
	return out
}

func sortedNames(m map[string]operation) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var errDiscovered = errors.New("discovered")

// discover calls the method with placeholder path parameters and stops the
// request before it leaves, to learn which operation it is.
func discover(t *testing.T, m reflect.Value, doc *document) (method, template string) {
	t.Helper()
	var req *http.Request
	args := placeholderArgs(t, m.Type())
	args = append(args, reflect.ValueOf(retoolclient.RequestEditorFn(func(_ context.Context, r *http.Request) error {
		req = r
		return errDiscovered
	})))
	m.Call(args)
	if req == nil {
		t.Fatal("the method sent no request")
	}
	path := strings.TrimSuffix(req.URL.EscapedPath(), "/")
	for _, tpl := range doc.templates {
		if matches(tpl, path) {
			return req.Method, tpl
		}
	}
	t.Fatalf("%s %s matches no documented template", req.Method, path)
	return "", ""
}

// Placeholders mark the path parameters during discovery: words for string
// parameters, UUIDs starting with placeholderUUID for UUID ones.
const (
	placeholder     = "zzparam"
	placeholderUUID = "7a7a7a7a-"
)

func isPlaceholder(seg string) bool {
	return strings.HasPrefix(seg, placeholder) || strings.HasPrefix(seg, placeholderUUID)
}

// isUUID reports whether a parameter type is a UUID (openapi_types.UUID).
func isUUID(in reflect.Type) bool {
	return in.Kind() == reflect.Array && reflect.PointerTo(in).Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

func setText(t *testing.T, v reflect.Value, s string) {
	t.Helper()
	p := reflect.New(v.Type())
	if err := p.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
		t.Fatalf("%q is not a valid %s: %v", s, v.Type(), err)
	}
	v.Set(p.Elem())
}

func matches(tpl, path string) bool {
	ts := strings.Split(strings.TrimSuffix(tpl, "/"), "/")
	ps := strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		param := strings.HasPrefix(ts[i], "{")
		if param != isPlaceholder(ps[i]) || !param && ts[i] != ps[i] {
			return false
		}
	}
	return true
}

// placeholderArgs fills ctx and every path parameter with a recognisable
// value, the rest with zero values.
func placeholderArgs(t *testing.T, mt reflect.Type) []reflect.Value {
	args := []reflect.Value{reflect.ValueOf(context.Background())}
	for i := 1; i < mt.NumIn()-1; i++ {
		in := mt.In(i)
		v := reflect.New(in).Elem()
		switch {
		case in.Kind() == reflect.String:
			v.SetString(placeholder + strconv.Itoa(i))
		case isUUID(in):
			setText(t, v, fmt.Sprintf("%s0000-4000-8000-%012d", placeholderUUID, i))
		}
		args = append(args, v)
	}
	return args
}

// invoke calls the method for real: path parameters from the fixture in
// template order, query parameters and body as the operation needs them.
func invoke(t *testing.T, m reflect.Value, f fixture, template, key string) (reflect.Value, error) {
	t.Helper()
	mt := m.Type()
	args := []reflect.Value{reflect.ValueOf(context.Background())}
	params := f.pathParams(template)
	for i := 1; i < mt.NumIn()-1; i++ {
		in := mt.In(i)
		v := reflect.New(in).Elem()
		switch {
		case in.Kind() == reflect.String && len(params) > 0:
			v.SetString(params[0])
			params = params[1:]
		case isUUID(in) && len(params) > 0:
			setText(t, v, params[0])
			params = params[1:]
		case in.Kind() == reflect.Pointer && strings.HasSuffix(in.Elem().Name(), "Params"):
			p := reflect.New(in.Elem())
			if q := f.query(template); q != nil {
				mustDecode(t, q, p.Interface())
			}
			v = p
		case in.Kind() == reflect.String && in.Name() == "string": // a raw body's content type
			v.SetString("application/json")
		case in.Implements(reflect.TypeFor[io.Reader]()):
			v = reflect.ValueOf(bytes.NewReader(mustJSON(t, f.body(key))))
		default: // the typed JSON body
			p := reflect.New(in)
			mustDecode(t, f.body(key), p.Interface())
			v = p.Elem()
		}
		args = append(args, v)
	}
	out := m.Call(args)
	err, _ := out[1].Interface().(error)
	return out[0], err
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustDecode(t *testing.T, v any, into any) {
	t.Helper()
	if err := json.Unmarshal(mustJSON(t, v), into); err != nil {
		t.Fatalf("%s does not fit the generated %T: %v", mustJSON(t, v), into, err)
	}
}

// responseOf reads the status and body the generated response holds.
func responseOf(resp reflect.Value) (int, []byte) {
	r := resp.Elem()
	return r.FieldByName("HTTPResponse").Interface().(*http.Response).StatusCode, r.FieldByName("Body").Bytes()
}

// decodedField reports whether the generated response decoded the body into
// its field for the status (JSON200, JSON201, ...).
func decodedField(resp reflect.Value, status int) bool {
	f := resp.Elem().FieldByName("JSON" + strconv.Itoa(status))
	return f.IsValid() && !f.IsNil()
}

// strictly decodes the body again into the generated type, refusing fields
// the type does not know: a body that fits only because encoding/json
// ignores what it does not know (a bare object where the type expects the
// envelope) fails here.
func strictly(resp reflect.Value, status int, body []byte) error {
	f := resp.Elem().FieldByName("JSON" + strconv.Itoa(status))
	if !f.IsValid() {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(reflect.New(f.Type().Elem()).Interface())
}

func clip(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "..."
	}
	return string(b)
}

// sensitiveScopes lists, as YAML flow items, the exact scopes of the retool-v2 rows that
// mint or reveal credentials: "*" never grants those, so a caller that drives every
// operation must name each one (docs/sensitive-routes.md).
func sensitiveScopes(t *testing.T) string {
	t.Helper()
	p, err := routes.LoadProfile("retool-v2")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var names []string
	for _, s := range p.Routes {
		if s.Sensitive && !seen[s.Scope] {
			seen[s.Scope] = true
			names = append(names, strconv.Quote(s.Scope))
		}
	}
	return strings.Join(names, ", ")
}
