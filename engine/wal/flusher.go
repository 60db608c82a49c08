package wal

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/lightningdb/lightning/engine/record"
	"github.com/lightningdb/lightning/engine/vfs"
)

// job is the flusher's work on one segment in one round.
type job struct {
	s        *segment
	data     []byte // bytes to append
	records  int    // records in data
	end      int64  // segment size after data
	seal     bool   // seal the segment after data, sync and close it
	create   bool   // the segment's file does not exist yet
	prealloc bool   // create it from the preallocated file
	recycle  uint64 // else the free file to create it from, or 0
}

// flushState is the flusher's own state between rounds.
type flushState struct {
	jobs     []job
	unsynced uint64   // records written but not yet synced
	active   *segment // the unsealed segment whose file is open
	// expect is how many sync waiters there were when the last round
	// that synced ended: the writers it released are expected back (see
	// gather).
	expect int64
	// syncTime is a moving average of the duration of an fsync.
	syncTime time.Duration

	// Preallocation (see maybePrealloc). fast: the active segment's file
	// was recycled or preallocated. segSyncs counts the syncs made for
	// sync writers in the active segment. prep receives the outcome of the
	// preallocation in progress (nil when none is); preReady says the
	// preallocated file is ready; noPrealloc stops all preallocation (the
	// FS cannot, or it failed once).
	fast       bool
	segSyncs   int
	prep       chan error
	preReady   bool
	noPrealloc bool
}

// preallocAfterSyncs is how many syncs for sync writers a segment must
// have had before the flusher preallocates the next one: preallocation
// pays only when many fsyncs follow, and costs a segment's worth of
// zeros written.
const preallocAfterSyncs = 64

// Bounds of gather's wait for released sync writers to come back, as
// fractions of the average fsync time with absolute floors and caps.
const (
	gatherGapDiv, minGatherGap, maxGatherGap = 8, 10 * time.Microsecond, 200 * time.Microsecond
	gatherMaxDiv, minGatherMax, maxGatherMax = 2, 20 * time.Microsecond, time.Millisecond
)

// gather lets the sync writers released by the last round come back
// before a round takes the buffered records, so that one fsync covers
// all of them. Without it, a closed loop of n sync writers settles into
// two alternating groups of n/2: the writers queued during an fsync are
// taken the moment it returns, while those it released are still waking
// up, and these then queue during the next fsync. The writers are
// runnable, not sleeping, so the flusher yields the processor to them
// (no timer: Go rounds short sleeps up when nothing else runs) until as
// many have asked for a sync since the last take as were waiting when the
// last sync ended, or none arrives for an eighth of an fsync's time (the
// gap), or half an fsync's time has passed. A lone writer costs nothing;
// writers that do not come back cost one gap of yielding, about 1/8 of
// the fsync that follows.
func (l *Log) gather(st *flushState) {
	want := st.expect
	seen := l.requests.Load()
	if want <= 1 || seen == 0 || seen >= want {
		return
	}
	gap := min(max(st.syncTime/gatherGapDiv, minGatherGap), maxGatherGap)
	limit := min(max(st.syncTime/gatherMaxDiv, minGatherMax), maxGatherMax)
	start := time.Now()
	last := start
	for seen < want {
		runtime.Gosched()
		now := time.Now()
		if w := l.requests.Load(); w != seen {
			seen, last = w, now
		}
		if now.Sub(last) > gap || now.Sub(start) > limit {
			return
		}
	}
}

// flushLoop is the flusher goroutine: one round per wake-up (a kick from
// a writer, or the sync ticker) until the log is closed and drained, or
// has failed and is closed. first is the segment Open created, fast
// whether its file was recycled.
func (l *Log) flushLoop(first *segment, fast bool) {
	defer close(l.done)
	var tick <-chan time.Time
	if l.opts.SyncInterval > 0 {
		t := time.NewTicker(l.opts.SyncInterval)
		defer t.Stop()
		tick = t.C
	}
	st := &flushState{active: first, fast: fast}
	defer l.dropPrealloc(st)
	for {
		timed := false
		select {
		case <-l.work:
		case <-tick:
			timed = true
		}
		if !l.round(st, timed) {
			return
		}
	}
}

