package faillimit

import (
	"testing"
	"time"
)

// One bad key from one address is refused past the limit, a valid key never is (it is
// never counted), and the window's end forgives everything.
func TestABadKeyIsRefusedPastTheLimitUntilTheWindowEnds(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := New(3)
	for i := 1; i <= 3; i++ {
		if l.Blocked("10.0.0.1", "bad", now) {
			t.Fatalf("failure %d refused before the limit", i)
		}
		reached, quiet := l.Fail("10.0.0.1", "bad", now)
		if reached != (i == 3) || quiet {
			t.Fatalf("failure %d: reached %v, quiet %v", i, reached, quiet)
		}
	}
	if !l.Blocked("10.0.0.1", "bad", now) {
		t.Fatal("the bad key is not refused past the limit")
	}
	if l.Blocked("10.0.0.1", "other", now) || l.Blocked("10.0.0.2", "bad", now) {
		t.Fatal("the refusal is per key and address: another key, or another address, must pass")
	}
	if got := l.RetryIn(now.Add(20 * time.Second)); got != 40*time.Second {
		t.Fatalf("RetryIn = %s; want the 40s left of the window", got)
	}
	if l.Blocked("10.0.0.1", "bad", now.Add(time.Minute)) {
		t.Fatal("a new window must forgive the key")
	}
}

// An address rotating through bad keys stops getting log lines once past the limit.
func TestAnAddressPastTheLimitFailsQuietly(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := New(2)
	l.Fail("10.0.0.1", "a", now)
	l.Fail("10.0.0.1", "b", now)
	if _, quiet := l.Fail("10.0.0.1", "c", now); !quiet {
		t.Fatal("the third failure from one address must go unlogged")
	}
	if l.Blocked("10.0.0.1", "c", now) {
		t.Fatal("a key that failed once must not be refused for its neighbours' failures")
	}
}
