package main

// sensitiveRows are operations that mint or reveal credentials, or change who can sign
// in, although their descriptions say no more than "Read" or "Write". Each is marked
// sensitive: true and requires the scope given here, which is granted only by itself
// (never by "*", "*:read", "*:write" or a bare family). Where the document's own scope
// also covers harmless rows, the scope is a new, narrower name, so granting the harmless
// rows never grants these. docs/sensitive-routes.md records why each row is here, and
// why some candidates are not.
//
// Keys are the method and the document's path. deriveRoutes fails if a key names no
// operation, so a renamed path cannot silently drop a row from this list.
var sensitiveRows = map[string]string{
	// Creates a token with any scopes (["*"] included) and returns its secret.
	"POST /access_tokens": "access_tokens:create",
	// Answers carry every value, secret variables included.
	"GET /configuration_variables":      "configuration_variables:read",
	"GET /configuration_variables/{id}": "configuration_variables:read",
	"POST /configuration_variables":     "configuration_variables:write",
	"PUT /configuration_variables/{id}": "configuration_variables:write",
	// Answers carry resource credentials (passwords, AWS secret keys, OAuth tokens).
	"GET /resource_configurations":                     "resource_configurations:read",
	"GET /resource_configurations/{configurationId}":   "resource_configurations:read",
	"POST /resource_configurations":                    "resource_configurations:write",
	"PATCH /resource_configurations/{configurationId}": "resource_configurations:write",
	// Answers carry the repository's private key, passwords and access tokens.
	"GET /source_control/config":  "source_control_config:read",
	"POST /source_control/config": "source_control_config:write",
	"PUT /source_control/config":  "source_control_config:write",
	// Answers carry OIDC/Google client secrets and the LDAP key; writing decides who signs in.
	"GET /sso/config":    "sso:read",
	"POST /sso/config":   "sso:write",
	"DELETE /sso/config": "sso:write",
	// Answers carry the provider's API key and DSN.
	"GET /observability/config":            "observability_config:read",
	"POST /observability/config":           "observability_config:write",
	"PUT /observability/config/{configId}": "observability_config:write",
	// Answers carry the analytics providers' API keys.
	"GET /organization/analytics_integrations": "analytics_integrations:read",
	// Sets JavaScript every user's browser runs, and the two-factor requirement.
	"PATCH /organization/": "organization_settings:write",
	// Removes a user's second factor.
	"PUT /users/reset2fa/{userId}": "users:reset_2fa",
	// Answers carry invite links, which admit whoever holds them to the organisation.
	"GET /user_invites":                "user_invites:read",
	"GET /user_invites/{userInviteId}": "user_invites:read",
	"POST /user_invites":               "user_invites:create",
}
