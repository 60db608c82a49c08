package lsm

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lightningdb/lightning/backends/lsm/internal/manifest"
	"github.com/lightningdb/lightning/backends/lsm/internal/sstable"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/cache"
	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/commit"
	"github.com/lightningdb/lightning/engine/compress"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/wal"
)

// File and directory names in a database directory (see the package
// documentation).
const (
	// LockName is the lock file.
	LockName = "LOCK"
	// WALDir is the subdirectory holding the write-ahead log.
	WALDir = "wal"
)

// DB is an LSM database. All methods are safe for concurrent use.
type DB struct {
	dir, walDir string
	fs          vfs.FS
	opts        *engine.Options
	set         Settings

	lock   io.Closer
	wal    *wal.Log // nil when read-only
	bcache *cache.Cache
	rc     *cache.RowCache // nil: no row cache
	// rowReads is set (once, for good) by the first Get that may fill the
	// row cache, before it takes its token: until then no row can be
	// cached, and writers skip invalidating (see write).
	rowReads atomic.Bool
	tc       *tableCache
	comps    [manifest.NumLevels]*compress.Compressor // per output level; shared by levels of one codec
	wopts    sstable.WriterOptions
	rstats   *sstable.Stats
	rate     *rateLimiter // nil: compactions are not limited

	// commitMu serializes the admission of writes: memtable room,
	// sequence numbers and WAL order (see write.go).
	commitMu sync.Mutex
	nextSeq  uint64 // under commitMu
	visible  atomic.Uint64
	pub      commit.Publisher

	// mu guards the fields below; cond (on mu) is broadcast whenever a
	// flush or compaction finishes, the DB fails, or it starts closing.
	mu      sync.Mutex
	cond    sync.Cond
	mem     *commit.Table   // changed under commitMu and mu
	imms    []*commit.Table // full memtables waiting for flush, oldest first
	current *manifest.Version
	man     *manifest.Writer
	// The MANIFEST's counters (see manifest.VersionEdit).
	logNum, lastSeq, nextFileNum uint64
	snapshots                    map[uint64]int // open snapshots by sequence number
	closing                      bool
	compacting                   int // compactions running
	manual                       int // manual compactions running or waiting
	compactPointer               [manifest.NumLevels][]byte
	// readCompact asks pickLocked for a level-0 compaction below the
	// file-count trigger (set by readCompactionLoop).
	readCompact bool

	rs       atomic.Pointer[readState]
	closed   atomic.Bool           // Close was called: every call fails
	stopping atomic.Bool           // background work should stop (polled by compactions)
	bgErr    atomic.Pointer[error] // sticky background failure
	bg       sync.WaitGroup        // background goroutines

	obsMu    sync.Mutex
	obsolete []*manifest.FileMeta // files no Version holds, to delete
	cleanCh  chan struct{}        // wakes cleanLoop
	done     chan struct{}        // closed by Close

	stats stats
	ops   opCounters
}

var _ engine.Engine = (*DB)(nil)

func init() {
	engine.Register("lsm", func(dir string, opts *engine.Options) (engine.Engine, error) {
		return Open(dir, opts)
	})
	engine.SetDefaults("lsm", FillDefaults)
}

// DefaultMemTableSize is the lsm's memtable size when
// engine.Options.MemTableSize is zero: 8 MiB, not the engine-wide 32 MiB
// (the B+tree's dirty-page budget). An insert into the skiplist costs a
// cache miss per level it visits, so a memtable that stays within the
// CPU's caches takes writes faster. On the 2-core reference machine,
// loading 1M records of 100 bytes with 2 threads (lbench target-writes,
// 3 interleaved runs each) measured a median of 482K writes/s with 8 MiB
// against 412K with 32 MiB; workload C read right after such a load ran
// at 960K against 846K reads/s (one run each). More, smaller flushes cost
// little: level 0 is compacted in batches of lsm.l0_compaction_trigger
// files, and read-triggered compactions (lsm.read_compaction_interval)
// clear it for read-mostly phases.
const DefaultMemTableSize = 8 << 20

