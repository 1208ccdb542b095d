package retoolv2

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/budgetgw/gateway/internal/testutil"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// The proof that the sandbox answers as the document says is an independent
// validator, kin-openapi, reading Retool's own document: not our derived
// data file, and not our own schema checks.

const openAPIName = "openapi-2.12.0.json"

// openAPIPath finds Retool's document in ../shared/retool beside the module
// root. Absent, the calling test is skipped, except in CI, where it fails.
func openAPIPath(t testing.TB) string { return testutil.RetoolDocumentPath(t) }

var loadDocMu sync.Mutex
var loadedDoc *openapi3.T

// openAPIDoc loads the document once for the package's tests.
func openAPIDoc(t testing.TB) *openapi3.T {
	t.Helper()
	p := openAPIPath(t)
	loadDocMu.Lock()
	defer loadDocMu.Unlock()
	if loadedDoc == nil {
		doc, err := openapi3.NewLoader().LoadFromFile(p)
		if err != nil {
			t.Fatalf("load %s: %v", p, err)
		}
		loadedDoc = doc
	}
	return loadedDoc
}

// colon is the document's other spelling of a path parameter.
var colon = regexp.MustCompile(`/:([A-Za-z_]+)`)

// docOp is one operation as the document has it, under the template the
// sandbox and the route table use.
type docOp struct {
	method, template, docPath string
	op                        *openapi3.Operation
	item                      *openapi3.PathItem
}

// docOps lists the document's operations.
func docOps(t testing.TB) []docOp {
	doc := openAPIDoc(t)
	var out []docOp
	for _, p := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(p)
		for method, op := range item.Operations() {
			out = append(out, docOp{method: method, template: "/api/v2" + colon.ReplaceAllString(p, "/{$1}"),
				docPath: p, op: op, item: item})
		}
	}
	return out
}

// docValidator checks answers against the document with formats on: uuid,
// email and uri are checked as well as date-time.
type docValidator struct {
	doc  *openapi3.T
	ops  map[string]docOp // by method and template
	opts *openapi3filter.Options
}

func newDocValidator(t testing.TB) *docValidator {
	v := &docValidator{doc: openAPIDoc(t), ops: map[string]docOp{}}
	for _, o := range docOps(t) {
		v.ops[o.method+" "+o.template] = o
	}
	uri := openapi3.NewCallbackValidator(func(s string) error {
		if u, err := url.Parse(s); err != nil || !u.IsAbs() {
			return fmt.Errorf("%q is not an absolute URI", s)
		}
		return nil
	})
	v.opts = &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.EnableFormatValidation(),
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122)),
			openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
			openapi3.WithStringFormatValidator("uri", uri),
		},
	}
	return v
}

// check validates one answer to the operation named by method and template.
// Statuses the document does not list fail, unless allowUnlisted (a 404 for
// an unknown id, which the real API answers whether or not the document says).
func (v *docValidator) check(method, template, target string, rec *httptest.ResponseRecorder, allowUnlisted bool) error {
	o, ok := v.ops[method+" "+template]
	if !ok {
		return fmt.Errorf("%s %s is not in the document", method, template)
	}
	req := httptest.NewRequest(method, target, nil)
	opts := *v.opts
	opts.IncludeResponseStatus = !allowUnlisted
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req,
			Route:   &routers.Route{Spec: v.doc, Path: o.docPath, PathItem: o.item, Method: method, Operation: o.op},
			Options: &opts,
		},
		Status:  rec.Code,
		Header:  rec.Header(),
		Options: &opts,
	}
	in.SetBodyBytes(unwrapRecorded(o, rec))
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s answered %d %s: %w", method, target, rec.Code, clip(rec.Body.String()), err)
	}
	if rec.Code >= 400 && !strings.HasPrefix(rec.Body.String(), `{"success":false,"message":"`) {
		return fmt.Errorf("%s %s answered %d with %s, not a Retool error body", method, target, rec.Code, clip(rec.Body.String()))
	}
	return nil
}

// unwrapRecorded is the body to check against the document: as answered,
// except where the document shows a bare object and the sandbox, following
// the real API's recorded answers (recorded.go), wraps it in
// {"success": true, "data": ...}. Then data is what the document describes.
func unwrapRecorded(o docOp, rec *httptest.ResponseRecorder) []byte {
	resp := o.op.Responses.Status(rec.Code)
	if rec.Code/100 != 2 || resp == nil || resp.Value == nil {
		return rec.Body.Bytes()
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || mt.Schema.Value.Properties["success"] != nil {
		return rec.Body.Bytes()
	}
	var env struct {
		Success *bool           `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &env) != nil || env.Success == nil || len(env.Data) == 0 {
		return rec.Body.Bytes()
	}
	return env.Data
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

// hit sends one call straight to the emulation, as the core passes on an
// admitted one, and records the answer.
func hit(s *API, method, target string, body []byte) *httptest.ResponseRecorder {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	status, b := s.Serve(method, u, body)
	rec := httptest.NewRecorder()
	if b != nil {
		rec.Header().Set("Content-Type", "application/json")
	}
	rec.WriteHeader(status)
	_, _ = rec.Write(b)
	return rec
}

func bytesBuffer(s string) *bytes.Buffer { return bytes.NewBufferString(s) }
