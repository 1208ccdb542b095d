package retoolv2

import (
	"fmt"
	"strings"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// family is one kind of stored thing (users, folders, ...) and where the
// document serves it. The generic handlers create, list, read, update and
// delete its items; the hooks hold what differs between families.
type family struct {
	name string // store key
	noun string // in messages: "User"
	list string // the collection's template
	item string // one item's template; "" when the document has none

	// parent names the path parameter of an enclosing item for a nested
	// collection, the family that item belongs to, and the field that links.
	parent, parentFamily, parentField string

	// unique lists field sets no two items may share (compared without regard
	// to case); a clash is answered 409 where the document lists it.
	unique [][]string
	// filters map list query parameters to dotted item fields; a parameter
	// named like an item field filters on it without an entry.
	filters map[string]string

	prepare   func(a *retool, c *apiCall, item map[string]any) *answer // new items only: defaults, links
	normalize func(a *retool, item map[string]any) *answer             // after every change: references
	view      func(a *retool, item map[string]any) map[string]any      // as shown: joins, hidden fields
	canDelete func(item map[string]any) *answer
	onDelete  func(a *retool, item map[string]any) // cascades

	shapes []*oas.Schema // every documented schema that shows one item
	read   *oas.Schema   // what an item must stay valid against
}

// learnShapes finds the family's item schemas in the document.
func (fam *family) learnShapes(s *oas.Spec) error {
	var read, fromList *oas.Schema
	for _, op := range s.Ops {
		if op.Template != fam.list && (fam.item == "" || op.Template != fam.item) {
			continue
		}
		for st, rs := range op.Responses {
			if st < 200 || st > 299 || rs == nil {
				continue
			}
			shape := itemSchema(rs).FirstObject()
			fam.shapes = append(fam.shapes, itemSchema(rs))
			switch {
			case op.Method == "GET" && op.Template == fam.item:
				read = shape
			case op.Method == "GET" || fromList == nil:
				fromList = shape
			}
		}
	}
	fam.read = read
	if fam.read == nil {
		fam.read = fromList
	}
	// Role grants are the one family the document never shows (see listGrants).
	if len(fam.shapes) == 0 && fam.name != "role_grants" {
		return fmt.Errorf("family %s: no documented answer shows its items", fam.name)
	}
	return nil
}

// knows reports whether an item may hold key: declared or required.
func (fam *family) knows(key string) bool {
	if fam.read == nil {
		return true
	}
	return fam.read.Declares(key)
}

// fromBody copies the body's fields the item has, under the item's names:
// the document takes camelCase in some bodies (dataType) and answers in
// snake_case (data_type).
func (fam *family) fromBody(body map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		key := k
		if !fam.knows(key) {
			key = snake(k)
		}
		if fam.knows(key) {
			out[key] = jsonpatch.Clone(v)
		}
	}
	return out
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// genericHandler is the family handler for op, or nil when op is no family's
// plain create, list, read, update or delete.
func (a *retool) genericHandler(op *oas.Operation) handler {
	for _, fam := range a.families {
		switch {
		case op.Template == fam.list && op.Method == "GET":
			return func(a *retool, c *apiCall) *answer { return a.listItems(fam, c) }
		case op.Template == fam.list && op.Method == "POST":
			return func(a *retool, c *apiCall) *answer {
				item, ans := a.createItem(fam, c, fam.fromBody(c.body))
				if ans != nil {
					return ans
				}
				return a.ok(c, a.show(fam, item))
			}
		case fam.item == "" || op.Template != fam.item:
		case op.Method == "GET":
			return func(a *retool, c *apiCall) *answer {
				item, _, ans := a.lookup(fam, c)
				if ans != nil {
					return ans
				}
				return a.ok(c, a.show(fam, item))
			}
		case op.Method == "PATCH":
			return func(a *retool, c *apiCall) *answer { return a.patchItem(fam, c) }
		case op.Method == "PUT":
			return func(a *retool, c *apiCall) *answer {
				item, i, ans := a.lookup(fam, c)
				if ans != nil {
					return ans
				}
				next := jsonpatch.Clone(item).(map[string]any)
				for k, v := range fam.fromBody(c.body) {
					next[k] = v
				}
				return a.replaceItem(fam, c, i, next)
			}
		case op.Method == "DELETE":
			return func(a *retool, c *apiCall) *answer { return a.deleteItem(fam, c) }
		}
	}
	return nil
}

// family finds a family by store name.
func (a *retool) family(name string) *family {
	for _, f := range a.families {
		if f.name == name {
			return f
		}
	}
	return nil
}

// show is the item as answers present it.
func (a *retool) show(fam *family, item map[string]any) map[string]any {
	if fam.view != nil {
		return fam.view(a, item)
	}
	return item
}

func (a *retool) listItems(fam *family, c *apiCall) *answer {
	if ans := a.checkParent(fam, c); ans != nil {
		return ans
	}
	var out []map[string]any
	for _, it := range a.stores[fam.name] {
		if fam.parent != "" && idString(it[fam.parentField]) != c.params[fam.parent] {
			continue
		}
		v := a.show(fam, it)
		if fam.matches(c, v) {
			out = append(out, v)
		}
	}
	return a.list(c, out)
}

// matches applies the list's query filters to one item.
func (fam *family) matches(c *apiCall, item map[string]any) bool {
	for _, q := range c.op.Query {
		name := strings.TrimSuffix(q, "!")
		want := c.query.Get(name)
		field, mapped := fam.filters[name]
		if !mapped {
			field = name
		}
		if want == "" || name == "limit" || name == "next_token" {
			continue
		}
		got, ok := dig(item, field)
		if !ok && !mapped {
			continue // not a field of the item: nothing to filter on
		}
		if !strings.EqualFold(idString(got), want) {
			return false
		}
	}
	return true
}

// dig reads a dotted path of object fields.
func dig(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

func (a *retool) checkParent(fam *family, c *apiCall) *answer {
	if fam.parent == "" {
		return nil
	}
	id := c.params[fam.parent]
	if _, ok := a.byID(fam.parentFamily, id); !ok {
		return notFound(a.family(fam.parentFamily).noun, id)
	}
	return nil
}

// lookup finds the item the path names.
func (a *retool) lookup(fam *family, c *apiCall) (map[string]any, int, *answer) {
	if ans := a.checkParent(fam, c); ans != nil {
		return nil, -1, ans
	}
	name, _ := oas.ParamName(fam.item[strings.LastIndexByte(fam.item, '/')+1:])
	id := c.params[name]
	for i, it := range a.stores[fam.name] {
		if idString(it["id"]) == id && (fam.parent == "" || idString(it[fam.parentField]) == c.params[fam.parent]) {
			return it, i, nil
		}
	}
	return nil, -1, notFound(fam.noun, id)
}

// byID finds an item of a family by id.
func (a *retool) byID(famName, id string) (map[string]any, bool) {
	for _, it := range a.stores[famName] {
		if idString(it["id"]) == id {
			return it, true
		}
	}
	return nil, false
}
