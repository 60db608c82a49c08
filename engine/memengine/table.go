package memengine

import (
	"bytes"
	"math/bits"
	"sync/atomic"
)

// table is the hash index that answers point reads without walking the
// tree: an open-addressing table with linear probing from a key's hash to
// its newest record (possibly a tombstone).
//
// Concurrency: one writer (holding DB.mu) changes the table in place while
// any number of readers probe it without locks. A slot, once given a key,
// keeps that key for the table's life; the writer only swaps the record
// pointer, storing the record before the tag so that a reader that sees
// the tag sees a record. Records are immutable. Growing or dropping
// tombstones builds a new table (rebuild) that later versions use; the
// writer never touches the old one again.
//
// Why readers get the right answer: a version v publishes the table T
// current at its commit. Every write with seq <= v.seq is in T (written
// into T, or copied into T when T was built), and T never loses an entry
// while it is current. So for a reader of v:
//   - key absent from T: absent in v;
//   - newest record in T has seq <= v.seq: no later write is visible to v,
//     so that record is v's answer;
//   - newest record has seq > v.seq: written after v; the reader asks v's
//     tree instead, which is always right (the slow path, only for keys
//     written since v).
type table struct {
	slots []slot
	mask  uint64
	_     [128]byte // keep the writer's counts off the readers' line
	used  int       // slots holding a key, tombstones included; writer only
	limit int       // rebuild when used would pass it
}

// slot is one entry: the key's hash (0 = empty; see keyHash) and its
// newest record.
type slot struct {
	tag atomic.Uint64
	rec atomic.Pointer[byte]
}

const minTableSlots = 64

// newTable returns a table for want keys: at most half full with them, to
// be rebuilt when 5/8 full (linear probing stays short up to there).
func newTable(want int) *table {
	n := minTableSlots
	if want > n/2 {
		n = 1 << bits.Len(uint(2*want-1))
	}
	return &table{slots: make([]slot, n), mask: uint64(n - 1), limit: n/2 + n/8}
}

// lookup returns the newest record of key, whose hash is h, or nil. Safe
// for concurrent use with one writer.
func (t *table) lookup(key []byte, h uint64) []byte {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		switch s.tag.Load() {
		case 0:
			return nil
		case h:
			r := recOf(s.rec.Load())
			if bytes.Equal(recKey(r), key) {
				return r
			}
		}
	}
}

// find returns the slot holding key, or nil. Writer only.
func (t *table) find(key []byte, h uint64) *slot {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		switch s.tag.Load() {
		case 0:
			return nil
		case h:
			if bytes.Equal(recKey(recOf(s.rec.Load())), key) {
				return s
			}
		}
	}
}

// put makes rec the newest record of its key. Writer only; the table must
// have room (see needsRebuild).
func (t *table) put(rec []byte, h uint64) {
	if s := t.find(recKey(rec), h); s != nil {
		s.rec.Store(&rec[0])
		return
	}
	t.insert(rec, h)
}

// insert stores rec for a key not in the table. Writer only.
func (t *table) insert(rec []byte, h uint64) {
	i := h & t.mask
	for t.slots[i].tag.Load() != 0 {
		i = (i + 1) & t.mask
	}
	t.slots[i].rec.Store(&rec[0])
	t.slots[i].tag.Store(h) // after the record: see table
	t.used++
}

// tombstone records the deletion rec of a key, if the table has the key
// with a live record. An absent key needs no tombstone: no version that
// uses this table has it. Writer only.
func (t *table) tombstone(rec []byte, h uint64) {
	s := t.find(recKey(rec), h)
	if s == nil || recTomb(recOf(s.rec.Load())) {
		return
	}
	s.rec.Store(&rec[0])
}

// needsRebuild reports whether n more keys might not fit.
func (t *table) needsRebuild(n int) bool { return t.used+n > t.limit }

// rebuild returns a new table holding the live records of t, sized for
// live+n keys. Tombstones are dropped: the caller guarantees that every
// record in t is visible in the published version (it calls rebuild before
// writing anything of its transaction), so a key whose newest record is a
// tombstone is absent from every version that will use the new table.
func (t *table) rebuild(live, n int) *table {
	nt := newTable(live + n)
	for i := range t.slots {
		s := &t.slots[i]
		tag := s.tag.Load()
		if tag == 0 {
			continue
		}
		r := recOf(s.rec.Load())
		if recTomb(r) {
			continue
		}
		nt.insert(r, tag) // the tag is the key's hash
	}
	return nt
}
