package btree

import (
	"fmt"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
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

// TestCacheMetrics checks the page cache figures of Metrics on a cold
// cache: a Get of a key misses once per level and reads those pages from
// the file, the same Get again hits once per level, and the byte, page and
// eviction counts are those of the cache.
func TestCacheMetrics(t *testing.T) {
	fs := vfs.NewMem()
	opts := testOptions(fs)
	db := mustOpen(t, "db", opts)
	const n = 3000
	key := func(i int) []byte { return fmt.Appendf(nil, "key%06d", i) }
	for i := range n {
		must(t, "Set", db.Set(key(i), []byte("value"), engine.NoSync))
	}
	must(t, "Flush", db.Flush())
	must(t, "Close", db.Close())

	opts.CacheSize = 5 * cacheCharge(t) // one set of 4 pages
	db = mustOpen(t, "db", opts)
	defer db.Close()
	m0 := db.Metrics()
	height := uint64(m0.Extra["btree.height"])
	if height < 2 {
		t.Fatalf("tree of height %d: the test needs branch pages", height)
	}
	if got := m0.Extra["btree.cache.pages"]; got != 4 {
		t.Fatalf("btree.cache.pages = %v, want 4", got)
	}
	_, err := db.Get(key(n/2), nil)
	must(t, "Get", err)
	m1 := db.Metrics()
	if m1.Gets-m0.Gets != 1 || m1.CacheMisses-m0.CacheMisses != height || m1.CacheHits != m0.CacheHits {
		t.Fatalf("cold Get: %d gets, %d misses, %d hits; want 1, %d, 0", m1.Gets-m0.Gets, m1.CacheMisses-m0.CacheMisses, m1.CacheHits-m0.CacheHits, height)
	}
	if d := m1.Extra["btree.pages.read"] - m0.Extra["btree.pages.read"]; d != float64(height) {
		t.Fatalf("cold Get read %v pages, want %d", d, height)
	}
	if m1.CacheBytes != m0.CacheBytes+height*4096 {
		t.Fatalf("cache holds %d bytes after a cold Get, want %d", m1.CacheBytes, m0.CacheBytes+height*4096)
	}
	_, err = db.Get(key(n/2), nil)
	must(t, "Get", err)
	m2 := db.Metrics()
	if m2.CacheHits-m1.CacheHits != height || m2.CacheMisses != m1.CacheMisses {
		t.Fatalf("warm Get: %d hits, %d misses; want %d, 0", m2.CacheHits-m1.CacheHits, m2.CacheMisses-m1.CacheMisses, height)
	}
	want := float64(m2.CacheHits) / float64(m2.CacheHits+m2.CacheMisses)
	if r := m2.Extra["btree.cache.hit_ratio"]; r != want || m2.CacheHitRatio() != want {
		t.Fatalf("hit ratio %v (Extra) and %v, want %v", r, m2.CacheHitRatio(), want)
	}
	for i := 0; i < n; i += 7 {
		_, err := db.Get(key(i), nil)
		must(t, "Get", err)
	}
	m3 := db.Metrics()
	if m3.Extra["btree.cache.evictions"] == 0 || m3.CacheBytes != 4*4096 {
		t.Fatalf("after reading every 7th key: %v evictions, cache holds %d bytes; want some, and 4 pages", m3.Extra["btree.cache.evictions"], m3.CacheBytes)
	}
}

// cacheCharge returns what the page cache charges for one 4 KiB page
// (the page size of testOptions).
func cacheCharge(t *testing.T) int64 {
	t.Helper()
	c, err := newPageCache(1, 4096)
	must(t, "newPageCache", err)
	return c.Charge()
}