// round takes everything buffered, writes it, seals and syncs finished
// segments, creates new ones, and syncs if a writer asked for it (or timed
// is set and something is unsynced). It returns false when the flusher
// should exit.
func (l *Log) round(st *flushState, timed bool) bool {
	l.gather(st)
	l.pollPrealloc(st)
	l.mu.Lock()
	if l.err != nil {
		l.closeFilesLocked()
		closed := l.closed
		l.mu.Unlock()
		return !closed
	}
	jobs := st.jobs[:0]
	l.requests.Store(0)
	if st.preReady && !st.fast && l.cur == st.active && !l.cur.sealed {
		// A preallocated file is ready and the active segment appends to
		// a new file: move to the preallocated one now.
		l.rotateLocked()
	}
	for _, s := range l.segs {
		if len(s.pend) == 0 && !s.sealed && s.f != nil {
			continue
		}
		j := job{s: s, data: s.pend, records: s.records, end: s.rw.Size(), seal: s.sealed}
		if s.f == nil {
			j.create = true
			if st.preReady {
				j.prealloc, st.preReady = true, false
			} else {
				j.recycle = l.popFree()
			}
		}
		s.pend, s.records = nil, 0
		if !s.sealed {
			s.pend, l.spare = l.spare[:0], nil
		}
		jobs = append(jobs, j)
	}
	if l.pendBytes >= l.opts.MaxPending {
		l.cond.Broadcast() // writers waiting for room
	}
	l.pendBytes = 0
	written, synced := l.written, l.synced
	waited := synced.Less(l.syncWant)
	needSync := waited || timed && (synced.Less(written) || len(jobs) > 0)
	l.mu.Unlock()

	var created []uint64
	var done []*segment
	err := func() error {
		for i := range jobs {
			j := &jobs[i]
			s := j.s
			if j.create {
				f, err := l.createFile(s.num, j.recycle, j.prealloc)
				if err != nil {
					return err
				}
				s.f = f
				created = append(created, s.num)
				// Every earlier segment is sealed and synced.
				written = Position{s.num, 0}
				synced = written
				st.active = s
				st.fast = j.prealloc || j.recycle != 0
				st.segSyncs = 0
			}
			if len(j.data) > 0 {
				if _, err := s.f.Write(j.data); err != nil {
					return fmt.Errorf("wal: writing %s: %w", SegmentName(s.num), err)
				}
				l.m.writes.Add(1)
				written = Position{s.num, j.end}
				st.unsynced += uint64(j.records)
			}
			if j.seal {
				// Sync the data, then write the seal, whose witness
				// vouches for it, and sync again.
				if synced.Less(written) {
					if err := l.syncFile(st, s); err != nil {
						return err
					}
					synced = written
				}
				seal, err := l.encodeSeal(s, j.end)
				if err == nil {
					_, err = s.f.Write(seal)
				}
				if err != nil {
					return fmt.Errorf("wal: sealing %s: %w", SegmentName(s.num), err)
				}
				l.m.writes.Add(1)
				if err := l.syncFile(st, s); err != nil {
					return err
				}
				written = Position{s.num, j.end + int64(len(seal))}
				synced = written
				err = s.f.Close()
				s.f = nil
				if st.active == s {
					st.active = nil
				}
				if err != nil {
					return fmt.Errorf("wal: closing %s: %w", SegmentName(s.num), err)
				}
				done = append(done, s)
			}
		}
		if needSync && synced.Less(written) && st.active != nil {
			if err := l.syncFile(st, st.active); err != nil {
				return err
			}
			synced = written
			if waited {
				st.segSyncs++
			}
		}
		return nil
	}()

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.written.Less(written) {
		l.written = written
	}
	if l.synced.Less(synced) {
		l.synced = synced
		if a := st.active; a != nil && a.num == synced.Segment {
			a.rw.MarkSynced(synced.Offset)
		}
		// The waiters now: those this sync releases and those queued
		// behind it. Only a round that synced sets it; a round that
		// synced nothing may run while released writers are between
		// leaving waitSynced and entering it again.
		st.expect = l.waiters.Load()
	}
	for _, s := range done {
		s.done = true
	}
	l.segs = slices.DeleteFunc(l.segs, func(s *segment) bool { return s.done })
	l.live = append(l.live, created...)
	for _, j := range jobs {
		if l.spare == nil && cap(j.data) <= 2*l.opts.MaxPending {
			l.spare = j.data[:0]
		}
	}
	clear(jobs) // drop references to segments and buffers
	st.jobs = jobs[:0]
	if err != nil {
		l.failLocked(err)
		l.closeFilesLocked()
	} else {
		l.maybePrealloc(st, written)
	}
	l.cond.Broadcast()
	return !(l.closed && (l.err != nil || len(l.segs) == 0))
}

