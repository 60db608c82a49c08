package memengine

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// Tree shape. A leaf holds up to maxEntries entries; an inner node up to
// maxEntries children. Every node but the root holds at least minEntries
// (entries for a leaf, children for an inner node).
const (
	maxEntries = 32
	minEntries = maxEntries / 2
)

// node is a node of the persistent B+tree.
//
// Invariants (checked by checkTree in the tests):
//   - A leaf has kids == nil and len(vals) == len(keys). An inner node has
//     vals == nil and len(kids) == len(keys)+1 >= 2.
//   - keys are strictly increasing. In an inner node keys are separators:
//     every key under kids[i] is < keys[i] <= every key under kids[i+1].
//   - The bounds of a node are the separators enclosing it in its
//     ancestors (lo inclusive, hi exclusive, nil when unbounded). Every
//     key in the node lies in [lo, hi], and so does every search key that
//     reaches the node by descent from the root. All those strings share
//     the longest common prefix of lo and hi, of which cp is a (possibly
//     shorter) prefix length: cp <= lcp(lo, hi).
//   - heads[i] = load8(keys[i][cp:]) for i < len(keys).
//   - A node whose gen differs from the writing transaction's gen is
//     immutable: it may be reachable from a published version, so it is
//     never changed, only copied (path copying). The key and value byte
//     slices are never changed by anyone once inserted.
//
// The bounds of a node never change while the node is shared: splits,
// merges and rotations preserve the in-order sequence of separators and
// children around every node they do not rebuild, and every rebuilt node
// is re-indexed (reindex) from its new bounds.
type node struct {
	gen uint64 // transaction that created the node
	cp  int    // length of the prefix shared by everything in the node's bounds

	// heads holds the 8 bytes after the shared prefix of each key,
	// big-endian and zero-padded, so that the binary search compares
	// integers stored next to each other instead of following a pointer
	// per key. One extra slot holds the overflowing entry before a split.
	heads [maxEntries + 1]uint64

	keys [][]byte
	vals [][]byte // leaf only
	kids []*node  // inner only
}

func (n *node) leaf() bool { return n.kids == nil }

// size is the fill measure of a node: entries in a leaf, children in an
// inner node.
func (n *node) size() int {
	if n.kids != nil {
		return len(n.kids)
	}
	return len(n.keys)
}

// load8 returns the first 8 bytes of b as a big-endian integer, padded with
// zero bytes when b is shorter. For any a, b: load8(a) < load8(b) implies
// bytes.Compare(a, b) < 0.
func load8(b []byte) uint64 {
	if len(b) >= 8 {
		return binary.BigEndian.Uint64(b)
	}
	var v uint64
	for i, c := range b {
		v |= uint64(c) << (56 - 8*i)
	}
	return v
}

