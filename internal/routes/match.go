package routes

import "strings"

// node is one level of the segment trie. Static children are keyed by their
// lower-cased text; at most one parameter child catches everything else.
type node struct {
	statics map[string]*node
	param   *node
	routes  [numMethods]*Route
}

func (n *node) insert(r *Route) {
	for _, s := range r.tmpl.segs {
		if s.param {
			if n.param == nil {
				n.param = &node{}
			}
			n = n.param
			continue
		}
		key := strings.ToLower(s.text)
		child := n.statics[key]
		if child == nil {
			if n.statics == nil {
				n.statics = map[string]*node{}
			}
			child = &node{}
			n.statics[key] = child
		}
		n = child
	}
	m, _ := methodIndex(r.Method) // validated by compileRow
	n.routes[m] = r
}

// Match finds the route for a canonical path (see Canonical). Static segments
// win over parameters and match regardless of ASCII case; when the static
// branch has no route for the method, the parameter branch is tried. A
// trailing slash is ignored. HEAD without its own route uses GET's.
// Match does not allocate.
func (t *Table) Match(method, canonicalPath string) (*Route, bool) {
	m, ok := methodIndex(method)
	if !ok || !strings.HasPrefix(canonicalPath, "/") {
		return nil, false
	}
	r := t.root.match(canonicalPath[1:], m)
	if r == nil && m == mHEAD {
		r = t.root.match(canonicalPath[1:], mGET)
	}
	return r, r != nil
}

// match walks the rest of the path, which follows a '/'. Depth is bounded by
// the longest template, so the backtracking stays small.
func (n *node) match(rest string, m int) *Route {
	if rest == "" {
		return n.routes[m]
	}
	seg, after, _ := strings.Cut(rest, "/")
	if seg == "" {
		return nil // an empty interior segment: the path is not canonical
	}
	if child := n.static(seg); child != nil {
		if r := child.match(after, m); r != nil {
			return r
		}
	}
	// A parameter never takes a dot segment: if a caller skipped Canonical,
	// "/users/.." must not reach /users/{id} and be forwarded as a climb.
	if n.param != nil && seg != "." && seg != ".." {
		return n.param.match(after, m)
	}
	return nil
}

func (n *node) static(seg string) *node {
	if n.statics == nil || len(seg) > maxStatic {
		return nil
	}
	if child, ok := n.statics[seg]; ok {
		return child
	}
	var buf [maxStatic]byte
	folded := false
	for i := 0; i < len(seg); i++ {
		buf[i] = lowerASCII(seg[i])
		folded = folded || buf[i] != seg[i]
	}
	if !folded {
		return nil
	}
	return n.statics[string(buf[:len(seg)])] // this conversion does not allocate
}
