// Package refengine is a small, durable reference engine used only by the
// conformance kit's own tests: the kit must pass it fully, and must fail
// each of its deliberately broken variants (see Bug). It is built for
// obvious correctness, not speed: the whole data set lives in a Go map,
// iterators and snapshots read an immutable sorted copy of it, and
// durability comes from an append-only log of batch records on a vfs.FS.
//
// # Files
//
// A directory holds:
//
//	LOCK          taken with vfs.FS.Lock while the engine is open
//	NNNNNN.log    log segments, replayed in increasing number order
//	NNNNNN.tmp    a base segment being written by Compact; removed at Open
//
// Every Open starts a new segment (never appending to a replayed one);
// Flush syncs the current segment and starts a new one; the current
// segment also rotates once it exceeds Options.WALSegmentSize. Compact
// writes the whole state as one base record into NNNNNN.tmp, syncs it,
// renames it to NNNNNN.log, syncs the directory, and only then removes the
// older segments.
//
// # Record format (frozen)
//
// A segment is a sequence of records; all integers are little-endian:
//
//	+-----------+-----------+-----------+------+==========================+
//	| hcrc u32  | len u32   | pcrc u32  | type |  payload (len bytes)     |
//	+-----------+-----------+-----------+------+==========================+
//	 0           4           8           12     13
//
//	hcrc     CRC-32C (Castagnoli) of header bytes 4..12 (len, pcrc, type)
//	len      payload length
//	pcrc     CRC-32C of the payload
//	type     1 = batch: apply the batch
//	         2 = base:  clear the state, then apply the batch (Compact)
//	payload  an engine.Batch encoding (engine.Batch.Repr); its sequence
//	         number counts batches: a batch record has the previous
//	         record's sequence + 1, a base record the sequence of the last
//	         batch it includes.
//
// # Recovery rules
//
// The last segment may end in a torn record, the trace of a crash during
// an append: fewer than 13 header bytes left, a payload running past the
// end of the file, a bad payload checksum in a record that ends exactly at
// the end of the file, or a bad header checksum followed only by zero
// bytes. Replay stops there and Open truncates the segment to its valid
// length. Anything else — any damage in an earlier segment, a bad header
// checksum, a bad payload checksum with more records after it, an unknown
// type, a malformed batch, a sequence gap — is an error satisfying
// errors.Is(err, engine.ErrCorruption) naming the file and offset.
//
// A write error (or sync error) poisons the engine: every later write
// returns it, because the segment may now end in a partial record that a
// later record would turn into mid-log corruption. Close still releases
// the lock.
package refengine
