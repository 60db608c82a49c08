package refengine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// kv is one entry of a sorted view.
type kv struct {
	key, value []byte
}

// DB is the reference engine. It implements engine.Engine and the kit's
// optional Compact hook.
type DB struct {
	fs   vfs.FS
	dir  string
	opts *engine.Options
	bug  Bug

	// mu guards everything below; writes hold it exclusively, reads shared.
	mu     sync.RWMutex
	data   map[string][]byte
	seq    uint64 // sequence number of the last applied batch
	log    vfs.File
	logNum uint64
	logLen int64
	poison error // the first write or sync error; every later write fails
	lock   io.Closer
	// cache is a small hot-row cache in front of data for Get (a second
	// read path, which BugStaleAfterDelete gets wrong).
	cache map[string][]byte

	// sorted caches the sorted view of data; nil after any write. Readers
	// build it under mu.RLock (no writer can run then) and store it.
	sorted atomic.Pointer[[]kv]
	closed atomic.Bool

	gets, sets, dels, batches, iters atomic.Uint64
}

var _ engine.Engine = (*DB)(nil)

const cacheMax = 1024

func segName(num uint64) string { return fmt.Sprintf("%06d.log", num) }

// Open opens (creating if needed) a reference engine in dir on fs. opts is
// prepared (cloned, defaulted, validated) here; its FS field is ignored in
// favour of fs. bug selects a deliberately broken variant (NoBug for the
// correct engine).
func Open(fs vfs.FS, dir string, opts *engine.Options, bug Bug) (*DB, error) {
	o, err := opts.Prepare()
	if err != nil {
		return nil, err
	}
	o.FS = fs
	db := &DB{fs: fs, dir: dir, opts: o, bug: bug, data: map[string][]byte{}, cache: map[string][]byte{}}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("refengine: %w", err)
	}
	db.lock, err = fs.Lock(path.Join(dir, "LOCK"))
	if err != nil {
		return nil, fmt.Errorf("refengine: open %s: %w", dir, err)
	}
	if err := db.recover(); err != nil {
		if db.log != nil {
			db.log.Close()
		}
		db.lock.Close()
		return nil, err
	}
	return db, nil
}

// recover replays the segments and starts a new one.
func (db *DB) recover() error {
	names, err := db.fs.List(db.dir)
	if err != nil {
		return fmt.Errorf("refengine: %w", err)
	}
	var nums []uint64
	for _, name := range names {
		base, ext, _ := strings.Cut(name, ".")
		num, err := strconv.ParseUint(base, 10, 64)
		if err != nil || len(base) != 6 {
			continue
		}
		switch ext {
		case "tmp":
			if !db.opts.ReadOnly {
				if err := db.fs.Remove(path.Join(db.dir, name)); err != nil {
					return fmt.Errorf("refengine: %w", err)
				}
			}
		case "log":
			nums = append(nums, num)
		}
	}
	slices.Sort(nums)
	// Replay everything first; BugDropNewestSynced forgets the last batch.
	type pending struct {
		name string
		recs []record
	}
	var all []pending
	for i, num := range nums {
		name := path.Join(db.dir, segName(num))
		data, err := vfs.ReadFile(db.fs, name)
		if err != nil {
			return fmt.Errorf("refengine: %w", err)
		}
		last := i == len(nums)-1
		recs, valid, err := parseSegment(name, data, last, db.bug == BugIgnoreCorruption)
		if err != nil {
			return err
		}
		if valid < int64(len(data)) && !db.opts.ReadOnly {
			if err := truncateSync(db.fs, name, valid); err != nil {
				return fmt.Errorf("refengine: cutting the torn tail of %s: %w", name, err)
			}
		}
		all = append(all, pending{name, recs})
	}
	if db.bug == BugDropNewestSynced {
		for i := len(all) - 1; i >= 0; i-- {
			if n := len(all[i].recs); n > 0 {
				all[i].recs = all[i].recs[:n-1]
				break
			}
		}
	}
	for _, p := range all {
		for _, r := range p.recs {
			if err := db.replay(p.name, r); err != nil {
				return err
			}
		}
	}
	db.logNum = 0
	if len(nums) > 0 {
		db.logNum = nums[len(nums)-1]
	}
	if db.opts.ReadOnly {
		return nil
	}
	return db.newSegment()
}

