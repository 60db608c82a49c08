package sstable

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
)

// seekTrailer follows a user key in a seek target: the largest trailer,
// so the target sorts before every version of the user key.
const seekTrailer = ^uint64(0)

// Iter walks a table's entries in internal-key order (user key ascending,
// then sequence number descending), forwards and backwards, within bounds
// on user keys: Lower inclusive, Upper exclusive, nil unbounded.
//
// Every version of every key is visible: an Iter does not filter by
// sequence number; the LSM's merging iterator does.
//
// Positioning methods return whether the iterator is at an entry (Valid).
// Key's UserKey is the iterator's buffer and stays valid until the next
// positioning call; Value aliases an immutable decoded block and stays
// valid as long as it is held (it must not be modified). An Iter is not
// safe for concurrent use; many Iters on one Reader are.
type Iter struct {
	r            *Reader
	lower, upper []byte
	index, data  blockIter
	indexLoaded  bool
	dataHandle   handle
	key          base.InternalKey
	valid        bool
	err          error
	closed       bool
	seek         []byte
}

// NewIter returns an iterator over the entries whose user keys are in
// [lower, upper) (nil: unbounded). The bounds are copied. The iterator
// starts unpositioned; it must be closed, and closed before the Reader.
func (r *Reader) NewIter(lower, upper []byte) *Iter {
	it := &Iter{}
	if lower != nil {
		lower = append([]byte{}, lower...)
	}
	if upper != nil {
		upper = append([]byte{}, upper...)
	}
	r.InitIter(it, lower, upper)
	return it
}

// InitIter makes it an unpositioned iterator over r, as NewIter does,
// reusing its buffers: it may be the zero Iter or one used (and closed)
// before, on any Reader. The bounds are not copied: they must not change
// until it is closed or initialized again.
func (r *Reader) InitIter(it *Iter, lower, upper []byte) {
	it.r, it.lower, it.upper = r, lower, upper
	it.index.reset()
	it.data.reset()
	it.indexLoaded, it.dataHandle = false, handle{}
	it.key, it.valid, it.err, it.closed = base.InternalKey{}, false, nil, false
	if r.closed.Load() {
		it.err = fmt.Errorf("sstable: %s: %w", r.name, engine.ErrClosed)
	}
}

// start resets the position and loads the index block; false on error.
func (it *Iter) start() bool {
	it.valid = false
	if it.err != nil || it.closed {
		return false
	}
	if it.indexLoaded {
		it.index.cache, it.index.cachePos = it.index.cache[:0], -1
		return true
	}
	idx, err := it.r.indexBlock()
	if err != nil {
		it.err = err
		return false
	}
	if err := it.index.init(it.r.name, int64(it.r.index.offset), idx, true); err != nil {
		it.err = err
		return false
	}
	it.indexLoaded = true
	return true
}

// loadData points the data iterator at the block of the current index
// entry.
func (it *Iter) loadData() bool {
	h, err := it.r.dataHandle(it.index.val)
	if err != nil {
		it.err = err
		return false
	}
	blk, err := it.r.readBlock(h)
	if err != nil {
		it.err = err
		return false
	}
	if err := it.data.init(it.r.name, int64(h.offset), blk, true); err != nil {
		it.err = err
		return false
	}
	it.dataHandle = h
	return true
}

// target encodes userKey with seekTrailer into it.seek.
func (it *Iter) target(userKey []byte) []byte {
	it.seek = append(it.seek[:0], userKey...)
	it.seek = binary.LittleEndian.AppendUint64(it.seek, seekTrailer)
	return it.seek
}

// forward moves on to the first entry at or after the data iterator's
// position, across blocks, and checks the upper bound.
func (it *Iter) forward() bool {
	for !it.data.Valid() {
		if it.data.err != nil {
			it.err = it.data.err
			return false
		}
		if !it.index.Next() {
			it.err = it.index.err
			return false
		}
		if !it.loadData() {
			return false
		}
		it.data.First()
	}
	if !it.decode() {
		return false
	}
	if it.upper != nil && bytes.Compare(it.key.UserKey, it.upper) >= 0 {
		return false
	}
	it.valid = true
	return true
}

