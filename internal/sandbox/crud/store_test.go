package crud

import (
	"net/url"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// thingsSpec is a small API: a collection of things with a unique name.
func thingsSpec(t *testing.T) *oas.Spec {
	t.Helper()
	w, err := oas.ReadWire([]byte(`{"about": "", "version": "1", "operations": [
  {"method": "GET", "path": "/v1/things", "query": ["name"], "responses": {"200": 4}},
  {"method": "POST", "path": "/v1/things", "body": 2, "responses": {"201": 3, "409": -1}},
  {"method": "GET", "path": "/v1/things/{thingId}", "responses": {"200": 3}},
  {"method": "PUT", "path": "/v1/things/{thingId}", "body": 2, "responses": {"200": 3}},
  {"method": "DELETE", "path": "/v1/things/{thingId}", "responses": {"200": 3}}
], "schemas": [
  {"type": "string", "minLength": 1},
  {"type": "string", "format": "date-time"},
  {"type": "object", "properties": {"name": 0}, "required": ["name"]},
  {"type": "object", "properties": {"id": 0, "name": 0, "created_at": 1}, "required": ["id", "name", "created_at"], "closed": true},
  {"type": "array", "items": 3}
]}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := oas.Decode(w)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// host answers bare: data as the body, refusals as their message.
type host struct{ removed []string }

func (h *host) OK(c *Call, data any) *Answer { return &Answer{Status: c.Op.Success(), Body: data} }
func (h *host) Page(c *Call, items []map[string]any) *Answer {
	return &Answer{Status: c.Op.Success(), Body: items}
}
func (h *host) Refuse(status int, message string) *Answer {
	return &Answer{Status: status, Body: message}
}
func (h *host) Removed(fam string, item map[string]any) {
	h.removed = append(h.removed, ID(item["id"]))
}
func (h *host) Shown(s *oas.Schema) *oas.Schema { return s }

func newThings(t *testing.T) (*Store[*host], *host, *oas.Spec) {
	t.Helper()
	sp := thingsSpec(t)
	h := &host{}
	fams := []*Family[*host]{{Name: "things", Noun: "Thing", List: "/v1/things", Item: "/v1/things/{thingId}",
		Unique: [][]string{{"name"}}}}
	s, err := New(h, fams, Options{Spec: sp, Now: func() time.Time { return time.Unix(1700000000, 0) },
		Paging: Paging{Limit: "limit", Cursor: "cursor", Max: 10}})
	if err != nil {
		t.Fatal(err)
	}
	s.Reset(oas.NewFaker(1, nil, &oas.Vocabulary{Domain: "acme.example", Host: "acme.example", Epoch: 1700000000,
		FirstNames: []string{"Ada"}, LastNames: []string{"Lovelace"}, Names: []string{"Console"}, Descriptions: []string{"A tool."}}))
	return s, h, sp
}

func call(t *testing.T, s *Store[*host], sp *oas.Spec, method, path, body string) *Answer {
	t.Helper()
	u, _ := url.Parse(path)
	op, params := sp.Find(method, u.Path)
	check := func(v any) error { return op.Body.Check(v) }
	if op.Body == nil {
		check = nil
	}
	c, err := NewCall(op, params, u, []byte(body), check)
	if err != nil {
		return &Answer{Status: 400, Body: err.Error()}
	}
	return s.Handler(op)(c)
}

func TestAThingIsCreatedReadChangedAndDeleted(t *testing.T) {
	s, h, sp := newThings(t)
	created := call(t, s, sp, "POST", "/v1/things", `{"name": "kettle"}`)
	item, _ := created.Body.(map[string]any)
	if created.Status != 201 || item["created_at"] != "2023-11-14T22:13:20.000Z" || item["id"] == nil {
		t.Fatalf("create: %d %v", created.Status, created.Body)
	}
	id := ID(item["id"])
	if got := call(t, s, sp, "GET", "/v1/things/"+id, ""); got.Status != 200 || got.Body.(map[string]any)["name"] != "kettle" {
		t.Fatalf("read: %d %v", got.Status, got.Body)
	}
	if got := call(t, s, sp, "PUT", "/v1/things/"+id, `{"name": "pot"}`); got.Status != 200 || got.Body.(map[string]any)["name"] != "pot" {
		t.Fatalf("update: %d %v", got.Status, got.Body)
	}
	if got := call(t, s, sp, "DELETE", "/v1/things/"+id, ""); got.Status != 200 || len(h.removed) != 1 || h.removed[0] != id {
		t.Fatalf("delete: %d %v, removed %v", got.Status, got.Body, h.removed)
	}
	if got := call(t, s, sp, "GET", "/v1/things/"+id, ""); got.Status != 404 {
		t.Fatalf("read after delete: %d %v", got.Status, got.Body)
	}
}

func TestRefusals(t *testing.T) {
	s, _, sp := newThings(t)
	call(t, s, sp, "POST", "/v1/things", `{"name": "kettle"}`)
	for _, c := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"a second item with a unique field's value clashes where the document lists 409", "POST", "/v1/things", `{"name": "KETTLE"}`, 409},
		{"a body its schema refuses", "POST", "/v1/things", `{"name": ""}`, 400},
		{"a body that is not an object", "POST", "/v1/things", `[1]`, 400},
		{"an id that names nothing", "GET", "/v1/things/nope", "", 404},
	} {
		if got := call(t, s, sp, c.method, c.path, c.body); got.Status != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, got.Status, got.Body, c.want)
		}
	}
}

func TestListsFilterOnItemFieldsRegardlessOfCase(t *testing.T) {
	s, _, sp := newThings(t)
	call(t, s, sp, "POST", "/v1/things", `{"name": "kettle"}`)
	call(t, s, sp, "POST", "/v1/things", `{"name": "pot"}`)
	if got := call(t, s, sp, "GET", "/v1/things?name=POT", "").Body.([]map[string]any); len(got) != 1 || got[0]["name"] != "pot" {
		t.Fatalf("filtered by name: %v", got)
	}
}
