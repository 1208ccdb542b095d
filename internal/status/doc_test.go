package status_test

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/budgetgw/gateway/internal/status"
)

// Every field of /status.json is a public interface: docs/status.md must name each one.
func TestEveryStatusJSONFieldIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/status.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[time.Time]() || seen[typ] {
			return
		}
		seen[typ] = true
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !regexp.MustCompile(`[\x60{.,\s]` + regexp.QuoteMeta(name) + `[\x60},.\[\s]`).Match(doc) {
				t.Errorf("/status.json field %s (%s.%s) is not in docs/status.md", name, typ.Name(), f.Name)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[status.Snapshot]())
}
