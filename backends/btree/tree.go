package btree

import (
	"bytes"
	"slices"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
	"github.com/lightningdb/lightning/engine"
)

// readNode reads the page of a node at level through the cache and checks
// that it is a node of that level. It also returns the page's digest, if
// it has one.
func (s *store) readNode(ref page.Ref, level int, st *readStat) ([]byte, *digest, error) {
	v, err := s.readView(ref, level, st)
	return v.b, v.digest(), err
}

// readView is readNode returning the page's whole view (with its leaf
// index, if it has one).
func (s *store) readView(ref page.Ref, level int, st *readStat) (pageView, error) {
	typ := page.TypeBranch
	if level == 0 {
		typ = page.TypeLeaf
	}
	v, err := s.pg.read(ref, typ, st)
	if err != nil {
		return pageView{}, err
	}
	if int(v.level) != level {
		return pageView{}, engine.Corruptf(s.pg.l.File, s.pg.l.Offset(ref.ID), "page %d: level %d where level %d was expected", ref.ID, v.level, level)
	}
	return v, nil
}

// appendValue appends a value (inline bytes, or the overflow data ref of
// n bytes) to dst.
func (s *store) appendValue(dst, inline []byte, n int, ref page.Ref, big [][]byte) ([]byte, error) {
	if ref.IsZero() {
		return append(dst, inline...), nil
	}
	return s.runData(dst, ref, n, big)
}

// get looks key up in version v and appends its value to dst.
func (s *store) get(v *version, key, dst []byte, st *readStat) ([]byte, error) {
	c, level := v.root, v.height-1
	if c.isZero() {
		return dst, engine.ErrNotFound
	}
	for {
		var p []byte
		var big [][]byte
		var kids *kidList
		var d *digest
		if n := c.n; n != nil {
			if n.delta() {
				i, ok, err := s.searchLeaf(n.p, n.big, key)
				if err != nil {
					return dst, err
				}
				if !ok {
					// Not changed since the delta's base.
					c = child{n: n.under, ref: n.base}
					continue
				}
				cell := s.pg.l.LeafCell(n.p, i)
				if cell.Tombstone {
					return dst, engine.ErrNotFound
				}
				return s.appendValue(dst, cell.Value, cell.ValueLen, cell.ValueRef, n.big)
			}
			p, big, kids = n.p, n.big, &n.kids
		} else {
			// A cached page of the right level: read in place (the
			// common case, without readView's copies); otherwise
			// readView reads it or reports it.
			var v pageView
			if b, m, ok := s.pg.cache.Get(c.ref.ID, c.ref.LSN); ok && int(m.level) == level {
				st.hits++
				v.b, v.pageMeta = b, m
			} else {
				var err error
				if v, err = s.readView(c.ref, level, st); err != nil {
					return dst, err
				}
			}
			if ix := v.index(); ix != nil {
				// A leaf with an index: one probe, one cell.
				off := ix.find(&s.pg.l, v.b, key)
				if off == 0 {
					return dst, engine.ErrNotFound
				}
				cell := s.pg.l.LeafCellAt(v.b, off)
				return s.appendValue(dst, cell.Value, cell.ValueLen, cell.ValueRef, nil)
			}
			p, d = v.b, v.digest()
		}
		if level == 0 {
			var i int
			var ok bool
			var err error
			if d != nil {
				i, ok, err = s.searchPage(p, d, key)
			} else {
				i, ok, err = s.searchLeaf(p, big, key)
			}
			if err != nil {
				return dst, err
			}
			if !ok {
				return dst, engine.ErrNotFound
			}
			cell := s.pg.l.LeafCellAt(p, cellOffset(p, d, i))
			return s.appendValue(dst, cell.Value, cell.ValueLen, cell.ValueRef, big)
		}
		var i int
		var err error
		if d != nil {
			i, _, err = s.searchPage(p, d, key)
		} else {
			i, err = s.searchBranch(p, big, key)
		}
		if err != nil {
			return dst, err
		}
		c, level = s.kidOf(p, kids, i), level-1
	}
}

