package btree

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/lightningdb/lightning/backends/btree/internal/page"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/checksum"
	"github.com/lightningdb/lightning/engine/vfs"
)

// DataFile is the name of the data file in the engine's directory.
const DataFile = "btree.data"

// version is one published state of the tree. Readers load the current
// version with one atomic load and use it without locks; nothing reachable
// from a published version is ever modified.
type version struct {
	root   child
	height int    // levels; 0 for an empty tree
	ckpt   uint64 // last checkpoint completed when published
	seq    uint64 // sequence number of the last write included
	keys   int64
}

// store is the tree and its data file, without the WAL: versions,
// writes, checkpoints, readers' pins.
type store struct {
	fs          vfs.FS
	path        string
	pg          pager
	ckptWorkers int // OptCheckpointWorkers

	cur     atomic.Pointer[version]
	readers readerSet
	reads   readCounters

	// Writer state, guarded by mu.
	mu            sync.Mutex
	ckptDone      sync.Cond // on mu: broadcast when a checkpoint ends
	gen           uint64
	meta          page.Meta // last durable meta
	freelistPages []uint64  // pages holding meta's free list
	dirty         int64     // bytes made dirty since the last checkpoint began
	// basesRead counts the clean leaf pages writes made deltas of since
	// the last checkpoint began: the checkpoint reads each again to merge
	// its delta (see writeBuffer.merge).
	basesRead int
	failed    error // sticky: a failed checkpoint or write (setFailed)
	// failure is failed, for readers without mu (the write buffer's
	// writers and merger).
	failure atomic.Pointer[error]
	// flight is the checkpoint being written, if any; replaced lists the
	// nodes of its tree that writes replaced meanwhile (see replacing).
	flight   *ckptJob
	replaced []*node
	// retained lists the base pages of replaced delta leaves that a copy
	// still uses (see own): finishCheckpoint keeps them out of the free
	// set and drops them again for the next checkpoint.
	retained []uint64

	// Counters.
	checkpoints      atomic.Uint64
	ckptNanos        atomic.Uint64
	lastCkptPages    atomic.Uint64
	ckptPagesWritten atomic.Uint64
	retries          atomic.Uint64 // Gets retried after meeting a reused page
	inFlightDirty    atomic.Int64  // dirty bytes of the checkpoint being written
}

// readerSet counts the open iterators and snapshots per checkpoint of the
// version they pin.
type readerSet struct {
	mu sync.Mutex
	n  map[uint64]int
}

// acquire pins the current version of cur and returns it.
func (r *readerSet) acquire(cur *atomic.Pointer[version]) *version {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := cur.Load()
	if r.n == nil {
		r.n = map[uint64]int{}
	}
	r.n[v.ckpt]++
	return v
}

// pin adds one more pin on v, which is already pinned.
func (r *readerSet) pin(v *version) {
	r.mu.Lock()
	r.n[v.ckpt]++
	r.mu.Unlock()
}

func (r *readerSet) release(v *version) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n[v.ckpt]--; r.n[v.ckpt] <= 0 {
		delete(r.n, v.ckpt)
	}
}

// oldest returns the smallest checkpoint pinned, or def if none is.
func (r *readerSet) oldest(def uint64) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := def
	for c := range r.n {
		m = min(m, c)
	}
	return m
}

// count returns the number of pins.
func (r *readerSet) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := 0
	for _, n := range r.n {
		t += n
	}
	return t
}

// storeConfig is what openStore needs.
type storeConfig struct {
	fs        vfs.FS
	dir       string
	pageSize  int // for a new file; 0 keeps the file's
	kind      checksum.Kind
	cacheSize int64
	readOnly  bool
	logger    engine.Logger
	// ckptWorkers is OptCheckpointWorkers.
	ckptWorkers int
}

