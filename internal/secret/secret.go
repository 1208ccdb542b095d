// Package secret holds credentials as a type that refuses to be printed. Every way a value
// can leave the process by accident (fmt verbs, JSON, text marshalling, zap) shows
// "[redacted]"; Reveal is the one door, used only where the value goes on the wire.
package secret

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"strings"
)

const redacted = "[redacted]"

// Value is a secret string. The zero Value is empty.
type Value struct{ v string }

// New wraps s.
func New(s string) Value { return Value{v: s} }

// Reveal returns the secret itself. Call it only to put the value on the wire.
func (s Value) Reveal() string { return s.v }

// Empty reports whether there is no secret.
func (s Value) Empty() bool { return s.v == "" }

// Equal compares in constant time.
func (s Value) Equal(o Value) bool { return subtle.ConstantTimeCompare([]byte(s.v), []byte(o.v)) == 1 }

// SHA256 of the secret, for storing and comparing without keeping the value.
func (s Value) SHA256() [32]byte { return sha256.Sum256([]byte(s.v)) }

func (Value) String() string                  { return redacted }
func (Value) GoString() string                { return redacted }
func (Value) Format(f fmt.State, _ rune)      { _, _ = f.Write([]byte(redacted)) }
func (Value) MarshalText() ([]byte, error)    { return []byte(redacted), nil }
func (Value) MarshalJSON() ([]byte, error)    { return []byte(`"` + redacted + `"`), nil }
func (Value) MarshalYAML() (any, error)       { return redacted, nil }
func (s *Value) UnmarshalText(b []byte) error { s.v = string(b); return nil }

// Source says where a secret is read from: an environment variable or a file.
type Source struct {
	Env  string `yaml:"token_env,omitempty"`
	File string `yaml:"token_file,omitempty"`
}

// Load reads the secret. A file's surrounding white space (a trailing newline) is dropped.
func (src Source) Load() (Value, error) {
	switch {
	case src.Env != "" && src.File != "":
		return Value{}, fmt.Errorf("set token_env or token_file, not both")
	case src.Env != "":
		v, ok := os.LookupEnv(src.Env)
		if !ok || strings.TrimSpace(v) == "" {
			return Value{}, fmt.Errorf("environment variable %s is not set", src.Env)
		}
		return New(strings.TrimSpace(v)), nil
	case src.File != "":
		b, err := os.ReadFile(src.File)
		if err != nil {
			return Value{}, fmt.Errorf("read token file: %w", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return Value{}, fmt.Errorf("token file %s is empty", src.File)
		}
		return New(v), nil
	}
	return Value{}, fmt.Errorf("set token_env or token_file")
}
