package btree

import (
	"fmt"
	"testing"
)

func TestStripeOf(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 1000; i++ {
		s := stripeOf(fmt.Appendf(nil, "user%d", i*7919))
		if s < 0 || s >= stripes {
			t.Fatalf("stripe %d out of range", s)
		}
		seen[s] = true
	}
	if len(seen) < stripes/2 {
		t.Errorf("keys fall in only %d of %d stripes", len(seen), stripes)
	}
	if s := stripeOf(nil); s < 0 || s >= stripes {
		t.Fatalf("stripe of the empty key %d", s)
	}
}
