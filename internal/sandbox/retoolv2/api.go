package retoolv2

import (
	"net/url"
	"time"
)

// API is the emulation: one seeded organisation and the answers it gives.
// It decides nothing about keys, scopes or points; the sandbox's core does
// that before a call reaches Serve. Its methods are safe for concurrent use.
type API struct{ r *retool }

// New builds the emulation of the organisation seed makes; now is the clock
// its timestamps read. An error means the embedded data file is damaged.
func New(seed int64, now func() time.Time) (*API, error) {
	r, err := newRetool(seed, now)
	if err != nil {
		return nil, err
	}
	a := &API{r: r}
	a.Reset()
	return a, nil
}

// Reset puts the seeded organisation back as it was.
func (a *API) Reset() { a.r.reset() }

// Serve answers one admitted call: the status and the JSON body (nil: none).
func (a *API) Serve(method string, u *url.URL, body []byte) (int, []byte) {
	return a.r.serve(method, u, body).Encode()
}

// Knows reports whether the document has an operation for method and path
// (HEAD is read as GET); an error means the data file is damaged.
func Knows(method, path string) (bool, error) {
	s, err := loadSpec()
	if err != nil {
		return false, err
	}
	op, _ := s.Find(method, path)
	return op != nil, nil
}

// Document is the OpenAPI 3.0 document the emulation answers by, for
// GET /api/v2/spec: the operations and shapes, with the recordings'
// corrections, without Retool's prose.
func Document() ([]byte, error) { return openAPIDocument() }

// Operations is how many operations the emulation serves.
func Operations() (int, error) {
	s, err := loadSpec()
	if err != nil {
		return 0, err
	}
	return len(s.Ops), nil
}
