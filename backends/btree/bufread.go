package btree

import (
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/commit"
	"github.com/lightningdb/lightning/engine/overlay"
)

// Reading through the write buffer: views, Gets and merged iterators.

// readView is a consistent view for a snapshot or an iterator: the
// memtables, the visible sequence number and the tree's version (pinned).
type readView struct {
	buf *bufView // nil without a write buffer
	seq uint64
	v   *version
}

// acquireView pins a consistent view. The tree version is pinned after
// the memtables are loaded and the sequence number is loaded after that,
// so the tree holds no write above it; if no memtable was frozen or
// finished meanwhile (the same bufView), the tree holds no write that the
// view's memtables do not, bar those of the full ones being merged
// (which the view also reads, first).
func (db *DB) acquireView() readView {
	s := db.s
	wb := db.buf
	if wb == nil {
		return readView{v: s.readers.acquire(&s.cur)}
	}
	for {
		bv := wb.view.Load()
		v := s.readers.acquire(&s.cur)
		seq := wb.visible.Load()
		if wb.view.Load() == bv {
			return readView{buf: bv, seq: seq, v: v}
		}
		s.readers.release(v)
	}
}

// bufGet looks key up in the memtables of bv, newest first, at sequence
// number seq. done is false if none holds it (the tree then answers).
func bufGet(bv *bufView, seq uint64, key, dst []byte) (out []byte, done bool, err error) {
	if out, done, err = tableGet(bv.mem, seq, key, dst); done {
		return out, done, err
	}
	for i := len(bv.frozen) - 1; i >= 0; i-- {
		if out, done, err = tableGet(bv.frozen[i], seq, key, dst); done {
			return out, done, err
		}
	}
	return dst, false, nil
}

// tableGet is bufGet in one memtable.
func tableGet(t *commit.Table, seq uint64, key, dst []byte) (out []byte, done bool, err error) {
	if t.Skiplist().Empty() {
		return dst, false, nil
	}
	v, kind, ok := t.Skiplist().Get(key, seq)
	if !ok {
		return dst, false, nil
	}
	if kind == engine.KindDelete {
		return dst, true, engine.ErrNotFound
	}
	return append(dst, v...), true, nil
}

// buffered reports whether bv holds any entry (else readers skip it).
func (bv *bufView) buffered() bool {
	if bv == nil {
		return false
	}
	if !bv.mem.Skiplist().Empty() {
		return true
	}
	for _, f := range bv.frozen {
		if !f.Skiplist().Empty() {
			return true
		}
	}
	return false
}

// treeLayer is the tree, the oldest layer of a merged view: it holds no
// deletions.
type treeLayer struct{ *Iter }

// Deleted implements overlay.Layer.
func (treeLayer) Deleted() bool { return false }

// bufIter is an iterator over buffered writes and the tree: an
// engine/overlay merge of the memtables (newest first) and the tree.
type bufIter struct {
	ov       *overlay.Iter
	tree     *Iter
	dbClosed func() bool
	closed   bool
	err      error // ErrClosed once the engine is closed
}

var _ engine.Iterator = (*bufIter)(nil)

// newBufIter returns the merged iterator of rv, whose tree iterator it
// closes (releasing the version's pin) on Close.
func newBufIter(rv readView, tree *Iter, opts engine.IterOptions) *bufIter {
	layers := make([]overlay.Layer, 0, 2+len(rv.buf.frozen))
	layers = append(layers, overlay.Mem(rv.buf.mem.Skiplist(), rv.seq))
	for i := len(rv.buf.frozen) - 1; i >= 0; i-- {
		layers = append(layers, overlay.Mem(rv.buf.frozen[i].Skiplist(), rv.seq))
	}
	layers = append(layers, treeLayer{tree})
	return &bufIter{ov: overlay.New(layers, opts.Lower, opts.Upper), tree: tree, dbClosed: tree.dbClosed}
}

// live reports whether the iterator may move: not after the engine
// closed.
func (it *bufIter) live() bool {
	if it.closed {
		return false
	}
	if it.dbClosed() {
		it.err = engine.ErrClosed
		return false
	}
	return true
}

// First implements engine.Iterator.
func (it *bufIter) First() bool { return it.live() && it.ov.First() }

// Last implements engine.Iterator.
func (it *bufIter) Last() bool { return it.live() && it.ov.Last() }

// SeekGE implements engine.Iterator.
func (it *bufIter) SeekGE(key []byte) bool { return it.live() && it.ov.SeekGE(key) }

// SeekLT implements engine.Iterator.
func (it *bufIter) SeekLT(key []byte) bool { return it.live() && it.ov.SeekLT(key) }

// Next implements engine.Iterator.
func (it *bufIter) Next() bool { return it.live() && it.ov.Next() }

// Prev implements engine.Iterator.
func (it *bufIter) Prev() bool { return it.live() && it.ov.Prev() }

// Valid implements engine.Iterator.
func (it *bufIter) Valid() bool { return it.err == nil && !it.closed && it.ov.Valid() }

// Key implements engine.Iterator. The slice is owned by the engine and
// must not be modified.
func (it *bufIter) Key() []byte {
	if !it.Valid() {
		return nil
	}
	return it.ov.Key()
}

// Value implements engine.Iterator. The slice is owned by the engine and
// must not be modified.
func (it *bufIter) Value() []byte {
	if !it.Valid() {
		return nil
	}
	return it.ov.Value()
}

// Error implements engine.Iterator.
func (it *bufIter) Error() error {
	if it.err != nil {
		return it.err
	}
	return it.ov.Error()
}

// Close implements engine.Iterator.
func (it *bufIter) Close() error {
	if it.closed {
		return engine.ErrClosed
	}
	err := it.Error()
	it.closed = true
	it.tree.Close() //nolint:errcheck // its error, if any, is the overlay's
	return err
}
