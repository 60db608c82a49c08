package btree

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/commit"
	"github.com/lightningdb/lightning/engine/memtable"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/wal"
)

// mergeChunkKeys is how many keys the merger changes in the tree per write
// (one version published, the writer mutex held): it bounds how long a
// checkpoint's finishing step waits for the mutex.
const mergeChunkKeys = 1024

// bufView is one state of the write buffer, as readers see it: the
// active memtable and the full ones waiting for the merger or being
// merged into the tree, oldest first. A new bufView is stored for every
// change, so a reader that loads the same pointer twice knows that no
// memtable was frozen or finished between the two loads. Its slice is
// its own: never changed once stored.
type bufView struct {
	mem    *commit.Table
	frozen []*commit.Table
}

// writeBuffer is the write path of the buffered mode (see the package
// doc, "The write buffer"): the commit pipeline of engine/commit in front
// of the tree, and the merger that moves full memtables into it.
type writeBuffer struct {
	db *DB

	// commitMu orders writes: room in the active memtable, sequence
	// numbers and WAL order agree.
	commitMu sync.Mutex
	mem      *commit.Table // the active memtable; under commitMu and mu
	nextSeq  uint64        // the next sequence number; under commitMu

	pub     commit.Publisher
	visible atomic.Uint64 // the last sequence number readers may see
	view    atomic.Pointer[bufView]

	// mu guards frozen and stop; cond (on mu) is broadcast when one of
	// them changes or the merger fails.
	mu     sync.Mutex
	cond   sync.Cond
	frozen []*commit.Table // full memtables, oldest first
	stop   bool
	// maxFrozen is how many full memtables may wait (OptMemTables - 1):
	// freezing one more stalls until a merge ends.
	maxFrozen int
	// frozenN counts the memtables frozen, mergedN those merged. The
	// merger waits for maxFrozen full memtables before it merges, unless
	// drainN (set by flushes) is above mergedN or it is stopping.
	frozenN, mergedN, drainN uint64
	// stalled is set when a writer waits for room in the queue (waiting
	// counts those that do); batch, when one did during the last merge:
	// the merger is then the bottleneck, and waits for a full queue
	// before merging, which makes each merge as large as the buffer
	// allows. A merge into a tree larger than the page cache reads and
	// rewrites most leaves whatever its size, so its cost grows far more
	// slowly than its keys. While merges keep up, the merger takes what
	// is frozen at once, leaving room in the queue.
	stalled, batch bool
	waiting        int
	// oldest is the first WAL segment holding a record the tree may not
	// have: that of the oldest full memtable, or else of the active one.
	// A checkpoint records it as the segment recovery replays from. It is
	// changed under mu, read under the store's mu (lock order: commitMu,
	// then mu, then the store's mu).
	oldest atomic.Uint64

	merges, mergedTables, mergeNanos, mergedKeys, midMergeCkpts atomic.Uint64
}

// newWriteBuffer starts the write buffer of db, whose WAL is open and
// whose last sequence number is db.seq, and its merger; it holds at most
// memTables memtables (OptMemTables). The memtables replay left are
// taken over: the full ones (db.replayedFull) are frozen, for the merger
// to merge in the background, and the last one (db.replayed), if any, is
// the active one.
func newWriteBuffer(db *DB, memTables int) *writeBuffer {
	wb := &writeBuffer{db: db, nextSeq: db.seq + 1, maxFrozen: memTables - 1}
	wb.cond.L = &wb.mu
	wb.mem, wb.frozen = db.replayed, db.replayedFull
	db.replayed, db.replayedFull = nil, nil
	wb.frozenN = uint64(len(wb.frozen))
	if wb.mem == nil {
		wb.mem = commit.NewTable(int(db.opts.MemTableSize), db.log.CurrentSegment())
	}
	wb.visible.Store(db.seq)
	wb.publishView()
	if len(wb.frozen) > 0 {
		wb.oldest.Store(wb.frozen[0].LogNum())
	} else {
		wb.oldest.Store(wb.mem.LogNum())
	}
	db.bg.Add(1)
	go wb.run()
	return wb
}

