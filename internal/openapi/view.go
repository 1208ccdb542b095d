package openapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/budgetgw/gateway/internal/routes"
	"github.com/budgetgw/gateway/internal/scopes"
)

// BasePath is where Retool's document's paths live on the upstream, and so below the
// mount on the gateway: the document writes /users for GET /api/v2/users.
const BasePath = "/api/v2"

// binding is a document decided against one route table and org token. It is
// immutable; a refresh or a reload makes a new one.
type binding struct {
	doc     *document
	need    []scopes.Scope // per operation: the scope its route requires
	granted []bool         // per operation: the table routes it and the org token may call it
	unknown []string       // "GET /path" for each operation the table does not route, sorted
}

// bind decides each operation once, so that serving a caller only asks its scopes.
// An operation is routed if a request to its documented path would be: the path's
// parameters, written {name} or :name, are matched as parameters.
func bind(d *document, t *routes.Table, token scopes.Set) *binding {
	b := &binding{doc: d, need: make([]scopes.Scope, len(d.ops)), granted: make([]bool, len(d.ops))}
	for i, op := range d.ops {
		r, ok := t.Match(op.method, tablePath(op.path))
		if !ok {
			b.unknown = append(b.unknown, op.method+" "+op.path)
			continue
		}
		b.need[i], b.granted[i] = r.Scope, token.Allows(r.Scope)
	}
	for _, item := range d.paths {
		if item.ref {
			b.unknown = append(b.unknown, "$ref "+item.path)
		}
	}
	sort.Strings(b.unknown)
	return b
}

// tablePath is the route-table form of a documented path: under BasePath, with
// :name parameters written {name}. Match treats a {name} segment as a parameter
// value, which no static segment equals.
func tablePath(docPath string) string {
	if !strings.Contains(docPath, "/:") {
		return BasePath + docPath
	}
	segs := strings.Split(docPath, "/")
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			segs[i] = "{" + name + "}"
		}
	}
	return BasePath + strings.Join(segs, "/")
}

// visible is the set of operations a caller may see, as a bit set: the cache key.
// Keying on what is shown rather than on the scopes held lets callers whose scopes
// differ but allow the same operations share one rendering.
func (b *binding) visible(caller scopes.Set) string {
	bits := make([]byte, (len(b.need)+7)/8)
	for i, need := range b.need {
		if b.granted[i] && caller.Allows(need) {
			bits[i/8] |= 1 << (i % 8)
		}
	}
	return string(bits)
}

// view is one rendered document: the bytes before and after the servers value,
// which is written per request because it follows the request's Host.
type view struct {
	before, after []byte
	tag           string // digest of before and after, for the ETag
}

// render writes the document with only the operations in bits. Everything else,
// unreferenced schemas included, is kept as published; path items left with no
// operation are dropped, and so is every path item holding a $ref.
func (b *binding) render(bits string) *view {
	shown := func(op int) bool { return bits[op/8]&(1<<(op%8)) != 0 }
	var buf bytes.Buffer
	buf.Grow(b.doc.size)
	var before []byte
	buf.WriteByte('{')
	for i, m := range b.doc.top {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(m.key)
		buf.WriteByte(':')
		switch m.kind {
		case serversMember:
			before = bytes.Clone(buf.Bytes())
			buf.Reset()
		case pathsMember:
			writePaths(&buf, b.doc.paths, shown)
		default:
			buf.Write(m.raw)
		}
	}
	buf.WriteByte('}')
	v := &view{before: before, after: buf.Bytes()}
	h := sha256.New()
	h.Write(v.before)
	h.Write(v.after)
	v.tag = hex.EncodeToString(h.Sum(nil)[:12])
	return v
}

func writePaths(buf *bytes.Buffer, paths []pathItem, shown func(int) bool) {
	buf.WriteByte('{')
	n := 0
	for _, item := range paths {
		if item.ref || !anyShown(item, shown) {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.Write(item.key)
		buf.WriteString(":{")
		k := 0
		for _, m := range item.members {
			if m.op >= 0 && !shown(m.op) {
				continue
			}
			if k > 0 {
				buf.WriteByte(',')
			}
			k++
			buf.Write(m.key)
			buf.WriteByte(':')
			buf.Write(m.raw)
		}
		buf.WriteByte('}')
	}
	buf.WriteByte('}')
}

func anyShown(item pathItem, shown func(int) bool) bool {
	for _, m := range item.members {
		if m.op >= 0 && shown(m.op) {
			return true
		}
	}
	return false
}
