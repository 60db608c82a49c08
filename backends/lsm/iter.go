package lsm

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/lightningdb/lightning/engine"
)

// Iterator is the engine.Iterator of a DB or Snapshot: a merging iterator
// over the memtables and tables of one read state, showing for each user
// key its newest version with a sequence number at or below the view's,
// unless that version is a deletion.
//
// Forward, the merging iterator sits on the current key's visible entry;
// backward, it sits on the entry before the current key's oldest version.
// A change of direction seeks the merging iterator again from the current
// key. Key is a copy owned by the Iterator; Value aliases the memtable or
// a decoded table block, which stay valid while the iterator pins its
// read state.
//
// Everything but the Iterator itself (sources, merge heap, buffers) is an
// iterState taken from a pool and given back at Close, so an iterator
// costs one allocation.
type Iterator struct {
	d            *DB
	rs           *readState
	rsShard      int
	seq          uint64
	lower, upper []byte // in s's buffers
	m            *mergingIter
	s            *iterState // nil after Close

	key     []byte
	value   []byte
	valid   bool
	forward bool
	err     error
	closed  bool
}

var _ engine.Iterator = (*Iterator)(nil)

// iterState is the reusable part of an Iterator.
type iterState struct {
	m                 mergingIter
	mems              []memIter
	levels            []levelIter
	iters             []internalIterator
	lower, upper, key []byte
}

var iterPool = sync.Pool{New: func() any { return new(iterState) }}

// grow returns s[:n], reallocated if its capacity is short.
func grow[T any](s []T, n int) []T {
	return slices.Grow(s[:0], n)[:n]
}

// newIter builds an iterator over rs at seq; it takes over the caller's
// pin of rs (shard from acquire).
func (d *DB) newIter(rs *readState, shard int, seq uint64, opts engine.IterOptions) *Iterator {
	s := iterPool.Get().(*iterState)
	it := &Iterator{d: d, rs: rs, rsShard: shard, seq: seq, s: s, m: &s.m, key: s.key[:0]}
	if opts.Lower != nil {
		s.lower = append(s.lower[:0], opts.Lower...)
		it.lower = s.lower
	}
	if opts.Upper != nil {
		s.upper = append(s.upper[:0], opts.Upper...)
		it.upper = s.upper
	}
	// Sources, newest first: memtables, level-0 tables, deeper levels.
	s.mems = grow(s.mems, 1+len(rs.imms))
	s.mems[0].init(rs.mem)
	for i := range rs.imms {
		s.mems[1+i].init(rs.imms[len(rs.imms)-1-i])
	}
	v := rs.v
	n := len(v.Levels[0])
	for level := 1; level < len(v.Levels); level++ {
		if len(v.Levels[level]) > 0 {
			n++
		}
	}
	s.levels = grow(s.levels, n)
	j := 0
	for i := len(v.Levels[0]) - 1; i >= 0; i-- {
		s.levels[j].init(d.tc, v.Levels[0][i:i+1], it.lower, it.upper)
		j++
	}
	for level := 1; level < len(v.Levels); level++ {
		if len(v.Levels[level]) > 0 {
			s.levels[j].init(d.tc, v.Levels[level], it.lower, it.upper)
			j++
		}
	}
	s.iters = s.iters[:0]
	for i := range s.mems {
		s.iters = append(s.iters, &s.mems[i])
	}
	for i := range s.levels {
		s.iters = append(s.iters, &s.levels[i])
	}
	s.m.reset(s.iters)
	return it
}

// recycle empties s of every reference to memtables, tables and blocks
// (its sources are closed) and puts it back in the pool with its buffers.
func (s *iterState) recycle(key []byte) {
	for i := range s.mems {
		s.mems[i] = memIter{}
	}
	for i := range s.levels {
		s.levels[i].init(nil, nil, nil, nil)
	}
	clear(s.iters)
	s.m.reset(nil)
	s.key = key[:0]
	iterPool.Put(s)
}

// check reports whether the iterator may move: not closed, DB open.
func (it *Iterator) check() bool {
	it.valid = false
	if it.closed {
		if it.err == nil {
			it.err = fmt.Errorf("lsm: iterator: %w", engine.ErrClosed)
		}
		return false
	}
	if it.d.closed.Load() {
		it.err = fmt.Errorf("lsm: iterator: %w", engine.ErrClosed)
		return false
	}
	return it.err == nil
}

// First moves to the smallest key >= Lower.
func (it *Iterator) First() bool {
	if !it.check() {
		return false
	}
	it.forward = true
	if it.lower != nil {
		it.m.SeekGE(it.lower)
	} else {
		it.m.First()
	}
	return it.findNext()
}

