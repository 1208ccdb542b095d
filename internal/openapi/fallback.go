package openapi

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/budgetgw/gateway/internal/routes"
)

// The fallback document is served when no fetch has ever succeeded. It is ours: built
// from the route table alone, it lists what the gateway routes (path, method, scope,
// cost, path parameters) and describes no request or response shape.

type fbDoc struct {
	OpenAPI    string                         `json:"openapi"`
	Info       fbInfo                         `json:"info"`
	Servers    []fbServer                     `json:"servers"`
	Security   []map[string][]string          `json:"security"`
	Paths      map[string]map[string]*fbOp    `json:"paths"`
	Components map[string]map[string]fbScheme `json:"components"`
}

type fbInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type fbServer struct {
	URL string `json:"url"`
}

type fbScheme struct {
	Type   string `json:"type"`
	Scheme string `json:"scheme"`
}

type fbOp struct {
	OperationID string                `json:"operationId"`
	Summary     string                `json:"summary"`
	Tags        []string              `json:"tags"`
	Parameters  []fbParam             `json:"parameters,omitempty"`
	RequestBody *fbBody               `json:"requestBody,omitempty"`
	Responses   map[string]fbResponse `json:"responses"`
}

type fbParam struct {
	Name     string         `json:"name"`
	In       string         `json:"in"`
	Required bool           `json:"required"`
	Schema   map[string]any `json:"schema"`
}

type fbBody struct {
	Content map[string]fbMedia `json:"content"`
}

type fbResponse struct {
	Description string             `json:"description"`
	Content     map[string]fbMedia `json:"content"`
}

type fbMedia struct {
	Schema map[string]any `json:"schema"`
}

var pathParam = regexp.MustCompile(`\{([^{}/]+)\}`)

// fallbackDocument builds the document from the table's routes under BasePath.
// Routes whose paths differ only in parameter names share the first one's spelling,
// since OpenAPI forbids two templates of one shape.
func fallbackDocument(upstream string, t *routes.Table) ([]byte, error) {
	doc := fbDoc{
		OpenAPI: "3.0.3",
		Info: fbInfo{
			Title:   upstream + " API, as routed by the gateway",
			Version: "route-table",
			Description: "Built by the gateway from its route table, because the upstream's own " +
				"document has not been fetched yet. It lists the operations your key may call, " +
				"each with the scope it needs and the points it costs; it describes no request " +
				"or response bodies.",
		},
		Servers:    []fbServer{{URL: BasePath}}, // replaced when served
		Security:   []map[string][]string{{"BearerAuth": {}}},
		Paths:      map[string]map[string]*fbOp{},
		Components: map[string]map[string]fbScheme{"securitySchemes": {"BearerAuth": {Type: "http", Scheme: "bearer"}}},
	}
	spelling := map[string]string{} // shape -> the documented path
	ids := map[string]bool{}
	for _, r := range t.Routes() {
		rel, ok := strings.CutPrefix(r.Template, BasePath+"/")
		if !ok {
			continue
		}
		rel = "/" + rel
		shape := pathParam.ReplaceAllString(rel, "{}")
		if s, seen := spelling[shape]; seen {
			rel = s
		} else {
			spelling[shape] = rel
		}
		item := doc.Paths[rel]
		if item == nil {
			item = map[string]*fbOp{}
			doc.Paths[rel] = item
		}
		item[strings.ToLower(r.Method)] = fallbackOperation(r, rel, ids)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode the fallback document: %w", err)
	}
	return out, nil
}

func fallbackOperation(r *routes.Route, rel string, ids map[string]bool) *fbOp {
	points := "points"
	if r.Cost == 1 {
		points = "point"
	}
	op := &fbOp{
		OperationID: operationID(r, rel, ids),
		Summary:     fmt.Sprintf("%s %s (%s, %d %s)", r.Method, rel, r.Scope, r.Cost, points),
		Tags:        []string{r.Family},
		Responses: map[string]fbResponse{"default": {
			Description: "The upstream's answer, passed on by the gateway.",
			Content:     map[string]fbMedia{"application/json": {Schema: map[string]any{}}},
		}},
	}
	for _, m := range pathParam.FindAllStringSubmatch(rel, -1) {
		op.Parameters = append(op.Parameters, fbParam{Name: m[1], In: "path", Required: true, Schema: map[string]any{"type": "string"}})
	}
	switch r.Method {
	case "POST", "PUT", "PATCH":
		op.RequestBody = &fbBody{Content: map[string]fbMedia{"application/json": {Schema: map[string]any{"type": "object"}}}}
	}
	return op
}

// operationID is the route's own operation name when it has a unique one, else one
// made from the method and path, e.g. get_users_userId.
func operationID(r *routes.Route, rel string, ids map[string]bool) string {
	id := r.Operation
	if id == "" || ids[id] {
		id = strings.ToLower(r.Method) + strings.Map(func(c rune) rune {
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
				return c
			case c == '{' || c == '}':
				return -1
			}
			return '_'
		}, rel)
	}
	for base, n := id, 2; ids[id]; n++ {
		id = fmt.Sprintf("%s_%d", base, n)
	}
	ids[id] = true
	return id
}
