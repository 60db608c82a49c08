package btree

import (
	"bytes"
	"io"
	"sync/atomic"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
)

var errEOF = io.EOF

// node is a dirty tree node: one a write created or changed since the
// last checkpoint. It holds its contents as a page image (see
// internal/page: the page format, unsealed, with cells anywhere after the
// slots and pending overflow Refs), so that readers search a dirty node
// exactly as they search a page of the file, and a checkpoint only copies
// and seals it.
//
// A leaf may be a delta: base names the clean page it was when a write
// first changed it, or under the published in-memory leaf (a whole image)
// it was copied from, and the image holds only the entries written since
// (tombstones for deleted keys), sorted; the node's entries are the
// base's merged with them. A write that changes one entry of a clean leaf
// then costs memory for that entry, not for a whole page, so the dirty
// budget (Options.MemTableSize) holds far more changes between
// checkpoints, and a checkpoint rewrites each leaf after many changes
// rather than after a few; and a write that changes a published leaf
// copies the small delta, not the whole leaf. A delta that grows past
// half a page (a quarter over an in-memory leaf) is merged into a whole
// image.
//
// Invariants: len(p) <= PageSize is the image's capacity; for a branch,
// kids is empty or has Count+1 entries, and child i is kids.at(i) when
// that is non-nil, else the Ref stored for child i in p; big[i] holds the
// data of p's pending Ref Pending(i). A node is immutable once the write
// that made it (gen) has published it; only that write changes it, and
// only after making p private (priv false means p and big are shared
// with a cached page or with the published node it copies).
type node struct {
	p     []byte
	base  page.Ref
	under *node
	kids  kidList
	big   [][]byte
	gen   uint64
	priv  bool
	used  int // encoded size of the node (for a delta, of the merged leaf); -1 until computed
	img   int // bytes the image uses (slots and live cells); valid when priv
	low   int // offset of the lowest cell; valid when priv

	// written is set by the checkpoint that wrote the node: its page and
	// the overflow runs it wrote for the node's pending data.
	written atomic.Pointer[writtenNode]
}

// writtenNode is where a checkpoint wrote a node.
type writtenNode struct {
	ref  page.Ref
	runs []runRef
}

// runRef is an overflow run and the bytes it holds.
type runRef struct {
	ref page.Ref
	n   int
}

// child references a subtree: an in-memory node, or a page of the file
// (a clean subtree, unchanged since the checkpoint that wrote it).
type child struct {
	n   *node
	ref page.Ref
}

func (c child) isZero() bool { return c.n == nil && c.ref.IsZero() }

func (n *node) leaf() bool     { return page.IsLeaf(n.p) }
func (n *node) level() int     { return page.Level(n.p) }
func (n *node) count() int     { return page.Count(n.p) }
func (n *node) kind() pageKind { return nodeKind(n.level()) }
func (n *node) delta() bool    { return n.under != nil || !n.base.IsZero() }

// baseOf returns the image (and its side list) the delta n is a delta of:
// the in-memory leaf under it, or its base page.
func (s *store) baseOf(n *node, st *readStat) ([]byte, [][]byte, error) {
	if n.under != nil {
		return n.under.p, n.under.big, nil
	}
	p, _, err := s.readNode(n.base, 0, st)
	return p, nil, err
}

// searchBase looks key up in the base of the delta n and returns the
// base's image and side list, and the offset of key's cell in the image
// (0 if the base does not hold key). A base page with a leaf index is
// probed through it.
func (s *store) searchBase(n *node, key []byte, st *readStat) (bp []byte, bbig [][]byte, off int, err error) {
	if n.under != nil {
		bp, bbig = n.under.p, n.under.big
		i, found, err := s.searchLeaf(bp, bbig, key)
		if err != nil || !found {
			return bp, bbig, 0, err
		}
		return bp, bbig, page.Slot(bp, i), nil
	}
	v, err := s.readView(n.base, 0, st)
	if err != nil {
		return nil, nil, 0, err
	}
	if ix := v.index(); ix != nil {
		return v.b, nil, ix.find(&s.pg.l, v.b, key), nil
	}
	d := v.digest()
	i, found, err := s.searchPage(v.b, d, key)
	if err != nil || !found {
		return v.b, nil, 0, err
	}
	return v.b, nil, cellOffset(v.b, d, i), nil
}

