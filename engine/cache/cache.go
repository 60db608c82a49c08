package cache

import (
	"errors"
	"fmt"
	"github.com/lightningdb/lightning/internal/percpu"
	"runtime"
	"sync/atomic"

	"github.com/dgraph-io/ristretto/v2"
)

// ErrInvalidCapacity is returned by New for a negative capacity.
var ErrInvalidCapacity = errors.New("cache: invalid capacity")

// EntryOverhead is the number of bytes charged to every cached entry on top
// of cap(value): ristretto's store slot (key, conflict, value header,
// identity, expiry) in its sharded map, its policy's cost record, and the
// empty slots of those maps. TestEntryOverhead measures the real figure:
// 220 to 270 bytes on Go 1.26/amd64, depending on where map growth falls.
const EntryOverhead = 300

// DefaultBlockSize is the default of Options.BlockSize.
const DefaultBlockSize = 4096

// genSlots is the number of file-generation counters (see DropFile).
const genSlots = 8192

// Options configure a Cache. A zero field means its default.
type Options struct {
	// Capacity bounds the bytes charged to cached entries (see Cost). Zero
	// makes a cache that caches nothing; negative is an error.
	Capacity int64
	// BlockSize is the expected typical value size. It only sizes the
	// admission policy's frequency sketch (ten counters per expected entry,
	// Capacity/BlockSize entries). Default DefaultBlockSize.
	BlockSize int
	// NoCounters turns off ristretto's hit/miss/eviction counters, which
	// cost a few nanoseconds per Get (see BenchmarkGet). Metrics then
	// reports zero for Hits, Misses, Evictions and SetsRejected.
	NoCounters bool
}

// entry is what ristretto stores: the value and its full identity, which
// Get compares so that colliding hashes never confuse two blocks.
type entry struct {
	data           []byte
	file, off, gen uint64
}

// Cache is a byte-bounded cache of immutable blocks keyed by (file,
// offset). See the package documentation for its admission, DropFile and
// memory semantics.
//
// All methods are safe for concurrent use, except Close, which must be
// called only once every other call has returned. All methods are no-ops
// on a nil *Cache.
type Cache struct {
	rc         *ristretto.Cache[uint64, entry]
	capacity   int64
	maxPending int64
	pending    atomic.Int64  // bytes of queued Sets not yet processed
	dropped    atomic.Uint64 // Sets refused by the pending bound
	falseHits  atomic.Uint64 // ristretto hits whose identity did not match
	gens       [genSlots]atomic.Uint64

	// users counts the calls inside ristretto (every one may send on one
	// of its channels: Get to the policy's ring, Set, Del and Wait to the
	// set queue); Close retires it and waits for them to leave before
	// closing ristretto, whose own closed check races with those sends,
	// which then panic on the closed channel. Per-P shards keep Get's
	// count off a shared cache line.
	users *percpu.RefCount
}

// enter admits a call unless the cache is closed; if it returns ok, the
// caller must call exit(shard). Either Close sees the call among the
// holders and waits for it, or the call sees the count retired (both
// sides use sequentially consistent atomics).
func (c *Cache) enter() (shard int, ok bool) {
	s := c.users.Acquire()
	if c.users.Retired() {
		c.users.Release(s)
		return 0, false
	}
	return s, true
}

func (c *Cache) exit(shard int) { c.users.Release(shard) }

// New returns a cache bounded to capacity bytes with default options. A
// capacity of 0 returns a cache that caches nothing.
func New(capacity int64) (*Cache, error) {
	return NewWithOptions(Options{Capacity: capacity})
}

