package memtable

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/lightningdb/lightning/engine"
)

const (
	// MaxHeight is the most levels a node can have. With a branching
	// factor of 2 it serves 2^MaxHeight entries, more than an arena of
	// nodes of 40 bytes or more holds.
	MaxHeight = 28

	// MaxCapacity is the largest arena: offsets are uint32.
	MaxCapacity uint64 = math.MaxUint32 &^ (align - 1)

	// Node layout; see the package documentation.
	offSeq    = 0
	offKeyLen = 8
	offValLen = 12
	offKind   = 16
	offHeight = 17
	offTower  = 24
	linkSize  = 8
	align     = 8

	// headOff is where the head node starts; offset 0 means "no node".
	headOff = align
	// headEnd is where the head node ends and the first entry can start.
	headEnd = headOff + (offTower+linkSize*MaxHeight+align-1)&^(align-1)

	// The point-lookup index has one 8-byte slot per indexRatio bytes of
	// capacity (7.7% of it), at least minSlots, and takes new keys up to
	// 3/4 of its slots. With entries of 128 bytes or more on average the
	// arena fills first; with smaller ones the index does.
	indexRatio = 104
	minSlots   = 4
)

// MinCapacity is the smallest capacity New accepts (the head node and a
// minimal index); New raises smaller capacities to it.
const MinCapacity = headEnd + 8*minSlots

// nodeSize returns the arena bytes of a node of height h holding a key of
// klen and a value of vlen bytes, rounded up to the alignment.
func nodeSize(h int, klen, vlen uint64) uint64 {
	n := offTower + linkSize*uint64(h) + klen + vlen
	return (n + align - 1) &^ (align - 1)
}

// EntrySize returns the most arena bytes Add can use for an entry with a
// key of klen and a value of vlen bytes (the node at MaxHeight). Add
// returns ErrEntryTooLarge when this exceeds what an empty skiplist's
// arena has room for, about 92% of its capacity (see Skiplist).
func EntrySize(klen, vlen int) int {
	return int(nodeSize(MaxHeight, uint64(klen), uint64(vlen)))
}

// Skiplist is a sorted set of internal keys (user key, sequence number,
// kind) with values, in one fixed-size arena, plus a hash index from each
// user key to its newest version for point lookups. Order: user key
// ascending by bytes.Compare, then sequence number descending, so the
// newest version of a key comes first.
//
// Memory: New allocates the whole capacity at once; about 92% of it is the
// arena holding the entries and the rest the index. Add returns
// ErrArenaFull when either is full.
//
// Add may be called from many goroutines at once; reads (Get, iterators,
// Size, Len) take no lock and may run concurrently with Adds. Entries are
// never removed or changed. Slices returned by Get and by an Iterator alias
// the arena: they stay valid, and unchanged, as long as the Skiplist is
// referenced, and must not be modified.
type Skiplist struct {
	// Read by every search and Get, written once (height: rarely).
	buf    []byte
	base   unsafe.Pointer // &buf[0]
	height atomic.Uint32  // levels in use, 1..MaxHeight

	// index: open addressing with linear probing; a slot is 0 (empty) or
	// tag<<32 | node offset, the node being the newest version of its key
	// whose Add has indexed it. Slots are never emptied.
	index    []atomic.Uint64
	hashSeed maphash.Seed
	maxKeys  int64

	// Written by every Add: kept on their own cache line, so that
	// concurrent Adds do not make the fields above bounce between cores.
	_     [64]byte
	used  atomic.Uint64 // arena bytes allocated
	rng   atomic.Uint64 // SplitMix64 state for node heights
	count atomic.Int64
	keys  atomic.Int64 // slots reserved for distinct keys
	_     [64]byte
}

// New returns an empty skiplist taking capacity bytes. A capacity below
// MinCapacity is raised to it; one above MaxCapacity is lowered to it.
func New(capacity int) *Skiplist {
	c := uint64(max(capacity, MinCapacity))
	c = min(c, MaxCapacity)
	slots := max(c/indexRatio, minSlots)
	s := &Skiplist{
		buf:      make([]byte, c-8*slots),
		index:    make([]atomic.Uint64, slots),
		hashSeed: maphash.MakeSeed(),
		maxKeys:  int64(slots * 3 / 4),
	}
	// Before the first write, so that the kernel can fault fresh memory in
	// as huge pages (see adviseHugePages).
	adviseHugePages(s.buf)
	adviseHugePages(unsafe.Slice((*byte)(unsafe.Pointer(&s.index[0])), 8*len(s.index)))
	s.base = unsafe.Pointer(&s.buf[0])
	s.used.Store(headEnd)
	s.buf[headOff+offHeight] = MaxHeight
	s.height.Store(1)
	s.rng.Store(uint64(uintptr(s.base)) ^ 0x243f6a8885a308d3)
	return s
}

