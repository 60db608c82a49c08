package cache

import (
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
)

// PageEntryOverhead is the memory a PageCache entry costs besides its
// block, its metadata value and what that value refers to: the entry's
// fixed fields (key, version, block slice header, reference bit: 48 bytes
// with padding), its slot in the table (16) and its share of the set's
// CLOCK hand and of the cache's own fields (8, generously).
// TestPageCacheMemory measures it.
const PageEntryOverhead = 72

// maxPageCacheSize bounds blockSize and metaSize, so that a slot's charge
// cannot overflow an int64.
const maxPageCacheSize = 1 << 40

// pageWays is the associativity of a PageCache: a set of pageWays slots is
// one 64-byte cache line.
const pageWays = 4

// PageCache is a fixed-budget cache of verified, immutable byte blocks
// (pages of a file, blocks of a table), keyed by a uint64 and a version,
// each with a small metadata value M of the caller's (nothing: struct{}).
// It admits every block it is given and evicts by CLOCK; Get takes no lock.
// See the package documentation for when to use it rather than Cache.
//
// Keys and versions. A block is cached under (key, version); Get(key, v)
// hits only a block put with both. The key picks the sets and names the
// block's place (a page id, a file's block number); the version names the
// bytes there (the checkpoint or LSN that wrote the page, the file's
// number). At most one version of a key is cached: a Put of another
// version replaces it, so a place rewritten under a new version never
// returns the old bytes and needs no invalidation. Every uint64 is a valid
// key and version.
//
// Placement. The table is set-associative, sets of four slots in one
// cache line, and each key has two sets, from two independent hashes: its
// first set and its second (two-choice hashing). Get probes the first set
// and, on a miss there, the second. Put takes, in this order: an empty
// slot of the first set, then of the second; if the table is not full, a
// slot it empties by moving an entry of the two sets to an empty slot of
// that entry's other set; an idle entry of the two sets (see below); a
// slot it frees by moving an entry to its other set in place of an idle
// entry there; else the slot CLOCK picks in the colder of the two sets
// (the one with more entries not hit since a hand passed). Idle entries:
// each time Put finds both of its sets full it also moves a sweeping hand
// over one more set of the table, which clears entries hit since a hand
// last passed and marks idle those it finds still clear, so an entry is
// idle once it has gone a whole turn of the sweep without a hit. That is
// how blocks nobody asks for any more (pages a checkpoint rewrote under
// another id) give up their slots to keys whose own two sets are full,
// instead of staying until a Put happens to land in their set.
// Measured (TestPageCacheResidency, scattered keys at 80% of the slots):
// with one set per key, 90% of the working set stayed cached and a uniform
// stream missed 9.5%; now 99.9% of it, and the stream misses under 0.01%,
// also in a table first filled with blocks never asked for again. The
// price: a Get of a block in its second set (about one in eight at that
// fill) reads a second cache line (BenchmarkPageCacheGet/scattered80: a
// hit costs about 20% more on average), and so does every miss; and Put,
// under its mutex, may look at the sets of the eight entries of its two.
//
// Memory. The block and the metadata passed to Put, and returned by Get,
// are shared by the cache and every caller that got them, for as long as
// any of them holds them: nobody may modify them after Put. The cache
// never writes, reuses or frees a block; an evicted block stays valid (the
// garbage collector keeps it) while a caller holds it, but is no longer
// counted in the budget. Callers that rely on this (the btree hands cached
// pages to readers that hold no lock) must treat a block as immutable from
// the moment they Put it.
//
// Budget. Each slot is charged blockSize + metaSize + PageEntryOverhead +
// the size of M (see Charge), and the table has capacity/charge slots,
// fixed at NewPageCache and rounded down to whole sets of four (under
// four: one set of that many; under one: a cache that caches nothing). A
// slot holds at most one block, of at most blockSize bytes of capacity
// (cap, not len: a larger block is refused, since it would pin more than
// it is charged), so the blocks and metadata held never exceed the
// capacity. Not charged: the allocator's rounding of entries
// and blocks up to its size classes (none for the btree's 64-byte entries
// and power-of-two pages), and evicted blocks still held by callers.
//
// Concurrency. All methods are safe for concurrent use. Get makes no
// shared write except setting an entry's reference bit the first time it
// is hit after a hand passed it. Put takes one mutex for the
// whole cache: it follows a read from a file, which costs far more, but
// a workload of mostly misses serializes on it. A nil
// *PageCache caches nothing: Get misses, Put does nothing.
//
// The cache counts no hits or misses (a shared counter would be a shared
// write on every Get): callers count them, e.g. per operation.
type PageCache[M any] struct {
	sets      []pageSet[M]
	hands     []uint8 // CLOCK hand per set, under mu
	sweepAt   int     // the set sweep visits next, under mu
	ways      int
	blockSize int
	charge    int64 // budget bytes per slot

	mu sync.Mutex // Put

	held      atomic.Int64 // blocks held
	bytes     atomic.Int64 // cap of the blocks held
	evictions atomic.Uint64
}