// writer builds the next version of the tree for one write (a Set, a
// Delete or a whole batch). It copies the nodes on the paths it changes
// (path copying): a copy shares its image with the original until the
// write changes it; the nodes it made carry its generation and it changes
// them in place. The store's writer mutex is held throughout.
type writer struct {
	s      *store
	gen    uint64
	root   child
	height int
	keys   int64
	dirty  int64 // bytes made dirty by this write
	st     readStat
	cell   []byte    // scratch: the cell of the entry being written
	srcs   []cellSrc // scratch: cells being redistributed
	kbuf   [2][]byte // scratch: separator keys read from overflow data
}

// own returns a node for c that this write may change: c's node if this
// write made it, else a copy sharing its image, or a node for c's page
// (which the tree then no longer uses): an empty delta of a leaf page, a
// branch sharing the page's bytes.
func (w *writer) own(c child, level int) (*node, error) {
	if n := c.n; n != nil {
		if n.gen == w.gen {
			return n, nil
		}
		inFlight := w.s.replacing(n, w)
		if level == 0 && !n.delta() {
			// A delta over n: the write copies a few entries, not the
			// leaf.
			m := w.newImage(0, minImage)
			m.under, m.used = n, w.s.size(n)
			return m, nil
		}
		m := &node{gen: w.gen, p: n.p, base: n.base, under: n.under, kids: n.kids.share(), big: slices.Clip(n.big), used: n.used}
		if inFlight && m.delta() {
			// The checkpoint writing n frees n's base page, and the
			// overflow runs of the entries n's changes replaced or
			// deleted (in its base page or in the image under it): the
			// copy, which lives on, must need none of them. Merging the
			// copy reads the keys of the base's entries, also those n
			// replaced or deleted: if one of them has a key run (the
			// key is long), the copy is merged now, while the runs are
			// intact. (A copy that kept the image under n and such a
			// key merged at the next checkpoint and read a reused page:
			// TestRandomized seed 1795663052105602773.) Else the copy
			// keeps the base: an image under n is memory, and a base
			// page is retained by finishCheckpoint. A copy costs a few
			// entries rather than a whole leaf; merging every copy made
			// during a checkpoint made most first writes to a leaf
			// rebuild it while a checkpoint was being written.
			if m.under != nil {
				// The image under the copy is dirty data of the next
				// checkpoint too (replace, when the copy is merged,
				// takes it out again).
				w.dirty += int64(len(m.under.p)) + nodeOverhead
			}
			bp, _, err := w.s.baseOf(m, &w.st)
			if err != nil {
				return nil, err
			}
			switch {
			case w.s.pg.l.KeyRuns(bp):
				if err := w.merge(m); err != nil {
					return nil, err
				}
			case m.under == nil:
				w.s.retained = append(w.s.retained, m.base.ID)
			}
		}
		return m, nil
	}
	p, _, err := w.s.readNode(c.ref, level, &w.st)
	if err != nil {
		return nil, err
	}
	w.s.pg.drop(c.ref.ID, nodeKind(level))
	if level == 0 {
		w.s.basesRead++
		n := w.newImage(0, minImage)
		n.base, n.used = c.ref, w.s.pg.l.UsedSize(p)
		return n, nil
	}
	w.dirty += int64(len(p)) + nodeOverhead
	return &node{gen: w.gen, p: p, used: -1}, nil
}

// ownKid makes child i of the owned branch n a node this write may change
// and returns it.
func (w *writer) ownKid(n *node, i int) (*node, error) {
	c, err := w.own(w.s.kidOf(n.p, &n.kids, i), n.level()-1)
	if err != nil {
		return nil, err
	}
	n.kids.ensure(n.count() + 1)
	n.kids.set(i, c)
	return c, nil
}

// leafCell returns the leaf cell of key and value: with the key's
// overflow data keyRef (and keyData, when that Ref is pending) when the
// entry replaces one with a long key, and with pending Refs to copies of
// a long key and a large value.
func (w *writer) leafCell(key, value []byte, keyRef page.Ref, keyData []byte) cellSrc {
	l := &w.s.pg.l
	var big [][]byte
	if !l.KeyInline(len(key)) {
		switch {
		case keyRef.IsZero():
			big = append(big, bytes.Clone(key))
			keyRef = page.Pending(0)
			w.dirty += int64(len(key))
		case keyData != nil:
			big = append(big, keyData)
			keyRef = page.Pending(0)
		}
	}
	var valueRef page.Ref
	if !l.ValueInline(len(key), len(value)) {
		big = append(big, bytes.Clone(value))
		valueRef = page.Pending(len(big) - 1)
		w.dirty += int64(len(value))
	}
	w.cell = l.AppendLeafCell(w.cell[:0], key, keyRef, value, len(value), valueRef)
	return cellSrc{w.cell, big}
}

