package sandbox

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"time"
)

// listSize is how many fake items a collection GET returns: enough to show a list,
// few enough to read in a test failure.
const listSize = 3

// fakeEpoch (2024-01-01T00:00:00Z) anchors fake timestamps, so bodies do not depend on
// when a test runs.
const fakeEpoch = 1704067200

// reply makes up the successful answer for an admitted call. It is deliberately generic:
// one resource shape for every path, no state (Options.API Generic). Answers in the
// document's own shapes, with state, are RetoolV2's (retool.go).
func reply(o Options, method, path string, body []byte) *answer {
	collection := o.Collection(path)
	switch method {
	case http.MethodGet, http.MethodHead:
		if collection {
			return &answer{status: http.StatusOK, body: fakeList(o.Seed, path)}
		}
		return ok(http.StatusOK, fakeItem(o.Seed, parent(path), lastSegment(path)))
	case http.MethodDelete:
		return &answer{status: http.StatusNoContent}
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		data, err := decodeBody(body)
		if err != nil {
			return failure(http.StatusBadRequest, "Request body is not valid JSON")
		}
		status := http.StatusOK
		if method == http.MethodPost && collection {
			status = http.StatusCreated
			setDefault(data, "id", fakeID(o.Seed, path, string(body)))
		} else if !collection {
			setDefault(data, "id", lastSegment(path))
		}
		return ok(status, data)
	}
	return failure(http.StatusMethodNotAllowed, "Method not allowed")
}

func ok(status int, data any) *answer {
	return &answer{status: status, body: envelope{Success: true, Data: data}}
}

// decodeBody reads the JSON a write call sent; an empty body is an empty object.
func decodeBody(body []byte) (any, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return map[string]any{}, nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// setDefault sets key on a JSON object that lacks it; other JSON values are left alone.
func setDefault(v any, key string, value any) {
	if m, isObject := v.(map[string]any); isObject {
		if _, has := m[key]; !has {
			m[key] = value
		}
	}
}

func fakeList(seed int64, path string) list {
	collection := strings.TrimSuffix(path, "/")
	items := make([]any, listSize)
	for i := range items {
		items[i] = fakeItem(seed, collection, fakeID(seed, collection, fmt.Sprint(i)))
	}
	return list{Success: true, Data: items, TotalCount: len(items)}
}

// fakeItem derives every field from (seed, collection, id), so the same call always gets
// the same body and an item from a list reads back the same when fetched by its id.
func fakeItem(seed int64, collection, id string) map[string]any {
	h := hash(seed, collection, id)
	created := time.Unix(fakeEpoch+int64(h%(365*24*3600)), 0).UTC()
	return map[string]any{
		"id":         id,
		"name":       fmt.Sprintf("%s %04x", resourceName(collection), h&0xffff),
		"created_at": created.Format(time.RFC3339),
	}
}

func fakeID(seed int64, path, salt string) string {
	// Decimal, so the id always holds a digit and the default Collection reads it as an id.
	return fmt.Sprintf("%s_%010d", resourceName(path), hash(seed, path, salt)%1e10)
}

func hash(seed int64, parts ...string) uint64 {
	h := fnv.New64a()
	fmt.Fprint(h, seed)
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return h.Sum64()
}

// resourceName is the collection a path is about: its last static-looking segment.
func resourceName(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if isWord(segs[i]) {
			return segs[i]
		}
	}
	return "item"
}

// parent is the path without its last segment: the collection an item path belongs to.
func parent(path string) string {
	p := strings.TrimSuffix(path, "/")
	return p[:max(strings.LastIndexByte(p, '/'), 0)]
}

func lastSegment(path string) string {
	p := strings.TrimSuffix(path, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

// looksLikeCollection is the default Options.Collection: the last segment is a word
// ("apps", "user_invites") rather than an id ("app_3f2a", a UUID, a number).
func looksLikeCollection(path string) bool {
	return isWord(lastSegment(path))
}

func isWord(seg string) bool {
	if seg == "" {
		return false
	}
	for _, r := range seg {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_') {
			return false
		}
	}
	return true
}
