package refengine

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/lightningdb/lightning/engine"
)

// headerLen is the size of a record header.
const headerLen = 13

// Record types (frozen).
const (
	typeBatch byte = 1
	typeBase  byte = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(p []byte) uint32 { return crc32.Checksum(p, castagnoli) }

// appendRecord appends a record of type typ holding payload to dst.
func appendRecord(dst []byte, typ byte, payload []byte) []byte {
	var h [headerLen]byte
	binary.LittleEndian.PutUint32(h[4:8], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[8:12], crc(payload))
	h[12] = typ
	binary.LittleEndian.PutUint32(h[0:4], crc(h[4:headerLen]))
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// record is one decoded record. batch aliases the segment's bytes.
type record struct {
	typ    byte
	batch  []byte
	offset int64 // of the record's header in the segment
}

// parseSegment decodes the records of a segment file named name. If last
// is true the segment is the newest and may end in a torn record: parsing
// stops there and valid is the length of the intact prefix. Any other
// damage is a *engine.CorruptionError. With ignoreBadPayload (the
// BugIgnoreCorruption variant) a payload checksum mismatch is not
// checked.
func parseSegment(name string, data []byte, last, ignoreBadPayload bool) (recs []record, valid int64, err error) {
	off := 0
	for off < len(data) {
		rest := data[off:]
		torn := func(why string) ([]record, int64, error) {
			if last {
				return recs, int64(off), nil
			}
			return nil, 0, engine.Corruptf(name, int64(off), "%s in a segment that is not the newest", why)
		}
		if len(rest) < headerLen {
			return torn("truncated record header")
		}
		if crc(rest[4:headerLen]) != binary.LittleEndian.Uint32(rest[0:4]) {
			if allZero(rest) {
				return torn("zeroed tail")
			}
			return nil, 0, engine.Corruptf(name, int64(off), "record header checksum mismatch")
		}
		n := binary.LittleEndian.Uint32(rest[4:8])
		typ := rest[12]
		if typ != typeBatch && typ != typeBase {
			return nil, 0, engine.Corruptf(name, int64(off), "unknown record type %d", typ)
		}
		if uint64(n) > uint64(len(rest)-headerLen) {
			return torn("record runs past the end of the file")
		}
		payload := rest[headerLen : headerLen+int(n)]
		if !ignoreBadPayload && crc(payload) != binary.LittleEndian.Uint32(rest[8:12]) {
			if headerLen+int(n) == len(rest) {
				return torn("payload checksum mismatch in the last record")
			}
			return nil, 0, engine.Corruptf(name, int64(off), "record payload checksum mismatch")
		}
		recs = append(recs, record{typ: typ, batch: payload, offset: int64(off)})
		off += headerLen + int(n)
	}
	return recs, int64(off), nil
}

func allZero(p []byte) bool {
	for _, b := range p {
		if b != 0 {
			return false
		}
	}
	return true
}
