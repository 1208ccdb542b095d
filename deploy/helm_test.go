package deploy

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/budgetgw/gateway/internal/config"
)

const (
	chartDir         = "helm/gateway"
	chartAlerts      = "helm/gateway/files/alerts.yaml"
	productionValues = "helm/gateway/ci/production-values.yaml"
	redisOverlayDir  = "overlays/with-redis"
)

// Prometheus Operator objects have no types in k8s.io/api: these carry the fields the chart
// sets, so a strict decode still catches a misspelt or misplaced field.
type serviceMonitor struct {
	TypeMeta `json:",inline"`
	Spec     struct {
		JobLabel string `json:"jobLabel"`
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Endpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"endpoints"`
	} `json:"spec"`
}

type promRule struct {
	TypeMeta `json:",inline"`
	Spec     struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert,omitempty"`
				Record      string            `json:"record,omitempty"`
				Expr        string            `json:"expr"`
				For         string            `json:"for,omitempty"`
				Labels      map[string]string `json:"labels,omitempty"`
				Annotations map[string]string `json:"annotations,omitempty"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

// TypeMeta and ObjectMeta, kept strict for the CRD shapes above.
type TypeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
}

// rendered is one `helm template` or `kustomize build`, every object decoded strictly into
// its Kubernetes type: an unknown or mistyped field fails the test, as the API server would.
type rendered struct {
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	configMaps  []*corev1.ConfigMap
	secrets     []*corev1.Secret
	pdbs        []*policyv1.PodDisruptionBudget
	policies    []*networkingv1.NetworkPolicy
	monitors    []*serviceMonitor
	rules       []*promRule
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

func decodeObjects(t *testing.T, out []byte) rendered {
	t.Helper()
	var r rendered
	for _, doc := range docSeparator.Split(string(out), -1) {
		var tm struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := sigsyaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("not YAML: %v\n%s", err, doc)
		}
		if tm.Kind == "" {
			continue // a comment-only document
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			obj = addNew(&r.deployments)
		case "v1 Service":
			obj = addNew(&r.services)
		case "v1 ConfigMap":
			obj = addNew(&r.configMaps)
		case "v1 Secret":
			obj = addNew(&r.secrets)
		case "policy/v1 PodDisruptionBudget":
			obj = addNew(&r.pdbs)
		case "networking.k8s.io/v1 NetworkPolicy":
			obj = addNew(&r.policies)
		case "monitoring.coreos.com/v1 ServiceMonitor":
			obj = addNew(&r.monitors)
		case "monitoring.coreos.com/v1 PrometheusRule":
			obj = addNew(&r.rules)
		default:
			t.Fatalf("rendered an unexpected %s %s: add it to the strict decoding here", tm.APIVersion, tm.Kind)
		}
		if err := sigsyaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("%s %s does not decode strictly into its type: %v\n%s", tm.APIVersion, tm.Kind, err, doc)
		}
	}
	return r
}

func addNew[T any](list *[]*T) *T {
	v := new(T)
	*list = append(*list, v)
	return v
}

func helmTemplate(t *testing.T, release string, args ...string) rendered {
	t.Helper()
	out := runTool(t, tool(t, "helm"), append([]string{"template", release, chartDir, "--namespace", "gw"}, args...)...)
	return decodeObjects(t, out)
}

func TestHelmLintPassesWithDefaultsAndProductionValues(t *testing.T) {
	helm := tool(t, "helm")
	runTool(t, helm, "lint", "--strict", chartDir)
	runTool(t, helm, "lint", "--strict", chartDir, "-f", productionValues)
}

func TestHelmChartCarriesTheAlerts(t *testing.T) {
	want := readFile(t, alertsFile)
	if *update {
		if err := os.WriteFile(chartAlerts, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(readFile(t, chartAlerts), want) {
		t.Fatalf("%s is out of date with %s: run go test ./deploy -run Alerts -update", chartAlerts, alertsFile)
	}
}

func TestHelmRendersAGatewayTheConfigCheckAccepts(t *testing.T) {
	for _, c := range []struct {
		name, release string
		args          []string
		replicas      int
		redisURL      string
		pprof         bool
		admin         bool
	}{
		{"defaults: three replicas on the bundled Redis", "gateway", nil, 3, "redis://gateway-redis:6379/0", false, false},
		{"production values: an external Redis with a password, the admin API on", "prod", []string{"-f", productionValues}, 4, "redis://budget-redis.shared.svc:6379/2", true, true},
		{"Sentinel addresses in the config instead of a URL", "sentinel", []string{"--set", "redis.bundled.enabled=false", "--set", "config.redis.addrs={s1:26379,s2:26379}", "--set", "config.redis.master_name=budget"}, 3, "", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := helmTemplate(t, c.release, c.args...)
			gw := gatewayDeployment(t, r)
			if len(r.configMaps) != 1 {
				t.Fatalf("%d ConfigMaps, want 1", len(r.configMaps))
			}
			cfg, err := config.Parse(strings.NewReader(r.configMaps[0].Data["config.yaml"]))
			if err != nil {
				t.Fatalf("the rendered config.yaml is not a valid gateway config:\n%v\n%s", err, r.configMaps[0].Data["config.yaml"])
			}
			if int(*gw.Spec.Replicas) != c.replicas || cfg.Redis.Replicas != c.replicas {
				t.Errorf("replicas %d, redis.replicas %d: want both %d, or a Redis outage overspends", *gw.Spec.Replicas, cfg.Redis.Replicas, c.replicas)
			}
			if cfg.Redis.URL != c.redisURL || cfg.Server.Pprof != c.pprof || cfg.Admin.Enabled() != c.admin {
				t.Errorf("redis.url %q pprof %v admin %v, want %q %v %v", cfg.Redis.URL, cfg.Server.Pprof, cfg.Admin.Enabled(), c.redisURL, c.pprof, c.admin)
			}
			if ms := gw.Spec.Strategy.RollingUpdate.MaxSurge; ms == nil || ms.IntValue() != 0 {
				t.Errorf("maxSurge %v: a surge pod is one more share than redis.replicas allows", ms)
			}
			checkPod(t, gw, cfg, r.configMaps[0].Name)
			if len(r.secrets) != 0 {
				t.Errorf("rendered a Secret with existing Secrets named: %s", r.secrets[0].Name)
			}
			checkSurroundings(t, r, gw)
		})
	}
}

func gatewayDeployment(t *testing.T, r rendered) *appsv1.Deployment {
	t.Helper()
	for _, d := range r.deployments {
		if d.Spec.Template.Labels["app.kubernetes.io/name"] == "gateway" {
			return d
		}
	}
	t.Fatal("no gateway Deployment rendered")
	return nil
}

// checkPod holds the chart's pod to what the kustomize base promises: the config checked
// before start, probes on the admin port, hardened, resources set, tokens from Secrets.
func checkPod(t *testing.T, d *appsv1.Deployment, cfg *config.Config, configMap string) {
	t.Helper()
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 || len(pod.InitContainers) != 1 {
		t.Fatalf("%d containers and %d init containers, want 1 and 1", len(pod.Containers), len(pod.InitContainers))
	}
	c, ic := pod.Containers[0], pod.InitContainers[0]
	if !slices.Equal(ic.Args, []string{"config", "check", "-config", "/etc/gateway/config.yaml"}) || ic.Image != c.Image {
		t.Errorf("init container %s %v: want the gateway image running config check on the mounted config", ic.Image, ic.Args)
	}
	if len(pod.Volumes) != 1 || pod.Volumes[0].ConfigMap == nil || pod.Volumes[0].ConfigMap.Name != configMap {
		t.Errorf("volumes %+v: want the ConfigMap %s", pod.Volumes, configMap)
	}
	if d.Spec.Template.Annotations["checksum/config"] == "" {
		t.Error("no checksum/config annotation: a config change would not roll the pods")
	}
	admin := -1
	for _, p := range c.Ports {
		if p.Name == "admin" {
			admin = int(p.ContainerPort)
		}
	}
	if cfg.Server.AdminListen != "0.0.0.0:9090" || admin != 9090 {
		t.Errorf("admin_listen %q, admin port %d: probes need 0.0.0.0:9090", cfg.Server.AdminListen, admin)
	}
	for name, p := range map[string]*corev1.Probe{"/readyz": c.ReadinessProbe, "/healthz": c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != name || p.HTTPGet.Port.String() != "admin" {
			t.Errorf("probe %s: %+v, want GET %s on the admin port", name, p, name)
		}
	}
	for _, sc := range []*corev1.SecurityContext{c.SecurityContext, ic.SecurityContext} {
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("container security context %+v", sc)
		}
	}
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("pod security context %+v: want runAsNonRoot", psc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the pod mounts a service account token it never uses")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}
	secretEnv := func(name string) bool {
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
		return i >= 0 && c.Env[i].Value == "" && c.Env[i].ValueFrom != nil && c.Env[i].ValueFrom.SecretKeyRef != nil
	}
	for _, u := range cfg.Upstreams {
		if !secretEnv(u.Auth.Env) {
			t.Errorf("upstream %s: token_env %s is not set from a secretKeyRef", u.Name, u.Auth.Env)
		}
	}
	if cfg.Admin.Enabled() && !secretEnv(cfg.Admin.Env) {
		t.Errorf("admin.token_env %s is not set from a secretKeyRef", cfg.Admin.Env)
	}
	if cfg.Redis.Password.Env != "" && !secretEnv(cfg.Redis.Password.Env) {
		t.Errorf("redis.password.token_env %s is not set from a secretKeyRef", cfg.Redis.Password.Env)
	}
}

func checkSurroundings(t *testing.T, r rendered, gw *appsv1.Deployment) {
	t.Helper()
	sel := gw.Spec.Selector.MatchLabels
	matches := func(s map[string]string) bool {
		return len(s) > 0 && reflect.DeepEqual(s, mapSubset(gw.Spec.Template.Labels, s))
	}
	if !reflect.DeepEqual(mapSubset(gw.Spec.Template.Labels, sel), sel) {
		t.Errorf("the Deployment's selector %v does not select its own pods", sel)
	}
	var svc *corev1.Service
	for _, s := range r.services {
		if matches(s.Spec.Selector) {
			svc = s
		}
	}
	if svc == nil || !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == "admin" && p.Port == 9090 }) {
		t.Fatalf("no Service with an admin port selects the gateway pods")
	}
	if len(r.pdbs) != 1 || r.pdbs[0].Spec.MaxUnavailable == nil || !matches(r.pdbs[0].Spec.Selector.MatchLabels) {
		t.Errorf("want one PodDisruptionBudget limiting the gateway pods")
	}
	if len(r.monitors) != 1 {
		t.Fatalf("%d ServiceMonitors, want 1", len(r.monitors))
	}
	sm := r.monitors[0].Spec
	if sm.JobLabel != "app.kubernetes.io/name" || svc.Labels[sm.JobLabel] != "gateway" || !reflect.DeepEqual(mapSubset(svc.Labels, sm.Selector.MatchLabels), sm.Selector.MatchLabels) {
		t.Errorf("ServiceMonitor jobLabel %q selector %v: the alerts expect job=\"gateway\" from the gateway Service", sm.JobLabel, sm.Selector.MatchLabels)
	}
	if len(sm.Endpoints) != 1 || sm.Endpoints[0].Port != "admin" || sm.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v, want /metrics on the admin port", sm.Endpoints)
	}
	if len(r.rules) != 1 {
		t.Fatalf("%d PrometheusRules, want 1", len(r.rules))
	}
	var want struct {
		Groups any `yaml:"groups"`
	}
	if err := yaml.Unmarshal(readFile(t, alertsFile), &want); err != nil {
		t.Fatal(err)
	}
	got, _ := sigsyaml.Marshal(r.rules[0].Spec.Groups)
	var gotGroups any
	if err := yaml.Unmarshal(got, &gotGroups); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotGroups, want.Groups) {
		t.Errorf("the rendered PrometheusRule's groups differ from %s", alertsFile)
	}

	var np *networkingv1.NetworkPolicy
	for _, p := range r.policies {
		if matches(p.Spec.PodSelector.MatchLabels) {
			np = p
		}
	}
	if np == nil {
		t.Fatal("no NetworkPolicy selects the gateway pods")
	}
	in := map[int32]bool{}
	for _, rule := range np.Spec.Ingress {
		for _, p := range rule.Ports {
			in[p.Port.IntVal] = len(rule.From) > 0
		}
	}
	if len(in) != 2 || !in[8080] || !in[9090] {
		t.Errorf("ingress ports %v: want 8080 and 9090, each from selected namespaces only", in)
	}
	var out []int32
	for _, rule := range np.Spec.Egress {
		for _, p := range rule.Ports {
			out = append(out, p.Port.IntVal)
		}
	}
	slices.Sort(out)
	if want := []int32{53, 53, 443, 6379}; !slices.Equal(out, want) {
		t.Errorf("egress ports %v, want %v (DNS over UDP and TCP, HTTPS, Redis)", out, want)
	}
}

// mapSubset returns the entries of m whose keys are in keys.
func mapSubset(m, keys map[string]string) map[string]string {
	out := map[string]string{}
	for k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

func TestHelmBundledRedisIsReachableOnlyByTheGateway(t *testing.T) {
	r := helmTemplate(t, "gateway")
	gw := gatewayDeployment(t, r)
	var redis *appsv1.Deployment
	for _, d := range r.deployments {
		if d.Spec.Template.Labels["app.kubernetes.io/name"] == "redis" {
			redis = d
		}
	}
	if redis == nil {
		t.Fatal("the defaults render no Redis")
	}
	if *redis.Spec.Replicas != 1 || redis.Spec.Template.Spec.SecurityContext == nil || !*redis.Spec.Template.Spec.SecurityContext.RunAsNonRoot {
		t.Errorf("redis: replicas %d, security %+v", *redis.Spec.Replicas, redis.Spec.Template.Spec.SecurityContext)
	}
	cfg, err := config.Parse(strings.NewReader(r.configMaps[0].Data["config.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(r.services, func(s *corev1.Service) bool { return s.Name == "gateway-redis" })
	if i < 0 || !strings.Contains(cfg.Redis.URL, "//"+r.services[i].Name+":6379/") {
		t.Errorf("redis.url %q does not name the bundled Redis Service", cfg.Redis.URL)
	}
	i = slices.IndexFunc(r.policies, func(p *networkingv1.NetworkPolicy) bool { return p.Name == "gateway-redis" })
	if i < 0 {
		t.Fatal("no NetworkPolicy guards the bundled Redis")
	}
	from := r.policies[i].Spec.Ingress[0].From[0].PodSelector.MatchLabels
	if !reflect.DeepEqual(mapSubset(gw.Spec.Template.Labels, from), from) || from["app.kubernetes.io/instance"] != "gateway" {
		t.Errorf("the Redis NetworkPolicy admits %v, want this release's gateway pods", from)
	}
}

func TestHelmCreatesTheTokenSecretWhenGivenValues(t *testing.T) {
	const org, admin = "retool_org_not_a_real_token", "admin_not_a_real_token"
	r := helmTemplate(t, "gateway", "--set", "orgToken.existingSecret=", "--set", "orgToken.value="+org,
		"--set", "adminToken.enabled=true", "--set", "adminToken.value="+admin)
	if len(r.secrets) != 1 {
		t.Fatalf("%d Secrets, want 1", len(r.secrets))
	}
	s := r.secrets[0]
	if string(s.Data["org-token"]) != org || string(s.Data["admin-token"]) != admin {
		t.Errorf("Secret keys %v: want org-token and admin-token holding the values", slices.Collect(maps.Keys(s.Data)))
	}
	if cm := r.configMaps[0].Data["config.yaml"]; strings.Contains(cm, org) || strings.Contains(cm, admin) {
		t.Error("a token is in the ConfigMap")
	}
	c := gatewayDeployment(t, r).Spec.Template.Spec.Containers[0]
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name != s.Name {
			t.Errorf("env %s reads Secret %s, want the created %s", e.Name, e.ValueFrom.SecretKeyRef.Name, s.Name)
		}
	}
}

func TestHelmRefusesValuesThatWouldOverspend(t *testing.T) {
	helm := tool(t, "helm")
	for _, c := range []struct {
		name string
		set  []string
		says string
	}{
		{"an autoscaler would change the pod count behind redis.replicas", []string{"autoscaling.enabled=true"}, "redis.replicas must equal the pod count"},
		{"several replicas without Redis would each keep a whole budget", []string{"redis.bundled.enabled=false"}, "replicaCount > 1 without Redis"},
		{"an external URL and the bundled Redis at once is ambiguous", []string{"redis.url=redis://elsewhere:6379/0"}, "pick one"},
		{"Sentinel addresses and the bundled Redis at once are ambiguous", []string{"config.redis.addrs={s1:26379}"}, "pick one"},
		{"no org token at all", []string{"orgToken.existingSecret="}, "orgToken: set existingSecret"},
		{"a misspelt value is an error, not a silent default", []string{"replicacount=5"}, "additional properties 'replicacount' not allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"template", "gateway", chartDir}
			for _, s := range c.set {
				args = append(args, "--set", s)
			}
			out, err := exec.Command(helm, args...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), c.says) {
				t.Errorf("helm template --set %v: err %v, want a refusal saying %q:\n%s", c.set, err, c.says, out)
			}
		})
	}
}

func TestKustomizeRedisComponentServesTheBaseConfig(t *testing.T) {
	r := decodeObjects(t, runTool(t, tool(t, "kustomize"), "build", redisOverlayDir))
	gw := gatewayDeployment(t, r)
	cfg, err := config.Parse(strings.NewReader(r.configMaps[0].Data["config.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(r.services, func(s *corev1.Service) bool { return s.Name == "gateway-redis" })
	if i < 0 || cfg.Redis.URL != "redis://gateway-redis:6379/0" {
		t.Fatalf("redis.url %q, Service gateway-redis found: %v", cfg.Redis.URL, i >= 0)
	}
	var redis *appsv1.Deployment
	for _, d := range r.deployments {
		if reflect.DeepEqual(mapSubset(d.Spec.Template.Labels, r.services[i].Spec.Selector), r.services[i].Spec.Selector) {
			redis = d
		}
	}
	if redis == nil || *redis.Spec.Replicas != 1 {
		t.Fatal("no single Redis pod behind the gateway-redis Service")
	}
	// The base's NetworkPolicy lets the gateway out to pods labelled as Redis; the
	// component's lets only gateway pods in.
	var egress, ingress bool
	for _, p := range r.policies {
		switch p.Name {
		case "gateway":
			for _, rule := range p.Spec.Egress {
				for _, to := range rule.To {
					if to.PodSelector != nil && reflect.DeepEqual(mapSubset(redis.Spec.Template.Labels, to.PodSelector.MatchLabels), to.PodSelector.MatchLabels) && len(to.PodSelector.MatchLabels) > 0 {
						egress = true
					}
				}
			}
		case "gateway-redis":
			from := p.Spec.Ingress[0].From[0].PodSelector.MatchLabels
			ingress = reflect.DeepEqual(mapSubset(gw.Spec.Template.Labels, from), from) && mapSubset(redis.Spec.Template.Labels, p.Spec.PodSelector.MatchLabels) != nil
		}
	}
	if !egress || !ingress {
		t.Errorf("gateway -> redis egress allowed %v, redis admits the gateway %v", egress, ingress)
	}
}
