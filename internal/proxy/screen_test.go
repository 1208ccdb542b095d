package proxy_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Each of these reached the upstream on main: an upgrade (a 101 from the upstream would
// have left the caller a raw tunnel, past every check), or a method override (the scope
// was checked for GET, an upstream honouring the override would delete). All are refused
// with a problem before anything reaches the upstream.
func TestUpgradesAndMethodOverridesAreRefusedBeforeTheUpstream(t *testing.T) {
	up := newSeenUpstream(t, nil)
	g := startHolesGateway(t, up, "")
	cases := []struct {
		name   string
		target string
		header []string
		want   string
	}{
		{"websocket upgrade", "/api/v2/users", []string{"Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="}, "upgrade-refused"},
		{"h2c upgrade", "/api/v2/users", []string{"Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"}, "upgrade-refused"},
		{"Upgrade header alone", "/api/v2/users", []string{"Upgrade: websocket"}, "upgrade-refused"},
		{"Connection: upgrade alone, odd case", "/api/v2/users", []string{"Connection: keep-alive, UpGrade"}, "upgrade-refused"},
		{"X-HTTP-Method-Override", "/api/v2/users", []string{"X-HTTP-Method-Override: DELETE"}, "method-override-refused"},
		{"X-Method-Override", "/api/v2/users", []string{"X-Method-Override: DELETE"}, "method-override-refused"},
		{"X-HTTP-Method", "/api/v2/users", []string{"X-HTTP-Method: DELETE"}, "method-override-refused"},
		{"_method query parameter", "/api/v2/users?limit=5&_method=DELETE", nil, "method-override-refused"},
		{"_method, escaped", "/api/v2/users?%5Fmethod=DELETE", nil, "method-override-refused"},
		{"_method after a semicolon", "/api/v2/users?limit=5;_method=DELETE", nil, "method-override-refused"},
		{"_METHOD in capitals", "/api/v2/users?_METHOD=PUT", nil, "method-override-refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(up.requests())
			resp := g.Raw(t, http.MethodGet, tc.target, append([]string{"Authorization: Bearer " + g.Key.Raw}, tc.header...)...)
			if resp.Status != http.StatusBadRequest {
				t.Fatalf("answered %d %s; want 400 %s", resp.Status, resp.Body, tc.want)
			}
			if p := resp.Problem(t); !strings.HasSuffix(p.Type, ":"+tc.want) {
				t.Fatalf("problem type %q; want %s", p.Type, tc.want)
			}
			if n := len(up.requests()) - before; n != 0 {
				t.Fatalf("the upstream received %d calls; want none", n)
			}
		})
	}
	t.Run("a plain request still goes through", func(t *testing.T) {
		resp := g.Raw(t, http.MethodGet, "/api/v2/users?limit=5", "Authorization: Bearer "+g.Key.Raw, "Connection: keep-alive")
		if resp.Status != http.StatusOK {
			t.Fatalf("answered %d %s; want 200", resp.Status, resp.Body)
		}
	})
}

// On main a chunked request declaring Trailer: Authorization, Cookie, X-Request-Id
// delivered the caller's key, a cookie and a forged request id after the body, past the
// header stripping. Trailers are dropped now.
func TestRequestTrailersNeverReachTheUpstream(t *testing.T) {
	up := newSeenUpstream(t, nil)
	g := startHolesGateway(t, up, "")
	body := `{"email":"a@example.com","first_name":"A","last_name":"B"}`
	c := dialGateway(t, g.Gateway)
	c.send(t, "POST /api/v2/users HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "+g.Key.Raw+"\r\n"+
		"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nTrailer: Authorization, Cookie, X-Request-Id, X-Api-Key\r\n\r\n"+
		fmt.Sprintf("%x\r\n%s\r\n", len(body), body)+
		"0\r\nAuthorization: Bearer "+g.Key.Raw+"\r\nCookie: session="+g.Key.Raw+"\r\nX-Request-Id: forged-by-caller\r\nX-Api-Key: "+g.Key.Raw+"\r\n\r\n")
	resp, answer := c.response(t, http.MethodPost)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("answered %d %s; want 200", resp.StatusCode, answer)
	}
	got := up.requests()
	if len(got) != 1 {
		t.Fatalf("upstream received %d calls; want 1", len(got))
	}
	r := got[0]
	if len(r.Trailer) != 0 {
		t.Errorf("upstream received trailers %v; want none", r.Trailer)
	}
	if v := r.Header.Get("Trailer"); v != "" {
		t.Errorf("upstream received Trailer: %q; want none declared", v)
	}
	if id := r.Header.Values("X-Request-Id"); len(id) != 1 || id[0] == "forged-by-caller" || id[0] != resp.Header.Get("X-Request-Id") {
		t.Errorf("upstream X-Request-Id %q; want only the gateway's %q", id, resp.Header.Get("X-Request-Id"))
	}
	if r.Header.Get("Authorization") != "Bearer "+g.OrgToken {
		t.Errorf("upstream Authorization is not the org token")
	}
	assertNoSecretIn(t, r.Header, g.Key.Raw, g.Key.Secret())
	assertNoSecretIn(t, r.Trailer, g.Key.Raw, g.Key.Secret())
	if string(r.Body) != body {
		t.Errorf("upstream body %q; want %q", r.Body, body)
	}
}

