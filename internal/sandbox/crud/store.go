package crud

import (
	"fmt"
	"strings"
	"time"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"
	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// Store holds the items of every family and serves the plain operations on
// them. It is not safe for concurrent use: the host serialises calls.
type Store[H Host] struct {
	host     H
	families []*Family[H]
	now      func() time.Time
	paging   Paging
	fake     *oas.Faker // set by Reset

	// Items are the stored items by family name, in creation order. The host
	// reads them freely and changes them only as a family's hooks would.
	Items map[string][]map[string]any
}

// Options are what New needs besides the host and the families.
type Options struct {
	Spec *oas.Spec
	Now  func() time.Time // the clock timestamps read
	// Paging is how the host's Page pages lists; its parameters are never
	// item filters.
	Paging Paging
}

// New builds an empty store for families, learning each family's shapes
// from the document; an error names a family no documented answer shows.
func New[H Host](host H, families []*Family[H], o Options) (*Store[H], error) {
	for _, fam := range families {
		if err := fam.learnShapes(o.Spec, host.Shown); err != nil {
			return nil, err
		}
	}
	return &Store[H]{host: host, families: families, now: o.Now, paging: o.Paging}, nil
}

// Reset empties the store; fake makes up what new items lack from now on.
func (s *Store[H]) Reset(fake *oas.Faker) {
	s.Items = map[string][]map[string]any{}
	s.fake = fake
}

// Family finds a family by store name.
func (s *Store[H]) Family(name string) *Family[H] {
	for _, f := range s.families {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Show is the item as answers present it.
func (s *Store[H]) Show(fam *Family[H], item map[string]any) map[string]any {
	if fam.View != nil {
		return fam.View(s.host, item)
	}
	return item
}

// ByID finds an item of a family by id.
func (s *Store[H]) ByID(famName, id string) (map[string]any, bool) {
	for _, it := range s.Items[famName] {
		if ID(it["id"]) == id {
			return it, true
		}
	}
	return nil, false
}

// ItemAt finds the item of a family named by a path parameter, and its index.
func (s *Store[H]) ItemAt(c *Call, famName, param string) (map[string]any, int, *Answer) {
	id := c.Params[param]
	for i, it := range s.Items[famName] {
		if ID(it["id"]) == id {
			return it, i, nil
		}
	}
	return nil, -1, s.notFound(s.Family(famName).Noun, id)
}

// Lookup finds the item the path names, within its parent for a nested family.
func (s *Store[H]) Lookup(fam *Family[H], c *Call) (map[string]any, int, *Answer) {
	if ans := s.checkParent(fam, c); ans != nil {
		return nil, -1, ans
	}
	name, _ := oas.ParamName(fam.Item[strings.LastIndexByte(fam.Item, '/')+1:])
	id := c.Params[name]
	for i, it := range s.Items[fam.Name] {
		if ID(it["id"]) == id && (fam.Parent == "" || ID(it[fam.ParentField]) == c.Params[fam.Parent]) {
			return it, i, nil
		}
	}
	return nil, -1, s.notFound(fam.Noun, id)
}

func (s *Store[H]) checkParent(fam *Family[H], c *Call) *Answer {
	if fam.Parent == "" {
		return nil
	}
	id := c.Params[fam.Parent]
	if _, ok := s.ByID(fam.ParentFamily, id); !ok {
		return s.notFound(s.Family(fam.ParentFamily).Noun, id)
	}
	return nil
}

// notFound is the 404 for an id that names nothing.
func (s *Store[H]) notFound(noun, id string) *Answer {
	return s.host.Refuse(404, fmt.Sprintf("%s %s not found", noun, id))
}

// ListItems answers the family's items that the call's filters select.
func (s *Store[H]) ListItems(fam *Family[H], c *Call) *Answer {
	if ans := s.checkParent(fam, c); ans != nil {
		return ans
	}
	var out []map[string]any
	for _, it := range s.Items[fam.Name] {
		if fam.Parent != "" && ID(it[fam.ParentField]) != c.Params[fam.Parent] {
			continue
		}
		v := s.Show(fam, it)
		if fam.matches(c, v, s.paging) {
			out = append(out, v)
		}
	}
	return s.host.Page(c, out)
}

// Handler is the family handler for op, or nil when op is no family's plain
// create, list, read, update or delete.
func (s *Store[H]) Handler(op *oas.Operation) func(c *Call) *Answer {
	for _, fam := range s.families {
		switch {
		case op.Template == fam.List && op.Method == "GET":
			return func(c *Call) *Answer { return s.ListItems(fam, c) }
		case op.Template == fam.List && op.Method == "POST":
			return func(c *Call) *Answer {
				item, ans := s.Create(fam, c, fam.FromBody(c.Body))
				if ans != nil {
					return ans
				}
				return s.host.OK(c, s.Show(fam, item))
			}
		case fam.Item == "" || op.Template != fam.Item:
		case op.Method == "GET":
			return func(c *Call) *Answer {
				item, _, ans := s.Lookup(fam, c)
				if ans != nil {
					return ans
				}
				return s.host.OK(c, s.Show(fam, item))
			}
		case op.Method == "PATCH":
			return func(c *Call) *Answer { return s.patch(fam, c) }
		case op.Method == "PUT":
			return func(c *Call) *Answer {
				item, i, ans := s.Lookup(fam, c)
				if ans != nil {
					return ans
				}
				next := jsonpatch.Clone(item).(map[string]any)
				for k, v := range fam.FromBody(c.Body) {
					next[k] = v
				}
				return s.Replace(fam, c, i, next)
			}
		case op.Method == "DELETE":
			return func(c *Call) *Answer { return s.delete(fam, c) }
		}
	}
	return nil
}
