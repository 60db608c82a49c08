package btree

import (
	"bytes"
	"io"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
)

var errEOF = io.EOF

// node is an in-memory tree node: one that a write created or changed
// since the last checkpoint (a dirty node).
//
// Invariants: a leaf (level 0) has ents and no keys or kids; a branch has
// len(kids) == len(keys)+1 >= 1, and child i holds the keys k with
// keys[i-1] <= k < keys[i]. size is the node's encoded page size. A node
// is immutable once the write that created it (gen) has published it;
// only that write may change it, through writer.own.
type node struct {
	gen   uint64
	level int
	ents  []page.Entry
	keys  []page.BranchKey
	kids  []child
	size  int
}

// child references a subtree: an in-memory node, or a page of the file
// (a clean subtree, unchanged since the checkpoint that wrote it).
type child struct {
	n   *node
	ref page.Ref
}

func (c child) isZero() bool { return c.n == nil && c.ref.IsZero() }

func (n *node) leaf() bool { return n.level == 0 }

// leafSize and branchSize compute a node's encoded size from scratch.
func leafSize(l *page.Layout, ents []page.Entry) int {
	s := page.LeafBase
	for i := range ents {
		s += l.LeafEntrySize(len(ents[i].Key), ents[i].ValueLen)
	}
	return s
}

func branchSize(l *page.Layout, keys []page.BranchKey) int {
	s := page.BranchBase
	for i := range keys {
		s += l.BranchKeySize(len(keys[i].Key))
	}
	return s
}

// search returns the index of the first entry of leaf n whose key is >=
// key, and whether it is equal.
func (n *node) search(key []byte) (int, bool) {
	lo, hi := 0, len(n.ents)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(n.ents[m].Key, key) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(n.ents) && bytes.Equal(n.ents[lo].Key, key)
}

// childIndex returns the index of the child of branch n whose range holds
// key: the number of keys <= key.
func (n *node) childIndex(key []byte) int {
	lo, hi := 0, len(n.keys)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if bytes.Compare(n.keys[m].Key, key) <= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
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

// pageSearch is search on a validated leaf page. cmp compares key with the
// key of a cell and may need to read a long key's overflow run.
func (s *store) pageSearch(p []byte, key []byte) (int, bool, error) {
	lo, hi := 0, page.Count(p)
	found := false
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		inline, klen, ref := s.pg.l.LeafKey(p, m)
		c, err := s.comparePageKey(key, inline, klen, ref)
		if err != nil {
			return 0, false, err
		}
		if c > 0 {
			lo = m + 1
		} else {
			hi = m
			found = c == 0
		}
	}
	return lo, found && lo < page.Count(p), nil
}

// pageChildIndex is childIndex on a validated branch page.
func (s *store) pageChildIndex(p []byte, key []byte) (int, error) {
	lo, hi := 0, page.Count(p)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		inline, klen, ref := s.pg.l.BranchKey(p, m)
		c, err := s.comparePageKey(key, inline, klen, ref)
		if err != nil {
			return 0, err
		}
		if c >= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, nil
}

// comparePageKey compares key with a cell's key, reading the key's
// overflow run when the inline prefix does not decide.
func (s *store) comparePageKey(key, inline []byte, klen int, ref page.Ref) (int, error) {
	c, full := page.CompareKey(key, inline, klen)
	if !full {
		return c, nil
	}
	k, err := s.pg.readRun(nil, ref, klen)
	if err != nil {
		return 0, err
	}
	return bytes.Compare(key, k), nil
}

// pageKey returns the whole key of a cell: the inline bytes, or the
// overflow run appended to buf.
func (s *store) pageKey(buf, inline []byte, klen int, ref page.Ref) ([]byte, error) {
	if len(inline) == klen {
		return inline, nil
	}
	return s.pg.readRun(buf[:0], ref, klen)
}

// decode turns a validated leaf or branch page into a node owned by write
// gen. Keys and inline values alias the page (which is immutable); long
// keys are read from their runs, large values stay in theirs.
func (s *store) decode(p []byte, gen uint64) (*node, error) {
	l := &s.pg.l
	n := &node{gen: gen, level: page.Level(p), size: page.LeafBase}
	cnt := page.Count(p)
	if page.IsLeaf(p) {
		n.ents = make([]page.Entry, cnt)
		for i := range n.ents {
			c := l.LeafCell(p, i)
			key, err := s.pageKey(nil, c.Key, c.KeyLen, c.KeyRef)
			if err != nil {
				return nil, err
			}
			n.ents[i] = page.Entry{Key: key, KeyRef: c.KeyRef, Value: c.Value, ValueLen: c.ValueLen, ValueRef: c.ValueRef}
			n.size += l.LeafEntrySize(c.KeyLen, c.ValueLen)
		}
		return n, nil
	}
	n.size = page.BranchBase
	n.keys = make([]page.BranchKey, cnt)
	n.kids = make([]child, cnt+1)
	n.kids[0] = child{ref: l.BranchChild(p, 0)}
	for i := range n.keys {
		inline, klen, ref := l.BranchKey(p, i)
		key, err := s.pageKey(nil, inline, klen, ref)
		if err != nil {
			return nil, err
		}
		n.keys[i] = page.BranchKey{Key: key, KeyRef: ref}
		n.kids[i+1] = child{ref: l.BranchChild(p, i+1)}
		n.size += l.BranchKeySize(klen)
	}
	return n, nil
}
