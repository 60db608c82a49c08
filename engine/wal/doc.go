// Package wal is Lightning's write-ahead log: record streams (package
// record) in numbered segment files of one directory, with group commit,
// background syncing, rotation, recycling of obsolete segments and replay.
//
// # Files (frozen)
//
// A log directory holds:
//
//	000001.log  000002.log ...   segments, named by their number (the log
//	                             number of their record stream), %06d, wider
//	                             past 999999
//	000001.log.free ...          obsolete segments kept for reuse
//	prealloc.tmp                 a zero-filled file being prepared as
//	                             the next segment (holds no records;
//	                             Open removes it)
//
// Every segment is one record stream (see package record for the bytes)
// whose chunks carry the segment's number. Every segment but the last ends
// with a seal: before the next segment is created, the flusher syncs the
// segment's data, writes the seal (whose witness chunk then vouches for
// every byte before it, so that damage anywhere in a sealed segment is
// reported as corruption) and syncs again. Close seals the last segment
// the same way, and Open seals the last segment of a crashed log at its
// logical end before it starts a new one. Segment numbers are consecutive; DeleteObsolete removes
// a prefix of them.
//
// # Writing
//
// WriteRecord appends a record. Records are encoded, under one admission
// lock, into an in-memory buffer in the order their calls were admitted;
// WriteRecordOrdered runs a callback under that lock, so a backend can
// assign sequence numbers in log order. One flusher goroutine writes
// everything buffered with one write call per segment, then, if any
// waiting writer asked for sync, one fsync covering all of them (group
// commit): a writer with sync returns only after its record is durable; a
// writer without sync returns once its record is buffered. Before it takes
// the buffered records for a round, the flusher briefly yields to the sync
// writers the previous fsync released (a bounded fraction of an fsync's
// time), so that a closed loop of n sync writers shares one fsync rather
// than settling into two alternating groups of n/2. Buffered
// records are written as soon as the flusher is free, and made durable by
// the next sync: of a sync writer, Sync, rotation, Close, or the
// background sync every Options.SyncInterval. A crash loses at most a
// suffix of the unsynced records, never a record without those before it.
//
// When a segment reaches Options.SegmentSize the next one starts; Rotate
// forces that and returns the new number N, so that every record admitted
// before is in a segment below N. Once a backend has made those records
// redundant (a flushed memtable, a checkpoint), DeleteObsolete(N) removes
// the segments below N and syncs the directory.
//
// Recycling and preallocation: appending to a file makes every fsync also
// write the file's new size and block allocation (on ext4, a journal
// commit); overwriting blocks a file already has is cheaper (measured on
// this project's machine: an fdatasync of a 64-record batch about 200 µs
// appending, 115-140 µs overwriting). So DeleteObsolete keeps up to
// Options.RecycleSegments obsolete segments, renamed to ".free", and the
// flusher renames one to the next segment's name instead of creating a
// file. The stale bytes after the logical end of a recycled segment carry
// an older log number, so the reader never takes them for records.
//
// When no free file is left and the file system can preallocate
// (vfs.Preallocator; the OS file system can, the in-memory one cannot),
// a segment that has served many sync writers (64 syncs) has the next
// segment's file prepared in the background: another goroutine creates
// prealloc.tmp, zero-fills it to SegmentSize plus two blocks and syncs
// it, and the flusher renames it to the next segment's name. If the
// active segment appends to a new file (the first segment after Open,
// say), the log moves to the preallocated file as soon as it is ready, as
// if rotated; otherwise the file waits for the next rotation, being
// prepared once the active segment is half full. The zeros after a
// segment's logical end read as a torn tail (a zero header is never a
// valid chunk), so the format is unchanged. A failed preallocation (a
// full disk, say) fails nothing: its file is removed, segments append to
// new files, and the log does not try again. Close stops a preallocation
// in progress after its current 4 MiB step and removes the file. Logs
// whose writers do not sync are never preallocated: the zeros would cost
// a segment's worth of writes and save nothing.
//
// # Failures
//
// If a write or fsync fails, every writer waiting for it gets the error,
// and the log refuses all further writes with an error wrapping ErrFailed
// and the original error: after a failed fsync the kernel may have dropped
// the dirty pages, so what the file holds is unknown, and retrying could
// report durable what is not. The owner must Close the log and recover by
// replaying it.
//
// # Reading
//
// Replay reads every segment in order. A torn tail of the last segment is
// the end of the log (records a crash interrupted). A segment that is not
// the last and does not end with its seal, a gap in the numbering, or
// damage the record reader proves to be corruption is an error satisfying
// errors.Is(err, engine.ErrCorruption).
//
// Stable only at v1.
package wal
