package main

// extraRows are operations Retool serves outside its OpenAPI document that
// clients of the API depend on. They are written here, not in the profile, so
// that regenerating the profile keeps them.
var extraRows = []row{
	{
		// Retool's Terraform provider sends GET /api/checkHealth, without a
		// token, before any API call and refuses to run on a version it does
		// not support. It is not an API v2 operation: no token, no points.
		method: "GET", path: "/api/checkHealth", family: "health",
		public: true, cache: "30s",
		notes: []string{"outside the document: the version probe clients send without a token"},
	},
}