// An entry's ref is refHit once a Get hit it since a hand (its set's
// CLOCK hand or the sweeping hand) last passed; refClear after a hand
// passed; refIdle after the sweeping hand passed it at refClear (not hit
// for a whole turn of the sweep).
const (
	refClear = iota
	refHit
	refIdle
)

type pageSet[M any] struct {
	slots [pageWays]pageSlot[M]
}

// pageSlot holds an entry and a copy of its key, which Get compares before
// loading the entry (whose line a miss then need not touch). The entry is
// the truth: key may lag it (Put stores the entry first), and an empty
// slot has key 0 and no entry.
type pageSlot[M any] struct {
	key atomic.Uint64
	e   atomic.Pointer[pageEntry[M]]
}

// pageEntry is immutable once stored, bar ref.
type pageEntry[M any] struct {
	key, version uint64
	block        []byte
	meta         M
	ref          atomic.Uint32 // refHit, refClear or refIdle
}

// NewPageCache returns a cache of at most capacity bytes (see Budget in
// the type's documentation) for blocks of at most blockSize bytes, each
// with a metadata value that refers to at most metaSize bytes besides
// itself (0 if M holds no pointer). A negative capacity, a blockSize below
// 1, a negative metaSize, or a size over 1 TiB is an error.
func NewPageCache[M any](capacity int64, blockSize, metaSize int) (*PageCache[M], error) {
	if capacity < 0 {
		return nil, fmt.Errorf("%w: %d bytes", ErrInvalidCapacity, capacity)
	}
	if blockSize < 1 || int64(blockSize) > maxPageCacheSize {
		return nil, fmt.Errorf("cache: invalid page cache block size %d", blockSize)
	}
	if metaSize < 0 || int64(metaSize) > maxPageCacheSize {
		return nil, fmt.Errorf("cache: invalid page cache metadata size %d", metaSize)
	}
	var m M
	c := &PageCache[M]{blockSize: blockSize}
	c.charge = int64(blockSize) + int64(metaSize) + PageEntryOverhead + int64(unsafe.Sizeof(m))
	slots := capacity / c.charge
	if slots <= 0 {
		return c, nil
	}
	c.ways = int(min(slots, pageWays))
	c.sets = make([]pageSet[M], slots/int64(c.ways))
	c.hands = make([]uint8, len(c.sets))
	return c, nil
}

// Charge returns the bytes of the budget one slot costs: blockSize +
// metaSize + PageEntryOverhead + the size of M (0 for a nil cache).
func (c *PageCache[M]) Charge() int64 {
	if c == nil {
		return 0
	}
	return c.charge
}

func (c *PageCache[M]) set(key uint64) int {
	hi, _ := bits.Mul64(key*0x9e3779b97f4a7c15, uint64(len(c.sets)))
	return int(hi)
}

// altSet returns key's second set, given its first, si: from a hash
// independent of set's, and never si itself unless the table has one set.
func (c *PageCache[M]) altSet(key uint64, si int) int {
	x := key * 0x9e3779b97f4a7c15
	hi, _ := bits.Mul64((x^x>>29)*0xbf58476d1ce4e5b9, uint64(len(c.sets)))
	if int(hi) == si {
		hi++
		if int(hi) == len(c.sets) {
			hi = 0
		}
	}
	return int(hi)
}

