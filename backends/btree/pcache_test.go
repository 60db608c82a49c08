package btree

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

func cachePage(id, lsn uint64, size int) []byte {
	b := make([]byte, size)
	copy(b, fmt.Sprintf("%d@%d", id, lsn))
	return b
}

func TestPageCacheBasics(t *testing.T) {
	const ps = 4096
	slot := int64(slotCost(ps))
	for _, tc := range []struct {
		budget int64
		pages  int
	}{
		{0, 0},
		{ps, 0}, // a page and its overheads do not fit
		{slot, 1},
		{3 * slot, 3},
		{4 * slot, 4},
		{7 * slot, 4},
		{100 * slot, 100}, // whole sets of 4
	} {
		c := newPageCache(tc.budget, ps)
		if got := c.capacity(); got != tc.pages {
			t.Errorf("budget %d: capacity %d pages, want %d", tc.budget, got, tc.pages)
		}
		if int64(c.capacity())*slot > tc.budget {
			t.Errorf("budget %d: %d pages exceed it", tc.budget, c.capacity())
		}
	}
	c := newPageCache(64*slot, ps)
	if _, ok := c.get(5, 1); ok {
		t.Fatal("hit in an empty cache")
	}
	p := cachePage(5, 1, ps)
	c.put(5, 1, pageView{b: p})
	if v, ok := c.get(5, 1); !ok || &v.b[0] != &p[0] {
		t.Fatal("miss after put")
	}
	if _, ok := c.get(5, 2); ok {
		t.Fatal("hit for another LSN of the page")
	}
	// A later LSN of the same page replaces the cached one.
	q := cachePage(5, 2, ps)
	c.put(5, 2, pageView{b: q})
	if _, ok := c.get(5, 1); ok {
		t.Fatal("the old LSN is still cached")
	}
	if v, ok := c.get(5, 2); !ok || &v.b[0] != &q[0] {
		t.Fatal("the new LSN is not cached")
	}
	// A second put of what is cached keeps the first buffer.
	c.put(5, 2, pageView{b: cachePage(5, 2, ps)})
	if v, _ := c.get(5, 2); &v.b[0] != &q[0] {
		t.Fatal("a duplicate put replaced the cached buffer")
	}
	if c.bytes() != ps {
		t.Fatalf("%d bytes held, want %d", c.bytes(), ps)
	}
	var none *pageCache
	none.put(3, 1, pageView{b: p})
	if _, ok := none.get(3, 1); ok || none.capacity() != 0 || none.bytes() != 0 || none.evicted() != 0 {
		t.Fatal("a nil cache caches")
	}
}

// TestPageCacheBoundAndClock fills a cache with far more pages than it
// holds: it never holds more than its capacity, and a small set of pages
// hit between the insertions stays cached (CLOCK keeps what is used).
func TestPageCacheBoundAndClock(t *testing.T) {
	const ps = 4096
	c := newPageCache(256*int64(slotCost(ps)), ps)
	hot := []uint64{2, 3, 4, 5}
	for _, id := range hot {
		c.put(id, 1, pageView{b: cachePage(id, 1, ps)})
	}
	missed := 0
	for id := uint64(100); id < 5000; id++ {
		c.put(id, 1, pageView{b: cachePage(id, 1, ps)})
		for _, h := range hot {
			if _, ok := c.get(h, 1); !ok {
				missed++
				c.put(h, 1, pageView{b: cachePage(h, 1, ps)})
			}
		}
		if held := c.resident.Load(); held > int64(c.capacity()) {
			t.Fatalf("%d pages held, capacity %d", held, c.capacity())
		}
	}
	if missed > 0 {
		t.Errorf("pages hit after every insertion were evicted %d times", missed)
	}
	if c.evicted() == 0 || c.bytes() != int64(c.capacity())*ps {
		t.Errorf("evictions %d, %d bytes held of %d", c.evicted(), c.bytes(), int64(c.capacity())*ps)
	}
}

// TestPageCacheConcurrent reads and inserts from many goroutines (run
// with -race): a hit always returns the bytes of the page and LSN asked
// for.
func TestPageCacheConcurrent(t *testing.T) {
	const ps = 4096
	c := newPageCache(64*int64(slotCost(ps)), ps)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 5))
			for i := 0; i < 20000; i++ {
				id, lsn := 2+uint64(rng.IntN(200)), 1+uint64(rng.IntN(3))
				if v, ok := c.get(id, lsn); ok {
					if want := fmt.Sprintf("%d@%d", id, lsn); string(v.b[:len(want)]) != want {
						t.Errorf("get(%d, %d) returned %q", id, lsn, v.b[:len(want)])
						return
					}
				} else {
					c.put(id, lsn, pageView{b: cachePage(id, lsn, ps)})
				}
			}
		}(g)
	}
	wg.Wait()
	if held := c.resident.Load(); held > int64(c.capacity()) {
		t.Fatalf("%d pages held, capacity %d", held, c.capacity())
	}
}

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