// writeErr returns the error refusing a write, if any.
func (db *DB) writeErr() error {
	if db.closed.Load() {
		return engine.ErrClosed
	}
	return db.s.failedErr()
}

// commitBuffered commits a validated, non-empty batch through the write
// buffer: room and a sequence number under commitMu, the WAL append, then
// the memtable insert outside the mutex, concurrently with other
// writers, and publication in commit order. A Sync write then waits for
// the WAL (group commit).
func (db *DB) commitBuffered(b *engine.Batch, opts engine.WriteOptions) error {
	wb := db.buf
	if n := len(b.Repr()); n > wal.MaxRecordSize {
		return fmt.Errorf("%w: a batch of %d bytes exceeds the WAL's record limit of %d", commit.ErrBatchTooLarge, n, wal.MaxRecordSize)
	}
	need, count, _ := commit.BatchNeed(b)
	wb.commitMu.Lock()
	if err := db.writeErr(); err != nil {
		wb.commitMu.Unlock()
		return err
	}
	mem, err := wb.makeRoom(need, count)
	if err != nil {
		wb.commitMu.Unlock()
		return err
	}
	seq := wb.nextSeq
	last := seq + uint64(count) - 1
	b.SetSeq(seq)
	if _, err := db.log.WriteRecord(b.Repr(), false); err != nil {
		wb.commitMu.Unlock()
		return fmt.Errorf("btree: writing the WAL: %w", err)
	}
	wb.nextSeq = last + 1
	mem.Reserve(need, count, last)
	c := wb.pub.Enqueue(last)
	wb.commitMu.Unlock()

	ierr := mem.Apply(b, seq)
	wb.pub.Finish(c, &wb.visible)
	if ierr != nil {
		mem.Unreserve(need, count)
		// A reservation that Apply overran is a bug; the batch is in the
		// WAL and is recovered from it on reopening.
		return db.fail(fmt.Errorf("btree: %w", ierr))
	}
	// A Sync write syncs before it ends its reservation: the merger waits
	// for every reservation of a memtable before merging it, so Close
	// (which merges everything, then closes the WAL) cannot close the WAL
	// under this Sync.
	err = nil
	if opts.Sync {
		if err = db.log.Sync(); err != nil {
			err = fmt.Errorf("btree: syncing the WAL: %w", err)
		}
	}
	mem.Unreserve(need, count)
	return err
}

// makeRoom returns the memtable a batch of the given reservation goes
// into: the active one if it fits, else a new one, after freezing the
// active one (which waits while the most full memtables wait for the
// merger: a stall). A batch too large for a standard memtable gets one of its own
// size. Under commitMu.
func (wb *writeBuffer) makeRoom(need, count int) (*commit.Table, error) {
	m := wb.mem
	if m.Fits(need, count) {
		return m, nil
	}
	capacity, err := commit.Capacity(int(wb.db.opts.MemTableSize), need, count)
	if err != nil {
		return nil, err
	}
	if m.Empty() {
		// Nothing in it: swap it for one large enough.
		wb.mu.Lock()
		wb.mem = commit.NewTable(capacity, m.LogNum())
		wb.publishView()
		wb.mu.Unlock()
		return wb.mem, nil
	}
	if err := wb.freeze(capacity); err != nil {
		return nil, err
	}
	return wb.mem, nil
}