// Seed resets the generator of node heights, so that a single-goroutine
// sequence of Adds builds the same structure every time. For tests and
// benchmarks; call it before any Add.
func (s *Skiplist) Seed(seed uint64) { s.rng.Store(seed) }

// Size returns the bytes in use: arena bytes allocated to entries and
// node overhead, plus the whole index.
func (s *Skiplist) Size() int { return int(s.used.Load()) + 8*len(s.index) }

// Capacity returns the bytes the skiplist took at New: arena plus index.
func (s *Skiplist) Capacity() int { return len(s.buf) + 8*len(s.index) }

// Len returns the number of entries.
func (s *Skiplist) Len() int { return int(s.count.Load()) }

// Empty reports whether the skiplist has no entry.
func (s *Skiplist) Empty() bool { return s.count.Load() == 0 }

// Node accessors. n is always an offset this skiplist handed out.

func (s *Skiplist) at(off uint64) unsafe.Pointer { return unsafe.Add(s.base, off) }

// next returns node n's successor at level lvl (0 if none).
func (s *Skiplist) next(n uint32, lvl int) uint32 { return linkNode(s.linkPtr(n, lvl).Load()) }

// linkPtr returns node n's link word at level lvl.
func (s *Skiplist) linkPtr(n uint32, lvl int) *atomic.Uint64 {
	return (*atomic.Uint64)(s.at(uint64(n) + offTower + linkSize*uint64(lvl)))
}

func (s *Skiplist) keyLen(n uint32) int { return int(*(*uint32)(s.at(uint64(n) + offKeyLen))) }

func (s *Skiplist) seq(n uint32) uint64 { return *(*uint64)(s.at(uint64(n) + offSeq)) }

func (s *Skiplist) kind(n uint32) engine.Kind { return engine.Kind(s.buf[uint64(n)+offKind]) }

func (s *Skiplist) key(n uint32) []byte {
	klen := *(*uint32)(s.at(uint64(n) + offKeyLen))
	h := uint64(s.buf[uint64(n)+offHeight])
	start := uint64(n) + offTower + linkSize*h
	return s.buf[start : start+uint64(klen) : start+uint64(klen)]
}

func (s *Skiplist) value(n uint32) []byte {
	klen := *(*uint32)(s.at(uint64(n) + offKeyLen))
	vlen := *(*uint32)(s.at(uint64(n) + offValLen))
	h := uint64(s.buf[uint64(n)+offHeight])
	start := uint64(n) + offTower + linkSize*h + uint64(klen)
	return s.buf[start : start+uint64(vlen) : start+uint64(vlen)]
}

// cmp compares node n's internal key with (key, seq): negative if n sorts
// first.
func (s *Skiplist) cmp(n uint32, key []byte, seq uint64) int {
	if c := bytes.Compare(s.key(n), key); c != 0 {
		return c
	}
	switch ns := s.seq(n); {
	case ns > seq:
		return -1
	case ns < seq:
		return 1
	}
	return 0
}

// randomHeight draws a height with P(h > k) = 2^-k. The generator is
// SplitMix64 over an atomic counter: no lock, and concurrent callers never
// draw the same value.
func (s *Skiplist) randomHeight() int {
	x := s.rng.Add(0x9e3779b97f4a7c15)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return min(1+bits.TrailingZeros64(x), MaxHeight)
}

// Links. A link word is the successor's offset in its low 32 bits and, in
// its high 32, an abbreviation of the successor's key relative to the key
// of the link's owner (see the package documentation):
//
//	bits  0..31  successor node offset (0: none)
//	bits 32..45  c: the owner's and the successor's keys share at least
//	             their first c bytes (c < 2^14)
//	bits 46..54  the successor's key at byte c+1: 0 past its end, else
//	             the byte plus 1
//	bits 55..63  the same for byte c
//
// The abbreviation depends only on the two keys, which never change, and
// travels in the same atomic word as the offset, so a reader always sees
// the abbreviation of the node the word points to.
const (
	linkPrefixShift = 32
	linkAbbrevShift = 46
	maxLinkPrefix   = 1<<14 - 1
)

