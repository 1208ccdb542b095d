package auth

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/budgetgw/gateway/internal/budget"
	"github.com/budgetgw/gateway/internal/scopes"
)

// CallerSpec is a caller as a keyring is built from it, in the words of the config file
// and the admin API (package keys converts both): auth depends on neither.
type CallerSpec struct {
	Name      string
	Scopes    []string
	Priority  string
	MaxPoints int64
	MaxWait   *time.Duration // nil: the upstream's max_wait
	Keys      []KeySpec
}

// KeySpec is one of a caller's keys, by the hex SHA-256 of the key.
type KeySpec struct {
	ID       string
	SHA256   string
	Disabled bool
	Expires  time.Time // zero: never
}

// Caller is an internal service allowed through the gateway.
type Caller struct {
	Name      string
	Scopes    scopes.Set
	Priority  budget.Priority
	MaxPoints int64
	// MaxWait, when MaxWaitSet, replaces the upstream's max_wait for this caller.
	MaxWait    time.Duration
	MaxWaitSet bool
}

// Key is one of a caller's keys.
type Key struct {
	ID       string
	Caller   *Caller
	Hash     [32]byte
	Disabled bool
	Expires  time.Time // zero: never
}

// Failure is why a request was not authenticated. Values are metric labels.
type Failure string

const (
	OK       Failure = ""
	Missing  Failure = "missing"
	Unknown  Failure = "unknown"
	Disabled Failure = "disabled"
	Expired  Failure = "expired"
)

// Keyring is an immutable set of callers and keys. Replace it whole to change it.
type Keyring struct {
	byID    map[string]*Key
	byHash  map[[32]byte]*Key
	callers map[string]*Caller
}

// NewKeyring builds a keyring from validated callers.
func NewKeyring(cs []CallerSpec) (*Keyring, error) {
	kr := &Keyring{byID: map[string]*Key{}, byHash: map[[32]byte]*Key{}, callers: map[string]*Caller{}}
	for _, c := range cs {
		set, err := scopes.ParseSet(c.Scopes)
		if err != nil {
			return nil, fmt.Errorf("caller %s: %w", c.Name, err)
		}
		prio, err := budget.ParsePriority(c.Priority)
		if err != nil {
			return nil, fmt.Errorf("caller %s: %w", c.Name, err)
		}
		caller := &Caller{Name: c.Name, Scopes: set, Priority: prio, MaxPoints: c.MaxPoints}
		if c.MaxWait != nil {
			caller.MaxWait, caller.MaxWaitSet = *c.MaxWait, true
		}
		kr.callers[c.Name] = caller
		for _, k := range c.Keys {
			var h [32]byte
			if b, err := hex.DecodeString(k.SHA256); err != nil || len(b) != 32 {
				return nil, fmt.Errorf("caller %s key %s: sha256 is not 64 hex digits", c.Name, k.ID)
			} else {
				copy(h[:], b)
			}
			key := &Key{ID: k.ID, Caller: caller, Hash: h, Disabled: k.Disabled, Expires: k.Expires}
			kr.byID[k.ID] = key
			kr.byHash[h] = key
		}
	}
	return kr, nil
}

// Authenticate finds the key presented as raw. A gwk_ key is found by its id and its hash
// compared in constant time; any other string is looked up by hash (keys made elsewhere).
func (kr *Keyring) Authenticate(raw string, now time.Time) (*Key, Failure) {
	if raw == "" {
		return nil, Missing
	}
	h := hashOf(raw)
	var key *Key
	if id := splitKey(raw); id != "" {
		if k := kr.byID[id]; k != nil && subtle.ConstantTimeCompare(k.Hash[:], h[:]) == 1 {
			key = k
		}
	} else {
		key = kr.byHash[h]
	}
	switch {
	case key == nil:
		return nil, Unknown
	case key.Disabled:
		return key, Disabled
	case !key.Expires.IsZero() && !now.Before(key.Expires):
		return key, Expired
	}
	return key, OK
}

// Caller returns a caller by name.
func (kr *Keyring) Caller(name string) *Caller { return kr.callers[name] }

// Callers returns every caller.
func (kr *Keyring) Callers() []*Caller {
	out := make([]*Caller, 0, len(kr.callers))
	for _, c := range kr.callers {
		out = append(out, c)
	}
	return out
}
