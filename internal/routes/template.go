package routes

import (
	"errors"
	"fmt"
	"strings"
)

// maxStatic bounds a template's static segment so Match can fold case into a
// fixed stack buffer instead of allocating.
const maxStatic = 128

// segment is one piece of a path template: literal text, or a named parameter
// that matches any single non-empty segment.
type segment struct {
	text  string // the literal as spelt in the template, or the parameter's name
	param bool
}

// template is a parsed path template.
type template struct {
	segs     []segment
	trailing bool // the template ends in '/': kept when forwarding, ignored when matching
}

// parseTemplate reads "/api/v2/users/{userId}". Static segments are limited to
// unreserved characters so that exactly one decoded spelling (up to ASCII
// case) can ever match them: an encoded or exotic form cannot reach a route
// that its plain form would not.
func parseTemplate(p string) (template, error) {
	var t template
	if !strings.HasPrefix(p, "/") {
		return t, errors.New("does not start with /")
	}
	body := p[1:]
	if strings.HasSuffix(body, "/") {
		t.trailing = true
		body = body[:len(body)-1]
	}
	if body == "" {
		return t, nil
	}
	seen := map[string]bool{}
	for i, s := range strings.Split(body, "/") {
		seg, err := parseSegment(s)
		if err != nil {
			return t, fmt.Errorf("segment %d %q: %w", i+1, s, err)
		}
		if seg.param {
			if seen[seg.text] {
				return t, fmt.Errorf("parameter {%s} appears twice", seg.text)
			}
			seen[seg.text] = true
		}
		t.segs = append(t.segs, seg)
	}
	return t, nil
}

func parseSegment(s string) (segment, error) {
	switch {
	case s == "":
		return segment{}, errors.New("is empty")
	case s == "." || s == "..":
		return segment{}, errors.New("is a dot segment")
	case strings.HasPrefix(s, ":"):
		return segment{}, fmt.Errorf("write parameters as {%s}", s[1:])
	case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
		name := s[1 : len(s)-1]
		if name == "" || strings.IndexFunc(name, func(r rune) bool { return !isWordRune(r) }) >= 0 {
			return segment{}, errors.New("parameter names use letters, digits and _")
		}
		return segment{text: name, param: true}, nil
	}
	if len(s) > maxStatic {
		return segment{}, fmt.Errorf("is longer than %d bytes", maxStatic)
	}
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			return segment{}, fmt.Errorf("has %q: static segments use letters, digits and -._~", s[i])
		}
	}
	return segment{text: s}, nil
}

// shape is the template with parameter names erased and case folded: two
// rows with the same method and shape would match the same requests.
func (t template) shape() string {
	var b strings.Builder
	for _, s := range t.segs {
		b.WriteByte('/')
		if s.param {
			b.WriteString("{}")
		} else {
			b.WriteString(strings.ToLower(s.text))
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

func isWordRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
}

// isUnreserved is RFC 3986 §2.3.
func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldASCII ignores ASCII case only: strings.EqualFold would also let
// "\u212a" (Kelvin sign) stand for "k".
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}
