package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/secret"
)

// Config is the whole file. Field names are the public interface: extend, never rename.
type Config struct {
	Server    Server     `yaml:"server"`
	Redis     Redis      `yaml:"redis"`
	Admin     Admin      `yaml:"admin"`
	Log       Log        `yaml:"log"`
	Upstreams []Upstream `yaml:"upstreams"`
	Callers   []Caller   `yaml:"callers"`

	lines map[string]int // key path -> line in the file it was read from
}

// Server is the listeners and their hygiene.
type Server struct {
	Listen            string        `yaml:"listen"`
	AdminListen       string        `yaml:"admin_listen"`
	MaxBodyBytes      int64         `yaml:"max_body_bytes"`
	ShutdownGrace     time.Duration `yaml:"shutdown_grace"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"` // a request body must arrive within this of the gateway starting to read it
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	AuthFailureLimit  int           `yaml:"auth_failure_limit"` // failures of one bad key from one address per minute
	Pprof             bool          `yaml:"pprof"`              // serve net/http/pprof under /debug/pprof/ on admin_listen
}

// Redis is where shared budgets live; an empty URL and no Addrs means in-memory.
type Redis struct {
	URL        string        `yaml:"url"`
	Addrs      []string      `yaml:"addrs"`
	MasterName string        `yaml:"master_name"`
	Cluster    bool          `yaml:"cluster"`
	Password   secret.Source `yaml:"password,omitempty"`
	Timeout    time.Duration `yaml:"timeout"`
	Replicas   int           `yaml:"replicas"`   // how many gateways share the budget (local_share splits by it)
	OnFailure  string        `yaml:"on_failure"` // local_share | fail_closed
	KeyPrefix  string        `yaml:"key_prefix"`
	// Leases: a busy replica leases points while a budget is far from binding, and admits
	// calls from them without a round trip (nil: on).
	Leases *bool `yaml:"leases"`
}

// Enabled reports whether a Redis store is configured.
func (r Redis) Enabled() bool { return r.URL != "" || len(r.Addrs) > 0 }

// Admin is the admin API: off unless a token source is set.
type Admin struct {
	secret.Source `yaml:",inline"`
	MaxActiveKeys int `yaml:"max_active_keys"` // active keys per caller (2: one to use, one to rotate to)
}

// Enabled reports whether the admin API is configured.
func (a Admin) Enabled() bool { return a.Env != "" || a.File != "" }

// Log is the logger's settings.
type Log struct {
	Level string `yaml:"level"` // debug, info, warn, error
}

// Upstream is one API the gateway fronts.
type Upstream struct {
	Name        string        `yaml:"name"`
	Mount       string        `yaml:"mount"`
	BaseURL     string        `yaml:"base_url"`
	PublicURL   string        `yaml:"public_url"`
	Profile     string        `yaml:"profile"`
	Routes      []routes.Spec `yaml:"routes"`
	Auth        Auth          `yaml:"auth"`
	TokenScopes []string      `yaml:"token_scopes"`
	Budget      Budget        `yaml:"budget"`
	Timeout     time.Duration `yaml:"timeout"`
	Cache       Cache         `yaml:"cache"`
	Spec        Spec          `yaml:"spec"`

	built *builtTable // the compiled route table: Table
}

// Spec serves the upstream's OpenAPI document at {mount}/api/v2/spec, filtered per caller.
type Spec struct {
	Enabled *bool         `yaml:"enabled"` // nil: on for the retool-v2 profile
	Refresh time.Duration `yaml:"refresh"` // how often the document is fetched again
	Cost    int64         `yaml:"cost"`    // points a fetch spends (0: not an API call)
}

// Cache keeps read answers briefly. TTL 0 (the default): off, unless a route sets its own.
type Cache struct {
	TTL        time.Duration `yaml:"ttl"`
	MaxEntries int           `yaml:"max_entries"`
	MaxBytes   int64         `yaml:"max_bytes"`
}

// Auth says how the key travels: "bearer" (Authorization: Bearer) or "header" (Header: key).
// The same place carries the caller's key to the gateway and the org token upstream.
type Auth struct {
	Scheme        string `yaml:"scheme"`
	Header        string `yaml:"header"`
	secret.Source `yaml:",inline"`
}

// Budget is the upstream's points budget. Zero fields take the profile's values.
type Budget struct {
	Name     string         `yaml:"name"` // upstreams naming one budget share it
	Capacity int64          `yaml:"capacity"`
	Window   time.Duration  `yaml:"window"`
	Lockout  *time.Duration `yaml:"lockout"`  // pointer: an explicit 0s means no lockout, not unset
	MaxWait  *time.Duration `yaml:"max_wait"` // pointer: an explicit 0s means never wait, not unset
	Reserve  int64          `yaml:"reserve"`
	// MaxWaitCeiling bounds every wait at this upstream: max_wait, a caller's max_wait and
	// a client's Prefer: wait. Per upstream, since patience is a property of the API.
	MaxWaitCeiling time.Duration `yaml:"max_wait_ceiling"`
}

// LockoutOrZero is the lockout after defaults.
func (b Budget) LockoutOrZero() time.Duration { return deref(b.Lockout) }

// MaxWaitOrZero is the wait bound after defaults.
func (b Budget) MaxWaitOrZero() time.Duration { return deref(b.MaxWait) }

func deref(d *time.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return *d
}

// Caller is one internal service.
type Caller struct {
	Name      string   `yaml:"name"`
	Scopes    []string `yaml:"scopes"`
	Priority  string   `yaml:"priority"`
	MaxPoints int64    `yaml:"max_points"`
	Keys      []Key    `yaml:"keys"`
	// MaxWait, when set, replaces the upstream's budget.max_wait for this caller (a batch
	// tool that cannot handle 429 waits longer), within budget.max_wait_ceiling.
	MaxWait *time.Duration `yaml:"max_wait,omitempty"`
}

// Key is a caller key, stored only as its SHA-256.
type Key struct {
	ID       string    `yaml:"id"`
	SHA256   string    `yaml:"sha256"`
	Disabled bool      `yaml:"disabled"`
	Expires  time.Time `yaml:"expires,omitempty"`
}

//go:embed default.yaml
var embeddedDefault []byte

// Default is the embedded configuration `gateway demo` and a bare `serve` start from.
func Default() []byte { return bytes.Clone(embeddedDefault) }

// Load reads, defaults and validates the file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	return Parse(f)
}

// Parse decodes strictly, fills defaults and validates. Every problem is reported at
// once, each once, as a FieldError naming the key path and, where known, its line.
func Parse(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if root.Kind == 0 || (root.Kind == yaml.DocumentNode && len(root.Content) == 0) {
		return nil, errors.New("config is empty")
	}
	d, treeErr := checkTree(&root, reflect.TypeOf(Config{}))
	var c Config
	if err := root.Decode(&c); err != nil {
		if treeErr != nil { // a value of the wrong shape: the walk said where, in words
			return nil, treeErr
		}
		return nil, fmt.Errorf("config could not be read: %s", plainYAMLError(err))
	}
	if err := c.applyDefaults(); err != nil {
		return nil, err
	}
	// Unknown keys do not stop the decoding: report them with everything else.
	errs := append(unjoin(treeErr), c.explicitZeros(d.zeros)...)
	if err := c.Validate(); err != nil {
		errs = append(errs, unjoin(err)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(withLines(errs, d.lines)...)
	}
	c.lines = d.lines
	return &c, nil
}
