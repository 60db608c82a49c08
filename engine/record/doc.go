// Package record frames a stream of records into checksummed chunks laid
// out in 32 KiB blocks, the log format every Lightning write-ahead log
// uses. It works over an io.Writer and an io.Reader and knows nothing of
// files: engine/wal puts the streams in segment files.
//
// # Format (frozen)
//
// A stream is a sequence of 32 KiB blocks; the last block may be short. A
// record is split into one or more chunks, and a chunk never crosses a
// block boundary. When fewer than HeaderSize (15) bytes remain in a block,
// the writer fills them with zeros and continues in the next block, so
// every block of a stream starts with a chunk header. All integers are
// little-endian:
//
//	block:  +---------+---------+-----+---------+-----------+
//	        | chunk 0 | chunk 1 | ... | chunk k | zeros < 15 |
//	        +---------+---------+-----+---------+-----------+
//	        |<------------------- 32768 bytes ------------->|
//
//	chunk:
//	   0        4      5        7           11          15
//	   +--------+------+--------+-----------+-----------+===============+
//	   | crc    | type | length | log       | synced    | payload       |
//	   | uint32 | u8   | uint16 | uint32    | uint32    | length bytes  |
//	   +--------+------+--------+-----------+-----------+===============+
//	            |<-------------- covered by crc ------------------------>|
//
//	crc     CRC-32C (Castagnoli) of bytes [4, 15+length) of the chunk: the
//	        rest of the header and the payload. It is stored unmasked: the
//	        checksummed bytes always include a nonzero type and the log
//	        number, so zero-filled or recycled space never verifies, and no
//	        chunk ever checksums a checksum of itself.
//	type    1 full: a whole record      2 first: the start of a record
//	        3 middle: a continuation    4 last: the end of a record
//	        5 seal: end of the stream (payload ignored)
//	        0 and 6..255 are invalid (0 is what zeroed space reads as).
//	length  payload bytes, at most BlockSize-HeaderSize (32753).
//	log     the low 32 bits of the log number the stream was written
//	        with. A reader only accepts chunks of its own log number, so
//	        bytes left in a recycled or preallocated file by an earlier log
//	        are never read as records ("recyclable" format).
//	synced  the writer's durability claim: every byte of the stream before
//	        this offset was on stable storage before this chunk was
//	        written (so streams are at most MaxStreamSize bytes long). A
//	        strict writer (NewWriter) claims the chunk's own offset: every
//	        earlier byte must be intact. A sync-tracking writer (used by the
//	        WAL) claims only what MarkSynced reported.
//
// A record of n bytes is one full chunk if it fits in the space left in
// the current block (an empty record is a full chunk of length 0);
// otherwise a first chunk fills the block, middle chunks fill whole
// blocks, and a last chunk ends it. A seal, written by Seal, ends a stream
// explicitly: whatever follows it (stale bytes of a recycled file) is
// never read. Readers stop at the first seal chunk. Unless it starts a
// block, the seal is followed by a witness: the first seal's payload is
// zeros up to the end of its block, and a second seal chunk starts the
// next block, where the scan described below finds it:
//
//	... | last record | seal, zero payload to the block end |
//	| seal (witness, length 0) |
//
// # The logical end: torn tail or corruption
//
// The reader stops at the first chunk that is not a valid chunk of its
// log: a checksum mismatch, an invalid type, a length that overflows the
// block, a truncated chunk, zeros, or a chunk of another log number. It
// then decides, by this rule:
//
//	A bad chunk at offset X is corruption iff some later block of the
//	stream starts with a valid chunk of this log whose synced field is
//	greater than X. Otherwise it is the torn tail: the logical end.
//
// A later chunk claiming synced > X proves that the bytes at X had been
// made durable before that chunk was written, so damage there is not an
// interrupted write. Without such proof the damage may be a write the
// crash interrupted (including pages of an unsynced tail that reached the
// disk out of order), and the stream ends at the last complete record
// before X. For a strict writer the rule becomes "a bad chunk followed by
// any valid chunk of this log at a later block boundary is corruption".
// In a stream without a seal, damage inside the last written block, or in
// data written after the last sync of a sync-tracking writer, cannot be
// told from a torn tail and ends the stream there. A sealed stream is
// vouched for entirely by its witness, whose claim covers every byte
// before the seal (a strict writer's always does; the WAL syncs a segment
// before it seals it), so damage anywhere before the seal is corruption.
// A valid chunk out of sequence (a middle chunk without a first, a new
// record inside an unfinished one, a synced claim beyond the chunk
// itself) is always corruption: no writer produces it.
//
// Corruption is reported as an error satisfying
// errors.Is(err, engine.ErrCorruption), a *engine.CorruptionError naming
// the stream and the offset of the bad chunk.
//
// Stable only at v1.
package record
