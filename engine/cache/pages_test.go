package cache

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
)

// testMeta is the metadata of the tests' page caches: a pointer, so that
// metaSize matters, and a number checked on every hit.
type testMeta struct {
	tag *[112]byte
	n   int
}

func newPages(t testing.TB, capacity int64, blockSize int) *PageCache[testMeta] {
	t.Helper()
	c, err := NewPageCache[testMeta](capacity, blockSize, 112)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// block returns a block of size bytes naming key and version.
func block(key, version uint64, size int) []byte {
	b := make([]byte, size)
	copy(b, fmt.Sprintf("%d@%d", key, version))
	return b
}

func TestNewPageCacheErrors(t *testing.T) {
	for _, tc := range []struct {
		capacity        int64
		blockSize, meta int64
		invalidCapacity bool
		wantErr         bool
	}{
		{-1, 4096, 0, true, true},
		{1 << 20, 0, 0, false, true},
		{1 << 20, -5, 0, false, true},
		{1 << 20, 4096, -1, false, true},
		{1 << 20, 1 << 41, 0, false, true},
		{1 << 20, 4096, 1 << 41, false, true},
		{0, 4096, 0, false, false},
		{1 << 50, 1 << 40, 1 << 40, false, false}, // the largest sizes: 512 slots
	} {
		if tc.blockSize > math.MaxInt || tc.meta > math.MaxInt {
			continue // a 32-bit int cannot say it
		}
		_, err := NewPageCache[struct{}](tc.capacity, int(tc.blockSize), int(tc.meta))
		if (err != nil) != tc.wantErr || errors.Is(err, ErrInvalidCapacity) != tc.invalidCapacity {
			t.Errorf("NewPageCache(%d, %d, %d): %v", tc.capacity, tc.blockSize, tc.meta, err)
		}
	}
}

func TestPageCacheCapacity(t *testing.T) {
	const bs = 4096
	charge := int64(bs + 112 + PageEntryOverhead + 16) // testMeta is 16 bytes
	if got := newPages(t, 1, bs).Charge(); got != charge {
		t.Fatalf("charge %d, want %d", got, charge)
	}
	for _, tc := range []struct {
		capacity int64
		blocks   int
	}{
		{0, 0},
		{bs, 0}, // a block and its overheads do not fit
		{charge - 1, 0},
		{charge, 1},
		{3 * charge, 3},
		{4 * charge, 4},
		{7 * charge, 4}, // whole sets of 4
		{100 * charge, 100},
		{101 * charge, 100},
	} {
		c := newPages(t, tc.capacity, bs)
		if got := c.Capacity(); got != tc.blocks {
			t.Errorf("capacity %d: %d blocks, want %d", tc.capacity, got, tc.blocks)
		}
		if int64(c.Capacity())*charge > tc.capacity {
			t.Errorf("capacity %d: %d blocks exceed it", tc.capacity, c.Capacity())
		}
	}
}

func TestPageCacheBasics(t *testing.T) {
	const bs = 4096
	c := newPages(t, 64*newPages(t, 1, bs).Charge(), bs)
	if _, _, ok := c.Get(5, 1); ok {
		t.Fatal("hit in an empty cache")
	}
	p := block(5, 1, bs)
	if !c.Put(5, 1, p, testMeta{n: 51}) {
		t.Fatal("Put refused a block")
	}
	if b, m, ok := c.Get(5, 1); !ok || &b[0] != &p[0] || m.n != 51 {
		t.Fatal("miss after Put")
	}
	if _, _, ok := c.Get(5, 2); ok {
		t.Fatal("hit for another version of the key")
	}
	// A later version of the same key replaces the cached one.
	q := block(5, 2, bs)
	c.Put(5, 2, q, testMeta{n: 52})
	if _, _, ok := c.Get(5, 1); ok {
		t.Fatal("the old version is still cached")
	}
	if b, m, ok := c.Get(5, 2); !ok || &b[0] != &q[0] || m.n != 52 {
		t.Fatal("the new version is not cached")
	}
	// A second Put of what is cached keeps the first block.
	if !c.Put(5, 2, block(5, 2, bs), testMeta{n: 99}) {
		t.Fatal("a duplicate Put reports the key not cached")
	}
	if b, m, _ := c.Get(5, 2); &b[0] != &q[0] || m.n != 52 {
		t.Fatal("a duplicate Put replaced the cached block")
	}
	// Key 0 and the largest key are keys like any other.
	for _, k := range []uint64{0, math.MaxUint64} {
		if _, _, ok := c.Get(k, 0); ok {
			t.Fatalf("key %d: hit before Put", k)
		}
		c.Put(k, 0, block(k, 0, bs), testMeta{})
		if b, _, ok := c.Get(k, 0); !ok || string(b[:len(fmt.Sprint(k))]) != fmt.Sprint(k) {
			t.Fatalf("key %d: miss after Put", k)
		}
	}
	// A block whose capacity passes the block size is refused; a shorter
	// one is charged by its capacity.
	if c.Put(7, 1, make([]byte, 10, bs+1), testMeta{}) {
		t.Fatal("Put accepted a block larger than the block size")
	}
	if _, _, ok := c.Get(7, 1); ok {
		t.Fatal("an oversized block is cached")
	}
	c.Put(8, 1, make([]byte, 10, 100), testMeta{})
	if c.Len() != 4 || c.Bytes() != 3*bs+100 {
		t.Fatalf("%d blocks of %d bytes held, want 4 of %d", c.Len(), c.Bytes(), 3*bs+100)
	}
	var none *PageCache[testMeta]
	if none.Put(3, 1, p, testMeta{}) {
		t.Fatal("a nil cache accepted a block")
	}
	if _, _, ok := none.Get(3, 1); ok || none.Capacity() != 0 || none.Len() != 0 || none.Bytes() != 0 || none.Evictions() != 0 || none.Charge() != 0 {
		t.Fatal("a nil cache caches")
	}
	zero := newPages(t, 0, bs)
	if zero.Put(3, 1, p, testMeta{}) {
		t.Fatal("a zero-capacity cache accepted a block")
	}
	if _, _, ok := zero.Get(3, 1); ok {
		t.Fatal("a zero-capacity cache caches")
	}
}

// TestPageCacheBoundAndClock fills a cache with far more blocks than it
// holds: it never holds more than its capacity, and a few blocks hit
// between the insertions stay cached (CLOCK keeps what is used).
func TestPageCacheBoundAndClock(t *testing.T) {
	const bs = 4096
	c := newPages(t, 256*newPages(t, 1, bs).Charge(), bs)
	hot := []uint64{2, 3, 4, 5}
	for _, k := range hot {
		c.Put(k, 1, block(k, 1, bs), testMeta{})
	}
	missed := 0
	for k := uint64(100); k < 5000; k++ {
		c.Put(k, 1, block(k, 1, bs), testMeta{})
		for _, h := range hot {
			if _, _, ok := c.Get(h, 1); !ok {
				missed++
				c.Put(h, 1, block(h, 1, bs), testMeta{})
			}
		}
		if c.Len() > c.Capacity() {
			t.Fatalf("%d blocks held, capacity %d", c.Len(), c.Capacity())
		}
	}
	if missed > 0 {
		t.Errorf("blocks hit after every insertion were evicted %d times", missed)
	}
	if c.Evictions() == 0 || c.Len() != c.Capacity() || c.Bytes() != int64(c.Capacity())*bs {
		t.Errorf("evictions %d, %d blocks (%d bytes) held of %d", c.Evictions(), c.Len(), c.Bytes(), c.Capacity())
	}
}

// TestPageCacheModel runs a seeded random sequence of Puts and Gets of a
// few versions of many keys against a model of what each key's cached
// block must be: a hit returns exactly the block and metadata last put
// for that (key, version), another version of a cached key misses, and
// Len and Bytes are those of the blocks Get can return.
func TestPageCacheModel(t *testing.T) {
	rng := newRand(t)
	const bs = 512
	c := newPages(t, 40*newPages(t, 1, bs).Charge(), bs)
	type cached struct {
		version uint64
		block   []byte
		n       int
	}
	model := map[uint64]cached{} // the block each key would return if still cached
	const keys = 200
	ops := 20000
	if testing.Short() {
		ops = 4000
	}
	for i := range ops {
		k, v := uint64(rng.IntN(keys))*0x100000001, uint64(rng.IntN(3))
		if rng.IntN(2) == 0 {
			size := 1 + rng.IntN(bs+bs/2) // a third of them too large
			b := make([]byte, 1+rng.IntN(size), size)
			if _, _, ok := c.Get(k, v); ok {
				c.Put(k, v, b, testMeta{n: i}) // kept the cached block
			} else if c.Put(k, v, b, testMeta{n: i}) {
				model[k] = cached{v, b, i}
			} else if cap(b) <= bs {
				t.Fatalf("op %d: Put(%d, %d) of %d bytes refused", i, k, v, cap(b))
			}
		} else if b, m, ok := c.Get(k, v); ok {
			w := model[k]
			if w.version != v || &b[:1][0] != &w.block[:1][0] || m.n != w.n {
				t.Fatalf("op %d: Get(%d, %d) returned another block (model: version %d, put by op %d; got op %d)", i, k, v, w.version, w.n, m.n)
			}
		}
		if i%97 == 0 || i == ops-1 {
			held, bytes := 0, int64(0)
			for k, w := range model {
				if b, _, ok := c.Get(k, w.version); ok {
					held++
					bytes += int64(cap(b))
				}
				for other := range uint64(3) {
					if _, _, ok := c.Get(k, other); ok && other != w.version {
						t.Fatalf("op %d: key %d cached at versions %d and %d", i, k, other, w.version)
					}
				}
			}
			if held != c.Len() || bytes != c.Bytes() || held > c.Capacity() {
				t.Fatalf("op %d: Len %d, Bytes %d; blocks Get returns: %d of %d bytes; capacity %d", i, c.Len(), c.Bytes(), held, bytes, c.Capacity())
			}
		}
	}
}

// TestPageCacheConcurrent reads and puts from many goroutines (run with
// -race): a hit always returns the block and metadata of the key and
// version asked for.
func TestPageCacheConcurrent(t *testing.T) {
	rng := newRand(t)
	const bs = 1024
	c := newPages(t, 64*newPages(t, 1, bs).Charge(), bs)
	ops := 20000
	if testing.Short() {
		ops = 5000
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		seed := rng.Uint64()
		go func() {
			defer wg.Done()
			rng := newRandSeed(seed)
			for i := 0; i < ops; i++ {
				k, v := uint64(rng.IntN(200)), uint64(rng.IntN(3))
				if b, m, ok := c.Get(k, v); ok {
					if want := fmt.Sprintf("%d@%d", k, v); string(b[:len(want)]) != want || m.n != int(k*10+v) {
						t.Errorf("Get(%d, %d) returned %q, meta %d", k, v, b[:len(want)], m.n)
						return
					}
				} else {
					c.Put(k, v, block(k, v, bs), testMeta{n: int(k*10 + v)})
				}
			}
		}()
	}
	wg.Wait()
	if c.Len() > c.Capacity() || c.Bytes() != int64(c.Len())*bs {
		t.Fatalf("%d blocks (%d bytes) held, capacity %d", c.Len(), c.Bytes(), c.Capacity())
	}
}

// TestPageCacheMemory fills a cache and measures the heap it holds: no
// more than its capacity (the budget counts the table, the entries, the
// blocks and the metadata).
func TestPageCacheMemory(t *testing.T) {
	const bs, blocks = 4096, 2048
	charge := newPages(t, 1, bs).Charge()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := newPages(t, blocks*charge, bs)
	for k := range uint64(4 * blocks) {
		c.Put(k, 1, make([]byte, bs), testMeta{tag: new([112]byte)})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d blocks held in %d heap bytes: %d per block, charge %d", c.Len(), held, held/int64(c.Len()), charge)
	if c.Len() != blocks || held > int64(blocks)*charge {
		t.Errorf("%d blocks held (capacity %d) in %d heap bytes, over the capacity %d", c.Len(), c.Capacity(), held, blocks*charge)
	}
	runtime.KeepAlive(c)
}

// TestPageCacheConcurrentFill fills caches to 95% of their slots with
// scattered keys, so that Puts move entries to their other set, while
// readers Get the keys (run with -race): a hit always returns the block
// and metadata of the key and version asked for, and after the fill most
// keys are cached.
func TestPageCacheConcurrentFill(t *testing.T) {
	rng := newRand(t)
	const bs, slots = 64, 1024
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for range rounds {
		c := newPages(t, slots*newPages(t, 1, bs).Charge(), bs)
		keys := make([]uint64, slots*95/100)
		for i, id := range rng.Perm(8 * slots)[:len(keys)] {
			keys[i] = uint64(id)
		}
		var wg sync.WaitGroup
		done := make(chan struct{})
		for g := 0; g < 2; g++ {
			wg.Add(1)
			seed := rng.Uint64()
			go func() {
				defer wg.Done()
				rng := newRandSeed(seed)
				for {
					select {
					case <-done:
						return
					default:
					}
					k := keys[rng.IntN(len(keys))]
					if b, m, ok := c.Get(k, k%3); ok {
						if want := fmt.Sprintf("%d@%d", k, k%3); string(b[:len(want)]) != want || m.n != int(k) {
							t.Errorf("Get(%d, %d) returned %q, meta %d", k, k%3, b[:len(want)], m.n)
							return
						}
					}
				}
			}()
		}
		for _, k := range keys {
			if !c.Put(k, k%3, block(k, k%3, bs), testMeta{n: int(k)}) {
				t.Fatalf("Put(%d) refused", k)
			}
		}
		close(done)
		wg.Wait()
		if got := heldOf(c, 0) + heldOf(c, 1) + heldOf(c, 2); got != c.Len() || c.Len() < len(keys)*95/100 {
			t.Fatalf("%d blocks held (Len %d) of %d put, capacity %d", got, c.Len(), len(keys), c.Capacity())
		}
	}
}
