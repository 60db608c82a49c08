// Package sstable writes and reads the LSM backend's sorted string tables:
// immutable files of internal keys (base.InternalKey) and values in
// internal-key order, with an index, a bloom filter and properties.
//
// A Writer takes entries in strictly increasing internal-key order and
// cuts them into data blocks of about WriterOptions.BlockSize bytes; Close
// writes the filter, index and properties blocks and the footer, syncs,
// and returns the table's Meta for the manifest. A Reader opens a table,
// verifies its footer, properties, filter and index, and serves point
// reads (Get: the newest version visible at a sequence number, with the
// bloom filter consulted first) and iterators (Iter: every version, both
// directions, seeks, bounds on user keys). Decoded data and index blocks
// go through the shared block cache (engine/cache), keyed by (file number,
// block offset).
//
// Decisions:
//   - Empty tables are not written: Close with no entries returns
//     ErrEmptyTable. A reader nevertheless accepts a well-formed table
//     whose index is empty (it holds nothing).
//   - An entry larger than BlockSize gets a block of its own: blocks have
//     no size limit but the entry limits (engine.MaxKeySizeLimit,
//     engine.MaxValueSizeLimit); the reader's default decompressor admits
//     blocks of that size.
//   - One bloom filter per table over user keys (package bloom), read at
//     Open and kept in the Reader (bitsPerKey/8 bytes per distinct key).
//     The filter block and the properties block are never compressed
//     (filter bits do not compress; properties are small).
//   - Index entries are separators: for a block with last key L followed
//     by a block with first key F, the index key S satisfies L <= S < F;
//     when the user keys allow, S is a shorter user key with the largest
//     trailer (seq 2^56-1, KindSet). The last block's separator may be
//     above the table's largest key. Index blocks use a restart interval
//     of 1 so an index seek is one binary search.
//   - Every block (data, index, filter, properties) carries the checksum
//     trailer of engine/checksum; the footer has its own CRC-32C. Any
//     mismatch, and any format violation, is an error satisfying
//     errors.Is(err, engine.ErrCorruption) naming the file and the offset
//     of the block (or footer).
//   - The index block is pinned in the Reader (ReaderOptions.PinIndex, no
//     cache, or room in ReaderOptions.IndexBudget) or cached like data
//     blocks. A pinned index gets a summary in memory (8 bytes per entry:
//     the bytes of the separator after the prefix all separators share),
//     so a Get compares only the few entries the summary cannot tell
//     apart instead of binary-searching the block; it is built and checked
//     at Open and counted in the budget.
//   - Values returned by Get and Iter.Value alias decoded blocks, which are
//     immutable and never reused, so they stay valid as long as they are
//     referenced; callers must not modify them.
//   - The Writer compresses and checksums each block with engine/compress
//     and engine/checksum's trailer: in the caller's goroutine by default,
//     or, with WriterOptions.BlockWorkers > 0, data blocks on the workers
//     of an engine/checksum Pipeline while Add builds the next ones (the
//     pipeline's sink records each block's index entry, in order). Both
//     paths write the same bytes (TestBlockWorkersSameBytes). The inline
//     path is the lsm's default (lsm.block_workers=0): on this project's
//     2-core machine, where a flush or compaction already runs beside the
//     foreground writers, the pipeline was not faster (BenchmarkWriter:
//     zstd the same wall time for more CPU, snappy slower).
//
// # File layout (format version 1, frozen)
//
//	+---------------------------+  offset 0
//	| data block 0    + trailer |
//	| data block 1    + trailer |
//	| ...                       |
//	| data block n-1  + trailer |
//	+---------------------------+
//	| filter block    + trailer |  absent when written with NoFilter
//	+---------------------------+
//	| index block     + trailer |
//	+---------------------------+
//	| properties blk  + trailer |
//	+---------------------------+
//	| footer (64 bytes)         |  at file size - 64
//	+---------------------------+
//
// A block handle is (offset, length): where the block starts in the file
// and its length including its trailer. In index values it is two
// uvarints; in the footer two uint64s.
//
// # Block trailer (engine/checksum, frozen)
//
//	+=====================+-------+--------------------------+
//	| stored bytes        | codec | checksum (4 or 8 bytes)  |
//	+=====================+-------+--------------------------+
//	|<---- covered by the checksum ------>|
//
// codec is a compress.Codec id (0 none, 1 snappy, 2 s2, 3 zstd); the
// checksum is CRC-32C (4 bytes LE) or XXH3-64 (8 bytes LE), the table's
// checksum kind from the footer. The stored bytes decompress to the block.
//
// # Data and index blocks (frozen)
//
//	+---------+---------+-----+-----------+---------------+-------------+
//	| entry 0 | entry 1 | ... | entry m-1 | restart[0..r) | r: uint32LE |
//	+---------+---------+-----+-----------+---------------+-------------+
//
//	entry:
//	+-----------------+-------------------+-----------------+---------------+-------+
//	| shared: uvarint | unshared: uvarint | valuelen:uvarint| unshared key  | value |
//	+-----------------+-------------------+-----------------+---------------+-------+
//
// An entry's key is the first `shared` bytes of the previous entry's key
// followed by its `unshared` bytes. Every RestartInterval-th entry (the
// first one included) is a restart point: shared = 0, and its offset in
// the block is in the restart array (uint32 LE each, ascending,
// restart[0] = 0). A block with no entries has r = 0 and is just the four
// zero bytes of r.
//
// Data block keys are encoded internal keys (user key, then the 8-byte LE
// trailer seq<<8 | kind; see package base) in strictly increasing order;
// values are the values (empty for deletions). Index block keys are
// separators (encoded internal keys); values are the handles of the data
// blocks, in order.
//
// # Filter block (frozen)
//
// The encoded bloom filter of package bloom (format 1) over the table's
// distinct user keys, stored raw.
//
// # Properties block (frozen)
//
// A block in the format above (keys not internal keys) mapping property
// names to values: integers as uvarints (creation_time as a varint of
// Unix nanoseconds), keys as encoded internal keys, text raw. Names
// written by format 1, all prefixed "lightning.": block_size, checksum,
// codec, creation_time, creator, data_blocks, data_bytes, deletions,
// entries, file_num, filter_bits_per_key, filter_bytes, index_bytes,
// largest, largest_seq, raw_key_bytes, raw_value_bytes, restart_interval,
// smallest, smallest_seq. Readers ignore names they do not know, so a
// later writer may add some.
//
// # Footer (64 bytes, frozen)
//
//	 0  uint64 LE  filter block offset   } both 0: no filter
//	 8  uint64 LE  filter block length   }
//	16  uint64 LE  index block offset
//	24  uint64 LE  index block length
//	32  uint64 LE  properties block offset
//	40  uint64 LE  properties block length
//	48  uint16 LE  format version (1)
//	50  uint8      checksum kind of every block trailer (1 crc32c, 2 xxh3)
//	51  uint8      reserved, 0
//	52  uint32 LE  CRC-32C of bytes 0..51
//	56  8 bytes    magic "LTNG-SST"
//
// Stable only at v1 of the module; the format itself is frozen: a change
// is a new format version.
package sstable
