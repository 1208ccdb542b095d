package retoolv2

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// createItem stores a new item built from fields (already in the item's
// names), answering the refusal instead when it cannot be made.
func (a *retool) createItem(fam *family, c *apiCall, item map[string]any) (map[string]any, *answer) {
	if ans := a.checkParent(fam, c); ans != nil {
		return nil, ans
	}
	if fam.parent != "" {
		item[fam.parentField] = c.params[fam.parent]
	}
	for _, f := range serverOwned {
		delete(item, f) // some create bodies declare them; the server sets them
	}
	if fam.prepare != nil {
		if ans := fam.prepare(a, c, item); ans != nil {
			return nil, ans
		}
	}
	a.stampNew(fam, item)
	if ans := a.settle(fam, c, item, -1); ans != nil {
		return nil, ans
	}
	a.stores[fam.name] = append(a.stores[fam.name], item)
	return item, nil
}

// settle completes and checks an item about to be stored at index i (-1:
// new), answering why not if it cannot be.
func (a *retool) settle(fam *family, c *apiCall, item map[string]any, i int) *answer {
	if fam.normalize != nil {
		if ans := fam.normalize(a, item); ans != nil {
			return ans
		}
	}
	if ans := a.checkUnique(fam, c, item, i); ans != nil {
		return ans
	}
	a.complete(fam, item)
	if fam.read != nil {
		if err := fam.read.Check(a.show(fam, item)); err != nil {
			return failure(http.StatusBadRequest, "Invalid value: "+err.Error())
		}
	}
	return nil
}

// complete adds the fields some documented shape requires and the item
// lacks, so every answer shows the same values for the same item.
func (a *retool) complete(fam *family, item map[string]any) {
	for _, s := range fam.shapes {
		full, ok := a.fake.Conform(s, item, "").(map[string]any)
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

func (a *retool) checkUnique(fam *family, c *apiCall, item map[string]any, self int) *answer {
	for _, fields := range fam.unique {
		for j, other := range a.stores[fam.name] {
			if j == self || fam.parent != "" && idString(other[fam.parentField]) != idString(item[fam.parentField]) {
				continue
			}
			same := true
			for _, f := range fields {
				same = same && strings.EqualFold(idString(other[f]), idString(item[f]))
			}
			if same && c.op.Documents(http.StatusConflict) {
				return failure(http.StatusConflict, fmt.Sprintf("A %s with the same %s already exists",
					strings.ToLower(fam.noun), strings.Join(fields, " and ")))
			}
		}
	}
	return nil
}

// serverOwned fields are set on creation whatever the body says.
var serverOwned = []string{"legacy_id", "created_at", "updated_at"}

// immutable fields keep their values through any update.
var immutable = []string{"id", "legacy_id", "created_at"}

// replaceItem stores next in place of the item at index i.
func (a *retool) replaceItem(fam *family, c *apiCall, i int, next map[string]any) *answer {
	old := a.stores[fam.name][i]
	for _, f := range append(slices.Clip(immutable), fam.parentField) {
		if f != "" && !jsonpatch.Equal(old[f], next[f]) {
			return failure(http.StatusBadRequest, f+" cannot be changed")
		}
	}
	if fam.knows("updated_at") {
		next["updated_at"] = oas.Stamp(a.now())
	}
	if ans := a.settle(fam, c, next, i); ans != nil {
		return ans
	}
	a.stores[fam.name][i] = next
	return a.ok(c, a.show(fam, next))
}

func (a *retool) patchItem(fam *family, c *apiCall) *answer {
	item, i, ans := a.lookup(fam, c)
	if ans != nil {
		return ans
	}
	next := jsonpatch.Clone(item).(map[string]any)
	if c.op.Body != nil && c.op.Body.Property("operations") == nil {
		for k, v := range fam.fromBody(c.body) { // a PATCH that takes fields, not operations (roles)
			next[k] = v
		}
	} else if err := jsonpatch.Apply(next, c.body["operations"]); err != nil {
		return failure(http.StatusBadRequest, err.Error())
	}
	return a.replaceItem(fam, c, i, next)
}

func (a *retool) deleteItem(fam *family, c *apiCall) *answer {
	item, i, ans := a.lookup(fam, c)
	if ans != nil {
		return ans
	}
	if fam.canDelete != nil {
		if ans := fam.canDelete(item); ans != nil {
			return ans
		}
	}
	a.remove(fam, i)
	return a.ok(c, a.show(fam, item))
}

// remove deletes the item at index i and whatever depends on it.
func (a *retool) remove(fam *family, i int) {
	item := a.stores[fam.name][i]
	a.stores[fam.name] = slices.Delete(a.stores[fam.name], i, i+1)
	a.dropPermissionsOf(fam.name, item)
	if fam.onDelete != nil {
		fam.onDelete(a, item)
	}
}

// removeWhere deletes the items of a family for which drop is true.
func (a *retool) removeWhere(famName string, drop func(map[string]any) bool) {
	fam := a.family(famName)
	for i := len(a.stores[famName]) - 1; i >= 0; i-- {
		if drop(a.stores[famName][i]) {
			a.remove(fam, i)
		}
	}
}

// stampNew gives a new item its id, legacy id and timestamps.
func (a *retool) stampNew(fam *family, item map[string]any) {
	if _, ok := item["id"]; !ok && fam.knows("id") {
		item["id"] = a.newID(fam)
	}
	if fam.read == nil {
		item["created_at"] = oas.Stamp(a.now())
		return
	}
	if _, ok := item["legacy_id"]; !ok && fam.knows("legacy_id") {
		if _, numeric := jsonpatch.Number(item["id"]); numeric {
			item["legacy_id"] = item["id"]
		} else if p := fam.read.Property("legacy_id"); p != nil && p.Allows("number") {
			item["legacy_id"] = float64(a.nextNumber(fam.name, "legacy_id"))
		} else {
			item["legacy_id"] = item["id"]
		}
	}
	now := oas.Stamp(a.now())
	for _, f := range []string{"created_at", "updated_at"} {
		if _, ok := item[f]; !ok && fam.knows(f) {
			item[f] = now
		}
	}
}

// newID makes an id of the kind the family's schema describes: sequential
// numbers, "user_" and hex, or UUIDs.
func (a *retool) newID(fam *family) any {
	var idSchema *oas.Schema
	if fam.read != nil {
		idSchema = fam.read.Property("id")
	}
	switch {
	case idSchema != nil && idSchema.Allows("number") && idSchema.Type() != "":
		return float64(a.nextNumber(fam.name, "id"))
	case idSchema != nil && idSchema.Pattern() != "":
		for {
			id := a.fake.Matching(idSchema.Pattern(), "id")
			if _, taken := a.byID(fam.name, id); !taken {
				return id
			}
		}
	}
	return a.fake.UUID()
}

// nextNumber is one more than the highest number in a field of a family.
func (a *retool) nextNumber(famName, field string) int {
	n := 0
	for _, it := range a.stores[famName] {
		if f, ok := jsonpatch.Number(it[field]); ok && int(f) > n {
			n = int(f)
		}
	}
	return n + 1
}
