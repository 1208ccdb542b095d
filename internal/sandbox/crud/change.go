package crud

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// Create stores a new item built from fields (already in the item's
// names), answering the refusal instead when it cannot be made.
func (s *Store[H]) Create(fam *Family[H], c *Call, item map[string]any) (map[string]any, *Answer) {
	if ans := s.checkParent(fam, c); ans != nil {
		return nil, ans
	}
	if fam.Parent != "" {
		item[fam.ParentField] = c.Params[fam.Parent]
	}
	for _, f := range serverOwned {
		delete(item, f) // some create bodies declare them; the server sets them
	}
	if fam.Prepare != nil {
		if ans := fam.Prepare(s.host, c, item); ans != nil {
			return nil, ans
		}
	}
	s.StampNew(fam, item)
	if ans := s.settle(fam, c, item, -1); ans != nil {
		return nil, ans
	}
	s.Items[fam.Name] = append(s.Items[fam.Name], item)
	return item, nil
}

// settle completes and checks an item about to be stored at index i (-1:
// new), answering why not if it cannot be.
func (s *Store[H]) settle(fam *Family[H], c *Call, item map[string]any, i int) *Answer {
	if fam.Normalize != nil {
		if ans := fam.Normalize(s.host, item); ans != nil {
			return ans
		}
	}
	if ans := s.checkUnique(fam, c, item, i); ans != nil {
		return ans
	}
	s.Complete(fam, item)
	if fam.read != nil {
		if err := fam.read.Check(s.Show(fam, item)); err != nil {
			return s.host.Refuse(http.StatusBadRequest, "Invalid value: "+err.Error())
		}
	}
	return nil
}

// Complete adds the fields some documented shape requires and the item
// lacks, so every answer shows the same values for the same item.
func (s *Store[H]) Complete(fam *Family[H], item map[string]any) {
	for _, shape := range fam.shapes {
		full, ok := s.fake.Conform(shape, item, "").(map[string]any)
		if !ok {
			continue
		}
		for k, v := range full {
			if _, has := item[k]; !has {
				item[k] = v
			}
		}
	}
}

func (s *Store[H]) checkUnique(fam *Family[H], c *Call, item map[string]any, self int) *Answer {
	for _, fields := range fam.Unique {
		for j, other := range s.Items[fam.Name] {
			if j == self || fam.Parent != "" && ID(other[fam.ParentField]) != ID(item[fam.ParentField]) {
				continue
			}
			same := true
			for _, f := range fields {
				same = same && strings.EqualFold(ID(other[f]), ID(item[f]))
			}
			if same && c.Op.Documents(http.StatusConflict) {
				return s.host.Refuse(http.StatusConflict, fmt.Sprintf("A %s with the same %s already exists",
					strings.ToLower(fam.Noun), strings.Join(fields, " and ")))
			}
		}
	}
	return nil
}

// serverOwned fields are set on creation whatever the body says.
var serverOwned = []string{"legacy_id", "created_at", "updated_at"}

// immutable fields keep their values through any update.
var immutable = []string{"id", "legacy_id", "created_at"}

// Replace stores next in place of the item at index i.
func (s *Store[H]) Replace(fam *Family[H], c *Call, i int, next map[string]any) *Answer {
	old := s.Items[fam.Name][i]
	for _, f := range append(slices.Clip(immutable), fam.ParentField) {
		if f != "" && !jsonpatch.Equal(old[f], next[f]) {
			return s.host.Refuse(http.StatusBadRequest, f+" cannot be changed")
		}
	}
	if fam.Knows("updated_at") {
		next["updated_at"] = oas.Stamp(s.now())
	}
	if ans := s.settle(fam, c, next, i); ans != nil {
		return ans
	}
	s.Items[fam.Name][i] = next
	return s.host.OK(c, s.Show(fam, next))
}

func (s *Store[H]) patch(fam *Family[H], c *Call) *Answer {
	item, i, ans := s.Lookup(fam, c)
	if ans != nil {
		return ans
	}
	next := jsonpatch.Clone(item).(map[string]any)
	if c.Op.Body != nil && c.Op.Body.Property("operations") == nil {
		for k, v := range fam.FromBody(c.Body) { // a PATCH that takes fields, not operations (roles)
			next[k] = v
		}
	} else if err := jsonpatch.Apply(next, c.Body["operations"]); err != nil {
		return s.host.Refuse(http.StatusBadRequest, err.Error())
	}
	return s.Replace(fam, c, i, next)
}

func (s *Store[H]) delete(fam *Family[H], c *Call) *Answer {
	item, i, ans := s.Lookup(fam, c)
	if ans != nil {
		return ans
	}
	if fam.CanDelete != nil {
		if ans := fam.CanDelete(item); ans != nil {
			return ans
		}
	}
	s.remove(fam, i)
	return s.host.OK(c, s.Show(fam, item))
}

// remove deletes the item at index i and whatever depends on it.
func (s *Store[H]) remove(fam *Family[H], i int) {
	item := s.Items[fam.Name][i]
	s.Items[fam.Name] = slices.Delete(s.Items[fam.Name], i, i+1)
	s.host.Removed(fam.Name, item)
	if fam.OnDelete != nil {
		fam.OnDelete(s.host, item)
	}
}

// RemoveWhere deletes the items of a family for which drop is true.
func (s *Store[H]) RemoveWhere(famName string, drop func(map[string]any) bool) {
	fam := s.Family(famName)
	for i := len(s.Items[famName]) - 1; i >= 0; i-- {
		if drop(s.Items[famName][i]) {
			s.remove(fam, i)
		}
	}
}

// StampNew gives a new item its id, legacy id and timestamps.
func (s *Store[H]) StampNew(fam *Family[H], item map[string]any) {
	if _, ok := item["id"]; !ok && fam.Knows("id") {
		item["id"] = s.newID(fam)
	}
	if fam.read == nil {
		item["created_at"] = oas.Stamp(s.now())
		return
	}
	if _, ok := item["legacy_id"]; !ok && fam.Knows("legacy_id") {
		if _, numeric := jsonpatch.Number(item["id"]); numeric {
			item["legacy_id"] = item["id"]
		} else if p := fam.read.Property("legacy_id"); p != nil && p.Allows("number") {
			item["legacy_id"] = float64(s.nextNumber(fam.Name, "legacy_id"))
		} else {
			item["legacy_id"] = item["id"]
		}
	}
	now := oas.Stamp(s.now())
	for _, f := range []string{"created_at", "updated_at"} {
		if _, ok := item[f]; !ok && fam.Knows(f) {
			item[f] = now
		}
	}
}

// newID makes an id of the kind the family's schema describes: sequential
// numbers, "user_" and hex, or UUIDs.
func (s *Store[H]) newID(fam *Family[H]) any {
	var idSchema *oas.Schema
	if fam.read != nil {
		idSchema = fam.read.Property("id")
	}
	switch {
	case idSchema != nil && idSchema.Allows("number") && idSchema.Type() != "":
		return float64(s.nextNumber(fam.Name, "id"))
	case idSchema != nil && idSchema.Pattern() != "":
		for {
			id := s.fake.Matching(idSchema.Pattern(), "id")
			if _, taken := s.ByID(fam.Name, id); !taken {
				return id
			}
		}
	}
	return s.fake.UUID()
}

// nextNumber is one more than the highest number in a field of a family.
func (s *Store[H]) nextNumber(famName, field string) int {
	n := 0
	for _, it := range s.Items[famName] {
		if f, ok := jsonpatch.Number(it[field]); ok && int(f) > n {
			n = int(f)
		}
	}
	return n + 1
}
