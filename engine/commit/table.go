package commit

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/memtable"
)

// Index sizing of package memtable (see its documentation): one 8-byte
// slot per indexRatio bytes of capacity, at least minSlots.
const (
	indexRatio = 104
	minSlots   = 4
)

// Table is a memtable.Skiplist with the reservation bookkeeping of the
// commit pipeline (see the package documentation).
//
// Concurrency: Reserve, Empty, and (before Wait) MaxSeq and Ops are called
// under the backend's commit mutex; Fits under it too when its answer is
// acted on. Apply and Unreserve are called by the writer that reserved,
// outside the mutex, concurrently with other writers. Wait may be called
// from any goroutine, and once it returns MaxSeq and Ops may be read
// without the mutex as long as no more batches are reserved in the Table.
type Table struct {
	sl         *memtable.Skiplist
	logNum     uint64
	capacity   int
	maxEntries int

	inflightBytes atomic.Int64 // reserved and not yet inserted
	inflightOps   atomic.Int64

	// Under the commit mutex (and read after Wait):
	ops    int    // operations reserved in total
	maxSeq uint64 // largest sequence number reserved
	wg     sync.WaitGroup
}

// NewTable returns an empty Table of the given capacity (bounded as by
// memtable.New) whose first record is in WAL segment logNum.
func NewTable(capacity int, logNum uint64) *Table {
	sl := memtable.New(capacity)
	c := sl.Capacity()
	slots := max(c/indexRatio, minSlots)
	return &Table{sl: sl, logNum: logNum, capacity: c, maxEntries: slots * 3 / 4}
}

// Skiplist returns the Table's skiplist, for reads and iteration. Writes
// go through Reserve and Apply.
func (t *Table) Skiplist() *memtable.Skiplist { return t.sl }

// LogNum returns the WAL segment of the Table's first record.
func (t *Table) LogNum() uint64 { return t.logNum }

// Fits reports whether a batch of the given reservation (see BatchNeed)
// fits now, on top of what is inserted and what is reserved.
func (t *Table) Fits(need, count int) bool {
	return t.sl.Size()+int(t.inflightBytes.Load())+need <= t.capacity &&
		t.sl.Len()+int(t.inflightOps.Load())+count <= t.maxEntries
}

// Empty reports whether no batch was ever reserved in t. Under the commit
// mutex.
func (t *Table) Empty() bool { return t.ops == 0 }

// Reserve records a batch of the given reservation, whose last sequence
// number is last, about to be inserted. Under the commit mutex, after Fits
// said yes. Every Reserve is paired with an Unreserve.
func (t *Table) Reserve(need, count int, last uint64) {
	t.inflightBytes.Add(int64(need))
	t.inflightOps.Add(int64(count))
	t.ops += count
	t.maxSeq = max(t.maxSeq, last)
	t.wg.Add(1)
}

// Unreserve ends a reservation once its batch is inserted (or has failed
// to be). Safe from any goroutine.
func (t *Table) Unreserve(need, count int) {
	t.inflightBytes.Add(-int64(need))
	t.inflightOps.Add(-int64(count))
	t.wg.Done()
}

// Apply inserts every operation of b into the skiplist, numbered from seq.
// It does not retain b. Safe concurrently with other Applies and with
// reads. An error means the pipeline's bookkeeping is broken (a
// reservation that did not hold, a duplicate sequence number) or b is
// malformed.
func (t *Table) Apply(b *engine.Batch, seq uint64) error {
	r := b.Reader()
	for {
		kind, key, value, ok := r.Next()
		if !ok {
			return r.Err()
		}
		if err := t.sl.Add(key, seq, kind, value); err != nil {
			return fmt.Errorf("commit: internal error: memtable insert of seq %d: %w", seq, err)
		}
		seq++
	}
}

// Wait returns once every reserved batch has been unreserved.
func (t *Table) Wait() { t.wg.Wait() }

// MaxSeq returns the largest sequence number reserved in t (0 if none).
// Under the commit mutex, or after Wait.
func (t *Table) MaxSeq() uint64 { return t.maxSeq }

// Ops returns the number of operations reserved in t in total. Under the
// commit mutex, or after Wait.
func (t *Table) Ops() int { return t.ops }

// BatchNeed returns what a batch reserves, need worst-case arena bytes and
// count entries, and user, its key and value bytes.
func BatchNeed(b *engine.Batch) (need, count, user int) {
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

// CapacityFor returns the capacity of a Table that fits a batch of the
// given reservation even when empty. For a batch larger than any memtable
// it returns an error wrapping ErrBatchTooLarge.
func CapacityFor(need, count int) (int, error) {
	byArena := (need+1024)/(indexRatio-8)*indexRatio + 2*indexRatio
	byIndex := (count*4/3+2)*indexRatio + indexRatio
	c := max(byArena, byIndex)
	if uint64(c) > memtable.MaxCapacity || c < 0 {
		return 0, fmt.Errorf("%w: it needs %d bytes of memtable, more than the %d a memtable can hold", ErrBatchTooLarge, need, memtable.MaxCapacity)
	}
	return c, nil
}

// FitsEmpty reports whether a batch of the given reservation fits an empty
// Table of capacity standard. When it does not, the backend makes a Table
// of CapacityFor's size for it.
func FitsEmpty(standard, need, count int) bool {
	c, err := CapacityFor(need, count)
	return err == nil && c <= standard
}

// Capacity returns the capacity of a new Table for a batch of the given
// reservation: standard if the batch fits an empty Table of that size,
// else CapacityFor's (or its error).
func Capacity(standard, need, count int) (int, error) {
	if FitsEmpty(standard, need, count) {
		return standard, nil
	}
	return CapacityFor(need, count)
}
