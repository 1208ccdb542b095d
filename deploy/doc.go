// Package deploy holds no code: it is the home of the files that run and watch the gateway
// (Prometheus rules and their unit tests, the Grafana dashboard, the Kubernetes base and its
// optional Redis component, the Helm chart, the docker compose configuration), and of the
// tests that keep them true to the gateway.
//
// `go test ./deploy` checks that every PromQL expression names only metrics the gateway
// exports (read from the real registry, so a renamed metric fails here, not on a dashboard
// at night), runs `promtool check rules` and `promtool test rules`, renders the Kubernetes
// base with `kustomize build`, lints and renders the Helm chart (helm/gateway) with its
// defaults and ci/production-values.yaml, decodes every rendered object strictly into its
// k8s.io/api type, and checks that the configurations load. Tests that need promtool,
// kustomize or helm skip without them, and fail without them when CI=true:
//
//	apt-get install -y prometheus                          # promtool
//	go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.2   # kustomize, in $(go env GOPATH)/bin
//	go install helm.sh/helm/v3/cmd/helm@v3.19.2            # helm, in $(go env GOPATH)/bin
//
// kubernetes/prometheusrule.yaml is generated from prometheus/alerts.yaml:
//
//	go test ./deploy -run 'PrometheusRule|Alerts' -update
//
// and so is the chart's copy of the alerts, helm/gateway/files/alerts.yaml.
package deploy
