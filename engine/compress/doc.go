// Package compress compresses and decompresses the blocks Lightning writes
// (SSTable blocks, B+tree pages) with the codecs of
// github.com/klauspost/compress: Snappy, S2 and Zstandard.
//
// # Codec ids
//
// Every stored block carries the id of the codec that produced it (in the
// block trailer, see package checksum). The ids are stored on disk and are
// frozen:
//
//	id  name     format
//	 0  none     the raw bytes
//	 1  snappy   Snappy block format (varint decoded length, then ops)
//	 2  s2       S2 block format (a Snappy superset, same header)
//	 3  zstd     one Zstandard frame, single segment (so its header
//	             carries the content size), without the frame checksum
//	             (the block trailer has one)
//
// The names are the ones engine.Options.Compression takes.
//
// # Adaptive compression
//
// A Compressor compresses with one codec but keeps the result only if it
// pays: unless the compressed form saves at least MinSaving of the input
// (default 1/8, the rule of thumb LevelDB and Pebble use: 4 KiB must
// shrink by 512 bytes or more), the block is stored raw with codec none,
// so readers do not pay decompression for nothing. Decompress reads blocks
// of every codec, whatever codec its Compressor writes.
//
// # Limits and corruption
//
// Decompress never produces more than Options.MaxDecodedSize bytes: the
// decoded size is read from the block header (every codec stores it) and
// checked before any memory is allocated, so a damaged or hostile block
// cannot make the reader allocate gigabytes.
//
// A block that does not decode (bad header, truncated, bad ops, unknown
// codec id, over the size limit) gives an error that satisfies
// errors.Is(err, engine.ErrCorruption): a *engine.CorruptionError whose
// File is "" and Offset is -1, because this package does not know where
// the block came from. Callers that do know fill them in with Locate:
//
//	out, err := c.Decompress(buf[:0], stored, codec)
//	if err != nil {
//		return compress.Locate(err, file, blockOffset)
//	}
//
// Not every corruption is detectable by decoding (a flipped literal byte
// decodes fine); the block checksum is what catches those.
//
// # Concurrency and memory
//
// A Compressor is safe for concurrent use. It holds one long-lived Zstandard
// encoder and decoder (created on first use), each with Options.Concurrency
// internal states, so compressing a block allocates no encoder; calls
// beyond the concurrency wait for a free state. Close releases them.
//
// Stable only at v1.
package compress
