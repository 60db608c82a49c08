package memtable

import (
	"math"

	"github.com/lightningdb/lightning/engine"
)

// Iterator walks every entry of a Skiplist, all versions of every key, in
// internal-key order (user key ascending, then sequence number
// descending).
//
// An Iterator reads the live skiplist without a lock: entries that
// concurrent Adds insert may or may not be seen, depending on where they
// land relative to the iterator, but every entry seen is complete and the
// order is never violated. Backends that need a point-in-time view skip
// entries with a sequence number above their snapshot.
//
// Positioning methods report whether the iterator is at an entry (Valid).
// Key and Value alias the arena (see Skiplist). An Iterator is not safe for
// concurrent use; the zero Iterator is invalid, get one from NewIter.
type Iterator struct {
	list *Skiplist
	nd   uint32
}

// NewIter returns an unpositioned iterator over s.
func (s *Skiplist) NewIter() *Iterator { return &Iterator{list: s} }

// Valid reports whether the iterator is at an entry.
func (it *Iterator) Valid() bool { return it.nd != 0 }

// First moves to the first entry.
func (it *Iterator) First() bool {
	it.nd = it.list.next(headOff, 0)
	return it.nd != 0
}

// Last moves to the last entry.
func (it *Iterator) Last() bool {
	it.nd = it.list.findLast()
	return it.nd != 0
}

// SeekGE moves to the first entry whose user key is >= key (the newest
// version of the smallest such key).
func (it *Iterator) SeekGE(key []byte) bool {
	it.nd = it.list.findGE(key, math.MaxUint64)
	return it.nd != 0
}

// SeekGESeq moves to the first entry >= (key, seq) in internal order: the
// newest version of key with a sequence number <= seq if there is one,
// otherwise the first entry of the next larger user key.
func (it *Iterator) SeekGESeq(key []byte, seq uint64) bool {
	it.nd = it.list.findGE(key, seq)
	return it.nd != 0
}

// SeekLT moves to the last entry whose user key is < key (the oldest
// version of the largest such key).
func (it *Iterator) SeekLT(key []byte) bool {
	it.nd = it.list.findLT(key, math.MaxUint64)
	return it.nd != 0
}

// Next moves to the next entry. On an invalid iterator it does nothing and
// returns false.
func (it *Iterator) Next() bool {
	if it.nd != 0 {
		it.nd = it.list.next(it.nd, 0)
	}
	return it.nd != 0
}

// Prev moves to the previous entry. There are no back links: it searches
// from the top for the entry before the current one, O(log n). On an
// invalid iterator it does nothing and returns false.
func (it *Iterator) Prev() bool {
	if it.nd != 0 {
		it.nd = it.list.findLT(it.list.key(it.nd), it.list.seq(it.nd))
	}
	return it.nd != 0
}

// Key returns the current entry's user key, or nil if invalid.
func (it *Iterator) Key() []byte {
	if it.nd == 0 {
		return nil
	}
	return it.list.key(it.nd)
}

// Seq returns the current entry's sequence number, or 0 if invalid.
func (it *Iterator) Seq() uint64 {
	if it.nd == 0 {
		return 0
	}
	return it.list.seq(it.nd)
}

// Kind returns the current entry's kind, or 0 if invalid.
func (it *Iterator) Kind() engine.Kind {
	if it.nd == 0 {
		return 0
	}
	return it.list.kind(it.nd)
}

// Value returns the current entry's value, or nil if invalid.
func (it *Iterator) Value() []byte {
	if it.nd == 0 {
		return nil
	}
	return it.list.value(it.nd)
}
