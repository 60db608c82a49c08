// Package base defines the LSM backend's internal keys: a user key plus
// the sequence number and kind of the write that made it. Internal keys
// order by user key ascending, then sequence number descending, so the
// newest version of a key comes first — the same order as engine/memtable.
//
// Encoded form, used in SSTable blocks (frozen):
//
//	+----------------+-----------------------------------+
//	| user key bytes | trailer uint64 LE = seq<<8 | kind  |
//	+----------------+-----------------------------------+
package base

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/lightningdb/lightning/engine"
)

// TrailerLen is the size of an encoded internal key's trailer.
const TrailerLen = 8

// MaxSeq is the largest sequence number: 56 bits.
const MaxSeq = 1<<56 - 1

// MakeTrailer packs a sequence number and kind.
func MakeTrailer(seq uint64, kind engine.Kind) uint64 { return seq<<8 | uint64(kind) }

// InternalKey is a decoded internal key. UserKey aliases the buffer it was
// decoded from.
type InternalKey struct {
	UserKey []byte
	Trailer uint64
}

// MakeKey returns the internal key for (userKey, seq, kind).
func MakeKey(userKey []byte, seq uint64, kind engine.Kind) InternalKey {
	return InternalKey{UserKey: userKey, Trailer: MakeTrailer(seq, kind)}
}

// Seq returns the key's sequence number.
func (k InternalKey) Seq() uint64 { return k.Trailer >> 8 }

// Kind returns the key's kind.
func (k InternalKey) Kind() engine.Kind { return engine.Kind(k.Trailer & 0xff) }

// Size returns the encoded length.
func (k InternalKey) Size() int { return len(k.UserKey) + TrailerLen }

// Append appends the encoded key to dst.
func (k InternalKey) Append(dst []byte) []byte {
	dst = append(dst, k.UserKey...)
	return binary.LittleEndian.AppendUint64(dst, k.Trailer)
}

// String renders the key for tests and logs: "key#seq,KIND".
func (k InternalKey) String() string {
	return fmt.Sprintf("%q#%d,%s", k.UserKey, k.Seq(), k.Kind())
}

// Decode splits an encoded internal key. ok is false if b is shorter than
// a trailer or the kind is unknown; callers reading from disk report that
// as corruption.
func Decode(b []byte) (k InternalKey, ok bool) {
	if len(b) < TrailerLen {
		return InternalKey{}, false
	}
	n := len(b) - TrailerLen
	k = InternalKey{UserKey: b[:n:n], Trailer: binary.LittleEndian.Uint64(b[n:])}
	if kd := k.Kind(); kd != engine.KindSet && kd != engine.KindDelete {
		return InternalKey{}, false
	}
	return k, true
}

// Compare orders internal keys: user key ascending, then trailer
// (sequence, kind) descending.
func Compare(a, b InternalKey) int {
	if c := bytes.Compare(a.UserKey, b.UserKey); c != 0 {
		return c
	}
	switch {
	case a.Trailer > b.Trailer:
		return -1
	case a.Trailer < b.Trailer:
		return 1
	}
	return 0
}

// CompareEncoded is Compare over encoded keys (each at least TrailerLen
// long).
func CompareEncoded(a, b []byte) int {
	na, nb := len(a)-TrailerLen, len(b)-TrailerLen
	if c := bytes.Compare(a[:na], b[:nb]); c != 0 {
		return c
	}
	ta, tb := binary.LittleEndian.Uint64(a[na:]), binary.LittleEndian.Uint64(b[nb:])
	switch {
	case ta > tb:
		return -1
	case ta < tb:
		return 1
	}
	return 0
}

// SeekKey returns the internal key that sorts first among all versions of
// userKey visible at sequence seq: SeekGE(SeekKey(k, seq)) lands on the
// newest version of k with sequence <= seq.
func SeekKey(userKey []byte, seq uint64) InternalKey {
	return InternalKey{UserKey: userKey, Trailer: MakeTrailer(seq, engine.KindSet)}
}
