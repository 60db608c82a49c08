package lsm

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/lightningdb/lightning/backends/lsm/internal/manifest"
	"github.com/lightningdb/lightning/backends/lsm/internal/sstable"
	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/commit"
	"github.com/lightningdb/lightning/engine/vfs"
)

// errCancelled stops a compaction when the DB closes; it is not a failure.
var errCancelled = fmt.Errorf("lsm: compaction cancelled: %w", engine.ErrClosed)

// compactionIter filters a stream of internal keys (all versions, in
// order) down to what must be kept:
//
//   - Open snapshots cut the sequence numbers into stripes: stripe i holds
//     the sequence numbers in (snaps[i-1], snaps[i]], the last stripe those
//     above every snapshot. A reader at any snapshot (or at the present)
//     sees, of each key, the newest version in its stripe or an older
//     stripe; so of the versions of a key in one stripe only the newest
//     is kept.
//   - A deletion in stripe 0 (visible to every reader) whose key has no
//     data below the output level (dropTombstone) is dropped too: it hides
//     nothing any more. The older versions it shadowed are in stripe 0 as
//     well, hence dropped by the first rule.
type compactionIter struct {
	in            internalIterator
	snaps         []uint64 // open snapshots' sequence numbers, ascending
	dropTombstone func(userKey []byte) bool

	key        []byte // user key of the current run of versions
	started    bool
	lastStripe int

	dropped uint64 // entries dropped
}

// stripe returns the index of the first snapshot at or above seq.
func (c *compactionIter) stripe(seq uint64) int {
	return sort.Search(len(c.snaps), func(i int) bool { return c.snaps[i] >= seq })
}

func (c *compactionIter) first() bool {
	c.in.First()
	return c.settle()
}

func (c *compactionIter) next() bool {
	c.in.Next()
	return c.settle()
}

// settle skips the entries to drop; it returns whether in is at one to
// keep.
func (c *compactionIter) settle() bool {
	for ; c.in.Valid(); c.in.Next() {
		k := c.in.Key()
		if !c.started || !bytes.Equal(k.UserKey, c.key) {
			c.key = append(c.key[:0], k.UserKey...)
			c.started = true
			c.lastStripe = -1
		}
		s := c.stripe(k.Seq())
		if s == c.lastStripe {
			c.dropped++
			continue
		}
		c.lastStripe = s
		if k.Kind() == engine.KindDelete && s == 0 && c.dropTombstone != nil && c.dropTombstone(c.key) {
			c.dropped++
			continue
		}
		return true
	}
	return false
}

// snapshotListLocked returns the open snapshots' sequence numbers,
// ascending. Under d.mu.
func (d *DB) snapshotListLocked() []uint64 {
	s := make([]uint64, 0, len(d.snapshots))
	for seq := range d.snapshots {
		s = append(s, seq)
	}
	slices.Sort(s)
	return s
}

// allocFileNum returns a new file number.
func (d *DB) allocFileNum() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.nextFileNum
	d.nextFileNum++
	return n
}

// rateFile makes a compaction's writes wait for the rate limiter.
type rateFile struct {
	vfs.File
	r      *rateLimiter
	cancel func() bool
}

func (f rateFile) Write(p []byte) (int, error) {
	f.r.wait(len(p), f.cancel)
	return f.File.Write(p)
}

// rateLimiter spaces writes to average rate bytes per second.
type rateLimiter struct {
	rate float64
	mu   sync.Mutex
	next time.Time
}

func (r *rateLimiter) wait(n int, cancel func() bool) {
	r.mu.Lock()
	now := time.Now()
	if r.next.Before(now) {
		r.next = now
	}
	r.next = r.next.Add(time.Duration(float64(n) / r.rate * float64(time.Second)))
	until := r.next
	r.mu.Unlock()
	for {
		left := time.Until(until)
		if left <= 0 || cancel() {
			return
		}
		time.Sleep(min(left, 10*time.Millisecond))
	}
}