// freeze hands the active memtable to the merger and starts a new one of
// the given capacity, in a new WAL segment, so that every record of the
// frozen memtable is in a segment below it. If maxFrozen full memtables
// wait already, it first waits for a merge to end (a stall). Under
// commitMu.
func (wb *writeBuffer) freeze(capacity int) error {
	db := wb.db
	wb.mu.Lock()
	var start time.Time
	for len(wb.frozen) >= wb.maxFrozen && db.s.failedErr() == nil {
		if start.IsZero() {
			start = time.Now()
			wb.stalled = true
		}
		wb.waiting++
		wb.cond.Wait()
		wb.waiting--
	}
	if !start.IsZero() {
		db.stalls.Add(1)
		db.stallNanos.Add(uint64(time.Since(start)))
	}
	if err := db.s.failedErr(); err != nil {
		wb.mu.Unlock()
		return err
	}
	logNum, err := db.log.Rotate()
	if err != nil {
		wb.mu.Unlock()
		return db.fail(fmt.Errorf("btree: rotating the WAL: %w", err))
	}
	wb.frozen = append(wb.frozen, wb.mem)
	wb.frozenN++
	wb.oldest.Store(wb.frozen[0].LogNum())
	wb.mem = commit.NewTable(capacity, logNum)
	wb.publishView()
	wb.cond.Broadcast()
	wb.mu.Unlock()
	return nil
}

// fail makes the store failed with err (see store.setFailed) and returns
// it. The caller holds none of the store's locks.
func (db *DB) fail(err error) error {
	db.s.mu.Lock()
	defer db.s.mu.Unlock()
	if db.s.failed != nil {
		return db.s.failed
	}
	return db.s.setFailed(err)
}

// publishView stores the readers' view of the current memtables. Under
// mu (and commitMu when the active memtable changed).
func (wb *writeBuffer) publishView() {
	wb.view.Store(&bufView{mem: wb.mem, frozen: slices.Clone(wb.frozen)})
}

