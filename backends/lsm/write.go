package lsm

import (
	"fmt"
	"sync"
	"time"

	"github.com/lightningdb/lightning/backends/lsm/internal/base"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/commit"
	"github.com/lightningdb/lightning/engine/memtable"
	"github.com/lightningdb/lightning/engine/wal"
)

// The commit pipeline is package commit's (see its documentation): under
// commitMu a batch gets room in the active memtable (makeRoom rotates it,
// or stalls, if needed), its sequence numbers, its WAL record and its place
// in the publication queue; it is inserted and published outside the
// mutex. A Sync write then waits for the WAL to be synced through its
// record; concurrent Sync writers share fsyncs (group commit).

// batchPool recycles the batches of Set and Delete.
var batchPool = sync.Pool{New: func() any { return engine.NewBatch() }}

// Set stores value under key.
func (d *DB) Set(key, value []byte, opts engine.WriteOptions) error {
	if err := d.opts.CheckKey(key); err != nil {
		return err
	}
	if err := d.opts.CheckValue(value); err != nil {
		return err
	}
	b := batchPool.Get().(*engine.Batch)
	b.Reset()
	b.Set(key, value)
	err := d.write(b, opts.Sync, memtable.EntrySize(len(key), len(value)), 1, len(key)+len(value))
	if err == nil {
		d.ops.add(opSets, 1)
	}
	batchPool.Put(b)
	return err
}

// Delete removes key.
func (d *DB) Delete(key []byte, opts engine.WriteOptions) error {
	if err := d.opts.CheckKey(key); err != nil {
		return err
	}
	b := batchPool.Get().(*engine.Batch)
	b.Reset()
	b.Delete(key)
	err := d.write(b, opts.Sync, memtable.EntrySize(len(key), 0), 1, len(key))
	if err == nil {
		d.ops.add(opDeletes, 1)
	}
	batchPool.Put(b)
	return err
}

// Apply applies every operation of b atomically. It sets b's sequence
// number; b is not retained.
func (d *DB) Apply(b *engine.Batch, opts engine.WriteOptions) error {
	if b == nil {
		return fmt.Errorf("lsm: Apply of a nil batch")
	}
	if err := d.opts.CheckBatch(b); err != nil {
		return err
	}
	if b.Empty() {
		return d.writable()
	}
	need, count, user := commit.BatchNeed(b)
	err := d.write(b, opts.Sync, need, count, user)
	if err == nil {
		d.ops.add(opBatches, 1)
	}
	return err
}

// writable returns the error that refuses writes, if any.
func (d *DB) writable() error {
	if d.closed.Load() {
		return fmt.Errorf("lsm: write: %w", engine.ErrClosed)
	}
	if d.opts.ReadOnly {
		return fmt.Errorf("lsm: write: %w", engine.ErrReadOnly)
	}
	if e := d.bgErr.Load(); e != nil {
		return *e
	}
	return nil
}

