package btree

import (
	"bytes"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
)

// digest speeds up the searches of a cached leaf or branch page: the
// bytes every key of the page starts with, and for every stride-th key
// the four bytes after them (big-endian, zero-padded), so that a search
// narrows down to a few keys in one small array of integers before it
// compares one or two cells of the page, instead of touching a cell of
// the page (a cache miss, for a page that is not hot) at every step. With
// a stride of 1 (pages of up to maxDigestKeys keys) it also holds each
// key's cell offset, so the search does not read the page's slots.
//
// Zero-padding keeps the order: if a's four bytes after the prefix are
// below b's, then a < b. The digest of a page holding a long key (whose
// cell has only a prefix of it) would not, so such pages get none, nor do
// pages with few keys (nothing to gain) or a long shared prefix.
type digest struct {
	prefix []byte
	keys   []uint32 // of keys 0, stride, 2*stride, ...
	offs   []uint16 // with stride 1: offset of each key's cell
	stride int
	n      int  // keys of the page
	leaf   bool // of a leaf page (so that a search need not read the page's header)
}

// maxDigest bounds the bytes of a digest of a page of ps bytes: six bytes
// (key bytes and cell offset) for at most maxDigestKeys(ps) keys, a
// prefix of at most maxDigestPrefix bytes, and the digest's own header.
func maxDigest(ps int) int { return maxDigestKeys(ps)*6 + maxDigestPrefix + 96 }

// maxDigestKeys is the number of keys a digest of a page of ps bytes
// holds at most; a page with more gets a stride.
func maxDigestKeys(ps int) int { return ps / 64 }

const (
	minDigestKeys   = 8
	maxDigestPrefix = 64
)

// makeDigest returns the digest of the validated leaf or branch page p,
// or nil if it gets none.
func makeDigest(l *page.Layout, p []byte) *digest {
	n := page.Count(p)
	if n < minDigestKeys {
		return nil
	}
	leaf := page.IsLeaf(p)
	key := func(i int) ([]byte, bool) {
		var inline []byte
		var klen int
		if leaf {
			inline, klen, _ = l.LeafKey(p, i)
		} else {
			inline, klen, _ = l.BranchKey(p, i)
		}
		return inline, len(inline) == klen
	}
	first, ok1 := key(0)
	last, ok2 := key(n - 1)
	if !ok1 || !ok2 {
		return nil
	}
	cp := 0
	for cp < len(first) && cp < len(last) && first[cp] == last[cp] {
		cp++
	}
	if cp > maxDigestPrefix {
		return nil
	}
	stride := (n + maxDigestKeys(l.PageSize) - 1) / maxDigestKeys(l.PageSize)
	d := &digest{prefix: bytes.Clone(first[:cp]), keys: make([]uint32, 0, (n+stride-1)/stride), stride: stride, n: n, leaf: leaf}
	if stride == 1 {
		d.offs = make([]uint16, n)
	}
	for i := 0; i < n; i++ {
		k, whole := key(i)
		if !whole {
			return nil
		}
		if i%stride == 0 {
			d.keys = append(d.keys, load4(k[cp:]))
		}
		if d.offs != nil {
			d.offs[i] = uint16(page.Slot(p, i))
		}
	}
	return d
}

// load4 returns the first four bytes of b as a big-endian integer, b
// padded with zeros.
func load4(b []byte) uint32 {
	var x uint32
	for i := 0; i < 4; i++ {
		x <<= 8
		if i < len(b) {
			x |= uint32(b[i])
		}
	}
	return x
}

// bounds returns the range [lo, hi) of the page's keys that may equal key:
// the keys before lo are smaller than key, those from hi on larger.
func (d *digest) bounds(key []byte) (lo, hi int) {
	cp := len(d.prefix)
	m := min(len(key), cp)
	if c := bytes.Compare(key[:m], d.prefix[:m]); c != 0 {
		if c < 0 {
			return 0, 0
		}
		return d.n, d.n
	}
	if len(key) < cp {
		return 0, 0 // a proper prefix of every key
	}
	t := load4(key[cp:])
	n := len(d.keys)
	lo, hi = 0, n
	for lo < hi { // the first sample >= t
		mid := int(uint(lo+hi) >> 1)
		if d.keys[mid] < t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	hi = lo
	for hi < n && d.keys[hi] == t {
		hi++
	}
	if d.stride == 1 {
		return lo, hi
	}
	// Sample j is key j*stride: the keys up to sample lo-1 are smaller,
	// and from sample hi on larger.
	return max(0, (lo-1)*d.stride+1), min(d.n, hi*d.stride)
}

// cellOffset returns the offset of cell i of page p, whose digest is d
// (nil: none): from the digest when it holds the offsets, else from the
// page's slot.
func cellOffset(p []byte, d *digest, i int) int {
	if d != nil && d.offs != nil {
		return int(d.offs[i])
	}
	return page.Slot(p, i)
}
