package cache

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// A Set of an identity already cached (two readers that missed the same
// block, each with its own buffer) must leave the charged bytes those of
// the cached value: ristretto's policy re-charges an existing key with the
// new item's cost while its store keeps the old value, so without care the
// accounting follows the ignored value — under-charging a big cached
// buffer, or over-charging past the capacity.
func TestDuplicateSetKeepsAccounting(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second int // capacities of the two values
	}{
		{"smaller second", 64 << 10, 16},
		{"larger second", 16, 64 << 10},
		{"equal", 4096, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustNew(t, 1<<20)
			a := make([]byte, 10, tc.first)
			if !c.Set(1, 0, a) {
				t.Fatal("Set refused")
			}
			c.Wait()
			if got := c.Metrics().BytesUsed; got != Cost(a) {
				t.Fatalf("after the first Set: BytesUsed %d, want %d", got, Cost(a))
			}
			b := make([]byte, 10, tc.second)
			c.Set(1, 0, b)
			c.Wait()
			if v, ok := c.Get(1, 0); !ok || cap(v) != tc.first {
				t.Fatalf("cached value replaced or lost: cap %d, %v", cap(v), ok)
			}
			m := c.Metrics()
			if m.BytesUsed != Cost(a) || m.Pending != 0 {
				t.Fatalf("after a duplicate Set: BytesUsed %d (want %d), Pending %d", m.BytesUsed, Cost(a), m.Pending)
			}
			// Deleting the entry returns exactly its charge.
			c.Del(1, 0)
			c.Wait()
			if m := c.Metrics(); m.BytesUsed != 0 {
				t.Fatalf("after Del: BytesUsed %d, want 0", m.BytesUsed)
			}
		})
	}
}

// The same at random, through hash collisions and a full cache: after
// every Set the charged total is exactly the cost of the values Get can
// return, and never passes the capacity.
func TestDuplicateSetsExactAccounting(t *testing.T) {
	rng := newRand(t)
	const capacity = 256 << 10
	c := mustNew(t, capacity)
	type id struct{ file, off uint64 }
	var ids []id
	for file := range uint64(3) {
		for off := range uint64(16) {
			ids = append(ids, id{file, off * 4096})
			// A colliding identity: another block, the same ristretto key.
			ids = append(ids, id{file + 100, collide(file, off*4096, file+100)})
		}
	}
	ops := 2000
	if testing.Short() {
		ops = 500
	}
	for i := range ops {
		k := ids[rng.IntN(len(ids))]
		c.Set(k.file, k.off, make([]byte, 100, 100+rng.IntN(capacity/4)))
		c.Wait()
		var want int64
		for _, k := range ids {
			if v, ok := c.Get(k.file, k.off); ok {
				want += Cost(v)
			}
		}
		if m := c.Metrics(); m.BytesUsed != want || m.BytesUsed > capacity {
			t.Fatalf("op %d: BytesUsed %d, cached values cost %d, capacity %d", i, m.BytesUsed, want, capacity)
		}
	}
	for _, k := range ids {
		c.Del(k.file, k.off)
	}
	c.Wait()
	if m := c.Metrics(); m.BytesUsed != 0 {
		t.Fatalf("after deleting every identity: BytesUsed %d, want 0 (%s)", m.BytesUsed, fmt.Sprint(m))
	}
}

// Close stops ristretto's goroutines: none outlives its cache.
func TestCloseLeaksNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := range 10 {
		c, err := New(1 << 20)
		if err != nil {
			t.Fatal(err)
		}
		for j := range 100 {
			c.Set(uint64(i), uint64(j), make([]byte, 100))
		}
		c.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after closing every cache:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}
