package routes

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Spec is one row of a profile or of a config `routes:` override.
type Spec struct {
	Method    string `yaml:"method" json:"method"`                           // GET, POST, PUT, PATCH, DELETE, HEAD
	Path      string `yaml:"path" json:"path"`                               // template, e.g. /api/v2/users/{userId}
	Family    string `yaml:"family" json:"family"`                           // cost family and metrics label
	Scope     string `yaml:"scope" json:"scope"`                             // required scope, e.g. users:read
	Cost      int64  `yaml:"cost,omitempty" json:"cost,omitempty"`           // 0: the family's cost
	Operation string `yaml:"operation,omitempty" json:"operation,omitempty"` // operationId, for docs and logs
	Coalesce  *bool  `yaml:"coalesce,omitempty" json:"coalesce,omitempty"`   // nil: true for GET and HEAD
	// Cache, on a GET row, keeps answers for TTL (0s: never, whatever the upstream says).
	// nil: the upstream's cache setting.
	Cache *CacheSpec `yaml:"cache,omitempty" json:"cache,omitempty"`
	// Public rows are answered without a caller key, a scope or points (a health probe
	// outside the metered API): GET or HEAD only, no scope, no cost.
	Public bool `yaml:"public,omitempty" json:"public,omitempty"`
	// Sensitive marks an operation that mints or reveals credentials: its scope is
	// granted only by itself, never by a wildcard, a bare family or write-implies-read.
	Sensitive bool `yaml:"sensitive,omitempty" json:"sensitive,omitempty"`
}

// CacheSpec is a row's cache setting.
type CacheSpec struct {
	TTL time.Duration `yaml:"ttl" json:"ttl"`
}

// Profile is a built-in route table plus the upstream defaults it implies.
type Profile struct {
	Name        string           `yaml:"name"`
	BasePath    string           `yaml:"base_path"` // informative: templates carry the full path
	Auth        ProfileAuth      `yaml:"auth"`
	Budget      ProfileBudget    `yaml:"budget"`
	Families    map[string]int64 `yaml:"families"`     // cost per family
	DefaultCost int64            `yaml:"default_cost"` // for families not listed
	Routes      []Spec           `yaml:"routes"`
}

// ProfileAuth says how the upstream expects its key.
type ProfileAuth struct {
	Scheme string `yaml:"scheme"`           // "bearer" or "header"
	Header string `yaml:"header,omitempty"` // the header name when Scheme is "header"
}

// ProfileBudget is the upstream's published allowance.
type ProfileBudget struct {
	Capacity int64         `yaml:"capacity"` // points per Window
	Window   time.Duration `yaml:"window"`
	Lockout  time.Duration `yaml:"lockout"` // how long the upstream blocks after an overrun
}

//go:embed profiles/*.yaml
var profileFiles embed.FS

// ProfileNames lists the built-in profiles, sorted.
func ProfileNames() []string {
	entries, err := fs.ReadDir(profileFiles, "profiles")
	if err != nil {
		return nil // unreachable: the directory is embedded at build time
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// LoadProfile decodes a built-in profile. Each call returns a fresh copy, so a
// caller may adjust it without affecting others.
func LoadProfile(name string) (*Profile, error) {
	data, err := profileFiles.ReadFile(path.Join("profiles", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("load profile %q: unknown profile (known: %s)",
			name, strings.Join(ProfileNames(), ", "))
	}
	p, err := decodeProfile(data)
	if err != nil {
		return nil, fmt.Errorf("load profile %q: %w", name, err)
	}
	if p.Name != name {
		return nil, fmt.Errorf("load profile %q: file names itself %q", name, p.Name)
	}
	return p, nil
}

// decodeProfile is strict: a misspelt key in a profile is a bug, not a default.
func decodeProfile(data []byte) (*Profile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	if err := p.validateSettings(); err != nil {
		return nil, err
	}
	return &p, nil
}

// validateSettings checks everything but the rows, which Compile checks
// together with the overrides.
func (p *Profile) validateSettings() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("name: is empty"))
	}
	switch p.Auth.Scheme {
	case "bearer":
	case "header":
		if p.Auth.Header == "" {
			errs = append(errs, errors.New("auth.header: is empty with scheme header"))
		}
	default:
		errs = append(errs, fmt.Errorf("auth.scheme: %q is not bearer or header", p.Auth.Scheme))
	}
	if p.Budget.Capacity <= 0 {
		errs = append(errs, fmt.Errorf("budget.capacity: %d is not positive", p.Budget.Capacity))
	}
	if p.Budget.Window <= 0 {
		errs = append(errs, fmt.Errorf("budget.window: %v is not positive", p.Budget.Window))
	}
	if p.Budget.Lockout < 0 {
		errs = append(errs, fmt.Errorf("budget.lockout: %v is negative", p.Budget.Lockout))
	}
	errs = append(errs, p.validateCosts()...)
	return errors.Join(errs...)
}

func (p *Profile) validateCosts() []error {
	var errs []error
	fams := make([]string, 0, len(p.Families))
	for f := range p.Families {
		fams = append(fams, f)
	}
	sort.Strings(fams) // stable error order
	for _, f := range fams {
		if err := checkFamily(f); err != nil {
			errs = append(errs, fmt.Errorf("families.%s: %w", f, err))
		}
		if c := p.Families[f]; c <= 0 {
			errs = append(errs, fmt.Errorf("families.%s: cost %d is not positive", f, c))
		}
	}
	if p.DefaultCost < 0 {
		errs = append(errs, fmt.Errorf("default_cost: %d is negative", p.DefaultCost))
	}
	return errs
}

// familyCost resolves what one call of a family costs; 0 means unknown.
func (p *Profile) familyCost(family string) int64 {
	if c, ok := p.Families[family]; ok {
		return c
	}
	return p.DefaultCost
}
