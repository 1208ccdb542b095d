package crud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/budgetgw/gateway/internal/sandbox/internal/jsonpatch"
	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// Call is one admitted request, decoded.
type Call struct {
	Op     *oas.Operation
	Path   string
	Params map[string]string // path parameters by name
	Query  url.Values
	Body   map[string]any // the JSON object sent, or nil
}

// Answer is a decided response: a status and a JSON body (nil: none).
type Answer struct {
	Status int
	Body   any
}

// Encode is the answer as it goes on the wire.
func (a *Answer) Encode() (int, []byte) {
	if a.Body == nil {
		return a.Status, nil
	}
	b, err := json.Marshal(a.Body)
	if err != nil {
		// Bodies are built from decoded JSON and fixed structs; this cannot happen.
		return http.StatusInternalServerError, []byte(`{"success":false,"message":"encode"}`)
	}
	return a.Status, b
}

// Host is what the emulated API decides about answers.
type Host interface {
	// OK answers the call's documented success status with data, shaped to
	// the documented schema.
	OK(c *Call, data any) *Answer
	// Page answers a list of items (one page of it, where the API pages).
	Page(c *Call, items []map[string]any) *Answer
	// Refuse is the API's error answer.
	Refuse(status int, message string) *Answer
	// Removed is told of every item removed, for what depends on it outside
	// the families (permissions).
	Removed(family string, item map[string]any)
	// Shown is the schema of the item a response schema shows, inside any
	// envelope the API wraps answers in.
	Shown(s *oas.Schema) *oas.Schema
}

// ID is how an id appears in a path: numbers without a fraction.
func ID(v any) string {
	if f, ok := jsonpatch.Number(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
