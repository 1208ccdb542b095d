package crud

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

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

// NewCall decodes a request for op: the path's parameters, the query, and the
// JSON body, which must be an object that check accepts. Without a documented
// JSON body (check nil: none, or multipart) the body is not read. An error is
// the caller's mistake, worded for the API's 400.
func NewCall(op *oas.Operation, params map[string]string, u *url.URL, body []byte, check func(any) error) (*Call, error) {
	c := &Call{Op: op, Path: u.Path, Params: params, Query: u.Query()}
	for _, q := range op.Query {
		if name, required := strings.CutSuffix(q, "!"); required && c.Query.Get(name) == "" {
			return nil, errors.New("Missing required query parameter: " + name)
		}
	}
	if check == nil {
		return c, nil
	}
	c.Body = map[string]any{}
	if len(strings.TrimSpace(string(body))) > 0 {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, errors.New("Request body is not valid JSON")
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("Request body must be a JSON object")
		}
		c.Body = m
	}
	if err := check(c.Body); err != nil {
		return nil, errors.New("Invalid request body: " + err.Error())
	}
	return c, nil
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
