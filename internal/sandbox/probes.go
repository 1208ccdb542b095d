package sandbox

import (
	"net/http"
	"strings"

	"github.com/budgetgw/gateway/internal/sandbox/retoolv2"
)

// Two answers sit outside the API proper, as they do on a real Retool
// instance, and are never charged:
//
//   - GET/HEAD /api/checkHealth, without a key: the instance's version. Retool's
//     Terraform provider reads it before anything else and refuses to run
//     against a version below 3.75.0.
//   - GET /api/v2/spec, with the key (RetoolV2 only): the OpenAPI document the
//     sandbox emulates, so a gateway in front of it serves the upstream's
//     document (Gateway-Spec-Source: upstream) rather than its fallback.

// HealthPath is where the instance's health and version are probed.
const HealthPath = "/api/checkHealth"

// SpecPath is where the instance serves its OpenAPI document.
const SpecPath = "/api/v2/spec"

// Version is the Retool release the sandbox claims to be: the one that
// published the 2.12.0 document it emulates (release 3.334).
const Version = "3.334.0"

// outsideAPI answers the probe and the document, or returns nil for a call
// to the API, which goes through the key, route, scope and budget checks.
func (s *Server) outsideAPI(r *http.Request) *answer {
	path := strings.TrimSuffix(r.URL.Path, "/")
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case strings.EqualFold(path, HealthPath) && get:
		return &answer{status: http.StatusOK, body: map[string]any{"version": Version}}
	case strings.EqualFold(path, SpecPath) && get && s.opts.API == RetoolV2:
		s.mu.Lock()
		refused := s.authenticate(r.Header.Get(s.opts.Header))
		s.mu.Unlock()
		if refused != nil {
			return refused
		}
		doc, err := retoolv2.Document()
		if err != nil {
			return failure(http.StatusInternalServerError, "sandbox: "+err.Error())
		}
		return &answer{status: http.StatusOK, raw: doc}
	}
	return nil
}
