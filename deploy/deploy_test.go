package deploy

import (
	"bytes"
	"flag"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite generated files (kubernetes/prometheusrule.yaml)")

const (
	alertsFile     = "prometheus/alerts.yaml"
	alertTestsFile = "prometheus/alerts_test.yaml"
	dashboardFile  = "grafana/gateway.json"
	ruleFile       = "kubernetes/prometheusrule.yaml"
	runbookFile    = "../docs/runbook.md"
	runbookURL     = "https://github.com/budgetgw/gateway/blob/main/docs/runbook.md#"
)

// tool finds a command on PATH or in $(go env GOPATH)/bin. Without it the test skips,
// except in CI, where a missing tool is a broken CI setup and fails.
func tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join(build.Default.GOPATH, "bin", name); isFile(p) {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed, and CI=true: CI must install it (see deploy/doc.go)", name)
	}
	t.Skipf("%s is not installed (see deploy/doc.go)", name)
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func runTool(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPromtoolAcceptsTheRulesAndTheirTests(t *testing.T) {
	promtool := tool(t, "promtool")
	runTool(t, promtool, "check", "rules", alertsFile)
	runTool(t, promtool, "test", "rules", alertTestsFile)
}

// ruleGroups is the part of a Prometheus rule file the tests read.
type ruleGroups struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func alerts(t *testing.T) []rule {
	t.Helper()
	var g ruleGroups
	if err := yaml.Unmarshal(readFile(t, alertsFile), &g); err != nil {
		t.Fatal(err)
	}
	var out []rule
	for _, grp := range g.Groups {
		out = append(out, grp.Rules...)
	}
	if len(out) == 0 {
		t.Fatal("no rules in " + alertsFile)
	}
	return out
}

func TestEveryAlertIsLabelledAnnotatedAndInTheRunbook(t *testing.T) {
	runbook := string(readFile(t, runbookFile))
	for _, r := range alerts(t) {
		if r.Alert == "" {
			t.Errorf("a rule without an alert name: %q (recording rules belong elsewhere)", r.Expr)
			continue
		}
		switch r.Labels["severity"] {
		case "critical", "warning", "info":
		default:
			t.Errorf("%s: severity %q, want critical, warning or info", r.Alert, r.Labels["severity"])
		}
		for _, a := range []string{"summary", "description", "runbook_url"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s: no %s annotation", r.Alert, a)
			}
		}
		// GitHub's anchor for the heading "## GatewayDown" is #gatewaydown.
		if want := runbookURL + strings.ToLower(r.Alert); r.Annotations["runbook_url"] != want {
			t.Errorf("%s: runbook_url %q, want %q", r.Alert, r.Annotations["runbook_url"], want)
		}
		if !regexp.MustCompile(`(?m)^## ` + r.Alert + `$`).MatchString(runbook) {
			t.Errorf("%s: %s has no section headed \"## %s\"", r.Alert, runbookFile, r.Alert)
		}
	}
}

func TestEveryAlertHasAFiringAndAQuietUnitTest(t *testing.T) {
	var suite struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(readFile(t, alertTestsFile), &suite); err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range suite.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	for _, r := range alerts(t) {
		if !fires[r.Alert] || !quiet[r.Alert] {
			t.Errorf("%s: a case where it fires: %v, where it stays quiet: %v; want both", r.Alert, fires[r.Alert], quiet[r.Alert])
		}
	}
}

func TestAlertsNameOnlyExportedMetrics(t *testing.T) {
	e := exportedMetrics(t)
	for _, r := range alerts(t) {
		for _, name := range metricNames(r.Expr) {
			if !e.allows(name) {
				t.Errorf("%s: %s is not a metric the gateway exports", r.Alert, name)
			}
		}
	}
}

// prometheusRule wraps the alert groups in a PrometheusRule for the Prometheus Operator.
func prometheusRule(alertsYAML []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`# Generated from deploy/prometheus/alerts.yaml by "go test ./deploy -run PrometheusRule -update".
# DO NOT EDIT: change alerts.yaml and regenerate.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: gateway
  labels:
    app.kubernetes.io/name: gateway
spec:
`)
	header := true
	for _, line := range strings.Split(strings.TrimRight(string(alertsYAML), "\n"), "\n") {
		if header && (line == "" || strings.HasPrefix(line, "#")) {
			continue // the rule file's own header is about the rule file
		}
		header = false
		if line != "" {
			b.WriteString("  ")
		}
		b.WriteString(line + "\n")
	}
	return b.Bytes()
}

func TestPrometheusRuleCarriesTheAlerts(t *testing.T) {
	want := prometheusRule(readFile(t, alertsFile))
	if *update {
		if err := os.WriteFile(ruleFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(readFile(t, ruleFile), want) {
		t.Fatalf("%s is out of date with %s: run go test ./deploy -run PrometheusRule -update", ruleFile, alertsFile)
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
