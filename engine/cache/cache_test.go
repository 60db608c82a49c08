package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestGetSetDelDropFile(t *testing.T) {
	c := mustNew(t, 1<<20)
	if _, ok := c.Get(1, 0); ok {
		t.Fatal("empty cache hit")
	}
	if !c.Set(1, 0, []byte("a0")) || !c.Set(1, 4096, []byte("a1")) || !c.Set(2, 0, []byte("b0")) {
		t.Fatal("Set refused on an idle cache")
	}
	c.Wait()
	for _, tc := range []struct {
		file, off uint64
		want      string
	}{{1, 0, "a0"}, {1, 4096, "a1"}, {2, 0, "b0"}} {
		got, ok := c.Get(tc.file, tc.off)
		if !ok || string(got) != tc.want {
			t.Fatalf("Get(%d,%d) = %q,%v; want %q", tc.file, tc.off, got, ok, tc.want)
		}
	}
	if _, ok := c.Get(1, 1); ok {
		t.Fatal("hit for an offset never set")
	}

	// Set never replaces a cached identity.
	c.Set(1, 0, []byte("XX"))
	c.Wait()
	if got, _ := c.Get(1, 0); string(got) != "a0" {
		t.Fatalf("Set replaced a cached block: %q", got)
	}
	// Del, then Set installs the new bytes.
	c.Del(1, 0)
	if _, ok := c.Get(1, 0); ok {
		t.Fatal("hit after Del")
	}
	c.Set(1, 0, []byte("a0'"))
	c.Wait()
	if got, ok := c.Get(1, 0); !ok || string(got) != "a0'" {
		t.Fatalf("after Del+Set: %q,%v", got, ok)
	}

	// DropFile hides every block of file 1 and none of file 2 (unless the
	// two share a generation slot, which they do not).
	if genSlot(1) == genSlot(2) {
		t.Fatal("test assumes files 1 and 2 use different generation slots")
	}
	c.DropFile(1)
	if _, ok := c.Get(1, 0); ok {
		t.Fatal("hit on a dropped file")
	}
	if _, ok := c.Get(1, 4096); ok {
		t.Fatal("hit on a dropped file")
	}
	if got, ok := c.Get(2, 0); !ok || string(got) != "b0" {
		t.Fatalf("DropFile(1) hid file 2: %q,%v", got, ok)
	}
	// The file id can be used again with new contents.
	c.Set(1, 0, []byte("new"))
	c.Wait()
	if got, ok := c.Get(1, 0); !ok || string(got) != "new" {
		t.Fatalf("reused file id: %q,%v", got, ok)
	}

	m := c.Metrics()
	if m.Hits == 0 || m.Misses == 0 || m.Capacity != 1<<20 || m.BytesUsed <= 0 || m.Evictions == 0 {
		t.Fatalf("metrics not counting: %+v", m)
	}
}

// A Set queued before a DropFile or Del must not resurface after it.
func TestQueuedSetHiddenByDrop(t *testing.T) {
	c := mustNew(t, 1<<20)
	c.Set(7, 0, []byte("old"))
	c.DropFile(7)
	c.Wait()
	if v, ok := c.Get(7, 0); ok {
		t.Fatalf("queued Set visible after DropFile: %q", v)
	}
	c.Set(8, 0, []byte("old"))
	c.Del(8, 0)
	c.Wait()
	if v, ok := c.Get(8, 0); ok {
		t.Fatalf("queued Set visible after Del: %q", v)
	}
}