// mergeAt returns the size of a delta's image past which it is merged
// into a whole image.
func (s *store) mergeAt(n *node) int {
	if n.under != nil {
		return s.pg.l.PageSize / 4
	}
	return s.pg.l.PageSize / 2
}

// kidOf returns child i of the branch image p with in-memory children
// kids.
func (s *store) kidOf(p []byte, kids *kidList, i int) child {
	if n := kids.at(i); n != nil {
		return child{n: n}
	}
	return child{ref: s.pg.l.BranchChild(p, i)}
}

// childRefOffset returns the offset in the branch image p of child i's
// Ref.
func (s *store) childRefOffset(p []byte, i int) int {
	if i == 0 {
		return page.Child0
	}
	return s.pg.l.CellAt(p, i-1).ChildRef()
}

// separator returns the shortest key s with a < s <= b, for a < b: the
// prefix of b one byte longer than the prefix a and b share. Branch keys
// are made this way (suffix truncation), so they stay short.
func separator(a, b []byte) []byte {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return b[: i+1 : i+1]
}

// runData appends the n bytes of the overflow data ref to dst: from big
// for a pending Ref, else from the run in the file.
func (s *store) runData(dst []byte, ref page.Ref, n int, big [][]byte) ([]byte, error) {
	if i, ok := ref.IsPending(); ok {
		return append(dst, big[i]...), nil
	}
	return s.pg.readRun(dst, ref, n)
}

// compareCellKey compares key with a cell's key, reading the key's
// overflow data when the inline prefix does not decide.
func (s *store) compareCellKey(key, inline []byte, klen int, ref page.Ref, big [][]byte) (int, error) {
	c, full := page.CompareKey(key, inline, klen)
	if !full {
		return c, nil
	}
	if i, ok := ref.IsPending(); ok {
		return bytes.Compare(key, big[i]), nil
	}
	k, err := s.pg.readRun(nil, ref, klen)
	if err != nil {
		return 0, err
	}
	return bytes.Compare(key, k), nil
}

// fullKey returns a cell's whole key: the inline bytes, or its overflow
// data appended to buf[:0].
func (s *store) fullKey(buf, inline []byte, klen int, ref page.Ref, big [][]byte) ([]byte, error) {
	if len(inline) == klen {
		return inline, nil
	}
	return s.runData(buf[:0], ref, klen, big)
}

// searchLeaf returns the index of the first entry of the leaf image p
// whose key is >= key, and whether it is equal.
func (s *store) searchLeaf(p []byte, big [][]byte, key []byte) (int, bool, error) {
	return s.searchLeafIn(p, big, key, 0, page.Count(p))
}

// searchPage is searchLeaf or searchBranch (with found false) on a page
// of the file, narrowed down by its digest d if it has one (with a stride
// of 1, the cells are found through d.offs, without reading the page's
// slots).
func (s *store) searchPage(p []byte, d *digest, key []byte) (int, bool, error) {
	if d == nil {
		if page.IsLeaf(p) {
			return s.searchLeaf(p, nil, key)
		}
		i, err := s.searchBranch(p, nil, key)
		return i, false, err
	}
	lo, hi := d.bounds(key)
	end := hi
	found := false
	leaf := d.leaf
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		var inline []byte
		var klen int
		var ref page.Ref
		switch {
		case d.offs == nil && leaf:
			inline, klen, ref = s.pg.l.LeafKey(p, m)
		case d.offs == nil:
			inline, klen, ref = s.pg.l.BranchKey(p, m)
		case leaf:
			inline, klen, ref = s.pg.l.LeafKeyAt(p, int(d.offs[m]))
		default:
			inline, klen, ref = s.pg.l.BranchKeyAt(p, int(d.offs[m]))
		}
		c, err := s.compareCellKey(key, inline, klen, ref, nil)
		if err != nil {
			return 0, false, err
		}
		if c > 0 || (c == 0 && !leaf) {
			lo = m + 1
		} else {
			hi = m
			found = c == 0
		}
	}
	return lo, leaf && found && lo < end, nil
}

// searchLeafIn is searchLeaf when the entries before lo are known to be
// smaller than key and those from hi on larger.
func (s *store) searchLeafIn(p []byte, big [][]byte, key []byte, lo, hi int) (int, bool, error) {
	end := hi
	found := false
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		inline, klen, ref := s.pg.l.LeafKey(p, m)
		var c int
		if len(inline) == klen {
			c = bytes.Compare(key, inline)
		} else {
			var err error
			if c, err = s.compareCellKey(key, inline, klen, ref, big); err != nil {
				return 0, false, err
			}
		}
		if c > 0 {
			lo = m + 1
		} else {
			hi = m
			found = c == 0
		}
	}
	return lo, found && lo < end, nil
}