func (db *DB) replay(name string, r record) error {
	var b engine.Batch
	if err := b.SetRepr(r.batch); err != nil {
		return &engine.CorruptionError{File: name, Offset: r.offset, Reason: "bad batch in record", Err: err}
	}
	switch r.typ {
	case typeBase:
		if b.Seq() < db.seq {
			return engine.Corruptf(name, r.offset, "base record at sequence %d after sequence %d", b.Seq(), db.seq)
		}
		clear(db.data)
	case typeBatch:
		if b.Seq() != db.seq+1 {
			return engine.Corruptf(name, r.offset, "batch sequence %d, want %d", b.Seq(), db.seq+1)
		}
	}
	db.seq = b.Seq()
	db.applyLocked(&b)
	return nil
}

func truncateSync(fs vfs.FS, name string, size int64) error {
	f, err := fs.OpenReadWrite(name)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// newSegment syncs and closes the current segment (if any) and starts the
// next one, durably named. Caller holds mu (or is Open).
func (db *DB) newSegment() error {
	if db.log != nil {
		if err := db.log.Sync(); err != nil {
			return db.fail(err)
		}
		if err := db.log.Close(); err != nil {
			db.log = nil
			return db.fail(err)
		}
		db.log = nil
	}
	db.logNum++
	f, err := db.fs.Create(path.Join(db.dir, segName(db.logNum)))
	if err != nil {
		return db.fail(err)
	}
	db.log, db.logLen = f, 0
	if err := db.fs.SyncDir(db.dir); err != nil {
		return db.fail(err)
	}
	return nil
}

// fail poisons the engine with err and returns it.
func (db *DB) fail(err error) error {
	if db.poison == nil {
		db.poison = fmt.Errorf("refengine: log failed, engine is read-only until reopened: %w", err)
	}
	return db.poison
}

// applyLocked applies b to the map. Caller holds mu.
func (db *DB) applyLocked(b *engine.Batch) {
	r := b.Reader()
	for {
		kind, k, v, ok := r.Next()
		if !ok {
			break
		}
		if kind == engine.KindSet {
			db.data[string(k)] = append([]byte{}, v...)
			if len(db.cache) >= cacheMax {
				clear(db.cache)
			}
			db.cache[string(k)] = db.data[string(k)]
		} else {
			delete(db.data, string(k))
			if db.bug != BugStaleAfterDelete {
				delete(db.cache, string(k))
			}
		}
	}
	db.sorted.Store(nil)
}

// Get implements engine.Reader.
func (db *DB) Get(key, dst []byte) ([]byte, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed.Load() {
		return dst, engine.ErrClosed
	}
	db.gets.Add(1)
	if v, ok := db.cache[string(key)]; ok {
		return append(dst, v...), nil
	}
	v, ok := db.data[string(key)]
	if !ok {
		return dst, engine.ErrNotFound
	}
	return append(dst, v...), nil
}

// view returns the sorted view of the current data. Caller holds mu
// (shared or exclusive).
func (db *DB) view() []kv {
	if p := db.sorted.Load(); p != nil {
		return *p
	}
	v := make([]kv, 0, len(db.data))
	for k, val := range db.data {
		v = append(v, kv{[]byte(k), val})
	}
	slices.SortFunc(v, func(a, b kv) int { return bytes.Compare(a.key, b.key) })
	db.sorted.Store(&v)
	return v
}

// NewIter implements engine.Reader.
func (db *DB) NewIter(opts engine.IterOptions) (engine.Iterator, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed.Load() {
		return nil, engine.ErrClosed
	}
	db.iters.Add(1)
	return newIter(db, db.view(), opts), nil
}

// NewSnapshot implements engine.Engine.
func (db *DB) NewSnapshot() (engine.Snapshot, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed.Load() {
		return nil, engine.ErrClosed
	}
	return &snapshot{db: db, view: db.view()}, nil
}

// Set implements engine.Writer.
func (db *DB) Set(key, value []byte, opts engine.WriteOptions) error {
	var b engine.Batch
	b.Set(key, value)
	return db.write(&b, opts, &db.sets)
}

// Delete implements engine.Writer.
func (db *DB) Delete(key []byte, opts engine.WriteOptions) error {
	var b engine.Batch
	b.Delete(key)
	return db.write(&b, opts, &db.dels)
}

// Apply implements engine.Writer.
func (db *DB) Apply(b *engine.Batch, opts engine.WriteOptions) error {
	if b == nil {
		return fmt.Errorf("refengine: Apply of a nil batch")
	}
	return db.write(b, opts, &db.batches)
}

func (db *DB) write(b *engine.Batch, opts engine.WriteOptions, counter *atomic.Uint64) error {
	if err := db.opts.CheckBatch(b); err != nil {
		return err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	switch {
	case db.closed.Load():
		return engine.ErrClosed
	case db.opts.ReadOnly:
		return engine.ErrReadOnly
	case db.poison != nil:
		return db.poison
	}
	counter.Add(1)
	if b.Empty() {
		return nil
	}
	var rec engine.Batch
	if err := rec.SetRepr(b.Repr()); err != nil {
		return err
	}
	rec.SetSeq(db.seq + 1)
	buf := appendRecord(nil, typeBatch, rec.Repr())
	if _, err := db.log.Write(buf); err != nil {
		if db.bug != BugSwallowWriteError {
			return db.fail(err)
		}
	}
	db.logLen += int64(len(buf))
	if opts.Sync {
		if err := db.log.Sync(); err != nil {
			return db.fail(err)
		}
	}
	db.seq++
	db.applyLocked(&rec)
	if db.logLen >= db.opts.WALSegmentSize {
		// The write is applied and logged, but a failed rotation poisons
		// the engine: report it now (the write's fate is then unknown to
		// the caller, which the contract allows for a failed call).
		if err := db.newSegment(); err != nil {
			return err
		}
	}
	return nil
}

// Flush implements engine.Engine: it syncs the current segment and starts
// a new one.
func (db *DB) Flush() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	switch {
	case db.closed.Load():
		return engine.ErrClosed
	case db.opts.ReadOnly:
		return nil
	case db.poison != nil:
		return db.poison
	}
	if db.logLen == 0 {
		if err := db.log.Sync(); err != nil {
			return db.fail(err)
		}
		return nil
	}
	return db.newSegment()
}

// Compact writes the whole state as one base segment and removes the
// segments before it.
func (db *DB) Compact() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	switch {
	case db.closed.Load():
		return engine.ErrClosed
	case db.opts.ReadOnly:
		return nil
	case db.poison != nil:
		return db.poison
	}
	if err := db.log.Sync(); err != nil {
		return db.fail(err)
	}
	if err := db.log.Close(); err != nil {
		db.log = nil
		return db.fail(err)
	}
	db.log = nil
	old := db.logNum
	db.logNum++
	baseNum := db.logNum
	var b engine.Batch
	for _, e := range db.view() {
		b.Set(e.key, e.value)
	}
	b.SetSeq(db.seq)
	tmp := path.Join(db.dir, fmt.Sprintf("%06d.tmp", baseNum))
	if err := vfs.WriteFileSync(db.fs, tmp, appendRecord(nil, typeBase, b.Repr())); err != nil {
		return db.fail(err)
	}
	if err := db.fs.Rename(tmp, path.Join(db.dir, segName(baseNum))); err != nil {
		return db.fail(err)
	}
	if err := db.fs.SyncDir(db.dir); err != nil {
		return db.fail(err)
	}
	if err := db.newSegment(); err != nil {
		return err
	}
	names, err := db.fs.List(db.dir)
	if err != nil {
		return db.fail(err)
	}
	for _, name := range names {
		base, ext, _ := strings.Cut(name, ".")
		num, err := strconv.ParseUint(base, 10, 64)
		if err == nil && ext == "log" && num <= old {
			if err := db.fs.Remove(path.Join(db.dir, name)); err != nil {
				return db.fail(err)
			}
		}
	}
	if err := db.fs.SyncDir(db.dir); err != nil {
		return db.fail(err)
	}
	return nil
}

// Metrics implements engine.Engine.
func (db *DB) Metrics() engine.Metrics {
	return engine.Metrics{
		Backend:   "ref",
		Checksum:  "crc32c/hash-crc32",
		Gets:      db.gets.Load(),
		Sets:      db.sets.Load(),
		Deletes:   db.dels.Load(),
		Batches:   db.batches.Load(),
		Iterators: db.iters.Load(),
	}
}

// Close implements engine.Engine: it syncs and closes the segment and
// releases the lock, even after an error.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed.Swap(true) {
		return engine.ErrClosed
	}
	var errs []error
	if db.poison != nil {
		errs = append(errs, db.poison)
	}
	if db.log != nil {
		if db.poison == nil {
			if err := db.log.Sync(); err != nil {
				errs = append(errs, fmt.Errorf("refengine: close: %w", err))
			}
		}
		if err := db.log.Close(); err != nil {
			errs = append(errs, fmt.Errorf("refengine: close: %w", err))
		}
		db.log = nil
	}
	if err := db.lock.Close(); err != nil {
		errs = append(errs, fmt.Errorf("refengine: unlock: %w", err))
	}
	db.data, db.cache = nil, nil
	db.sorted.Store(nil)
	return errors.Join(errs...)
}
