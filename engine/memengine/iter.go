package memengine

import (
	"bytes"
	"slices"

	"github.com/lightningdb/lightning/engine"
)

// iterPos says where an iterator stands.
type iterPos uint8

const (
	posNone   iterPos = iota // never positioned, or after an error
	posValid                 // at a key within the bounds
	posBefore                // moved off the low end: Next goes to First
	posAfter                 // moved off the high end: Prev goes to Last
)

// frame is one step of the path from the root to the current leaf: node n
// and the index of the child (inner node) or entry (leaf) taken.
type frame struct {
	n *node
	i int
}

// iter is an engine.Iterator over one immutable tree.
//
// Key and Value return slices of the tree itself: they are never changed
// by anyone, so they actually stay valid after the next move, but callers
// must not rely on that (the contract says "until the next move") and must
// never modify them.
//
// Moving off either end: Next after the iterator ran off the low end (a
// failed Prev, SeekLT or Last) acts as First, and Prev after it ran off the
// high end acts as Last. On a fresh iterator Next acts as First and Prev as
// Last.
type iter struct {
	db           *DB
	root         *node
	lower, upper []byte
	stack        []frame
	pos          iterPos
	closed       bool
	err          error
	buf          [12]frame // initial stack storage: depth 12 holds > 2^40 keys
}

func newIter(db *DB, root *node, opts engine.IterOptions) *iter {
	it := &iter{db: db, root: root}
	if opts.Lower != nil {
		it.lower = slices.Clone(opts.Lower)
	}
	if opts.Upper != nil {
		it.upper = slices.Clone(opts.Upper)
	}
	it.stack = it.buf[:0]
	return it
}

// usable reports whether the iterator may move: it is open, has no error
// and its DB is open. A DB closed under it becomes its error.
func (it *iter) usable() bool {
	if it.closed || it.err != nil {
		return false
	}
	if it.db.closed.Load() {
		it.err = engine.ErrClosed
		it.pos = posNone
		it.stack = it.stack[:0]
		return false
	}
	return true
}

func (it *iter) push(n *node, i int) { it.stack = append(it.stack, frame{n, i}) }

// curKey is the key at the top of the stack; the stack must end at a leaf
// entry.
func (it *iter) curKey() []byte {
	f := &it.stack[len(it.stack)-1]
	return f.n.keys[f.i]
}

// descendLeft pushes the path to the smallest entry of subtree n.
func (it *iter) descendLeft(n *node) {
	for !n.leaf() {
		it.push(n, 0)
		n = n.kids[0]
	}
	it.push(n, 0)
}

// descendRight pushes the path to the largest entry of subtree n.
func (it *iter) descendRight(n *node) {
	for !n.leaf() {
		it.push(n, len(n.kids)-1)
		n = n.kids[len(n.kids)-1]
	}
	it.push(n, len(n.keys)-1)
}

// descend pushes the path to the first entry >= key, which may be one past
// the end of the leaf reached.
func (it *iter) descend(key []byte) {
	it.stack = it.stack[:0]
	n := it.root
	for !n.leaf() {
		i := n.childIndex(key)
		it.push(n, i)
		n = n.kids[i]
	}
	i, _ := n.seek(key)
	it.push(n, i)
}

// The raw moves below ignore bounds and report whether an entry was found.
// Non-root leaves are never empty and an empty tree has a nil root, so a
// leaf reached by descent has at least one entry.

func (it *iter) rawFirst() bool {
	it.stack = it.stack[:0]
	if it.root == nil {
		return false
	}
	it.descendLeft(it.root)
	return true
}

func (it *iter) rawLast() bool {
	it.stack = it.stack[:0]
	if it.root == nil {
		return false
	}
	it.descendRight(it.root)
	return true
}

func (it *iter) rawSeekGE(key []byte) bool {
	if it.root == nil {
		it.stack = it.stack[:0]
		return false
	}
	it.descend(key)
	f := &it.stack[len(it.stack)-1]
	if f.i == len(f.n.keys) {
		return it.nextLeaf()
	}
	return true
}

func (it *iter) rawSeekLT(key []byte) bool {
	if it.root == nil {
		it.stack = it.stack[:0]
		return false
	}
	it.descend(key)
	f := &it.stack[len(it.stack)-1]
	if f.i > 0 {
		f.i--
		return true
	}
	return it.prevLeaf()
}

func (it *iter) rawNext() bool {
	f := &it.stack[len(it.stack)-1]
	f.i++
	if f.i < len(f.n.keys) {
		return true
	}
	return it.nextLeaf()
}

func (it *iter) rawPrev() bool {
	f := &it.stack[len(it.stack)-1]
	if f.i > 0 {
		f.i--
		return true
	}
	return it.prevLeaf()
}