// searchBranch returns the index of the child of the branch image p whose
// range holds key: the number of keys <= key.
func (s *store) searchBranch(p []byte, big [][]byte, key []byte) (int, error) {
	return s.searchBranchIn(p, big, key, 0, page.Count(p))
}

// searchBranchIn is searchBranch when the keys before lo are known to be
// smaller than key and those from hi on larger.
func (s *store) searchBranchIn(p []byte, big [][]byte, key []byte, lo, hi int) (int, error) {
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		inline, klen, ref := s.pg.l.BranchKey(p, m)
		var c int
		if len(inline) == klen {
			c = bytes.Compare(key, inline)
		} else {
			var err error
			if c, err = s.compareCellKey(key, inline, klen, ref, big); err != nil {
				return 0, err
			}
		}
		if c >= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, nil
}

// cellSrc is a cell to copy into an image: its bytes (which must not
// alias the image it is copied into), and the side list its pending Refs
// index (nil if it has none).
type cellSrc struct {
	b   []byte
	big [][]byte
}

// cells appends the cells of n's image to dst, in order.
func (s *store) cells(n *node, dst []cellSrc) []cellSrc {
	for i := 0; i < n.count(); i++ {
		c := s.pg.l.CellAt(n.p, i)
		dst = append(dst, cellSrc{n.p[c.Off:c.End:c.End], n.big})
	}
	return dst
}

// entries appends to dst the cells of the node n as a whole: for a delta,
// its base page's entries merged with its own (tombstones drop a base
// entry; an entry of the delta replaces the base's); else its image's.
func (s *store) entries(n *node, dst []cellSrc, st *readStat) ([]cellSrc, error) {
	if !n.delta() {
		return s.cells(n, dst), nil
	}
	l := &s.pg.l
	bp, bbig, err := s.baseOf(n, st)
	if err != nil {
		return dst, err
	}
	bn, dn := page.Count(bp), n.count()
	var kb [2][]byte
	bi, di := 0, 0
	for bi < bn || di < dn {
		c := -1
		if bi == bn {
			c = 1
		} else if di < dn {
			bk, err := s.cellKey(bp, bi, bbig, kb[0])
			if err != nil {
				return dst, err
			}
			dk, err := s.cellKey(n.p, di, n.big, kb[1])
			if err != nil {
				return dst, err
			}
			c = bytes.Compare(bk, dk)
		}
		if c < 0 {
			cell := l.CellAt(bp, bi)
			dst = append(dst, cellSrc{bp[cell.Off:cell.End:cell.End], bbig})
			bi++
			continue
		}
		if c == 0 {
			bi++
		}
		cell := l.CellAt(n.p, di)
		if !l.LeafCellAt(n.p, cell.Off).Tombstone {
			dst = append(dst, cellSrc{n.p[cell.Off:cell.End:cell.End], n.big})
		}
		di++
	}
	return dst, nil
}

// cellKey returns the whole key of cell i of the leaf image p.
func (s *store) cellKey(p []byte, i int, big [][]byte, buf []byte) ([]byte, error) {
	inline, klen, ref := s.pg.l.LeafKey(p, i)
	return s.fullKey(buf, inline, klen, ref, big)
}

// srcKey returns the whole key of a leaf or branch cell source.
func (s *store) srcKey(c cellSrc, leaf bool, buf []byte) ([]byte, error) {
	var inline []byte
	var klen int
	var ref page.Ref
	if leaf {
		cell := s.pg.l.LeafCellAt(c.b, 0)
		inline, klen, ref = cell.Key, cell.KeyLen, cell.KeyRef
	} else {
		inline, klen, ref = s.pg.l.BranchKeyAt(c.b, 0)
	}
	return s.fullKey(buf, inline, klen, ref, c.big)
}

// size returns the encoded size of n, computing it if unknown.
func (s *store) size(n *node) int {
	if n.used < 0 {
		n.used = s.pg.l.UsedSize(n.p)
	}
	return n.used
}

// srcsSize returns the encoded size of a node of level holding cells.
func srcsSize(level int, cells []cellSrc) int {
	size := page.LeafBase
	if level > 0 {
		size = page.BranchBase
	}
	for _, c := range cells {
		size += 2 + len(c.b)
	}
	return size
}

