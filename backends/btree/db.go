package btree

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/commit"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/wal"
)

// Name is the name the backend registers under.
const Name = "btree"

// LockFile is the name of the lock file in the engine's directory.
const LockFile = "LOCK"

// WALDir is the name of the WAL's directory inside the engine's directory.
const WALDir = "wal"

func init() {
	engine.Register(Name, func(dir string, opts *engine.Options) (engine.Engine, error) {
		return Open(dir, opts)
	})
}

// DB is the btree engine. It implements engine.Engine; all its methods are
// safe for concurrent use.
type DB struct {
	opts     *engine.Options
	dir      string
	lock     io.Closer
	s        *store
	log      *wal.Log // nil when read-only
	readOnly bool
	// buf is the write buffer; nil when read-only or with
	// btree.write_buffer=false (writes then change the tree directly).
	buf *writeBuffer
	// replayed is the memtable replayBuffered filled last, and
	// replayedFull the full ones it left unmerged (oldest first), until
	// newWriteBuffer takes them over.
	replayed     *commit.Table
	replayedFull []*commit.Table

	seq    uint64 // last sequence number used; under s.mu
	closed atomic.Bool
	// delErr is the last failure to delete obsolete WAL segments; reported
	// by the next Flush or Close. Under s.mu.
	delErr error
	// lastCkpt is when the last checkpoint ended (or Open). Under s.mu.
	lastCkpt time.Time

	stop chan struct{} // closed by Close to stop the timer goroutine
	bg   sync.WaitGroup

	sets, deletes, batches, iters, userBytes atomic.Uint64
	stalls, stallNanos                       atomic.Uint64
}

var _ engine.Engine = (*DB)(nil)

// Open opens (creating if needed) the btree engine in dir. opts may be nil;
// it is cloned, completed with defaults and validated, never modified.
func Open(dir string, opts *engine.Options) (*DB, error) {
	o, err := opts.Prepare()
	if err != nil {
		return nil, err
	}
	st, err := parseSettings(o.Extra)
	if err != nil {
		return nil, err
	}
	kind, err := checksum.ParseKind(o.Checksum)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", engine.ErrInvalidOptions, err)
	}
	fs := o.FS
	if !o.ReadOnly {
		if err := fs.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	lock, err := fs.Lock(filepath.Join(dir, LockFile))
	if err != nil {
		return nil, fmt.Errorf("btree: locking %s: %w", dir, err)
	}
	db := &DB{opts: o, dir: dir, lock: lock, readOnly: o.ReadOnly, stop: make(chan struct{}), lastCkpt: time.Now()}
	if err := db.open(st, kind); err != nil {
		if db.log != nil {
			db.log.Close()
		}
		if db.s != nil {
			db.s.close()
		}
		lock.Close()
		return nil, err
	}
	if !db.readOnly && st.writeBuffer {
		db.buf = newWriteBuffer(db, st.memTables)
	}
	if !db.readOnly && (st.ckptInterval > 0 || st.idleCkpt > 0) {
		db.bg.Add(1)
		go db.checkpointTimer(st.ckptInterval, st.idleCkpt)
	}
	return db, nil
}

// checkpointTimer starts a checkpoint when dirty data has waited interval
// since the last checkpoint ended, or when no write came for idle (0:
// that trigger is off). A failure is kept (sticky, or as delErr) and
// reported by the next write, Flush or Close.
func (db *DB) checkpointTimer(interval, idle time.Duration) {
	defer db.bg.Done()
	tick := interval / 4
	if idle > 0 && (tick == 0 || idle/4 < tick) {
		tick = idle / 4
	}
	t := time.NewTicker(max(tick, time.Millisecond))
	defer t.Stop()
	// Writes (and checkpoints) advance s.gen, and buffered writes the
	// visible sequence number: quietSince is when the timer last saw
	// either move.
	var gen, seq uint64
	quietSince := time.Now()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
		}
		s := db.s
		s.mu.Lock()
		if s.gen != gen {
			gen, quietSince = s.gen, time.Now()
		}
		if db.buf != nil && db.buf.visible.Load() != seq {
			seq, quietSince = db.buf.visible.Load(), time.Now()
		}
		due := interval > 0 && time.Since(db.lastCkpt) >= interval
		quiet := idle > 0 && time.Since(quietSince) >= idle
		if db.buf != nil && (due || quiet) && !db.closed.Load() && s.failed == nil {
			// Freeze the buffered writes, if nothing is being merged:
			// the merger checkpoints after merging them.
			s.mu.Unlock()
			_ = db.buf.flush(false) // a failure is kept in s.failed
			s.mu.Lock()
		}
		if !db.closed.Load() && s.failed == nil && s.flight == nil && (due || quiet) && s.needsCheckpoint() {
			_ = db.startCheckpointLocked() // kept in s.failed
		}
		s.mu.Unlock()
	}
}