// encodeSeal encodes the seal of segment s, whose data (end bytes) is
// durable.
func (l *Log) encodeSeal(s *segment, end int64) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.rw.MarkSynced(end)
	err := s.rw.Seal()
	if err == nil {
		err = s.rw.Flush()
	}
	seal := s.pend
	s.pend = nil
	l.m.bytes.Add(uint64(len(seal)))
	return seal, err
}

// syncFile fsyncs s's file and counts it.
func (l *Log) syncFile(st *flushState, s *segment) error {
	start := time.Now()
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("wal: syncing %s: %w", SegmentName(s.num), err)
	}
	st.syncTime += (time.Since(start) - st.syncTime) / 4
	l.m.syncs.Add(1)
	l.m.syncedRecords.Add(st.unsynced)
	st.unsynced = 0
	return nil
}

// closeFilesLocked closes the files of a failed log. Under mu, from the
// flusher.
func (l *Log) closeFilesLocked() {
	for _, s := range l.segs {
		if s.f != nil {
			s.f.Close()
			s.f = nil
		}
	}
}

// maybePrealloc starts preallocating the file of the next segment, in
// the background, when the active segment has served many sync writers
// (preallocAfterSyncs syncs), no free file is left, and either the active
// segment appends to a new file (then the log moves to the preallocated
// file as soon as it is ready) or it is half full. The zeros are written
// and synced by another goroutine under the name preallocName, so the
// flusher never waits for them; createFile renames the file into place.
// Under mu, from the flusher, with written the end of the data written.
func (l *Log) maybePrealloc(st *flushState, written Position) {
	a := st.active
	if st.noPrealloc || st.prep != nil || st.preReady || a == nil || a.f == nil || l.closed ||
		st.segSyncs < preallocAfterSyncs {
		return
	}
	if len(l.free) > 0 || st.fast && (written.Segment != a.num || written.Offset < l.opts.SegmentSize/2) {
		return // the next segment recycles a free file, or is far off
	}
	if _, ok := a.f.(vfs.Preallocator); !ok {
		st.noPrealloc = true // the FS cannot; do not ask again
		return
	}
	// Room for a segment, its last record's overshoot of a 100-byte
	// record or so, and its seal; a larger last record appends.
	size := l.opts.SegmentSize + 2*record.BlockSize
	st.prep = make(chan error, 1)
	go func(done chan<- error) { done <- l.preallocate(size) }(st.prep)
}

// preallocStep is how many bytes preallocate zero-fills between checks
// of Log.preStop.
const preallocStep = 4 << 20

var errPreallocStopped = errors.New("wal: preallocation stopped: the log is closing")

// preallocate creates preallocName, zero-filled and synced to size bytes.
// On failure it removes what it created.
func (l *Log) preallocate(size int64) error {
	path := filepath.Join(l.dir, preallocName)
	f, err := l.fs.Create(path)
	if err != nil {
		return err
	}
	p, ok := f.(vfs.Preallocator)
	if !ok {
		err = fmt.Errorf("wal: %s cannot be preallocated", path)
	}
	// In steps, so that Close need not wait for all of it.
	for n := min(size, preallocStep); err == nil; n = min(size, n+preallocStep) {
		if l.preStop.Load() {
			err = errPreallocStopped
		} else if err = p.Preallocate(n); err == nil && n == size {
			err = f.Sync()
			break
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		l.fs.Remove(path) // best effort: Open removes it too
	}
	return err
}

// pollPrealloc collects the outcome of a finished preallocation. A failure
// (a full disk, say) is not the log's: segments then append to new files,
// as without preallocation, and the flusher does not try again.
func (l *Log) pollPrealloc(st *flushState) {
	if st.prep == nil {
		return
	}
	select {
	case err := <-st.prep:
		st.prep = nil
		st.preReady = err == nil
		st.noPrealloc = err != nil
	default:
	}
}

// dropPrealloc waits for a preallocation in progress and removes the
// preallocated file, unused, as the flusher exits. A failure to remove it
// is not reported: it holds no records, and Open removes it.
func (l *Log) dropPrealloc(st *flushState) {
	if st.prep != nil {
		l.preStop.Store(true)
		st.preReady = <-st.prep == nil
		st.prep = nil
	}
	if st.preReady {
		l.fs.Remove(filepath.Join(l.dir, preallocName))
		st.preReady = false
	}
}
