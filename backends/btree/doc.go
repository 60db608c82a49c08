// Package btree is Lightning's paged B+tree backend, registered as
// "btree": one data file of fixed-size pages holding a B+tree, the shared
// write-ahead log (engine/wal) for durability, and the shared page cache
// (engine/cache) for reads.
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
// # Copy-on-write, versions and readers
//
// The tree in memory is a persistent data structure. A child reference
// is either an in-memory node (created or changed by a write since the
// last checkpoint: a dirty node) or a page reference (page id + LSN) to a
// clean page read on demand through the page cache. A write (Set, Delete
// or a whole Apply) runs under one writer mutex: it copies the nodes on
// the paths it changes (decoding a clean page into a node the first time),
// leaving every published node untouched, and publishes the new root with
// one atomic pointer store. A batch is built into one new root and
// published once, so readers see all of it or none.
//
// Readers take no lock. Get loads the current root and walks down;
// iterators and snapshots keep the root they loaded, which is a
// consistent point-in-time view for as long as they are open. Iterators
// walk with a stack of frames (the path from the root), forward and
// backward.
//
// Leaf sibling links are not used: with copy-on-write, a leaf rewritten at
// a checkpoint moves to a new page id, so its neighbours' links would
// change, so they would be rewritten too, and so on across the whole leaf
// level at every checkpoint. The cursor stack gives the same scans in both
// directions: moving to the next leaf climbs to the lowest branch with a
// child to the right and descends its leftmost path, which touches the
// branch pages already on the stack (cached) and one leaf.
//
// Cached pages are keyed by (LSN, page id), which names immutable bytes:
// a page reused by a later checkpoint has another LSN, so the cache never
// returns stale bytes and needs no invalidation, and every reference
// carries the LSN it expects, so a reader that follows an old reference to
// a reused page detects it.
//
// # Writes and durability
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
// A checkpoint runs when the bytes made dirty since the last one pass
// Options.MemTableSize, on Flush and on Close. Under the writer mutex it
// rotates the WAL (records so far are in segments below the new one),
// then writes every dirty node reachable from the current root (and every
// large value or long key not yet in an overflow run) to newly allocated
// pages, children before parents; writes the free list to new pages;
// syncs the data file; writes the meta of checkpoint k+1 to page (k+1)%2,
// the page the last durable meta does not occupy; and syncs again. No
// page the last durable meta can reach is ever written, so a crash at any
// point leaves that meta and its tree intact. Only then does the new
// version (whose root is a page reference; the dirty nodes are released to
// the garbage collector) get published, a marker record (an empty batch
// carrying the checkpoint's last sequence number) go into the new WAL
// segment, and the WAL segments before the checkpoint get deleted.
//
// # Free space
//
// Pages the tree stops using (a clean page decoded into a node, an
// overflow run replaced or deleted, the previous free list) are recorded
// as dropped; a checkpoint turns them into a pending batch tagged with its
// id. A pending batch becomes reusable only once the meta that no longer
// references them is durable (it is, by then) and no open iterator or
// snapshot pins a version older than the checkpoint that freed them:
// readers register the checkpoint id of the version they pin, and each
// checkpoint first releases every batch whose tag is at most the oldest
// pin. The persisted free list holds free, pending and dropped pages
// alike (after a crash no reader is left). Lock-free Gets do not pin: a
// Get that meets a page reused under it fails that page's LSN or checksum
// check, sees that pages were released since it started (a generation
// counter), and retries on the current version. Allocation takes free
// pages first (consecutive ones for an overflow run) and extends the file
// otherwise; under steady overwrites the file holds about two copies of
// the data at most (the durable tree and the one being written).
//
// # Recovery
//
// Open reads both meta pages and uses the valid one with the highest
// checkpoint id, so a torn meta write falls back to the previous
// checkpoint (whose WAL is still there: segments are deleted only after
// the next meta is durable). It loads the free list and replays the WAL
// records with sequence numbers above the meta's; records at or below it
// are skipped (segments a crash kept from deletion). A gap in the sequence
// numbers, or a checkpoint marker beyond what the meta and the WAL reach
// (the newest meta was durable and is now damaged), is
// engine.ErrCorruption. A long replay checkpoints as it goes so memory
// stays bounded.
//
// # Balance
//
// A node splits when its encoded size exceeds the page: in the middle of
// its bytes, except that a leaf overflowed by an entry appended at its end
// keeps everything but that entry (sequential loads fill leaves). Leaf
// splits promote the shortest separator between the two halves (suffix
// truncation). A node under a quarter of a page after a delete is merged
// with a sibling if both fit one page, or shares their entries evenly
// otherwise; a root branch with one child gives way to it.
//
// # Checking
//
// Check (and CheckWithStats) walks a closed engine's data file and
// verifies every invariant: checksums and headers, key order within and
// across pages, balanced depth, overflow runs, and that tree pages,
// free-list pages and free pages partition the file.
//
// Failures: a failed checkpoint leaves the engine failed; every later
// write, Flush and Close returns the error, and reopening recovers from
// the last durable meta and the WAL.
package btree
