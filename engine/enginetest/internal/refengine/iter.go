package refengine

import (
	"bytes"
	"sort"
	"sync/atomic"

	"github.com/lightningdb/lightning/engine"
)

// snapshot is a frozen sorted view of the data.
type snapshot struct {
	db     *DB
	view   []kv
	closed atomic.Bool
}

func (s *snapshot) check() error {
	if s.closed.Load() || s.db.closed.Load() {
		return engine.ErrClosed
	}
	return nil
}

// Get implements engine.Reader.
func (s *snapshot) Get(key, dst []byte) ([]byte, error) {
	if err := s.check(); err != nil {
		return dst, err
	}
	if s.db.bug == BugSnapshotSeesLater {
		return s.db.Get(key, dst)
	}
	i := sort.Search(len(s.view), func(i int) bool { return bytes.Compare(s.view[i].key, key) >= 0 })
	if i < len(s.view) && bytes.Equal(s.view[i].key, key) {
		return append(dst, s.view[i].value...), nil
	}
	return dst, engine.ErrNotFound
}

// NewIter implements engine.Reader.
func (s *snapshot) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return newIter(s.db, s.view, opts), nil
}

// Close implements engine.Snapshot.
func (s *snapshot) Close() error {
	if s.closed.Swap(true) {
		return engine.ErrClosed
	}
	s.view = nil
	return nil
}

// iter walks view[lo:hi], the entries within the bounds.
type iter struct {
	db     *DB
	view   []kv
	lo, hi int
	pos    int // valid iff lo <= pos < hi
	err    error
	closed bool
}

func newIter(db *DB, view []kv, opts engine.IterOptions) *iter {
	it := &iter{db: db, view: view, hi: len(view)}
	if opts.Lower != nil {
		it.lo = it.search(opts.Lower)
	}
	if opts.Upper != nil {
		it.hi = it.search(opts.Upper)
	}
	if it.hi < it.lo {
		it.hi = it.lo
	}
	it.pos = it.lo - 1
	return it
}

// search returns the index of the first entry >= key.
func (it *iter) search(key []byte) int {
	return sort.Search(len(it.view), func(i int) bool { return bytes.Compare(it.view[i].key, key) >= 0 })
}

// at positions the iterator at i (clamped to "invalid" outside lo..hi).
func (it *iter) at(i int) bool {
	if it.db.closed.Load() {
		it.err = engine.ErrClosed
	}
	if it.err != nil {
		it.pos = it.lo - 1
		return false
	}
	it.pos = i
	return it.Valid()
}

// First implements engine.Iterator.
func (it *iter) First() bool { return it.at(it.lo) }

// Last implements engine.Iterator.
func (it *iter) Last() bool { return it.at(it.hi - 1) }

// SeekGE implements engine.Iterator.
func (it *iter) SeekGE(key []byte) bool { return it.at(max(it.search(key), it.lo)) }

// SeekLT implements engine.Iterator.
func (it *iter) SeekLT(key []byte) bool { return it.at(min(it.search(key), it.hi) - 1) }

// Next implements engine.Iterator. From an invalid position it stays invalid.
func (it *iter) Next() bool {
	if !it.Valid() {
		return it.at(it.hi)
	}
	if it.db.bug == BugIterSkip && it.pos-it.lo == 2 {
		return it.at(it.pos + 2)
	}
	return it.at(it.pos + 1)
}

// Prev implements engine.Iterator. From an invalid position it stays invalid.
func (it *iter) Prev() bool {
	if !it.Valid() {
		return it.at(it.lo - 1)
	}
	return it.at(it.pos - 1)
}

// Valid implements engine.Iterator.
func (it *iter) Valid() bool { return it.pos >= it.lo && it.pos < it.hi }

// Key implements engine.Iterator. The slice is shared with the view: read only.
func (it *iter) Key() []byte {
	if !it.Valid() {
		return nil
	}
	return it.view[it.pos].key
}

// Value implements engine.Iterator. The slice is shared with the view: read only.
func (it *iter) Value() []byte {
	if !it.Valid() {
		return nil
	}
	return it.view[it.pos].value
}

// Error implements engine.Iterator.
func (it *iter) Error() error { return it.err }

// Close implements engine.Iterator.
func (it *iter) Close() error {
	if it.closed {
		return engine.ErrClosed
	}
	it.closed = true
	it.view = nil
	it.lo, it.hi, it.pos = 0, 0, -1
	return it.err
}