// A caller key sent anywhere but where the gateway reads it (a query parameter, an
// X-Api-Key header, the key header of another upstream's profile, any header at all) is
// stripped; the other query pairs reach the upstream byte for byte.
func TestCallerKeysInOtherPlacesAreStripped(t *testing.T) {
	up := newSeenUpstream(t, nil)
	g := startHolesGateway(t, up, "")
	k := g.Key.Raw
	cases := []struct {
		name      string
		query     string
		header    []string
		wantQuery string
	}{
		{"api_key parameter", "?limit=5&api_key=" + k + "&email=a%2Bb%40c.d", nil, "limit=5&email=a%2Bb%40c.d"},
		{"escaped api_key name", "?api%5Fkey=" + k + "&limit=5", nil, "limit=5"},
		{"access_token parameter", "?access_token=" + k, nil, ""},
		{"APIKEY in capitals", "?APIKEY=" + k + "&limit=5", nil, "limit=5"},
		{"the key under any parameter name", "?limit=5&whatever=" + k, nil, "limit=5"},
		{"the key as a bare parameter", "?" + k + "&limit=5", nil, "limit=5"},
		{"X-Api-Key", "?limit=5", []string{"X-Api-Key: " + k}, "limit=5"},
		{"Retable's ApiKey header", "?limit=5", []string{"ApiKey: " + k}, "limit=5"},
		{"the key in any header", "?limit=5", []string{"X-Debug-Note: caller used " + k}, "limit=5"},
		{"unrelated pairs are kept exactly", "?email=A%2bb%40c.d&limit=5&next_token=t%3D1", nil, "email=A%2bb%40c.d&limit=5&next_token=t%3D1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(up.requests())
			resp := g.Raw(t, http.MethodGet, "/api/v2/users"+tc.query, append([]string{"Authorization: Bearer " + k}, tc.header...)...)
			if resp.Status != http.StatusOK {
				t.Fatalf("answered %d %s; want 200", resp.Status, resp.Body)
			}
			got := up.requests()[before:]
			if len(got) != 1 {
				t.Fatalf("upstream received %d calls; want 1", len(got))
			}
			if got[0].RawQuery != tc.wantQuery {
				t.Errorf("upstream query %q; want %q", got[0].RawQuery, tc.wantQuery)
			}
			assertNoSecretIn(t, got[0].Header, k, g.Key.Secret())
			if strings.Contains(got[0].RawQuery, g.Key.Secret()) {
				t.Errorf("upstream query %q carries the caller key", got[0].RawQuery)
			}
		})
	}
}

// On main the caller's answer carried X-Request-Id twice (set by the request-id step and
// again over the upstream's answer); an upstream's own id must not reach it either.
func TestForwardedAnswersCarryTheRequestIDOnce(t *testing.T) {
	up := newSeenUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "upstream-own-id")
		_, _ = w.Write([]byte(`{}`))
	})
	g := startHolesGateway(t, up, "")
	for _, id := range []string{"", "caller-trace-1"} {
		req := g.NewRequest(t, http.MethodGet, "/api/v2/users", nil)
		req.Header.Set("Authorization", "Bearer "+g.Key.Raw)
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		resp := g.Do(t, req)
		ids := resp.Header.Values("X-Request-Id")
		if len(ids) != 1 || ids[0] == "upstream-own-id" || (id != "" && ids[0] != id) {
			t.Errorf("sent id %q: answer carries X-Request-Id %q; want exactly one, the gateway's", id, ids)
		}
	}
}