// minImage is the smallest image allocated; images grow in steps of
// imageStep bytes (a size class of the Go allocator from 256 to 32K is a
// multiple of 256 bytes, bar a few of 128).
const (
	minImage  = 256
	imageStep = 256
)

// imageCap returns the capacity of an image that must hold need bytes:
// need rounded up to imageStep, at least minImage, at most the page size.
func (s *store) imageCap(need int) int {
	c := max(minImage, (need+imageStep-1)/imageStep*imageStep)
	return min(c, s.pg.l.PageSize)
}

// Dirty accounting: every node of the current tree that is in memory
// accounts for nodeOverhead+len(p) bytes of the dirty budget (plus the
// data it added to big), added when the node is made (newImage, adopting
// a page, copying a node of the checkpoint in flight) and adjusted when
// its image is replaced (rewrite, replace) or it leaves the tree. A copy
// of a node made since the last checkpoint began takes over the
// original's share.

// nodeOverhead is what a node costs besides its image: the struct, its
// child-list chunks on average, and allocation rounding.
const nodeOverhead = 256

// newImage returns an empty private node of level made by write w, with
// an image of capacity c.
func (w *writer) newImage(level, c int) *node {
	p := make([]byte, c)
	page.InitImage(p, level)
	base := page.SlotBase(p)
	w.dirty += int64(c) + nodeOverhead
	return &node{p: p, gen: w.gen, priv: true, low: c, used: base, img: base}
}

// adoptRefs makes the pending Refs of the cell just copied to off in the
// private node n index n's side list: their data, in src's list, is
// appended to n.big. src is nil for a cell without pending Refs.
func (w *writer) adoptRefs(n *node, off int, src [][]byte) {
	if src == nil {
		return
	}
	c := w.s.pg.l.CellInfoAt(n.p, off, n.leaf())
	for _, r := range [...]int{c.KeyRef, c.ValueRef} {
		if r < 0 {
			continue
		}
		if i, ok := page.RefAt(n.p, r).IsPending(); ok {
			n.big = append(n.big, src[i])
			page.SetRef(n.p, r, page.Pending(len(n.big)-1))
		}
	}
}

// rewrite gives n, which this write owns, a fresh private image of
// capacity c (the same level and child 0): its cells in order, packed at
// the end, and only the pending data they use.
func (w *writer) rewrite(n *node, c int) {
	l := &w.s.pg.l
	src, cnt, leaf := n.p, n.count(), n.leaf()
	p := make([]byte, c)
	base := page.SlotBase(src)
	copy(p[:base], src[:base])
	off := c
	var big [][]byte
	for i := 0; i < cnt; i++ {
		ci := l.CellInfoAt(src, page.Slot(src, i), leaf)
		off -= ci.Len()
		copy(p[off:], src[ci.Off:ci.End])
		page.SetSlot(p, i, off)
		if n.big != nil {
			for _, r := range [...]int{ci.KeyRef, ci.ValueRef} {
				if r < 0 {
					continue
				}
				if j, ok := page.RefAt(src, r).IsPending(); ok {
					big = append(big, n.big[j])
					page.SetRef(p, r-ci.Off+off, page.Pending(len(big)-1))
				}
			}
		}
	}
	w.dirty += int64(c - len(n.p))
	n.p, n.big, n.priv, n.low, n.img = p, big, true, off, base+2*cnt+(c-off)
}

// room makes n, which this write owns, private with at least need free
// bytes between its slots and its cells, compacting or growing its image.
// It returns false if the image cannot hold need more bytes within a
// page.
func (w *writer) room(n *node, need int) bool {
	if n.priv && n.low-(page.SlotBase(n.p)+2*n.count()) >= need {
		return true
	}
	if !n.priv {
		n.img = w.s.pg.l.UsedSize(n.p)
	}
	// Internal invariant, not input: callers check the node's size
	// first, and a page read from disk holds at most a page (Validate).
	if n.img+need > w.s.pg.l.PageSize {
		return false
	}
	c := len(n.p)
	if n.img+need > c || !n.priv {
		c = w.s.imageCap(n.img + need + need/2)
	}
	w.rewrite(n, c)
	return true
}