// grandparentLimit cuts a compaction's outputs so that none overlaps more
// than limit bytes of the level below the output level (the grandparents):
// a later compaction of that output then rewrites at most about that much
// of the next level. The grandparents are sorted and disjoint; keys come
// in order.
type grandparentLimit struct {
	files      []*manifest.FileMeta
	limit      uint64 // 0: no limit
	i          int    // files before i end below the current key
	seen       bool   // a key was seen
	overlapped uint64 // bytes of grandparents the current output spans
}

// cut reports whether the output holding the previous keys should end
// before userKey. The caller cuts only at a user-key boundary, and calls
// reset when it cuts for any reason.
func (g *grandparentLimit) cut(userKey []byte) bool {
	if g.limit == 0 {
		return false
	}
	for g.i < len(g.files) && bytes.Compare(userKey, g.files[g.i].Largest.UserKey) > 0 {
		if g.seen {
			g.overlapped += g.files[g.i].Size
		}
		g.i++
	}
	g.seen = true
	return g.overlapped > g.limit
}

// reset starts a new output.
func (g *grandparentLimit) reset() { g.overlapped = 0 }

// writeOutputs writes the entries ci keeps into tables of level (whose
// codec they use), a new one once the current one reaches target bytes or
// overlaps more grandparents than grand allows, at a user-key boundary
// (target 0 writes one table), syncs them and the directory, and returns
// their metadata. limited applies the compaction rate limit; cancel is
// polled. On error the tables written are removed.
func (d *DB) writeOutputs(ci *compactionIter, level int, target uint64, grand *grandparentLimit, limited bool, cancel func() bool) (metas []*manifest.FileMeta, written uint64, err error) {
	if grand == nil {
		grand = &grandparentLimit{}
	}
	var (
		w       *sstable.Writer
		path    string
		lastKey []byte
		paths   []string
	)
	defer func() {
		if err == nil {
			return
		}
		if w != nil {
			_ = w.Abort()
		}
		for _, p := range paths {
			_ = d.fs.Remove(p) // best effort: an orphan is removed at the next Open
		}
		metas = nil
	}()
	finish := func() error {
		m, err := w.Close()
		w = nil
		if err != nil {
			return err
		}
		written += m.Size
		metas = append(metas, &manifest.FileMeta{
			FileNum: m.FileNum, Size: m.Size, Smallest: m.Smallest, Largest: m.Largest,
			SmallestSeq: m.SmallestSeq, LargestSeq: m.LargestSeq,
		})
		return nil
	}
	n := 0
	for ok := ci.first(); ok; ok = ci.next() {
		if n++; n&1023 == 0 && cancel != nil && cancel() {
			return nil, 0, errCancelled
		}
		k := ci.in.Key()
		if lastKey == nil || !bytes.Equal(k.UserKey, lastKey) {
			byGrand := grand.cut(k.UserKey) // on every user key: it tracks the position
			bySize := w != nil && target > 0 && w.EstimatedSize() >= target
			if w != nil && (bySize || byGrand) {
				if byGrand && !bySize {
					d.stats.grandparentCuts.Add(1)
				}
				grand.reset()
				if err := finish(); err != nil {
					return nil, 0, err
				}
			}
		}
		if w == nil {
			num := d.allocFileNum()
			path = filepath.Join(d.dir, tableName(num))
			f, err := d.fs.Create(path)
			if err != nil {
				return nil, 0, fmt.Errorf("lsm: creating table: %w", err)
			}
			paths = append(paths, path)
			if limited && d.rate != nil {
				f = rateFile{File: f, r: d.rate, cancel: cancel}
			}
			o := d.wopts
			o.FileNum = num
			o.Compressor = d.comps[level]
			w = sstable.NewWriter(f, path, o)
		}
		if err := w.Add(k, ci.in.Value()); err != nil {
			return nil, 0, err
		}
		lastKey = append(lastKey[:0], k.UserKey...)
	}
	if err := ci.in.Error(); err != nil {
		return nil, 0, err
	}
	if w != nil {
		if err := finish(); err != nil {
			return nil, 0, err
		}
	}
	if len(metas) > 0 {
		if err := d.fs.SyncDir(d.dir); err != nil {
			return nil, 0, fmt.Errorf("lsm: syncing %s: %w", d.dir, err)
		}
	}
	return metas, written, nil
}

