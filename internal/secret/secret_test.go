package secret

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestNoWayOfPrintingRevealsTheValue(t *testing.T) {
	s := New("hunter2-org-token")
	js, _ := json.Marshal(struct{ T Value }{s})
	core, logs := observer.New(zap.DebugLevel)
	zap.New(core).Info("x", zap.Any("token", s), zap.Stringer("t2", s))
	var logged strings.Builder
	for _, e := range logs.All() {
		for _, f := range e.Context {
			fmt.Fprintf(&logged, "%v %v %v", f.String, f.Interface, f.Integer)
		}
	}
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%#v": fmt.Sprintf("%#v", s),
		"%+v": fmt.Sprintf("%+v", struct{ T Value }{s}), "%q": fmt.Sprintf("%q", s),
		"json": string(js), "zap": logged.String(),
	} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s printed the secret: %s", name, out)
		}
	}
	if s.Reveal() != "hunter2-org-token" {
		t.Fatal("Reveal lost the value")
	}
}