// FillDefaults sets the lsm's own defaults in o where o leaves them zero
// (today only MemTableSize: DefaultMemTableSize). Open applies it, and
// engine.Open through engine.SetDefaults.
func FillDefaults(o *engine.Options) {
	if o.MemTableSize == 0 {
		o.MemTableSize = DefaultMemTableSize
	}
}

// Open opens (creating if needed) the database in dir. opts may be nil;
// it is cloned, completed with defaults (FillDefaults, then the engine's)
// and validated, and the "lsm." entries of opts.Extra are parsed (see
// Settings).
func Open(dir string, opts *engine.Options) (*DB, error) {
	o, err := opts.PrepareWith(FillDefaults)
	if err != nil {
		return nil, err
	}
	set, err := ParseSettings(o.Extra)
	if err != nil {
		return nil, err
	}
	d := &DB{
		dir: dir, walDir: filepath.Join(dir, WALDir), fs: o.FS, opts: o, set: set,
		snapshots: map[uint64]int{},
		ops:       newOpCounters(),
		rstats:    sstable.NewStats(),
		cleanCh:   make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	d.cond.L = &d.mu
	if !o.ReadOnly {
		if err := d.fs.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("lsm: creating %s: %w", dir, err)
		}
	}
	lock, err := d.fs.Lock(filepath.Join(dir, LockName))
	if err != nil {
		return nil, fmt.Errorf("lsm: locking %s: %w", dir, err)
	}
	d.lock = lock
	if err := d.open(); err != nil {
		d.abandon()
		return nil, err
	}
	return d, nil
}

// abandon releases what a failed open took.
func (d *DB) abandon() {
	if d.wal != nil {
		_ = d.wal.Close()
	}
	if d.man != nil {
		_ = d.man.Close()
	}
	if d.tc != nil {
		d.tc.close()
	}
	d.bcache.Close()
	d.closeCompressors()
	_ = d.lock.Close()
}

