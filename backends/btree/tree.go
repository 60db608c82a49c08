package btree

import (
	"slices"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
	"github.com/lightningdb/lightning/engine"
)

// readNode reads the page of a node at level through the cache and checks
// that it is a node of that level.
func (s *store) readNode(ref page.Ref, level int) ([]byte, error) {
	typ := page.TypeBranch
	if level == 0 {
		typ = page.TypeLeaf
	}
	p, err := s.pg.read(ref, typ)
	if err != nil {
		return nil, err
	}
	if got := page.Level(p); got != level {
		return nil, engine.Corruptf(s.pg.l.File, s.pg.l.Offset(ref.ID), "page %d: level %d where level %d was expected", ref.ID, got, level)
	}
	return p, nil
}

// appendValue appends a value (inline bytes, or the overflow run ref of
// n bytes) to dst.
func (s *store) appendValue(dst, inline []byte, n int, ref page.Ref) ([]byte, error) {
	if ref.IsZero() {
		return append(dst, inline...), nil
	}
	return s.pg.readRun(dst, ref, n)
}

// get looks key up in version v and appends its value to dst.
func (s *store) get(v *version, key, dst []byte) ([]byte, error) {
	c, level := v.root, v.height-1
	if c.isZero() {
		return dst, engine.ErrNotFound
	}
	for {
		if n := c.n; n != nil {
			if n.leaf() {
				i, ok := n.search(key)
				if !ok {
					return dst, engine.ErrNotFound
				}
				e := &n.ents[i]
				return s.appendValue(dst, e.Value, e.ValueLen, e.ValueRef)
			}
			c, level = n.kids[n.childIndex(key)], level-1
			continue
		}
		p, err := s.readNode(c.ref, level)
		if err != nil {
			return dst, err
		}
		if level == 0 {
			i, ok, err := s.pageSearch(p, key)
			if err != nil {
				return dst, err
			}
			if !ok {
				return dst, engine.ErrNotFound
			}
			cell := s.pg.l.LeafCell(p, i)
			return s.appendValue(dst, cell.Value, cell.ValueLen, cell.ValueRef)
		}
		i, err := s.pageChildIndex(p, key)
		if err != nil {
			return dst, err
		}
		c, level = child{ref: s.pg.l.BranchChild(p, i)}, level-1
	}
}

// writer builds the next version of the tree for one write (a Set, a
// Delete or a whole batch). It copies the nodes on the paths it changes
// (path copying); the nodes it made carry its generation and it changes
// them in place. The store's writer mutex is held throughout.
type writer struct {
	s      *store
	gen    uint64
	root   child
	height int
	keys   int64
	dirty  int64 // bytes made dirty by this write
}

// own returns a node for c that this write may change: c's node if this
// write made it, else a copy, or the decoded page (which the tree then no
// longer uses).
func (w *writer) own(c child, level int) (*node, error) {
	if n := c.n; n != nil {
		if n.gen == w.gen {
			return n, nil
		}
		m := &node{gen: w.gen, level: n.level, size: n.size}
		if n.leaf() {
			m.ents = slices.Clone(n.ents)
		} else {
			m.keys = slices.Clone(n.keys)
			m.kids = slices.Clone(n.kids)
		}
		return m, nil
	}
	p, err := w.s.readNode(c.ref, level)
	if err != nil {
		return nil, err
	}
	n, err := w.s.decode(p, w.gen)
	if err != nil {
		return nil, err
	}
	w.s.pg.drop(c.ref.ID, nodeKind(level))
	w.dirty += int64(w.s.pg.l.PageSize)
	return n, nil
}

// newEntry copies key and value into one allocation.
func newEntry(key, value []byte) page.Entry {
	buf := make([]byte, len(key)+len(value))
	copy(buf, key)
	copy(buf[len(key):], value)
	return page.Entry{Key: buf[:len(key):len(key)], Value: buf[len(key):], ValueLen: len(value)}
}

// set stores value under key.
func (w *writer) set(key, value []byte) error {
	e := newEntry(key, value)
	l := &w.s.pg.l
	if !l.ValueInline(len(key), len(value)) {
		w.dirty += int64(len(value))
	}
	if w.root.isZero() {
		n := &node{gen: w.gen, ents: []page.Entry{e}}
		n.size = leafSize(l, n.ents)
		w.root, w.height, w.keys = child{n: n}, 1, w.keys+1
		w.dirty += int64(l.PageSize)
		return nil
	}
	n, err := w.own(w.root, w.height-1)
	if err != nil {
		return err
	}
	right, sep, err := w.insert(n, e)
	if err != nil {
		return err
	}
	w.grow(n, right, sep)
	return nil
}

// grow installs n as the root, adding a level above it and right if the
// root split.
func (w *writer) grow(n, right *node, sep page.BranchKey) {
	if right == nil {
		w.root = child{n: n}
		return
	}
	r := &node{gen: w.gen, level: n.level + 1, keys: []page.BranchKey{sep}, kids: []child{{n: n}, {n: right}}}
	r.size = branchSize(&w.s.pg.l, r.keys)
	w.root, w.height = child{n: r}, w.height+1
	w.dirty += int64(w.s.pg.l.PageSize)
}

