package lsm

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/memtable"
)

// memTable is a skiplist with the bookkeeping of the commit pipeline.
//
// Space is reserved before a batch is inserted, under the commit mutex, so
// that Add never meets memtable.ErrArenaFull and a batch is never split
// across memtables: a reservation counts the worst case of every entry
// (memtable.EntrySize: a node of the maximum height) and one index slot
// per entry, and fits admits it only if the arena and the index have room
// for it on top of what is allocated and what other reservations may still
// take. The index bound uses the memtable package's documented sizing
// (one 8-byte slot per 104 bytes of capacity, new keys up to 3/4 of the
// slots).
type memTable struct {
	sl         *memtable.Skiplist
	logNum     uint64 // the WAL segment of its first record
	capacity   int
	maxEntries int

	inflightBytes atomic.Int64 // reserved and not yet inserted
	inflightOps   atomic.Int64

	// Under the commit mutex (and read by the flush after wg.Wait):
	ops    int    // operations reserved in total
	maxSeq uint64 // largest sequence number reserved
	wg     sync.WaitGroup
}

// Index sizing of package memtable (see its documentation).
const (
	memIndexRatio = 104
	memMinSlots   = 4
)

func newMemTable(capacity int, logNum uint64) *memTable {
	sl := memtable.New(capacity)
	c := sl.Capacity()
	slots := max(c/memIndexRatio, memMinSlots)
	return &memTable{sl: sl, logNum: logNum, capacity: c, maxEntries: slots * 3 / 4}
}

// batchNeed returns what a batch reserves (worst-case arena bytes and
// entries) and its key and value bytes.
func batchNeed(b *engine.Batch) (need, count, user int) {
	r := b.Reader()
	for {
		_, key, value, ok := r.Next()
		if !ok {
			return need, count, user
		}
		need += memtable.EntrySize(len(key), len(value))
		user += len(key) + len(value)
		count++
	}
}

// errBatchTooLarge is returned for a batch larger than a memtable can be.
var errBatchTooLarge = errors.New("lsm: batch too large for a memtable")

// capacityFor returns the capacity of a memtable that fits a batch with
// the given reservation even when empty.
func capacityFor(need, count int) (int, error) {
	byArena := (need+1024)/(memIndexRatio-8)*memIndexRatio + 2*memIndexRatio
	byIndex := (count*4/3+2)*memIndexRatio + memIndexRatio
	c := max(byArena, byIndex)
	if uint64(c) > memtable.MaxCapacity || c < 0 {
		return 0, fmt.Errorf("%w: it needs %d bytes of memtable, more than the %d a memtable can hold", errBatchTooLarge, need, memtable.MaxCapacity)
	}
	return c, nil
}

// fits reports whether a batch of the given reservation fits now.
func (m *memTable) fits(need, count int) bool {
	return m.sl.Size()+int(m.inflightBytes.Load())+need <= m.capacity &&
		m.sl.Len()+int(m.inflightOps.Load())+count <= m.maxEntries
}

// empty reports whether no batch was ever reserved in m. Under the commit
// mutex.
func (m *memTable) empty() bool { return m.ops == 0 }

// reserve records a batch about to be inserted. Under the commit mutex.
func (m *memTable) reserve(need, count int, last uint64) {
	m.inflightBytes.Add(int64(need))
	m.inflightOps.Add(int64(count))
	m.ops += count
	m.maxSeq = max(m.maxSeq, last)
	m.wg.Add(1)
}

// unreserve ends a reservation once its batch is inserted.
func (m *memTable) unreserve(need, count int) {
	m.inflightBytes.Add(-int64(need))
	m.inflightOps.Add(-int64(count))
	m.wg.Done()
}

// apply inserts every operation of b, numbered from seq.
func (m *memTable) apply(b *engine.Batch, seq uint64) error {
	r := b.Reader()
	for {
		kind, key, value, ok := r.Next()
		if !ok {
			return r.Err()
		}
		if err := m.sl.Add(key, seq, kind, value); err != nil {
			return fmt.Errorf("lsm: internal error: memtable insert of seq %d: %w", seq, err)
		}
		seq++
	}
}

// internalIterator walks internal keys in order (user key ascending, then
// sequence number descending), every version of every key. Seeks take user
// keys: SeekGE lands on the newest version of the smallest user key >= the
// key, SeekLT on the oldest version of the largest user key < the key.
// Key's UserKey is valid until the next move; Value stays valid as long as
// the source (memtable, table block) is referenced.
type internalIterator interface {
	First() bool
	Last() bool
	SeekGE(userKey []byte) bool
	SeekLT(userKey []byte) bool
	Next() bool
	Prev() bool
	Valid() bool
	Key() base.InternalKey
	Value() []byte
	Error() error
	Close() error
}

// memIter adapts a memtable iterator. The zero value is unusable until
// init.
type memIter struct {
	it memtable.Iterator
}

func newMemIter(m *memTable) *memIter {
	mi := &memIter{}
	mi.init(m)
	return mi
}

func (m *memIter) init(mt *memTable) { m.it = *mt.sl.NewIter() }

func (m *memIter) First() bool                { return m.it.First() }
func (m *memIter) Last() bool                 { return m.it.Last() }
func (m *memIter) SeekGE(userKey []byte) bool { return m.it.SeekGE(userKey) }
func (m *memIter) SeekLT(userKey []byte) bool { return m.it.SeekLT(userKey) }
func (m *memIter) Next() bool                 { return m.it.Next() }
func (m *memIter) Prev() bool                 { return m.it.Prev() }
func (m *memIter) Valid() bool                { return m.it.Valid() }
func (m *memIter) Value() []byte              { return m.it.Value() }
func (m *memIter) Error() error               { return nil }
func (m *memIter) Close() error               { return nil }
func (m *memIter) Key() base.InternalKey {
	return base.InternalKey{UserKey: m.it.Key(), Trailer: base.MakeTrailer(m.it.Seq(), m.it.Kind())}
}
