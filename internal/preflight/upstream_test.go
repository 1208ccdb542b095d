package preflight

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/budgetgw/gateway/internal/config"
	"github.com/budgetgw/gateway/internal/sandbox"
)

const goodToken = "retool_test_0123456789abcdef"

// hosts is a resolver with a fixed table; any other name does not exist.
type hosts map[string][]string

func (h hosts) LookupHost(_ context.Context, host string) ([]string, error) {
	if a, ok := h[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestAnAcceptedTokenCostsOneCallAtTheStatedPrice(t *testing.T) {
	for _, tc := range []struct {
		profile, path, query, header, value string
		cost                                int64
	}{
		{"retool-v2", "/api/v2/users", "limit=1", "Authorization", "Bearer " + goodToken, 2},
		{"retable-v1", "/v1/public/workspace", "", "Apikey", goodToken, 1},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			t.Setenv(orgTokenEnv, goodToken)
			sb := simulated(t, tc.profile, goodToken)
			srv := httptest.NewServer(sb)
			defer srv.Close()
			check := New(upstreamConfig(t, srv.URL, tc.profile, ""), Options{})
			rep := check.Run(context.Background(), nil)
			if f := rep.Failures(); len(f) > 0 {
				t.Fatalf("failures: %v", f)
			}
			arrivals := sb.Arrivals()
			if len(arrivals) != 1 {
				t.Fatalf("the upstream saw %d calls, want exactly one", len(arrivals))
			}
			a := arrivals[0]
			if a.Method != "GET" || a.Path != tc.path || a.RawQuery != tc.query || a.Header.Get(tc.header) != tc.value {
				t.Errorf("the upstream saw %s %s?%s with %s=%q", a.Method, a.Path, a.RawQuery, tc.header, a.Header.Get(tc.header))
			}
			token := check.Targets[0].Steps[len(check.Targets[0].Steps)-1]
			if a.Cost != tc.cost || token.Spends != tc.cost {
				t.Errorf("upstream charged %d, the plan stated %d, want %d", a.Cost, token.Spends, tc.cost)
			}
			if !strings.Contains(stepResult(t, rep, "token").Detail, "accepted") {
				t.Errorf("token detail = %q", stepResult(t, rep, "token").Detail)
			}
		})
	}
}

func TestTheCostIsAnnouncedBeforeTheCallIsMade(t *testing.T) {
	t.Setenv(orgTokenEnv, goodToken)
	j := &journal{}
	sb := simulated(t, "retool-v2", goodToken)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.add("arrival " + r.URL.Path)
		sb.ServeHTTP(w, r)
	}))
	defer srv.Close()
	New(upstreamConfig(t, srv.URL, "retool-v2", ""), Options{}).Run(context.Background(), j)
	lines := j.lines()
	plan := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "plan token:") })
	arrival := slices.Index(lines, "arrival /api/v2/users")
	if plan < 0 || arrival < 0 || plan > arrival {
		t.Fatalf("want the token plan before the upstream call:\n%s", strings.Join(lines, "\n"))
	}
	if want := "costs 2 of budget up's 300 points per 1m0s"; !strings.Contains(lines[plan], want) {
		t.Errorf("plan %q does not say %q", lines[plan], want)
	}
}