// nextLeaf replaces the leaf at the top of the stack by the next leaf and
// stands at its first entry. It empties the stack when there is none.
func (it *iter) nextLeaf() bool {
	it.stack = it.stack[:len(it.stack)-1]
	for len(it.stack) > 0 {
		f := &it.stack[len(it.stack)-1]
		if f.i+1 < len(f.n.kids) {
			f.i++
			it.descendLeft(f.n.kids[f.i])
			return true
		}
		it.stack = it.stack[:len(it.stack)-1]
	}
	return false
}

// prevLeaf replaces the leaf at the top of the stack by the previous leaf
// and stands at its last entry. It empties the stack when there is none.
func (it *iter) prevLeaf() bool {
	it.stack = it.stack[:len(it.stack)-1]
	for len(it.stack) > 0 {
		f := &it.stack[len(it.stack)-1]
		if f.i > 0 {
			f.i--
			it.descendRight(f.n.kids[f.i])
			return true
		}
		it.stack = it.stack[:len(it.stack)-1]
	}
	return false
}

// forward finishes a forward move: found says a raw entry was reached; it
// is valid if below Upper.
func (it *iter) forward(found bool) bool {
	if found && (it.upper == nil || bytes.Compare(it.curKey(), it.upper) < 0) {
		it.pos = posValid
		return true
	}
	it.pos = posAfter
	return false
}

// backward finishes a backward move: valid if the entry is >= Lower.
func (it *iter) backward(found bool) bool {
	if found && (it.lower == nil || bytes.Compare(it.curKey(), it.lower) >= 0) {
		it.pos = posValid
		return true
	}
	it.pos = posBefore
	return false
}

// First moves to the smallest key >= Lower.
func (it *iter) First() bool {
	if !it.usable() {
		return false
	}
	if it.lower != nil {
		return it.forward(it.rawSeekGE(it.lower))
	}
	return it.forward(it.rawFirst())
}

// Last moves to the largest key < Upper.
func (it *iter) Last() bool {
	if !it.usable() {
		return false
	}
	if it.upper != nil {
		return it.backward(it.rawSeekLT(it.upper))
	}
	return it.backward(it.rawLast())
}

// SeekGE moves to the smallest key >= key and >= Lower.
func (it *iter) SeekGE(key []byte) bool {
	if !it.usable() {
		return false
	}
	if it.lower != nil && bytes.Compare(key, it.lower) < 0 {
		key = it.lower
	}
	return it.forward(it.rawSeekGE(key))
}

// SeekLT moves to the largest key < key and < Upper.
func (it *iter) SeekLT(key []byte) bool {
	if !it.usable() {
		return false
	}
	if it.upper != nil && bytes.Compare(key, it.upper) > 0 {
		key = it.upper
	}
	return it.backward(it.rawSeekLT(key))
}

// Next moves to the next larger key.
func (it *iter) Next() bool {
	if !it.usable() {
		return false
	}
	switch it.pos {
	case posValid:
		return it.forward(it.rawNext())
	case posAfter:
		return false
	default:
		return it.First()
	}
}

// Prev moves to the next smaller key.
func (it *iter) Prev() bool {
	if !it.usable() {
		return false
	}
	switch it.pos {
	case posValid:
		return it.backward(it.rawPrev())
	case posBefore:
		return false
	default:
		return it.Last()
	}
}

// Valid reports whether the iterator stands at a key. It is false once the
// DB is closed.
func (it *iter) Valid() bool {
	return it.pos == posValid && !it.closed && it.err == nil && !it.db.closed.Load()
}

// Key returns the current key, or nil when not Valid. The slice is part
// of the tree: do not modify it.
func (it *iter) Key() []byte {
	if !it.Valid() {
		return nil
	}
	return it.curKey()
}

// Value returns the current value, or nil when not Valid. The slice is
// part of the tree: do not modify it.
func (it *iter) Value() []byte {
	if !it.Valid() {
		return nil
	}
	f := &it.stack[len(it.stack)-1]
	return f.n.vals[f.i]
}

// Error returns the iterator's error: engine.ErrClosed once its DB is
// closed or after the iterator's own Close.
func (it *iter) Error() error {
	if it.err == nil && (it.closed || it.db.closed.Load()) {
		return engine.ErrClosed
	}
	return it.err
}

// Close releases the tree and returns Error(): nil, or engine.ErrClosed if
// the DB was closed first. A second Close returns engine.ErrClosed.
func (it *iter) Close() error {
	if it.closed {
		return engine.ErrClosed
	}
	err := it.Error()
	it.closed = true
	it.pos = posNone
	it.root = nil
	clear(it.buf[:])
	it.stack = nil
	return err
}