// Get returns the block and metadata cached under (key, version). They
// are shared: see Memory in the type's documentation.
func (c *PageCache[M]) Get(key, version uint64) (block []byte, meta M, ok bool) {
	if c == nil || len(c.sets) == 0 {
		return nil, meta, false
	}
	si := c.set(key)
	s := &c.sets[si]
	for w := 0; w < c.ways; w++ {
		sl := &s.slots[w]
		if sl.key.Load() != key {
			continue
		}
		if e := sl.e.Load(); e != nil && e.key == key && e.version == version {
			if e.ref.Load() != refHit {
				e.ref.Store(refHit)
			}
			return e.block, e.meta, true
		}
	}
	return c.getAlt(key, version, si)
}

// getAlt is Get's probe of key's second set, si being its first.
func (c *PageCache[M]) getAlt(key, version uint64, si int) (block []byte, meta M, ok bool) {
	alt := c.altSet(key, si)
	if alt == si {
		return nil, meta, false
	}
	e := c.sets[alt].find(key, version, c.ways)
	if e == nil {
		return nil, meta, false
	}
	if e.ref.Load() != refHit {
		e.ref.Store(refHit)
	}
	return e.block, e.meta, true
}

// find returns the entry of (key, version) among the first ways slots of
// s, nil if none.
func (s *pageSet[M]) find(key, version uint64, ways int) *pageEntry[M] {
	for w := 0; w < ways; w++ {
		sl := &s.slots[w]
		if sl.key.Load() != key {
			continue
		}
		if e := sl.e.Load(); e != nil && e.key == key && e.version == version {
			return e
		}
	}
	return nil
}

