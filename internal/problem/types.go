package problem

// A Kind names one kind of problem: the last part of its type URI
// (urn:budgetgw:problem:<slug>). Every slug the gateway answers with is in Catalogue;
// a test scans the code for slugs it does not list, and docs/http-api.md is checked
// against Catalogue row by row.
type Kind string

// The proxy's problem types.
const (
	PathNotCanonical    Kind = "path-not-canonical"
	BodyUnreadable      Kind = "body-unreadable"
	KeyMissing          Kind = "key-missing"
	KeyUnknown          Kind = "key-unknown"
	KeyExpired          Kind = "key-expired"
	KeyDisabled         Kind = "key-disabled"
	ScopeMissing        Kind = "scope-missing"
	TokenScopeMissing   Kind = "token-scope-missing"
	UnknownRoute        Kind = "unknown-route"
	BodyTooLarge        Kind = "body-too-large"
	AuthThrottled       Kind = "auth-throttled"
	BudgetExhausted     Kind = "budget-exhausted"
	CallerCap           Kind = "caller-cap"
	UpstreamLockout     Kind = "upstream-lockout"
	TooExpensive        Kind = "too-expensive"
	Internal            Kind = "internal"
	UpstreamUnreachable Kind = "upstream-unreachable"
	BudgetUnavailable   Kind = "budget-unavailable"
	Draining            Kind = "draining"
	UpstreamTimeout     Kind = "upstream-timeout"
	UpgradeRefused      Kind = "upgrade-refused"
	MethodOverride      Kind = "method-override-refused"
	BodyTimeout         Kind = "body-timeout"
	UpstreamEncoding    Kind = "upstream-encoding"
	PublicThrottled     Kind = "public-throttled"
)

// The admin API's problem types.
const (
	AdminUnauthorized Kind = "admin-unauthorized"
	AdminBadRequest   Kind = "admin-bad-request"
	AdminNotFound     Kind = "admin-not-found"
	AdminConflict     Kind = "admin-conflict"
	AdminUnavailable  Kind = "admin-unavailable"
	AdminUnknownRoute Kind = "admin-unknown-route"
	AdminThrottled    Kind = "admin-throttled"
)

// Entry is one row of the catalogue: the answer's status and when it is given.
type Entry struct {
	Slug   Kind
	Status int
	When   string
}

// Catalogue lists every problem type, in the order the docs show them.
var Catalogue = []Entry{
	{PathNotCanonical, 400, "the path is ambiguous (encoded `/`, dot segments, `;`, …)"},
	{BodyUnreadable, 400, "the request body could not be read"},
	{UpgradeRefused, 400, "`Upgrade` or `Connection: upgrade` (WebSocket, h2c): the gateway opens no tunnels"},
	{MethodOverride, 400, "`X-HTTP-Method-Override`, `X-Method-Override`, `X-HTTP-Method` or `?_method=`: send the real method"},
	{KeyMissing, 401, "no caller key (`WWW-Authenticate` set)"},
	{KeyUnknown, 401, "an unknown caller key"},
	{KeyExpired, 401, "an expired caller key"},
	{ScopeMissing, 403, "the caller lacks the route's scope"},
	{TokenScopeMissing, 403, "the org token (`token_scopes`) lacks the route's scope"},
	{UnknownRoute, 404, "no such operation or mount (never forwarded)"},
	{BodyTimeout, 408, "the body did not arrive within `server.read_timeout`"},
	{BodyTooLarge, 413, "body over `server.max_body_bytes`"},
	{KeyDisabled, 423, "the key is disabled"},
	{AuthThrottled, 429, "this bad key failed too often from this address this minute (a valid key is never refused)"},
	{PublicThrottled, 429, "too many public requests (health probes) from this address reached the upstream this minute (cached answers are still served)"},
	{BudgetExhausted, 429, "no points within `max_wait`"},
	{CallerCap, 429, "the caller's `max_points` is spent"},
	{UpstreamLockout, 429, "the upstream locked the organisation out"},
	{TooExpensive, 429, "a cost that can never fit the budget"},
	{Internal, 500, "a gateway bug (logged)"},
	{UpstreamUnreachable, 502, "no answer from the upstream (no internal addresses in the body)"},
	{UpstreamEncoding, 502, "the upstream compressed its answer in an encoding the gateway cannot scrub (it asks for identity)"},
	{BudgetUnavailable, 503, "Redis unreachable with `on_failure: fail_closed`"},
	{Draining, 503, "the replica is shutting down; a waiting request is released (nothing spent): retry"},
	{UpstreamTimeout, 504, "the upstream did not answer within `timeout`"},
	{AdminUnauthorized, 401, "admin API: no or a wrong admin token"},
	{AdminBadRequest, 400, "admin API: a body or value it cannot use (a scope typo names the closest valid one)"},
	{AdminNotFound, 404, "admin API: no such key or caller"},
	{AdminConflict, 409, "admin API: a rule forbids it (too many active keys; a caller or key of the config file)"},
	{AdminUnavailable, 503, "admin API: the key store could not be changed; try again"},
	{AdminUnknownRoute, 404, "admin API: no such route"},
	{AdminThrottled, 429, "admin API: too many failed admin logins from this address this minute (even a right token waits)"},
}

// Known reports whether slug is in the catalogue.
func Known(slug string) bool {
	for _, e := range Catalogue {
		if string(e.Slug) == slug {
			return true
		}
	}
	return false
}