// open recovers the database: CURRENT, MANIFEST, table check, WAL replay;
// then, unless read-only, a new WAL segment, a new MANIFEST, and removal
// of files nothing refers to.
func (d *DB) open() error {
	o := d.opts
	var err error
	if err := d.initTables(); err != nil {
		return err
	}
	names, err := d.fs.List(d.dir)
	if err != nil {
		return fmt.Errorf("lsm: listing %s: %w", d.dir, err)
	}
	segs, err := walSegments(d.fs, d.walDir)
	if err != nil {
		return err
	}
	var st *manifest.State
	mnum, err := manifest.ReadCurrent(d.fs, d.dir)
	switch {
	case err == nil:
		if st, err = manifest.Load(d.fs, d.dir, mnum); err != nil {
			return err
		}
	case vfs.IsNotExist(err):
		if slices.ContainsFunc(names, func(n string) bool { _, ok := parseTableName(n); return ok }) || len(segs) > 0 {
			return engine.Corruptf(filepath.Join(d.dir, manifest.CurrentName), -1,
				"missing, but the directory holds tables or WAL segments")
		}
		if o.ReadOnly {
			return fmt.Errorf("lsm: %s holds no database to open read-only", d.dir)
		}
		st = &manifest.State{Version: &manifest.Version{}, NextFileNum: 1}
	default:
		return fmt.Errorf("lsm: reading %s: %w", manifest.CurrentName, err)
	}

	// Every table of the Version must be there.
	present := map[uint64]bool{}
	maxNum := uint64(0)
	for _, n := range names {
		if num, ok := parseTableName(n); ok {
			present[num] = true
			maxNum = max(maxNum, num)
		} else if num, ok := manifest.ParseFileName(n); ok {
			maxNum = max(maxNum, num)
		}
	}
	for _, files := range st.Version.Levels {
		for _, f := range files {
			if !present[f.FileNum] {
				return engine.Corruptf(filepath.Join(d.dir, tableName(f.FileNum)), -1, "table listed in the MANIFEST is missing")
			}
		}
	}
	// WAL segments below the log number are deleted only after a MANIFEST
	// edit saying so was synced: if they are gone but the MANIFEST does
	// not say so, the MANIFEST lost edits.
	switch {
	case len(segs) > 0 && segs[0] > max(st.LogNum, 1):
		return engine.Corruptf(filepath.Join(d.walDir, wal.SegmentName(segs[0])), 0,
			"the WAL starts at segment %d but the MANIFEST needs it from segment %d", segs[0], max(st.LogNum, 1))
	case len(segs) == 0 && st.LogNum > 0:
		// A flush recorded a log number: segments at and above it existed
		// then, and the current one is never deleted.
		return engine.Corruptf(filepath.Join(d.walDir, wal.SegmentName(st.LogNum)), 0,
			"the WAL has no segment but the MANIFEST needs it from segment %d", st.LogNum)
	}

	d.current = st.Version
	d.current.Retain()
	d.logNum, d.lastSeq = st.LogNum, st.LastSeq
	d.nextFileNum = max(st.NextFileNum, maxNum+1)
	mems, last, err := d.replay(st.LogNum, st.LastSeq)
	if err != nil {
		return err
	}
	d.nextSeq = max(last, st.LastSeq) + 1
	d.visible.Store(d.nextSeq - 1)

	if o.ReadOnly {
		if len(mems) == 0 {
			mems = append(mems, commit.NewTable(0, 0))
		}
	} else {
		// The new MANIFEST and CURRENT first: a WAL segment never exists
		// without a CURRENT.
		num := d.nextFileNum
		d.nextFileNum++
		if d.man, err = manifest.Create(d.fs, d.dir, num, d.current.Snapshot(d.logNum, d.nextFileNum, d.lastSeq)); err != nil {
			return err
		}
		if err := manifest.WriteCurrent(d.fs, d.dir, num); err != nil {
			return err
		}
		if err := d.removeUnreferenced(names, num); err != nil {
			return err
		}
		if d.wal, err = wal.Open(d.fs, d.walDir, wal.FromEngine(o)); err != nil {
			return fmt.Errorf("lsm: opening the WAL: %w", err)
		}
		if len(mems) == 0 {
			mems = append(mems, commit.NewTable(int(o.MemTableSize), d.wal.CurrentSegment()))
		}
	}
	d.mem = mems[len(mems)-1]
	d.imms = mems[:len(mems)-1]
	d.mu.Lock()
	d.publishLocked()
	d.mu.Unlock()
	if !o.ReadOnly {
		d.bg.Add(2)
		go d.flushLoop()
		go d.cleanLoop()
		if d.set.ReadCompactionInterval > 0 {
			d.bg.Add(1)
			go d.readCompactionLoop()
		}
		d.mu.Lock()
		d.maybeCompactLocked()
		d.mu.Unlock()
	}
	return nil
}

// initTables sets up the block cache, the table cache and the writer
// options.
func (d *DB) initTables() error {
	o := d.opts
	var err error
	rowSize := rowCacheBudget(o.CacheSize, d.set.RowCacheSize, d.set.RowCacheMaxEntry)
	if rowSize > 0 {
		if d.rc, err = cache.NewRowCache(rowSize, d.set.RowCacheMaxEntry); err != nil {
			return fmt.Errorf("lsm: %w", err)
		}
		if d.rc.Sets() == 0 {
			d.rc, rowSize = nil, 0
		}
	}
	indexSize := d.set.IndexBudget
	if indexSize < 0 {
		indexSize = o.CacheSize / 16
	}
	indexSize = min(indexSize, o.CacheSize-rowSize)
	if d.bcache, err = cache.NewWithOptions(cache.Options{Capacity: o.CacheSize - rowSize - indexSize, BlockSize: d.set.BlockSize}); err != nil {
		return fmt.Errorf("lsm: %w", err)
	}
	kind, err := checksum.ParseKind(o.Checksum)
	if err != nil {
		return fmt.Errorf("%w: %v", engine.ErrInvalidOptions, err)
	}
	codec, err := compress.ParseCodec(o.Compression)
	if err != nil {
		return fmt.Errorf("%w: %v", engine.ErrInvalidOptions, err)
	}
	byCodec := map[compress.Codec]*compress.Compressor{}
	for level := range d.comps {
		c := codec
		if n := len(d.set.CompressionPerLevel); n > 0 {
			c = d.set.CompressionPerLevel[min(level, n-1)]
		}
		if byCodec[c] == nil {
			if byCodec[c], err = compress.New(c, nil); err != nil {
				return fmt.Errorf("lsm: %w", err)
			}
		}
		d.comps[level] = byCodec[c]
	}
	bits := d.set.FilterBits
	if bits == 0 {
		bits = sstable.NoFilter
	}
	d.wopts = sstable.WriterOptions{
		BlockSize:        d.set.BlockSize,
		RestartInterval:  d.set.RestartInterval,
		FilterBitsPerKey: bits,
		Checksum:         kind,
		BlockWorkers:     d.set.BlockWorkers,
	}
	d.tc = newTableCache(d.fs, d.dir, d.set.MaxOpenFiles, sstable.ReaderOptions{
		Cache: d.bcache, PinIndex: d.set.PinIndex, Stats: d.rstats,
		IndexBudget: sstable.NewIndexBudget(indexSize),
	})
	if d.set.RateLimit > 0 {
		d.rate = &rateLimiter{rate: float64(d.set.RateLimit)}
	}
	return nil
}

