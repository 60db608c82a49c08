// Package commit is the write pipeline shared by the backends that put a
// WAL and a memtable (engine/memtable) in front of their storage: the lsm
// backend, and the btree and hybrid backends.
//
// # The pipeline
//
// A write is one engine.Batch. Committing it takes four steps, of which
// only the first two are serialized:
//
//  1. Reserve, under the backend's commit mutex: the batch gets room in
//     the active Table (Fits; when it says no the backend rotates to a new
//     Table, or stalls until one may be made), its sequence numbers, and
//     a place in the commit queue (Publisher.Enqueue). Table.Reserve
//     records the room taken.
//  2. Append the batch to the WAL, still under the mutex, without syncing.
//     So WAL order, sequence order and the Table a batch lands in always
//     agree.
//  3. Insert, after the mutex is released and concurrently with other
//     writers: Table.Apply adds every operation to the skiplist.
//  4. Publish: Publisher.Finish moves the backend's visible sequence
//     number past the batch only once it and every earlier batch are fully
//     inserted, so readers, which read at the visible sequence number,
//     see whole batches and in commit order. Then Table.Unreserve ends the
//     reservation. A synchronous write next waits for the WAL to be synced
//     through its record; concurrent ones share fsyncs (group commit, in
//     engine/wal).
//
// # Reservations
//
// Space is reserved before a batch is inserted, so Apply never meets
// memtable.ErrArenaFull and a batch is never split across memtables. A
// reservation (BatchNeed) counts the worst case of every entry, a node of
// the maximum height (memtable.EntrySize), and one index slot per entry;
// Fits admits a batch only if the arena and the index hold it on top of
// what is allocated and what the reservations not yet inserted may still
// take. The index bound follows the sizing documented by package memtable:
// one 8-byte slot per 104 bytes of capacity, at least 4 slots, new keys up
// to 3/4 of the slots. A batch too big for a Table of the standard size
// gets a Table of its own, sized by CapacityFor; FitsEmpty tells which.
//
// Before a full Table is written out, the backend calls Wait: it returns
// once every batch reserved in the Table is inserted, after which MaxSeq
// and Ops are final.
package commit
