package sstable

import (
	"bytes"
	"encoding/binary"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
)

// indexSummary makes the search of a pinned index block cheap. A binary
// search of the block itself reads a restart offset and a key scattered
// over the block for each of its ~log2(n) probes; the summary holds, for
// every index entry, the 8 bytes of its separator's user key that follow
// the prefix all separators share, as one big-endian integer (zero-padded):
// a binary search over that compact array finds the few entries whose 8
// bytes equal the target's, and only those are compared in full.
//
// It is exact because the integer is monotonic in the user key among keys
// with the prefix: an entry whose integer is below the target's has a
// smaller user key (so a smaller internal key), one whose integer is above
// it has a larger one. It exists only for blocks where every entry is a
// restart point (what Writer produces for index blocks). It lives in
// memory only; nothing of it is stored.
type indexSummary struct {
	prefix []byte   // the user-key prefix of every separator (a copy)
	keys   []uint64 // per entry, in order
}

// summaryKey returns the 8 bytes of userKey after skip, big-endian,
// zero-padded.
func summaryKey(userKey []byte, skip int) uint64 {
	var b [8]byte
	if len(userKey) > skip {
		copy(b[:], userKey[skip:])
	}
	return binary.BigEndian.Uint64(b[:])
}

// size returns the memory the summary holds.
func (s *indexSummary) size() int64 {
	return int64(cap(s.prefix) + 8*cap(s.keys))
}

// buildSummary reads every entry of the index block it was initialized
// on. It returns nil, and no error, for an empty block or one whose
// entries are not all restart points, and the iterator's corruption error
// for a damaged block or keys out of order.
func buildSummary(it *blockIter) (*indexSummary, error) {
	n := it.nRestarts
	if n == 0 {
		return nil, nil
	}
	first, ok := it.restartKey(0)
	if !ok {
		return nil, it.err
	}
	last, ok := it.restartKey(n - 1)
	if !ok {
		return nil, it.err
	}
	ua, ub := first[:len(first)-base.TrailerLen], last[:len(last)-base.TrailerLen]
	skip := commonPrefix(ua, ub)
	s := &indexSummary{prefix: bytes.Clone(ua[:skip]), keys: make([]uint64, n)}
	count := 0
	for ok := it.First(); ok; ok = it.Next() {
		if count == n {
			return nil, nil // more entries than restart points
		}
		off, ok := it.restartOffset(count)
		if !ok {
			return nil, it.err
		}
		if it.offset != off {
			return nil, nil // an entry between restart points
		}
		u := it.key[:len(it.key)-base.TrailerLen]
		if !bytes.HasPrefix(u, s.prefix) {
			return nil, it.fail("index key %s does not lie between the first and the last", fmtKey(it.key))
		}
		s.keys[count] = summaryKey(u, skip)
		if count > 0 && s.keys[count] < s.keys[count-1] {
			return nil, it.fail("index key %s out of order", fmtKey(it.key))
		}
		count++
	}
	if it.err != nil {
		return nil, it.err
	}
	if count != n {
		return nil, nil
	}
	return s, nil
}

// search returns the number of the first entry of the block under it
// whose key is >= target, an encoded internal key with user key userKey;
// n (the entry count) if there is none. ok is false if the block is
// damaged (it.err says how).
func (s *indexSummary) search(it *blockIter, userKey, target []byte) (int, bool) {
	n, skip := len(s.keys), len(s.prefix)
	if len(userKey) < skip || !bytes.Equal(userKey[:skip], s.prefix) {
		// Every separator has the prefix: the target sorts before all of
		// them or after all of them.
		if bytes.Compare(userKey[:min(len(userKey), skip)], s.prefix) <= 0 {
			return 0, true
		}
		return n, true
	}
	t := summaryKey(userKey, skip)
	lo, hi := 0, n
	for lo < hi { // the first entry with an integer >= t
		m := int(uint(lo+hi) >> 1)
		if s.keys[m] < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	for e := n; hi < e; { // the first entry with an integer > t
		m := int(uint(hi+e) >> 1)
		if s.keys[m] > t {
			e = m
		} else {
			hi = m + 1
		}
	}
	// Entries before lo are below the target, entries from hi on above.
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		k, ok := it.restartKey(m)
		if !ok {
			return 0, false
		}
		if base.CompareEncoded(k, target) >= 0 {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo, true
}
