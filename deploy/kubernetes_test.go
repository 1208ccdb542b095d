package deploy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/budgetgw/gateway/internal/config"
)

// object is one rendered manifest; its spec is decoded again into a type per kind.
type object struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec yaml.Node         `yaml:"spec"`
}

type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	AutomountServiceAccountToken *bool `yaml:"automountServiceAccountToken"`
	TopologySpreadConstraints    []struct {
		TopologyKey string `yaml:"topologyKey"`
	} `yaml:"topologySpreadConstraints"`
	Containers []container `yaml:"containers"`
	Volumes    []volume    `yaml:"volumes"`
}

type volume struct {
	Name      string `yaml:"name"`
	ConfigMap struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom struct {
		SecretKeyRef struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type servicePort struct {
	Name string `yaml:"name"`
	Port int    `yaml:"port"`
}

type container struct {
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env            []envVar `yaml:"env"`
	ReadinessProbe probe    `yaml:"readinessProbe"`
	LivenessProbe  probe    `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

// port resolves a named container port.
func (c container) port(name string) int {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

func render(t *testing.T) map[string][]object {
	t.Helper()
	out := runTool(t, tool(t, "kustomize"), "build", "kubernetes")
	byKind := map[string][]object{}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var o object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		byKind[o.Kind] = append(byKind[o.Kind], o)
	}
	return byKind
}

func one(t *testing.T, byKind map[string][]object, kind string, spec any) object {
	t.Helper()
	if n := len(byKind[kind]); n != 1 {
		t.Fatalf("rendered %d %s objects, want 1", n, kind)
	}
	o := byKind[kind][0]
	if spec != nil {
		if err := o.Spec.Decode(spec); err != nil {
			t.Fatalf("%s spec: %v", kind, err)
		}
	}
	return o
}

func TestKustomizeRendersAHardenedDeployment(t *testing.T) {
	byKind := render(t)
	if s := byKind["Secret"]; len(s) > 0 {
		t.Errorf("the base renders a Secret (%s): the org token is referenced, never committed", s[0].Metadata.Name)
	}
	var dep struct {
		Replicas int `yaml:"replicas"`
		Strategy struct {
			RollingUpdate struct {
				MaxSurge any `yaml:"maxSurge"`
			} `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
		Template struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	}
	one(t, byKind, "Deployment", &dep)
	pod := dep.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]

	cm := one(t, byKind, "ConfigMap", nil)
	cfg, err := config.Parse(strings.NewReader(cm.Data["config.yaml"]))
	if err != nil {
		t.Fatalf("the generated ConfigMap's config.yaml is not a valid gateway config:\n%v", err)
	}
	if dep.Replicas != 3 || cfg.Redis.Replicas != dep.Replicas {
		t.Errorf("replicas %d, redis.replicas %d: want 3 and equal, or a Redis outage overspends", dep.Replicas, cfg.Redis.Replicas)
	}
	if cfg.Redis.URL == "" {
		t.Error("redis.url is empty: replicas would each keep a budget of their own")
	}
	if s := dep.Strategy.RollingUpdate.MaxSurge; s != 0 && s != "0" {
		t.Errorf("maxSurge %v: a surge pod is one more share than redis.replicas allows", s)
	}
	if !slices.ContainsFunc(pod.Volumes, func(v volume) bool { return v.ConfigMap.Name == cm.Metadata.Name }) {
		t.Errorf("no volume mounts the generated ConfigMap %s", cm.Metadata.Name)
	}
	if !slices.Equal(c.Args, []string{"serve", "-config", "/etc/gateway/config.yaml"}) || len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/etc/gateway" {
		t.Errorf("args %v, mounts %+v: want the config mounted at /etc/gateway and served from there", c.Args, c.VolumeMounts)
	}

	host, port, _ := net.SplitHostPort(cfg.Server.AdminListen)
	if host != "0.0.0.0" || port != "9090" || c.port("admin") != 9090 {
		t.Errorf("admin_listen %q, admin port %d: probes need 0.0.0.0:9090", cfg.Server.AdminListen, c.port("admin"))
	}
	for _, p := range []struct {
		name string
		got  probe
		path string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}} {
		if p.got.HTTPGet.Path != p.path || p.got.HTTPGet.Port != "admin" {
			t.Errorf("%s probe %+v, want GET %s on the admin port", p.name, p.got.HTTPGet, p.path)
		}
	}

	sc := c.SecurityContext
	if !pod.SecurityContext.RunAsNonRoot || !sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || !slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("security: runAsNonRoot %v, container %+v", pod.SecurityContext.RunAsNonRoot, sc)
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}
	var keys []string
	for _, tsc := range pod.TopologySpreadConstraints {
		keys = append(keys, tsc.TopologyKey)
	}
	if !slices.Contains(keys, "kubernetes.io/hostname") || !slices.Contains(keys, "topology.kubernetes.io/zone") {
		t.Errorf("topology spread over %v, want hosts and zones", keys)
	}

	// Every upstream's token comes from a Secret reference, never a literal.
	for _, u := range cfg.Upstreams {
		i := slices.IndexFunc(c.Env, func(e envVar) bool { return e.Name == u.Auth.Env })
		if i < 0 || c.Env[i].Value != "" || c.Env[i].ValueFrom.SecretKeyRef.Name == "" {
			t.Errorf("upstream %s: token_env %s is not set from a secretKeyRef", u.Name, u.Auth.Env)
		}
	}
}