// NewWithOptions returns a cache configured by opts.
func NewWithOptions(opts Options) (*Cache, error) {
	if opts.Capacity < 0 {
		return nil, fmt.Errorf("%w: %d bytes", ErrInvalidCapacity, opts.Capacity)
	}
	if opts.BlockSize < 0 {
		return nil, fmt.Errorf("cache: invalid block size %d", opts.BlockSize)
	}
	c := &Cache{capacity: opts.Capacity, users: percpu.NewRefCount()}
	if opts.Capacity == 0 {
		return c, nil
	}
	bs := int64(opts.BlockSize)
	if bs == 0 {
		bs = DefaultBlockSize
	}
	// Ten counters per expected entry, as ristretto advises, but the
	// sketch (about 5 bytes per counter) is kept under 2% of the capacity
	// even when values are much smaller than BlockSize said.
	counters := min(10*(opts.Capacity/(bs+EntryOverhead)), opts.Capacity/256)
	counters = max(counters, 1024)
	c.maxPending = max(opts.Capacity/8, 1<<20)
	rc, err := ristretto.NewCache(&ristretto.Config[uint64, entry]{
		NumCounters:        counters,
		MaxCost:            opts.Capacity,
		BufferItems:        64,
		Metrics:            !opts.NoCounters,
		IgnoreInternalCost: true, // EntryOverhead is charged instead
		KeyToHash:          func(k uint64) (uint64, uint64) { return k, 0 },
		// Runs on ristretto's policy goroutine when it takes a queued Set
		// (which is always queued with cost 0): the entry leaves the
		// pending budget and gets its real cost.
		//
		// If its ristretto key is already stored (the same identity, Set
		// again by a second reader that missed it, or a colliding one),
		// the store keeps the old value, but ristretto's policy would
		// re-charge the key with this entry's cost, so the accounting
		// would follow a value that is not cached. A cost over MaxCost
		// makes the policy refuse the entry before it looks the key up,
		// which leaves the old charge in place. Only this goroutine adds
		// to the store, so the check cannot be overtaken by an admission.
		Cost: func(e entry) int64 {
			n := Cost(e.data)
			c.pending.Add(-n)
			if _, stored := c.rc.GetTTL(hashKey(e.file, e.off, e.gen)); stored {
				return opts.Capacity + 1
			}
			return n
		},
		// Never update in place: an identity names immutable bytes.
		ShouldUpdate: func(cur, prev entry) bool { return false },
	})
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c.rc = rc
	return c, nil
}

// Cost returns what an entry holding value is charged against the
// capacity: cap(value) + EntryOverhead. cap, not len, because the whole
// backing array stays alive while the entry is cached.
func Cost(value []byte) int64 { return int64(cap(value)) + EntryOverhead }

// mix64 is a 64-bit finalizer with full avalanche (the constants of
// Stafford's "Mix13" variant of the SplitMix64 finalizer).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func genSlot(file uint64) uint64 { return mix64(file^0x6a09e667f3bcc909) % genSlots }

// hashKey mixes a block identity into ristretto's 64-bit key.
func hashKey(file, off, gen uint64) uint64 {
	return mix64(mix64(file^gen*0x9e3779b97f4a7c15) ^ off)
}

// Get returns the cached block at (file, off), if any. The returned slice
// is shared and must not be modified.
func (c *Cache) Get(file, off uint64) (value []byte, ok bool) {
	if c == nil || c.rc == nil {
		return nil, false
	}
	sh, ok := c.enter()
	if !ok {
		return nil, false
	}
	gen := c.gens[genSlot(file)].Load()
	e, ok := c.rc.Get(hashKey(file, off, gen))
	c.exit(sh)
	if !ok {
		return nil, false
	}
	if e.file != file || e.off != off || e.gen != gen {
		c.falseHits.Add(1)
		return nil, false
	}
	return e.data, true
}

// Set offers value as the block at (file, off). It reports whether the
// entry was queued; even then the admission policy may reject it, and it
// becomes visible to Get asynchronously (Wait makes it visible). If the
// identity is already cached, Set leaves the cached value in place. value
// must not be modified after the call, by anyone.
func (c *Cache) Set(file, off uint64, value []byte) bool {
	if c == nil || c.rc == nil {
		return false
	}
	n := Cost(value)
	if n > c.capacity {
		return false
	}
	if c.pending.Add(n) > c.maxPending {
		c.pending.Add(-n)
		c.dropped.Add(1)
		return false
	}
	sh, ok := c.enter()
	if !ok {
		c.pending.Add(-n)
		return false
	}
	defer c.exit(sh)
	gen := c.gens[genSlot(file)].Load()
	e := entry{data: value, file: file, off: off, gen: gen}
	if !c.rc.Set(hashKey(file, off, gen), e, 0) {
		c.pending.Add(-n)
		return false
	}
	return true
}