// write commits a validated, non-empty batch, whose reservation and user
// bytes are need, count and user (see commit.BatchNeed).
func (d *DB) write(b *engine.Batch, sync bool, need, count, user int) error {
	if err := d.writable(); err != nil {
		return err
	}
	if n := len(b.Repr()); n > wal.MaxRecordSize {
		return fmt.Errorf("lsm: %w: a batch of %d bytes exceeds the WAL's record limit of %d", commit.ErrBatchTooLarge, n, wal.MaxRecordSize)
	}
	d.commitMu.Lock()
	if err := d.writable(); err != nil {
		d.commitMu.Unlock()
		return err
	}
	mem, err := d.makeRoom(need, count)
	if err != nil {
		d.commitMu.Unlock()
		return err
	}
	seq := d.nextSeq
	last := seq + uint64(count) - 1
	if last > base.MaxSeq {
		d.commitMu.Unlock()
		return fmt.Errorf("lsm: sequence numbers exhausted")
	}
	b.SetSeq(seq)
	if _, err := d.wal.WriteRecord(b.Repr(), false); err != nil {
		d.commitMu.Unlock()
		d.fail(fmt.Errorf("lsm: WAL append: %w", err))
		return err
	}
	d.nextSeq = last + 1
	mem.Reserve(need, count, last)
	c := d.pub.Enqueue(last)
	d.commitMu.Unlock()

	ierr := mem.Apply(b, seq)
	d.pub.Finish(c, &d.visible)
	mem.Unreserve(need, count)
	if ierr != nil {
		ierr = fmt.Errorf("lsm: %w", ierr)
		d.fail(ierr)
		return ierr
	}
	d.ops.add(opUserBytes, uint64(user))
	if d.rc != nil && d.rowReads.Load() {
		// Published: now hide the old rows, before acknowledging. Until
		// a Get has set rowReads, no row exists to hide: a Get that sets
		// it after this load takes its token, and reads, after this
		// batch was published (atomics are sequentially consistent), so
		// it cannot cache an older value.
		r := b.Reader()
		for {
			_, key, _, ok := r.Next()
			if !ok {
				break
			}
			d.rc.Invalidate(key)
		}
	}
	if sync {
		if err := d.wal.Sync(); err != nil {
			d.fail(fmt.Errorf("lsm: WAL sync: %w", err))
			return err
		}
	}
	return nil
}

// makeRoom returns the memtable the batch goes into: the active one if it
// fits, else a new one after rotating (which may stall while flushes or
// level 0 are behind). Under commitMu.
func (d *DB) makeRoom(need, count int) (*commit.Table, error) {
	m := d.mem
	if m.Fits(need, count) {
		return m, nil
	}
	capacity, err := commit.Capacity(int(d.opts.MemTableSize), need, count)
	if err != nil {
		return nil, fmt.Errorf("lsm: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if m.Empty() {
		// Nothing written to it: swap it for one large enough.
		d.mem = commit.NewTable(capacity, m.LogNum())
		d.publishLocked()
		return d.mem, nil
	}
	if err := d.stallLocked(); err != nil {
		return nil, err
	}
	if err := d.rotateLocked(capacity); err != nil {
		return nil, err
	}
	return d.mem, nil
}

// stallLocked waits while too many memtables wait for flushing or level 0
// has too many files. Under d.mu (and commitMu).
func (d *DB) stallLocked() error {
	var start time.Time
	for {
		if err := d.bgErrLocked(); err != nil {
			return err
		}
		if d.closing {
			return fmt.Errorf("lsm: write: %w", engine.ErrClosed)
		}
		var why string
		switch {
		case len(d.imms) >= d.set.MaxImmutableMemTables:
			why = fmt.Sprintf("%d memtables waiting for flush", len(d.imms))
		case len(d.current.Levels[0]) >= d.set.L0StopWritesTrigger:
			why = fmt.Sprintf("%d files in level 0", len(d.current.Levels[0]))
		}
		if why == "" {
			break
		}
		if start.IsZero() {
			start = time.Now()
			d.stats.stalls.Add(1)
			d.opts.Logger.Logf("lsm: %s: write stall: %s", d.dir, why)
		}
		d.cond.Wait()
	}
	if !start.IsZero() {
		d.stats.stallNanos.Add(uint64(time.Since(start)))
	}
	return nil
}

// rotateLocked makes the active memtable immutable and starts a new one
// (of the given capacity) and a new WAL segment. Under commitMu and d.mu.
func (d *DB) rotateLocked(capacity int) error {
	logNum, err := d.wal.Rotate()
	if err != nil {
		d.failLocked(fmt.Errorf("lsm: WAL rotation: %w", err))
		return err
	}
	d.imms = append(d.imms, d.mem)
	d.mem = commit.NewTable(capacity, logNum)
	d.publishLocked()
	d.cond.Broadcast() // wakes the flusher
	return nil
}