// rowCacheBudget returns the memory the row cache gets out of a cache of
// cacheSize bytes, asked bytes being lsm.row_cache_size. The row cache
// has a power-of-two number of sets of two rows of at most maxEntry
// bytes, and uses at most sets*2*(maxEntry+cache.RowEntryOverhead) bytes:
// the budget is that figure, so the block cache gets all the rest. For
// the default (-1), the set count nearest to a quarter of the cache,
// without taking more than half of it; otherwise the largest geometry
// within asked.
func rowCacheBudget(cacheSize, asked int64, maxEntry int) int64 {
	perSet := 2 * (int64(maxEntry) + cache.RowEntryOverhead)
	want := min(asked, cacheSize)
	if asked < 0 {
		want = cacheSize / 4
	}
	sets := want / perSet
	if sets < 1 {
		return 0
	}
	lo := int64(1) << (bits.Len64(uint64(sets)) - 1)
	if asked < 0 && sets-lo > 2*lo-sets && 2*lo*perSet <= cacheSize/2 {
		lo *= 2
	}
	return lo * perSet
}

// replay reads the WAL into memtables: every batch in a segment at or
// above logNum whose sequence numbers are above lastSeq (those at or
// below are in the tables). It returns the memtables, oldest first, and
// the last sequence number read.
func (d *DB) replay(logNum, lastSeq uint64) ([]*commit.Table, uint64, error) {
	var mems []*commit.Table
	var cur *commit.Table
	prev := lastSeq
	b := engine.NewBatch()
	std := int(d.opts.MemTableSize)
	_, err := wal.Replay(d.fs, d.walDir, func(pos wal.Position, payload []byte) error {
		if pos.Segment < logNum {
			return nil
		}
		path := filepath.Join(d.walDir, wal.SegmentName(pos.Segment))
		if err := b.SetRepr(payload); err != nil {
			return &engine.CorruptionError{File: path, Offset: pos.Offset, Reason: "bad batch in WAL record", Err: err}
		}
		seq, n := b.Seq(), uint64(b.Len())
		if n == 0 || seq == 0 {
			return engine.Corruptf(path, pos.Offset, "WAL record holds a batch with sequence number %d and %d operations", seq, n)
		}
		last := seq + n - 1
		if last <= lastSeq {
			return nil // already in the tables
		}
		if seq <= prev {
			return engine.Corruptf(path, pos.Offset, "WAL record with sequence numbers %d..%d after %d", seq, last, prev)
		}
		need, count, _ := commit.BatchNeed(b)
		if cur == nil || !cur.Fits(need, count) {
			capacity, err := commit.Capacity(std, need, count)
			if err != nil {
				return err
			}
			cur = commit.NewTable(capacity, pos.Segment)
			mems = append(mems, cur)
		}
		// Replay is single-threaded: Reserve and Unreserve around Apply
		// only record the batch in Ops and MaxSeq, as a writer would.
		cur.Reserve(need, count, last)
		err := cur.Apply(b, seq)
		cur.Unreserve(need, count)
		if err != nil {
			return err
		}
		prev = last
		return nil
	})
	if err != nil {
		if errors.Is(err, engine.ErrCorruption) {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("lsm: replaying the WAL: %w", err)
	}
	return mems, prev, nil
}

// walSegments lists the WAL's segment numbers, ascending.
func walSegments(fs vfs.FS, dir string) ([]uint64, error) {
	names, err := fs.List(dir)
	if err != nil {
		if vfs.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("lsm: listing %s: %w", dir, err)
	}
	var segs []uint64
	for _, n := range names {
		digits, ok := strings.CutSuffix(n, ".log")
		if !ok {
			continue
		}
		if num, err := strconv.ParseUint(digits, 10, 64); err == nil && num > 0 && wal.SegmentName(num) == n {
			segs = append(segs, num)
		}
	}
	slices.Sort(segs)
	return segs, nil
}

// parseTableName returns the number of a table file name.
func parseTableName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, ".sst")
	if !ok {
		return 0, false
	}
	num, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || num == 0 || tableName(num) != name {
		return 0, false
	}
	return num, true
}