// tombstone returns the cell marking key deleted in a delta, with a
// pending Ref to a copy of a long key.
func (w *writer) tombstone(key []byte) cellSrc {
	l := &w.s.pg.l
	var big [][]byte
	var ref page.Ref
	if !l.KeyInline(len(key)) {
		big = [][]byte{bytes.Clone(key)}
		ref = page.Pending(0)
	}
	return cellSrc{l.AppendTombstone(nil, key, ref), big}
}

// branchCell returns a new branch cell for key, with a zero child Ref
// (the child is in memory), and a pending Ref to a copy of a long key.
func (w *writer) branchCell(key []byte) cellSrc {
	l := &w.s.pg.l
	var big [][]byte
	var ref page.Ref
	if !l.KeyInline(len(key)) {
		big = [][]byte{bytes.Clone(key)}
		ref = page.Pending(0)
	}
	return cellSrc{l.AppendBranchCell(nil, key, ref, page.Ref{}), big}
}

// set stores value under key.
func (w *writer) set(key, value []byte) error {
	if w.root.isZero() {
		c := w.leafCell(key, value, page.Ref{}, nil)
		n := w.build(0, page.Ref{}, []cellSrc{c}, nil)
		w.root, w.height, w.keys = child{n: n}, 1, w.keys+1
		return nil
	}
	n, err := w.own(w.root, w.height-1)
	if err != nil {
		return err
	}
	right, sep, err := w.insert(n, key, value)
	if err != nil {
		return err
	}
	w.grow(n, right, sep)
	return nil
}

// grow installs n as the root, adding a level above it and right if the
// root split.
func (w *writer) grow(n, right *node, sep cellSrc) {
	if right == nil {
		w.root = child{n: n}
		return
	}
	r := w.build(n.level()+1, page.Ref{}, []cellSrc{sep}, []*node{n, right})
	w.root, w.height = child{n: r}, w.height+1
}

// insert puts key and value in the subtree of the owned node n. If n had
// to split, it returns the new right sibling and the cell separating them.
func (w *writer) insert(n *node, key, value []byte) (*node, cellSrc, error) {
	s := w.s
	if n.leaf() {
		return w.insertLeaf(n, key, value)
	}
	i, err := s.searchBranch(n.p, n.big, key)
	if err != nil {
		return nil, cellSrc{}, err
	}
	c, err := w.ownKid(n, i)
	if err != nil {
		return nil, cellSrc{}, err
	}
	right, sep, err := w.insert(c, key, value)
	if err != nil || right == nil {
		return nil, cellSrc{}, err
	}
	return w.addChild(n, i, right, sep)
}