// insert puts e in the subtree of the owned node n. If n had to split,
// it returns the new right sibling and the key separating them.
func (w *writer) insert(n *node, e page.Entry) (*node, page.BranchKey, error) {
	l := &w.s.pg.l
	if n.leaf() {
		i, found := n.search(e.Key)
		if found {
			old := &n.ents[i]
			w.s.pg.dropRun(old.ValueRef, old.ValueLen)
			e.Key, e.KeyRef = old.Key, old.KeyRef
			n.size += l.LeafEntrySize(len(e.Key), e.ValueLen) - l.LeafEntrySize(len(old.Key), old.ValueLen)
			*old = e
		} else {
			n.ents = slices.Insert(n.ents, i, e)
			n.size += l.LeafEntrySize(len(e.Key), e.ValueLen)
			w.keys++
		}
		if n.size > l.PageSize {
			right, sep := w.splitLeaf(n, !found && i == len(n.ents)-1)
			return right, sep, nil
		}
		return nil, page.BranchKey{}, nil
	}
	i := n.childIndex(e.Key)
	c, err := w.own(n.kids[i], n.level-1)
	if err != nil {
		return nil, page.BranchKey{}, err
	}
	n.kids[i] = child{n: c}
	right, sep, err := w.insert(c, e)
	if err != nil || right == nil {
		return nil, page.BranchKey{}, err
	}
	return w.addChild(n, i, right, sep)
}

// addChild inserts right (split off child i) and its separator into the
// owned branch n, splitting n if it no longer fits.
func (w *writer) addChild(n *node, i int, right *node, sep page.BranchKey) (*node, page.BranchKey, error) {
	l := &w.s.pg.l
	n.keys = slices.Insert(n.keys, i, sep)
	n.kids = slices.Insert(n.kids, i+1, child{n: right})
	n.size += l.BranchKeySize(len(sep.Key))
	if n.size > l.PageSize {
		r, s := w.splitBranch(n)
		return r, s, nil
	}
	return nil, page.BranchKey{}, nil
}

// leafSplitPoint returns m in [1, len(ents)-1] such that ents[:m] holds
// about frac of the bytes.
func leafSplitPoint(l *page.Layout, ents []page.Entry, frac float64) int {
	total := 0
	for i := range ents {
		total += l.LeafEntrySize(len(ents[i].Key), ents[i].ValueLen)
	}
	target := int(float64(total) * frac)
	acc, m := 0, 0
	for m < len(ents) && acc < target {
		acc += l.LeafEntrySize(len(ents[m].Key), ents[m].ValueLen)
		m++
	}
	return min(max(m, 1), len(ents)-1)
}

// splitLeaf splits the owned leaf n in two and returns the right half and
// the shortest separator. When the entry that overflowed n was appended at
// its end (sequential inserts) the left half stays full.
func (w *writer) splitLeaf(n *node, appended bool) (*node, page.BranchKey) {
	l := &w.s.pg.l
	m := len(n.ents) - 1
	if !appended {
		m = leafSplitPoint(l, n.ents, 0.5)
	}
	right := &node{gen: w.gen, ents: slices.Clone(n.ents[m:])}
	clear(n.ents[m:])
	n.ents = n.ents[:m]
	n.size = leafSize(l, n.ents)
	right.size = leafSize(l, right.ents)
	w.dirty += int64(l.PageSize)
	return right, page.BranchKey{Key: separator(n.ents[m-1].Key, right.ents[0].Key)}
}

// branchSplitPoint returns the index m of the key that moves up when keys
// are split, in [1, len(keys)-2], so that keys[:m] hold about half the
// bytes.
func branchSplitPoint(l *page.Layout, keys []page.BranchKey) int {
	total := 0
	for i := range keys {
		total += l.BranchKeySize(len(keys[i].Key))
	}
	acc, m := 0, 0
	for m < len(keys) && acc < total/2 {
		acc += l.BranchKeySize(len(keys[m].Key))
		m++
	}
	return min(max(m, 1), len(keys)-2)
}

// splitBranch splits the owned branch n: keys[m] moves up.
func (w *writer) splitBranch(n *node) (*node, page.BranchKey) {
	l := &w.s.pg.l
	m := branchSplitPoint(l, n.keys)
	sep := n.keys[m]
	right := &node{gen: w.gen, level: n.level, keys: slices.Clone(n.keys[m+1:]), kids: slices.Clone(n.kids[m+1:])}
	clear(n.keys[m:])
	clear(n.kids[m+1:])
	n.keys, n.kids = n.keys[:m], n.kids[:m+1]
	n.size = branchSize(l, n.keys)
	right.size = branchSize(l, right.keys)
	w.dirty += int64(l.PageSize)
	return right, sep
}

// contains reports whether key is in the writer's current tree.
func (w *writer) contains(key []byte) (bool, error) {
	_, err := w.s.get(&version{root: w.root, height: w.height}, key, nil)
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
		case r.leaf() && len(r.ents) == 0:
			w.root, w.height = child{}, 0
			return nil
		case !r.leaf() && len(r.keys) == 0:
			w.root, w.height = r.kids[0], w.height-1
		default:
			return nil
		}
	}
}

