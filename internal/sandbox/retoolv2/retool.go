package retoolv2

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"

	"github.com/budgetgw/gateway/internal/sandbox/oas"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

// retool answers admitted calls as Retool's API v2 does: every operation of
// the document, with the statuses it lists and bodies valid against its
// schemas, over a seeded organisation that creates, updates and deletes
// change. It is reached only after the Server's key, route, scope and budget
// checks, so it never decides anything about those.
type retool struct {
	spec     *oas.Spec
	seed     int64
	now      func() time.Time
	handlers map[*oas.Operation]handler

	mu     sync.Mutex
	rng    *rand.Rand                // draws for ids and secrets; only writes advance it
	fake   *oas.Faker                // made-up fields of stored items, drawn from rng's seed
	store  *crud.Store[*retool]      // the families' items (families.go)
	single map[string]map[string]any // one-of-a-kind settings; nil: not configured
}

// The generic store's types under the names this package's handlers and
// hooks have always used.
type (
	apiCall = crud.Call
	answer  = crud.Answer
	family  = crud.Family[*retool]
)

type handler func(a *retool, c *apiCall) *answer

// The store's Host: what answers look like in Retool's API.
var _ crud.Host = (*retool)(nil)

func (a *retool) Refuse(status int, message string) *answer { return failure(status, message) }
func (a *retool) Removed(fam string, item map[string]any)   { a.dropPermissionsOf(fam, item) }
func (a *retool) Shown(s *oas.Schema) *oas.Schema           { return itemSchema(s) }

func newRetool(seed int64, now func() time.Time) (*retool, error) {
	s, err := loadSpec()
	if err != nil {
		return nil, err
	}
	a := &retool{spec: s, seed: seed, now: now}
	a.store, err = crud.New(a, families(), crud.Options{Spec: s, Now: now, Paging: retoolPaging})
	if err != nil {
		return nil, err
	}
	if err := a.bind(); err != nil {
		return nil, err
	}
	return a, nil // empty until reset seeds it, as Server.New does
}

// bind chooses each operation's handler once: a special one where the
// operation does more than create, read, update or delete; the generic one
// of its family; or a made-up answer from the schema.
func (a *retool) bind() error {
	a.handlers = map[*oas.Operation]handler{}
	special := specialHandlers()
	for _, op := range a.spec.Ops {
		key := op.Method + " " + op.Template
		if h, ok := special[key]; ok {
			a.handlers[op] = h
			delete(special, key)
			continue
		}
		if h := a.store.Handler(op); h != nil {
			a.handlers[op] = func(_ *retool, c *apiCall) *answer { return h(c) }
			continue
		}
		a.handlers[op] = madeUp
	}
	for key := range special {
		return fmt.Errorf("special handler for %s: no such operation in the document", key)
	}
	return nil
}

// reset replaces the state with the seeded organisation.
func (a *retool) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rng = rand.New(rand.NewPCG(uint64(a.seed), 0x0e9))
	a.fake = oas.NewFaker(uint64(a.seed)^0x5eed, nil, northwind)
	a.store.Reset(a.fake)
	a.single = map[string]map[string]any{}
	a.seedOrganisation()
}