// linkNode returns the successor offset of link word w.
func linkNode(w uint64) uint32 { return uint32(w) }

// makeLink returns the link word to node n, whose key is key, from an
// owner whose key shares at least its first c bytes with key.
func makeLink(n uint32, c int, key []byte) uint64 {
	c = min(c, maxLinkPrefix)
	return uint64(n) | uint64(c)<<linkPrefixShift | abbrev(key, c)<<linkAbbrevShift
}

// abbrev returns the 18-bit abbreviation of key at byte c: two 9-bit
// symbols for bytes c and c+1 (the first in the top bits), each 0 past the
// end of key and the byte plus 1 otherwise. For two keys a and b sharing
// their first c bytes, abbrev(a, c) < abbrev(b, c) implies a < b by
// bytes.Compare; and if the symbols first differ at byte c+j, the keys
// share exactly c+j bytes. Equal abbreviations decide nothing.
func abbrev(key []byte, c int) uint64 {
	var a uint64
	if c < len(key) {
		a = (uint64(key[c]) + 1) << 9
		if c+1 < len(key) {
			a |= uint64(key[c+1]) + 1
		}
	}
	return a
}

// commonPrefix returns the length of the longest common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]); x != 0 {
			return i + bits.TrailingZeros64(x)/8
		}
	}
	for ; i < n && a[i] == b[i]; i++ {
	}
	return i
}

// alloc reserves size bytes (a multiple of align) and returns their offset.
func (s *Skiplist) alloc(size uint64) (uint32, bool) {
	for {
		u := s.used.Load()
		if u+size > uint64(len(s.buf)) {
			return 0, false
		}
		if s.used.CompareAndSwap(u, u+size) {
			return uint32(u), true
		}
	}
}

// splice is where an insert of (key, seq) goes at one level: between prev
// and the successor of prev's link word succ.
type splice struct {
	prev uint32
	// pd is the exact length of the common prefix of key and prev's key
	// (0 for the head, whose key is empty).
	pd int
	// succ is prev's link word at this level as last read: the expected
	// value of the compare-and-swap that links the new node.
	succ uint64
	// out is the link word the new node stores at this level: to the same
	// successor, abbreviated relative to key.
	out uint64
}

// seekLevel moves right at level lvl from sp.prev, whose key shares
// exactly sp.pd bytes with key, to the last node that sorts before
// (key, seq), and fills sp for it. It reports whether the successor equals
// (key, seq).
//
// Most steps decide from the link word alone, without reading the
// successor's key (see the package documentation): if the successor shares
// more bytes with prev than key does (c > pd), key sorts after it; if
// fewer or as many (c <= pd), key and successor share their first c bytes
// and the abbreviations of both at c decide unless they are equal. Only
// then is the successor's key read. The exact common prefix with key of
// each node moved onto follows from the same facts, without reading it.
func (s *Skiplist) seekLevel(key []byte, seq uint64, lvl int, sp *splice) (equal bool) {
	before, d := sp.prev, sp.pd
	for {
		w := s.linkPtr(before, lvl).Load()
		n := linkNode(w)
		if n == 0 {
			*sp = splice{prev: before, pd: d}
			return false
		}
		c := int(w>>linkPrefixShift) & maxLinkPrefix
		if c > d {
			// n shares c bytes with before, key only d < c: they differ
			// at byte d, where key is larger (before < key), so key > n
			// and shares d bytes with n as well.
			before = n
			continue
		}
		ka, na := abbrev(key, c), w>>linkAbbrevShift
		switch {
		case ka > na:
			before, d = n, c+1
			if (ka^na)>>9 != 0 {
				d = c
			}
			continue
		case ka < na:
			// n's link word is valid for the new node too: key shares
			// the same c bytes with n.
			*sp = splice{prev: before, pd: d, succ: w, out: w}
			return false
		}
		nk := s.key(n)
		cmp := s.cmp(n, key, seq)
		if cmp < 0 {
			before, d = n, commonPrefix(key, nk)
			continue
		}
		*sp = splice{prev: before, pd: d, succ: w, out: makeLink(n, commonPrefix(key, nk), nk)}
		return cmp == 0
	}
}