// logAndApplyLocked records edit in the MANIFEST (rewriting the MANIFEST
// when it has grown past its limit), makes the resulting Version current
// and publishes a new read state. Under d.mu.
func (d *DB) logAndApplyLocked(edit *manifest.VersionEdit) error {
	edit.NextFileNum = d.nextFileNum
	nv, err := d.current.Apply(edit)
	if err != nil {
		return fmt.Errorf("lsm: internal error: %w", err)
	}
	logNum, lastSeq := d.logNum, d.lastSeq
	if edit.LogNum != 0 {
		logNum = edit.LogNum
	}
	if edit.LastSeq != 0 {
		lastSeq = edit.LastSeq
	}
	if d.man.Size() >= d.set.ManifestSize {
		num := d.nextFileNum
		d.nextFileNum++
		w, err := manifest.Create(d.fs, d.dir, num, nv.Snapshot(logNum, d.nextFileNum, lastSeq))
		if err != nil {
			return err
		}
		if err := manifest.WriteCurrent(d.fs, d.dir, num); err != nil {
			_ = w.Close()
			return err
		}
		old := d.man
		d.man = w
		if err := old.Close(); err != nil {
			return err
		}
		if err := d.fs.Remove(filepath.Join(d.dir, manifest.FileName(old.Num()))); err != nil {
			return fmt.Errorf("lsm: removing the old MANIFEST: %w", err)
		}
		d.stats.manifestRotations.Add(1)
	} else if err := d.man.Append(edit); err != nil {
		return err
	}
	d.logNum, d.lastSeq = logNum, lastSeq
	nv.Retain()
	old := d.current
	d.current = nv
	d.publishLocked()
	d.addObsolete(old.Release())
	return nil
}

// flushLoop writes full memtables to level 0, oldest first, until Close
// (which lets a flush in progress finish) or a failure.
func (d *DB) flushLoop() {
	defer d.bg.Done()
	d.mu.Lock()
	defer d.mu.Unlock()
	for {
		for !d.closing && d.bgErrLocked() == nil && len(d.imms) == 0 {
			d.cond.Wait()
		}
		if d.closing || d.bgErrLocked() != nil {
			return
		}
		m := d.imms[0]
		d.mu.Unlock()
		err := d.flush(m)
		d.mu.Lock()
		if err != nil {
			d.failLocked(err)
			return
		}
		d.cond.Broadcast()
	}
}

// flush writes memtable m (the oldest immutable one) to a level-0 table
// and records it; then the WAL segments it made redundant go.
func (d *DB) flush(m *commit.Table) error {
	m.Wait() // every batch reserved in m is inserted
	d.mu.Lock()
	snaps := d.snapshotListLocked()
	d.mu.Unlock()
	ci := &compactionIter{in: newMemIter(m), snaps: snaps}
	metas, written, err := d.writeOutputs(ci, 0, 0, nil, false, nil)
	if err != nil {
		return fmt.Errorf("lsm: flush: %w", err)
	}
	d.mu.Lock()
	next := d.mem.LogNum()
	if len(d.imms) > 1 {
		next = d.imms[1].LogNum()
	}
	edit := &manifest.VersionEdit{LogNum: next, LastSeq: max(m.MaxSeq(), d.lastSeq)}
	for _, f := range metas {
		edit.Added = append(edit.Added, manifest.NewFile{Level: 0, Meta: f})
	}
	// d.imms[0] is m: only this goroutine removes memtables from imms.
	d.imms = d.imms[1:]
	if err := d.logAndApplyLocked(edit); err != nil {
		d.imms = append([]*commit.Table{m}, d.imms...)
		d.mu.Unlock()
		return fmt.Errorf("lsm: flush: %w", err)
	}
	d.stats.flushes.Add(1)
	d.stats.flushBytes.Add(written)
	d.maybeCompactLocked()
	d.mu.Unlock()
	if err := d.wal.DeleteObsolete(next); err != nil {
		return fmt.Errorf("lsm: flush: %w", err)
	}
	return nil
}

