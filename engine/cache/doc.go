// Package cache holds Lightning's three in-memory caches.
//
// # Which cache
//
//   - PageCache, for a backend's own blocks on its hot read path: fixed
//     size blocks (pages) keyed by a uint64 and a version, every Put
//     admitted, a Get with no lock. The btree caches its pages in one.
//   - Cache, for blocks of varied sizes keyed by (file, offset), with
//     files dropped as a whole (DropFile) and a frequency-based admission
//     policy that keeps a one-off scan from flushing the hot set; a Get
//     costs a read lock and a recorded access, and a Set may be dropped.
//     The lsm caches its SSTable blocks in one.
//   - RowCache, for hot key → value rows in front of any backend's Get.
//
// # Block cache
//
// Cache is a byte-bounded cache of immutable blocks or pages, keyed by
// (file id, offset), built on github.com/dgraph-io/ristretto/v2. Backends put
// decoded (decompressed, checksum-verified) blocks in it and look them up
// before reading a file.
//
// Keys. A block's identity is (file, offset, generation of the file's slot;
// see DropFile). The identity is mixed into one 64-bit ristretto key, and the
// entry stored in ristretto carries the full identity, which Get compares:
// two different (file, offset) pairs whose hashes collide never return each
// other's block, they just cannot both be cached. Ristretto's KeyToHash can
// return a second "conflict" hash, but only from the key value itself; a
// composite key would have to be a string or []byte, and ristretto passes
// the key through a func value, so it escapes and costs one allocation per
// Get (measured 42 ns and 1 alloc against 23 ns and none for a uint64 key).
// The exact identity check in the entry is stronger than a 64-bit conflict
// hash and costs nothing, so KeyToHash returns the key and a zero conflict.
//
// Admission. Ristretto is a hint, not a map. Set only queues the entry; a
// background goroutine later applies the TinyLFU admission policy and the
// sampled-LFU eviction, so a Set may be dropped (queue full, or more bytes
// in flight than the bound below), rejected (the policy thinks the entry
// less valuable than what it would evict), or become visible to Get only a
// little later. Callers must treat every Get miss as normal and read the
// source. Wait blocks until queued Sets are applied; tests use it.
//
// Set never replaces. An identity names immutable bytes: a Set for an
// identity that is already cached is ignored (ristretto's in-place update is
// disabled, and such a Set is refused when the policy goroutine takes it,
// before ristretto's policy would re-charge the key with the ignored
// value's cost; that keeps the byte accounting exact). A backend
// that rewrites the bytes at (file, offset) in place must call Del after
// the write, and must not let a Set of bytes it read before the write
// happen after that Del (hold the page latch from read to Set).
//
// DropFile. Ristretto cannot enumerate entries by prefix, so files are
// dropped by generation: every file hashes to one of genSlots generation
// counters, the counter is part of each entry's identity, and DropFile
// increments it. The dropped file's entries become unreachable at once;
// they keep their share of the budget until the eviction policy samples
// them (they get no more hits, so they are the first to go as new blocks
// arrive). Trade-offs: the bound is fixed (genSlots counters, 64 KiB), no
// per-file map grows with the number of files ever dropped; files sharing
// a slot with a dropped file lose their cached blocks too (a few extra
// misses, never a wrong result); and memory of dropped files is reclaimed
// lazily, not at the DropFile call.
//
// Memory bound. Each entry is charged cost(value) = cap(value) +
// EntryOverhead, where EntryOverhead covers ristretto's per-entry map slots
// and policy record (see TestEntryOverhead, which measures it). The charged
// total never exceeds the capacity. Bytes of Sets queued but not yet
// processed are bounded separately (Pending in Metrics, at most
// max(capacity/8, 1 MiB)); Sets over that bound are dropped. Further slack,
// not charged: the frequency sketch (ten counters of about 5 bytes per
// expected entry, see Options.BlockSize, capped at 2% of the capacity), the
// generation table (64 KiB), and the Go allocator's rounding of each value
// up to its size class (under 12.5%).
// Blocks evicted while a caller still holds them stay alive until dropped.
//
// Immutability. A slice passed to Set, and a slice returned by Get, is
// shared by the cache and every reader: nobody may modify it afterwards.
//
// A nil *Cache, and a Cache of capacity 0, is a valid "no cache": Get
// misses, Set does nothing; backends need no special case.
//
// # Page cache
//
// PageCache is a fixed-budget cache of verified, immutable byte blocks,
// each keyed by a uint64 (a page id, a block number) and a version (the
// LSN or checkpoint that wrote it, a file number), with a small metadata
// value of the caller's type kept beside it (the btree keeps a page's
// search digest and level). Layout: a set-associative table, sets of four
// slots in one cache line; a slot holds a copy of its entry's key, checked
// first, and a pointer to the immutable entry. Each key may live in either
// of two sets, picked by two independent hashes (two-choice hashing), so
// that a working set the budget holds is not turned away by a few sets
// that overflow while others have room. Get probes the key's first set,
// then its second, comparing keys and then (key, version): no lock, and no
// shared write but a CLOCK reference bit set on the first hit after the
// hand passed. Put takes a mutex, replaces another version of its key, or
// fills an empty slot of either set, or frees one by moving an entry of
// the two sets to its own other set, or evicts an idle entry (one a
// sweeping hand, moved one set per such Put, found unhit for a whole
// turn), or else evicts by CLOCK in the colder of the two sets (the hand
// clears the bits of entries hit since it last passed, and takes the
// first unmarked one). Every Put is admitted; there
// is no admission policy, so a scan can flush hot blocks out of the sets
// it touches. At most one
// version of a key is cached, and a lookup for another version misses:
// a block rewritten under a new version never needs invalidating.
//
// Memory: the table has capacity/Charge() slots, fixed at construction,
// each charged the block size, the metadata bytes, the metadata value and
// PageEntryOverhead, so the blocks held never exceed the budget
// (TestPageCacheMemory measures it). Blocks and metadata are shared with
// every caller and must never be modified after Put; an evicted block
// stays alive while a caller holds it. The cache counts evictions but not
// hits or misses, which callers count where a shared write is cheap.
//
// # Row cache
//
// RowCache is a fixed-size, lock-free, hash-indexed key → value cache for
// hot point reads, to sit in front of any backend: a Get is a hash, one
// cache line of atomic loads and a key compare, with no lock and no shared
// write (ristretto's Get takes a read lock and records the access). Rows
// are invalidated by a per-set epoch that writers bump before they
// acknowledge a write; readers fill with the epoch they saw on their miss,
// so a fill that raced with a write can never be served. The argument is
// on the type. Memory: 2 rows per set, each at most maxEntry key+value
// bytes (rounded up to the allocator's size class) plus RowEntryOverhead;
// replaced rows are garbage until the next GC. Absent keys are not cached.
//
// Nothing in this package is stored on disk.
//
// Stable only at v1.
package cache