// Del removes the block at (file, off), if cached. It takes effect at once
// for Get, and also removes a Set of the same identity still queued. Del
// first waits until every queued Set has been processed (as Wait), so it
// blocks for a moment: it is meant for the rare rewrite of a block in
// place, not for a hot path.
func (c *Cache) Del(file, off uint64) {
	if c == nil || c.rc == nil {
		return
	}
	sh, ok := c.enter()
	if !ok {
		return
	}
	defer c.exit(sh)
	// Let the queued Sets land first: ristretto's Del removes the stored
	// entry at once and queues its removal, but a Set of the same key
	// still queued could be stored between the two, and a Get there would
	// return the old bytes (TestReadThroughRandom caught it).
	c.rc.Wait()
	gen := c.gens[genSlot(file)].Load()
	c.rc.Del(hashKey(file, off, gen))
}

// DropFile makes every block of file unreachable at once, including Sets
// still queued. Their memory is reclaimed as the eviction policy reaches
// them; other files sharing file's generation slot lose their cached blocks
// too (see the package documentation). A Set that starts after DropFile
// caches under the new generation even if its bytes were read from the old
// file: a backend that reuses a file id must have no read of the old file
// in flight when it calls DropFile.
func (c *Cache) DropFile(file uint64) {
	if c == nil || c.rc == nil {
		return
	}
	c.gens[genSlot(file)].Add(1)
}

// Wait blocks until every Set queued before the call has been processed
// (admitted or rejected). For tests and for measuring.
func (c *Cache) Wait() {
	if c == nil || c.rc == nil {
		return
	}
	sh, ok := c.enter()
	if !ok {
		return
	}
	defer c.exit(sh)
	c.rc.Wait()
}

// Metrics is a point-in-time copy of a cache's counters.
type Metrics struct {
	// Capacity is the configured bound in bytes.
	Capacity int64
	// BytesUsed is the total Cost of admitted entries, including entries
	// of dropped files not yet evicted. It never exceeds Capacity.
	BytesUsed int64
	// Pending is the cost of queued Sets not yet processed.
	Pending int64
	// Hits and Misses count Get calls.
	Hits, Misses uint64
	// Evictions counts entries removed by the eviction policy or by Del.
	Evictions uint64
	// SetsDropped counts Sets refused before the policy saw them (queue
	// full or pending bytes over their bound); SetsRejected counts Sets
	// the admission policy refused.
	SetsDropped, SetsRejected uint64
}

// Metrics returns the cache's counters. Hits, Misses, Evictions and
// SetsRejected are zero when Options.NoCounters is set.
func (c *Cache) Metrics() Metrics {
	if c == nil {
		return Metrics{}
	}
	m := Metrics{Capacity: c.capacity}
	if c.rc == nil {
		return m
	}
	m.BytesUsed = c.rc.MaxCost() - c.rc.RemainingCost()
	m.Pending = c.pending.Load()
	rm := c.rc.Metrics // nil with NoCounters; its methods then return 0
	fh := c.falseHits.Load()
	m.Hits = rm.Hits()
	if m.Hits >= fh {
		m.Hits -= fh
	}
	m.Misses = rm.Misses() + fh
	m.Evictions = rm.KeysEvicted()
	m.SetsDropped = rm.SetsDropped() + c.dropped.Load()
	m.SetsRejected = rm.SetsRejected()
	return m
}

// Close drops every entry and stops the cache's goroutines. It is safe
// while other calls run (a reader racing an engine's Close): it waits for
// the Sets, Dels and Waits already inside, and afterwards Get misses and
// Set, Del and Wait do nothing. A second Close does nothing.
func (c *Cache) Close() {
	if c == nil || c.rc == nil || c.users.Retired() {
		return
	}
	c.users.Retire()
	for c.users.Holders() != 0 {
		runtime.Gosched()
	}
	c.rc.Close()
	c.pending.Store(0)
}
