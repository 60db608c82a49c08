// Package btree is Lightning's paged B+tree backend, registered as
// "btree": one data file of fixed-size pages holding a B+tree, the shared
// write-ahead log (engine/wal) for durability, and a page cache for
// reads.
//
//	import _ "github.com/lightningdb/lightning/backends/btree"
//
//	db, err := engine.Open("btree", "/var/lib/mydb", nil)
//
// # Files
//
// A directory holds LOCK (the directory lock, engine.ErrLocked for a
// second Open), btree.data (the pages) and wal/ (WAL segments; see
// engine/wal). The page format (format version 1, frozen) is drawn in
// internal/page: a 32-byte header on every page (checksum, page id, LSN =
// id of the checkpoint that wrote it, type, count, level), two alternating
// meta pages (0 and 1), branch and leaf pages with slot arrays and binary
// search, overflow runs for values over a quarter page and keys over a
// sixteenth, and free-list pages. The page size is the option
// "btree.page_size" in engine.Options.Extra (4096 to 65536, a power of
// two, default 8192); an existing file keeps its own. Options.Checksum
// picks the data pages' checksum (meta pages always use CRC-32C).
//
// # Nodes in memory
//
// A child reference is either a page reference (page id + LSN) to a clean
// page, read on demand through the page cache, or an in-memory node: one
// a write created or changed since the last checkpoint (a dirty node). A
// dirty node holds its contents in the page format itself, as an
// unsealed image (see internal/page): its cells may lie anywhere after the
// slot array, so that a write inserts a cell by writing it below the
// lowest one and shifting two-byte slots; overflow data not yet written to
// a run is held beside the image and referenced by "pending" Refs; a
// branch's in-memory children override the Refs of its image. Readers
// therefore search a dirty node with the very code that searches a page,
// and a checkpoint writes a node by copying its cells in order into a page
// (page.Layout.Canonical), filling in Refs and sealing it: exactly the
// bytes EncodeLeaf would have made.
//
// A dirty leaf is usually a delta: the entries written since it was a
// clean page (its base), or since it was copied from a published
// in-memory leaf, sorted, with tombstones for deleted keys; its contents
// are the base's entries merged with them. Changing one entry of a clean
// leaf then costs the dirty budget a few hundred bytes, not a page, so a
// checkpoint comes after many more writes and rewrites each leaf after
// many changes rather than after one or two; and a write that changes a
// published dirty leaf copies the small delta, not the whole leaf. A
// delta that grows past half a page (a quarter over an in-memory leaf) is
// merged into a whole image, and a delta whose merged leaf no longer fits
// a page is merged and split.
//
// # Copy-on-write, versions and readers
//
// The tree in memory is a persistent data structure. A write (Set, Delete
// or a whole Apply) runs under one writer mutex: it copies the nodes on
// the paths it changes (a copy shares the original's image, and a
// branch's children in chunks of 64, until the write changes them),
// changes the nodes it made in place, leaves every published node
// untouched, and publishes the new root with one atomic pointer store. A
// batch is built into one new root and published once, so readers see all
// of it or none.
//
// Readers take no lock. Get loads the current root and walks down;
// iterators and snapshots keep the root they loaded, which is a
// consistent point-in-time view for as long as they are open. Iterators
// walk with a stack of frames (the path from the root), forward and
// backward; a delta leaf is merged into a temporary image when an
// iterator enters it.
//
// Leaf sibling links are not used: with copy-on-write, a leaf rewritten at
// a checkpoint moves to a new page id, so its neighbours' links would
// change, so they would be rewritten too, and so on across the whole leaf
// level at every checkpoint. The cursor stack gives the same scans in both
// directions: moving to the next leaf climbs to the lowest branch with a
// child to the right and descends its leftmost path, which touches the
// branch pages already on the stack (cached) and one leaf.
//
// # Page cache
//
// Clean pages are cached, verified, in an engine/cache.PageCache keyed by
// page id and versioned by LSN, bounded by Options.CacheSize: a
// set-associative table whose lookups take no lock and make no shared
// write (bar an entry's CLOCK reference bit the first time it is hit
// after the hand passed), and whose insertions (after a read from the
// file, or a checkpoint's write) take a mutex, admit every page and evict
// within the set by CLOCK. Every reference carries the LSN it expects and
// a lookup hits only the bytes of that LSN, so the cache never returns
// stale bytes and needs no invalidation, and a reader that follows an old
// reference to a reused page detects it. A page is immutable from the
// moment it is cached: readers hold its bytes without a lock, even after
// it is evicted. The tree does not use engine/cache.Cache (ristretto):
// its admission dropped or rejected most Sets of a working set larger
// than a few pages, so hot pages were read and verified again on most
// lookups, and every lookup took a read lock. Hits and misses are counted
// by the tree, once per operation on striped counters, not by the cache.
// With each branch page the cache keeps a digest: the prefix all its keys
// share and the next four bytes of each key (of every few keys on a large
// branch) with its cell's offset, so that a search narrows down in a small
// array of integers and then reads one or two cells, not a cell and a
// slot of the page at each step. With each leaf page it keeps an index
// instead: a small hash table of its keys (sixteen bits of each key's
// hash and its cell's offset), so that a Get reads one or two entries of
// the table and the one cell of its key, and a key the leaf does not hold
// is usually known absent without reading the page. A leaf with a key too
// long for its cell, or with very many keys, gets a digest instead, and a
// search for a position in a leaf (iterators, writes) uses the page's
// slots or its digest.
//
// # The write buffer
//
// By default ("btree.write_buffer" true) a write does not change the tree
// before it returns. It goes through the commit pipeline of
// engine/commit: under a commit mutex it gets room in the active memtable
// (an engine/memtable skiplist of Options.MemTableSize bytes), its
// sequence numbers and its place in the WAL (appended, not yet synced);
// then, outside the mutex and concurrently with other writers, it is
// inserted into the memtable and published: the visible sequence number
// passes a batch only once it and every earlier batch are inserted, so
// readers see whole batches in commit order. A Sync write then waits for
// the WAL (group commit).
//
// When the active memtable is full it is frozen: the WAL is rotated (every
// record of the frozen memtable is in a segment below the new one), a new
// memtable takes the writes, and the merger, a background goroutine,
// takes every frozen memtable and applies the newest version of every key
// of theirs (the newest memtable's, for a key in several) to the tree in
// key order, a chunk of keys per write (one version published, the
// writer mutex held), with the tree's own write path below. Keys in order
// reach each leaf together: one leaf change, and one page write at the
// next checkpoint, carries every buffered write to that leaf, where
// writing straight into the tree copied the leaf's path and delta for each
// write and rewrote nearly every leaf at each checkpoint. Up to
// "btree.memtables" memtables (default 2) are held: the active one and
// frozen ones waiting for the merger or being merged. Frozen memtables
// queue while a merge runs and the next merge takes them all; and after
// a merge during which writers stalled, the merger waits for a full queue
// (or a trigger, Flush or Close) before it merges again. So when merges
// are slower than writes (a tree larger than the page cache: each merge
// reads and rewrites most leaves, whatever its size) they grow, and one
// pass over the tree carries more writes. Only when the active memtable
// fills with the queue full do writers wait (a stall, counted in
// Metrics).
//
// The versions the merger publishes before its last chunk carry the
// tree's sequence number from before the merged memtables; the last one
// carries their last. A checkpoint taken in the middle of a merge (the
// dirty bytes reached Options.MemTableSize, or the merge made deltas of a
// quarter of the page cache's worth of clean leaves: see Checkpoints)
// therefore records the oldest
// merged memtable's first WAL segment and the sequence number before it,
// and recovery replays all of the merged memtables' records over a tree
// holding some of them: replaying a write the tree already has changes
// nothing, and replaying every later record in order leaves every key at
// its last value. After the last chunk the merger starts a checkpoint
// recording the first segment of the next memtable (frozen meanwhile, or
// the active one), which makes the merged ones' segments obsolete; then
// the merged memtables leave the readers' view.
//
// Reads look in the active memtable, then the frozen ones, newest first,
// at the visible sequence number (a deletion there is final), then in the
// tree. A snapshot or iterator pins the view (the memtables), the tree's
// current version and then the visible sequence number, and starts again
// if a memtable was frozen or left the view meanwhile: the tree then holds
// no write above the sequence number, and none the view's memtables lack
// but those of the frozen ones, which the view reads first. Iterators
// merge the memtables over the tree with engine/overlay (newer layers
// shadow older ones, deletions hide keys); with empty memtables (after an
// idle or interval trigger, Flush, or a load followed by reads) they are
// plain tree iterators. The idle and interval triggers freeze a non-empty
// active memtable, so a burst of writes reaches the tree (and then the
// data file) once writes pause.
//
// With "btree.write_buffer" false, writes change the tree directly, as
// described next: no memtables, and random writes several times slower.
//
// # Writes and durability (without the write buffer)
//
// A write validates its operations, builds the new version privately,
// appends its batch (engine.Batch encoding, with the sequence number of
// its first op set by Batch.SetSeq) to the WAL, then publishes. A build
// that fails (a damaged page) or a WAL append that fails changes nothing.
// With WriteOptions.Sync the writer then waits, outside the mutex, until
// the WAL is durable through its record; concurrent Sync writers share one
// fsync (group commit). Dirty nodes live in memory until a checkpoint.
//
// # Checkpoints
//
// With the write buffer, the merger starts checkpoints (when the dirty
// bytes pass Options.MemTableSize, when it has made deltas of a quarter
// of the page cache's worth of clean leaves, whose pages the checkpoint
// reads again and should find cached, and after each merge), as do
// the triggers below; the WAL is not rotated then, and the checkpoint records
// the first segment of the oldest memtable not wholly in the tree. Without
// it, a checkpoint starts when the dirty bytes pass Options.MemTableSize,
// when dirty data has waited "btree.checkpoint_interval" (default 60s),
// when writes have paused for "btree.idle_checkpoint" (default 1s: after
// a load, reads then search clean, cached pages with their digests and
// indexes rather than dirty nodes and deltas), and on Flush and Close. Under the writer mutex it rotates
// the WAL (records so far are in segments below the new one) and takes
// the current version; then, in the background, it writes every dirty
// node of that version (and every pending overflow run) to newly
// allocated pages, children before parents, gathering pages with
// consecutive ids into one write (with "btree.checkpoint_workers" > 0,
// an engine/checksum Pipeline seals the pages and builds their cache
// entries on that many goroutines, in order, while the checkpoint builds
// the next pages; the bytes written are the same); writes the free list to new pages;
// syncs the data file; writes the meta of checkpoint k+1 to page
// (k+1)%2, the page the last durable meta does not occupy; and syncs
// again. No page the last durable meta can reach is ever written, so a
// crash at any point leaves that meta and its tree intact. Meanwhile
// writes go on, on new nodes: the checkpoint's nodes are immutable.
//
// When it is durable, under the writer mutex again, every node it wrote
// that the current version still uses is replaced by its page (the node is
// released to the garbage collector: "swizzling", which copies the
// in-memory nodes above them), the pages it wrote for nodes the writes
// replaced meanwhile are dropped for the next checkpoint to free, a
// marker record (an empty batch carrying the checkpoint's last sequence
// number) goes into the WAL, and the WAL segments before the checkpoint
// are deleted. A writer that finds the dirty bytes past the budget while a
// checkpoint is still being written waits for it (a stall, counted in
// Metrics), so dirty memory stays within about twice Options.MemTableSize.
//
// Tuning: Options.MemTableSize is the lever of write throughput. Under
// random writes each checkpoint rewrites about every leaf written since
// the last one, so the budget (the memtable, and the dirty bytes) sets
// how many changes a leaf page write carries. Sequential loads (keys in
// order) fill each leaf once and are not limited this way. Measured on a
// 2-core VM without the write buffer (1M random inserts of 100-byte
// values, 2 writers, then 1M more; "lbench bench -workloads
// target-writes -p lightning.option.memtable_size=N"): 32 MiB (the
// default) 126K then 68K inserts/s; 64 MiB 161K then 78K; 128 MiB 203K
// then 96K. With the write buffer and the default budget, the load runs
// at 565K-660K inserts/s; the run phase (10 s of random inserts past the
// first million: the tree outgrows the 256 MiB page cache of those runs,
// so each merge reads leaves from the file and rewrites most of them) is
// set by "btree.memtables", the size of the merges: 173K-184K inserts/s
// with 2 (the default), 238K-257K with 3, 275K-329K with 4 (three
// alternated runs each, "-p lightning.option.btree.memtables=N"). Each
// more memtable costs Options.MemTableSize and, with the garbage
// collector's headroom, about three times that in resident memory:
// TestLargeData's 10M records peaked at 411 MiB with 2, 520 MiB with 3
// (whose 1M random overwrites ran at 167K/s instead of 114K/s).
//
// # Free space
//
// Pages the tree stops using (a clean page a write made dirty, an
// overflow run replaced or deleted, the previous free list, the page of a
// node replaced while its checkpoint was being written) are recorded as
// dropped; a checkpoint turns those dropped before it began into a
// pending batch tagged with its id. A pending batch becomes reusable only
// once the meta that no longer references them is durable (it is, by
// then) and no open iterator or snapshot pins a version older than the
// checkpoint that freed them: readers register the checkpoint id of the
// version they pin, and each checkpoint first releases every batch whose
// tag is at most the oldest pin. The base page of a delta leaf is dropped
// when the delta is made and freed by the checkpoint that writes the
// delta's leaf, so it stays readable while the delta needs it. A copy of a
// delta made while that checkpoint is being written keeps the base: when
// the checkpoint is durable, the base pages of such copies are taken back
// out of its freed pages and dropped again, for the next checkpoint (the
// one that writes the copy) to free. Only if the base holds a key in an
// overflow run is the copy merged at once, while the run is intact:
// merging a delta reads its base's keys, also those of the entries the
// delta deleted, whose key runs the checkpoint frees (a stricter test
// than needed: a base key the delta replaced keeps its run). The
// persisted free list holds
// free, pending and dropped pages alike (after a crash no reader is
// left). Lock-free Gets do not pin: a Get that meets a page reused under
// it fails that page's LSN or checksum check, sees that pages were
// released since it started (a generation counter), and retries on the
// current version. Allocation takes the lowest free pages first (runs of
// consecutive ones for an overflow run) and extends the file otherwise;
// under steady overwrites the file holds about two copies of the data at
// most.
//
// # Memory
//
// The process holds the page cache (Options.CacheSize), the dirty nodes
// (at most about twice Options.MemTableSize: the checkpoint being written
// and the changes made since it began), the memtables of the write
// buffer (up to "btree.memtables", default 2, of Options.MemTableSize:
// the active one and the frozen ones; a batch too large for one gets a
// memtable of its own size) and
// the WAL's buffers, whatever the size of the data. TestLargeData measures the resident set against these
// budgets.
//
// # Recovery
//
// Open reads both meta pages and uses the valid one with the highest
// checkpoint id, so a torn meta write falls back to the previous
// checkpoint (whose WAL is still there: segments are deleted only after
// the next meta is durable). It loads the free list and replays the WAL
// records with sequence numbers above the meta's; records at or below it
// are skipped (segments a crash kept from deletion). With the write
// buffer, replay inserts the records into memtables and, whenever
// "btree.memtables"-1 are full, merges them into the tree in key order,
// as the merger does (and, as it does, first syncs the WAL: here every
// segment replay read, since a process that died may have left an
// unsynced tail that the system kept, and a checkpoint in mid-merge
// relies on the WAL to replay all of the merged memtables); the write
// buffer takes over the memtables left, the
// last one as the active memtable and the full ones for the merger to
// merge once Open has returned. Without it, each record is written into
// the tree. BenchmarkRecovery, on a 2-core VM, after 1M random inserts
// and a crash: 0.93 s to reopen with the write buffer and 2.1 s until a
// Flush after it ends (every write in the tree, checkpointed); 4.0 s when
// the same WAL was replayed record by record; without the write buffer,
// whose more frequent checkpoints leave less WAL to replay, 0.26 s and
// 0.59 s. A gap in the
// sequence numbers, or a checkpoint marker beyond what the meta and the
// WAL reach (the newest meta was durable and is now damaged), is
// engine.ErrCorruption. A long replay checkpoints as it goes (the WAL
// left as it is, to be replayed from the same point) so memory stays
// bounded.
//
// # Balance
//
// A node splits when its encoded size would exceed the page: in the
// middle of its bytes, except that a leaf overflowed by an entry appended
// at its end keeps everything but that entry (sequential loads fill
// leaves). Leaf splits promote the shortest separator between the two
// halves (suffix truncation). A node under a quarter of a page after a
// delete is merged with a sibling if both fit one page, or shares their
// entries evenly otherwise; a root branch with one child gives way to it.
//
// # Checking
//
// Check (and CheckWithStats, and "lbench check") walks a closed engine's
// data file and verifies every invariant: checksums and headers, key
// order within and across pages, balanced depth, overflow runs, and that
// tree pages, free-list pages and free pages partition the file.
//
// Failures: a failed checkpoint leaves the engine failed; every later
// write, Flush and Close returns the error, and reopening recovers from
// the last durable meta and the WAL.
package btree
