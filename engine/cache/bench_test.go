package cache

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkGet measures the hit path over 16K cached 4 KiB blocks, with
// ristretto's counters on (the default) and off; run with -cpu 1,2.
func BenchmarkGet(b *testing.B) {
	for _, bc := range []struct {
		name string
		off  bool
	}{{"counters", false}, {"nocounters", true}} {
		b.Run(bc.name, func(b *testing.B) {
			const blocks = 1 << 14
			c, err := NewWithOptions(Options{Capacity: 2 * blocks * (4096 + EntryOverhead), NoCounters: bc.off})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			v := make([]byte, 4096)
			for i := range uint64(blocks) {
				for !c.Set(i%64, i*4096, v) {
					c.Wait()
				}
			}
			c.Wait()
			var seed atomic.Uint64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				x := seed.Add(1) * 0x9e3779b97f4a7c15
				for pb.Next() {
					x = x*6364136223846793005 + 1442695040888963407
					i := (x >> 40) % blocks
					if _, ok := c.Get(i%64, i*4096); !ok {
						b.Fatal("miss")
					}
				}
			})
		})
	}
}

// BenchmarkSet measures Set of new 4 KiB blocks into a full cache (each
// Set queues; the policy goroutine admits or rejects and evicts).
func BenchmarkSet(b *testing.B) {
	c, err := New(64 << 20)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	v := make([]byte, 4096)
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			c.Set(i%1024, i*4096, v)
		}
	})
	b.StopTimer()
	c.Wait()
	m := c.Metrics()
	b.ReportMetric(float64(m.SetsDropped)/float64(b.N), "dropped/op")
}

// BenchmarkRowGet measures the row cache's hit path over 64K cached rows
// (23-byte keys, 100-byte values); run with -cpu 1,2.
func BenchmarkRowGet(b *testing.B) {
	const rows = 1 << 16
	c, err := NewRowCache(16*rows*(128+RowEntryOverhead), 128)
	if err != nil {
		b.Fatal(err)
	}
	keys := make([][]byte, rows)
	v := make([]byte, 100)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "user%019d", mix64(uint64(i))%1e19)
		_, tok, _ := c.Get(keys[i])
		c.Fill(keys[i], v, tok)
	}
	hits := 0
	for _, k := range keys {
		if _, _, ok := c.Get(k); ok {
			hits++
		}
	}
	var seed atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		x := seed.Add(1) * 0x9e3779b97f4a7c15
		for pb.Next() {
			x = x*6364136223846793005 + 1442695040888963407
			c.Get(keys[(x>>40)%rows])
		}
	})
	b.ReportMetric(float64(hits)/rows, "hitratio")
}

// BenchmarkPageCacheGet measures the page cache's hit path with a
// pointer-and-int metadata value (the btree's shape) over 16K cached
// blocks: dense keys 0..16K-1 in a table of 32K slots, and 16K keys drawn
// from [0, 64K) (a file with free pages) in a table of 20K slots (80%
// full). Gets ask only for resident keys; hitratio is the share of the 16K
// that is resident. Run with -cpu 1,2.
func BenchmarkPageCacheGet(b *testing.B) {
	const blocks = 1 << 14
	for _, bc := range []struct {
		name  string
		slots int64
		dense bool
	}{{"dense50", 2 * blocks, true}, {"scattered80", blocks * 5 / 4, false}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := NewPageCache[testMeta](bc.slots*(4096+PageEntryOverhead+16), 4096, 0)
			if err != nil {
				b.Fatal(err)
			}
			rng := newRandSeed(1)
			keys := make([]uint64, blocks)
			for i, id := range rng.Perm(4 * blocks)[:blocks] {
				keys[i] = uint64(i)
				if !bc.dense {
					keys[i] = uint64(id)
				}
			}
			blk := make([]byte, 4096)
			for i, k := range keys {
				c.Put(k, 7, blk, testMeta{n: i})
			}
			resident := keys[:0:0]
			for _, k := range keys {
				if _, _, ok := c.Get(k, 7); ok {
					resident = append(resident, k)
				}
			}
			var seed atomic.Uint64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				x := seed.Add(1) * 0x9e3779b97f4a7c15
				for pb.Next() {
					x = x*6364136223846793005 + 1442695040888963407
					c.Get(resident[(x>>40)%uint64(len(resident))], 7)
				}
			})
			b.ReportMetric(float64(len(resident))/blocks, "hitratio")
		})
	}
}

// BenchmarkPageCachePut measures Put of new keys into a cache of 16K
// blocks, full after the first 16K Puts (then each Put evicts by CLOCK).
// Every Put shares one block: the cost is the cache's, not the
// allocation of a block.
func BenchmarkPageCachePut(b *testing.B) {
	const blocks = 1 << 14
	c, err := NewPageCache[testMeta](blocks*(4096+PageEntryOverhead+16), 4096, 0)
	if err != nil {
		b.Fatal(err)
	}
	v := make([]byte, 4096)
	var next atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Put(next.Add(1), 1, v, testMeta{})
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(c.Evictions())/float64(b.N), "evictions/op")
}