// Add inserts the entry (key, seq, kind) → value. Key and value are copied
// into the arena. It returns ErrDuplicate if (key, seq) is already
// present, ErrArenaFull if the arena or the index has no room left for it,
// and ErrEntryTooLarge if it could not fit even in an empty skiplist; on
// error the skiplist is unchanged. Add is safe for concurrent use with
// every other method. The kind is stored as given; the skiplist gives it
// no meaning.
func (s *Skiplist) Add(key []byte, seq uint64, kind engine.Kind, value []byte) error {
	// Check the worst case first, so the answer does not depend on the
	// height drawn.
	if headEnd+nodeSize(MaxHeight, uint64(len(key)), uint64(len(value))) > uint64(len(s.buf)) {
		return fmt.Errorf("%w: key %d and value %d bytes need up to %d, the arena has room for %d",
			ErrEntryTooLarge, len(key), len(value), EntrySize(len(key), len(value)), len(s.buf)-headEnd)
	}
	h := s.randomHeight()
	for {
		cur := s.height.Load()
		if uint32(h) <= cur || s.height.CompareAndSwap(cur, uint32(h)) {
			break
		}
	}

	// Load the key's index slot now: the load is not needed until the
	// end, so its cache miss overlaps the search's.
	tag, slot := s.slotOf(key)
	hint := s.index[slot].Load()

	var sp [MaxHeight]splice
	at := splice{prev: headOff}
	for lvl := int(s.height.Load()) - 1; lvl >= 0; lvl-- {
		if s.seekLevel(key, seq, lvl, &at) {
			return fmt.Errorf("%w: seq %d, key of %d bytes", ErrDuplicate, seq, len(key))
		}
		sp[lvl] = at
	}

	// A key seen for the first time reserves an index slot. Versions of a
	// key are adjacent, so if the key is present one of its versions is
	// next to the new entry. (Two concurrent first versions of a key may
	// both reserve: an overestimate, which is safe.) The predecessor holds
	// key if it shares all of key and is as long; the successor holds key
	// if its link word does not tell it apart (then seekLevel read its key).
	sameAsPrev := sp[0].prev != headOff && sp[0].pd == len(key) && s.keyLen(sp[0].prev) == len(key)
	sameAsNext := false
	if nx := linkNode(sp[0].succ); nx != 0 && abbrev(key, int(sp[0].succ>>linkPrefixShift)&maxLinkPrefix) == sp[0].succ>>linkAbbrevShift {
		sameAsNext = bytes.Equal(s.key(nx), key)
	}
	newKey := !sameAsPrev && !sameAsNext
	if newKey && s.keys.Add(1) > s.maxKeys {
		s.keys.Add(-1)
		return ErrArenaFull
	}

	size := nodeSize(h, uint64(len(key)), uint64(len(value)))
	n, ok := s.alloc(size)
	if !ok {
		if newKey {
			s.keys.Add(-1)
		}
		return ErrArenaFull
	}
	// Fill the node before publishing it: readers reach it only through
	// the atomic stores below, which order these writes before their loads.
	*(*uint64)(s.at(uint64(n) + offSeq)) = seq
	*(*uint32)(s.at(uint64(n) + offKeyLen)) = uint32(len(key))
	*(*uint32)(s.at(uint64(n) + offValLen)) = uint32(len(value))
	s.buf[uint64(n)+offKind] = byte(kind)
	s.buf[uint64(n)+offHeight] = byte(h)
	kv := uint64(n) + offTower + linkSize*uint64(h)
	copy(s.buf[kv:], key)
	copy(s.buf[kv+uint64(len(key)):], value)

	// Link bottom-up; a node linked at level i is linked at every level
	// below, so a reader that reaches it at level i may descend from it.
	// The word stored in prev abbreviates key relative to prev's key,
	// which shares exactly pd bytes with it.
	for lvl := 0; lvl < h; lvl++ {
		p := &sp[lvl]
		for {
			s.linkPtr(n, lvl).Store(p.out)
			if s.linkPtr(p.prev, lvl).CompareAndSwap(p.succ, makeLink(n, p.pd, key)) {
				break
			}
			// Another insert got between prev and its successor: move
			// right from prev, which is still before us (nothing is ever
			// removed, and prev's key is unchanged, so pd still holds).
			if s.seekLevel(key, seq, lvl, p) {
				// Only possible at level 0, before the node is visible:
				// a concurrent Add of the same (key, seq) won. The node's
				// arena space is lost.
				if newKey {
					s.keys.Add(-1)
				}
				return fmt.Errorf("%w: seq %d, key of %d bytes", ErrDuplicate, seq, len(key))
			}
		}
	}
	s.indexAdd(n, key, seq, tag, slot, hint)
	s.count.Add(1)
	return nil
}