// insertLeaf puts key and value in the owned leaf n.
func (w *writer) insertLeaf(n *node, key, value []byte) (*node, cellSrc, error) {
	s, l := w.s, &w.s.pg.l
	i, found, err := s.searchLeaf(n.p, n.big, key)
	if err != nil {
		return nil, cellSrc{}, err
	}
	used := s.size(n)
	var c cellSrc
	switch {
	case found:
		old := l.LeafCell(n.p, i)
		if old.Tombstone {
			// The key was deleted from the delta's base: a new entry.
			c = w.leafCell(key, value, page.Ref{}, nil)
			used += 2 + len(c.b)
			w.keys++
			break
		}
		s.pg.dropRun(old.ValueRef, old.ValueLen)
		var keyData []byte
		if j, ok := old.KeyRef.IsPending(); ok {
			keyData = n.big[j]
		}
		c = w.leafCell(key, value, old.KeyRef, keyData)
		used += len(c.b) - l.CellAt(n.p, i).Len()
	case n.delta():
		bp, bbig, boff, err := s.searchBase(n, key, &w.st)
		if err != nil {
			return nil, cellSrc{}, err
		}
		if boff != 0 {
			// The entry replaces the base's, whose long key's run it
			// keeps using.
			old := l.LeafCellAt(bp, boff)
			s.pg.dropRun(old.ValueRef, old.ValueLen)
			var keyData []byte
			if j, ok := old.KeyRef.IsPending(); ok {
				keyData = bbig[j]
			}
			c = w.leafCell(key, value, old.KeyRef, keyData)
			used += len(c.b) - l.CellInfoAt(bp, boff, true).Len()
		} else {
			c = w.leafCell(key, value, page.Ref{}, nil)
			used += 2 + len(c.b)
			w.keys++
		}
	default:
		c = w.leafCell(key, value, page.Ref{}, nil)
		used += 2 + len(c.b)
		w.keys++
	}
	if n.delta() {
		// The delta takes the entry; the merged leaf splits if it no
		// longer fits a page, and a large delta becomes a whole image.
		if found {
			w.replaceCell(n, i, c)
		} else {
			w.insertCell(n, i, c)
		}
		n.used = used
		if used > l.PageSize {
			cells, err := s.entries(n, w.srcs[:0], &w.st)
			if err != nil {
				return nil, cellSrc{}, err
			}
			w.srcs = cells[:0]
			last, err := s.srcKey(cells[len(cells)-1], true, w.kbuf[0])
			if err != nil {
				return nil, cellSrc{}, err
			}
			return w.splitLeaf(n, cells, bytes.Equal(last, key))
		}
		if n.img > s.mergeAt(n) {
			return nil, cellSrc{}, w.merge(n)
		}
		return nil, cellSrc{}, nil
	}
	if used <= l.PageSize {
		if found {
			w.replaceCell(n, i, c)
		} else {
			w.insertCell(n, i, c)
		}
		n.used = used
		return nil, cellSrc{}, nil
	}
	cells := s.cells(n, w.srcs[:0])
	if found {
		cells[i] = c
	} else {
		cells = slices.Insert(cells, i, c)
	}
	w.srcs = cells[:0]
	return w.splitLeaf(n, cells, !found && i == len(cells)-1)
}

// addChild inserts right (split off child i) and its separator into the
// owned branch n, splitting n if it no longer fits.
func (w *writer) addChild(n *node, i int, right *node, sep cellSrc) (*node, cellSrc, error) {
	s := w.s
	kids := slices.Insert(n.kidSlice(), i+1, right)
	if s.size(n)+2+len(sep.b) <= s.pg.l.PageSize {
		w.insertCell(n, i, sep)
		n.used += 2 + len(sep.b)
		n.kids = newKidList(kids)
		return nil, cellSrc{}, nil
	}
	srcs := slices.Insert(s.cells(n, nil), i, sep)
	return w.splitBranch(n, page.RefAt(n.p, page.Child0), srcs, kids)
}

// leafSplitPoint returns m in [1, len(cells)-1] such that cells[:m] hold
// about frac of the bytes.
func leafSplitPoint(cells []cellSrc, frac float64) int {
	total := 0
	for _, c := range cells {
		total += 2 + len(c.b)
	}
	target := int(float64(total) * frac)
	acc, m := 0, 0
	for m < len(cells) && acc < target {
		acc += 2 + len(cells[m].b)
		m++
	}
	return min(max(m, 1), len(cells)-1)
}

// splitLeaf makes the owned leaf n hold the first cells and returns a new
// leaf holding the others, with the shortest separator between them. When
// the cell that overflowed n was appended at its end (sequential inserts)
// the left half stays full. cells may alias n's image.
func (w *writer) splitLeaf(n *node, cells []cellSrc, appended bool) (*node, cellSrc, error) {
	m := len(cells) - 1
	if !appended {
		m = leafSplitPoint(cells, 0.5)
	}
	sep, err := w.leafSeparator(cells[m-1], cells[m])
	if err != nil {
		return nil, cellSrc{}, err
	}
	left := w.build(0, page.Ref{}, cells[:m], nil)
	right := w.build(0, page.Ref{}, cells[m:], nil)
	w.replace(n, left)
	return right, sep, nil
}