// remove deletes key, which is present, from the subtree of the owned
// node n. Rebalancing below may make n too big (a longer separator); then
// it returns n's new right sibling as insert does.
func (w *writer) remove(n *node, key []byte) (*node, page.BranchKey, error) {
	l := &w.s.pg.l
	if n.leaf() {
		i, found := n.search(key)
		if !found {
			return nil, page.BranchKey{}, nil
		}
		old := n.ents[i]
		w.s.pg.dropRun(old.KeyRef, len(old.Key))
		w.s.pg.dropRun(old.ValueRef, old.ValueLen)
		n.ents = slices.Delete(n.ents, i, i+1)
		n.size -= l.LeafEntrySize(len(old.Key), old.ValueLen)
		w.keys--
		return nil, page.BranchKey{}, nil
	}
	i := n.childIndex(key)
	c, err := w.own(n.kids[i], n.level-1)
	if err != nil {
		return nil, page.BranchKey{}, err
	}
	n.kids[i] = child{n: c}
	right, sep, err := w.remove(c, key)
	if err != nil {
		return nil, page.BranchKey{}, err
	}
	if right != nil {
		return w.addChild(n, i, right, sep)
	}
	if c.size < l.PageSize/4 && len(n.kids) > 1 {
		if err := w.rebalance(n, i); err != nil {
			return nil, page.BranchKey{}, err
		}
		if n.size > l.PageSize {
			r, s := w.splitBranch(n)
			return r, s, nil
		}
	}
	return nil, page.BranchKey{}, nil
}

// rebalance fixes the underfull child i of the owned branch n by merging
// it with a sibling, or, if both do not fit one page, by sharing their
// entries evenly.
func (w *writer) rebalance(n *node, i int) error {
	l := &w.s.pg.l
	li := i
	if i+1 == len(n.kids) {
		li = i - 1
	}
	left, err := w.own(n.kids[li], n.level-1)
	if err != nil {
		return err
	}
	right, err := w.own(n.kids[li+1], n.level-1)
	if err != nil {
		return err
	}
	sep := n.keys[li]
	if left.leaf() {
		if left.size+right.size-page.LeafBase <= l.PageSize {
			left.ents = append(left.ents, right.ents...)
			left.size += right.size - page.LeafBase
			w.dropSeparator(n, li)
			n.kids[li] = child{n: left}
			w.dirty -= int64(l.PageSize)
			return nil
		}
		all := append(slices.Clip(left.ents), right.ents...)
		m := leafSplitPoint(l, all, 0.5)
		left.ents, right.ents = all[:m:m], slices.Clone(all[m:])
		left.size, right.size = leafSize(l, left.ents), leafSize(l, right.ents)
		w.s.pg.dropRun(sep.KeyRef, len(sep.Key))
		newSep := page.BranchKey{Key: separator(left.ents[m-1].Key, right.ents[0].Key)}
		n.keys[li] = newSep
		n.size += l.BranchKeySize(len(newSep.Key)) - l.BranchKeySize(len(sep.Key))
	} else {
		merged := left.size + right.size - page.BranchBase + l.BranchKeySize(len(sep.Key))
		if merged <= l.PageSize {
			left.keys = append(append(left.keys, sep), right.keys...)
			left.kids = append(left.kids, right.kids...)
			left.size = merged
			// The separator moved down into left: not dropped.
			n.keys = slices.Delete(n.keys, li, li+1)
			n.kids = slices.Delete(n.kids, li+1, li+2)
			n.size -= l.BranchKeySize(len(sep.Key))
			n.kids[li] = child{n: left}
			w.dirty -= int64(l.PageSize)
			return nil
		}
		keys := append(append(slices.Clip(left.keys), sep), right.keys...)
		kids := append(slices.Clip(left.kids), right.kids...)
		m := branchSplitPoint(l, keys)
		up := keys[m]
		left.keys, left.kids = keys[:m:m], kids[:m+1:m+1]
		right.keys, right.kids = slices.Clone(keys[m+1:]), slices.Clone(kids[m+1:])
		left.size, right.size = branchSize(l, left.keys), branchSize(l, right.keys)
		n.keys[li] = up
		n.size += l.BranchKeySize(len(up.Key)) - l.BranchKeySize(len(sep.Key))
	}
	n.kids[li], n.kids[li+1] = child{n: left}, child{n: right}
	return nil
}

// dropSeparator removes key li and child li+1 from the owned branch n
// after a leaf merge; the key's overflow run, if any, is freed.
func (w *writer) dropSeparator(n *node, li int) {
	sep := n.keys[li]
	w.s.pg.dropRun(sep.KeyRef, len(sep.Key))
	n.keys = slices.Delete(n.keys, li, li+1)
	n.kids = slices.Delete(n.kids, li+1, li+2)
	n.size -= w.s.pg.l.BranchKeySize(len(sep.Key))
}