func TestKustomizeRendersTheSurroundings(t *testing.T) {
	byKind := render(t)
	var svc struct {
		Ports []servicePort `yaml:"ports"`
	}
	service := one(t, byKind, "Service", &svc)
	var pdb struct {
		MaxUnavailable any `yaml:"maxUnavailable"`
		MinAvailable   any `yaml:"minAvailable"`
	}
	one(t, byKind, "PodDisruptionBudget", &pdb)
	if pdb.MaxUnavailable == nil && pdb.MinAvailable == nil {
		t.Error("the PodDisruptionBudget limits nothing")
	}

	var np struct {
		Ingress []struct {
			From []struct {
				NamespaceSelector struct {
					MatchLabels map[string]string `yaml:"matchLabels"`
				} `yaml:"namespaceSelector"`
			} `yaml:"from"`
			Ports []struct {
				Port int `yaml:"port"`
			} `yaml:"ports"`
		} `yaml:"ingress"`
		Egress []struct {
			Ports []struct {
				Port int `yaml:"port"`
			} `yaml:"ports"`
		} `yaml:"egress"`
	}
	one(t, byKind, "NetworkPolicy", &np)
	in := map[int]map[string]string{}
	for _, r := range np.Ingress {
		for _, p := range r.Ports {
			for _, f := range r.From {
				in[p.Port] = f.NamespaceSelector.MatchLabels
			}
		}
	}
	if in[8080]["gateway-access"] != "true" || in[9090]["kubernetes.io/metadata.name"] != "monitoring" || len(in) != 2 {
		t.Errorf("ingress %v: want 8080 from gateway-access namespaces and 9090 from monitoring only", in)
	}
	var out []int
	for _, r := range np.Egress {
		for _, p := range r.Ports {
			out = append(out, p.Port)
		}
	}
	slices.Sort(out)
	if want := []int{53, 53, 443, 6379}; !slices.Equal(out, want) {
		t.Errorf("egress ports %v, want %v (DNS over UDP and TCP, HTTPS, Redis)", out, want)
	}

	var sm struct {
		Endpoints []struct {
			Port string `yaml:"port"`
			Path string `yaml:"path"`
		} `yaml:"endpoints"`
	}
	one(t, byKind, "ServiceMonitor", &sm)
	if len(sm.Endpoints) != 1 || sm.Endpoints[0].Port != "admin" || sm.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v, want /metrics on the admin port", sm.Endpoints)
	}
	if service.Metadata.Name != "gateway" || !slices.Contains(svc.Ports, servicePort{"admin", 9090}) {
		t.Errorf("Service %s ports %+v: the alerts expect job=\"gateway\" and a port named admin", service.Metadata.Name, svc.Ports)
	}

	var got, want any
	one(t, byKind, "PrometheusRule", &got)
	if err := yaml.Unmarshal(readFile(t, alertsFile), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the rendered PrometheusRule differs from %s", alertsFile)
	}
}