// Put caches block and meta under (key, version), replacing a cached block
// of another version of key, or in a slot of one of key's two sets (see
// Placement in the type's documentation). If (key, version) is already
// cached (a concurrent reader put it first), the cached block stays and
// block is dropped. Put reports whether (key, version) is cached on
// return: false for a nil or zero-capacity cache and for a block whose
// capacity passes blockSize. After Put the caller must not modify block
// or meta.
func (c *PageCache[M]) Put(key, version uint64, block []byte, meta M) bool {
	if c == nil || len(c.sets) == 0 || cap(block) > c.blockSize {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	si := [2]int{c.set(key), 0}
	si[1] = c.altSet(key, si[0])
	probes := 2
	if si[1] == si[0] {
		probes = 1
	}
	vs, victim := -1, -1 // the slot taken: set (index into si) and way
	es, empty := -1, -1  // the first empty slot
	is, idle := -1, -1   // the first idle entry
	for p := 0; p < probes; p++ {
		s := &c.sets[si[p]]
		for w := 0; w < c.ways; w++ {
			e := s.slots[w].e.Load()
			switch {
			case e == nil:
				if empty < 0 {
					es, empty = p, w
				}
			case e.key == key:
				if e.version == version {
					return true
				}
				vs, victim = p, w
			case idle < 0 && e.ref.Load() == refIdle:
				is, idle = p, w
			}
		}
	}
	switch {
	case victim >= 0:
	case empty >= 0:
		vs, victim = es, empty
	default:
		c.sweep()
		if c.held.Load() < int64(len(c.sets)*c.ways) {
			for p := 0; p < probes && victim < 0; p++ {
				if w, ok := c.relocate(si[p], false); ok {
					vs, victim = p, w
				}
			}
		}
		if victim < 0 && idle >= 0 {
			vs, victim = is, idle
			c.evictions.Add(1)
		}
		for p := 0; p < probes && victim < 0; p++ {
			if w, ok := c.relocate(si[p], true); ok {
				vs, victim = p, w
			}
		}
		if victim < 0 {
			vs = 0
			if probes == 2 && c.cold(si[1]) > c.cold(si[0]) {
				vs = 1
			}
			victim = c.clock(si[vs])
		}
	}
	sl := &c.sets[si[vs]].slots[victim]
	if old := sl.e.Load(); old != nil {
		c.bytes.Add(int64(cap(block) - cap(old.block)))
	} else {
		c.held.Add(1)
		c.bytes.Add(int64(cap(block)))
	}
	sl.e.Store(&pageEntry[M]{key: key, version: version, block: block, meta: meta})
	sl.key.Store(key)
	return true
}

// relocate frees a slot of the full set si by moving one of its entries
// to its other set, to an empty slot there or, if evictIdle, in place of
// an idle entry, which it evicts; it returns the freed slot, or false if
// no entry's other set has room. Under mu. A Get racing with the move may miss the entry
// (it finds neither copy if it probes the new set before the entry lands
// there and the old one after it left), never return another entry.
func (c *PageCache[M]) relocate(si int, evictIdle bool) (int, bool) {
	s := &c.sets[si]
	for w := 0; w < c.ways; w++ {
		sl := &s.slots[w]
		e := sl.e.Load()
		other := c.set(e.key)
		if other == si {
			other = c.altSet(e.key, si)
		}
		if other == si {
			continue
		}
		o := &c.sets[other]
		for ow := 0; ow < c.ways; ow++ {
			dst := &o.slots[ow]
			if old := dst.e.Load(); old != nil {
				if !evictIdle || old.ref.Load() != refIdle {
					continue
				}
				c.held.Add(-1)
				c.bytes.Add(-int64(cap(old.block)))
				c.evictions.Add(1)
			}
			dst.e.Store(e)
			dst.key.Store(e.key)
			sl.key.Store(0)
			sl.e.Store(nil)
			return w, true
		}
	}
	return 0, false
}

// sweep moves the sweeping hand over the next set of the table: entries
// hit since a hand last passed are cleared, cleared ones marked idle (not
// hit for a whole turn of the sweep). Put sweeps one set each time it
// finds both of its sets full, and takes idle entries first, in its sets
// or, by moving one of their entries, in theirs: blocks nobody asks for
// any more (pages a checkpoint rewrote elsewhere) give their slots to
// blocks that would otherwise evict each other. Under mu.
func (c *PageCache[M]) sweep() {
	s := &c.sets[c.sweepAt]
	c.sweepAt++
	if c.sweepAt == len(c.sets) {
		c.sweepAt = 0
	}
	for w := 0; w < c.ways; w++ {
		if e := s.slots[w].e.Load(); e != nil {
			switch e.ref.Load() {
			case refHit:
				e.ref.Store(refClear)
			case refClear:
				e.ref.Store(refIdle)
			}
		}
	}
}

// cold returns the number of entries of the full set si not hit since a
// hand last passed them. Under mu.
func (c *PageCache[M]) cold(si int) int {
	n := 0
	for w := 0; w < c.ways; w++ {
		if c.sets[si].slots[w].e.Load().ref.Load() != refHit {
			n++
		}
	}
	return n
}

// clock returns the slot of the full set si that CLOCK evicts: the
// hand clears the reference bits of the entries it passes until it finds
// one not hit since a hand last passed it. Under mu.
func (c *PageCache[M]) clock(si int) int {
	s := &c.sets[si]
	for {
		w := int(c.hands[si])
		c.hands[si] = uint8((w + 1) % c.ways)
		if e := s.slots[w].e.Load(); e.ref.Load() == refHit {
			e.ref.Store(refClear)
			continue
		}
		c.evictions.Add(1)
		return w
	}
}

// Capacity returns the number of blocks the cache can hold.
func (c *PageCache[M]) Capacity() int {
	if c == nil {
		return 0
	}
	return len(c.sets) * c.ways
}

// Len returns the number of blocks held.
func (c *PageCache[M]) Len() int {
	if c == nil {
		return 0
	}
	return int(c.held.Load())
}

// Bytes returns the bytes of the blocks held (the sum of their
// capacities; metadata and overheads not included).
func (c *PageCache[M]) Bytes() int64 {
	if c == nil {
		return 0
	}
	return c.bytes.Load()
}

// Evictions returns the number of blocks evicted by CLOCK so far (blocks
// replaced by another version of their key are not counted).
func (c *PageCache[M]) Evictions() uint64 {
	if c == nil {
		return 0
	}
	return c.evictions.Load()
}
