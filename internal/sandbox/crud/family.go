package crud

import (
	"fmt"
	"strings"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"
	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// Family is one kind of stored thing (users, folders, ...) and where the
// document serves it. The generic handlers create, list, read, update and
// delete its items; the hooks, which receive the host H, hold what differs
// between families.
type Family[H Host] struct {
	Name string // store key
	Noun string // in messages: "User"
	List string // the collection's template
	Item string // one item's template; "" when the document has none

	// Parent names the path parameter of an enclosing item for a nested
	// collection, the family that item belongs to, and the field that links.
	Parent, ParentFamily, ParentField string

	// Unique lists field sets no two items may share (compared without regard
	// to case); a clash is answered 409 where the document lists it.
	Unique [][]string
	// Filters map list query parameters to dotted item fields; a parameter
	// named like an item field filters on it without an entry.
	Filters map[string]string
	// Unshown marks a family no documented answer shows, so it has no shapes
	// to learn and its items are checked against nothing.
	Unshown bool

	Prepare   func(h H, c *Call, item map[string]any) *Answer // new items only: defaults, links
	Normalize func(h H, item map[string]any) *Answer          // after every change: references
	View      func(h H, item map[string]any) map[string]any   // as shown: joins, hidden fields
	CanDelete func(item map[string]any) *Answer
	OnDelete  func(h H, item map[string]any) // cascades

	shapes []*oas.Schema // every documented schema that shows one item
	read   *oas.Schema   // what an item must stay valid against
}

// learnShapes finds the family's item schemas in the document.
func (fam *Family[H]) learnShapes(s *oas.Spec, shown func(*oas.Schema) *oas.Schema) error {
	var read, fromList *oas.Schema
	for _, op := range s.Ops {
		if op.Template != fam.List && (fam.Item == "" || op.Template != fam.Item) {
			continue
		}
		for st, rs := range op.Responses {
			if st < 200 || st > 299 || rs == nil {
				continue
			}
			shape := shown(rs).FirstObject()
			fam.shapes = append(fam.shapes, shown(rs))
			switch {
			case op.Method == "GET" && op.Template == fam.Item:
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
	if len(fam.shapes) == 0 && !fam.Unshown {
		return fmt.Errorf("family %s: no documented answer shows its items", fam.Name)
	}
	return nil
}

// Read is the schema an item must stay valid against; nil for an unshown
// family.
func (fam *Family[H]) Read() *oas.Schema { return fam.read }

// Knows reports whether an item may hold key: declared or required.
func (fam *Family[H]) Knows(key string) bool {
	if fam.read == nil {
		return true
	}
	return fam.read.Declares(key)
}

// FromBody copies the body's fields the item has, under the item's names:
// a document may take camelCase in some bodies (dataType) and answer in
// snake_case (data_type).
func (fam *Family[H]) FromBody(body map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		key := k
		if !fam.Knows(key) {
			key = snake(k)
		}
		if fam.Knows(key) {
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

// matches applies the list's query filters to one item.
func (fam *Family[H]) matches(c *Call, item map[string]any, paging Paging) bool {
	for _, q := range c.Op.Query {
		name := strings.TrimSuffix(q, "!")
		want := c.Query.Get(name)
		field, mapped := fam.Filters[name]
		if !mapped {
			field = name
		}
		if want == "" || name == paging.Limit || name == paging.Cursor {
			continue
		}
		got, ok := dig(item, field)
		if !ok && !mapped {
			continue // not a field of the item: nothing to filter on
		}
		if !strings.EqualFold(ID(got), want) {
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