// serve answers one admitted call. Its query and body are checked first, as
// the real API does before acting: a malformed call costs its points and
// changes nothing.
func (a *retool) serve(method string, u *url.URL, body []byte) *answer {
	op, params := a.spec.Find(method, u.Path)
	if op == nil {
		return failure(http.StatusNotFound, "Not found")
	}
	c, err := crud.NewCall(op, params, u, body, bodyCheck(op))
	if err != nil {
		return failure(http.StatusBadRequest, err.Error())
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.handlers[op](a, c)
}

// answer builds the response for status: data (an item, a list, or nil to
// make everything up) in the envelope if the schema has one, conformed to
// the documented schema, and copied so no stored state leaves the lock.
func (a *retool) answer(c *apiCall, status int, data any) *answer {
	s, documented := c.Op.Responses[status]
	if documented && s == nil {
		return &answer{Status: status}
	}
	candidate := data
	if s == nil || isEnvelope(s) {
		candidate = map[string]any{"success": true, "data": data}
	}
	if s == nil {
		return &answer{Status: status, Body: jsonpatch.Clone(candidate)}
	}
	return &answer{Status: status, Body: jsonpatch.Clone(a.replyFaker(c).Conform(s, candidate, ""))}
}

// OK answers the operation's documented success status.
func (a *retool) OK(c *apiCall, data any) *answer { return a.answer(c, c.Op.Success(), data) }

// retoolPaging is the document's: limit up to 100, next_token the cursor.
var retoolPaging = crud.Paging{Limit: "limit", Cursor: "next_token", Max: 100}

// Page answers a list of items, one page of it when the caller asked for
// one, with Retool's paging fields where the schema has them.
func (a *retool) Page(c *apiCall, items []map[string]any) *answer {
	status := c.Op.Success()
	s := c.Op.Responses[status]
	data := make([]any, len(items))
	for i, it := range items {
		data[i] = it
	}
	if !isPagedList(s) {
		return a.answer(c, status, data)
	}
	p, err := retoolPaging.Read(c.Query, len(data))
	if err != nil {
		return failure(http.StatusBadRequest, err.Error())
	}
	body := map[string]any{
		"success": true, "data": data[p.From:p.To], "total_count": float64(len(data)),
		"next_token": p.Next, "has_more": p.Next != nil,
	}
	return &answer{Status: status, Body: jsonpatch.Clone(a.replyFaker(c).Conform(s, body, ""))}
}

// replyFaker makes up whatever an answer lacks. Its seed is the call's
// method and URL, so asking the same thing twice gets the same answer, and
// reads never change the state's own draws.
func (a *retool) replyFaker(c *apiCall) *oas.Faker {
	h := fnv.New64a()
	fmt.Fprint(h, a.seed, c.Op.Method, c.Path, c.Query.Encode())
	return oas.NewFaker(h.Sum64(), a.pools(), northwind)
}

// pools are the organisation's values a made-up field may borrow, by the
// property name it appears under.
func (a *retool) pools() map[string][]any {
	p := map[string][]any{}
	add := func(fam, field string, hints ...string) {
		for _, it := range a.store.Items[fam] {
			if v, ok := it[field]; ok && v != nil {
				for _, h := range hints {
					p[h] = append(p[h], v)
				}
			}
		}
	}
	add("users", "email", "email", "requesting_email", "invited_by")
	add("users", "id", "user_id", "triggered_by", "updated_by_id", "userSid")
	add("apps", "id", "app_id", "appId", "app_uuid", "uuid")
	add("apps", "name", "app_name")
	add("folders", "id", "folder_id", "parent_folder_id")
	add("environments", "id", "environment_id")
	add("workflows", "id", "workflow_id")
	add("workflows", "name", "workflow_name")
	add("resources", "id", "resource_id")
	if org := a.single["organization"]; org != nil {
		p["org_id"] = []any{org["id"]}
	}
	return p
}

// madeUp answers an operation with no state behind it (usage figures,
// permission lists, source-control manifests): a body made up from the
// schema, carrying the path's last parameter as its id where it has one.
func madeUp(a *retool, c *apiCall) *answer {
	status := c.Op.Success()
	s := c.Op.Responses[status]
	if isPagedList(s) {
		f := a.replyFaker(c)
		items := make([]map[string]any, 2+f.IntN(3))
		for i := range items {
			items[i], _ = f.Value(itemSchema(s), "").(map[string]any)
		}
		return a.Page(c, items)
	}
	var data any
	if name, ok := oas.ParamName(c.Op.Segs[len(c.Op.Segs)-1]); ok && itemSchema(s) != nil && itemSchema(s).Property("id") != nil {
		if m, isObject := a.replyFaker(c).Value(itemSchema(s), "").(map[string]any); isObject {
			m["id"] = c.Params[name] // conform makes it up again if it does not fit
			data = m
		}
	}
	return a.answer(c, status, data)
}

// notFound is the 404 for an id that names nothing.
func notFound(noun, id string) *answer {
	return failure(http.StatusNotFound, fmt.Sprintf("%s %s not found", noun, id))
}

// lenientBodies are request schemas the document gets wrong: its app theme
// bodies are the whole stored theme, ids and timestamps required, which the
// server assigns itself. They are checked with only these fields required.
var lenientBodies = map[string][]string{
	"POST /api/v2/app_themes": {"name", "theme"},
	"PUT /api/v2/app_themes":  {"name", "theme"},
}

// bodyCheck is how an operation's request body is checked; nil when it
// documents none.
func bodyCheck(op *oas.Operation) func(any) error {
	if op.Body == nil {
		return nil
	}
	if req, ok := lenientBodies[op.Method+" "+op.Template]; ok {
		return op.Body.WithRequired(req).Check
	}
	return op.Body.Check
}