// leafSeparator returns the branch cell of the shortest separator between
// the keys of two adjacent leaf cells.
func (w *writer) leafSeparator(a, b cellSrc) (cellSrc, error) {
	ka, err := w.s.srcKey(a, true, w.kbuf[0])
	if err != nil {
		return cellSrc{}, err
	}
	kb, err := w.s.srcKey(b, true, w.kbuf[1])
	if err != nil {
		return cellSrc{}, err
	}
	return w.branchCell(separator(ka, kb)), nil
}

// branchSplitPoint returns the index m of the cell that moves up when
// cells are split, in [1, len(cells)-2], so that cells[:m] hold about
// half the bytes.
func branchSplitPoint(cells []cellSrc) int {
	total := 0
	for _, c := range cells {
		total += 2 + len(c.b)
	}
	acc, m := 0, 0
	for m < len(cells) && acc < total/2 {
		acc += 2 + len(cells[m].b)
		m++
	}
	return min(max(m, 1), len(cells)-2)
}

// splitBranch makes the owned branch n hold child0, the first cells and
// their children, and returns a new branch holding the cells after the
// middle one, which moves up. kids has len(cells)+1 entries.
func (w *writer) splitBranch(n *node, child0 page.Ref, cells []cellSrc, kids []*node) (*node, cellSrc, error) {
	s := w.s
	level := n.level()
	m := branchSplitPoint(cells)
	up := cells[m]
	upChild := page.RefAt(up.b, s.pg.l.CellInfoAt(up.b, 0, false).ChildRef())
	left := w.build(level, child0, cells[:m], kids[:m+1])
	right := w.build(level, upChild, cells[m+1:], kids[m+1:])
	w.replace(n, left)
	return right, up, nil
}

// contains reports whether key is in the writer's current tree.
func (w *writer) contains(key []byte) (bool, error) {
	_, err := w.s.get(&version{root: w.root, height: w.height}, key, nil, &w.st)
	if err == engine.ErrNotFound {
		return false, nil
	}
	return err == nil, err
}

// del removes key if present.
func (w *writer) del(key []byte) error {
	if ok, err := w.contains(key); !ok || err != nil {
		return err
	}
	n, err := w.own(w.root, w.height-1)
	if err != nil {
		return err
	}
	right, sep, err := w.remove(n, key)
	if err != nil {
		return err
	}
	w.grow(n, right, sep)
	// Shrink: a branch root with one child gives way to it; an empty leaf
	// root leaves an empty tree.
	for {
		r := w.root.n
		switch {
		case r == nil:
			return nil
		case r.leaf() && w.s.size(r) == page.LeafBase:
			w.dirty -= int64(len(r.p)) + nodeOverhead
			w.root, w.height = child{}, 0
			return nil
		case !r.leaf() && r.count() == 0:
			w.dirty -= int64(len(r.p)) + nodeOverhead
			w.root, w.height = w.s.kidOf(r.p, &r.kids, 0), w.height-1
		default:
			return nil
		}
	}
}

// remove deletes key, which is present, from the subtree of the owned
// node n. Rebalancing below may make n too big (a longer separator); then
// it returns n's new right sibling as insert does.
func (w *writer) remove(n *node, key []byte) (*node, cellSrc, error) {
	s, l := w.s, &w.s.pg.l
	if n.leaf() {
		return nil, cellSrc{}, w.removeLeaf(n, key)
	}
	i, err := s.searchBranch(n.p, n.big, key)
	if err != nil {
		return nil, cellSrc{}, err
	}
	c, err := w.ownKid(n, i)
	if err != nil {
		return nil, cellSrc{}, err
	}
	right, sep, err := w.remove(c, key)
	if err != nil {
		return nil, cellSrc{}, err
	}
	if right != nil {
		return w.addChild(n, i, right, sep)
	}
	if s.size(c) < l.PageSize/4 && n.count() > 0 {
		return w.rebalance(n, i)
	}
	return nil, cellSrc{}, nil
}

