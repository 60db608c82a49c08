package sstable

import (
	"bytes"
	"encoding/binary"
	"sort"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
)

// blockWriter builds one block in the format drawn in doc.go: prefix-
// compressed entries, then the restart array and its count.
type blockWriter struct {
	restartInterval int
	buf             []byte
	restarts        []uint32
	counter         int // entries since the last restart
	entries         int
	prevKey         []byte
}

// add appends an entry. Keys are not checked for order here; the Writer
// does that.
func (w *blockWriter) add(key, value []byte) {
	shared := 0
	if w.entries == 0 || w.counter >= w.restartInterval {
		w.restarts = append(w.restarts, uint32(len(w.buf)))
		w.counter = 0
	} else {
		shared = commonPrefix(w.prevKey, key)
	}
	w.buf = binary.AppendUvarint(w.buf, uint64(shared))
	w.buf = binary.AppendUvarint(w.buf, uint64(len(key)-shared))
	w.buf = binary.AppendUvarint(w.buf, uint64(len(value)))
	w.buf = append(w.buf, key[shared:]...)
	w.buf = append(w.buf, value...)
	w.prevKey = append(w.prevKey[:0], key...)
	w.counter++
	w.entries++
}

// size returns the size finish would return now.
func (w *blockWriter) size() int { return len(w.buf) + 4*len(w.restarts) + 4 }

// finish appends the restart array and returns the finished block, which
// aliases the writer's buffer until reset.
func (w *blockWriter) finish() []byte {
	for _, r := range w.restarts {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, r)
	}
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(w.restarts)))
	return w.buf
}

