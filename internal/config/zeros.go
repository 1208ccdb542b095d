package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// explicitZeros refuses a key written as 0, 0s or "" that a default then replaced: the
// file would say one thing and the gateway do another (`window: 0s` running as 60s).
func (c *Config) explicitZeros(paths []string) []error {
	var errs []error
	for _, p := range paths {
		v, ok := valueAt(reflect.ValueOf(c).Elem(), p)
		if !ok || v.Kind() == reflect.Pointer || v.IsZero() { // a pointer keeps an explicit zero
			continue
		}
		def := fmt.Sprint(v.Interface())
		if d, isDur := v.Interface().(time.Duration); isDur {
			def = d.String()
		}
		what := "must be > 0"
		if v.Kind() == reflect.String {
			what = "must not be empty"
		}
		errs = append(errs, &FieldError{Path: p, Msg: fmt.Sprintf("%s (leave the key out for the default, %s)", what, def)})
	}
	return errs
}

var pathPart = regexp.MustCompile(`^([a-z0-9_]+)((?:\[\d+\])*)$`)

// valueAt finds the field a key path names ("upstreams[0].budget.window") in v.
func valueAt(v reflect.Value, path string) (reflect.Value, bool) {
	for part := range strings.SplitSeq(path, ".") {
		m := pathPart.FindStringSubmatch(part)
		if m == nil {
			return reflect.Value{}, false
		}
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		f, ok := fieldByKey(v, m[1])
		if !ok {
			return reflect.Value{}, false
		}
		v = f
		for idx := range strings.SplitSeq(strings.Trim(m[2], "[]"), "][") {
			if idx == "" {
				continue
			}
			i, _ := strconv.Atoi(idx)
			if v.Kind() != reflect.Slice || i >= v.Len() {
				return reflect.Value{}, false
			}
			v = v.Index(i)
		}
	}
	return v, true
}

func fieldByKey(v reflect.Value, key string) (reflect.Value, bool) {
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if strings.Contains(opts, "inline") {
			if sub, ok := fieldByKey(v.Field(i), key); ok {
				return sub, true
			}
			continue
		}
		if name == key && f.IsExported() {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// withLines gives each error without a line the line of its key, or of the nearest
// enclosing key written in the file.
func withLines(errs []error, lines map[string]int) []error {
	for _, err := range errs {
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Line > 0 {
			continue
		}
		for p := fe.Path; p != ""; p = parent(p) {
			if l, ok := lines[p]; ok {
				fe.Line = l
				break
			}
		}
	}
	return errs
}

// parent drops the last element of a key path: a.b[2].c → a.b[2] → a.b → a.
func parent(p string) string {
	if strings.HasSuffix(p, "]") {
		return p[:strings.LastIndexByte(p, '[')]
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// plainYAMLError rewrites the decoder's Go type names into the words the docs use.
func plainYAMLError(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	for goName, plain := range map[string]string{
		"time.Duration": "a duration like 60s", "int64": "a whole number", "int": "a whole number",
		"bool": "true or false", "string": "text", "time.Time": "a time like 2030-01-31T00:00:00Z",
	} {
		s = strings.ReplaceAll(s, "into "+goName, "into "+plain)
	}
	return s
}
