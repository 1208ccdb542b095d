package retoolv2

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

// idMap turns the recorded organisation's ids into the sandbox's, learning
// pairs from answers as the sequence proceeds (a created item's id), and
// starting from the items both organisations hold (environments by name,
// system folders by type).
type idMap struct {
	to map[string]any // recorded id (as a path shows it) -> sandbox id
}

// knownItems pairs the recorded organisation's standing items, seen in any
// cassette's list answers, with the sandbox's by name.
func knownItems(t *testing.T, all map[string]*cassette) map[string][2]string {
	out := map[string][2]string{} // recorded id -> {family, name}
	for _, c := range all {
		for _, it := range c.Interactions {
			u, _ := url.Parse(it.Request.URL)
			fam := strings.TrimPrefix(u.Path, "/api/v2/")
			if it.Request.Method != "GET" || (fam != "environments" && fam != "folders" && fam != "groups") {
				continue
			}
			var body struct {
				Data []map[string]any `json:"data"`
			}
			if json.Unmarshal([]byte(it.Response.Body), &body) != nil {
				continue
			}
			for _, item := range body.Data {
				name := crud.ID(item["name"])
				if fam == "folders" {
					name = crud.ID(item["folder_type"]) + "/" + name
				}
				out[crud.ID(item["id"])] = [2]string{fam, name}
			}
		}
	}
	return out
}

func newIDMap(t *testing.T, s *API, known map[string][2]string) *idMap {
	m := &idMap{to: map[string]any{}}
	byName := map[[2]string]any{}
	for _, fam := range []string{"environments", "folders", "groups"} {
		for _, item := range listed(t, s, "/api/v2/"+fam) {
			name := crud.ID(item["name"])
			if fam == "folders" {
				name = crud.ID(item["folder_type"]) + "/" + name
			}
			byName[[2]string{fam, name}] = item["id"]
		}
	}
	for rec, key := range known {
		if id, ok := byName[key]; ok {
			m.to[rec] = id
		}
	}
	return m
}

// learn pairs ids found at the same place in the recorded and the sandbox's
// answer: fields named id or ending in _id, outside lists of many items.
func (m *idMap) learn(want, got any) {
	w, ok1 := want.(map[string]any)
	g, ok2 := got.(map[string]any)
	if ok1 && ok2 {
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				continue
			}
			if k == "id" || strings.HasSuffix(k, "_id") {
				if _, isObj := wv.(map[string]any); !isObj && wv != nil && gv != nil {
					if _, known := m.to[crud.ID(wv)]; !known {
						m.to[crud.ID(wv)] = gv
					}
					continue
				}
			}
			m.learn(wv, gv)
		}
		return
	}
	wl, ok1 := want.([]any)
	gl, ok2 := got.([]any)
	if ok1 && ok2 && len(wl) == 1 && len(gl) == 1 {
		m.learn(wl[0], gl[0])
	}
}

func (m *idMap) path(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if id, ok := m.to[s]; ok {
			segs[i] = crud.ID(id)
		}
	}
	return strings.Join(segs, "/")
}

// body rewrites the ids in a recorded request body: any string that is a
// known id, and numbers under id fields.
func (m *idMap) body(t *testing.T, raw string) []byte {
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return []byte(raw) // sent as recorded
	}
	b, err := json.Marshal(m.rewrite(v, ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (m *idMap) rewrite(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = m.rewrite(e, k)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.rewrite(e, key)
		}
		return out
	case string:
		if id, ok := m.to[x]; ok {
			return id
		}
	case float64:
		if id, ok := m.to[crud.ID(x)]; ok && (key == "id" || strings.HasSuffix(key, "_id")) {
			return id
		}
	}
	return v
}