func TestNoCache(t *testing.T) {
	var nilCache *Cache
	zero, err := New(0)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*Cache{"nil": nilCache, "zero": zero} {
		t.Run(name, func(t *testing.T) {
			if c.Set(1, 2, []byte("x")) {
				t.Fatal("Set accepted")
			}
			c.Wait()
			if _, ok := c.Get(1, 2); ok {
				t.Fatal("Get hit")
			}
			c.Del(1, 2)
			c.DropFile(1)
			if m := c.Metrics(); m.BytesUsed != 0 || m.Hits != 0 {
				t.Fatalf("metrics %+v", m)
			}
			c.Close()
			c.Close()
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	for _, o := range []Options{{Capacity: -1}, {Capacity: 1 << 20, BlockSize: -5}} {
		c, err := NewWithOptions(o)
		if err == nil || c != nil {
			t.Fatalf("NewWithOptions(%+v) = %v, %v; want an error", o, c, err)
		}
	}
	if _, err := New(-1); !errors.Is(err, ErrInvalidCapacity) {
		t.Fatalf("New(-1) error %v, want ErrInvalidCapacity", err)
	}
}

func TestValueLargerThanCapacity(t *testing.T) {
	c := mustNew(t, 4096)
	if c.Set(1, 0, make([]byte, 8192)) {
		t.Fatal("Set of a value over the capacity was accepted")
	}
	c.Wait()
	if _, ok := c.Get(1, 0); ok {
		t.Fatal("hit")
	}
}

func TestClose(t *testing.T) {
	c, err := New(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	c.Set(1, 0, []byte("x"))
	c.Wait()
	c.Close()
	if _, ok := c.Get(1, 0); ok {
		t.Fatal("Get hit after Close")
	}
	if c.Set(1, 1, []byte("y")) {
		t.Fatal("Set accepted after Close")
	}
	c.Del(1, 0)
	c.DropFile(1)
	c.Wait()
	c.Close()
}

func TestCost(t *testing.T) {
	for _, tc := range []struct {
		v    []byte
		want int64
	}{
		{nil, EntryOverhead},
		{make([]byte, 10), 10 + EntryOverhead},
		{make([]byte, 10, 4096), 4096 + EntryOverhead},
		{make([]byte, 0, 7), 7 + EntryOverhead},
	} {
		if got := Cost(tc.v); got != tc.want {
			t.Errorf("Cost(len %d cap %d) = %d, want %d", len(tc.v), cap(tc.v), got, tc.want)
		}
	}
}

// collide returns an offset o2 such that (f2, o2) has the same ristretto
// key as (f1, o1) at generation 0.
func collide(f1, o1, f2 uint64) uint64 {
	return mix64(f1) ^ o1 ^ mix64(f2)
}

func TestHashCollisionNeverConfuses(t *testing.T) {
	c := mustNew(t, 1<<20)
	for i := range uint64(20) {
		f1, o1, f2 := 100+i, i*4096, 200+i
		o2 := collide(f1, o1, f2)
		if hashKey(f1, o1, 0) != hashKey(f2, o2, 0) {
			t.Fatal("collide() did not produce a collision")
		}
		c.Set(f1, o1, []byte(fmt.Sprint("A", i)))
		c.Wait()
		if v, ok := c.Get(f2, o2); ok {
			t.Fatalf("colliding key returned the other block %q", v)
		}
		c.Set(f2, o2, []byte(fmt.Sprint("B", i)))
		c.Wait()
		if v, ok := c.Get(f2, o2); ok {
			t.Fatalf("colliding key returned %q", v)
		}
		if v, ok := c.Get(f1, o1); !ok || string(v) != fmt.Sprint("A", i) {
			t.Fatalf("original block lost or changed: %q,%v", v, ok)
		}
	}
	if m := c.Metrics(); m.Misses < 40 {
		t.Fatalf("colliding lookups not counted as misses: %+v", m)
	}
}

// source is the data a read-through caller reads on a miss: block (file,
// off) at file version v has bytes derived from all three.
func blockBytes(file, off, version uint64, size int) []byte {
	b := make([]byte, size)
	for i := 0; i+24 <= size; i += 24 {
		binary.LittleEndian.PutUint64(b[i:], file)
		binary.LittleEndian.PutUint64(b[i+8:], off)
		binary.LittleEndian.PutUint64(b[i+16:], version)
	}
	return b
}

// TestReadThroughRandom checks that a caller reading through the cache
// always sees the source's current bytes, whatever the cache admits,
// drops, rejects or evicts, with files rewritten (DropFile) and blocks
// rewritten in place (Del).
func TestReadThroughRandom(t *testing.T) {
	r := newRand(t)
	c := mustNew(t, 64<<10) // small: constant eviction
	const files, blocks = 6, 40
	version := make([]uint64, files)
	blockVer := map[[2]uint64]uint64{}
	ops := 20000
	if testing.Short() {
		ops = 5000
	}
	var hits int
	for i := 0; i < ops; i++ {
		f, b := uint64(r.IntN(files)), uint64(r.IntN(blocks))
		off := b * 4096
		switch p := r.IntN(100); {
		case p < 2: // file rewritten under the same id
			version[f]++
			c.DropFile(f)
		case p < 4: // block rewritten in place
			blockVer[[2]uint64{f, off}]++
			c.Del(f, off)
		case p < 6:
			c.Wait()
		default:
			want := blockBytes(f, off, version[f]*1000+blockVer[[2]uint64{f, off}], 100+int(b)*37)
			got, ok := c.Get(f, off)
			if ok {
				hits++
				if !bytes.Equal(got, want) {
					t.Fatalf("op %d: stale or wrong block for (%d,%d)", i, f, off)
				}
				continue
			}
			c.Set(f, off, want)
		}
	}
	m := c.Metrics()
	t.Logf("hits %d, metrics %+v", hits, m)
	if hits == 0 {
		t.Fatal("no hit at all: the test exercised nothing")
	}
	if m.BytesUsed > m.Capacity {
		t.Fatalf("BytesUsed %d over capacity %d", m.BytesUsed, m.Capacity)
	}
}

func TestConcurrentReadThrough(t *testing.T) {
	r := newRand(t)
	c := mustNew(t, 256<<10)
	seed := r.Uint64()
	const workers = 4
	n := 20000
	if testing.Short() {
		n = 4000
	}
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := seed + uint64(w)*0x9e3779b97f4a7c15
			for i := range n {
				x = mix64(x + uint64(i))
				f, off := x%16, (x>>8)%64*4096
				switch x >> 56 {
				case 0:
					c.DropFile(f) // contents never change: only memory is affected
				case 1:
					c.Del(f, off)
				default:
					want := blockBytes(f, off, 0, 200+int(off/4096))
					if got, ok := c.Get(f, off); ok {
						if !bytes.Equal(got, want) {
							errc <- fmt.Errorf("wrong block for (%d,%d)", f, off)
							return
						}
						continue
					}
					c.Set(f, off, want)
				}
				if i%1000 == 0 {
					_ = c.Metrics()
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	c.Wait()
	if m := c.Metrics(); m.BytesUsed > m.Capacity || m.Hits == 0 {
		t.Fatalf("metrics %+v", m)
	}
}

func heapAlloc() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// TestMemoryBound inserts many times the capacity and checks that the
// charged bytes never exceed it, that in-flight bytes stay bounded, and,
// coarsely, that the heap follows: at most capacity plus the documented
// slack (frequency sketch, generation table, Go allocator rounding) over
// the baseline.
func TestMemoryBound(t *testing.T) {
	const capacity = 16 << 20
	base := heapAlloc()
	c := mustNew(t, capacity)
	bound := int64(capacity)/8 + 1<<20 // pending bound, plus one racing value per goroutine at most
	maxPending := int64(0)
	for i := range 20 * capacity / 4096 {
		c.Set(uint64(i%32), uint64(i)*4096, make([]byte, 4096))
		if p := c.Metrics().Pending; p > maxPending {
			maxPending = p
		}
		if i%4096 == 0 {
			if m := c.Metrics(); m.BytesUsed > capacity {
				t.Fatalf("BytesUsed %d over capacity %d", m.BytesUsed, capacity)
			}
		}
	}
	c.Wait()
	m := c.Metrics()
	if m.BytesUsed > capacity || m.BytesUsed < capacity/2 {
		t.Fatalf("BytesUsed %d, capacity %d", m.BytesUsed, capacity)
	}
	if maxPending > bound {
		t.Fatalf("pending bytes reached %d, bound %d", maxPending, bound)
	}
	used := heapAlloc() - base
	slack := int64(capacity)/4 + 2<<20
	t.Logf("heap over baseline %d bytes for capacity %d (%.2fx), max pending %d, metrics %+v",
		used, capacity, float64(used)/capacity, maxPending, m)
	if used > capacity+slack {
		t.Fatalf("heap grew by %d bytes, capacity %d + slack %d", used, capacity, slack)
	}
	runtime.KeepAlive(c)
}

// TestEntryOverhead measures the heap cost of an entry beyond its value and
// checks that EntryOverhead covers it. Go maps grow by doubling, so the
// figure depends on where the entry count falls; several counts are tried.
func TestEntryOverhead(t *testing.T) {
	counts := []int{20000, 50000, 90000, 150000}
	if testing.Short() {
		counts = []int{50000}
	}
	for _, n := range counts {
		t.Run(fmt.Sprint(n), func(t *testing.T) { testEntryOverhead(t, n) })
	}
}

func testEntryOverhead(t *testing.T, n int) {
	base := heapAlloc()
	c, err := NewWithOptions(Options{Capacity: 1 << 30, BlockSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	empty := heapAlloc() - base
	vals := make([][]byte, n)
	for i := range vals {
		vals[i] = make([]byte, 16)
	}
	withVals := heapAlloc() - base
	for i := range n {
		for !c.Set(1, uint64(i), vals[i]) {
			c.Wait()
		}
		if i%1000 == 0 {
			c.Wait()
		}
	}
	c.Wait()
	added := 0
	for i := range n {
		if _, ok := c.Get(1, uint64(i)); ok {
			added++
		}
	}
	full := heapAlloc() - base
	per := float64(full-withVals) / float64(added)
	t.Logf("sketch+tables %d bytes; %d entries admitted; %.1f heap bytes per entry beyond its value; EntryOverhead %d",
		empty, added, per, EntryOverhead)
	if added < n*9/10 {
		t.Fatalf("only %d of %d entries admitted into an oversized cache", added, n)
	}
	if per > EntryOverhead {
		t.Fatalf("measured %.1f bytes per entry, EntryOverhead is %d", per, EntryOverhead)
	}
	runtime.KeepAlive(vals)
}

// TestCloseWhileInUse closes caches while goroutines keep calling Set,
// Del, Wait and Get: nothing panics (ristretto alone panics when a Set
// sends on its queue as Close closes it), and after Close Set refuses and
// Get misses.
func TestCloseWhileInUse(t *testing.T) {
	for round := 0; round < 20; round++ {
		c := mustNew(t, 1<<20)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				v := make([]byte, 100)
				for i := uint64(0); ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					switch (i + uint64(g)) % 8 {
					case 0:
						c.Del(1, i%64)
					case 1:
						c.Wait()
					default:
						c.Set(1, i%64, v)
						c.Get(1, i%64)
					}
				}
			}(g)
		}
		time.Sleep(time.Millisecond)
		c.Close()
		if c.Set(1, 1, make([]byte, 10)) {
			t.Fatal("Set after Close reported the block queued")
		}
		close(stop)
		wg.Wait()
		if _, ok := c.Get(1, 1); ok {
			t.Fatal("Get after Close hit")
		}
	}
}
