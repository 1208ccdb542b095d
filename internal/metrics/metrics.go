package metrics

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics holds the gateway's collectors.
type Metrics struct {
	Requests          *prometheus.CounterVec   // upstream, route, caller, code
	Rejections        *prometheus.CounterVec   // upstream, caller, reason
	PointsAdmitted    *prometheus.CounterVec   // upstream, caller
	Wait              *prometheus.HistogramVec // upstream, outcome
	UpstreamDuration  *prometheus.HistogramVec // upstream, route, code
	UpstreamLimited   *prometheus.CounterVec   // upstream
	AuthFailures      *prometheus.CounterVec   // reason
	ScopeDenials      *prometheus.CounterVec   // caller, scope
	StoreErrors       *prometheus.CounterVec   // op
	StoreDegraded     *prometheus.GaugeVec     // upstream
	ConfigReloads     *prometheus.CounterVec   // result
	UnknownOperations *prometheus.GaugeVec     // upstream
	PointsSaved       *prometheus.CounterVec   // upstream, reason (coalesced, cached)
	Coalesced         *prometheus.CounterVec   // upstream
	CoalescedWaiting  *prometheus.GaugeVec     // upstream
	Cache             *prometheus.CounterVec   // upstream, result (hit, miss, revalidated, stored)
	CacheEvictions    *prometheus.CounterVec   // upstream
	Drift             *prometheus.GaugeVec     // budget

	OrgTokenScrubbed  *prometheus.CounterVec // upstream, part (header, body, trailer, document)
	AdminAuthFailures *prometheus.CounterVec // reason (missing, wrong, throttled)
	UpstreamAuth      *prometheus.CounterVec // upstream: 401/403 for calls the token should be allowed
}

// Version is stamped at build time (-ldflags "-X .../metrics.Version=v1.2.3"); unstamped,
// it is the module version `go install ...@v1.2.3` records, else "dev".
var Version = "dev"

func init() {
	if bi, ok := debug.ReadBuildInfo(); ok && Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		Version = bi.Main.Version
	}
}

// New registers every collector on reg.
func New(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "gateway_build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": Version, "goversion": runtime.Version()},
	}, func() float64 { return 1 })
	return &Metrics{
		Requests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_requests_total",
			Help: "Requests answered, by upstream, route family, caller and status class.",
		}, []string{"upstream", "route", "caller", "code"}),
		Rejections: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_budget_rejections_total",
			Help: "Requests refused by the budget, by reason (exhausted, caller_cap, lockout, store_unavailable, too_expensive).",
		}, []string{"upstream", "caller", "reason"}),
		PointsAdmitted: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_budget_points_admitted_total",
			Help: "Points spent on calls admitted to the upstream, by caller.",
		}, []string{"upstream", "caller"}),
		Wait: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_budget_wait_seconds",
			Help:    "Time requests waited for points, by outcome (admitted or refused).",
			Buckets: []float64{0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300}, // minutes: patient callers
		}, []string{"upstream", "outcome"}),
		UpstreamDuration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_upstream_request_duration_seconds",
			Help:    "Time from forwarding a call to the upstream's response headers, by route family and status class.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}, []string{"upstream", "route", "code"}),
		UpstreamLimited: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_rate_limited_total",
			Help: "Upstream 429 answers: something spent the budget outside the gateway, or the limits differ.",
		}, []string{"upstream"}),
		AuthFailures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_auth_failures_total",
			Help: "Requests whose caller key was missing, unknown, disabled or expired.",
		}, []string{"reason"}),
		ScopeDenials: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_scope_denials_total",
			Help: "Requests refused because the caller (or the org token) lacks the route's scope.",
		}, []string{"caller", "scope"}),
		StoreErrors: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_store_errors_total",
			Help: "Budget store operations that failed, by operation.",
		}, []string{"op"}),
		StoreDegraded: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gateway_store_degraded",
			Help: "1 while this replica runs on its local share because the shared store is unreachable.",
		}, []string{"upstream"}),
		ConfigReloads: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_config_reload_total",
			Help: "Configuration reloads, by result (applied or refused).",
		}, []string{"result"}),
		UnknownOperations: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gateway_routes_unknown_operations",
			Help: "Operations in the upstream's published document that the route table does not know (refused).",
		}, []string{"upstream"}),
		PointsSaved: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_points_saved_total",
			Help: "Points not spent because a read followed an identical one in flight (coalesced) or was served from the cache (cached).",
		}, []string{"upstream", "reason"}),
		Coalesced: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_coalesced_requests_total",
			Help: "Reads answered by following an identical read already in flight.",
		}, []string{"upstream"}),
		CoalescedWaiting: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gateway_coalesced_waiters",
			Help: "Reads waiting now for an identical read in flight.",
		}, []string{"upstream"}),
		Cache: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_cache_requests_total",
			Help: "Cacheable reads by result: hit (served fresh), revalidated (304 upstream), miss, stored.",
		}, []string{"upstream", "result"}),
		CacheEvictions: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_cache_evictions_total",
			Help: "Cache entries pushed out by the entry or byte limit.",
		}, []string{"upstream"}),
		Drift: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gateway_budget_drift_points",
			Help: "Points the upstream says are spent beyond what the gateway counted (spending outside the gateway), at its last answer.",
		}, []string{"budget"}),
		OrgTokenScrubbed: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_org_token_scrubbed_total",
			Help: "Upstream answers that carried the org token, masked before the caller saw them, by part (header, body, trailer, document).",
		}, []string{"upstream", "part"}),
		AdminAuthFailures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_admin_auth_failures_total",
			Help: "Admin API requests refused for their token, by reason (missing, wrong, throttled).",
		}, []string{"reason"}),
		UpstreamAuth: f.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_auth_errors_total",
			Help: "Upstream 401/403 answers to calls the route table and token_scopes allow: the org token is suspect (revoked, wrong, or lacking a scope).",
		}, []string{"upstream"}),
	}
}

// Class turns a status code into its bounded label value: "2xx", "4xx", ... (a constant:
// nothing is allocated per request).
func Class(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return classes[code/100-1]
}
