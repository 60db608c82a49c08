package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Kind is the kind of one batch operation. Its values are stored on disk
// (in WAL records) and are frozen.
type Kind uint8

const (
	// KindDelete removes a key.
	KindDelete Kind = 0
	// KindSet stores a value under a key.
	KindSet Kind = 1
)

// String implements fmt.Stringer.
func (k Kind) String() string {
	switch k {
	case KindDelete:
		return "DEL"
	case KindSet:
		return "SET"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// BatchHeaderLen is the size of a batch's header: sequence number and count.
const BatchHeaderLen = 12

// Batch is an ordered list of writes applied atomically by Engine.Apply.
//
// Its encoding (Repr) is what backends write to the WAL. The layout is
// frozen; all integers are little-endian:
//
//	+-------------+-------------+======================+
//	| seq  uint64 | count uint32|  op 0 | op 1 | ...   |
//	+-------------+-------------+======================+
//
//	op:  +------+--------------+-----+----------------+-------+
//	     | kind | uvarint klen | key | uvarint vlen   | value |   (KindSet)
//	     +------+--------------+-----+----------------+-------+
//	     | kind | uvarint klen | key |                              (KindDelete)
//	     +------+--------------+-----+
//
// seq is the sequence number of the first op, assigned by the backend at
// commit (ops get seq, seq+1, ...); it is zero in a batch the caller builds.
//
// A Batch copies keys and values on Set and Delete. It is not safe for
// concurrent use. The zero value is an empty batch ready to use.
type Batch struct {
	data  []byte
	count uint32
}

// NewBatch returns an empty batch.
func NewBatch() *Batch { return &Batch{} }

func (b *Batch) init() {
	if len(b.data) < BatchHeaderLen {
		b.data = append(b.data[:0], make([]byte, BatchHeaderLen)...)
	}
}

// Set adds a write of value under key. Key and value are copied.
func (b *Batch) Set(key, value []byte) {
	b.init()
	b.data = append(b.data, byte(KindSet))
	b.data = binary.AppendUvarint(b.data, uint64(len(key)))
	b.data = append(b.data, key...)
	b.data = binary.AppendUvarint(b.data, uint64(len(value)))
	b.data = append(b.data, value...)
	b.count++
	binary.LittleEndian.PutUint32(b.data[8:12], b.count)
}

// Delete adds a deletion of key. Key is copied.
func (b *Batch) Delete(key []byte) {
	b.init()
	b.data = append(b.data, byte(KindDelete))
	b.data = binary.AppendUvarint(b.data, uint64(len(key)))
	b.data = append(b.data, key...)
	b.count++
	binary.LittleEndian.PutUint32(b.data[8:12], b.count)
}

// Len returns the number of operations in the batch.
func (b *Batch) Len() int { return int(b.count) }

// Empty reports whether the batch has no operations.
func (b *Batch) Empty() bool { return b.count == 0 }

// Size returns the length of the batch's encoding in bytes.
func (b *Batch) Size() int {
	if len(b.data) < BatchHeaderLen {
		return BatchHeaderLen
	}
	return len(b.data)
}

// Reset empties the batch, keeping its buffer for reuse.
func (b *Batch) Reset() {
	b.count = 0
	if len(b.data) >= BatchHeaderLen {
		b.data = b.data[:BatchHeaderLen]
		clear(b.data)
	}
}

// Seq returns the batch's sequence number (zero until a backend sets it).
func (b *Batch) Seq() uint64 {
	if len(b.data) < BatchHeaderLen {
		return 0
	}
	return binary.LittleEndian.Uint64(b.data[:8])
}

// SetSeq sets the sequence number stored in the batch header. Backends call
// it at commit time.
func (b *Batch) SetSeq(seq uint64) {
	b.init()
	binary.LittleEndian.PutUint64(b.data[:8], seq)
}

// Repr returns the batch's encoding. The slice aliases the batch's buffer
// and is valid until the next change to the batch.
func (b *Batch) Repr() []byte {
	b.init()
	return b.data
}

// ErrBatchFormat is wrapped by the errors of SetRepr and BatchReader for a
// malformed batch encoding. Backends that read a batch from disk wrap it
// in a *CorruptionError.
var ErrBatchFormat = errors.New("engine: malformed batch")

// SetRepr replaces the batch's contents with a copy of data, which must be
// a valid encoding: every op is checked, and a malformed one is an error
// wrapping ErrBatchFormat that names the op and byte offset. On error the
// batch is left empty.
func (b *Batch) SetRepr(data []byte) error {
	b.Reset()
	if len(data) < BatchHeaderLen {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrBatchFormat, len(data), BatchHeaderLen)
	}
	want := binary.LittleEndian.Uint32(data[8:12])
	r := BatchReader{data: data, off: BatchHeaderLen}
	var n uint32
	for {
		_, _, _, ok := r.Next()
		if !ok {
			break
		}
		n++
	}
	if r.err != nil {
		return r.err
	}
	if n != want {
		return fmt.Errorf("%w: header says %d ops, found %d", ErrBatchFormat, want, n)
	}
	b.data = append(b.data[:0], data...)
	b.count = n
	return nil
}

// Reader returns a reader over the batch's operations in order.
func (b *Batch) Reader() BatchReader {
	return BatchReader{data: b.data, off: BatchHeaderLen}
}

// BatchReader iterates over the operations of a batch encoding.
type BatchReader struct {
	data []byte
	off  int
	idx  int
	err  error
}

// Next returns the next operation. Key and value alias the batch's buffer.
// It returns ok=false at the end or on a malformed encoding (see Err).
func (r *BatchReader) Next() (kind Kind, key, value []byte, ok bool) {
	if r.err != nil || r.off >= len(r.data) {
		return 0, nil, nil, false
	}
	start := r.off
	fail := func(what string) (Kind, []byte, []byte, bool) {
		r.err = fmt.Errorf("%w: op %d at byte %d: %s", ErrBatchFormat, r.idx, start, what)
		return 0, nil, nil, false
	}
	kind = Kind(r.data[r.off])
	r.off++
	if kind != KindSet && kind != KindDelete {
		return fail(fmt.Sprintf("unknown kind %d", uint8(kind)))
	}
	key, ok = r.bytes()
	if !ok {
		return fail("bad key length")
	}
	if kind == KindSet {
		value, ok = r.bytes()
		if !ok {
			return fail("bad value length")
		}
	}
	r.idx++
	return kind, key, value, true
}

func (r *BatchReader) bytes() ([]byte, bool) {
	n, w := binary.Uvarint(r.data[r.off:])
	if w <= 0 || n > uint64(len(r.data)-r.off-w) {
		return nil, false
	}
	r.off += w
	v := r.data[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return v, true
}

// Err returns the error that stopped Next, if any.
func (r *BatchReader) Err() error { return r.err }