// removeLeaf deletes key, if present, from the owned leaf n.
func (w *writer) removeLeaf(n *node, key []byte) error {
	s, l := w.s, &w.s.pg.l
	i, found, err := s.searchLeaf(n.p, n.big, key)
	if err != nil {
		return err
	}
	var base []byte
	var boff int
	if n.delta() {
		if base, _, boff, err = s.searchBase(n, key, &w.st); err != nil {
			return err
		}
	}
	inBase := boff != 0
	if found {
		old := l.LeafCell(n.p, i)
		if old.Tombstone {
			return nil
		}
		s.pg.dropRun(old.KeyRef, old.KeyLen)
		s.pg.dropRun(old.ValueRef, old.ValueLen)
		n.used = s.size(n) - 2 - l.CellAt(n.p, i).Len()
		if inBase {
			w.replaceCell(n, i, w.tombstone(key))
		} else {
			w.removeCell(n, i)
		}
	} else {
		if !inBase {
			return nil
		}
		old := l.LeafCellAt(base, boff)
		s.pg.dropRun(old.KeyRef, old.KeyLen)
		s.pg.dropRun(old.ValueRef, old.ValueLen)
		n.used = s.size(n) - 2 - l.CellInfoAt(base, boff, true).Len()
		w.insertCell(n, i, w.tombstone(key))
		if n.img > s.mergeAt(n) {
			if err := w.merge(n); err != nil {
				return err
			}
		}
	}
	w.keys--
	return nil
}

// rebalance fixes the underfull child i of the owned branch n by merging
// it with a sibling, or, if both do not fit one page, by sharing their
// cells evenly. n is rebuilt; if its new separator makes it too big, it
// splits and rebalance returns its right half as insert does.
func (w *writer) rebalance(n *node, i int) (*node, cellSrc, error) {
	s, l := w.s, &w.s.pg.l
	li := i
	if i == n.count() {
		li = i - 1
	}
	left, err := w.ownKid(n, li)
	if err != nil {
		return nil, cellSrc{}, err
	}
	right, err := w.ownKid(n, li+1)
	if err != nil {
		return nil, cellSrc{}, err
	}
	if err := w.merge(left); err != nil {
		return nil, cellSrc{}, err
	}
	if err := w.merge(right); err != nil {
		return nil, cellSrc{}, err
	}
	cells := s.cells(n, nil)
	kids := n.kidSlice()
	child0 := page.RefAt(n.p, page.Child0)
	sep := cells[li]
	join := func(m *node) {
		w.replace(left, m)
		w.dirty -= int64(len(right.p)) + nodeOverhead
		cells = slices.Delete(cells, li, li+1)
		kids = slices.Delete(kids, li+1, li+2)
	}
	if left.leaf() {
		_, klen, kref := l.BranchKeyAt(sep.b, 0)
		s.pg.dropRun(kref, klen)
		all := s.cells(right, s.cells(left, nil))
		if srcsSize(0, all) <= l.PageSize {
			join(w.build(0, page.Ref{}, all, nil))
		} else {
			m := leafSplitPoint(all, 0.5)
			newSep, err := w.leafSeparator(all[m-1], all[m])
			if err != nil {
				return nil, cellSrc{}, err
			}
			lm := w.build(0, page.Ref{}, all[:m], nil)
			rm := w.build(0, page.Ref{}, all[m:], nil)
			w.replace(left, lm)
			w.replace(right, rm)
			cells[li] = newSep
		}
	} else {
		// The separator moves down between the two nodes' cells, as the
		// key before right's child 0.
		down := slices.Clone(sep.b)
		page.SetRef(down, l.CellInfoAt(down, 0, false).ChildRef(), page.RefAt(right.p, page.Child0))
		all := append(append(s.cells(left, nil), cellSrc{down, sep.big}), s.cells(right, nil)...)
		allKids := append(left.kidSlice(), right.kidSlice()...)
		level := left.level()
		if srcsSize(level, all) <= l.PageSize {
			join(w.build(level, page.RefAt(left.p, page.Child0), all, allKids))
		} else {
			m := branchSplitPoint(all)
			up := all[m]
			upChild := page.RefAt(up.b, l.CellInfoAt(up.b, 0, false).ChildRef())
			lm := w.build(level, page.RefAt(left.p, page.Child0), all[:m], allKids[:m+1])
			rm := w.build(level, upChild, all[m+1:], allKids[m+1:])
			w.replace(left, lm)
			w.replace(right, rm)
			cells[li] = up
		}
	}
	if srcsSize(n.level(), cells) <= l.PageSize {
		w.replace(n, w.build(n.level(), child0, cells, kids))
		return nil, cellSrc{}, nil
	}
	return w.splitBranch(n, child0, cells, kids)
}
