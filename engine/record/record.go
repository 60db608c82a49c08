package record

import (
	"encoding/binary"
	"errors"

	"github.com/lightningdb/lightning/engine/checksum"
)

// Sizes of the format (see the package documentation; frozen).
const (
	// BlockSize is the size of a block; chunks never cross a block
	// boundary.
	BlockSize = 32 << 10
	// HeaderSize is the size of a chunk header.
	HeaderSize = 15
	// MaxChunkPayload is the largest payload of one chunk.
	MaxChunkPayload = BlockSize - HeaderSize
	// MaxStreamSize is the largest stream a Writer produces: offsets and
	// synced claims are stored in 32 bits.
	MaxStreamSize = 1<<32 - 1
)

// Chunk types (frozen).
const (
	typeFull   = 1
	typeFirst  = 2
	typeMiddle = 3
	typeLast   = 4
	typeSeal   = 5
)

// Errors returned by Writer.
var (
	// ErrStreamFull is returned by WriteRecord and Seal when the chunks
	// would end past MaxStreamSize.
	ErrStreamFull = errors.New("record: stream would exceed 4 GiB")
	// ErrSealed is returned by WriteRecord and Seal after Seal.
	ErrSealed = errors.New("record: stream is sealed")
)

// chunkCRC returns the checksum of a chunk: the CRC-32C of its bytes from
// offset 4 (after the crc field) to the end of its payload, computed by
// engine/checksum's implementation for this CPU.
func chunkCRC(chunk []byte) uint32 { return checksum.SumCRC32C(chunk[4:]) }

// header is a decoded chunk header.
type header struct {
	crc    uint32
	typ    byte
	length int
	log    uint32
	synced uint32
}

func decodeHeader(b []byte) header {
	return header{
		crc:    binary.LittleEndian.Uint32(b[0:4]),
		typ:    b[4],
		length: int(binary.LittleEndian.Uint16(b[5:7])),
		log:    binary.LittleEndian.Uint32(b[7:11]),
		synced: binary.LittleEndian.Uint32(b[11:15]),
	}
}

// putHeader writes a header (without the crc) at the start of b.
func putHeader(b []byte, typ byte, length int, log, synced uint32) {
	b[4] = typ
	binary.LittleEndian.PutUint16(b[5:7], uint16(length))
	binary.LittleEndian.PutUint32(b[7:11], log)
	binary.LittleEndian.PutUint32(b[11:15], synced)
}

// EncodedSize returns how many bytes a record of n bytes takes when it is
// written at stream offset off: its chunk headers, its payload and any
// zero padding before or between its chunks. It does not count the
// padding a later record may add after it.
func EncodedSize(off int64, n int) int64 {
	start := off
	if r := BlockSize - int(off%BlockSize); r < HeaderSize {
		off += int64(r)
	}
	for {
		avail := BlockSize - int(off%BlockSize) - HeaderSize
		if n <= avail {
			return off + int64(HeaderSize+n) - start
		}
		n -= avail
		off += int64(avail + HeaderSize)
	}
}
