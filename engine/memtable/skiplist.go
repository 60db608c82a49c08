package memtable

import (
	"bytes"
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
	// factor of 4 it serves 4^MaxHeight entries, more than an arena holds.
	MaxHeight = 16

	// MaxCapacity is the largest arena: offsets are uint32.
	MaxCapacity uint64 = math.MaxUint32 &^ (align - 1)

	// Node layout; see the package documentation.
	offSeq    = 0
	offKeyLen = 8
	offValLen = 12
	offKind   = 16
	offHeight = 17
	offTower  = 20
	align     = 8

	// headOff is where the head node starts; offset 0 means "no node".
	headOff = align
	// headEnd is where the head node ends and the first entry can start.
	headEnd = headOff + (offTower+4*MaxHeight+align-1)&^(align-1)

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
	n := offTower + 4*uint64(h) + klen + vlen
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
	buf    []byte
	base   unsafe.Pointer // &buf[0]
	used   atomic.Uint64  // arena bytes allocated
	height atomic.Uint32  // levels in use, 1..MaxHeight
	rng    atomic.Uint64  // SplitMix64 state for node heights
	count  atomic.Int64

	// index: open addressing with linear probing; a slot is 0 (empty) or
	// tag<<32 | node offset, the node being the newest version of its key
	// whose Add has indexed it. Slots are never emptied.
	index    []atomic.Uint64
	hashSeed maphash.Seed
	keys     atomic.Int64 // slots reserved for distinct keys
	maxKeys  int64
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

func (s *Skiplist) next(n uint32, lvl int) uint32 {
	return (*atomic.Uint32)(s.at(uint64(n) + offTower + 4*uint64(lvl))).Load()
}

func (s *Skiplist) nextPtr(n uint32, lvl int) *atomic.Uint32 {
	return (*atomic.Uint32)(s.at(uint64(n) + offTower + 4*uint64(lvl)))
}

func (s *Skiplist) seq(n uint32) uint64 { return *(*uint64)(s.at(uint64(n) + offSeq)) }

func (s *Skiplist) kind(n uint32) engine.Kind { return engine.Kind(s.buf[uint64(n)+offKind]) }

func (s *Skiplist) key(n uint32) []byte {
	klen := *(*uint32)(s.at(uint64(n) + offKeyLen))
	h := uint64(s.buf[uint64(n)+offHeight])
	start := uint64(n) + offTower + 4*h
	return s.buf[start : start+uint64(klen) : start+uint64(klen)]
}

func (s *Skiplist) value(n uint32) []byte {
	klen := *(*uint32)(s.at(uint64(n) + offKeyLen))
	vlen := *(*uint32)(s.at(uint64(n) + offValLen))
	h := uint64(s.buf[uint64(n)+offHeight])
	start := uint64(n) + offTower + 4*h + uint64(klen)
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

// randomHeight draws a height with P(h > k) = 4^-k. The generator is
// SplitMix64 over an atomic counter: no lock, and concurrent callers never
// draw the same value.
func (s *Skiplist) randomHeight() int {
	x := s.rng.Add(0x9e3779b97f4a7c15)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return min(1+bits.TrailingZeros64(x)/2, MaxHeight)
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

// seekLevel moves right from before, at level lvl, to the last node that
// sorts before (key, seq). It returns that node, its successor at lvl (0 if
// none), and whether the successor equals (key, seq).
func (s *Skiplist) seekLevel(key []byte, seq uint64, lvl int, before uint32) (prev, next uint32, equal bool) {
	for {
		next = s.next(before, lvl)
		if next == 0 {
			return before, 0, false
		}
		c := s.cmp(next, key, seq)
		if c >= 0 {
			return before, next, c == 0
		}
		before = next
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

	var prev, next [MaxHeight]uint32
	before := uint32(headOff)
	for lvl := int(s.height.Load()) - 1; lvl >= 0; lvl-- {
		var equal bool
		prev[lvl], next[lvl], equal = s.seekLevel(key, seq, lvl, before)
		if equal {
			return fmt.Errorf("%w: seq %d, key of %d bytes", ErrDuplicate, seq, len(key))
		}
		before = prev[lvl]
	}

	// A key seen for the first time reserves an index slot. Versions of a
	// key are adjacent, so if the key is present one of its versions is
	// next to the new entry. (Two concurrent first versions of a key may
	// both reserve: an overestimate, which is safe.)
	newKey := (prev[0] == headOff || !bytes.Equal(s.key(prev[0]), key)) &&
		(next[0] == 0 || !bytes.Equal(s.key(next[0]), key))
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
	kv := uint64(n) + offTower + 4*uint64(h)
	copy(s.buf[kv:], key)
	copy(s.buf[kv+uint64(len(key)):], value)

	// Link bottom-up; a node linked at level i is linked at every level
	// below, so a reader that reaches it at level i may descend from it.
	for lvl := 0; lvl < h; lvl++ {
		for {
			s.nextPtr(n, lvl).Store(next[lvl])
			if s.nextPtr(prev[lvl], lvl).CompareAndSwap(next[lvl], n) {
				break
			}
			// Another insert got between prev and next: move right from
			// prev, which is still before us (nothing is ever removed).
			var equal bool
			prev[lvl], next[lvl], equal = s.seekLevel(key, seq, lvl, prev[lvl])
			if equal {
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
	s.indexAdd(n, key, seq)
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
// unless it already points at a newer version. An empty slot always
// exists: occupied slots never outnumber reservations, at most maxKeys.
func (s *Skiplist) indexAdd(n uint32, key []byte, seq uint64) {
	tag, i := s.slotOf(key)
	want := tag | uint64(n)
	for {
		slot := &s.index[i]
		e := slot.Load()
		switch {
		case e == 0:
			if slot.CompareAndSwap(0, want) {
				return
			}
			continue // lost the slot: look at it again
		case e&tagMask == tag && bytes.Equal(s.key(uint32(e)), key):
			if s.seq(uint32(e)) > seq || slot.CompareAndSwap(e, want) {
				return
			}
			continue // a concurrent version changed it: compare again
		}
		if i++; i == uint64(len(s.index)) {
			i = 0
		}
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
