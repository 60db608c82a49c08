package btree

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// pageCache holds clean pages (verified, immutable bytes) by page id, up
// to a byte budget (Options.CacheSize).
//
// Why not engine/cache: ristretto's admission policy drops or rejects a
// large share of Sets, so a hot page read again and again was re-read and
// re-verified (checksum and structure) on most lookups, and every Get took
// its read lock and recorded the access. This cache admits every page it
// is given and evicts by CLOCK, and its lookups take no lock and make no
// shared write except setting an entry's reference bit the first time it
// is hit after a sweep.
//
// Layout: a set-associative table: a page id hashes to one set of up to
// cacheWays slots, one cache line; each slot holds the page id (checked
// first) and a pointer to the entry, which names the id and LSN it holds,
// and the page's level (checked there, not in the page, whose first cache
// line a search may not need). A lookup for (id, LSN) hits only an entry with both, so a
// page reused by a later checkpoint (another LSN) is a miss, never stale
// bytes. Insertions take a mutex (they follow a read from the file, or a
// checkpoint's write) and evict within the set by CLOCK: the hand skips,
// and clears, entries referenced since it last passed.
//
// Memory: the table has budget/slotCost slots, each holding at most one
// page-size buffer and its digest (at most maxDigest bytes), so the pages
// held never exceed the budget. A budget below one page caches nothing; so does a
// nil *pageCache.
type pageCache struct {
	sets     []cacheSet
	hands    []uint8 // CLOCK hand per set, under mu
	ways     int
	pageSize int

	mu sync.Mutex // insertions

	resident  atomic.Int64 // pages held
	evictions atomic.Uint64
}

// cacheWays is the associativity of the page cache: a set is one 64-byte
// cache line.
const cacheWays = 4

// cacheEntryOverhead is what one cached page costs besides its buffer:
// the entry, its slot, and the buffer's allocation header.
const cacheEntryOverhead = 64

type cacheSet struct {
	slots [cacheWays]cacheSlot
}

type cacheSlot struct {
	id atomic.Uint64 // 0: empty (page 0 is a meta, never cached)
	e  atomic.Pointer[cachedPage]
}

type cachedPage struct {
	id, lsn uint64
	pageView
	ref atomic.Uint32 // referenced since the hand last passed
}

// pageView is a verified page as readers use it: its bytes, its digest
// (nil: none) and its level (-1 unless a leaf or branch page).
type pageView struct {
	b     []byte
	d     *digest
	level int
}

// slotCost is what the cache charges for one page: the page, the largest
// digest, and cacheEntryOverhead.
func slotCost(pageSize int) int { return pageSize + maxDigest(pageSize) + cacheEntryOverhead }

// newPageCache returns a cache of at most budget bytes of pages of
// pageSize bytes.
func newPageCache(budget int64, pageSize int) *pageCache {
	c := &pageCache{pageSize: pageSize}
	slots := budget / int64(slotCost(pageSize))
	if slots <= 0 {
		return c
	}
	c.ways = int(min(slots, cacheWays))
	c.sets = make([]cacheSet, slots/int64(c.ways))
	c.hands = make([]uint8, len(c.sets))
	return c
}

// capacity returns the number of pages the cache can hold.
func (c *pageCache) capacity() int {
	if c == nil {
		return 0
	}
	return len(c.sets) * c.ways
}

func (c *pageCache) set(id uint64) int {
	hi, _ := bits.Mul64(id*0x9e3779b97f4a7c15, uint64(len(c.sets)))
	return int(hi)
}

// get returns the page id written by checkpoint lsn, if cached. Its bytes
// are shared and must not be modified.
func (c *pageCache) get(id, lsn uint64) (pageView, bool) {
	if c == nil || len(c.sets) == 0 {
		return pageView{}, false
	}
	s := &c.sets[c.set(id)]
	for w := 0; w < c.ways; w++ {
		sl := &s.slots[w]
		if sl.id.Load() != id {
			continue
		}
		if e := sl.e.Load(); e != nil && e.id == id && e.lsn == lsn {
			if e.ref.Load() == 0 {
				e.ref.Store(1)
			}
			return e.pageView, true
		}
	}
	return pageView{}, false
}

// put caches v as page id of checkpoint lsn. v.b must not be modified
// afterwards. A cached copy of the same id (of any LSN) is replaced.
func (c *pageCache) put(id, lsn uint64, v pageView) {
	if c == nil || len(c.sets) == 0 || id == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	si := c.set(id)
	s := &c.sets[si]
	victim, empty := -1, -1
	for w := 0; w < c.ways; w++ {
		switch s.slots[w].id.Load() {
		case id:
			if e := s.slots[w].e.Load(); e != nil && e.lsn == lsn {
				return // a concurrent reader cached it first
			}
			victim = w
		case 0:
			if empty < 0 {
				empty = w
			}
		}
	}
	if victim < 0 {
		victim = empty
	}
	if victim < 0 {
		for {
			w := int(c.hands[si])
			c.hands[si] = uint8((w + 1) % c.ways)
			if e := s.slots[w].e.Load(); e.ref.Load() != 0 {
				e.ref.Store(0)
				continue
			}
			victim = w
			c.evictions.Add(1)
			break
		}
	}
	if s.slots[victim].id.Load() == 0 {
		c.resident.Add(1)
	}
	s.slots[victim].e.Store(&cachedPage{id: id, lsn: lsn, pageView: v})
	s.slots[victim].id.Store(id)
}

// bytes returns the bytes of the pages held.
func (c *pageCache) bytes() int64 {
	if c == nil {
		return 0
	}
	return c.resident.Load() * int64(c.pageSize)
}

// stripes is the number of cache lines the hot counters are spread over.
const stripes = 16

// readCounters are the counters every read updates, striped so that
// readers on different cores rarely write one cache line: a Get picks a
// stripe from its key, other readers from the page id.
type readCounters struct {
	s [stripes]struct {
		gets, hits, misses atomic.Uint64
		_                  [40]byte
	}
}

// stripeOf returns a stripe for key: a cheap mix of its length and its
// first and last bytes.
func stripeOf(key []byte) int {
	var h uint64 = uint64(len(key))
	if n := len(key); n > 0 {
		h = h*31 + uint64(key[0])
		h = h*31 + uint64(key[n-1])
		h = h*31 + uint64(key[n/2])
	}
	return int((h * 0x9e3779b97f4a7c15) >> 60)
}

func (r *readCounters) add(stripe int, gets, hits, misses uint64) {
	s := &r.s[stripe&(stripes-1)]
	if gets != 0 {
		s.gets.Add(gets)
	}
	if hits != 0 {
		s.hits.Add(hits)
	}
	if misses != 0 {
		s.misses.Add(misses)
	}
}

func (r *readCounters) sum() (gets, hits, misses uint64) {
	for i := range r.s {
		gets += r.s[i].gets.Load()
		hits += r.s[i].hits.Load()
		misses += r.s[i].misses.Load()
	}
	return
}

// evicted returns the number of pages evicted so far.
func (c *pageCache) evicted() uint64 {
	if c == nil {
		return 0
	}
	return c.evictions.Load()
}
