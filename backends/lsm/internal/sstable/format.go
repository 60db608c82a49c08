package sstable

import (
	"encoding/binary"
	"fmt"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
)

// Format constants (frozen; see doc.go).
const (
	// FormatVersion is the table format this package writes and reads.
	FormatVersion = 1
	// FooterLen is the size of the footer at the end of every table.
	FooterLen = 64
	// Magic ends every table file.
	Magic = "LTNG-SST"
)

// footer field offsets.
const (
	footFilter   = 0
	footIndex    = 16
	footProps    = 32
	footVersion  = 48
	footChecksum = 50
	footReserved = 51
	footCRC      = 52
	footMagic    = 56
)

// handle locates a block in its file: offset and length of the stored
// bytes plus the trailer.
type handle struct {
	offset, length uint64
}

func appendHandle(dst []byte, h handle) []byte {
	dst = binary.AppendUvarint(dst, h.offset)
	return binary.AppendUvarint(dst, h.length)
}

// decodeHandle decodes the whole of b as a handle.
func decodeHandle(b []byte) (handle, bool) {
	off, n := binary.Uvarint(b)
	if n <= 0 {
		return handle{}, false
	}
	length, m := binary.Uvarint(b[n:])
	if m <= 0 || n+m != len(b) {
		return handle{}, false
	}
	return handle{off, length}, true
}

// footer is the decoded footer.
type footer struct {
	filter, index, props handle
	version              uint16
	kind                 checksum.Kind
}

func (f footer) encode() []byte {
	b := make([]byte, FooterLen)
	binary.LittleEndian.PutUint64(b[footFilter:], f.filter.offset)
	binary.LittleEndian.PutUint64(b[footFilter+8:], f.filter.length)
	binary.LittleEndian.PutUint64(b[footIndex:], f.index.offset)
	binary.LittleEndian.PutUint64(b[footIndex+8:], f.index.length)
	binary.LittleEndian.PutUint64(b[footProps:], f.props.offset)
	binary.LittleEndian.PutUint64(b[footProps+8:], f.props.length)
	binary.LittleEndian.PutUint16(b[footVersion:], f.version)
	b[footChecksum] = byte(f.kind)
	binary.LittleEndian.PutUint32(b[footCRC:], checksum.SumCRC32C(b[:footCRC]))
	copy(b[footMagic:], Magic)
	return b
}

// decodeFooter checks and decodes the footer of a file of size bytes that
// ends with b; verify checks its CRC. Every handle must lie inside the file before the footer and
// be long enough for a block trailer.
func decodeFooter(file string, size int64, b []byte, verify bool) (footer, error) {
	off := size - FooterLen
	bad := func(format string, args ...any) (footer, error) {
		return footer{}, engine.Corruptf(file, off, "footer: "+format, args...)
	}
	if string(b[footMagic:]) != Magic {
		return bad("bad magic number %q (not a table, or truncated)", b[footMagic:])
	}
	if got, want := checksum.SumCRC32C(b[:footCRC]), binary.LittleEndian.Uint32(b[footCRC:]); verify && got != want {
		return bad("crc32c mismatch: stored %#x, computed %#x", want, got)
	}
	f := footer{
		filter:  handle{binary.LittleEndian.Uint64(b[footFilter:]), binary.LittleEndian.Uint64(b[footFilter+8:])},
		index:   handle{binary.LittleEndian.Uint64(b[footIndex:]), binary.LittleEndian.Uint64(b[footIndex+8:])},
		props:   handle{binary.LittleEndian.Uint64(b[footProps:]), binary.LittleEndian.Uint64(b[footProps+8:])},
		version: binary.LittleEndian.Uint16(b[footVersion:]),
	}
	if f.version != FormatVersion {
		return bad("unsupported format version %d (this reader knows %d)", f.version, FormatVersion)
	}
	kind, err := checksum.KindOf(b[footChecksum])
	if err != nil {
		return bad("%v", err)
	}
	f.kind = kind
	if b[footReserved] != 0 {
		return bad("reserved byte is %d, not 0", b[footReserved])
	}
	for _, x := range []struct {
		name string
		h    handle
	}{{"filter", f.filter}, {"index", f.index}, {"properties", f.props}} {
		if x.name == "filter" && x.h == (handle{}) {
			continue // no filter
		}
		if err := checkHandle(file, off, x.name, x.h, kind, uint64(off)); err != nil {
			return footer{}, err
		}
	}
	return f, nil
}

// checkHandle reports a handle that does not fit before limit or is too
// short for a trailer, as corruption found at offset at.
func checkHandle(file string, at int64, what string, h handle, kind checksum.Kind, limit uint64) error {
	if h.length < uint64(checksum.TrailerLen(kind)) || h.offset > limit || h.length > limit-h.offset {
		return engine.Corruptf(file, at, "%s block handle (offset %d, length %d) does not fit in %d bytes of blocks",
			what, h.offset, h.length, limit)
	}
	return nil
}

// maxTrailer is the trailer of a separator key: the largest valid trailer,
// so the separator sorts before every real version of its user key.
var maxTrailer = base.MakeTrailer(base.MaxSeq, engine.KindSet)

// appendSeparator appends to dst an encoded internal key s with
// a <= s < b (a < b, both encoded internal keys), shorter than a when it
// can. b == nil asks for a key s >= a only (the last block's separator).
func appendSeparator(dst, a, b []byte) []byte {
	ua := a[:len(a)-base.TrailerLen]
	if b == nil {
		// The shortest key above every key starting with ua's prefix up
		// to its first byte that can be incremented.
		for n := 0; n < len(ua); n++ {
			if ua[n] != 0xff {
				if n+1 >= len(ua) {
					break // not shorter
				}
				dst = append(dst, ua[:n+1]...)
				dst[len(dst)-1]++
				return binary.LittleEndian.AppendUint64(dst, maxTrailer)
			}
		}
		return append(dst, a...)
	}
	ub := b[:len(b)-base.TrailerLen]
	n := commonPrefix(ua, ub)
	// ua < ub and neither is a prefix of the other: if ua[n]+1 < ub[n],
	// ua[:n] + (ua[n]+1) lies strictly between them.
	if n+1 < len(ua) && n < len(ub) && ua[n] < 0xff && ua[n]+1 < ub[n] {
		dst = append(dst, ua[:n+1]...)
		dst[len(dst)-1]++
		return binary.LittleEndian.AppendUint64(dst, maxTrailer)
	}
	return append(dst, a...)
}

// decodeInternalKey decodes an encoded internal key read from a block of
// file at blockOff, reporting a bad one as corruption.
func decodeInternalKey(file string, blockOff int64, b []byte) (base.InternalKey, error) {
	k, ok := base.Decode(b)
	if !ok {
		return base.InternalKey{}, engine.Corruptf(file, blockOff, "bad internal key %x", b)
	}
	return k, nil
}

// fmtKey renders an encoded internal key for an error message.
func fmtKey(b []byte) string {
	if k, ok := base.Decode(b); ok {
		return k.String()
	}
	return fmt.Sprintf("%x", b)
}