// insertCell inserts c as cell i of n, which this write owns; the image
// must have room (n.img+2+len(c.b) <= PageSize).
func (w *writer) insertCell(n *node, i int, c cellSrc) {
	if !w.room(n, 2+len(c.b)) {
		panic("btree: insertCell without room") // see room
	}
	cnt := n.count()
	base := page.SlotBase(n.p)
	off := n.low - len(c.b)
	copy(n.p[off:], c.b)
	n.low = off
	copy(n.p[base+2*(i+1):base+2*(cnt+1)], n.p[base+2*i:base+2*cnt])
	page.SetCount(n.p, cnt+1)
	page.SetSlot(n.p, i, off)
	n.img += 2 + len(c.b)
	w.adoptRefs(n, off, c.big)
}

// appendCell adds c as the last cell of n (see insertCell).
func (w *writer) appendCell(n *node, c cellSrc) { w.insertCell(n, n.count(), c) }

// removeCell removes cell i of n, which this write owns. Its pending
// data, if any, stays in n.big until the next rewrite.
func (w *writer) removeCell(n *node, i int) {
	w.room(n, 0)
	cnt := n.count()
	base := page.SlotBase(n.p)
	c := w.s.pg.l.CellAt(n.p, i)
	copy(n.p[base+2*i:base+2*(cnt-1)], n.p[base+2*(i+1):base+2*cnt])
	page.SetCount(n.p, cnt-1)
	n.img -= 2 + c.Len()
}

// replaceCell replaces cell i of n, which this write owns, with c; the
// image must have room for it. A cell no longer than the old one is
// written over it.
func (w *writer) replaceCell(n *node, i int, c cellSrc) {
	w.room(n, 0)
	old := w.s.pg.l.CellAt(n.p, i)
	if len(c.b) <= old.Len() {
		copy(n.p[old.Off:], c.b)
		n.img += len(c.b) - old.Len()
		w.adoptRefs(n, old.Off, c.big)
		return
	}
	w.removeCell(n, i)
	w.insertCell(n, i, c)
}

// build makes a private node of level made by write w from child0 (a
// branch's leftmost child Ref), cells and kids (a branch's in-memory
// children: nil, or len(cells)+1 entries). The cells must fit one page.
func (w *writer) build(level int, child0 page.Ref, cells []cellSrc, kids []*node) *node {
	size := srcsSize(level, cells)
	n := w.newImage(level, w.s.imageCap(size+size/4))
	if level > 0 {
		page.SetRef(n.p, page.Child0, child0)
		n.kids = newKidList(kids)
	}
	for _, c := range cells {
		w.appendCell(n, c)
	}
	n.used = n.img
	return n
}

// replace replaces the contents of n (owned by write w) with those of m,
// which w made.
func (w *writer) replace(n, m *node) {
	w.dirty -= int64(len(n.p)) + nodeOverhead // m's struct is dropped
	if n.under != nil {
		w.dirty -= int64(len(n.under.p)) + nodeOverhead
	}
	n.under = m.under
	n.p, n.base, n.kids, n.big, n.priv, n.used, n.img, n.low = m.p, m.base, m.kids, m.big, m.priv, m.used, m.img, m.low
}

// merge makes the delta leaf n, which write w owns, a whole image.
func (w *writer) merge(n *node) error {
	if !n.delta() {
		return nil
	}
	cells, err := w.s.entries(n, nil, &w.st)
	if err != nil {
		return err
	}
	w.replace(n, w.build(0, page.Ref{}, cells, nil))
	return nil
}

// kidSlice returns n's in-memory children as a new slice of Count+1
// entries (nil: the child is the Ref in the image).
func (n *node) kidSlice() []*node { return n.kids.slice(n.count() + 1) }

// merged returns a whole image of the delta leaf n, which stays as it is
// (checkpoints and iterators read a delta this way). It reuses m (a node
// merged returns, or nil) and cells (scratch).
func (s *store) merged(n *node, st *readStat, m *node, cells []cellSrc) (*node, []cellSrc, error) {
	cells, err := s.entries(n, cells[:0], st)
	if err != nil {
		return nil, cells, err
	}
	w := writer{s: s}
	if m == nil {
		return w.build(0, page.Ref{}, cells, nil), cells, nil
	}
	page.InitImage(m.p, 0)
	m.big = m.big[:0]
	m.low, m.img = len(m.p), page.LeafBase
	for _, c := range cells {
		w.appendCell(m, c)
	}
	m.used = m.img
	return m, cells, nil
}
