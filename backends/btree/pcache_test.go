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
	for _, tc := range []struct {
		budget int64
		pages  int
	}{
		{0, 0},
		{ps, 0}, // a page and its overhead do not fit
		{ps + cacheEntryOverhead, 1},
		{7 * (ps + cacheEntryOverhead), 7},
		{8 * (ps + cacheEntryOverhead), 8},
		{100 * (ps + cacheEntryOverhead), 96}, // whole sets of 8
	} {
		c := newPageCache(tc.budget, ps)
		if got := c.capacity(); got != tc.pages {
			t.Errorf("budget %d: capacity %d pages, want %d", tc.budget, got, tc.pages)
		}
		if int64(c.capacity())*(ps+cacheEntryOverhead) > tc.budget {
			t.Errorf("budget %d: %d pages exceed it", tc.budget, c.capacity())
		}
	}
	c := newPageCache(64*(ps+cacheEntryOverhead), ps)
	if _, ok := c.get(5, 1); ok {
		t.Fatal("hit in an empty cache")
	}
	p := cachePage(5, 1, ps)
	c.put(5, 1, p)
	if b, ok := c.get(5, 1); !ok || &b[0] != &p[0] {
		t.Fatal("miss after put")
	}
	if _, ok := c.get(5, 2); ok {
		t.Fatal("hit for another LSN of the page")
	}
	// A later LSN of the same page replaces the cached one.
	q := cachePage(5, 2, ps)
	c.put(5, 2, q)
	if _, ok := c.get(5, 1); ok {
		t.Fatal("the old LSN is still cached")
	}
	if b, ok := c.get(5, 2); !ok || &b[0] != &q[0] {
		t.Fatal("the new LSN is not cached")
	}
	// A second put of what is cached keeps the first buffer.
	c.put(5, 2, cachePage(5, 2, ps))
	if b, _ := c.get(5, 2); &b[0] != &q[0] {
		t.Fatal("a duplicate put replaced the cached buffer")
	}
	if c.bytes() != ps {
		t.Fatalf("%d bytes held, want %d", c.bytes(), ps)
	}
	var none *pageCache
	none.put(3, 1, p)
	if _, ok := none.get(3, 1); ok || none.capacity() != 0 || none.bytes() != 0 || none.evicted() != 0 {
		t.Fatal("a nil cache caches")
	}
}

// TestPageCacheBoundAndClock fills a cache with far more pages than it
// holds: it never holds more than its capacity, and a small set of pages
// hit between the insertions stays cached (CLOCK keeps what is used).
func TestPageCacheBoundAndClock(t *testing.T) {
	const ps = 4096
	c := newPageCache(256*(ps+cacheEntryOverhead), ps)
	hot := []uint64{2, 3, 4, 5}
	for _, id := range hot {
		c.put(id, 1, cachePage(id, 1, ps))
	}
	missed := 0
	for id := uint64(100); id < 5000; id++ {
		c.put(id, 1, cachePage(id, 1, ps))
		for _, h := range hot {
			if _, ok := c.get(h, 1); !ok {
				missed++
				c.put(h, 1, cachePage(h, 1, ps))
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
	c := newPageCache(64*(ps+cacheEntryOverhead), ps)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 5))
			for i := 0; i < 20000; i++ {
				id, lsn := 2+uint64(rng.IntN(200)), 1+uint64(rng.IntN(3))
				if b, ok := c.get(id, lsn); ok {
					if want := fmt.Sprintf("%d@%d", id, lsn); string(b[:len(want)]) != want {
						t.Errorf("get(%d, %d) returned %q", id, lsn, b[:len(want)])
						return
					}
				} else {
					c.put(id, lsn, cachePage(id, lsn, ps))
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
