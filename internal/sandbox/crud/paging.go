package crud

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Paging is how an API pages its lists: by a limit and an opaque cursor, both
// query parameters. Without a limit the whole list is one page, so paging
// starts only when a caller asks for it.
type Paging struct {
	Limit, Cursor string // the query parameters' names
	Max           int    // the largest limit allowed
}

// Page is the slice [From, To) of a list, and the cursor for the next one
// (nil on the last page).
type Page struct {
	From, To int
	Next     any
}

// tokenPrefix makes the opaque cursor recognisable, so a token made up by a
// client, or taken from another API, is refused rather than misread.
const tokenPrefix = "sbx-offset:"

// Read picks the page of a list of n items the query asks for; an error is
// the caller's mistake, worded for the API's 400.
func (p Paging) Read(q url.Values, n int) (Page, error) {
	raw := q.Get(p.Limit)
	if raw == "" {
		if q.Get(p.Cursor) != "" {
			return Page{}, fmt.Errorf("%s is only valid together with %s", p.Cursor, p.Limit)
		}
		return Page{0, n, nil}, nil
	}
	limit, err := strconv.Atoi(raw)
	if err != nil || limit < 1 || limit > p.Max {
		return Page{}, fmt.Errorf("%s must be an integer from 1 to %d", p.Limit, p.Max)
	}
	from := 0
	if tok := q.Get(p.Cursor); tok != "" {
		if from, err = decodeToken(tok); err != nil || from > n {
			return Page{}, fmt.Errorf("%s is not valid", p.Cursor)
		}
	}
	pg := Page{From: from, To: min(from+limit, n)}
	if pg.To < n {
		pg.Next = encodeToken(pg.To)
	}
	return pg, nil
}

func encodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(offset)))
}

var errToken = errors.New("not a cursor this store made")

func decodeToken(tok string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	rest, ok := strings.CutPrefix(string(b), tokenPrefix)
	if !ok {
		return 0, errToken
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return 0, errToken
	}
	return n, nil
}
