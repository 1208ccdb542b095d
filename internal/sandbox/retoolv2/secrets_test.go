package retoolv2

import (
	"strings"
	"testing"
)

func TestSecretsAreNeverAnsweredBack(t *testing.T) {
	s := newRetoolServer(t, 1)
	const secret = "very-secret-value-1"
	calls := []struct{ method, target, body string }{
		{"PUT", "/api/v2/source_control/config", `{"config":{"provider":"GitHub","org":"o","repo":"r","default_branch":"main",` +
			`"config":{"type":"App","app_id":"1","installation_id":"2","private_key":"` + secret + `"}}}`},
		{"GET", "/api/v2/source_control/config", ""},
		{"POST", "/api/v2/sso/config", `{"data":{"config_type":"google","google_client_id":"id","google_client_secret":"` +
			secret + `","disable_email_password_login":false}}`},
		{"GET", "/api/v2/sso/config", ""},
	}
	for _, c := range calls {
		var body []byte
		if c.body != "" {
			body = []byte(c.body)
		}
		rec := hit(s, c.method, c.target, body)
		got := rec.Body.String()
		if rec.Code/100 != 2 {
			t.Fatalf("%s %s: %d %s", c.method, c.target, rec.Code, got)
		}
		if strings.Contains(got, secret) {
			t.Errorf("%s %s answered the secret back: %s", c.method, c.target, got)
		}
		if !strings.Contains(got, encryptedOnServer) && !strings.Contains(got, "__RETOOL_ENCRYPTED_JSON__") {
			t.Errorf("%s %s shows no encrypted value: %s", c.method, c.target, got)
		}
	}
}
