package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// operationMethods are the members of a path item that are operations (OpenAPI 3.0
// and 3.1), with the HTTP method each stands for.
var operationMethods = map[string]string{
	"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE",
	"options": "OPTIONS", "head": "HEAD", "patch": "PATCH", "trace": "TRACE",
}

type memberKind uint8

const (
	plainMember   memberKind = iota
	serversMember            // the top-level servers: written per request
	pathsMember              // the top-level paths: written per view
)

// member is one name/value pair of a JSON object, kept as bytes so that serving
// concatenates instead of encoding.
type member struct {
	key  []byte // the encoded name, quotes included
	raw  []byte // the compacted value
	kind memberKind
	op   int // in a path item: the index in document.ops, or -1
}

// pathItem is one entry of paths.
type pathItem struct {
	path    string
	key     []byte
	members []member
	// ref marks a path item with $ref: its operations live elsewhere and cannot be
	// decided on, so it is never served.
	ref bool
}

// operation is one method of one documented path.
type operation struct {
	method string // upper case
	path   string // as documented, below the base path
}

// document is one parsed OpenAPI 3 document. It is immutable once parsed, and does not
// depend on any route table: binding does that.
type document struct {
	top   []member // in the document's order; servers and paths are markers
	paths []pathItem
	ops   []operation
	size  int // compacted bytes, to size render buffers
}

// parseDocument splits a document into the parts served verbatim and the operations
// decided one by one. Objects with duplicate names are refused: a reader keeping the
// second of two "get" members could be shown an operation we decided on as the first.
func parseDocument(data []byte) (*document, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	d := &document{}
	var version string
	hasPaths, hasServers := false, false
	err := readObject(dec, func(name string) error {
		m := member{key: encodeString(name), op: -1}
		var err error
		switch name {
		case "paths":
			m.kind, hasPaths = pathsMember, true
			err = readObject(dec, func(path string) error { return d.readPathItem(dec, path) })
		case "servers":
			m.kind, hasServers = serversMember, true
			_, err = readValue(dec)
		default:
			m.raw, err = readValue(dec)
			if err == nil && name == "openapi" {
				err = json.Unmarshal(m.raw, &version)
			}
		}
		d.top = append(d.top, m)
		d.size += len(m.key) + len(m.raw) + 2
		return err
	})
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("data after the document")
		}
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("parse OpenAPI document: %w", err)
	case !strings.HasPrefix(version, "3."):
		return nil, fmt.Errorf("parse OpenAPI document: openapi is %q, want 3.x", version)
	case !hasPaths:
		return nil, errors.New("parse OpenAPI document: no paths")
	}
	if !hasServers {
		d.insertServers()
	}
	return d, nil
}

// insertServers puts a servers member before paths, so that every served document
// names the gateway rather than leaving clients to guess from the document's URL.
func (d *document) insertServers() {
	for i, m := range d.top {
		if m.kind == pathsMember {
			s := member{key: encodeString("servers"), kind: serversMember, op: -1}
			d.top = append(d.top[:i], append([]member{s}, d.top[i:]...)...)
			return
		}
	}
}

func (d *document) readPathItem(dec *json.Decoder, path string) error {
	item := pathItem{path: path, key: encodeString(path)}
	err := readObject(dec, func(name string) error {
		m := member{key: encodeString(name), op: -1}
		var err error
		method, isOp := operationMethods[name]
		switch {
		case isOp:
			// Operation-level servers would send the client past the gateway.
			m.raw, err = readObjectWithout(dec, "servers")
			m.op = len(d.ops)
			d.ops = append(d.ops, operation{method: method, path: path})
		case name == "servers":
			_, err = readValue(dec) // path-level servers: dropped for the same reason
			return err
		case name == "$ref":
			item.ref = true
			m.raw, err = readValue(dec)
		default:
			m.raw, err = readValue(dec)
		}
		item.members = append(item.members, m)
		d.size += len(m.key) + len(m.raw) + 2
		return err
	})
	if err != nil {
		return fmt.Errorf("paths[%q]: %w", path, err)
	}
	d.paths = append(d.paths, item)
	d.size += len(item.key) + 3
	return nil
}

// readObject reads one JSON object, calling fn with each name; fn must read the value.
func readObject(dec *json.Decoder, fn func(name string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("want an object, found %v", tok)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string) // the decoder only yields strings in name position
		if seen[name] {
			return fmt.Errorf("duplicate member %q", name)
		}
		seen[name] = true
		if err := fn(name); err != nil {
			return err
		}
	}
	_, err = dec.Token() // the closing brace; More has checked it is one
	return err
}

// readValue reads one value of any kind, compacted.
func readValue(dec *json.Decoder) ([]byte, error) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// readObjectWithout reads one object, compacted, leaving out the member drop.
func readObjectWithout(dec *json.Decoder, drop string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	err := readObject(dec, func(name string) error {
		raw, err := readValue(dec)
		if err != nil || name == drop {
			return err
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(encodeString(name))
		b.WriteByte(':')
		b.Write(raw)
		return nil
	})
	b.WriteByte('}')
	return b.Bytes(), err
}

// encodeString is the JSON form of s, without escaping HTML characters, which are
// harmless in application/json and would only make paths harder to read.
func encodeString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes; invalid UTF-8 becomes U+FFFD
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
