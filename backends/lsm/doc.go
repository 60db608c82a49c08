// Package lsm is Lightning's log-structured merge-tree backend, registered
// as "lsm":
//
//	import _ "github.com/lightningdb/lightning/backends/lsm"
//
//	db, err := engine.Open("lsm", dir, opts)
//
// or lsm.Open(dir, opts) for the concrete *DB (which adds Compact).
//
// # Design
//
// Writes: every write is a batch (Set and Delete are one-operation
// batches), committed through engine/commit's pipeline, which the btree's
// write buffer shares. Under a commit mutex a batch reserves room in the active
// memtable, gets consecutive sequence numbers and is appended to the
// write-ahead log (engine/wal) in that same order; it is then inserted
// into the memtable concurrently with other writers, and published: the
// visible sequence number passes a batch only when it and every earlier
// batch are fully inserted, so readers see whole batches in commit order.
// A Sync write then waits for the WAL to be synced through its record;
// concurrent Sync writers share one fsync (group commit).
//
// Memtables (engine/memtable) have a fixed capacity (Options.MemTableSize;
// a batch larger than that gets a memtable of its own). A batch that does
// not fit rotates the memtable: it becomes immutable, a new one and a new
// WAL segment start, and a background goroutine writes the immutable one
// to a level-0 table, records the table in the MANIFEST and deletes the
// WAL segments it made redundant. Writers stall (counted in Metrics,
// logged once per stall) while too many memtables wait for flushing or
// level 0 has too many files: memory stays bounded.
//
// Reads: a Get first asks the row cache (engine/cache.RowCache, about a
// quarter of Options.CacheSize by default, lsm.row_cache_size): writers
// invalidate a key's row after their batch is published and before they
// return (not before the first Get ever: until then no row exists), and
// one miss in four, at random, fills it. Then a read pins the current read
// state (active memtable, immutable memtables, Version) and takes a
// sequence number: a snapshot's, or the visible one loaded after the pin
// and checked against a read state still published (else it pins again;
// loaded before, a flush could drop the versions it needs), and looks in the
// memtables newest first, then the level-0 tables newest first, then one
// table per deeper level found by binary search on key ranges; bloom
// filters skip tables without the key. Tables are opened through a table
// cache bounded by lsm.max_open_files; their data blocks are cached in
// engine/cache, and their index blocks are pinned in the open table, with
// a compact summary that makes the index search cheap, as long as they fit
// in lsm.index_budget (a sixteenth of the cache by default, taken out of
// the block cache), else cached too. Iterators merge all those sources,
// keeping for each key its newest visible version and hiding deletions;
// their state comes from a pool.
//
// A Get writes no cache line that another core's Get writes: the read
// state and open tables are pinned with per-P reference counts
// (internal/percpu.RefCount: pin, check that the object is still
// published, unpin; the owner unpublishes, then retires it, and the last
// of the two frees it), the table cache's hit path is a lock-free map
// lookup with a CLOCK bit set only when clear, and counters are per P.
//
// Compaction (leveled): level 0 is compacted into level 1 when it has
// lsm.l0_compaction_trigger files, or earlier when reads pay for it: every
// lsm.read_compaction_interval (default 1s) the DB compares the level-0
// tables Gets consulted without finding their key with the level's size
// in 16 KiB units (at least 1000), as LevelDB's seek compactions do, and
// if no memtable was flushed in that interval (a read-mostly phase) and
// the probes reach it, level 0 goes into level 1 below the trigger. Level
// n is compacted into n+1 when its size exceeds
// its target (lsm.l1_size times lsm.level_ratio^(n-1)), one file at a time
// round-robin. A file that overlaps nothing below is moved, not
// rewritten. Each level's tables use the codec lsm.compression_per_level
// gives it (default: Options.Compression). Outputs are cut at
// lsm.target_file_size, and early when they overlap more than
// lsm.grandparent_overlap target files of the level below theirs (so that
// compacting them later rewrites a bounded amount), on user-key
// boundaries. A compaction keeps, of each key, the newest version in each
// stripe between open snapshots, and drops a deletion when no snapshot
// needs it and no deeper level holds the key. Compactions run in
// background goroutines (up to lsm.compaction_concurrency), never block
// reads (readers keep the Version they started with), may be limited to
// lsm.rate_limit_bytes_per_sec, and stop early at Close.
//
// Failures: a flush or compaction that fails (I/O error, corruption)
// makes the DB refuse every later write with that error, which Flush,
// Compact and Close also return. Recovery after a crash or failure is
// Open: read CURRENT and the MANIFEST, check that the tables exist,
// replay the WAL segments the MANIFEST does not cover (skipping batches
// whose sequence numbers are already in tables), start a new MANIFEST and
// remove files nothing refers to.
//
// # Files (frozen)
//
// A database directory holds:
//
//	LOCK               the lock file (vfs.FS.Lock); empty
//	CURRENT            names the MANIFEST in use: "MANIFEST-000005\n"
//	CURRENT.tmp        a CURRENT being written (removed at Open)
//	MANIFEST-NNNNNN    the log of version edits (package manifest)
//	NNNNNN.sst         a table (package sstable, format 1)
//	wal/NNNNNN.log     write-ahead log segments (package engine/wal),
//	wal/NNNNNN.log.free  recycled segments
//
// NNNNNN is a file number, %06d (wider past 999999). MANIFESTs and tables
// share one counter; WAL segments have their own. Each WAL record is one
// engine.Batch encoding (Batch.Repr) with its sequence number set.
//
// The MANIFEST's log number names the first WAL segment that may hold
// writes not in the tables; its last sequence number is the largest such
// that every write at or below it is in the tables. Invariants Open
// checks: every table a MANIFEST lists exists, and the WAL has no
// segment missing below the log number (a MANIFEST that lost edits to
// damage shows as one of those and is reported as corruption).
//
// Order of durable steps: a table is written and synced, then the
// directory is synced, then the MANIFEST edit naming it is appended and
// synced, and only then are the files it makes obsolete (WAL segments,
// compaction inputs) deleted. A new MANIFEST is written whole and synced
// before CURRENT is switched to it.
//
// Stable only at v1.
package lsm
