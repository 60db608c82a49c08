package memengine

import (
	"encoding/binary"
	"unsafe"
)

// A record is one write, kept in a single allocation so that a point read
// touches one object after the hash slot. The layout is in memory only
// (never written to disk) and may change freely:
//
//	+------------+-------------+-------------+-----+-------+
//	| seq uint64 | klen uint32 | vlen uint32 | key | value |
//	+------------+-------------+-------------+-----+-------+
//	  little-endian; vlen == recTombstone marks a deletion (no value)
//
// seq is the write transaction that made the record. A record is never
// modified after it is stored in the hash table or the tree; the tree's key
// and value slices point into it.
const (
	recHeader    = 16
	recTombstone = ^uint32(0)
)

// newRec builds a record. tomb marks a deletion; val is then ignored.
func newRec(seq uint64, key, val []byte, tomb bool) []byte {
	vlen := uint32(len(val))
	if tomb {
		val, vlen = nil, recTombstone
	}
	r := make([]byte, recHeader+len(key)+len(val))
	binary.LittleEndian.PutUint64(r[0:8], seq)
	binary.LittleEndian.PutUint32(r[8:12], uint32(len(key)))
	binary.LittleEndian.PutUint32(r[12:16], vlen)
	copy(r[recHeader:], key)
	copy(r[recHeader+len(key):], val)
	return r
}

// recOf returns the record whose first byte is p. The hash table stores
// records as *byte to keep a slot at two words; this is the one place that
// turns such a pointer back into a slice. p must come from newRec.
func recOf(p *byte) []byte {
	hdr := unsafe.Slice(p, recHeader)
	n := recHeader + int(binary.LittleEndian.Uint32(hdr[8:12]))
	if vlen := binary.LittleEndian.Uint32(hdr[12:16]); vlen != recTombstone {
		n += int(vlen)
	}
	return unsafe.Slice(p, n)
}

func recSeq(r []byte) uint64 { return binary.LittleEndian.Uint64(r[0:8]) }

func recTomb(r []byte) bool { return binary.LittleEndian.Uint32(r[12:16]) == recTombstone }

// recKey returns the key of r, its capacity cut so appends cannot reach the
// value.
func recKey(r []byte) []byte {
	end := recHeader + int(binary.LittleEndian.Uint32(r[8:12]))
	return r[recHeader:end:end]
}

// recValue returns the value of r (empty for a tombstone).
func recValue(r []byte) []byte {
	return r[recHeader+int(binary.LittleEndian.Uint32(r[8:12])):]
}