// compaction is one compaction: the input files of level and outLevel
// (the files of outLevel overlapping the inputs of level) merged into new
// files of outLevel, or a move of one file when nothing overlaps.
type compaction struct {
	level, outLevel int
	inputs          [2][]*manifest.FileMeta
	trivial         bool
	v               *manifest.Version // retained while the compaction runs
	snaps           []uint64
}

// keyRange returns the user-key range of files.
func keyRange(files []*manifest.FileMeta) (lo, hi []byte) {
	for _, f := range files {
		if lo == nil || bytes.Compare(f.Smallest.UserKey, lo) < 0 {
			lo = f.Smallest.UserKey
		}
		if hi == nil || bytes.Compare(f.Largest.UserKey, hi) > 0 {
			hi = f.Largest.UserKey
		}
	}
	return lo, hi
}

func anyCompacting(files []*manifest.FileMeta) bool {
	return slices.ContainsFunc(files, func(f *manifest.FileMeta) bool { return f.Compacting })
}

// newCompaction builds the compaction of inputs at level into level+1, or
// returns nil if a file it needs is already being compacted. Under d.mu.
func (d *DB) newCompaction(level int, inputs []*manifest.FileMeta) *compaction {
	v := d.current
	lo, hi := keyRange(inputs)
	over := v.Overlaps(level+1, lo, hi)
	if anyCompacting(inputs) || anyCompacting(over) {
		return nil
	}
	c := &compaction{level: level, outLevel: level + 1, inputs: [2][]*manifest.FileMeta{slices.Clone(inputs), slices.Clone(over)}}
	c.trivial = len(inputs) == 1 && len(over) == 0
	return c
}

