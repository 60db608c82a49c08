package checksum

import (
	"encoding/binary"
	"fmt"

	"github.com/lightningdb/lightning/engine"
)

// TrailerLen returns the length of a block trailer for kind: 1 codec byte
// plus the checksum, so 5 for CRC32C and 9 for XXH3; 0 for an invalid kind.
func TrailerLen(kind Kind) int {
	if !kind.Valid() {
		return 0
	}
	return 1 + kind.Size()
}

// AppendTrailer appends the trailer of the block dst[start:] to dst and
// returns the extended slice: the codec byte, then the checksum (kind) of
// dst[start:] and the codec byte. start lets a writer build many blocks in
// one buffer; for a buffer holding just the block, start is 0. An invalid
// kind, or start outside dst, is an error (ErrUnknownKind for the kind)
// and dst is returned unchanged. The layout is drawn in the package doc.
func AppendTrailer(dst []byte, start int, kind Kind, codec byte) ([]byte, error) {
	out, _, err := appendTrailer(dst, start, kind, codec)
	return out, err
}

// appendTrailer is AppendTrailer that also returns the checksum.
func appendTrailer(dst []byte, start int, kind Kind, codec byte) ([]byte, uint64, error) {
	if !kind.Valid() {
		return dst, 0, fmt.Errorf("checksum: AppendTrailer: %w: value %d", ErrUnknownKind, uint8(kind))
	}
	if start < 0 || start > len(dst) {
		return dst, 0, fmt.Errorf("checksum: AppendTrailer: block start %d outside a buffer of %d bytes", start, len(dst))
	}
	dst = append(dst, codec)
	sum := Sum(kind, dst[start:])
	if kind == CRC32C {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(sum))
	} else {
		dst = binary.LittleEndian.AppendUint64(dst, sum)
	}
	return dst, sum, nil
}

// VerifyTrailer checks the trailer at the end of block (stored bytes then
// trailer, as AppendTrailer made it) and returns the stored bytes, which
// alias block, and the codec byte. A block too short to hold a trailer or
// whose checksum does not match is an error satisfying
// errors.Is(err, engine.ErrCorruption) that names file and offset, the
// position of the block in its file. An invalid kind is an error wrapping
// ErrUnknownKind (the caller's mistake, not corruption). The codec byte is
// returned as it is; decoding it is the caller's business.
func VerifyTrailer(file string, offset int64, kind Kind, block []byte) (stored []byte, codec byte, err error) {
	if !kind.Valid() {
		return nil, 0, fmt.Errorf("checksum: VerifyTrailer: %w: value %d", ErrUnknownKind, uint8(kind))
	}
	tl := TrailerLen(kind)
	if len(block) < tl {
		return nil, 0, engine.Corruptf(file, offset, "block of %d bytes is shorter than its %d-byte %v trailer", len(block), tl, kind)
	}
	n := len(block) - tl // stored bytes
	var want uint64
	if kind == CRC32C {
		want = uint64(binary.LittleEndian.Uint32(block[n+1:]))
	} else {
		want = binary.LittleEndian.Uint64(block[n+1:])
	}
	if got := Sum(kind, block[:n+1]); got != want {
		return nil, 0, engine.Corruptf(file, offset, "%v checksum mismatch in block of %d bytes: stored %#x, computed %#x", kind, len(block), want, got)
	}
	return block[:n:n], block[n], nil
}
