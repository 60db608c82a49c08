package btree

import (
	"bytes"
	"sync"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
	"github.com/lightningdb/lightning/engine"
)

// frame is one level of an iterator's path from the root: a node's image
// (an in-memory node's, with its overrides and pending data, or a
// validated page) and the position in it (a child index in a branch, an
// entry index in a leaf).
type frame struct {
	p    []byte
	kids *kidList
	big  [][]byte
	d    *digest
	i    int
	cnt  int // children (branch) or entries (leaf)
}

// treeIter walks one pinned version of the tree with a stack of frames
// (the path from the root to the current leaf). It implements the moves of
// engine.Iterator; Iter adds the engine's bounds, closing and errors.
type treeIter struct {
	s      *store
	v      *version
	stack  []frame
	key    []byte
	val    []byte
	keyBuf []byte
	valBuf []byte
	err    error
	st     readStat
	merged *node // scratch: the current leaf, a delta, merged
	cells  []cellSrc
}

// push descends into c at level and pushes its frame positioned by pos,
// which gets the frame's count.
func (it *treeIter) push(c child, level int, pos func(f *frame) error) error {
	var f frame
	if n := c.n; n != nil {
		if n.delta() {
			// Merged into the iterator's scratch image: only the leaf
			// frame, the last, may be a delta, and Key and Value are
			// valid only until the next move.
			if it.merged == nil {
				if sc, ok := mergeScratch.Get().(*scratch); ok {
					it.merged, it.cells = sc.n, sc.cells
				}
			}
			var err error
			if it.merged, it.cells, err = it.s.merged(n, &it.st, it.merged, it.cells); err != nil {
				return err
			}
			n = it.merged
		}
		f.p, f.kids, f.big = n.p, &n.kids, n.big
	} else {
		p, d, err := it.s.readNode(c.ref, level, &it.st)
		if err != nil {
			return err
		}
		f.p, f.d = p, d
	}
	f.cnt = page.Count(f.p)
	if level > 0 {
		f.cnt++
	}
	if err := pos(&f); err != nil {
		return err
	}
	it.stack = append(it.stack, f)
	return nil
}

// childOf returns child i of branch frame f.
func (it *treeIter) childOf(f *frame) child { return it.s.kidOf(f.p, f.kids, f.i) }

// descend pushes frames from child c at level down to a leaf, each
// positioned by pos.
func (it *treeIter) descend(c child, level int, pos func(f *frame, leaf bool) error) error {
	for {
		lv := level
		if err := it.push(c, level, func(f *frame) error { return pos(f, lv == 0) }); err != nil {
			return err
		}
		if level == 0 {
			return nil
		}
		c = it.childOf(&it.stack[len(it.stack)-1])
		level--
	}
}

func (it *treeIter) fail(err error) bool {
	it.err = err
	it.stack = it.stack[:0]
	it.key, it.val = nil, nil
	return false
}

// seek positions at the first key >= key (ge) or the last key < key (lt).
// A nil key means the first or last key of the tree.
func (it *treeIter) seek(key []byte, ge bool) bool {
	it.stack = it.stack[:0]
	if it.v.root.isZero() {
		return it.clear()
	}
	err := it.descend(it.v.root, it.v.height-1, func(f *frame, leaf bool) error {
		switch {
		case key == nil && ge:
			f.i = 0
		case key == nil:
			f.i = f.cnt - 1
		case f.d != nil:
			i, _, err := it.s.searchPage(f.p, f.d, key)
			if err != nil {
				return err
			}
			f.i = i
			if leaf && !ge {
				f.i--
			}
		case leaf:
			i, _, err := it.s.searchLeaf(f.p, f.big, key)
			if err != nil {
				return err
			}
			f.i = i
			if !ge {
				f.i--
			}
		default:
			i, err := it.s.searchBranch(f.p, f.big, key)
			if err != nil {
				return err
			}
			f.i = i
		}
		return nil
	})
	if err != nil {
		return it.fail(err)
	}
	leaf := &it.stack[len(it.stack)-1]
	switch {
	case leaf.i >= leaf.cnt:
		return it.next()
	case leaf.i < 0:
		return it.prev()
	}
	return it.load()
}

func (it *treeIter) clear() bool {
	it.stack = it.stack[:0]
	it.key, it.val = nil, nil
	return false
}

// next moves to the following key.
func (it *treeIter) next() bool {
	if len(it.stack) == 0 {
		return false
	}
	leaf := &it.stack[len(it.stack)-1]
	if leaf.i++; leaf.i < leaf.cnt {
		return it.load()
	}
	// Climb to the nearest branch with a child to the right.
	d := len(it.stack) - 2
	for d >= 0 && it.stack[d].i+1 >= it.stack[d].cnt {
		d--
	}
	if d < 0 {
		return it.clear()
	}
	it.stack[d].i++
	level := len(it.stack) - 2 - d
	c := it.childOf(&it.stack[d])
	it.stack = it.stack[:d+1]
	if err := it.descend(c, level, func(f *frame, _ bool) error { f.i = 0; return nil }); err != nil {
		return it.fail(err)
	}
	return it.load()
}

