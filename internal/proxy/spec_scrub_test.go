package proxy_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/proxytest"
)

// The gateway fetches the upstream's OpenAPI document with the org token and serves it to
// callers: a document that quotes the request (an echo, a debug build) must not hand the
// token on.
func TestTheServedOpenAPIDocumentNeverCarriesTheOrgToken(t *testing.T) {
	doc, err := os.ReadFile("../openapi/testdata/small.json")
	if err != nil {
		t.Fatal(err)
	}
	up := newSeenUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bytes.Replace(doc, []byte(`"info": {`), []byte(`"info": {"x-fetched-with": "`+token+`", `), 1))
	})
	orgToken, key := "retool_org_spec_"+strings.Repeat("5d", 10), proxytest.NewKey("app-1")
	g := proxytest.Start(t, proxytest.Options{Config: fmt.Sprintf(`
upstreams:
  - name: retool
    base_url: %q
    profile: retool-v2
    auth: {scheme: bearer, token_file: %q}
    spec: {enabled: true}
callers:
  - name: app
    scopes: [users:read]
    keys: [{id: app-1, sha256: %q}]
`, up.URL, proxytest.SecretFile(t, orgToken), key.SHA256)})
	if !bytes.Contains(doc, []byte(`"info": {`)) {
		t.Fatal("the test document has no info object to write the token into")
	}
	var r proxytest.Response
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		// Until the first fetch lands the gateway serves its embedded fallback document.
		r = g.Call(t, http.MethodGet, "/api/v2/spec", key.Raw, nil)
		if (r.Status == http.StatusOK && r.Header.Get("Gateway-Spec-Source") == "upstream") || time.Now().After(deadline) {
			break
		}
	}
	if r.Status != http.StatusOK {
		t.Fatalf("spec: %d %s", r.Status, r.Body)
	}
	if bytes.Contains(r.Body, []byte(orgToken)) {
		t.Fatal("the served OpenAPI document carries the org token")
	}
	if got := g.Metric(t, "gateway_org_token_scrubbed_total", "part", "document"); got < 1 {
		t.Errorf("gateway_org_token_scrubbed_total{part=document} = %v; want at least 1", got)
	}
}