// removeUnreferenced removes, at open, the MANIFESTs other than keep, a
// leftover CURRENT.tmp and the tables the Version does not list (outputs
// of a flush or compaction a crash interrupted), then syncs the directory.
func (d *DB) removeUnreferenced(names []string, keep uint64) error {
	live := map[uint64]bool{}
	for _, files := range d.current.Levels {
		for _, f := range files {
			live[f.FileNum] = true
		}
	}
	removed := false
	for _, n := range names {
		var drop bool
		if num, ok := manifest.ParseFileName(n); ok {
			drop = num != keep
		} else if num, ok := parseTableName(n); ok {
			drop = !live[num]
		} else {
			drop = n == manifest.CurrentTempName
		}
		if drop {
			// CURRENT.tmp was just renamed by WriteCurrent: gone is fine.
			if err := d.fs.Remove(filepath.Join(d.dir, n)); err != nil && !vfs.IsNotExist(err) {
				return fmt.Errorf("lsm: removing unreferenced %s: %w", n, err)
			}
			removed = true
		}
	}
	if removed {
		if err := d.fs.SyncDir(d.dir); err != nil {
			return fmt.Errorf("lsm: syncing %s: %w", d.dir, err)
		}
	}
	return nil
}

// fail makes err the DB's sticky failure: writes are refused with it and
// Flush, Compact and Close return it.
func (d *DB) fail(err error) {
	d.mu.Lock()
	d.failLocked(err)
	d.mu.Unlock()
}

// failLocked is fail under d.mu.
func (d *DB) failLocked(err error) {
	if err == nil {
		return
	}
	if d.bgErr.CompareAndSwap(nil, &err) {
		d.opts.Logger.Logf("lsm: %s: background failure, writes refused from now on: %v", d.dir, err)
	}
	d.cond.Broadcast()
}

// bgErrLocked returns the sticky failure, if any.
func (d *DB) bgErrLocked() error {
	if e := d.bgErr.Load(); e != nil {
		return *e
	}
	return nil
}

// Flush rotates the active memtable if it holds anything and waits until
// every memtable filled so far is written to a table and recorded in the
// MANIFEST, so that reopening needs no WAL replay of those writes. On a
// read-only DB it does nothing.
func (d *DB) Flush() error {
	if d.closed.Load() {
		return fmt.Errorf("lsm: Flush: %w", engine.ErrClosed)
	}
	if d.opts.ReadOnly {
		return nil
	}
	d.commitMu.Lock()
	d.mu.Lock()
	if err := d.bgErrLocked(); err != nil {
		d.mu.Unlock()
		d.commitMu.Unlock()
		return err
	}
	if !d.mem.Empty() {
		err := d.stallLocked()
		if err == nil {
			err = d.rotateLocked(int(d.opts.MemTableSize))
		}
		if err != nil {
			d.mu.Unlock()
			d.commitMu.Unlock()
			return err
		}
	}
	d.commitMu.Unlock()
	defer d.mu.Unlock()
	if len(d.imms) == 0 {
		return nil
	}
	target := d.imms[len(d.imms)-1]
	for slices.Contains(d.imms, target) {
		if err := d.bgErrLocked(); err != nil {
			return err
		}
		if d.closing {
			return fmt.Errorf("lsm: Flush: %w", engine.ErrClosed)
		}
		d.cond.Wait()
	}
	return d.bgErrLocked()
}