// lcp returns the length of the longest common prefix of a and b.
func lcp(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i+8 <= n && binary.LittleEndian.Uint64(a[i:]) == binary.LittleEndian.Uint64(b[i:]) {
		i += 8
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// boundsPrefix returns the length of the prefix shared by every string in
// [lo, hi]; 0 when either bound is open.
func boundsPrefix(lo, hi []byte) int {
	if lo == nil || hi == nil {
		return 0
	}
	return lcp(lo, hi)
}

// seek returns the index of the first key in n that is >= key, and whether
// that key equals key. key must lie within n's bounds (it does whenever n
// was reached by descent from the root).
func (n *node) seek(key []byte) (int, bool) {
	cp := n.cp
	keys := n.keys
	if len(key) < cp {
		// Cannot happen for a key within the node's bounds; answer
		// correctly anyway with a plain binary search.
		i, found := slices.BinarySearchFunc(keys, key, bytes.Compare)
		return i, found
	}
	suffix := key[cp:]
	h := load8(suffix)
	heads := n.heads[:len(keys)]
	lo, hi := 0, len(heads)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if heads[m] < h {
			lo = m + 1
		} else {
			hi = m
		}
	}
	// Equal heads: the first 8 bytes of the suffixes agree (after
	// padding). When both suffixes fit in 8 bytes the shorter one is the
	// smaller and no key bytes need to be read.
	for ; lo < len(heads) && heads[lo] == h; lo++ {
		k := keys[lo]
		var c int
		if len(suffix) <= 8 && len(k)-cp <= 8 {
			c = len(k) - cp - len(suffix)
		} else {
			c = bytes.Compare(k[cp:], suffix)
		}
		if c >= 0 {
			return lo, c == 0
		}
	}
	return lo, false
}

// childIndex returns the index of the child of inner node n whose range
// holds key.
func (n *node) childIndex(key []byte) int {
	i, eq := n.seek(key)
	if eq {
		i++
	}
	return i
}

// get returns the value stored under key in the tree rooted at root.
func get(root *node, key []byte) ([]byte, bool) {
	n := root
	if n == nil {
		return nil, false
	}
	for n.kids != nil {
		n = n.kids[n.childIndex(key)]
	}
	i, eq := n.seek(key)
	if !eq {
		return nil, false
	}
	return n.vals[i], true
}

// reindex sets the shared prefix of n from its bounds and recomputes every
// head. It reads every key of n; callers use it only for nodes whose
// entries or bounds changed wholesale (splits, merges, rotations).
func (n *node) reindex(lo, hi []byte) {
	n.cp = boundsPrefix(lo, hi)
	for i, k := range n.keys {
		n.heads[i] = load8(k[n.cp:])
	}
}

// txn is one write transaction: it builds a new tree from an old one by
// path copying. Nodes it creates carry its gen and are changed in place
// until the transaction ends, so a batch of many operations copies each
// node at most once. A txn must not be used after its root is published.
type txn struct {
	gen uint64
}

// own returns n itself if this transaction created it, else a private copy
// that the transaction may change.
func (t *txn) own(n *node) *node {
	if n.gen == t.gen {
		return n
	}
	c := &node{gen: t.gen, cp: n.cp, heads: n.heads}
	c.keys = append(make([][]byte, 0, len(n.keys)+1), n.keys...)
	if n.kids != nil {
		c.kids = append(make([]*node, 0, len(n.kids)+1), n.kids...)
	} else {
		c.vals = append(make([][]byte, 0, len(n.vals)+1), n.vals...)
	}
	return c
}

// set stores val under key in the tree rooted at root and returns the new
// root, and the value replaced, if any. key and val must be private to the
// tree from now on: they are never modified.
func (t *txn) set(root *node, key, val []byte) (newRoot *node, old []byte, replaced bool) {
	if root == nil {
		n := &node{gen: t.gen, keys: [][]byte{key}, vals: [][]byte{val}}
		n.heads[0] = load8(key)
		return n, nil, false
	}
	r, sep, right, old, replaced := t.insert(root, key, val, nil, nil)
	if right != nil {
		nr := &node{gen: t.gen, keys: [][]byte{sep}, kids: []*node{r, right}}
		nr.heads[0] = load8(sep)
		r = nr
	}
	return r, old, replaced
}

// insert stores val under key in the subtree n with bounds [lo, hi). When
// the subtree splits it returns the separator and the new right sibling.
func (t *txn) insert(n *node, key, val, lo, hi []byte) (nn *node, sep []byte, right *node, old []byte, replaced bool) {
	n = t.own(n)
	i, eq := n.seek(key)
	if n.leaf() {
		if eq {
			old = n.vals[i]
			n.keys[i] = key // same bytes; lets the old buffer be collected
			n.vals[i] = val
			return n, nil, nil, old, true
		}
		n.keys = slices.Insert(n.keys, i, key)
		n.vals = slices.Insert(n.vals, i, val)
		copy(n.heads[i+1:len(n.keys)], n.heads[i:len(n.keys)-1])
		n.heads[i] = load8(key[n.cp:])
		if len(n.keys) > maxEntries {
			sep, right = t.split(n, lo, hi)
		}
		return n, sep, right, nil, false
	}
	if eq {
		i++
	}
	clo, chi := n.childBounds(i, lo, hi)
	kid, ksep, kright, old, replaced := t.insert(n.kids[i], key, val, clo, chi)
	n.kids[i] = kid
	if kright != nil {
		n.keys = slices.Insert(n.keys, i, ksep)
		n.kids = slices.Insert(n.kids, i+1, kright)
		copy(n.heads[i+1:len(n.keys)], n.heads[i:len(n.keys)-1])
		n.heads[i] = load8(ksep[n.cp:])
		if len(n.kids) > maxEntries {
			sep, right = t.split(n, lo, hi)
		}
	}
	return n, sep, right, old, replaced
}

// childBounds returns the bounds of child i of inner node n, whose own
// bounds are [lo, hi).
func (n *node) childBounds(i int, lo, hi []byte) (clo, chi []byte) {
	clo, chi = lo, hi
	if i > 0 {
		clo = n.keys[i-1]
	}
	if i < len(n.keys) {
		chi = n.keys[i]
	}
	return clo, chi
}

// split moves the upper half of the owned, overfull node n (bounds
// [lo, hi)) to a new node and returns the separator between them and the
// new node.
func (t *txn) split(n *node, lo, hi []byte) (sep []byte, right *node) {
	right = &node{gen: t.gen}
	if n.leaf() {
		m := len(n.keys) / 2
		right.keys = slices.Clone(n.keys[m:])
		right.vals = slices.Clone(n.vals[m:])
		clear(n.keys[m:])
		clear(n.vals[m:])
		n.keys, n.vals = n.keys[:m], n.vals[:m]
		sep = right.keys[0]
	} else {
		m := len(n.kids) / 2
		right.keys = slices.Clone(n.keys[m:])
		right.kids = slices.Clone(n.kids[m:])
		sep = n.keys[m-1]
		clear(n.keys[m-1:])
		clear(n.kids[m:])
		n.keys, n.kids = n.keys[:m-1], n.kids[:m]
	}
	n.reindex(lo, sep)
	right.reindex(sep, hi)
	return sep, right
}

// del removes key from the tree rooted at root and returns the new root and
// the removed value. When key is absent it returns root itself and
// found=false, having copied nothing.
func (t *txn) del(root *node, key []byte) (newRoot *node, old []byte, found bool) {
	if root == nil {
		return nil, nil, false
	}
	r, old, found := t.remove(root, key, nil, nil)
	if !found {
		return root, nil, false
	}
	switch {
	case r.leaf() && len(r.keys) == 0:
		r = nil
	case !r.leaf() && len(r.kids) == 1:
		// The only child had open bounds already (it is the merge of
		// the root's last two children), so its prefix is still right.
		r = r.kids[0]
	}
	return r, old, true
}

// remove deletes key from the subtree n with bounds [lo, hi), rebalancing
// children that fall under minEntries.
func (t *txn) remove(n *node, key, lo, hi []byte) (nn *node, old []byte, found bool) {
	i, eq := n.seek(key)
	if n.leaf() {
		if !eq {
			return n, nil, false
		}
		n = t.own(n)
		old = n.vals[i]
		n.keys = slices.Delete(n.keys, i, i+1)
		n.vals = slices.Delete(n.vals, i, i+1)
		copy(n.heads[i:len(n.keys)], n.heads[i+1:len(n.keys)+1])
		return n, old, true
	}
	if eq {
		i++
	}
	clo, chi := n.childBounds(i, lo, hi)
	kid, old, found := t.remove(n.kids[i], key, clo, chi)
	if !found {
		return n, nil, false
	}
	n = t.own(n)
	n.kids[i] = kid
	if kid.size() < minEntries {
		t.rebalance(n, i, lo, hi)
	}
	return n, old, true
}

// rebalance fixes the underfull child i of the owned inner node n (bounds
// [lo, hi)) by merging it with a sibling or, when both together are too
// many for one node, by sharing their entries evenly.
func (t *txn) rebalance(n *node, i int, lo, hi []byte) {
	j := i // merge kids[j] and kids[j+1]
	if j == len(n.kids)-1 {
		j--
	}
	sep := n.keys[j]
	llo, _ := n.childBounds(j, lo, hi)
	_, rhi := n.childBounds(j+1, lo, hi)
	l, r := n.kids[j], n.kids[j+1]

	if l.size()+r.size() <= maxEntries {
		l = t.own(l)
		if l.leaf() {
			l.keys = append(l.keys, r.keys...)
			l.vals = append(l.vals, r.vals...)
		} else {
			l.keys = append(append(l.keys, sep), r.keys...)
			l.kids = append(l.kids, r.kids...)
		}
		l.reindex(llo, rhi)
		n.kids[j] = l
		n.keys = slices.Delete(n.keys, j, j+1)
		n.kids = slices.Delete(n.kids, j+1, j+2)
		copy(n.heads[j:len(n.keys)], n.heads[j+1:len(n.keys)+1])
		return
	}

	l, r = t.own(l), t.own(r)
	var newSep []byte
	if l.leaf() {
		keys := slices.Concat(l.keys, r.keys)
		vals := slices.Concat(l.vals, r.vals)
		m := len(keys) / 2
		l.keys, l.vals = keys[:m:m], vals[:m:m]
		r.keys, r.vals = slices.Clone(keys[m:]), slices.Clone(vals[m:])
		newSep = r.keys[0]
	} else {
		keys := slices.Concat(l.keys, [][]byte{sep}, r.keys)
		kids := slices.Concat(l.kids, r.kids)
		m := len(kids) / 2
		l.keys, l.kids = keys[:m-1:m-1], kids[:m:m]
		newSep = keys[m-1]
		r.keys, r.kids = slices.Clone(keys[m:]), slices.Clone(kids[m:])
	}
	l.reindex(llo, newSep)
	r.reindex(newSep, rhi)
	n.keys[j] = newSep
	n.heads[j] = load8(newSep[n.cp:])
	n.kids[j], n.kids[j+1] = l, r
}
