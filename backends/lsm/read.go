package lsm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync/atomic"

	"github.com/lightningdb/lightning/backends/lsm/internal/bloom"
	"github.com/lightningdb/lightning/backends/lsm/internal/manifest"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/commit"
	"github.com/lightningdb/lightning/internal/percpu"
)

// readState is what a read needs, taken at once: the active memtable, the
// immutable ones (oldest first) and the current Version. A new one is
// published (under DB.mu) whenever any of them changes. Readers pin it
// without a lock and without writing a shared cache line (a
// percpu.RefCount): pin, then check that it is still the published one
// (else unpin and retry). The replaced readState is retired, and freed
// (its Version released) when its last reader unpins.
type readState struct {
	d    *DB
	rc   *percpu.RefCount
	mem  *commit.Table
	imms []*commit.Table
	v    *manifest.Version
}

// acquire pins the current readState and returns it with the shard to
// pass to release, or nil once the DB is closed. For reads at a
// registered snapshot's sequence number; a read of the latest state uses
// acquireLatest.
func (d *DB) acquire() (*readState, int) {
	rs, shard, _ := d.pin(false)
	return rs, shard
}

// acquireLatest is acquire for a read of the DB's latest state: it also
// returns the sequence number to read at, the visible one, loaded after
// the pin while the pinned readState is still the published one.
//
// The order matters. Such a read registers no snapshot, so flushes and
// compactions may drop any version that a newer one shadows. A sequence
// number loaded before the pin could be overtaken: newer versions
// written, their memtable flushed without the older ones, and the
// readState pinned afterwards would hold no version of a key at or below
// that sequence number but older, stale ones. Loaded after the pin, with
// the readState still published, every batch at or below it is in the
// pinned memtables or tables (no rotation or flush came in between), and
// those tables were written when every version they dropped had a newer
// one at or below it.
func (d *DB) acquireLatest() (*readState, int, uint64) {
	return d.pin(true)
}

// pin pins the published readState, loading the visible sequence number
// after the pin if latest, and retries if another was published
// meanwhile.
func (d *DB) pin(latest bool) (*readState, int, uint64) {
	for {
		rs := d.rs.Load()
		if rs == nil {
			return nil, 0, 0
		}
		s := rs.rc.Acquire()
		var seq uint64
		if latest {
			seq = d.visible.Load()
		}
		if testHookPinned != nil {
			testHookPinned()
		}
		if d.rs.Load() == rs {
			return rs, s, seq
		}
		rs.release(s)
	}
}

// testHookPinned, if set (by tests), runs in pin between the loads it
// checks against each other.
var testHookPinned func()

// release unpins rs (shard s from acquire).
func (rs *readState) release(s int) {
	if rs.rc.Release(s) {
		rs.free()
	}
}

// retire marks rs replaced; it is freed once no reader pins it.
func (rs *readState) retire() {
	if rs.rc.Retire() {
		rs.free()
	}
}

func (rs *readState) free() { rs.d.addObsolete(rs.v.Release()) }

// publishLocked makes a new readState of d.mem, d.imms and d.current.
// Under d.mu.
func (d *DB) publishLocked() {
	rs := &readState{d: d, rc: percpu.NewRefCount(), mem: d.mem, imms: append([]*commit.Table(nil), d.imms...), v: d.current}
	rs.v.Retain()
	if old := d.rs.Swap(rs); old != nil {
		old.retire()
	}
}

// Get appends the value of key to dst. It returns engine.ErrNotFound if
// the key is absent.
//
// A hot key is served by the row cache (engine/cache.RowCache) when one is
// configured: writers invalidate a key's row after publishing and before
// acknowledging, and a miss fills the row with a value read after taking
// the cache's token, so a row never hides an acknowledged write.
func (d *DB) Get(key, dst []byte) ([]byte, error) {
	if d.closed.Load() {
		return dst, fmt.Errorf("lsm: Get: %w", engine.ErrClosed)
	}
	if d.rc == nil {
		res, tables, err := d.get(key, dst, 0, true)
		d.ops.get(tables, false)
		return res, err
	}
	if !d.rowReads.Load() {
		d.rowReads.Store(true) // before the token: see write
	}
	v, tok, ok := d.rc.Get(key)
	if ok {
		d.ops.get(0, true)
		return append(dst, v...), nil
	}
	// The sequence number after the token (see RowCache): get loads it.
	res, tables, err := d.get(key, dst, 0, true)
	d.ops.get(tables, false)
	if err == nil && rand.Uint32()%rowFillOneIn == 0 {
		d.rc.Fill(key, res[len(dst):], tok)
	}
	return res, err
}

// rowFillOneIn: a Get that misses the row cache fills it one time in
// rowFillOneIn, at random. Rows are replaced at random, so the steady
// state holds the same share of hot keys whatever the fill rate, while
// each fill costs a copy and two allocations: filling on a quarter of the
// misses reaches that state four times more slowly (within a second at
// the reference workload's rates) for a quarter of the cost. (A simulation
// of YCSB's scrambled zipfian over 1M keys gave the same hit ratio, 0.47
// with 65536 sets, for fill rates 1, 1/2 and 1/4.)
const rowFillOneIn = 4

