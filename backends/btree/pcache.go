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
// cacheWays slots; each slot holds the page id (checked first, from one
// cache line of ids) and a pointer to the entry, which names the id and
// LSN it holds. A lookup for (id, LSN) hits only an entry with both, so a
// page reused by a later checkpoint (another LSN) is a miss, never stale
// bytes. Insertions take a mutex (they follow a read from the file, or a
// checkpoint's write) and evict within the set by CLOCK: the hand skips,
// and clears, entries referenced since it last passed.
//
// Memory: the table has budget/(page size + cacheEntryOverhead) slots,
// each holding at most one page-size buffer, so the pages held never
// exceed the budget. A budget below one page caches nothing; so does a
// nil *pageCache.
type pageCache struct {
	sets     []cacheSet
	ways     int
	pageSize int

	mu sync.Mutex // insertions

	resident  atomic.Int64 // pages held
	evictions atomic.Uint64
}

// cacheWays is the associativity of the page cache.
const cacheWays = 8

// cacheEntryOverhead is what one cached page costs besides its buffer:
// the entry, its slot, and the buffer's allocation header.
const cacheEntryOverhead = 64

type cacheSet struct {
	ids  [cacheWays]atomic.Uint64 // page id per slot; 0: empty (page 0 is a meta, never cached)
	ents [cacheWays]atomic.Pointer[cachedPage]
	hand uint8 // CLOCK hand, under pageCache.mu
}

type cachedPage struct {
	id, lsn uint64
	b       []byte
	ref     atomic.Uint32 // referenced since the hand last passed
}

// newPageCache returns a cache of at most budget bytes of pages of
// pageSize bytes.
func newPageCache(budget int64, pageSize int) *pageCache {
	c := &pageCache{pageSize: pageSize}
	slots := budget / int64(pageSize+cacheEntryOverhead)
	if slots <= 0 {
		return c
	}
	c.ways = int(min(slots, cacheWays))
	c.sets = make([]cacheSet, slots/int64(c.ways))
	return c
}

// capacity returns the number of pages the cache can hold.
func (c *pageCache) capacity() int {
	if c == nil {
		return 0
	}
	return len(c.sets) * c.ways
}

func (c *pageCache) set(id uint64) *cacheSet {
	hi, _ := bits.Mul64(id*0x9e3779b97f4a7c15, uint64(len(c.sets)))
	return &c.sets[hi]
}

// get returns the page id written by checkpoint lsn, if cached. The slice
// is shared and must not be modified.
func (c *pageCache) get(id, lsn uint64) ([]byte, bool) {
	if c == nil || len(c.sets) == 0 {
		return nil, false
	}
	s := c.set(id)
	for w := 0; w < c.ways; w++ {
		if s.ids[w].Load() != id {
			continue
		}
		if e := s.ents[w].Load(); e != nil && e.id == id && e.lsn == lsn {
			if e.ref.Load() == 0 {
				e.ref.Store(1)
			}
			return e.b, true
		}
	}
	return nil, false
}

// put caches b as page id of checkpoint lsn. b must not be modified
// afterwards. A cached copy of the same id (of any LSN) is replaced.
func (c *pageCache) put(id, lsn uint64, b []byte) {
	if c == nil || len(c.sets) == 0 || id == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.set(id)
	victim, empty := -1, -1
	for w := 0; w < c.ways; w++ {
		switch s.ids[w].Load() {
		case id:
			if e := s.ents[w].Load(); e != nil && e.lsn == lsn {
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
			w := int(s.hand)
			s.hand = uint8((w + 1) % c.ways)
			if e := s.ents[w].Load(); e.ref.Load() != 0 {
				e.ref.Store(0)
				continue
			}
			victim = w
			c.evictions.Add(1)
			break
		}
	}
	if s.ids[victim].Load() == 0 {
		c.resident.Add(1)
	}
	s.ents[victim].Store(&cachedPage{id: id, lsn: lsn, b: b})
	s.ids[victim].Store(id)
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
