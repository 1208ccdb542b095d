package retoolv2

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
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
	families []*family
	handlers map[*oas.Operation]handler

	mu     sync.Mutex
	rng    *rand.Rand // draws for ids and secrets; only writes advance it
	fake   *oas.Faker // made-up fields of stored items, drawn from rng's seed
	stores map[string][]map[string]any
	single map[string]map[string]any // one-of-a-kind settings; nil: not configured
}

// apiCall is one admitted request, decoded.
type apiCall struct {
	op     *oas.Operation
	path   string
	params map[string]string
	query  url.Values
	body   map[string]any // the JSON object sent, or nil
}

type handler func(a *retool, c *apiCall) *answer

func newRetool(seed int64, now func() time.Time) (*retool, error) {
	s, err := loadSpec()
	if err != nil {
		return nil, err
	}
	a := &retool{spec: s, seed: seed, now: now, families: families()}
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
		if h := a.genericHandler(op); h != nil {
			a.handlers[op] = h
			continue
		}
		a.handlers[op] = madeUp
	}
	for key := range special {
		return fmt.Errorf("special handler for %s: no such operation in the document", key)
	}
	for _, fam := range a.families {
		if err := fam.learnShapes(a.spec); err != nil {
			return err
		}
	}
	return nil
}

// reset replaces the state with the seeded organisation.
func (a *retool) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rng = rand.New(rand.NewPCG(uint64(a.seed), 0x0e9))
	a.fake = oas.NewFaker(uint64(a.seed)^0x5eed, nil, northwind)
	a.stores = map[string][]map[string]any{}
	a.single = map[string]map[string]any{}
	a.seedOrganisation()
}

// serve answers one admitted call.
func (a *retool) serve(method string, u *url.URL, body []byte) *answer {
	op, params := a.spec.Find(method, u.Path)
	if op == nil {
		return failure(http.StatusNotFound, "Not found")
	}
	c := &apiCall{op: op, path: u.Path, params: params, query: u.Query()}
	for _, q := range op.Query {
		if name, required := strings.CutSuffix(q, "!"); required && c.query.Get(name) == "" {
			return failure(http.StatusBadRequest, "Missing required query parameter: "+name)
		}
	}
	if ans := c.decode(body); ans != nil {
		return ans
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.handlers[op](a, c)
}

// decode reads and checks the JSON body against the operation's schema, as
// the real API does before acting: a malformed call costs its points and
// changes nothing.
func (c *apiCall) decode(body []byte) *answer {
	if c.op.Body == nil {
		return nil // no JSON body documented (or multipart): nothing to check
	}
	c.body = map[string]any{}
	if len(strings.TrimSpace(string(body))) > 0 {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return failure(http.StatusBadRequest, "Request body is not valid JSON")
		}
		m, ok := v.(map[string]any)
		if !ok {
			return failure(http.StatusBadRequest, "Request body must be a JSON object")
		}
		c.body = m
	}
	if err := bodyCheck(c.op)(c.body); err != nil {
		return failure(http.StatusBadRequest, "Invalid request body: "+err.Error())
	}
	return nil
}

// answer builds the response for status: data (an item, a list, or nil to
// make everything up) in the envelope if the schema has one, conformed to
// the documented schema, and copied so no stored state leaves the lock.
func (a *retool) answer(c *apiCall, status int, data any) *answer {
	s, documented := c.op.Responses[status]
	if documented && s == nil {
		return &answer{status: status}
	}
	candidate := data
	if s == nil || isEnvelope(s) {
		candidate = map[string]any{"success": true, "data": data}
	}
	if s == nil {
		return &answer{status: status, body: jsonpatch.Clone(candidate)}
	}
	return &answer{status: status, body: jsonpatch.Clone(a.replyFaker(c).Conform(s, candidate, ""))}
}

// ok answers the operation's documented success status.
func (a *retool) ok(c *apiCall, data any) *answer { return a.answer(c, c.op.Success(), data) }

// list answers a list of items, one page of it when the caller asked for
// one, with Retool's paging fields where the schema has them.
func (a *retool) list(c *apiCall, items []map[string]any) *answer {
	status := c.op.Success()
	s := c.op.Responses[status]
	data := make([]any, len(items))
	for i, it := range items {
		data[i] = it
	}
	if !isPagedList(s) {
		return a.answer(c, status, data)
	}
	p, ans := readPage(c.query, len(data))
	if ans != nil {
		return ans
	}
	body := map[string]any{
		"success": true, "data": data[p.from:p.to], "total_count": float64(len(data)),
		"next_token": p.next, "has_more": p.next != nil,
	}
	return &answer{status: status, body: jsonpatch.Clone(a.replyFaker(c).Conform(s, body, ""))}
}

// replyFaker makes up whatever an answer lacks. Its seed is the call's
// method and URL, so asking the same thing twice gets the same answer, and
// reads never change the state's own draws.
func (a *retool) replyFaker(c *apiCall) *oas.Faker {
	h := fnv.New64a()
	fmt.Fprint(h, a.seed, c.op.Method, c.path, c.query.Encode())
	return oas.NewFaker(h.Sum64(), a.pools(), northwind)
}

// pools are the organisation's values a made-up field may borrow, by the
// property name it appears under.
func (a *retool) pools() map[string][]any {
	p := map[string][]any{}
	add := func(fam, field string, hints ...string) {
		for _, it := range a.stores[fam] {
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
	status := c.op.Success()
	s := c.op.Responses[status]
	if isPagedList(s) {
		f := a.replyFaker(c)
		items := make([]map[string]any, 2+f.IntN(3))
		for i := range items {
			items[i], _ = f.Value(itemSchema(s), "").(map[string]any)
		}
		return a.list(c, items)
	}
	var data any
	if name, ok := oas.ParamName(c.op.Segs[len(c.op.Segs)-1]); ok && itemSchema(s) != nil && itemSchema(s).Property("id") != nil {
		if m, isObject := a.replyFaker(c).Value(itemSchema(s), "").(map[string]any); isObject {
			m["id"] = c.params[name] // conform makes it up again if it does not fit
			data = m
		}
	}
	return a.answer(c, status, data)
}

// idString is how an id appears in a path: numbers without a fraction.
func idString(v any) string {
	if f, ok := jsonpatch.Number(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
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

// bodyCheck is how an operation's request body is checked.
func bodyCheck(op *oas.Operation) func(any) error {
	if req, ok := lenientBodies[op.Method+" "+op.Template]; ok {
		return op.Body.WithRequired(req).Check
	}
	return op.Body.Check
}