// get reads key as of sequence number seq (a registered snapshot's), or
// of the latest state if latest. It also returns the number of tables it
// consulted.
func (d *DB) get(key, dst []byte, seq uint64, latest bool) (_ []byte, tables int, _ error) {
	if len(key) == 0 {
		return dst, 0, engine.ErrNotFound
	}
	rs, shard, visible := d.pin(latest)
	if latest {
		seq = visible
	}
	if rs == nil {
		return dst, 0, fmt.Errorf("lsm: Get: %w", engine.ErrClosed)
	}
	defer rs.release(shard)
	if v, kind, ok := rs.mem.Skiplist().Get(key, seq); ok {
		return found(dst, v, kind, 0)
	}
	for i := len(rs.imms) - 1; i >= 0; i-- {
		if v, kind, ok := rs.imms[i].Skiplist().Get(key, seq); ok {
			return found(dst, v, kind, 0)
		}
	}
	h := bloom.Hash(key)
	l0 := rs.v.Levels[0]
	for i := len(l0) - 1; i >= 0; i-- {
		f := l0[i]
		if bytes.Compare(key, f.Smallest.UserKey) < 0 || bytes.Compare(key, f.Largest.UserKey) > 0 {
			continue
		}
		tables++
		v, kind, ok, err := d.getTable(f, key, h, seq)
		if err != nil {
			return dst, tables, err
		}
		if ok {
			if tables > 1 {
				d.ops.add(opL0Wasted, uint64(tables-1))
			}
			return found(dst, v, kind, tables)
		}
	}
	if tables > 0 {
		// Read-triggered compaction (see readCompactionLoop) counts them.
		d.ops.add(opL0Wasted, uint64(tables))
	}
	for level := 1; level < manifest.NumLevels; level++ {
		files := rs.v.Levels[level]
		if len(files) == 0 {
			continue
		}
		i := rs.v.FindFile(level, key)
		if i == len(files) || bytes.Compare(key, files[i].Smallest.UserKey) < 0 {
			continue
		}
		tables++
		v, kind, ok, err := d.getTable(files[i], key, h, seq)
		if err != nil {
			return dst, tables, err
		}
		if ok {
			return found(dst, v, kind, tables)
		}
	}
	return dst, tables, engine.ErrNotFound
}

// getTable looks key up in one table.
func (d *DB) getTable(f *manifest.FileMeta, key []byte, h, seq uint64) ([]byte, engine.Kind, bool, error) {
	t, err := d.tc.get(f.FileNum)
	if err != nil {
		return nil, 0, false, err
	}
	v, kind, ok, err := t.r.GetHashed(key, h, seq)
	d.tc.release(t)
	return v, kind, ok, err
}

func found(dst, v []byte, kind engine.Kind, tables int) ([]byte, int, error) {
	if kind == engine.KindDelete {
		return dst, tables, engine.ErrNotFound
	}
	return append(dst, v...), tables, nil
}

// NewIter returns an iterator over the current state of the DB.
func (d *DB) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	if d.closed.Load() {
		return nil, fmt.Errorf("lsm: NewIter: %w", engine.ErrClosed)
	}
	d.ops.add(opIterators, 1)
	// The sequence number is loaded after the pin: see acquireLatest.
	rs, shard, seq := d.acquireLatest()
	if rs == nil {
		return nil, fmt.Errorf("lsm: NewIter: %w", engine.ErrClosed)
	}
	return d.newIter(rs, shard, seq, opts), nil
}

// Snapshot is a read-only view of a DB frozen at a sequence number. It
// keeps the versions it needs alive through compactions (the DB's list of
// open snapshots) until Close.
type Snapshot struct {
	d      *DB
	seq    uint64
	closed atomic.Bool
}

var _ engine.Snapshot = (*Snapshot)(nil)

// NewSnapshot returns a view of the DB as it is now.
func (d *DB) NewSnapshot() (engine.Snapshot, error) {
	if d.closed.Load() {
		return nil, fmt.Errorf("lsm: NewSnapshot: %w", engine.ErrClosed)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// Under d.mu, so that a compaction picks either a list with this
	// snapshot or a moment when every input is at or below its sequence.
	s := &Snapshot{d: d, seq: d.visible.Load()}
	d.snapshots[s.seq]++
	return s, nil
}

func (s *Snapshot) check(what string) error {
	if s.closed.Load() || s.d.closed.Load() {
		return fmt.Errorf("lsm: snapshot %s: %w", what, engine.ErrClosed)
	}
	return nil
}

// Get appends the value key had at the snapshot to dst.
func (s *Snapshot) Get(key, dst []byte) ([]byte, error) {
	if err := s.check("Get"); err != nil {
		return dst, err
	}
	res, tables, err := s.d.get(key, dst, s.seq, false)
	s.d.ops.get(tables, false)
	return res, err
}

// NewIter returns an iterator over the snapshot's view.
func (s *Snapshot) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	if err := s.check("NewIter"); err != nil {
		return nil, err
	}
	s.d.ops.add(opIterators, 1)
	rs, shard := s.d.acquire()
	if rs == nil {
		return nil, fmt.Errorf("lsm: snapshot NewIter: %w", engine.ErrClosed)
	}
	return s.d.newIter(rs, shard, s.seq, opts), nil
}

// Close releases the snapshot. A second Close returns an error wrapping
// engine.ErrClosed.
func (s *Snapshot) Close() error {
	if s.closed.Swap(true) {
		return fmt.Errorf("lsm: snapshot: %w", engine.ErrClosed)
	}
	d := s.d
	d.mu.Lock()
	if d.snapshots[s.seq]--; d.snapshots[s.seq] <= 0 {
		delete(d.snapshots, s.seq)
	}
	d.mu.Unlock()
	return nil
}
