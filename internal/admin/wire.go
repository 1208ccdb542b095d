package admin

import "github.com/budgetgw/gateway/internal/keys"

// The admin API's bodies, shared with its client (cmd/gateway), so the two cannot drift.

// CallerOut is a caller as GET /admin/v1/callers shows it.
type CallerOut struct {
	keys.CallerView
	Usage map[string]int64 `json:"usage"` // points counted now, per budget
}

// CallerIn is the body of PUT /admin/v1/callers/{caller}: all three are replaced.
type CallerIn struct {
	Scopes    []string `json:"scopes"`
	Priority  string   `json:"priority"`
	MaxPoints int64    `json:"max_points"`
}

// CreateIn is the body of POST /admin/v1/callers/{caller}/keys.
type CreateIn struct {
	Name      string `json:"name"`
	ExpiresIn string `json:"expires_in,omitempty"` // a duration such as 720h; empty: never
}

// CreatedOut answers a new or rotated key: the secret, shown once.
type CreatedOut struct {
	Key    keys.KeyView `json:"key"`
	Secret string       `json:"secret"`
	Note   string       `json:"note"`
}

// RotateIn is the body of POST /admin/v1/keys/{id}/rotate.
type RotateIn struct {
	Grace string `json:"grace"` // how long the old key keeps working; default 24h
}
