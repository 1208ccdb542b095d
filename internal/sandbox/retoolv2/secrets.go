package retoolv2

import "fmt"

// Secrets are never answered back. The real API keeps them encrypted and
// shows source control credentials as "---encrypted-on-server---"
// (TestAccSourceControlTest) and SSO secrets as an encrypted-value document
// (TestAccSSO); the sandbox stores and shows them the same way, so nothing a
// caller sent as a secret leaves it again.

// sourceControlSecrets are the provider credentials inside config.config.
var sourceControlSecrets = []string{
	"private_key", "personal_access_token", "project_access_token", "app_password",
	"https_password", "access_key_id", "secret_access_key",
}

const encryptedOnServer = "---encrypted-on-server---"

func hideSourceControlSecrets(cfg map[string]any) map[string]any {
	inner, _ := cfg["config"].(map[string]any)
	for _, k := range sourceControlSecrets {
		if v, ok := inner[k]; ok && v != nil {
			inner[k] = encryptedOnServer
		}
	}
	return cfg
}

// ssoSecrets are the SSO settings the real API answers encrypted.
var ssoSecrets = []string{"google_client_secret", "oidc_client_secret", "ldap_server_certificate", "ldap_server_key"}

func (a *retool) hideSSOSecrets(cfg map[string]any) map[string]any {
	for _, k := range ssoSecrets {
		if v, ok := cfg[k].(string); ok && v != "" {
			cfg[k] = fmt.Sprintf(`{"canaryValue":"__RETOOL_ENCRYPTED_JSON__","methodVersion":2,`+
				`"encryptionKeyHash":"%s","encryptedValue":"%s","iv":null,"authTag":null}`, a.fake.Hex(32), a.fake.Hex(16))
		}
	}
	return cfg
}
