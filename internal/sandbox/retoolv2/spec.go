package retoolv2

//go:generate go run ../../specgen -emit sandbox -in ../../../../shared/retool/openapi-2.12.0.json -out retool-v2.json

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// retoolV2 is our compact derivation of Retool's OpenAPI document (see
// internal/specgen): operations, statuses and schemas, without the prose.
//
//go:embed retool-v2.json
var retoolV2 []byte

var loadSpec = sync.OnceValues(func() (*oas.Spec, error) {
	w, err := loadWire()
	if err != nil {
		return nil, err
	}
	return oas.Decode(w)
})

// loadWire reads the data file and applies what the recordings correct in
// it (recorded.go): everything the sandbox answers and the document it
// serves come from this one description.
var loadWire = sync.OnceValues(func() (*oas.Wire, error) {
	w, err := oas.ReadWire(retoolV2)
	if err != nil {
		return nil, fmt.Errorf("decode retool-v2.json: %w", err)
	}
	followRecordings(w)
	return w, nil
})

// openAPIDocument is the OpenAPI 3.0 document the sandbox serves at SpecPath:
// the operations and shapes it answers (the data file with the recordings'
// corrections), without the original's prose.
var openAPIDocument = sync.OnceValues(func() ([]byte, error) {
	w, err := loadWire()
	if err != nil {
		return nil, err
	}
	return oas.Document(w, oas.DocumentInfo{Base: "/api/v2", Title: "Retool API (sandbox emulation)",
		Description: "Served by the gateway project's sandbox: the operations and shapes it answers."})
})

// isEnvelope reports whether a response schema is Retool's {success, data}.
func isEnvelope(s *oas.Schema) bool {
	return s != nil && s.Property("success") != nil && s.Property("data") != nil
}

// isPagedList reports whether a response schema is a list envelope with paging.
func isPagedList(s *oas.Schema) bool {
	return isEnvelope(s) && s.Property("data").Items() != nil && s.Property("total_count") != nil
}

// itemSchema is the schema of the object an answer is about: the envelope's
// data (or the element of a data list), or the whole body if it is bare.
func itemSchema(s *oas.Schema) *oas.Schema {
	if s == nil {
		return nil
	}
	if !isEnvelope(s) {
		return s
	}
	d := s.Property("data")
	if d.Items() != nil {
		return d.Items()
	}
	return d
}