// Last moves to the largest key < Upper.
func (it *Iterator) Last() bool {
	if !it.check() {
		return false
	}
	it.forward = false
	if it.upper != nil {
		it.m.SeekLT(it.upper)
	} else {
		it.m.Last()
	}
	return it.findPrev()
}

// SeekGE moves to the smallest key >= key (and >= Lower).
func (it *Iterator) SeekGE(key []byte) bool {
	if !it.check() {
		return false
	}
	if it.lower != nil && bytes.Compare(key, it.lower) < 0 {
		key = it.lower
	}
	it.forward = true
	it.m.SeekGE(key)
	return it.findNext()
}

// SeekLT moves to the largest key < key (and < Upper).
func (it *Iterator) SeekLT(key []byte) bool {
	if !it.check() {
		return false
	}
	if it.upper != nil && bytes.Compare(key, it.upper) > 0 {
		key = it.upper
	}
	it.forward = false
	it.m.SeekLT(key)
	return it.findPrev()
}

// Next moves to the next larger key.
func (it *Iterator) Next() bool {
	wasValid := it.valid
	if !it.check() || !wasValid {
		return false
	}
	if !it.forward {
		// Backward, the merging iterator is before the current key: seek
		// back to it.
		it.forward = true
		it.m.SeekGE(it.key)
	}
	// Skip the remaining versions of the current key.
	for it.m.Valid() && bytes.Equal(it.m.Key().UserKey, it.key) {
		it.m.Next()
	}
	return it.findNext()
}

// Prev moves to the next smaller key.
func (it *Iterator) Prev() bool {
	wasValid := it.valid
	if !it.check() || !wasValid {
		return false
	}
	if it.forward {
		it.forward = false
		it.m.SeekLT(it.key)
	}
	return it.findPrev()
}

// findNext moves the merging iterator forward to the first user key with a
// visible version that is not a deletion, and stops there.
func (it *Iterator) findNext() bool {
	m := it.m
	for m.Valid() {
		k := m.Key()
		if k.Seq() > it.seq {
			m.Next()
			continue
		}
		if it.upper != nil && bytes.Compare(k.UserKey, it.upper) >= 0 {
			break
		}
		if k.Kind() == engine.KindDelete {
			it.key = append(it.key[:0], k.UserKey...)
			for m.Next() && bytes.Equal(m.Key().UserKey, it.key) {
			}
			continue
		}
		it.key = append(it.key[:0], k.UserKey...)
		it.value = m.Value()
		it.valid = true
		return true
	}
	it.err = m.Error()
	return false
}

// findPrev moves the merging iterator backward over the versions of the
// largest remaining user key, oldest first, keeping the newest visible
// one; it stops before that key if the version is not a deletion.
func (it *Iterator) findPrev() bool {
	m := it.m
	for m.Valid() {
		k := m.Key()
		if it.lower != nil && bytes.Compare(k.UserKey, it.lower) < 0 {
			break
		}
		it.key = append(it.key[:0], k.UserKey...)
		found := false
		for {
			if k.Seq() <= it.seq {
				found = k.Kind() == engine.KindSet
				if found {
					it.value = m.Value()
				}
			}
			if !m.Prev() {
				break
			}
			k = m.Key()
			if !bytes.Equal(k.UserKey, it.key) {
				break
			}
		}
		if err := m.Error(); err != nil {
			it.err = err
			return false
		}
		if found {
			it.valid = true
			return true
		}
	}
	it.err = m.Error()
	return false
}

// Valid reports whether the iterator is at a key.
func (it *Iterator) Valid() bool { return it.valid }

// Key returns the current key, valid until the next move.
func (it *Iterator) Key() []byte {
	if !it.valid {
		return nil
	}
	return it.key
}

// Value returns the current value, valid until the next move.
func (it *Iterator) Value() []byte {
	if !it.valid {
		return nil
	}
	return it.value
}

// Error returns the first error the iterator met.
func (it *Iterator) Error() error { return it.err }

// Close releases the iterator and what it pins and returns Error(). A
// second Close returns an error wrapping engine.ErrClosed.
func (it *Iterator) Close() error {
	if it.closed {
		return fmt.Errorf("lsm: iterator: %w", engine.ErrClosed)
	}
	it.closed = true
	it.valid = false
	err := it.m.Close()
	if it.err == nil {
		it.err = err
	}
	it.rs.release(it.rsShard)
	it.s.recycle(it.key)
	it.s, it.m, it.key, it.value, it.lower, it.upper = nil, nil, nil, nil, nil, nil
	return it.err
}
