package btree

// kidList holds the in-memory children of a branch node: empty (the zero
// value: every child is the Ref in the node's image), or one entry per
// child, nil where the child is the Ref in the image.
//
// Every write copies the branches on its path, and a branch has up to a
// few thousand children, so the entries are kept in chunks of kidChunk: a
// copy shares the chunks (share), and changing an entry copies only its
// chunk (set), not the whole list. Inserting or deleting entries (splits,
// merges) rebuilds the list.
type kidList struct {
	chunks [][]*node
	priv   uint64 // bit c set: chunks[c] belongs to this list alone
	n      int
}

// kidChunk is the number of entries per chunk. A branch of the largest
// page holds fewer than 64*kidChunk children, so priv has a bit per chunk.
const kidChunk = 64

// newKidList returns a list holding kids (copied), or the empty list if
// none is non-nil.
func newKidList(kids []*node) kidList {
	var k kidList
	for i, x := range kids {
		if x == nil {
			continue
		}
		if k.n == 0 {
			k.n = len(kids)
			k.chunks = make([][]*node, (len(kids)+kidChunk-1)/kidChunk)
		}
		k.set(i, x)
	}
	return k
}

// empty reports whether no child is in memory.
func (k *kidList) empty() bool { return k.n == 0 }

// at returns child i if it is in memory, else nil. A nil list is empty.
func (k *kidList) at(i int) *node {
	if k == nil || k.n == 0 {
		return nil
	}
	c := k.chunks[i/kidChunk]
	if c == nil {
		return nil
	}
	return c[i%kidChunk]
}

// ensure makes an empty list one of n entries (all nil).
func (k *kidList) ensure(n int) {
	if k.n == 0 {
		k.n = n
		k.chunks = make([][]*node, (n+kidChunk-1)/kidChunk)
		k.priv = 0
	}
}

// set stores x as entry i of a non-empty list (see ensure), copying the
// entry's chunk first if it is shared.
func (k *kidList) set(i int, x *node) {
	ci := i / kidChunk
	if k.priv&(1<<ci) == 0 {
		c := make([]*node, min(kidChunk, k.n-ci*kidChunk))
		copy(c, k.chunks[ci])
		k.chunks[ci] = c
		k.priv |= 1 << ci
	}
	k.chunks[ci][i%kidChunk] = x
}

// share returns a copy of k that shares its chunks and copies a chunk
// before changing it. k must not change any more (it belongs to a
// published node).
func (k *kidList) share() kidList {
	if k.n == 0 {
		return kidList{}
	}
	return kidList{chunks: append([][]*node(nil), k.chunks...), n: k.n}
}

// slice returns the entries as a new slice of n entries (n: the number of
// children, for an empty list).
func (k *kidList) slice(n int) []*node {
	s := make([]*node, n)
	if k.n == 0 {
		return s
	}
	for ci, c := range k.chunks {
		copy(s[ci*kidChunk:], c)
	}
	return s
}
