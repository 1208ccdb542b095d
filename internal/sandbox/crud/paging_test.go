package crud

import (
	"net/url"
	"testing"
)

var testPaging = Paging{Limit: "limit", Cursor: "next", Max: 10}

func TestPagesFollowTheirCursorsToTheEnd(t *testing.T) {
	var seen []int
	q := url.Values{"limit": {"4"}}
	for range 10 {
		p, err := testPaging.Read(q, 10)
		if err != nil {
			t.Fatal(err)
		}
		for i := p.From; i < p.To; i++ {
			seen = append(seen, i)
		}
		if p.Next == nil {
			break
		}
		q.Set("next", p.Next.(string))
	}
	if len(seen) != 10 || seen[9] != 9 {
		t.Fatalf("paged through %v, want 0 to 9 once each", seen)
	}
}

func TestWithoutALimitTheWholeListIsOnePage(t *testing.T) {
	p, err := testPaging.Read(url.Values{}, 7)
	if err != nil || p.From != 0 || p.To != 7 || p.Next != nil {
		t.Fatalf("got %+v, %v", p, err)
	}
}

func TestBadPagingIsRefused(t *testing.T) {
	first, _ := testPaging.Read(url.Values{"limit": {"2"}}, 5)
	for _, q := range []string{"limit=0", "limit=11", "limit=x", "limit=2&next=bm9wZQ", "next=" + first.Next.(string),
		"limit=2&next=" + encodeToken(6)} {
		v, _ := url.ParseQuery(q)
		if _, err := testPaging.Read(v, 5); err == nil {
			t.Errorf("%s: accepted", q)
		}
	}
}