// openStore opens the data file of dir, creating it if it does not exist
// (unless read-only), and loads the newest valid meta and its free list.
func openStore(cfg storeConfig) (*store, error) {
	s := &store{fs: cfg.fs, path: filepath.Join(cfg.dir, DataFile), ckptWorkers: cfg.ckptWorkers}
	s.ckptDone.L = &s.mu
	if _, err := cfg.fs.Stat(s.path); vfs.IsNotExist(err) {
		if cfg.readOnly {
			return nil, fmt.Errorf("btree: %s does not exist (read-only open)", s.path)
		}
		if err := createDataFile(cfg, s.path); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	var f vfs.File
	var err error
	if cfg.readOnly {
		f, err = cfg.fs.Open(s.path)
	} else {
		f, err = cfg.fs.OpenReadWrite(s.path)
	}
	if err != nil {
		return nil, err
	}
	s.pg.f = f
	if err := s.load(cfg); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// createDataFile writes a new data file with two metas of an empty tree:
// through a temporary file, synced and renamed, so the data file either
// does not exist or is whole.
func createDataFile(cfg storeConfig, path string) error {
	ps := cfg.pageSize
	if ps == 0 {
		ps = page.DefaultPageSize
	}
	if _, err := page.NewLayout(path, ps, cfg.kind); err != nil {
		return err
	}
	buf := make([]byte, 2*ps)
	for c := uint64(0); c < 2; c++ {
		page.EncodeMeta(buf[c*uint64(ps):(c+1)*uint64(ps)], &page.Meta{Checkpoint: c, PageSize: ps, Checksum: cfg.kind, PageCount: 2, WALLog: 0})
	}
	tmp := path + ".tmp"
	if err := vfs.WriteFileSync(cfg.fs, tmp, buf); err != nil {
		return err
	}
	if err := cfg.fs.Rename(tmp, path); err != nil {
		return err
	}
	return cfg.fs.SyncDir(filepath.Dir(path))
}

// readMetas returns the newest valid meta of the file, or a corruption
// error naming both defects.
func (s *store) readMetas() (*page.Meta, error) {
	buf := make([]byte, page.MaxPageSize)
	n, err := s.pg.f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	m0, err0 := page.DecodeMeta(s.path, 0, buf[:n])
	// Meta 1 sits at offset page size; if meta 0 is damaged, try every
	// page size.
	sizes := []int{4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10}
	if m0 != nil {
		sizes = []int{m0.PageSize}
	}
	var m1 *page.Meta
	var err1 error
	for _, ps := range sizes {
		n, err := s.pg.f.ReadAt(buf[:ps], int64(ps))
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		m, err := page.DecodeMeta(s.path, 1, buf[:n])
		if err == nil && m.PageSize != ps {
			err = engine.Corruptf(s.path, int64(ps), "meta page 1 records page size %d", m.PageSize)
		}
		if err == nil {
			m1, err1 = m, nil
			break
		}
		if err1 == nil {
			err1 = err
		}
	}
	switch {
	case m0 != nil && m1 != nil:
		if m0.PageSize != m1.PageSize || m0.Checksum != m1.Checksum {
			return nil, engine.Corruptf(s.path, 0, "meta pages disagree on page size (%d, %d) or checksum (%v, %v)", m0.PageSize, m1.PageSize, m0.Checksum, m1.Checksum)
		}
		if m1.Checkpoint > m0.Checkpoint {
			return m1, nil
		}
		return m0, nil
	case m0 != nil:
		return m0, nil
	case m1 != nil:
		return m1, nil
	}
	return nil, fmt.Errorf("btree: no valid meta page: %w; %w", err0, err1)
}

// load reads the newest meta and its free list.
func (s *store) load(cfg storeConfig) error {
	m, err := s.readMetas()
	if err != nil {
		return err
	}
	if cfg.pageSize != 0 && cfg.pageSize != m.PageSize {
		return fmt.Errorf("%w: btree.page_size=%d but %s has pages of %d bytes", engine.ErrInvalidOptions, cfg.pageSize, s.path, m.PageSize)
	}
	l, err := page.NewLayout(s.path, m.PageSize, m.Checksum)
	if err != nil {
		return engine.Corruptf(s.path, 0, "meta: %v", err)
	}
	s.pg.l = l
	if s.pg.cache, err = newPageCache(cfg.cacheSize, m.PageSize); err != nil {
		return err
	}
	s.meta = *m
	s.pg.pageCount = m.PageCount
	if err := s.loadFreelist(); err != nil {
		return err
	}
	s.pg.mirror()
	s.cur.Store(&version{root: child{ref: m.Root}, height: m.Height, ckpt: m.Checkpoint, seq: m.LastSeq, keys: int64(m.Keys)})
	return nil
}

// loadFreelist reads the free list of s.meta into pg.free.
func (s *store) loadFreelist() error {
	var ids []uint64
	seen := map[uint64]bool{}
	for ref := s.meta.Freelist; !ref.IsZero(); {
		if seen[ref.ID] || ref.ID >= s.meta.PageCount {
			return engine.Corruptf(s.path, s.pg.l.Offset(ref.ID), "free list page %d: loop or out of range", ref.ID)
		}
		seen[ref.ID] = true
		p, err := s.pg.readUncached(ref, page.TypeFreelist)
		if err != nil {
			return err
		}
		s.freelistPages = append(s.freelistPages, ref.ID)
		ref, ids = page.FreelistData(p, ids)
	}
	if uint64(len(ids)) != s.meta.FreeCount {
		return engine.Corruptf(s.path, 0, "free list holds %d ids, meta says %d", len(ids), s.meta.FreeCount)
	}
	for _, id := range ids {
		if id >= s.meta.PageCount || seen[id] {
			return engine.Corruptf(s.path, 0, "free list: page %d duplicated, in use by the list or out of range", id)
		}
		seen[id] = true
	}
	s.pg.free = sortDesc(ids)
	return nil
}

// setFailed makes the store failed with err (sticky) and returns it. The
// caller holds mu.
func (s *store) setFailed(err error) error {
	s.failed = err
	s.failure.Store(&err)
	return err
}

// failedErr returns the store's sticky failure, if any, without mu.
func (s *store) failedErr() error {
	if e := s.failure.Load(); e != nil {
		return *e
	}
	return nil
}

// close releases the file.
func (s *store) close() error {
	return s.pg.f.Close()
}

// newWriter starts a write on the current version. The caller holds mu.
func (s *store) newWriter() *writer {
	s.gen++
	v := s.cur.Load()
	return &writer{s: s, gen: s.gen, root: v.root, height: v.height, keys: v.keys}
}

// writeMark remembers the writer-owned state a failed write must undo.
type writeMark struct {
	dropped  int
	droppedN [numKinds]uint64
	replaced int
	retained int
}

func (s *store) mark() writeMark {
	return writeMark{dropped: len(s.pg.dropped), droppedN: s.pg.droppedN, replaced: len(s.replaced), retained: len(s.retained)}
}

// abort undoes the bookkeeping of a write that failed before publishing:
// the pages it dropped and the nodes it replaced stay in the tree.
func (s *store) abort(m writeMark) {
	s.pg.dropped = s.pg.dropped[:m.dropped]
	s.pg.droppedN = m.droppedN
	clear(s.replaced[m.replaced:])
	s.replaced = s.replaced[:m.replaced]
	s.retained = s.retained[:m.retained]
}

// replacing notes that write w replaces the published node n with a copy,
// and reports whether n belongs to the tree of the checkpoint in flight.
// Such a node gets a page (and runs for its pending data) that the tree
// after that checkpoint does not use: finishCheckpoint drops them. The
// copy is dirty data of the next checkpoint. The caller holds mu.
func (s *store) replacing(n *node, w *writer) bool {
	if j := s.flight; j != nil && n.gen <= j.gen {
		s.replaced = append(s.replaced, n)
		w.dirty += int64(len(n.p)) + nodeOverhead
		return true
	}
	return false
}

// publish makes w's tree the current version, with sequence number seq.
// The caller holds mu.
func (s *store) publish(w *writer, seq uint64) {
	s.dirty += w.dirty
	s.reads.add(int(w.gen), 0, w.st.hits, w.st.misses)
	s.cur.Store(&version{root: w.root, height: w.height, ckpt: s.meta.Checkpoint, seq: seq, keys: w.keys})
}

// getLatest looks key up in the current version. A lock-free read may
// meet a page that a checkpoint freed and reused after the read loaded its
// root; it then fails the page's checks, and the read is retried on the
// new current version if pages were released meanwhile.
func (s *store) getLatest(key, dst []byte) ([]byte, error) {
	var st readStat
	for attempt := 0; ; attempt++ {
		g := s.pg.reuseGen.Load()
		v := s.cur.Load()
		if testHookGetVersion != nil {
			testHookGetVersion()
		}
		out, err := s.get(v, key, dst, &st)
		if err != nil && attempt < 100 && errors.Is(err, engine.ErrCorruption) && s.pg.reuseGen.Load() != g {
			s.retries.Add(1)
			continue
		}
		s.reads.add(stripeOf(key), 1, st.hits, st.misses)
		return out, err
	}
}

// testHookGetVersion, if set, runs in getLatest between loading the
// version and reading it (tests use it to reuse pages under a read).
var testHookGetVersion func()
