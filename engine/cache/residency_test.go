package cache

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// residency is what a page cache keeps of a working set that fits its
// budget: the share of the set resident after one Put of each key, and
// the miss ratios of a uniform and a zipfian stream of Gets (a miss Puts)
// after a warm-up.
type residency struct {
	resident, uniformMiss, zipfMiss float64
	alt                             float64 // share of the blocks held in their key's second set
}

// measureResidency fills a cache of slots slots with n distinct keys
// (dense: 0..n-1 as a fresh file's page ids; otherwise n ids drawn from
// [0, 4n), as a file with free pages) and measures its residency. If
// stale, the cache is first filled with blocks never asked for again (as
// the btree's cache holds pages its checkpoints have since rewritten
// elsewhere).
func measureResidency(t testing.TB, rng *rand.Rand, slots, n int, dense, stale bool) residency {
	t.Helper()
	const bs = 64
	c, err := NewPageCache[struct{}](int64(slots)*(bs+PageEntryOverhead), bs, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Capacity() != slots {
		t.Fatalf("capacity %d, want %d", c.Capacity(), slots)
	}
	keys := make([]uint64, n)
	if dense {
		for i := range keys {
			keys[i] = uint64(i)
		}
	} else {
		for i, id := range rng.Perm(4 * n)[:n] {
			keys[i] = uint64(id)
		}
	}
	rng.Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	blk := make([]byte, bs)
	if stale {
		for k := uint64(0); c.Len() < slots && k < uint64(100*slots); k++ {
			c.Put(k, 0, blk, struct{}{}) // version 0 is never asked for
		}
	}
	for _, k := range keys {
		c.Put(k, 1, blk, struct{}{})
	}
	var r residency
	r.resident = float64(heldOf(c, 1)) / float64(n)
	stream := func(next func() uint64) float64 {
		get := func() bool {
			k := next()
			if _, _, ok := c.Get(k, 1); ok {
				return true
			}
			c.Put(k, 1, blk, struct{}{})
			return false
		}
		for range 10 * n { // warm-up
			get()
		}
		misses, ops := 0, 20*n
		for range ops {
			if !get() {
				misses++
			}
		}
		return float64(misses) / float64(ops)
	}
	r.uniformMiss = stream(func() uint64 { return keys[rng.IntN(n)] })
	z := rand.NewZipf(rng, 1.01, 1, uint64(n-1)) // keys is shuffled: scrambled zipfian
	r.zipfMiss = stream(func() uint64 { return keys[z.Uint64()] })
	alt := 0
	for si := range c.sets {
		for w := 0; w < c.ways; w++ {
			if e := c.sets[si].slots[w].e.Load(); e != nil && c.set(e.key) != si {
				alt++
			}
		}
	}
	r.alt = float64(alt) / float64(c.Len())
	return r
}

// TestPageCacheResidency measures how much of a working set that fits the
// budget a PageCache keeps, at 60%, 80% and 95% of its capacity, for
// dense and scattered keys, and checks bounds on it: a set-associative
// table must not turn away a working set that its budget holds.
func TestPageCacheResidency(t *testing.T) {
	rng := newRand(t)
	slots := 1 << 14
	if testing.Short() {
		slots = 1 << 12
	}
	for _, tc := range []struct {
		fill     float64
		dense    bool
		stale    bool
		resident float64 // at least, after one Put of each key
		miss     float64 // at most, uniform stream after warm-up
	}{
		{0.60, true, false, 0.999, 0.001},
		{0.60, false, false, 0.999, 0.001},
		{0.80, true, false, 0.99, 0.001},
		{0.80, false, false, 0.99, 0.001},
		{0.95, true, false, 0.97, 0.01},
		{0.95, false, false, 0.97, 0.01},
		{0.60, false, true, 0, 0.001},
		{0.80, false, true, 0, 0.001},
		{0.95, false, true, 0, 0.02},
	} {
		name := fmt.Sprintf("fill=%.0f%%/dense=%v/stale=%v", 100*tc.fill, tc.dense, tc.stale)
		t.Run(name, func(t *testing.T) {
			r := measureResidency(t, rng, slots, int(tc.fill*float64(slots)), tc.dense, tc.stale)
			t.Logf("%d slots: %.2f%% resident; miss ratio uniform %.3f%%, zipfian %.3f%%; %.1f%% in the second set",
				slots, 100*r.resident, 100*r.uniformMiss, 100*r.zipfMiss, 100*r.alt)
			if r.resident < tc.resident || r.uniformMiss > tc.miss {
				t.Errorf("%.2f%% resident (want >= %.1f%%), uniform miss ratio %.3f%% (want <= %.1f%%)",
					100*r.resident, 100*tc.resident, 100*r.uniformMiss, 100*tc.miss)
			}
		})
	}
}

// heldOf returns the number of blocks of version v held by c, counted
// without touching their reference bits.
func heldOf[M any](c *PageCache[M], v uint64) int {
	n := 0
	for si := range c.sets {
		for w := 0; w < c.ways; w++ {
			if e := c.sets[si].slots[w].e.Load(); e != nil && e.version == v {
				n++
			}
		}
	}
	return n
}
