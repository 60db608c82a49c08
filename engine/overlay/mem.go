package overlay

import (
	"bytes"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/memtable"
)

// MemLayer is the Layer of a memtable at a snapshot sequence number: for
// each user key, the newest version whose sequence number is <= the
// snapshot's. A KindDelete version gives Deleted() true; a key whose
// versions are all newer than the snapshot does not appear.
//
// Forward moves walk the skiplist's level 0 (over the older versions of
// the key left behind, then a seek only when the next key's newest version
// is above the snapshot). The skiplist has no back links, so Prev, Last and
// SeekLT cost two searches, O(log n) each: one for the largest smaller key
// (which lands on its oldest version) and one, SeekGESeq, for its newest
// visible version.
//
// Key and Value alias the memtable's arena (see memtable.Skiplist): they
// never change while the Skiplist is referenced, but the Layer contract
// only promises them until the next move.
//
// The zero MemLayer has no memtable: every move fails with ErrNilMemtable
// until Reset gives it one. A MemLayer may be embedded in a backend's iterator and reset
// for each use, so that opening an iterator allocates nothing for it.
type MemLayer struct {
	sl  *memtable.Skiplist // nil: every move fails with ErrNilMemtable
	it  memtable.Iterator
	seq uint64
}

var _ Layer = (*MemLayer)(nil)

// Mem returns the Layer of memtable sl at snapshot seq (see MemLayer).
func Mem(sl *memtable.Skiplist, seq uint64) Layer {
	m := new(MemLayer)
	m.Reset(sl, seq)
	return m
}

// Reset makes m the unpositioned Layer of sl at snapshot seq. A nil sl
// makes every move fail with ErrNilMemtable.
func (m *MemLayer) Reset(sl *memtable.Skiplist, seq uint64) {
	m.sl, m.seq = sl, seq
	if sl == nil {
		m.it = memtable.Iterator{}
		return
	}
	m.it = *sl.NewIter()
}

// settleForward moves from the entry the iterator stands on (or past the
// end) to the first visible version at or after it: the newest version
// <= seq of the first key that has one.
func (m *MemLayer) settleForward(ok bool) bool {
	for ok && m.it.Seq() > m.seq {
		// Versions are newest first: the visible version of this key, if
		// any, is further on; one search finds it or the next key.
		ok = m.it.SeekGESeq(m.it.Key(), m.seq)
	}
	return ok
}

// settleBackward moves from the oldest version of some key (or before the
// start) to the newest visible version of the largest key at or before
// it that has one.
func (m *MemLayer) settleBackward(ok bool) bool {
	for ok {
		k := m.it.Key()
		if m.it.Seq() > m.seq {
			// The oldest version is above the snapshot: so are all.
			ok = m.it.SeekLT(k)
			continue
		}
		// A version <= seq exists, so this lands on k's newest one.
		return m.it.SeekGESeq(k, m.seq)
	}
	return false
}

// First moves to the smallest key with a visible version.
func (m *MemLayer) First() bool {
	if m.sl == nil {
		return false
	}
	return m.settleForward(m.it.First())
}

// Last moves to the largest key with a visible version.
func (m *MemLayer) Last() bool {
	if m.sl == nil {
		return false
	}
	return m.settleBackward(m.it.Last())
}

// SeekGE moves to the smallest key >= key with a visible version.
func (m *MemLayer) SeekGE(key []byte) bool {
	if m.sl == nil {
		return false
	}
	return m.settleForward(m.it.SeekGESeq(key, m.seq))
}

// SeekLT moves to the largest key < key with a visible version.
func (m *MemLayer) SeekLT(key []byte) bool {
	if m.sl == nil {
		return false
	}
	return m.settleBackward(m.it.SeekLT(key))
}

// Next moves to the next larger key with a visible version. On an invalid
// MemLayer it does nothing and returns false.
func (m *MemLayer) Next() bool {
	if !m.it.Valid() {
		return false
	}
	k := m.it.Key() // aliases the arena: stays valid while moving
	ok := m.it.Next()
	for ok && bytes.Equal(m.it.Key(), k) {
		ok = m.it.Next()
	}
	return m.settleForward(ok)
}

// Prev moves to the next smaller key with a visible version. On an
// invalid MemLayer it does nothing and returns false.
func (m *MemLayer) Prev() bool {
	if !m.it.Valid() {
		return false
	}
	return m.settleBackward(m.it.SeekLT(m.it.Key()))
}

// Valid reports whether m is at a key.
func (m *MemLayer) Valid() bool { return m.it.Valid() }

// Key returns the current user key, or nil if invalid.
func (m *MemLayer) Key() []byte { return m.it.Key() }

// Value returns the current version's value, or nil if invalid.
func (m *MemLayer) Value() []byte { return m.it.Value() }

// Deleted reports whether the current version is a deletion.
func (m *MemLayer) Deleted() bool { return m.it.Valid() && m.it.Kind() == engine.KindDelete }

// Seq returns the sequence number of the current version, or 0 if invalid.
func (m *MemLayer) Seq() uint64 { return m.it.Seq() }

// Error returns ErrNilMemtable for a MemLayer without a memtable, else nil:
// reading a memtable cannot fail.
func (m *MemLayer) Error() error {
	if m.sl == nil {
		return ErrNilMemtable
	}
	return nil
}
