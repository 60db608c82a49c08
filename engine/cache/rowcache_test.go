package cache

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

func mustRow(t testing.TB, capacity int64, maxEntry int) *RowCache {
	t.Helper()
	c, err := NewRowCache(capacity, maxEntry)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRowCacheBasic(t *testing.T) {
	c := mustRow(t, 1<<20, 0)
	k := []byte("user42")
	if _, _, ok := c.Get(k); ok {
		t.Fatal("hit in an empty cache")
	}
	_, tok, _ := c.Get(k)
	val := []byte("v1")
	c.Fill(k, val, tok)
	val[0] = 'X' // Fill copied it
	if v, _, ok := c.Get(k); !ok || string(v) != "v1" {
		t.Fatalf("Get after Fill = %q, %v", v, ok)
	}
	if _, _, ok := c.Get([]byte("user43")); ok {
		t.Fatal("hit for another key")
	}
	c.Invalidate(k)
	if v, _, ok := c.Get(k); ok {
		t.Fatalf("hit after Invalidate: %q", v)
	}
	// A token taken before an Invalidate is worthless.
	_, stale, _ := c.Get(k)
	c.Invalidate(k)
	c.Fill(k, []byte("stale"), stale)
	if v, _, ok := c.Get(k); ok {
		t.Fatalf("Fill with a stale token visible: %q", v)
	}
	// A token of another key is refused.
	_, other, _ := c.Get([]byte("other"))
	c.Fill(k, []byte("v2"), other)
	if v, _, ok := c.Get(k); ok {
		t.Fatalf("Fill with another key's token visible: %q", v)
	}
	// Rows over the limit are not cached.
	_, tok, _ = c.Get(k)
	c.Fill(k, make([]byte, DefaultRowMaxEntry), tok)
	if _, _, ok := c.Get(k); ok {
		t.Fatal("row over the size limit cached")
	}
	// A fresh fill replaces the key's own row.
	_, tok, _ = c.Get(k)
	c.Fill(k, []byte("a"), tok)
	c.Fill(k, []byte("b"), tok)
	if v, _, ok := c.Get(k); !ok || string(v) != "b" {
		t.Fatalf("refill = %q, %v", v, ok)
	}
}

func TestRowCacheNoCache(t *testing.T) {
	var nilCache *RowCache
	tiny := mustRow(t, 10, 0)
	for name, c := range map[string]*RowCache{"nil": nilCache, "tiny": tiny} {
		t.Run(name, func(t *testing.T) {
			_, tok, ok := c.Get([]byte("k"))
			if ok {
				t.Fatal("hit")
			}
			c.Fill([]byte("k"), []byte("v"), tok)
			c.Invalidate([]byte("k"))
			if _, _, ok := c.Get([]byte("k")); ok || c.Sets() != 0 {
				t.Fatal("a no-op cache cached")
			}
		})
	}
	if _, err := NewRowCache(-1, 0); err == nil {
		t.Fatal("negative capacity accepted")
	}
	if _, err := NewRowCache(1<<20, -1); err == nil {
		t.Fatal("negative row limit accepted")
	}
}

func TestRowCacheSizing(t *testing.T) {
	for _, tc := range []struct {
		capacity int64
		maxEntry int
		sets     int
	}{
		{0, 0, 0},
		{2*(DefaultRowMaxEntry+RowEntryOverhead) - 1, 0, 0},
		{2 * (DefaultRowMaxEntry + RowEntryOverhead), 0, 1},
		{1 << 20, 0, 1024}, // 1 MiB / 640 = 1638 → 1024
		{1 << 20, 64, 4096},
		// Limits so large that the per-set size overflows int64: nothing
		// fits, and NewRowCache must say so rather than divide by zero.
		{1 << 40, math.MaxInt - 63, 0},
		{1 << 40, math.MaxInt, 0},
		{math.MaxInt64, math.MaxInt/2 - 10, 0},
		{math.MaxInt64, math.MaxInt/2 + 1, 0},
	} {
		if got := mustRow(t, tc.capacity, tc.maxEntry).Sets(); got != tc.sets {
			t.Errorf("NewRowCache(%d, %d).Sets() = %d, want %d", tc.capacity, tc.maxEntry, got, tc.sets)
		}
	}
}

// TestRowCacheRandom fills many more keys than the cache holds, with
// random invalidations, and checks that every hit is the backend's current
// value.
func TestRowCacheRandom(t *testing.T) {
	r := newRand(t)
	c := mustRow(t, 8<<10, 32) // 64 sets: constant conflicts
	backend := map[string]string{}
	hits := 0
	for i := range 20000 {
		k := fmt.Sprint("k", r.IntN(500))
		if r.IntN(10) == 0 {
			backend[k] = fmt.Sprint("v", i)
			c.Invalidate([]byte(k))
			continue
		}
		v, tok, ok := c.Get([]byte(k))
		if ok {
			hits++
			if string(v) != backend[k] {
				t.Fatalf("op %d: Get(%s) = %q, backend has %q", i, k, v, backend[k])
			}
			continue
		}
		c.Fill([]byte(k), []byte(backend[k]), tok)
	}
	if hits == 0 {
		t.Fatal("no hits: the test exercised nothing")
	}
	t.Logf("%d hits", hits)
}

// TestRowCacheConcurrentNoStaleRead runs writers and readers on a few hot
// keys. A writer updates the backend, invalidates, then acknowledges; a
// reader notes the acknowledged version before its Get and fails if a hit
// returns anything older.
func TestRowCacheConcurrentNoStaleRead(t *testing.T) {
	const keys = 8
	c := mustRow(t, 4<<10, 32) // few sets: keys share them
	var version, acked [keys]atomic.Uint64
	key := func(i int) []byte { return []byte{'k', byte(i)} }
	n := 20000
	if testing.Short() {
		n = 5000
	}
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	var hits atomic.Int64
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				k := (i*7 + w) % keys
				v := version[k].Add(1) // the write, visible to new reads
				c.Invalidate(key(k))
				for { // acknowledge: acked only grows
					a := acked[k].Load()
					if a >= v || acked[k].CompareAndSwap(a, v) {
						break
					}
				}
			}
		}()
	}
	for rd := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf [8]byte
			for i := range n {
				k := (i*5 + rd) % keys
				floor := acked[k].Load()
				v, tok, ok := c.Get(key(k))
				if ok {
					hits.Add(1)
					if got := binary.LittleEndian.Uint64(v); got < floor {
						errc <- fmt.Errorf("key %d: read version %d after version %d was acknowledged", k, got, floor)
						return
					}
					continue
				}
				binary.LittleEndian.PutUint64(buf[:], version[k].Load())
				c.Fill(key(k), buf[:], tok)
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	t.Logf("%d hits", hits.Load())
}

// TestRowCacheMemoryBound fills every way with maximal rows and checks the
// heap growth against the capacity.
func TestRowCacheMemoryBound(t *testing.T) {
	const capacity = 4 << 20
	base := heapAlloc()
	c := mustRow(t, capacity, 0)
	v := make([]byte, DefaultRowMaxEntry-16)
	for i := range 8 * c.Sets() {
		k := fmt.Appendf(nil, "key%013d", i)
		_, tok, _ := c.Get(k)
		c.Fill(k, v, tok)
	}
	used := heapAlloc() - base
	t.Logf("heap over baseline %d bytes for capacity %d", used, capacity)
	if used > capacity {
		t.Fatalf("heap grew by %d bytes, capacity %d", used, capacity)
	}
	runtime.KeepAlive(c)
}
