package routes

import (
	"net/url"
	"strings"
)

// ForwardPath returns the escaped path to send upstream for a request whose
// canonical path Match mapped to r: static segments spelt as in the template,
// parameter values from the request escaped with url.PathEscape, and the
// template's own trailing slash. Because the upstream receives a path rebuilt
// from the template that was checked, it cannot resolve anything we did not.
//
// The result is ready for URL.RawPath; URL.Path is url.PathUnescape of it,
// which cannot fail. It returns "" if canonicalPath does not fit the template;
// callers must treat that as not found.
func (r *Route) ForwardPath(canonicalPath string) string {
	rest, ok := strings.CutPrefix(canonicalPath, "/")
	if !ok {
		return ""
	}
	var b strings.Builder
	b.Grow(len(canonicalPath) + 16)
	for _, s := range r.tmpl.segs {
		seg, after, _ := strings.Cut(rest, "/")
		rest = after
		switch {
		case seg == "" || seg == "." || seg == "..":
			return ""
		case s.param:
			b.WriteByte('/')
			b.WriteString(url.PathEscape(seg))
		case equalFoldASCII(seg, s.text):
			b.WriteByte('/')
			b.WriteString(s.text)
		default:
			return ""
		}
	}
	if rest != "" {
		return "" // more segments than the template: not this route's path
	}
	if r.tmpl.trailing || len(r.tmpl.segs) == 0 {
		b.WriteByte('/')
	}
	return b.String()
}
