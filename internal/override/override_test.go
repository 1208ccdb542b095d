package override

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestEverySpellingAServerWouldHonourIsRecognised(t *testing.T) {
	cases := []struct {
		name     string
		target   string
		header   http.Header
		upgrade  bool
		override bool
	}{
		{"plain read", "/users?limit=5", nil, false, false},
		{"websocket", "/", http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}, true, false},
		{"connection option alone, among others", "/", http.Header{"Connection": {"keep-alive, UPGRADE"}}, true, false},
		{"override header", "/", http.Header{"X-Http-Method-Override": {"DELETE"}}, false, true},
		{"override parameter, any case", "/users?_METHOD=delete", nil, false, true},
		{"override parameter escaped", "/users?%5Fmethod=delete", nil, false, true},
		{"override parameter after a semicolon", "/users?a=1;_method=delete", nil, false, true},
		{"a parameter that only contains the name", "/users?x_method=1", nil, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, c.target, nil)
			for k, v := range c.header {
				r.Header[k] = v
			}
			if got := Upgrade(r.Header); got != c.upgrade {
				t.Errorf("Upgrade = %v; want %v", got, c.upgrade)
			}
			if got := Method(r); got != c.override {
				t.Errorf("Method = %v; want %v", got, c.override)
			}
		})
	}
}