// backward is forward in reverse, checking the lower bound.
func (it *Iter) backward() bool {
	for !it.data.Valid() {
		if it.data.err != nil {
			it.err = it.data.err
			return false
		}
		if !it.index.Prev() {
			it.err = it.index.err
			return false
		}
		if !it.loadData() {
			return false
		}
		it.data.Last()
	}
	if !it.decode() {
		return false
	}
	if it.lower != nil && bytes.Compare(it.key.UserKey, it.lower) < 0 {
		return false
	}
	it.valid = true
	return true
}

func (it *Iter) decode() bool {
	k, err := decodeInternalKey(it.r.name, int64(it.dataHandle.offset), it.data.key)
	if err != nil {
		it.err = err
		return false
	}
	it.key = k
	return true
}

// First moves to the first entry with user key >= Lower.
func (it *Iter) First() bool {
	if it.lower != nil {
		return it.SeekGE(it.lower)
	}
	if !it.start() {
		return false
	}
	if !it.index.First() {
		it.err = it.index.err
		return false
	}
	if !it.loadData() {
		return false
	}
	it.data.First()
	return it.forward()
}

// Last moves to the last entry with user key < Upper.
func (it *Iter) Last() bool {
	if it.upper != nil {
		return it.SeekLT(it.upper)
	}
	if !it.start() {
		return false
	}
	if !it.index.Last() {
		it.err = it.index.err
		return false
	}
	if !it.loadData() {
		return false
	}
	it.data.Last()
	return it.backward()
}

// SeekGE moves to the first entry whose user key is >= userKey (and >=
// Lower): the newest version of the smallest such user key. It takes a
// user key, not an internal key; to find the version visible at a
// sequence number, use Reader.Get or step with Next.
func (it *Iter) SeekGE(userKey []byte) bool {
	if it.lower != nil && bytes.Compare(userKey, it.lower) < 0 {
		userKey = it.lower
	}
	if !it.start() {
		return false
	}
	t := it.target(userKey)
	if !it.index.SeekGE(t) {
		it.err = it.index.err
		return false
	}
	if !it.loadData() {
		return false
	}
	it.data.SeekGE(t)
	return it.forward()
}

// SeekLT moves to the last entry whose user key is < userKey (and <
// Upper): the oldest version of the largest such user key.
func (it *Iter) SeekLT(userKey []byte) bool {
	if it.upper != nil && bytes.Compare(userKey, it.upper) > 0 {
		userKey = it.upper
	}
	if !it.start() {
		return false
	}
	t := it.target(userKey)
	if it.index.SeekGE(t) {
		if !it.loadData() {
			return false
		}
		it.data.SeekLT(t)
	} else {
		if it.index.err != nil {
			it.err = it.index.err
			return false
		}
		// Every key is below the target.
		if !it.index.Last() {
			it.err = it.index.err
			return false
		}
		if !it.loadData() {
			return false
		}
		it.data.Last()
	}
	return it.backward()
}

// Next moves to the next entry. It returns false at the end (or Upper).
func (it *Iter) Next() bool {
	if !it.valid {
		return false
	}
	it.valid = false
	it.data.Next()
	return it.forward()
}

// Prev moves to the previous entry. It returns false at the start (or
// before Lower).
func (it *Iter) Prev() bool {
	if !it.valid {
		return false
	}
	it.valid = false
	it.data.Prev()
	return it.backward()
}

// Valid reports whether the iterator is at an entry.
func (it *Iter) Valid() bool { return it.valid }

// Key returns the current entry's internal key. Its UserKey is valid until
// the next positioning call.
func (it *Iter) Key() base.InternalKey { return it.key }

// Value returns the current entry's value (see Iter for its lifetime).
func (it *Iter) Value() []byte { return it.data.val }

// Error returns the first error the iterator met (corruption, I/O). An
// iterator that stopped because of an error is not Valid.
func (it *Iter) Error() error { return it.err }

// Close releases the iterator and returns Error(). A second Close returns
// an error wrapping engine.ErrClosed.
func (it *Iter) Close() error {
	if it.closed {
		return fmt.Errorf("sstable: iterator: %w", engine.ErrClosed)
	}
	it.closed = true
	it.valid = false
	// Drop the blocks (and the Reader): a closed Iter kept for reuse
	// must not pin them.
	it.index.reset()
	it.data.reset()
	it.key, it.r = base.InternalKey{}, nil
	return it.err
}