// pickLocked returns the most urgent compaction, or nil. Level 0 scores
// its file count against the trigger, other levels their size against
// their target; the highest score at or above 1 wins. Under d.mu.
func (d *DB) pickLocked() *compaction {
	v := d.current
	type cand struct {
		level int
		score float64
	}
	var cands []cand
	if n := len(v.Levels[0]); n > 0 && !anyCompacting(v.Levels[0]) {
		switch {
		case n >= d.set.L0CompactionTrigger:
			cands = append(cands, cand{0, float64(n) / float64(d.set.L0CompactionTrigger)})
		case d.readCompact:
			cands = append(cands, cand{0, 1})
		}
	}
	for level := 1; level < manifest.NumLevels-1; level++ {
		var size uint64
		for _, f := range v.Levels[level] {
			if !f.Compacting {
				size += f.Size
			}
		}
		if s := float64(size) / d.set.levelTarget(level); s >= 1 {
			cands = append(cands, cand{level, s})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	for _, cd := range cands {
		if cd.level == 0 {
			if c := d.newCompaction(0, v.Levels[0]); c != nil {
				if d.readCompact && len(v.Levels[0]) < d.set.L0CompactionTrigger {
					d.stats.readCompactions.Add(1)
				}
				d.readCompact = false
				return c
			}
			continue
		}
		// Round robin through the level, from past the last file taken.
		files := v.Levels[cd.level]
		start := 0
		if p := d.compactPointer[cd.level]; p != nil {
			start = sort.Search(len(files), func(i int) bool { return bytes.Compare(files[i].Smallest.UserKey, p) > 0 })
		}
		for k := range files {
			f := files[(start+k)%len(files)]
			if f.Compacting {
				continue
			}
			if c := d.newCompaction(cd.level, []*manifest.FileMeta{f}); c != nil {
				d.compactPointer[cd.level] = append(d.compactPointer[cd.level][:0], f.Largest.UserKey...)
				return c
			}
		}
	}
	return nil
}

// maybeCompactLocked starts background compactions while there is work
// and room. Under d.mu.
func (d *DB) maybeCompactLocked() {
	if d.closing || d.bgErrLocked() != nil || d.manual > 0 {
		return
	}
	for d.compacting < d.set.CompactionConcurrency {
		c := d.pickLocked()
		if c == nil {
			return
		}
		d.beginLocked(c)
		d.bg.Add(1)
		go func() {
			defer d.bg.Done()
			err := d.compact(c)
			d.mu.Lock()
			d.endLocked(c, err)
			d.maybeCompactLocked()
			d.mu.Unlock()
		}()
	}
}

// beginLocked claims the compaction's inputs. Under d.mu.
func (d *DB) beginLocked(c *compaction) {
	for _, files := range c.inputs {
		for _, f := range files {
			f.Compacting = true
		}
	}
	c.v = d.current
	c.v.Retain()
	c.snaps = d.snapshotListLocked()
	d.compacting++
}

// endLocked releases the compaction's claims and records a failure.
// Under d.mu.
func (d *DB) endLocked(c *compaction, err error) {
	for _, files := range c.inputs {
		for _, f := range files {
			f.Compacting = false
		}
	}
	d.addObsolete(c.v.Release())
	d.compacting--
	if err != nil && !errors.Is(err, errCancelled) {
		d.failLocked(err)
	}
	d.cond.Broadcast()
}

// compact runs c: a move, or a merge of the inputs into new files.
func (d *DB) compact(c *compaction) error {
	if c.trivial {
		f := c.inputs[0][0]
		d.mu.Lock()
		defer d.mu.Unlock()
		err := d.logAndApplyLocked(&manifest.VersionEdit{
			Deleted: []manifest.DeletedFile{{Level: c.level, FileNum: f.FileNum}},
			Added:   []manifest.NewFile{{Level: c.outLevel, Meta: f}},
		})
		if err != nil {
			return fmt.Errorf("lsm: compaction (move): %w", err)
		}
		d.stats.moves.Add(1)
		return nil
	}
	var iters []internalIterator
	if c.level == 0 {
		for _, f := range c.inputs[0] {
			iters = append(iters, newLevelIter(d.tc, []*manifest.FileMeta{f}, nil, nil))
		}
	} else {
		iters = append(iters, newLevelIter(d.tc, c.inputs[0], nil, nil))
	}
	if len(c.inputs[1]) > 0 {
		iters = append(iters, newLevelIter(d.tc, c.inputs[1], nil, nil))
	}
	m := newMergingIter(iters)
	ci := &compactionIter{in: m, snaps: c.snaps, dropTombstone: func(k []byte) bool { return isBaseLevel(c.v, c.outLevel, k) }}
	grand := &grandparentLimit{limit: uint64(d.set.TargetFileSize) * uint64(d.set.GrandparentOverlap)}
	if c.outLevel+1 < manifest.NumLevels {
		grand.files = c.v.Levels[c.outLevel+1]
	}
	metas, written, err := d.writeOutputs(ci, c.outLevel, uint64(d.set.TargetFileSize), grand, true, d.stopping.Load)
	if cerr := m.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, errCancelled) {
			return err
		}
		return fmt.Errorf("lsm: compaction L%d->L%d: %w", c.level, c.outLevel, err)
	}
	edit := &manifest.VersionEdit{}
	var read uint64
	for i, files := range c.inputs {
		level := c.level
		if i == 1 {
			level = c.outLevel
		}
		for _, f := range files {
			edit.Deleted = append(edit.Deleted, manifest.DeletedFile{Level: level, FileNum: f.FileNum})
			read += f.Size
		}
	}
	for _, f := range metas {
		edit.Added = append(edit.Added, manifest.NewFile{Level: c.outLevel, Meta: f})
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.logAndApplyLocked(edit); err != nil {
		// The outputs stay: whether the MANIFEST holds the edit is unknown
		// after a failed append. Open removes them if it does not.
		return fmt.Errorf("lsm: compaction L%d->L%d: %w", c.level, c.outLevel, err)
	}
	d.stats.compactions.Add(1)
	d.stats.compactBytesRead.Add(read)
	d.stats.compactBytesWritten.Add(written)
	d.stats.compactDropped.Add(ci.dropped)
	return nil
}

// isBaseLevel reports whether no level below outLevel holds userKey's
// range in v.
func isBaseLevel(v *manifest.Version, outLevel int, userKey []byte) bool {
	for level := outLevel + 1; level < manifest.NumLevels; level++ {
		files := v.Levels[level]
		i := v.FindFile(level, userKey)
		if i < len(files) && bytes.Compare(files[i].Smallest.UserKey, userKey) <= 0 {
			return false
		}
	}
	return true
}

// Compact flushes the memtables and then compacts every level into the
// next until all the data is in one level (the deepest one holding data,
// at least level 1), and that level into itself unless the last step
// already merged all of it: shadowed versions no snapshot needs and
// deletions are dropped. Background compactions are paused meanwhile. On
// a read-only DB it does nothing.
func (d *DB) Compact() error {
	if err := d.Flush(); err != nil {
		return err
	}
	if d.opts.ReadOnly {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.manual++
	defer func() {
		d.manual--
		d.maybeCompactLocked()
	}()
	covered := false // the last step merged every file of its output level
	for level := 0; level < manifest.NumLevels; level++ {
		for d.compacting > 0 && !d.closing && d.bgErrLocked() == nil {
			d.cond.Wait()
		}
		if err := d.bgErrLocked(); err != nil {
			return err
		}
		if d.closing {
			return fmt.Errorf("lsm: Compact: %w", engine.ErrClosed)
		}
		v := d.current
		bottom := 0
		for l := range v.Levels {
			if len(v.Levels[l]) > 0 {
				bottom = l
			}
		}
		if level > bottom {
			break
		}
		if len(v.Levels[level]) == 0 {
			continue
		}
		var c *compaction
		if level < bottom || level == 0 {
			if c = d.newCompaction(level, v.Levels[level]); c == nil {
				return fmt.Errorf("lsm: internal error: manual compaction found level %d busy", level)
			}
			covered = !c.trivial && len(c.inputs[1]) == len(v.Levels[level+1])
		} else if covered {
			break
		} else {
			c = &compaction{level: level, outLevel: level, inputs: [2][]*manifest.FileMeta{slices.Clone(v.Levels[level]), nil}}
		}
		d.beginLocked(c)
		d.bg.Add(1) // Close waits for the step (d.closing is false here)
		d.mu.Unlock()
		err := d.compact(c)
		d.mu.Lock()
		d.endLocked(c, err)
		d.bg.Done()
		if err != nil {
			return err
		}
	}
	return nil
}

// readCompactionLoop runs while the DB is open (not read-only) with
// Settings.ReadCompactionInterval > 0. Every interval it compares the
// level-0 tables Gets consulted in vain (opL0Wasted) with what compacting
// level 0 would cost, as LevelDB's seek-triggered compactions do: if no
// memtable was flushed during the interval (a read-mostly phase) and the
// wasted probes reach readCompactionAllowance, it asks for a compaction of
// level 0 into level 1 even though level 0 is below its file-count
// trigger. Close stops it.
func (d *DB) readCompactionLoop() {
	defer d.bg.Done()
	t := time.NewTicker(d.set.ReadCompactionInterval)
	defer t.Stop()
	lastWasted, lastFlushes := d.ops.sum(opL0Wasted), d.stats.flushes.Load()
	for {
		select {
		case <-d.done:
			return
		case <-t.C:
		}
		wasted, flushes := d.ops.sum(opL0Wasted), d.stats.flushes.Load()
		probes, quiet := wasted-lastWasted, flushes == lastFlushes
		lastWasted, lastFlushes = wasted, flushes
		if !quiet || probes == 0 {
			continue
		}
		d.mu.Lock()
		if l0 := d.current.Levels[0]; len(l0) > 0 && probes >= readCompactionAllowance(l0) {
			d.readCompact = true
			d.maybeCompactLocked()
		}
		d.mu.Unlock()
	}
}

// readCompactionAllowance is how many wasted level-0 probes in one
// interval justify compacting the level-0 files: one per 16 KiB of them
// (LevelDB's estimate of what one extra table probe costs, in compaction
// I/O), and at least 1000.
func readCompactionAllowance(l0 []*manifest.FileMeta) uint64 {
	var size uint64
	for _, f := range l0 {
		size += f.Size
	}
	return max(size/(16<<10), 1000)
}
