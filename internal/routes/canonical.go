package routes

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrNotCanonical is wrapped by every refusal from Canonical. Callers should
// answer it with 400 and forward nothing.
var ErrNotCanonical = errors.New("path is not canonical")

// Canonical turns an escaped request path (r.URL.EscapedPath() with the mount
// prefix removed) into the one decoded form that the route and scope decision
// is made on: percent-escapes decoded, "." and ".." segments resolved, runs of
// slashes collapsed, a single trailing slash kept. Case is kept; Match folds
// static segments itself.
//
// The result is decoded text, not an escaped path: it may hold '%', '?' or a
// space that belonged to a parameter value. Never forward it; forward
// Route.ForwardPath of it.
//
// Anything that another server could split or resolve differently from us is
// refused with an error wrapping ErrNotCanonical: an encoded '/' or '\'
// (a second path separator to some servers), an encoded dot segment
// (resolved after our check by servers that decode first), ';' (path
// parameters, stripped by some servers), a double escape such as %252F
// (a slash to any hop that decodes twice), control characters and invalid
// UTF-8 (truncation and log forgery), malformed escapes, characters that
// must be escaped but are not, a ".." above the root, and a path that does
// not start with '/'.
func Canonical(rawPath string) (string, error) {
	if !strings.HasPrefix(rawPath, "/") {
		return "", refuse("it does not start with /")
	}
	segs := make([]string, 0, 8)
	trailing := false
	same := true // nothing decoded, resolved or collapsed: the result is rawPath itself
	rest := rawPath[1:]
	for n := 1; ; n++ {
		raw, after, more := strings.Cut(rest, "/")
		rest = after
		last := !more
		if raw == "" {
			// An empty segment is a duplicate slash, or the trailing one.
			trailing = last
			if last {
				break
			}
			same = false
			continue
		}
		seg, escaped, err := decodeSegment(raw)
		if err != nil {
			return "", refuse("segment %d: %s", n, err)
		}
		if escaped || seg == "." || seg == ".." {
			same = false
		}
		switch {
		case (seg == "." || seg == "..") && escaped:
			return "", refuse("segment %d is an encoded dot segment", n)
		case seg == "..":
			if len(segs) == 0 {
				return "", refuse("segment %d climbs above the root", n)
			}
			segs = segs[:len(segs)-1]
			trailing = true
		case seg == ".":
			trailing = true
		default:
			segs = append(segs, seg)
			trailing = false
		}
		if last {
			break
		}
	}
	if same { // the common case costs no copy
		return rawPath, nil
	}
	out := "/" + strings.Join(segs, "/")
	if trailing && len(segs) > 0 {
		out += "/"
	}
	return out, nil
}

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotCanonical, fmt.Sprintf(format, args...))
}

// decodeSegment percent-decodes one segment and reports whether any escape
// was present, so a dot segment spelt with escapes can be told apart.
func decodeSegment(raw string) (string, bool, error) {
	if strings.IndexByte(raw, '%') < 0 {
		for i := 0; i < len(raw); i++ {
			if err := checkRaw(raw[i]); err != nil {
				return "", false, err
			}
		}
		return raw, false, nil // the common case costs no copy
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '%' {
			if err := checkRaw(c); err != nil {
				return "", false, err
			}
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
			return "", false, errors.New("malformed percent-escape")
		}
		d := unhex(raw[i+1])<<4 | unhex(raw[i+2])
		switch d {
		case '/':
			return "", false, errors.New("encoded slash (%2F)")
		case '\\':
			return "", false, errors.New("encoded backslash (%5C)")
		case ';':
			return "", false, errors.New("encoded path parameter separator (%3B)")
		}
		b.WriteByte(d)
		i += 2
	}
	s := b.String()
	if err := checkDecoded(s); err != nil {
		return "", false, err
	}
	return s, true, nil
}

// checkRaw allows what a Go server's URL.EscapedPath can contain unescaped
// (RFC 3986 pchar, plus '[' and ']'), except ';'.
func checkRaw(c byte) error {
	switch {
	case isUnreserved(c):
		return nil
	case c == ';':
		return errors.New("path parameter (;)")
	case c == '\\':
		return errors.New("backslash")
	case strings.IndexByte("!$&'()*+,=:@[]", c) >= 0:
		return nil
	case c < 0x20 || c == 0x7f:
		return errors.New("control character")
	}
	return fmt.Errorf("unescaped %q", c)
}

func checkDecoded(s string) error {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '%' && isHex(s[i+1]) && isHex(s[i+2]) {
			return errors.New("double percent-encoding")
		}
	}
	if !utf8.ValidString(s) {
		return errors.New("invalid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("control character %U", r)
		}
	}
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
