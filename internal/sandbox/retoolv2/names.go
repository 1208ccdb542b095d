package retoolv2

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/budgetgw/gateway/internal/sandbox/oas"
)

// northwind is what made-up data reads like: the seeded organisation's names,
// and how to meet each string pattern of Retool's document (the tests check
// every pattern in the data file has an entry).
var northwind = &oas.Vocabulary{
	Domain: orgDomain, Host: orgHost, Slug: "northwind", Repo: "retool-apps", Epoch: fakeEpoch,
	FirstNames: firstNames, LastNames: lastNames, Names: appNames, Descriptions: descriptions,
	Patterns: map[string]func(f *oas.Faker, hint string) string{
		`user_([a-z0-9]+)`: func(f *oas.Faker, _ string) string { return "user_" + f.Hex(6) },
		`^(app|workflow|resource|agent|library)_([0-9]\d*)$`: func(f *oas.Faker, _ string) string {
			return fmt.Sprintf("app_%d", 100+f.IntN(900))
		},
		`^\d+$`:             func(f *oas.Faker, _ string) string { return fmt.Sprint(1 + f.IntN(9999)) },
		`^#[A-Fa-f0-9]{6}$`: func(f *oas.Faker, _ string) string { return "#" + strings.ToUpper(f.Hex(3)) },
		`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$`: func(f *oas.Faker, _ string) string {
			return fmt.Sprintf("%d.%d.%d", 1+f.IntN(3), f.IntN(10), f.IntN(10))
		},
		`^[a-z0-9\_]+$`: func(f *oas.Faker, _ string) string {
			names := []string{"department", "region", "cost_center", "employee_id", "team"}
			return names[f.IntN(len(names))]
		},
	},
}

func pick[T any](rng *rand.Rand, from []T) T { return from[rng.IntN(len(from))] }

// fakeEpoch (2024-01-01T00:00:00Z) anchors made-up timestamps, so bodies do
// not depend on when a test runs.
const fakeEpoch = 1704067200

// The made-up organisation. Its domain is under .example, reserved for
// documentation, so no address the sandbox hands out can reach anyone.
const (
	orgName   = "Northwind Trading"
	orgDomain = "northwind.example"
	orgHost   = "northwind.retool.example"
)

var firstNames = []string{
	"Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances",
	"Edsger", "Radia", "Donald", "Hedy", "John", "Sophie", "Tim", "Anita", "Guido", "Mary",
	"Bjarne", "Karen", "Leslie", "Jean", "Niklaus", "Shafi", "Robin", "Evelyn", "Vint", "Adele",
	"Whitfield", "Joan", "Brian", "Lynn", "Rob", "Mae",
}

var lastNames = []string{
	"Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen",
	"Dijkstra", "Perlman", "Knuth", "Lamarr", "McCarthy", "Wilson", "Berners-Lee", "Borg", "van Rossum", "Kenneth",
	"Stroustrup", "Sparck-Jones", "Lamport", "Sammet", "Wirth", "Goldwasser", "Milner", "Berezin", "Cerf", "Goldberg",
	"Diffie", "Clarke", "Kernighan", "Conway", "Pike", "Jemison",
}

var groupNames = []string{"Support", "Finance", "Engineering", "Operations", "Sales", "Data", "Contractors"}

// appFolders hold the apps; the other folder types get a couple each.
var appFolders = []string{"Customer Support", "Finance", "Operations", "Sales", "Internal Tools", "Data Quality", "Archive"}

var otherFolders = map[string][]string{
	"workflow": {"Nightly Jobs", "Alerts"},
	"resource": {"Databases", "Third-party APIs"},
}

var appNames = []string{
	"Refund Console", "Order Lookup", "Customer 360", "Invoice Approvals", "Inventory Tracker",
	"Shipping Labels", "Ticket Triage", "Payroll Review", "Expense Reports", "Sales Pipeline",
	"Lead Router", "Feature Flags", "User Admin", "Warehouse Dashboard", "Returns Portal",
	"Vendor Directory", "Purchase Orders", "Churn Analysis", "Onboarding Checklist", "KYC Review",
	"Fraud Queue", "Subscription Manager", "Discount Codes", "Product Catalog", "Content Moderation",
	"On-call Handoff", "Incident Log", "SLA Monitor", "Carrier Rates", "Quarterly Close",
}

var descriptions = []string{
	"Used by the support team every day.",
	"Owned by finance; changes need a review.",
	"Reads from the orders database.",
	"Built during the 2024 hackathon.",
	"Replaces the old spreadsheet process.",
}

// seedResources are the organisation's resources: a type and a display name.
var seedResources = [][2]string{
	{"postgresql", "Orders DB"}, {"mysql", "Inventory MySQL"}, {"snowflake", "Analytics Warehouse"},
	{"redshift", "Events Redshift"}, {"restapi", "Stripe API"}, {"restapi", "Zendesk API"},
	{"retoolDb", "Retool Database"}, {"slack", "Slack"},
}

// seedEnvironments: name, colour, whether it is the default.
var seedEnvironments = []struct {
	name, color string
	isDefault   bool
}{{"production", "#3C92DC", true}, {"staging", "#E9AB11", false}, {"development", "#9F73EA", false}}

var seedAttributes = [][2]string{ // name, data type
	{"department", "string"}, {"region", "string"}, {"employee_id", "number"}, {"cost_center", "string"},
}

var seedVariables = []string{"STRIPE_API_BASE", "SUPPORT_EMAIL", "WAREHOUSE_ID", "FEATURE_FLAG_TOKEN"}

var seedWorkflows = []string{"Nightly invoice sync", "Refund approval", "Low stock alert", "Weekly KPI digest"}
