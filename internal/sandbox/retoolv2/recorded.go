package retoolv2

import (
	"fmt"
	"strconv"

	"github.com/budgetgw/gateway/internal/sandbox/oas"

	"github.com/budgetgw/gateway/internal/sandbox/crud"
)

// Where the real API and the document disagree, the sandbox answers as the
// real API does. The evidence is the answers Retool's own Terraform provider
// tests recorded from a real organisation (../shared/retool/recordings, go-vcr
// cassettes), which TestRecordedInteractionsReplayAlike replays against the
// sandbox. The corrections to the document's shapes live here, applied to the
// data file once as it loads; the corrections to behaviour sit beside the
// code they change, each with a comment naming the recording.

// followRecordings corrects the description in place:
//
//   - Every answer comes wrapped in {"success": true, "data": ...}. The
//     document shows a bare object for GET /resource_configurations/{id}
//     (and for POST /role_permissions/roles, PATCH
//     /role_permissions/roles/{id}, GET /workflow_run/{id}); the real API
//     wraps the first (TestAccResourceConfiguration) and, by the recordings'
//     rule that every answer is wrapped, the sandbox wraps them all.
//   - /permissions/grant and /permissions/revoke answer the subject's
//     permissions on objects of the type named, as a list with paging
//     fields (total_count, next_token, has_more), which the document leaves
//     out (TestAccPermissions). They stay optional: for a screen the real API
//     sends only success and data (TestAccPermissions_Screen).
func followRecordings(w *oas.Wire) {
	boolean := w.Add(oas.WireNode{Type: "boolean"})
	for i := range w.Operations {
		op := &w.Operations[i]
		for st, idx := range op.Responses {
			code, _ := strconv.Atoi(st)
			if code < 200 || code > 299 || idx < 0 || wireEnvelope(w, idx) {
				continue
			}
			op.Responses[st] = w.Add(oas.WireNode{Type: "object",
				Properties: map[string]int{"success": boolean, "data": idx}, Required: []string{"data", "success"}})
		}
		if op.Method == "POST" && (op.Path == "/api/v2/permissions/grant" || op.Path == "/api/v2/permissions/revoke") {
			op.Responses["200"] = withPaging(w, op.Responses["200"])
		}
	}
}

// wireEnvelope reports whether schema i is Retool's {success, data}.
func wireEnvelope(w *oas.Wire, i int) bool {
	p := w.Schemas[i].Properties
	_, s := p["success"]
	_, d := p["data"]
	return s && d
}

// withPaging copies a list envelope with the optional paging fields added.
func withPaging(w *oas.Wire, i int) int {
	n := w.Schemas[i]
	props := map[string]int{}
	for k, v := range n.Properties {
		props[k] = v
	}
	props["total_count"] = w.Add(oas.WireNode{Type: "integer"})
	props["has_more"] = w.Add(oas.WireNode{Type: "boolean"})
	props["next_token"] = w.Add(oas.WireNode{Type: "string", Nullable: true})
	n.Properties = props
	return w.Add(n)
}

// unknownReference is the real API's answer to a body that names an item
// that does not exist: 400 `Environment with id "..." does not exist`
// (TestAccConfigurationVariable, a variable naming an unknown environment).
// A path naming an unknown item is 404, as the document says.
func unknownReference(noun string, id any) *answer {
	return failure(400, fmt.Sprintf("%s with id %q does not exist", noun, crud.ID(id)))
}