// open loads the data file, replays the WAL written since its checkpoint
// and, unless read-only, opens the WAL for new writes.
func (db *DB) open(st settings, kind checksum.Kind) error {
	o := db.opts
	s, err := openStore(storeConfig{
		fs: o.FS, dir: db.dir, pageSize: st.pageSize, kind: kind,
		cacheSize: o.CacheSize, readOnly: o.ReadOnly, logger: o.Logger,
		ckptWorkers: st.ckptWorkers,
	})
	if err != nil {
		return err
	}
	db.s = s
	db.seq = s.meta.LastSeq
	walDir := filepath.Join(db.dir, WALDir)
	replay := db.replay
	if !db.readOnly && st.writeBuffer {
		replay = func(dir string) error { return db.replayBuffered(dir, st.memTables) }
	}
	if err := replay(walDir); err != nil {
		return err
	}
	if db.readOnly {
		return nil
	}
	log, err := wal.Open(o.FS, walDir, wal.FromEngine(o))
	if err != nil {
		return err
	}
	db.log = log
	return nil
}

// replay applies the WAL records written after the checkpoint the store
// opened at.
func (db *DB) replay(walDir string) error {
	s := db.s
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	err := scanWAL(db.opts.FS, walDir, s, &db.seq, func(_ wal.Position, b *engine.Batch) error {
		if err := db.opts.CheckBatch(b); err != nil {
			return engine.Corruptf(walDir, -1, "batch %d over the size limits: %v", b.Seq(), err)
		}
		m := s.mark()
		w := s.newWriter()
		if err := applyBatch(w, b); err != nil {
			s.abort(m)
			return err
		}
		s.publish(w, b.Seq()+uint64(b.Len())-1)
		n++
		// Keep memory bounded while replaying a long log: checkpoint
		// (the WAL stays as it is, and is replayed from the same point).
		if !db.readOnly && s.dirty >= db.opts.MemTableSize {
			return s.checkpointSync(s.meta.WALLog)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n > 0 {
		db.opts.Logger.Logf("btree: %s: replayed %d WAL records, up to sequence %d", db.dir, n, db.seq)
	}
	return nil
}

// scanWAL reads the WAL in walDir and calls apply for every batch with
// sequence numbers above *seq, in order, advancing *seq past each. Records
// at or below *seq are skipped: they are in the store's checkpoint
// (segments a crash kept from deletion). Malformed records, a gap in the
// sequence numbers, and a checkpoint marker beyond where the WAL ends (the
// store's newest meta page is damaged) are corruption.
func scanWAL(fs vfs.FS, walDir string, s *store, seq *uint64, apply func(pos wal.Position, b *engine.Batch) error) error {
	var b engine.Batch
	var marker uint64 // highest sequence number a checkpoint marker names
	var markerPos wal.Position
	_, err := wal.Replay(fs, walDir, func(pos wal.Position, payload []byte) error {
		file := filepath.Join(walDir, wal.SegmentName(pos.Segment))
		if err := b.SetRepr(payload); err != nil {
			return &engine.CorruptionError{File: file, Offset: pos.Offset, Reason: "bad batch record", Err: err}
		}
		if b.Empty() {
			if b.Seq() > marker {
				marker, markerPos = b.Seq(), pos
			}
			return nil
		}
		if b.Seq() <= *seq {
			return nil
		}
		if b.Seq() != *seq+1 {
			return engine.Corruptf(file, pos.Offset, "batch with sequence number %d follows %d: records are missing", b.Seq(), *seq)
		}
		if err := apply(pos, &b); err != nil {
			return err
		}
		*seq += uint64(b.Len())
		return nil
	})
	if err != nil {
		return fmt.Errorf("btree: replaying the WAL: %w", err)
	}
	if marker > *seq {
		return engine.Corruptf(s.path, 0,
			"the WAL (%v) records a durable checkpoint through sequence %d, but the newest valid meta page (checkpoint %d) and the WAL reach only %d: the newest meta page is damaged",
			markerPos, marker, s.meta.Checkpoint, *seq)
	}
	return nil
}

// applyBatch applies every operation of b to w.
func applyBatch(w *writer, b *engine.Batch) error {
	r := b.Reader()
	for {
		kind, k, v, ok := r.Next()
		if !ok {
			return r.Err()
		}
		var err error
		if kind == engine.KindSet {
			err = w.set(k, v)
		} else {
			err = w.del(k)
		}
		if err != nil {
			return err
		}
	}
}

// usable returns the error refusing a write, if any.
func (db *DB) usable() error {
	if db.closed.Load() {
		return engine.ErrClosed
	}
	if db.readOnly {
		return engine.ErrReadOnly
	}
	return nil
}

var batchPool = sync.Pool{New: func() any { return engine.NewBatch() }}

// Set implements engine.Engine.
func (db *DB) Set(key, value []byte, opts engine.WriteOptions) error {
	if err := db.usable(); err != nil {
		return err
	}
	if err := db.opts.CheckKey(key); err != nil {
		return err
	}
	if err := db.opts.CheckValue(value); err != nil {
		return err
	}
	b := batchPool.Get().(*engine.Batch)
	defer batchPool.Put(b)
	b.Reset()
	b.Set(key, value)
	db.sets.Add(1)
	db.userBytes.Add(uint64(len(key) + len(value)))
	if db.buf != nil {
		return db.commitBuffered(b, opts)
	}
	return db.commit(b, opts, func(w *writer) error { return w.set(key, value) })
}

// Delete implements engine.Engine.
func (db *DB) Delete(key []byte, opts engine.WriteOptions) error {
	if err := db.usable(); err != nil {
		return err
	}
	if err := db.opts.CheckKey(key); err != nil {
		return err
	}
	b := batchPool.Get().(*engine.Batch)
	defer batchPool.Put(b)
	b.Reset()
	b.Delete(key)
	db.deletes.Add(1)
	db.userBytes.Add(uint64(len(key)))
	if db.buf != nil {
		return db.commitBuffered(b, opts)
	}
	return db.commit(b, opts, func(w *writer) error { return w.del(key) })
}

// Apply implements engine.Engine. It sets b's sequence number.
func (db *DB) Apply(b *engine.Batch, opts engine.WriteOptions) error {
	if err := db.usable(); err != nil {
		return err
	}
	if b == nil || b.Empty() {
		return nil
	}
	if err := db.opts.CheckBatch(b); err != nil {
		return err
	}
	db.batches.Add(1)
	db.userBytes.Add(uint64(b.Size() - engine.BatchHeaderLen))
	if db.buf != nil {
		return db.commitBuffered(b, opts)
	}
	return db.commit(b, opts, func(w *writer) error { return applyBatch(w, b) })
}

// commit builds the next version with apply, logs b (with its sequence
// number set) and publishes the version, all under the writer mutex; a
// write that fails to build or to log changes nothing. If the dirty bytes
// passed Options.MemTableSize it then starts a checkpoint, which runs in
// the background; if the previous one is still running, the writer first
// waits for it (a stall), so that dirty memory stays within about twice
// the budget. For a Sync write it waits, outside the mutex, until the WAL
// is durable through the record: concurrent Sync writers share fsyncs
// (group commit).
func (db *DB) commit(b *engine.Batch, opts engine.WriteOptions, apply func(w *writer) error) error {
	s := db.s
	s.mu.Lock()
	if db.closed.Load() {
		s.mu.Unlock()
		return engine.ErrClosed
	}
	if s.failed != nil {
		s.mu.Unlock()
		return s.failed
	}
	m := s.mark()
	w := s.newWriter()
	if err := apply(w); err != nil {
		s.abort(m)
		s.mu.Unlock()
		return err
	}
	b.SetSeq(db.seq + 1)
	if _, err := db.log.WriteRecord(b.Repr(), false); err != nil {
		s.abort(m)
		s.mu.Unlock()
		return fmt.Errorf("btree: writing the WAL: %w", err)
	}
	db.seq += uint64(b.Len())
	s.publish(w, db.seq)
	var err error
	if s.dirty >= db.opts.MemTableSize {
		if s.flight != nil {
			start := time.Now()
			for s.flight != nil {
				s.ckptDone.Wait()
			}
			db.stalls.Add(1)
			db.stallNanos.Add(uint64(time.Since(start)))
		}
		if s.failed == nil && s.dirty >= db.opts.MemTableSize && !db.closed.Load() {
			err = db.startCheckpointLocked()
		}
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if opts.Sync {
		if err := db.log.Sync(); err != nil {
			return fmt.Errorf("btree: syncing the WAL: %w", err)
		}
	}
	return nil
}

// startCheckpointLocked starts a checkpoint of the current version in
// the background (see store.beginCheckpoint). Without a write buffer it
// first rotates the WAL, so that every record of the version is in a
// segment below the new one; with one, the tree holds no record of the
// memtables, whose first segment (writeBuffer.oldest) recovery replays
// from. The caller holds s.mu; no checkpoint is in flight.
func (db *DB) startCheckpointLocked() error {
	s := db.s
	if s.failed != nil {
		return s.failed
	}
	if db.buf != nil {
		db.startCheckpointAt(db.buf.oldest.Load())
		return nil
	}
	walLog, err := db.log.Rotate()
	if err != nil {
		return s.setFailed(fmt.Errorf("btree: rotating the WAL: %w", err))
	}
	db.startCheckpointAt(walLog)
	return nil
}

// startCheckpointAt starts a checkpoint of the current version in the
// background, recording walLog as the first WAL segment recovery must
// replay. The caller holds s.mu; no checkpoint is in flight.
func (db *DB) startCheckpointAt(walLog uint64) {
	j := db.s.beginCheckpoint(walLog)
	db.bg.Add(1)
	go db.runCheckpoint(j)
}

// runCheckpoint writes checkpoint j, then, under s.mu, publishes it,
// writes its marker to the WAL and deletes the WAL segments it made
// obsolete.
func (db *DB) runCheckpoint(j *ckptJob) {
	defer db.bg.Done()
	s := db.s
	err := s.writeCheckpoint(j)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failCheckpoint(err)
		return
	}
	s.finishCheckpoint(j)
	db.lastCkpt = time.Now()
	// The marker: an empty batch carrying the checkpoint's last sequence
	// number, in a segment the checkpoint keeps. If the meta just written
	// is later damaged, recovery falls back to the older meta, finds the
	// marker and reports the damage instead of silently losing the writes
	// between the two checkpoints (whose WAL is about to be deleted).
	var mk engine.Batch
	mk.SetSeq(s.meta.LastSeq)
	// Synced before the segments go: recovery falling back to the older
	// meta must find it.
	if _, err := db.log.WriteRecord(mk.Repr(), true); err != nil {
		s.setFailed(fmt.Errorf("btree: writing the checkpoint marker: %w", err))
		return
	}
	if err := db.log.DeleteObsolete(s.meta.WALLog); err != nil {
		db.delErr = fmt.Errorf("btree: deleting obsolete WAL segments: %w", err)
	} else {
		db.delErr = nil
	}
}

// checkpointLocked waits for the checkpoint in flight, if any, then
// writes one more if anything changed, and waits for it. It returns the
// failure of either, or of deleting obsolete WAL segments. The caller
// holds s.mu.
func (db *DB) checkpointLocked() error {
	s := db.s
	for s.flight != nil {
		s.ckptDone.Wait()
	}
	if s.failed != nil {
		return s.failed
	}
	if s.needsCheckpoint() {
		if err := db.startCheckpointLocked(); err != nil {
			return err
		}
		for s.flight != nil {
			s.ckptDone.Wait()
		}
		if s.failed != nil {
			return s.failed
		}
	}
	return db.delErr
}

// Flush implements engine.Engine: it writes a checkpoint, so that every
// write so far is in the data file and the WAL before it is deleted.
func (db *DB) Flush() error {
	if db.closed.Load() {
		return engine.ErrClosed
	}
	if db.readOnly {
		return nil
	}
	if db.buf != nil {
		if err := db.buf.flush(true); err != nil {
			return err
		}
	}
	db.s.mu.Lock()
	defer db.s.mu.Unlock()
	if db.closed.Load() {
		return engine.ErrClosed
	}
	return db.checkpointLocked()
}

// Get implements engine.Reader.
func (db *DB) Get(key, dst []byte) ([]byte, error) {
	if db.closed.Load() {
		return dst, engine.ErrClosed
	}
	if wb := db.buf; wb != nil {
		bv := wb.view.Load()
		if bv.buffered() {
			out, done, err := bufGet(bv, wb.visible.Load(), key, dst)
			if done {
				db.s.reads.add(stripeOf(key), 1, 0, 0)
				return out, err
			}
		}
	}
	out, err := db.s.getLatest(key, dst)
	if err != nil && err != engine.ErrNotFound && db.closed.Load() {
		return dst, engine.ErrClosed
	}
	return out, err
}

// NewIter implements engine.Reader.
func (db *DB) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	if db.closed.Load() {
		return nil, engine.ErrClosed
	}
	return db.newIter(db.acquireView(), opts), nil
}

// newIter returns an iterator over rv, whose version the caller has
// pinned; the iterator releases the pin on Close. Over buffered writes it
// merges the memtables with the tree.
func (db *DB) newIter(rv readView, opts engine.IterOptions) engine.Iterator {
	it := db.newTreeIter(rv.v, opts)
	if !rv.buf.buffered() {
		return it
	}
	return newBufIter(rv, it, opts)
}

// newTreeIter returns an iterator over the tree of v, pinned by the
// caller; the iterator releases the pin on Close.
func (db *DB) newTreeIter(v *version, opts engine.IterOptions) *Iter {
	db.iters.Add(1)
	it := &Iter{
		t:        treeIter{s: db.s, v: v},
		dbClosed: db.closed.Load,
	}
	if opts.Lower != nil {
		it.lower = append([]byte{}, opts.Lower...)
	}
	if opts.Upper != nil {
		it.upper = append([]byte{}, opts.Upper...)
	}
	it.release = func() { db.s.readers.release(v) }
	return it
}

// NewSnapshot implements engine.Engine.
func (db *DB) NewSnapshot() (engine.Snapshot, error) {
	if db.closed.Load() {
		return nil, engine.ErrClosed
	}
	return &snapshot{db: db, rv: db.acquireView()}, nil
}

// Close implements engine.Engine: it writes a final checkpoint (unless the
// engine failed or is read-only), closes the WAL and the data file and
// releases the lock.
func (db *DB) Close() error {
	if !db.closed.CompareAndSwap(false, true) {
		return engine.ErrClosed
	}
	close(db.stop)
	s := db.s
	var errs []error
	if db.buf != nil {
		// Every failure of flush is the store's: checkpointLocked
		// reports it.
		_ = db.buf.flush(true)
	}
	s.mu.Lock()
	if db.log != nil {
		errs = append(errs, db.checkpointLocked())
	}
	s.mu.Unlock()
	if db.buf != nil {
		db.buf.close()
	}
	db.bg.Wait() // the timer, the merger, and the last checkpoint's goroutine
	s.mu.Lock()
	defer s.mu.Unlock()
	if db.log != nil {
		if err := db.log.Close(); err != nil {
			errs = append(errs, fmt.Errorf("btree: closing the WAL: %w", err))
		}
	}
	errs = append(errs, s.close(), db.lock.Close())
	return errors.Join(errs...)
}

// snapshot is a pinned view.
type snapshot struct {
	db     *DB
	rv     readView
	closed atomic.Bool
}

func (sn *snapshot) Get(key, dst []byte) ([]byte, error) {
	if sn.closed.Load() || sn.db.closed.Load() {
		return dst, engine.ErrClosed
	}
	if sn.rv.buf.buffered() {
		if out, done, err := bufGet(sn.rv.buf, sn.rv.seq, key, dst); done {
			sn.db.s.reads.add(stripeOf(key), 1, 0, 0)
			return out, err
		}
	}
	var st readStat
	out, err := sn.db.s.get(sn.rv.v, key, dst, &st)
	sn.db.s.reads.add(stripeOf(key), 1, st.hits, st.misses)
	return out, err
}

func (sn *snapshot) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	if sn.closed.Load() || sn.db.closed.Load() {
		return nil, engine.ErrClosed
	}
	sn.db.s.readers.pin(sn.rv.v)
	return sn.db.newIter(sn.rv, opts), nil
}

func (sn *snapshot) Close() error {
	if !sn.closed.CompareAndSwap(false, true) {
		return engine.ErrClosed
	}
	sn.db.s.readers.release(sn.rv.v)
	return nil
}

// FS returns the file system the engine was opened on (for tests and the
// checker).
func (db *DB) FS() vfs.FS { return db.opts.FS }