// prev moves to the preceding key.
func (it *treeIter) prev() bool {
	if len(it.stack) == 0 {
		return false
	}
	leaf := &it.stack[len(it.stack)-1]
	if leaf.i--; leaf.i >= 0 && leaf.i < leaf.cnt {
		return it.load()
	}
	d := len(it.stack) - 2
	for d >= 0 && it.stack[d].i == 0 {
		d--
	}
	if d < 0 {
		return it.clear()
	}
	it.stack[d].i--
	level := len(it.stack) - 2 - d
	c := it.childOf(&it.stack[d])
	it.stack = it.stack[:d+1]
	if err := it.descend(c, level, func(f *frame, _ bool) error { f.i = f.cnt - 1; return nil }); err != nil {
		return it.fail(err)
	}
	return it.load()
}

// load reads the key and value at the leaf position.
func (it *treeIter) load() bool {
	f := &it.stack[len(it.stack)-1]
	c := it.s.pg.l.LeafCell(f.p, f.i)
	if c.KeyRef.IsZero() {
		it.key = c.Key
	} else {
		k, err := it.s.runData(it.keyBuf[:0], c.KeyRef, c.KeyLen, f.big)
		if err != nil {
			return it.fail(err)
		}
		it.keyBuf, it.key = k, k
	}
	if c.ValueRef.IsZero() {
		it.val = c.Value
		return true
	}
	v, err := it.s.runData(it.valBuf[:0], c.ValueRef, c.ValueLen, f.big)
	if err != nil {
		return it.fail(err)
	}
	it.valBuf, it.val = v, v
	return true
}

// scratch is what an iterator merges delta leaves with; closed iterators
// leave theirs in mergeScratch for the next ones.
type scratch struct {
	n     *node
	cells []cellSrc
}

var mergeScratch sync.Pool

// Iter is an engine.Iterator over one pinned version, within bounds.
type Iter struct {
	t            treeIter
	lower, upper []byte
	valid        bool
	closed       bool
	release      func()
	dbClosed     func() bool
}

var _ engine.Iterator = (*Iter)(nil)

func (it *Iter) check(ok bool) bool {
	if it.dbClosed() {
		it.t.clear()
		if it.t.err == nil {
			it.t.err = engine.ErrClosed
		}
		it.valid = false
		return false
	}
	if ok && it.upper != nil && bytes.Compare(it.t.key, it.upper) >= 0 {
		ok = false
	}
	if ok && it.lower != nil && bytes.Compare(it.t.key, it.lower) < 0 {
		ok = false
	}
	if !ok {
		it.t.clear()
	}
	it.valid = ok
	return ok
}

// start resets a failed iterator's error before a new absolute move.
func (it *Iter) start() bool {
	if it.closed || it.dbClosed() {
		return false
	}
	it.t.err = nil
	return true
}

// First implements engine.Iterator.
func (it *Iter) First() bool {
	if !it.start() {
		return it.check(false)
	}
	return it.check(it.t.seek(it.lower, true))
}

// Last implements engine.Iterator.
func (it *Iter) Last() bool {
	if !it.start() {
		return it.check(false)
	}
	return it.check(it.t.seek(it.upper, false))
}

// SeekGE implements engine.Iterator.
func (it *Iter) SeekGE(key []byte) bool {
	if !it.start() {
		return it.check(false)
	}
	if it.lower != nil && bytes.Compare(key, it.lower) < 0 {
		key = it.lower
	}
	return it.check(it.t.seek(key, true))
}

// SeekLT implements engine.Iterator.
func (it *Iter) SeekLT(key []byte) bool {
	if !it.start() {
		return it.check(false)
	}
	if it.upper != nil && bytes.Compare(key, it.upper) > 0 {
		key = it.upper
	}
	return it.check(it.t.seek(key, false))
}

// Next implements engine.Iterator.
func (it *Iter) Next() bool {
	if !it.valid {
		return it.check(false)
	}
	return it.check(it.t.next())
}

// Prev implements engine.Iterator.
func (it *Iter) Prev() bool {
	if !it.valid {
		return it.check(false)
	}
	return it.check(it.t.prev())
}

// Valid implements engine.Iterator.
func (it *Iter) Valid() bool { return it.valid }

// Key implements engine.Iterator. The slice is owned by the engine (it
// may alias a cached page) and must not be modified.
func (it *Iter) Key() []byte {
	if !it.valid {
		return nil
	}
	return it.t.key
}

// Value implements engine.Iterator. The slice is owned by the engine and
// must not be modified.
func (it *Iter) Value() []byte {
	if !it.valid {
		return nil
	}
	return it.t.val
}

// Error implements engine.Iterator.
func (it *Iter) Error() error { return it.t.err }

// Close implements engine.Iterator.
func (it *Iter) Close() error {
	if it.closed {
		return engine.ErrClosed
	}
	it.closed = true
	it.valid = false
	it.t.clear()
	st := &it.t.st
	it.t.s.reads.add(int(st.hits+st.misses), 0, st.hits, st.misses)
	if it.t.merged != nil {
		// Scratch images are of one page size per store; a pool shared by
		// stores of several page sizes only costs a regrowth.
		clear(it.t.cells)
		clear(it.t.merged.big)
		mergeScratch.Put(&scratch{it.t.merged, it.t.cells[:0]})
		it.t.merged, it.t.cells = nil, nil
	}
	it.release()
	return it.t.err
}
