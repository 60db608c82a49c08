// Package memtable is the in-memory write buffer shared by the lsm and
// hybrid backends: a concurrent skiplist of internal keys laid out in one
// fixed-size arena.
//
// # Internal keys and order
//
// Every entry is (user key, sequence number, kind) → value. Entries are
// ordered by user key ascending (bytes.Compare), then by sequence number
// descending, so the newest version of a key comes first and a lookup at
// snapshot s is one seek to (key, s): Get(key, s) returns the newest version
// with sequence <= s. (key, seq) is unique; Add refuses a duplicate.
// Deletions are entries of kind engine.KindDelete (tombstones); nothing is
// ever removed from a skiplist, which is what makes its concurrency simple.
//
// # Memory layout
//
// New allocates the whole capacity at once: about 92% as the arena, the
// rest as the point-lookup index (below). The arena is one []byte; nodes
// are carved from it by
// bumping an atomic offset (never freed; the whole arena goes when the
// memtable does). Links hold uint32 offsets into the arena, not pointers,
// so the garbage collector sees a single pointer-free object however many
// entries it holds, and an arena is at most 4 GiB. Offset 0 is "no node";
// the head node (height MaxHeight, empty key, never compared) sits at 8.
// Every node starts on an 8-byte boundary:
//
//	+0        +8       +12      +16  +17    +18  +24
//	+---------+--------+--------+----+------+----+---------+-----+---------+-----+-------+-----+
//	| seq u64 | klen   | vlen   |kind|height| -- | link[0] | ... | link    | key | value | pad |
//	|         | u32    | u32    | u8 | u8   |    | u64     |     | [h-1]   |     |       | to 8|
//	+---------+--------+--------+----+------+----+---------+-----+---------+-----+-------+-----+
//
// Integers are in native byte order. This layout lives only in memory and
// may change freely; it is not an on-disk format. Heights are drawn with
// P(height > k) = 2^-k (at most MaxHeight) from a SplitMix64 generator on
// an atomic counter per skiplist: no lock, no shared global. A node thus
// costs 24 + 8*2 bytes on average plus key and value, rounded up to 8.
//
// On Linux, New advises the kernel to back the arena and the index with
// transparent huge pages (madvise; ignored where unsupported): searches
// touch nodes all over the arena, and with 4 KiB pages most touches would
// also miss the TLB.
//
// # Link words: searching without reading most keys
//
// A search's cost is the nodes it touches, each a likely cache miss. It
// must touch every node it moves onto (to read its next link), but at each
// level it also compares the key with the node it stops before, which it
// would otherwise read for nothing. So each link word carries, besides the
// successor's offset, a short abbreviation of the successor's key relative
// to the key of the link's owner:
//
//	+------------------+---------------+-------------+-------------+
//	| successor u32    | c (14 bits)   | sym(c+1) 9b | sym(c) 9b   |
//	+------------------+---------------+-------------+-------------+
//	 bits 0..31         32..45          46..54        55..63
//
// c is a lower bound on the bytes the owner's and the successor's keys
// share; sym(i) is the successor's key byte i plus 1, or 0 past its end.
// A search for key that stands on node x knows d, the exact number of
// bytes key shares with x's key (0 at the head). For the successor n:
// if c > d, key differs from x's key at byte d where n does not, so key
// sorts after n; if c <= d, key and n share their first c bytes and their
// symbols at c and c+1 order them, unless equal. Only then is n's key read.
// Moving onto n, the search learns d for n from the same facts. With keys
// like YCSB's, most levels end without reading the key they stop before;
// branching factor 2 (rather than 4) then pays, as it trades those stop
// comparisons for fewer moves per level.
//
// The abbreviation is a function of two keys that never change, and it is
// in the same atomic word as the offset it describes: a reader never sees
// one without the other.
//
// # Concurrency
//
// Reads (Get, iterators) take no lock and write nothing shared. Adds run
// concurrently with each other and with reads: a node is fully written
// (header, key, value, its own link words) before it is published, then
// linked level by level from the bottom with a compare-and-swap on its
// predecessor's link word; a failed CAS means another node was linked
// there, so the insert moves right from the same predecessor (still valid,
// since nothing is removed, and its key, hence the prefix it shares with
// the new key, never changes) and retries. Linking bottom-up keeps the
// invariant that a node reachable at level i is linked at every level
// below i, so searches may descend through it. Every link word is read and
// written atomically, which orders the node's contents before any reader
// that can reach it: a reader never sees a torn entry. A concurrent Add of
// the same (key, seq) is caught at level 0 when the loser's CAS fails and
// it finds the winner; the loser's arena space is wasted.
//
// Iteration is forward through the level-0 links; Prev has no back link
// and searches from the head for the predecessor (O(log n) per step).
//
// # Point-lookup index
//
// A skiplist search over a large memtable touches some 20 nodes
// scattered over the arena, each a likely cache miss: microseconds per
// Get. So a hash index sits beside the list: an array of 8-byte slots,
// open addressing with linear probing, each slot 0 or
//
//	+--------------------------+--------------------------+
//	| tag u32 (32 hash bits)   | node offset u32          |
//	+--------------------------+--------------------------+
//
// pointing at the newest indexed version of one user key. Get hashes the
// key (hash/maphash), probes (the tag spares a node visit on a collision),
// compares the key in the node, then walks level 0 over older versions
// while they are newer than the requested sequence number: a miss or a
// current read costs a hash, a slot and a node. The index takes about 7.7%
// of the capacity (one slot per 104 bytes) and accepts new keys up to 3/4
// of its slots; a new key that would pass that reserve gets ErrArenaFull,
// like an entry that does not fit the arena, so the backend rotates. With
// entries of 128 bytes or more on average the arena fills first.
//
// Add hashes the key and loads its slot before searching the list, so that
// the slot's cache miss overlaps the search's instead of following it.
//
// Concurrency of the index: an Add reserves a slot (an atomic count)
// before linking when its key is new (no version of it next to the new
// entry), so occupied slots never exceed the reserve and a free slot always
// exists. After linking, it stores its node in the key's slot with a CAS
// (into an empty slot, or over an older version; never over a newer one)
// and only then returns. A Get therefore sees every Add that returned
// before it started; it may or may not see one still in progress. Slots are
// never emptied, so a probe that meets an empty slot proves the key absent.
//
// # Ownership
//
// Add copies key and value. Slices returned by Get and by Iterator.Key and
// Iterator.Value alias the arena: they are valid and unchanging as long as
// the Skiplist is referenced, and must not be modified.
//
// Stable only at v1.
package memtable