const tagMask = 0xffffffff00000000

// slotOf returns key's tag and first index slot.
func (s *Skiplist) slotOf(key []byte) (tag, slot uint64) {
	h := maphash.Bytes(s.hashSeed, key)
	slot, _ = bits.Mul64(h, uint64(len(s.index)))
	return h << 32, slot
}

// indexAdd points key's index slot at node n (which holds key at seq)
// unless it already points at a newer version. tag and i are slotOf(key);
// hint is a value slot i held not long ago, which saves reloading it. A
// stale hint is harmless: a slot only goes from empty to a version of one
// key and then to newer versions of the same key, so a stale value leads
// to the same decision or to a compare-and-swap that fails and reloads.
// An empty slot always exists: occupied slots never outnumber
// reservations, at most maxKeys.
func (s *Skiplist) indexAdd(n uint32, key []byte, seq uint64, tag, i, hint uint64) {
	want := tag | uint64(n)
	e := hint
	for {
		slot := &s.index[i]
		switch {
		case e == 0:
			if slot.CompareAndSwap(0, want) {
				return
			}
			e = slot.Load()
			continue // lost the slot, or the hint was stale: look again
		case e&tagMask == tag && bytes.Equal(s.key(uint32(e)), key):
			if s.seq(uint32(e)) > seq || slot.CompareAndSwap(e, want) {
				return
			}
			e = slot.Load()
			continue // a concurrent version changed it: compare again
		}
		if i++; i == uint64(len(s.index)) {
			i = 0
		}
		e = s.index[i].Load()
	}
}

// indexGet returns the newest indexed version of key, or 0.
func (s *Skiplist) indexGet(key []byte) uint32 {
	tag, i := s.slotOf(key)
	for {
		e := s.index[i].Load()
		if e == 0 {
			return 0
		}
		if e&tagMask == tag && bytes.Equal(s.key(uint32(e)), key) {
			return uint32(e)
		}
		if i++; i == uint64(len(s.index)) {
			i = 0
		}
	}
}

// findGE returns the first node >= (key, seq), or 0.
func (s *Skiplist) findGE(key []byte, seq uint64) uint32 {
	x := uint32(headOff)
	var found uint32 // a node already known to be >= (key, seq)
	for lvl := int(s.height.Load()) - 1; lvl >= 0; lvl-- {
		for {
			nx := s.next(x, lvl)
			if nx == 0 || nx == found {
				break
			}
			if s.cmp(nx, key, seq) >= 0 {
				found = nx
				break
			}
			x = nx
		}
	}
	return found
}

// findLT returns the last node < (key, seq), or 0.
func (s *Skiplist) findLT(key []byte, seq uint64) uint32 {
	x := uint32(headOff)
	for lvl := int(s.height.Load()) - 1; lvl >= 0; lvl-- {
		for {
			nx := s.next(x, lvl)
			if nx == 0 || s.cmp(nx, key, seq) >= 0 {
				break
			}
			x = nx
		}
	}
	if x == headOff {
		return 0
	}
	return x
}

// findLast returns the last node, or 0.
func (s *Skiplist) findLast() uint32 {
	x := uint32(headOff)
	for lvl := int(s.height.Load()) - 1; lvl >= 0; lvl-- {
		for nx := s.next(x, lvl); nx != 0; nx = s.next(x, lvl) {
			x = nx
		}
	}
	if x == headOff {
		return 0
	}
	return x
}

// Get returns the newest version of key whose sequence number is <= seq
// (pass a snapshot's sequence number, or math.MaxUint64 for the newest).
// found is false if key has no such version. A KindDelete version is
// returned like any other: the caller interprets kinds. The value aliases
// the arena (see Skiplist).
//
// Get is one index probe to the key's newest version, then a walk along
// its older versions while they are newer than seq. It sees every Add that
// returned before it started.
func (s *Skiplist) Get(key []byte, seq uint64) (value []byte, kind engine.Kind, found bool) {
	n := s.indexGet(key)
	for n != 0 && s.seq(n) > seq {
		if n = s.next(n, 0); n != 0 && !bytes.Equal(s.key(n), key) {
			n = 0
		}
	}
	if n == 0 {
		return nil, 0, false
	}
	return s.value(n), s.kind(n), true
}