func (w *blockWriter) reset() {
	w.buf = w.buf[:0]
	w.restarts = w.restarts[:0]
	w.counter, w.entries = 0, 0
	w.prevKey = w.prevKey[:0]
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// cachedEntry is one decoded entry of a restart interval, kept so that Prev
// can walk an interval backwards after decoding it forwards once.
type cachedEntry struct {
	offset, next     int // entry start and the start of the entry after it
	keyStart, keyEnd int // the full key in blockIter.cacheKeys
	valStart, valEnd int // the value in the block
}

// blockIter decodes a block. Every read is bounds-checked: damaged bytes
// make it invalid with a corruption error, never a panic. With internal
// set, every key must be at least base.TrailerLen long and keys compare as
// encoded internal keys (seeks need this); without it, only First and Next
// may be used.
//
// Key and value: key is the iterator's own buffer (valid until the next
// move); val aliases the block.
type blockIter struct {
	file      string
	blockOff  int64 // offset of the block in its file, for errors
	internal  bool
	data      []byte
	restarts  int // offset of the restart array: entries end here
	nRestarts int

	offset, next int // current entry and the one after it
	key, val     []byte
	valid        bool
	err          error

	cache     []cachedEntry // entries of one restart interval, in order
	cacheKeys []byte
	cachePos  int // index of the current entry in cache, or -1
}

// init points the iterator at a block and checks its restart trailer. An
// empty block (no entries, zero restarts) is valid.
func (i *blockIter) init(file string, blockOff int64, data []byte, internal bool) error {
	// Field by field: a blockIter is reused (its buffers kept) and
	// zeroing the whole struct shows in Get's profile.
	i.file, i.blockOff, i.internal, i.data = file, blockOff, internal, data
	i.restarts, i.nRestarts = 0, 0
	i.offset, i.next = 0, 0
	i.key, i.val = i.key[:0], nil
	i.valid, i.err = false, nil
	i.cache, i.cacheKeys, i.cachePos = i.cache[:0], i.cacheKeys[:0], -1
	if len(data) < 4 {
		return i.fail("block of %d bytes has no restart count", len(data))
	}
	n := binary.LittleEndian.Uint32(data[len(data)-4:])
	if uint64(n) > uint64(len(data)-4)/4 {
		return i.fail("restart count %d does not fit in a block of %d bytes", n, len(data))
	}
	i.nRestarts = int(n)
	i.restarts = len(data) - 4 - 4*i.nRestarts
	switch {
	case i.nRestarts == 0 && i.restarts != 0:
		return i.fail("%d bytes of entries without a restart point", i.restarts)
	case i.nRestarts > 0 && binary.LittleEndian.Uint32(data[i.restarts:]) != 0:
		return i.fail("first restart point is %d, not 0", binary.LittleEndian.Uint32(data[i.restarts:]))
	}
	i.offset, i.next = i.restarts, i.restarts
	return nil
}

// reset drops the block (keeping the buffers): the iterator is
// unpositioned until the next init.
func (i *blockIter) reset() {
	i.data, i.val, i.key = nil, nil, i.key[:0]
	i.restarts, i.nRestarts, i.offset, i.next = 0, 0, 0, 0
	i.valid, i.err = false, nil
	i.cache, i.cacheKeys, i.cachePos = i.cache[:0], i.cacheKeys[:0], -1
}

func (i *blockIter) fail(format string, args ...any) error {
	i.valid = false
	if i.err == nil {
		i.err = engine.Corruptf(i.file, i.blockOff, "block: "+format, args...)
	}
	return i.err
}

// restartOffset returns the offset of restart point n.
func (i *blockIter) restartOffset(n int) (int, bool) {
	off := int(binary.LittleEndian.Uint32(i.data[i.restarts+4*n:]))
	if off >= i.restarts {
		i.fail("restart point %d at %d is past the entries (%d bytes)", n, off, i.restarts)
		return 0, false
	}
	return off, true
}

// header decodes the entry header at off: shared and unshared key lengths,
// value length, and where the key bytes start. It checks that the entry
// fits before the restart array.
func (i *blockIter) header(off int) (shared uint64, unshared, vlen, keyStart int, ok bool) {
	p := i.data[off:i.restarts]
	// The common case: three one-byte varints (keys and values under 128
	// bytes).
	if len(p) >= 3 && p[0]|p[1]|p[2] < 0x80 {
		u, v := int(p[1]), int(p[2])
		if u+v > len(p)-3 {
			i.fail("entry at %d (key %d, value %d bytes) overruns the block", off, u, v)
			return
		}
		return uint64(p[0]), u, v, off + 3, true
	}
	return i.headerSlow(off, p)
}

// headerSlow is header for multi-byte varints and damaged entries.
func (i *blockIter) headerSlow(off int, p []byte) (shared uint64, unshared, vlen, keyStart int, ok bool) {
	s, n1 := binary.Uvarint(p)
	if n1 <= 0 {
		i.fail("bad shared length at %d", off)
		return
	}
	u, n2 := binary.Uvarint(p[n1:])
	if n2 <= 0 {
		i.fail("bad key length at %d", off)
		return
	}
	v, n3 := binary.Uvarint(p[n1+n2:])
	if n3 <= 0 {
		i.fail("bad value length at %d", off)
		return
	}
	hdr := n1 + n2 + n3
	rest := uint64(len(p) - hdr)
	if u > rest || v > rest-u {
		i.fail("entry at %d (key %d, value %d bytes) overruns the block", off, u, v)
		return
	}
	return s, int(u), int(v), off + hdr, true
}

// readEntry decodes the entry at off, whose predecessor's key is in i.key
// (empty at a restart point).
func (i *blockIter) readEntry(off int) bool {
	shared, unshared, vlen, ks, ok := i.header(off)
	if !ok {
		return false
	}
	if shared > uint64(len(i.key)) { // unsigned: a huge value must not wrap
		i.fail("entry at %d shares %d bytes with a %d-byte key", off, shared, len(i.key))
		return false
	}
	i.key = append(i.key[:shared], i.data[ks:ks+unshared]...)
	if i.internal && len(i.key) < base.TrailerLen {
		i.fail("key of %d bytes at %d is shorter than an internal key trailer", len(i.key), off)
		return false
	}
	vs := ks + unshared
	i.val = i.data[vs : vs+vlen : vs+vlen]
	i.offset, i.next = off, vs+vlen
	i.valid = true
	return true
}

// restartKey returns the full key stored at restart point n, aliasing the
// block.
func (i *blockIter) restartKey(n int) ([]byte, bool) {
	off, ok := i.restartOffset(n)
	if !ok {
		return nil, false
	}
	shared, unshared, _, ks, ok := i.header(off)
	if !ok {
		return nil, false
	}
	if shared != 0 {
		i.fail("restart point %d at %d shares %d key bytes", n, off, shared)
		return nil, false
	}
	if i.internal && unshared < base.TrailerLen {
		i.fail("key of %d bytes at %d is shorter than an internal key trailer", unshared, off)
		return nil, false
	}
	return i.data[ks : ks+unshared], true
}

func (i *blockIter) invalidate() bool {
	i.valid = false
	i.cache, i.cachePos = i.cache[:0], -1
	return false
}

// seekRestart positions at restart point n (key reset).
func (i *blockIter) seekRestart(n int) bool {
	i.cache, i.cachePos = i.cache[:0], -1
	off, ok := i.restartOffset(n)
	if !ok {
		return false
	}
	i.key = i.key[:0]
	return i.readEntry(off)
}

// First moves to the first entry.
func (i *blockIter) First() bool {
	if i.err != nil || i.nRestarts == 0 {
		return i.invalidate()
	}
	return i.seekRestart(0)
}

// Next moves to the next entry.
func (i *blockIter) Next() bool {
	if !i.valid || i.err != nil {
		return i.invalidate()
	}
	if i.next >= i.restarts {
		i.offset = i.restarts
		return i.invalidate()
	}
	if i.cachePos >= 0 && i.cachePos+1 < len(i.cache) {
		i.cachePos++
		i.fromCache()
		return true
	}
	i.cache, i.cachePos = i.cache[:0], -1
	return i.readEntry(i.next)
}

// Last moves to the last entry.
func (i *blockIter) Last() bool {
	if i.err != nil || i.nRestarts == 0 {
		return i.invalidate()
	}
	return i.fillCache(i.nRestarts-1, i.restarts)
}

// Prev moves to the previous entry, decoding the restart interval before
// the current entry forwards once and then walking its cached entries.
func (i *blockIter) Prev() bool {
	if !i.valid || i.err != nil {
		return i.invalidate()
	}
	if i.cachePos > 0 {
		i.cachePos--
		i.fromCache()
		return true
	}
	target := i.offset
	if target == 0 {
		return i.invalidate()
	}
	// The last restart point before target starts the interval holding
	// the previous entry.
	n := sort.Search(i.nRestarts, func(n int) bool {
		off, ok := i.restartOffset(n)
		return !ok || off >= target
	})
	if i.err != nil {
		return false
	}
	if n == 0 {
		i.fail("entry at %d lies before the first restart point", target)
		return false
	}
	return i.fillCache(n-1, target)
}

// fillCache decodes the entries from restart point n up to (not
// including) offset end into the cache and positions at the last one.
func (i *blockIter) fillCache(n, end int) bool {
	if !i.seekRestart(n) {
		return false
	}
	i.cacheKeys = i.cacheKeys[:0]
	for {
		ks := len(i.cacheKeys)
		i.cacheKeys = append(i.cacheKeys, i.key...)
		vs := i.next - len(i.val)
		i.cache = append(i.cache, cachedEntry{
			offset: i.offset, next: i.next,
			keyStart: ks, keyEnd: len(i.cacheKeys),
			valStart: vs, valEnd: i.next,
		})
		if i.next >= end {
			break
		}
		if !i.readEntry(i.next) {
			i.cache = i.cache[:0]
			return false
		}
	}
	if i.next != end {
		i.cache = i.cache[:0]
		i.fail("entries from restart point %d end at %d, not at %d", n, i.next, end)
		return false
	}
	i.cachePos = len(i.cache) - 1
	i.fromCache()
	return true
}

func (i *blockIter) fromCache() {
	e := i.cache[i.cachePos]
	i.key = append(i.key[:0], i.cacheKeys[e.keyStart:e.keyEnd]...)
	i.val = i.data[e.valStart:e.valEnd:e.valEnd]
	i.offset, i.next = e.offset, e.next
	i.valid = true
}

// SeekGE moves to the first entry whose key is >= target (encoded
// internal keys; the iterator must be internal).
func (i *blockIter) SeekGE(target []byte) bool {
	if i.err != nil || i.nRestarts == 0 {
		return i.invalidate()
	}
	// The first restart point whose key is > target; the entry sought is
	// in the interval before it.
	lo, hi := 0, i.nRestarts
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		k, ok := i.restartKey(m)
		if !ok {
			return false
		}
		if base.CompareEncoded(k, target) > 0 {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if !i.seekRestart(max(lo-1, 0)) {
		return false
	}
	for base.CompareEncoded(i.key, target) < 0 {
		if !i.Next() {
			return false
		}
	}
	return true
}

// SeekLT moves to the last entry whose key is < target.
func (i *blockIter) SeekLT(target []byte) bool {
	if i.SeekGE(target) {
		return i.Prev()
	}
	if i.err != nil {
		return false
	}
	return i.Last()
}

// Valid reports whether the iterator is at an entry.
func (i *blockIter) Valid() bool { return i.valid }

// keyEqualUser reports whether the current (internal) key's user key is u.
func (i *blockIter) keyEqualUser(u []byte) bool {
	return bytes.Equal(i.key[:len(i.key)-base.TrailerLen], u)
}
