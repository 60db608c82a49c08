package btree

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
)

// leafIndex is a hash index of the keys of a cached leaf page, for point
// reads: an open-addressing table (linear probing, a power of two of
// entries, at most four fifths full) whose entry for a key holds sixteen
// bits of the key's hash and the offset of its cell (0: an empty entry;
// no cell starts at offset 0). A Get then reads one entry of the table,
// usually in the same cache line as the next few, and the one cell whose
// hash bits match, where a binary search would touch a cache line of the
// digest or of the page at each of its steps. It is built with the
// page's digest when the page enters the cache, and immutable from then
// on.
//
// Only leaves of up to maxIndexKeys keys, all held inline, get an index
// (a long key's cell holds only a prefix of it to hash); the others are
// searched through their digest.
type leafIndex []uint32

// maxIndexKeys is the number of keys of a leaf page of ps bytes that gets
// an index at most: the most whose index fits in maxDigest(ps) bytes, so
// that a page's index costs the cache no more than a digest would.
func maxIndexKeys(ps int) int {
	t := 1 << (bits.Len(uint(maxDigest(ps)/4)) - 1) // entries: a power of two
	n := (t - 1) * 4 / 5
	for n+1+(n+1)/4 < t {
		n++
	}
	for n+n/4 >= t {
		n--
	}
	return n
}

// maxIndex bounds the bytes of the index of a leaf page of ps bytes.
func maxIndex(ps int) int { return 4 * indexSize(maxIndexKeys(ps)) }

// indexSize returns the number of entries of the index of n keys: the
// smallest power of two above n + n/4, so that at least a fifth of the
// entries are empty and every probe sequence ends.
func indexSize(n int) int { return 1 << bits.Len(uint(n+n/4)) }

// makeLeafIndex returns the index of the validated leaf page p, or nil if
// it gets none.
func makeLeafIndex(l *page.Layout, p []byte) leafIndex {
	n := page.Count(p)
	if n == 0 || n > maxIndexKeys(l.PageSize) || l.PageSize > 1<<16 {
		return nil
	}
	t := make(leafIndex, indexSize(n))
	mask := len(t) - 1
	for i := 0; i < n; i++ {
		off := page.Slot(p, i)
		inline, klen, _ := l.LeafKeyAt(p, off)
		if len(inline) != klen {
			return nil
		}
		h := keyHash(inline)
		j := int(h) & mask
		for t[j] != 0 {
			j = (j + 1) & mask
		}
		t[j] = uint32(h>>48)<<16 | uint32(off)
	}
	return t
}

// find returns the offset of the cell of key in the leaf page p that t
// indexes, or 0 if p does not hold key.
func (t leafIndex) find(l *page.Layout, p []byte, key []byte) int {
	h := keyHash(key)
	mask := len(t) - 1
	fp := uint32(h >> 48)
	for j := int(h) & mask; ; j = (j + 1) & mask {
		e := t[j]
		if e == 0 {
			return 0
		}
		if e>>16 != fp {
			continue
		}
		off := int(e & 0xffff)
		if inline, _, _ := l.LeafKeyAt(p, off); bytes.Equal(inline, key) {
			return off
		}
	}
}

// keyHash returns a 64-bit hash of key (in memory only, never stored: it
// may change between versions).
func keyHash(key []byte) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := uint64(len(key)) * m
	for len(key) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(key)) * m
		h ^= h >> 31
		key = key[8:]
	}
	var tail uint64
	for i, c := range key {
		tail |= uint64(c) << (8 * i)
	}
	h = (h ^ tail) * m
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>32
}
