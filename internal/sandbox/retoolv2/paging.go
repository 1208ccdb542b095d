package retoolv2

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxPageSize is the document's upper bound for limit.
const maxPageSize = 100

// page is the slice [from, to) of a list, and the token for the next one
// (nil on the last page). Without a limit the whole list is one page, as the
// document says: paging starts only when a caller asks for it.
type page struct {
	from, to int
	next     any
}

// tokenPrefix makes the opaque cursor recognisable, so a token made up by a
// client, or taken from another API, is refused rather than misread.
const tokenPrefix = "sbx-offset:"

func readPage(q url.Values, n int) (page, *answer) {
	raw := q.Get("limit")
	if raw == "" {
		if q.Get("next_token") != "" {
			return page{}, failure(http.StatusBadRequest, "next_token is only valid together with limit")
		}
		return page{0, n, nil}, nil
	}
	limit, err := strconv.Atoi(raw)
	if err != nil || limit < 1 || limit > maxPageSize {
		return page{}, failure(http.StatusBadRequest, "limit must be an integer from 1 to 100")
	}
	from := 0
	if tok := q.Get("next_token"); tok != "" {
		if from, err = decodeToken(tok); err != nil || from > n {
			return page{}, failure(http.StatusBadRequest, "next_token is not valid")
		}
	}
	p := page{from: from, to: min(from+limit, n)}
	if p.to < n {
		p.next = encodeToken(p.to)
	}
	return p, nil
}

func encodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(offset)))
}

func decodeToken(tok string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	rest, ok := strings.CutPrefix(string(b), tokenPrefix)
	if !ok {
		return 0, strconv.ErrSyntax
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}