// run is the merger: it merges every full memtable into the tree at once,
// then makes them leave the readers' view. After a merge during which a
// writer stalled it first waits for maxFrozen full memtables (or a flush
// asking for them, or the stop): see batch. It ends when stopped with
// nothing frozen, or when a merge fails (the store is then failed).
func (wb *writeBuffer) run() {
	defer wb.db.bg.Done()
	for {
		wb.mu.Lock()
		for !wb.stop && (len(wb.frozen) == 0 || wb.batch && len(wb.frozen) < wb.maxFrozen && wb.drainN <= wb.mergedN) {
			wb.cond.Wait()
		}
		if hook := testHookMerge; hook != nil && len(wb.frozen) > 0 {
			wb.mu.Unlock()
			hook()
			wb.mu.Lock()
		}
		fs := slices.Clone(wb.frozen)
		wb.stalled = false
		// The WAL segment of the first record after fs's: the active
		// memtable's, since the newest of fs was frozen.
		next := wb.mem.LogNum()
		wb.mu.Unlock()
		if len(fs) == 0 {
			return
		}
		for _, f := range fs {
			f.Wait() // every batch reserved in f is inserted and published
		}
		// A checkpoint in mid-merge holds some of fs's newest values, in
		// key order, and relies on the WAL to replay all of fs: their
		// records must be durable before any of them reaches the data
		// file, or a crash could recover a state that no prefix of the
		// history had.
		err := wb.db.log.Sync()
		if err != nil {
			err = wb.db.fail(fmt.Errorf("btree: syncing the WAL before a merge: %w", err))
		} else {
			err = wb.merge(fs, next)
		}
		wb.mu.Lock()
		if err == nil {
			wb.frozen = slices.Clone(wb.frozen[len(fs):])
			wb.mergedN += uint64(len(fs))
			wb.batch = wb.stalled || wb.waiting > 0
			if len(wb.frozen) > 0 {
				wb.oldest.Store(wb.frozen[0].LogNum())
			} else {
				wb.oldest.Store(wb.mem.LogNum())
			}
			wb.publishView()
		}
		wb.cond.Broadcast()
		wb.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// testHookMerge, if set (by tests), runs in the merger when it has work,
// before it takes the full memtables.
var testHookMerge func()

// merge applies the newest version of every key of fs (full memtables,
// oldest first) to the tree, in key order, mergeChunkKeys keys per write.
// The versions published before the last chunk carry the tree's sequence
// number from before fs, so a checkpoint of one of them (taken when the
// dirty bytes pass the budget) replays all of fs on recovery: replaying a
// write the tree already has changes nothing. After the last chunk, whose
// version carries the last sequence number of fs, it starts a checkpoint
// that makes their WAL segments obsolete (those below next).
func (wb *writeBuffer) merge(fs []*commit.Table, next uint64) error {
	db, s := wb.db, wb.db.s
	start := time.Now()
	it := newMergeSource(fs)
	ok := it.valid()
	last := fs[len(fs)-1].MaxSeq()
	s.mu.Lock()
	base := s.cur.Load().seq
	s.mu.Unlock()
	var keys uint64
	for ok {
		s.mu.Lock()
		if s.failed != nil {
			s.mu.Unlock()
			return s.failed
		}
		var n int
		var err error
		ok, n, err = s.mergeChunk(it, base, last, db.opts.MemTableSize, wb.baseBudget())
		keys += uint64(n)
		if err != nil {
			err = s.setFailed(fmt.Errorf("btree: merging the write buffer into the tree: %w", err))
			s.mu.Unlock()
			return err
		}
		full := func() bool { return s.dirty >= db.opts.MemTableSize || s.basesRead >= wb.baseBudget() }
		if full() || !ok {
			for s.flight != nil {
				s.ckptDone.Wait()
			}
			if s.failed == nil && (!ok || full()) {
				walLog := fs[0].LogNum()
				if !ok {
					walLog = next
				} else {
					wb.midMergeCkpts.Add(1)
				}
				db.startCheckpointAt(walLog)
			}
		}
		s.mu.Unlock()
	}
	wb.merges.Add(1)
	wb.mergedTables.Add(uint64(len(fs)))
	wb.mergedKeys.Add(keys)
	wb.mergeNanos.Add(uint64(time.Since(start)))
	return nil
}

// mergeChunk applies the newest versions of the next keys of it to the
// tree as one write: mergeChunkKeys keys, or fewer once the dirty bytes
// reach budget or the clean leaves made deltas reach bases (at least
// one). It publishes the write with sequence number base if keys are left
// (more), else with last: so a checkpoint of a version in mid-merge
// records the sequence number from before the merged memtables, whose
// records recovery then replays in full. A failed write changes nothing.
// The caller holds mu.
func (s *store) mergeChunk(it *mergeSource, base, last uint64, budget int64, bases int) (more bool, keys int, err error) {
	m := s.mark()
	w := s.newWriter()
	more = it.valid()
	for ; more && keys < mergeChunkKeys && (keys == 0 || s.dirty+w.dirty < budget && s.basesRead < bases); keys++ {
		cur := it.its[it.cur]
		if cur.Kind() == engine.KindDelete {
			err = w.del(cur.Key())
		} else {
			err = w.set(cur.Key(), cur.Value())
		}
		if err != nil {
			s.abort(m)
			return true, 0, err
		}
		more = it.next()
	}
	seq := base
	if !more {
		seq = last
	}
	s.publish(w, seq)
	return more, keys, nil
}

// replayBuffered is replay for the buffered mode: it inserts the WAL's
// records into memtables, as the writes did. Whenever memTables-1 are
// full it merges them into the tree at once, in key order, as the merger
// does (checkpointing when the dirty bytes pass the budget, with the WAL
// left as it is), which is several times faster than writing each record
// into the tree. The write buffer takes over the memtables left: the
// full ones (db.replayedFull), which its merger merges in the background
// once Open returns, and the last one (db.replayed), the active one.
func (db *DB) replayBuffered(walDir string, memTables int) error {
	s := db.s
	s.mu.Lock()
	defer s.mu.Unlock()
	std := int(db.opts.MemTableSize)
	var cur *commit.Table
	var full []*commit.Table
	n := 0
	// The replayed records may be in segments never synced: the process
	// died, and the system kept its unsynced writes. A merge's checkpoint
	// in mid-merge (here, or the merger's after Open, which syncs only the
	// new segment) relies on the WAL to replay all of the merged
	// memtables, so every segment holding one of their records is synced
	// first, as the merger syncs before merging.
	var first, last uint64 // the segments of the first and last records replayed
	syncedTo := uint64(0)
	syncTo := func(seg uint64) error {
		if first == 0 || seg <= syncedTo {
			return nil
		}
		if err := syncSegments(db.opts.FS, walDir, max(first, syncedTo+1), seg); err != nil {
			return err
		}
		syncedTo = seg
		return nil
	}
	err := scanWAL(db.opts.FS, walDir, s, &db.seq, func(pos wal.Position, b *engine.Batch) error {
		if err := db.opts.CheckBatch(b); err != nil {
			return engine.Corruptf(walDir, -1, "batch %d over the size limits: %v", b.Seq(), err)
		}
		need, count, _ := commit.BatchNeed(b)
		if cur != nil && !cur.Fits(need, count) {
			full, cur = append(full, cur), nil
			if len(full) >= memTables-1 {
				if err := syncTo(last); err != nil {
					return err
				}
				if err := db.mergeReplayed(full); err != nil {
					return err
				}
				full = nil
			}
		}
		if cur == nil {
			capacity, err := commit.Capacity(std, need, count)
			if err != nil {
				return engine.Corruptf(walDir, -1, "batch %d: %v", b.Seq(), err)
			}
			cur = commit.NewTable(capacity, pos.Segment)
		}
		if first == 0 {
			first = pos.Segment
		}
		last = pos.Segment
		lastSeq := b.Seq() + uint64(count) - 1
		cur.Reserve(need, count, lastSeq)
		err := cur.Apply(b, b.Seq())
		cur.Unreserve(need, count)
		n++
		return err
	})
	if err != nil {
		return err
	}
	if err := syncTo(last); err != nil {
		return err
	}
	db.replayed, db.replayedFull = cur, full
	if n > 0 {
		db.opts.Logger.Logf("btree: %s: replayed %d WAL records, up to sequence %d", db.dir, n, db.seq)
	}
	return nil
}

// syncSegments syncs WAL segments from through to (those that exist).
func syncSegments(fs vfs.FS, walDir string, from, to uint64) error {
	for n := from; n <= to; n++ {
		path := filepath.Join(walDir, wal.SegmentName(n))
		f, err := fs.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("btree: syncing the replayed WAL: %w", err)
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("btree: syncing the replayed WAL segment %s: %w", path, err)
		}
	}
	return nil
}

// mergeReplayed merges memtables filled by replayBuffered (oldest first)
// into the tree. The caller holds s.mu.
func (db *DB) mergeReplayed(fs []*commit.Table) error {
	s := db.s
	it := newMergeSource(fs)
	base := s.cur.Load().seq
	last := fs[len(fs)-1].MaxSeq()
	for more := it.valid(); more; {
		var err error
		if more, _, err = s.mergeChunk(it, base, last, db.opts.MemTableSize, math.MaxInt); err != nil {
			return err
		}
		// Keep memory bounded: checkpoint (the WAL stays as it is, and
		// is replayed from the same point).
		if s.dirty >= db.opts.MemTableSize {
			if err := s.checkpointSync(s.meta.WALLog); err != nil {
				return err
			}
		}
	}
	return nil
}

// baseBudget is how many clean leaves a merge makes deltas of before it
// checkpoints: a quarter of the page cache, so that the checkpoint finds
// their pages (which it reads again, to merge each delta) still cached.
// Without it, a merge into a tree larger than the cache checkpointed only
// at the dirty budget, by which time it had read more leaves than the
// cache holds, and the checkpoint read most of them from the file again.
func (wb *writeBuffer) baseBudget() int {
	c := wb.db.s.pg.cache.Capacity()
	if c == 0 {
		return math.MaxInt // no cache: nothing to keep
	}
	return max(c/4, 64)
}

// flush freezes the active memtable, if it holds anything, has the
// merger merge every full memtable without waiting for more, and waits
// until it has merged them (not those frozen later by writers). With wait
// false it does not block (the timer's trigger): it freezes only if that
// does not stall, and does not wait for the merge.
func (wb *writeBuffer) flush(wait bool) error {
	wb.commitMu.Lock()
	if !wb.mem.Empty() {
		freeze := wait
		if !wait {
			wb.mu.Lock()
			freeze = len(wb.frozen) < wb.maxFrozen
			wb.mu.Unlock()
		}
		if freeze {
			if err := wb.freeze(int(wb.db.opts.MemTableSize)); err != nil {
				wb.commitMu.Unlock()
				return err
			}
		}
	}
	wb.mu.Lock()
	target := wb.frozenN
	wb.drainN = max(wb.drainN, target)
	wb.cond.Broadcast()
	wb.mu.Unlock()
	wb.commitMu.Unlock()
	if !wait {
		return nil
	}
	wb.mu.Lock()
	defer wb.mu.Unlock()
	for wb.mergedN < target {
		if err := wb.db.s.failedErr(); err != nil {
			return err
		}
		wb.cond.Wait()
	}
	return wb.db.s.failedErr()
}

// close stops the merger once nothing is frozen.
func (wb *writeBuffer) close() {
	wb.mu.Lock()
	wb.stop = true
	wb.cond.Broadcast()
	wb.mu.Unlock()
}

// bytes returns the memory the memtables hold: the arena bytes in use and
// their whole indexes (so never 0: an empty memtable of the default 32 MiB
// holds an index of about 2.5 MiB).
func (wb *writeBuffer) bytes() int64 {
	v := wb.view.Load()
	n := int64(v.mem.Skiplist().Size())
	for _, f := range v.frozen {
		n += int64(f.Skiplist().Size())
	}
	return n
}

// mergeSource walks, in key order, the newest version of every key of
// some memtables: a merge of their iterators in which, for a key in
// several, the newest memtable's version wins (their sequence numbers do
// not overlap). Within one memtable a key's newest version comes first.
type mergeSource struct {
	its []*memtable.Iterator // newest memtable first
	cur int                  // the iterator on the current key's newest version; -1 at the end
}

// newMergeSource returns a mergeSource of tables (oldest first), on its
// first key.
func newMergeSource(tables []*commit.Table) *mergeSource {
	ms := &mergeSource{its: make([]*memtable.Iterator, len(tables))}
	for i, t := range tables {
		it := t.Skiplist().NewIter()
		it.First()
		ms.its[len(tables)-1-i] = it
	}
	ms.pick()
	return ms
}

// valid reports whether the source stands on a key.
func (ms *mergeSource) valid() bool { return ms.cur >= 0 }

// pick makes cur the iterator on the smallest key, the newest memtable's
// on a tie.
func (ms *mergeSource) pick() {
	ms.cur = -1
	for i, it := range ms.its {
		if it.Valid() && (ms.cur < 0 || bytes.Compare(it.Key(), ms.its[ms.cur].Key()) < 0) {
			ms.cur = i
		}
	}
}

// next moves past every version of the current key, in every memtable,
// and reports whether a key is left.
func (ms *mergeSource) next() bool {
	key := ms.its[ms.cur].Key() // in an arena: stays valid
	for _, it := range ms.its {
		for it.Valid() && bytes.Equal(it.Key(), key) {
			it.Next()
		}
	}
	ms.pick()
	return ms.valid()
}
