package ledger

import (
	"reflect"
	"testing"
	"time"
)

// The books must stay invisible to the garbage collector: a pointer in either queue's
// element type makes it scan every admission counted, on every cycle.
func TestQueuesHoldNoPointers(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[admission](), reflect.TypeFor[release]()} {
		for i := range typ.NumField() {
			switch f := typ.Field(i); f.Type.Kind() {
			case reflect.Bool, reflect.Int32, reflect.Int64, reflect.Uint64:
			default:
				t.Errorf("%s.%s is a %s: the queues must hold plain values", typ.Name(), f.Name, f.Type)
			}
		}
	}
}

func TestTicketIDs(t *testing.T) {
	l := New("test")
	a := l.Admit("a", 2, 100)
	b := l.Admit("b", 3, 100)
	if a == b {
		t.Fatalf("two admissions got one id %q", a)
	}
	other := New("test").Admit("a", 2, 100)
	for _, id := range []string{other, "", "x", l.ids, l.ids + "-1", l.ids + "99", l.ids + "18446744073709551616"} {
		l.Settle(id, 50) // not this ledger's admissions: ignored
	}
	if got := len(l.settled); got != 0 {
		t.Fatalf("foreign ids settled %d admissions", got)
	}
	l.Settle(a, 50)
	l.Settle(a, 10) // settled already: the first answer stands
	if len(l.settled) != 1 || l.settled[0].expires != 50 {
		t.Fatalf("settled = %+v, want one release at 50", l.settled)
	}
	l.Settle(b, 500) // never counted longer than it already was
	l.Evict(60)
	if l.Used() != 3 || l.CallerUsed("a") != 0 || l.CallerUsed("b") != 3 {
		t.Fatalf("at 60: used %d, a %d, b %d; want 3, 0, 3", l.Used(), l.CallerUsed("a"), l.CallerUsed("b"))
	}
	l.Evict(100)
	if l.Used() != 0 || len(l.ByCaller()) != 0 {
		t.Fatalf("at 100: used %d, by caller %v; want nothing", l.Used(), l.ByCaller())
	}
	c := l.Admit("a", 1, 300)
	l.Evict(300) // released unanswered
	l.Settle(c, 200)
	if l.Used() != 0 || len(l.settled) != 0 {
		t.Fatalf("a released admission was settled: used %d, settled %+v", l.Used(), l.settled)
	}
}

// An unanswered admission ahead keeps the answered ones behind it in the queue; each is
// still released at its own time, once.
func TestSettledBehindUnansweredAreReleasedOnce(t *testing.T) {
	l := New("test")
	slow := l.Admit("slow", 5, 1000)
	ids := []string{l.Admit("a", 1, 1000), l.Admit("a", 1, 1000)}
	for _, id := range ids {
		l.Settle(id, 100)
	}
	if d := l.FreeIn(0, 2, 10_000, "a"); d != 100*time.Microsecond {
		t.Fatalf("FreeIn(a, 2) = %v, want 100µs", d)
	}
	if d := l.FreeIn(0, 7, 500, ""); d != 500*time.Microsecond {
		t.Fatalf("FreeIn(7) = %v, want 500µs (the unanswered one, assumed answered now)", d)
	}
	l.Evict(100)
	if l.Used() != 5 || len(l.inflight) != 3 {
		t.Fatalf("at 100: used %d with %d in flight; want 5 with 3 (the slow one holds the queue)", l.Used(), len(l.inflight))
	}
	l.Settle(slow, 200)
	l.Evict(200)
	if l.Used() != 0 || len(l.inflight) != 0 || len(l.settled) != 0 {
		t.Fatalf("at 200: used %d, %d in flight, %d settled; want all released", l.Used(), len(l.inflight), len(l.settled))
	}
}
