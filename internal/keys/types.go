package keys

import (
	"context"
	"errors"
	"time"
)

// Key is a dynamic caller key (the config file's keys are not stored here).
type Key struct {
	ID       string    `json:"id"`
	Caller   string    `json:"caller"`
	Name     string    `json:"name,omitempty"`
	SHA256   string    `json:"sha256"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`
	Disabled bool      `json:"disabled"`
	// RotatedTo names the key that replaces this one; set while it runs out its grace.
	RotatedTo string `json:"rotated_to,omitempty"`
}

// CallerSettings override (or add) a caller's scopes, priority and cap.
type CallerSettings struct {
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	Priority  string    `json:"priority"`
	MaxPoints int64     `json:"max_points"`
	Updated   time.Time `json:"updated"`
}

// Where an item comes from. The file owns what it says; the admin API adds callers and
// keys beside it and never changes the file's, except for one run-time overlay: an
// emergency disable of a file key, which survives reloads until it is lifted.
const (
	SourceFile  = "file"
	SourceAdmin = "admin"
)

// Overlay is a run-time change laid over a key of the config file: today only an
// emergency disable. It is lifted by enabling the key again.
type Overlay struct {
	Disabled bool      `json:"disabled"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// State is everything set at run time, as of one version.
type State struct {
	Version  int64
	Keys     map[string]Key
	Callers  map[string]CallerSettings
	LastUsed map[string]time.Time
	Overlays map[string]Overlay // file key id -> overlay
}

// Store holds the dynamic state shared by replicas.
type Store interface {
	// Load returns the whole state.
	Load(ctx context.Context) (State, error)
	// Version is a number that changes whenever the state does.
	Version(ctx context.Context) (int64, error)
	// Update applies fn to the current state under a lock held across replicas, stores
	// what it returns and bumps the version. fn may refuse by returning an error.
	Update(ctx context.Context, fn func(*State) error) error
	// Touch records that key id was used at t (last-used bookkeeping; best effort).
	Touch(ctx context.Context, id string, t time.Time) error
	// Changes delivers a value soon after any replica changes the state, until ctx ends.
	Changes(ctx context.Context) <-chan struct{}
}

// ErrNotFound is returned for an unknown key or caller.
var ErrNotFound = errors.New("not found")

// ErrInvalid is returned for a request that is malformed (bad scope, priority, cap).
var ErrInvalid = errors.New("invalid")

// ErrConflict is returned when a change breaks a rule (too many keys, a config key).
var ErrConflict = errors.New("conflict")