// Close stops background work (an in-flight flush completes, compactions
// stop early), closes the WAL (which syncs it) and every file, and
// releases the lock. It returns the DB's background failure if there was
// one. A second Close returns an error wrapping engine.ErrClosed.
func (d *DB) Close() error {
	if d.closed.Swap(true) {
		return fmt.Errorf("lsm: Close: %w", engine.ErrClosed)
	}
	d.mu.Lock()
	d.closing = true
	d.stopping.Store(true)
	d.cond.Broadcast()
	d.mu.Unlock()
	// Writers past the closed check finish their WAL append.
	d.commitMu.Lock()
	//lint:ignore SA2001 an empty critical section is the barrier we want
	d.commitMu.Unlock()
	close(d.done)
	d.bg.Wait()

	var errs []error
	if e := d.bgErr.Load(); e != nil {
		errs = append(errs, *e)
	}
	if !d.opts.ReadOnly {
		if err := d.deleteObsolete(); err != nil {
			errs = append(errs, err)
		}
	}
	if d.wal != nil {
		if err := d.wal.Close(); err != nil {
			errs = append(errs, fmt.Errorf("lsm: closing the WAL: %w", err))
		}
	}
	if d.man != nil {
		if err := d.man.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	d.mu.Lock()
	if rs := d.rs.Swap(nil); rs != nil {
		rs.retire()
	}
	d.addObsolete(d.current.Release())
	d.mu.Unlock()
	d.tc.close()
	d.bcache.Close()
	d.closeCompressors()
	if err := d.lock.Close(); err != nil {
		errs = append(errs, fmt.Errorf("lsm: releasing the lock: %w", err))
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// closeCompressors closes each distinct compressor once.
func (d *DB) closeCompressors() {
	for i, c := range d.comps {
		if c != nil && !slices.Contains(d.comps[:i], c) {
			_ = c.Close()
		}
	}
}

// addObsolete queues files no Version holds for deletion.
func (d *DB) addObsolete(files []*manifest.FileMeta) {
	if len(files) == 0 || d.opts.ReadOnly {
		return
	}
	d.obsMu.Lock()
	d.obsolete = append(d.obsolete, files...)
	d.obsMu.Unlock()
	select {
	case d.cleanCh <- struct{}{}:
	default:
	}
}

// cleanLoop deletes obsolete files when woken, until Close.
func (d *DB) cleanLoop() {
	defer d.bg.Done()
	for {
		select {
		case <-d.done:
			return
		case <-d.cleanCh:
			if err := d.deleteObsolete(); err != nil {
				d.fail(err)
			}
		}
	}
}

// deleteObsolete removes the queued obsolete tables and syncs the
// directory. A failure leaves the rest queued and is returned.
func (d *DB) deleteObsolete() error {
	d.obsMu.Lock()
	files := d.obsolete
	d.obsolete = nil
	d.obsMu.Unlock()
	for i, f := range files {
		d.tc.evict(f.FileNum)
		d.bcache.DropFile(f.FileNum)
		if err := d.fs.Remove(filepath.Join(d.dir, tableName(f.FileNum))); err != nil && !vfs.IsNotExist(err) {
			d.obsMu.Lock()
			d.obsolete = append(d.obsolete, files[i:]...)
			d.obsMu.Unlock()
			return fmt.Errorf("lsm: deleting obsolete table: %w", err)
		}
	}
	if len(files) > 0 {
		if err := d.fs.SyncDir(d.dir); err != nil {
			return fmt.Errorf("lsm: syncing %s: %w", d.dir, err)
		}
	}
	return nil
}
