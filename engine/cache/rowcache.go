package cache

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"sync/atomic"
)

// RowEntryOverhead is the memory a RowCache entry costs besides its key
// and value bytes: the entry record (epoch, hash, key length, data slice
// header) and its share of the set array.
const RowEntryOverhead = 64

// DefaultRowMaxEntry is the default of NewRowCache's maxEntry.
const DefaultRowMaxEntry = 256

// RowCache is a fixed-size, lock-free cache of key → value rows for hot
// point reads, meant to sit in front of any backend's Get.
//
// Layout: a power-of-two array of sets, each an epoch counter and two ways
// (atomic pointers to immutable entries). A key hashes (hash/maphash) to
// one set. Get loads the set's epoch and its two ways (one cache line)
// and compares keys: it takes no lock and writes nothing shared. Fill
// copies key and value into a new entry and stores it into a way (the
// key's own, an invalid one, or a random one): the old row is simply
// replaced. Memory is bounded by construction: every way holds at most one
// entry of at most maxEntry key+value bytes.
//
// Consistency. An entry is valid only while its epoch equals its set's
// epoch; Invalidate increments the set's epoch. The protocol:
//
//   - A writer changes the backend first, so new reads see the new value,
//     then calls Invalidate(key), then acknowledges the write.
//   - A reader calls Get. On a miss it gets a RowToken (the set's epoch as
//     of the miss), reads the backend, and calls Fill with that token.
//     Fill stores the entry stamped with the token's epoch.
//
// Why no Get returns a value older than an acknowledged write: let W be a
// write acknowledged before a Get G starts. W incremented the set's epoch
// to some e before acknowledging, so G compares against an epoch >= e. An
// entry G accepts was filled with a token of that same epoch, hence taken
// after W's increment, hence after W changed the backend; the filler read
// the backend after taking the token, so it read W's value or a newer one.
// Entries filled with an older token, whenever they are stored, fail the
// epoch check. Invalidate also hides the other rows of the set: a few
// extra misses, never a stale read.
//
// Writers must not Fill with a value they wrote themselves (two writers
// racing could leave the older value with a current epoch); they only
// Invalidate, and readers fill.
//
// Slices returned by Get are shared and must not be modified. All methods
// are safe for concurrent use; a nil *RowCache caches nothing.
type RowCache struct {
	sets     []rowSet
	mask     uint64
	seed     maphash.Seed
	maxEntry int
}

// rowSet is one set: 32 bytes, so two sets share a 64-byte cache line and
// none straddles one.
type rowSet struct {
	epoch atomic.Uint64
	ways  [2]atomic.Pointer[rowEntry]
	_     uint64
}

// rowEntry is immutable once stored.
type rowEntry struct {
	epoch uint64
	hash  uint64
	klen  int
	data  []byte // key then value
}

func (e *rowEntry) key() []byte   { return e.data[:e.klen:e.klen] }
func (e *rowEntry) value() []byte { return e.data[e.klen:len(e.data):len(e.data)] }

// RowToken is what a Get miss hands to the Fill that follows it.
type RowToken struct {
	hash, epoch uint64
}

// NewRowCache returns a row cache using at most about capacity bytes, for
// rows whose key and value together are at most maxEntry bytes (0 means
// DefaultRowMaxEntry; larger rows are not cached). It has
// capacity/(2*(maxEntry+RowEntryOverhead)) sets, rounded down to a power
// of two; a capacity too small for one set gives a cache that caches
// nothing.
func NewRowCache(capacity int64, maxEntry int) (*RowCache, error) {
	if capacity < 0 {
		return nil, fmt.Errorf("%w: %d bytes", ErrInvalidCapacity, capacity)
	}
	if maxEntry < 0 {
		return nil, fmt.Errorf("cache: invalid row size limit %d", maxEntry)
	}
	if maxEntry == 0 {
		maxEntry = DefaultRowMaxEntry
	}
	c := &RowCache{seed: maphash.MakeSeed(), maxEntry: maxEntry}
	// One set holds two rows of maxEntry+RowEntryOverhead bytes; a limit
	// whose set would not fit the capacity (or not fit an int64) caches
	// nothing.
	if int64(maxEntry) > (capacity/2)-RowEntryOverhead {
		return c, nil
	}
	n := capacity / (2 * (int64(maxEntry) + RowEntryOverhead))
	if n < 1 {
		return c, nil
	}
	n = 1 << (bits.Len64(uint64(n)) - 1)
	c.sets = make([]rowSet, n)
	c.mask = uint64(n - 1)
	return c, nil
}

func (c *RowCache) set(key []byte) (*rowSet, uint64) {
	h := maphash.Bytes(c.seed, key)
	return &c.sets[h&c.mask], h
}

// Get returns the cached value of key. On a miss, tok is to be passed to
// the Fill of the value read from the backend.
func (c *RowCache) Get(key []byte) (value []byte, tok RowToken, ok bool) {
	if c == nil || len(c.sets) == 0 {
		return nil, RowToken{}, false
	}
	s, h := c.set(key)
	epoch := s.epoch.Load()
	for i := range s.ways {
		e := s.ways[i].Load()
		if e != nil && e.hash == h && e.epoch == epoch && bytes.Equal(e.key(), key) {
			return e.value(), RowToken{}, true
		}
	}
	return nil, RowToken{hash: h, epoch: epoch}, false
}

// Fill caches value as key's row, stamped with tok from the Get miss that
// preceded the backend read. Key and value are copied. A row larger than
// the limit, or a token from another key, is ignored.
func (c *RowCache) Fill(key, value []byte, tok RowToken) {
	if c == nil || len(c.sets) == 0 || len(key)+len(value) > c.maxEntry {
		return
	}
	s, h := c.set(key)
	if h != tok.hash {
		return
	}
	if s.epoch.Load() != tok.epoch {
		return // already invalidated: the entry could never be valid
	}
	data := make([]byte, len(key)+len(value))
	copy(data, key)
	copy(data[len(key):], value)
	e := &rowEntry{epoch: tok.epoch, hash: h, klen: len(key), data: data}
	way := -1
	for i := range s.ways {
		old := s.ways[i].Load()
		if old != nil && old.hash == h && bytes.Equal(old.key(), key) {
			way = i // the key's own way: replace it
			break
		}
		if way < 0 && (old == nil || old.epoch != tok.epoch) {
			way = i // an empty or invalid way
		}
	}
	if way < 0 {
		way = int(rand.Uint32() & 1)
	}
	s.ways[way].Store(e)
}

// Invalidate hides every cached row of key's set, key's included. Writers
// call it after the backend shows the new value and before acknowledging
// the write.
func (c *RowCache) Invalidate(key []byte) {
	if c == nil || len(c.sets) == 0 {
		return
	}
	s, _ := c.set(key)
	s.epoch.Add(1)
}

// Sets returns the number of sets (two rows each).
func (c *RowCache) Sets() int {
	if c == nil {
		return 0
	}
	return len(c.sets)
}
