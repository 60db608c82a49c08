// Package memengine is Lightning's small in-memory engine: the reference
// model the conformance kit compares backends with, and the baseline of
// the benchmark harness. It implements engine.Engine and registers itself
// as "mem":
//
//	import _ "github.com/lightningdb/lightning/engine/memengine"
//
//	db, err := engine.Open("mem", "", nil)
//
// # No durability
//
// memengine writes no file and keeps nothing across Close and Open: every
// DB starts empty, the directory argument of Open is ignored (no files,
// no lock), and all data is dropped on Close. WriteOptions.Sync is
// accepted and has no effect; Flush does nothing. It has no on-disk
// format.
//
// # Design
//
// The data is a persistent (immutable, path-copying) B+tree of fan-out 32.
// A published version of the tree is never modified. A writer takes the
// writer mutex, builds a new version by copying the nodes on the paths it
// changes (the untouched subtrees are shared with the old version), and
// publishes the new root with one atomic pointer store. Apply builds every
// operation of a batch into one new root and publishes once, so readers
// see the whole batch or none of it. Within one write the nodes the write
// has already copied carry its generation number and are changed in place,
// so a batch copies each node at most once.
//
// Readers take no lock and write no shared memory: NewIter and NewSnapshot
// just keep the version they loaded, which gives them a consistent
// point-in-time view for free, held for as long as they are open (the
// garbage collector frees versions nobody holds). Operation counters for
// reads are sharded per P (logical processor), so concurrent Gets do not
// write a common cache line.
//
// Point reads go through a hash index instead of the tree: an
// open-addressing table from each key's hash to its newest record (one
// allocation holding sequence number, key and value; the tree's key and
// value slices point into the same record). A Get is a hash, a probe of
// one 16-byte slot and a read of one record: about two cache misses on a
// large data set, where a tree walk costs one or more per level. The
// table is not persistent: the single writer changes it in place, with
// atomic stores, while readers probe it. Each record carries the sequence
// number of the write that made it, and a version remembers its own
// sequence number and the table current when it was published. A reader
// of version v that finds a record newer than v (written since) asks v's
// tree instead, so Apply's all-or-nothing visibility and snapshot
// isolation hold for point reads too; the argument is written out on the
// table type. Deletions leave tombstone records, dropped when the table is
// rebuilt to grow (a rebuild makes a new table; the old one is never
// changed again, for the versions that still use it).
//
// Within a tree node the search is also cache-conscious: each node keeps,
// next to its header, an array of 64-bit "heads", the 8 bytes of each key
// that follow the prefix shared by everything in the node's key range
// (the longest common prefix of the separators enclosing it). The binary
// search compares these integers and reads key bytes only to break ties.
// Iterators, snapshots of recently written keys and writers use the tree.
//
// Memory: keys and values are copied on write into one allocation per
// entry and never modified afterwards. Iterator.Key and Iterator.Value
// return slices of that memory: the caller must not modify them. Get
// copies the value into the caller's buffer.
//
// After Close every method of the DB, and of its snapshots and iterators,
// returns engine.ErrClosed (methods without an error result return zero
// values or false); nothing panics.
//
// Stable only at v1.
package memengine