func TestAnHTTPSUpstreamIsResolvedConnectedAndVerified(t *testing.T) {
	t.Setenv(orgTokenEnv, goodToken)
	srv := httptest.NewTLSServer(simulated(t, "retool-v2", goodToken))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	// The test certificate names example.com; the resolver sends it here.
	cfg := upstreamConfig(t, "https://example.com:"+port, "retool-v2", "")
	resolver := hosts{"example.com": {"127.0.0.1"}}

	rep := New(cfg, Options{Resolver: resolver, RootCAs: roots}).Run(context.Background(), nil)
	if f := rep.Failures(); len(f) > 0 {
		t.Fatalf("failures: %v", f)
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Step+": "+r.Detail)
	}
	for _, want := range []string{"dns: 127.0.0.1", "connect: connected to 127.0.0.1:" + port, "tls: TLS 1.3, certificate for example.com", "token: 200 OK"} {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, want) }) {
			t.Errorf("no result starting %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}

	// The same server, judged by the system's roots, is not trusted: nothing is spent.
	rep = New(cfg, Options{Resolver: resolver}).Run(context.Background(), nil)
	if tlsStep := stepResult(t, rep, "tls"); tlsStep.Err == nil || !strings.Contains(tlsStep.Err.Error(), "certificate") {
		t.Errorf("tls with an unknown authority: err = %v", tlsStep.Err)
	}
	if tok := stepResult(t, rep, "token"); !tok.Skipped {
		t.Errorf("the token step ran after a failed handshake: %+v", tok)
	}
}

func TestEachFailureIsOneLineThatNamesItsCause(t *testing.T) {
	refused := closedAddr(t)
	for _, tc := range []struct {
		name     string
		upstream http.Handler // nil: base_url is baseURL as given
		baseURL  string
		token    string
		extra    string
		want     string // in the one failure line
	}{
		{name: "a token the upstream does not know is refused with 401", upstream: simulated(t, "retool-v2", "another-token"),
			token: goodToken, want: "up: token: 401 Unauthorized: the upstream refuses the org token from $" + orgTokenEnv},
		{name: "a closed port refuses the connection", baseURL: "http://" + refused,
			token: goodToken, want: "up: connect: dial tcp " + refused + ": connect: connection refused"},
		{name: "a name that does not resolve stops the upstream's checks", baseURL: "https://retool.invalid",
			token: goodToken, want: "up: dns: resolve retool.invalid: lookup retool.invalid: no such host"},
		{name: "an unset token variable is reported before anything is sent", upstream: simulated(t, "retool-v2", goodToken),
			token: "", want: "up: token: org token: environment variable " + orgTokenEnv + " is not set"},
		{name: "a 429 says the organisation is rate-limited now", upstream: answer(http.StatusTooManyRequests, "30"),
			token: goodToken, want: "up: token: 429 Too Many Requests (Retry-After 30): the upstream is rate-limiting the organisation now"},
		{name: "a 403 for a scope token_scopes claims is a configuration error", upstream: forbidding(),
			token: goodToken, want: "up: token: 403 Forbidden: the org token is accepted but may not users:read, which token_scopes says it may"},
		{name: "a redirect means base_url is wrong", upstream: answer(http.StatusMovedPermanently, ""),
			token: goodToken, want: `up: token: 301 Moved Permanently to "/elsewhere": base_url is probably wrong`},
		{name: "a 404 means base_url is wrong", upstream: simulated(t, "retool-v2", goodToken), baseURL: "/v1",
			token: goodToken, want: "up: token: 404 Not Found for GET /api/v2/users?limit=1: base_url is probably wrong"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(orgTokenEnv, tc.token)
			base := tc.baseURL
			if tc.upstream != nil {
				srv := httptest.NewServer(tc.upstream)
				defer srv.Close()
				base = srv.URL + tc.baseURL
			}
			j := &journal{}
			rep := New(upstreamConfig(t, base, "retool-v2", tc.extra), Options{Resolver: hosts{}}).Run(context.Background(), j)
			f := rep.Failures()
			if len(f) != 1 {
				t.Fatalf("want exactly one failure, got %v", f)
			}
			if line := f[0].String(); !strings.Contains(line, tc.want) || strings.Contains(line, "\n") {
				t.Errorf("failure line\n  %s\ndoes not contain\n  %s", line, tc.want)
			}
			for _, l := range append(j.lines(), f[0].String()) {
				if strings.Contains(l, goodToken) {
					t.Errorf("the token leaked: %s", l)
				}
			}
		})
	}
}

func TestA403ForAScopeTheTokenIsNotSaidToHaveStillProvesTheToken(t *testing.T) {
	t.Setenv(orgTokenEnv, goodToken)
	srv := httptest.NewServer(forbidding())
	defer srv.Close()
	cfg := upstreamConfig(t, srv.URL, "retool-v2", "    token_scopes: [groups:read]\n")
	rep := New(cfg, Options{}).Run(context.Background(), nil)
	tok := stepResult(t, rep, "token")
	if tok.Err != nil || !strings.Contains(tok.Detail, "accepted; it lacks users:read, as token_scopes says") {
		t.Errorf("token step = %+v", tok)
	}
}

func TestNoPaidCallIsMadeWhenNoneIsKnownOrWanted(t *testing.T) {
	t.Setenv(orgTokenEnv, goodToken)
	sb := simulated(t, "retool-v2", goodToken)
	srv := httptest.NewServer(sb)
	defer srv.Close()
	noProfile := parseConfig(t, `
upstreams:
  - name: up
    base_url: `+srv.URL+`
    routes: [{method: GET, path: /api/v2/users, family: users, scope: users:read, cost: 2}]
    budget: {capacity: 300, window: 60s}
    auth: {token_env: `+orgTokenEnv+`}
`)
	for _, tc := range []struct {
		name string
		cfg  *config.Config
		opts Options
		note string
	}{
		{"an upstream without a profile", noProfile, Options{}, "no profile, so no known cheap call"},
		{"the operator asked for no token call", upstreamConfig(t, srv.URL, "retool-v2", ""), Options{SkipTokenCall: true}, "not asked for"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := New(tc.cfg, tc.opts).Run(context.Background(), nil)
			tok := stepResult(t, rep, "token")
			if len(rep.Failures()) > 0 || !tok.Skipped || !strings.Contains(tok.Detail, tc.note) {
				t.Errorf("token step = %+v, failures %v", tok, rep.Failures())
			}
			if n := len(sb.Arrivals()); n != 0 {
				t.Errorf("the upstream saw %d calls, want none", n)
			}
		})
	}
}

func TestARouteOverrideChangesTheStatedCost(t *testing.T) {
	cfg := upstreamConfig(t, "http://127.0.0.1:1", "retool-v2",
		"    routes: [{method: GET, path: /api/v2/users, family: users, scope: users:read, cost: 7}]\n")
	steps := New(cfg, Options{}).Targets[0].Steps
	tok := steps[len(steps)-1]
	if tok.Spends != 7 || !strings.Contains(tok.Plan, "costs 7 of") {
		t.Errorf("token step spends %d, plan %q; want 7", tok.Spends, tok.Plan)
	}
}

// answer always answers status, with a Retry-After or a Location as the status asks.
func answer(status int, retryAfter string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
	})
}

// forbidding accepts the token but allows nothing.
func forbidding() http.Handler {
	return sandbox.New(sandbox.Options{Token: goodToken, Allow: func(string, string) bool { return false }})
}
