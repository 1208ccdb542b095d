package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/budgetgw/gateway/internal/sandbox/retoolv2"
)

func TestTheHealthProbeAnswersWithoutAKeyAndCostsNothing(t *testing.T) {
	for name, api := range map[string]API{"RetoolV2": RetoolV2, "Generic": Generic} {
		t.Run(name, func(t *testing.T) {
			s := New(Options{Token: "org-token", API: api, Capacity: 1})
			ts := start(t, s)
			got := call(t, ts, "GET", HealthPath, "", "")
			if got.status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", HealthPath, got.status, got.body)
			}
			var v struct{ Version string }
			if err := json.Unmarshal([]byte(got.body), &v); err != nil || !atLeast(v.Version, 3, 75) {
				t.Fatalf("GET %s answered %s: want a version of at least 3.75.0 (%v)", HealthPath, got.body, err)
			}
			if head := call(t, ts, "HEAD", HealthPath, "", ""); head.status != http.StatusOK {
				t.Fatalf("HEAD %s: %d", HealthPath, head.status)
			}
			// The budget of 1 point is untouched: a charged call still fits.
			if got := call(t, ts, "GET", "/api/v2/users", bearer, ""); got.status != http.StatusOK {
				t.Fatalf("after two probes, GET /api/v2/users: %d %s", got.status, got.body)
			}
			for _, a := range s.Arrivals()[:2] {
				if a.Cost != 0 || a.Status != http.StatusOK {
					t.Errorf("probe arrival %s %s: cost %d, status %d; want free and 200", a.Method, a.Path, a.Cost, a.Status)
				}
			}
		})
	}
}

// atLeast compares a dotted version with major.minor.
func atLeast(v string, major, minor int) bool {
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	return err1 == nil && err2 == nil && (ma > major || ma == major && mi >= minor)
}

func TestTheSandboxServesTheDocumentItEmulates(t *testing.T) {
	s := New(Options{Token: "org-token", API: RetoolV2, Seed: 1})
	ts := start(t, s)
	if got := call(t, ts, "GET", SpecPath, "", ""); got.status != http.StatusUnauthorized {
		t.Fatalf("GET %s without the key: %d, want 401", SpecPath, got.status)
	}
	got := call(t, ts, "GET", SpecPath, bearer, "")
	if got.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", SpecPath, got.status, got.body)
	}
	doc, err := openapi3.NewLoader().LoadFromData([]byte(got.body))
	if err != nil {
		t.Fatalf("the served document does not load: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("the served document is not valid OpenAPI: %v", err)
	}
	n := 0
	for _, item := range doc.Paths.Map() {
		n += len(item.Operations())
	}
	if want, err := retoolv2.Operations(); err != nil || n != want {
		t.Errorf("the document has %d operations, the sandbox answers %d (%v)", n, want, err)
	}
	// It is the document as the real API answers: this one comes wrapped.
	op := doc.Paths.Value("/resource_configurations/{configurationId}").Get
	body := op.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
	if body.Properties["success"] == nil || body.Properties["data"] == nil {
		t.Errorf("GET /resource_configurations/{configurationId} is documented bare; the sandbox wraps it")
	}
	for _, a := range s.Arrivals() {
		if a.Cost != 0 {
			t.Errorf("%s %s was charged %d points; the document is free", a.Method, a.Path, a.Cost)
		}
	}
}
