// Package checksum computes the checksums Lightning stores on disk, picks
// the fastest implementation of each kind for the CPU once at start-up, and
// runs a pipeline that compresses and checksums outgoing blocks on worker
// goroutines while the caller keeps producing.
//
// # Kinds
//
// A Kind names a checksum algorithm. Its numeric value is stored on disk
// (in file headers and properties) and is frozen:
//
//	value  name     on-disk width  algorithm
//	  0    -        -              invalid (never written)
//	  1    crc32c   4 bytes        CRC-32C (Castagnoli, reflected poly 0x82F63B78)
//	  2    xxh3     8 bytes        XXH3-64, seed 0, default secret
//
// Sum(kind, data) returns a uint64 for both kinds; a CRC-32C is widened to
// uint64 (the high 32 bits are zero) and only its low 4 bytes are stored.
//
// # Implementations
//
// Each kind has a portable pure-Go implementation written in this package
// (CRC-32C slicing-by-8, scalar XXH3-64) and, where the CPU allows, a fast
// one, chosen once at init from golang.org/x/sys/cpu:
//
//	crc32c  amd64 with SSE4.2         hash/crc32 Castagnoli (CRC32 instruction)
//	crc32c  arm64 with CRC32          hash/crc32 Castagnoli (ARMv8 CRC32C)
//	xxh3    amd64 with AVX-512/AVX2/SSE2, arm64 with NEON, or elsewhere:
//	                                  github.com/zeebo/xxh3 (which dispatches
//	                                  its own vector code for inputs > 240 bytes)
//
// Implementation(kind) names the one in use ("crc32c/sse4.2",
// "xxh3/avx2", "crc32c/portable", ...) so that a benchmark report can say
// what it measured. The environment variable LIGHTNING_CHECKSUM=portable,
// read at init, or ForcePortable(true) selects the portable implementations
// of every kind. Every fast implementation is tested against the portable
// one, and the portable ones against published test vectors.
//
// # Block trailer
//
// A checksummed block as written to a file (SSTable block, page) is the
// stored bytes followed by a trailer. The layout is frozen; integers are
// little-endian:
//
//	+=====================+-------+--------------------------+
//	| stored bytes (n)    | codec |  checksum (4 or 8 bytes) |
//	+=====================+-------+--------------------------+
//	|<------ covered by the checksum ----->|
//
//	codec     1 byte, the compress.Codec of the stored bytes (0 = raw)
//	checksum  Sum(kind, stored bytes || codec byte): 4 bytes for crc32c,
//	          8 bytes for xxh3. The kind is not in the trailer: it is a
//	          property of the file, recorded in the file's header.
//
// AppendTrailer writes a trailer and VerifyTrailer checks one; a mismatch
// is an error satisfying errors.Is(err, engine.ErrCorruption) naming the
// file and the block's offset.
//
// # Pipeline
//
// A Pipeline takes raw blocks from one producer (Submit), processes them
// on worker goroutines (by default: compress, then append the trailer) and
// hands the results, in submission order, to an io.Writer and/or a sink
// function on a single goroutine. It bounds the blocks in flight, reuses
// its buffers, stops at the first error and reports it from Submit, Flush
// and Close.
//
// Stable only at v1.
package checksum
