package metrics

import (
	"regexp"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Info describes one metric the gateway exports.
type Info struct {
	Name   string
	Labels []string
	Help   string
}

// Catalogue lists every metric New and RegisterBudgets register, sorted by name: the
// documentation's metrics table is checked against it.
func Catalogue() []Info {
	d := &describer{seen: map[string]Info{}}
	New(d)
	_ = RegisterBudgets(d, nil) // Describe never reads the source
	out := make([]Info, 0, len(d.seen))
	for _, i := range d.seen {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// describer is a Registerer that only records what each collector describes.
type describer struct{ seen map[string]Info }

var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descHelp   = regexp.MustCompile(`help: "((?:[^"\\]|\\.)*)"`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
	descConst  = regexp.MustCompile(`constLabels: \{([^}]*)\}`)
)

func (d *describer) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		s := desc.String()
		m := descName.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		i := Info{Name: m[1]}
		if h := descHelp.FindStringSubmatch(s); h != nil {
			i.Help = h[1]
		}
		for _, re := range []*regexp.Regexp{descConst, descLabels} {
			if l := re.FindStringSubmatch(s); l != nil && l[1] != "" {
				for part := range strings.SplitSeq(l[1], ",") {
					name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
					i.Labels = append(i.Labels, strings.Trim(name, `"`))
				}
			}
		}
		d.seen[i.Name] = i
	}
	return nil
}

func (d *describer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = d.Register(c)
	}
}

func (d *describer) Unregister(prometheus.Collector) bool { return false }
