package wal

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/record"
	"github.com/lightningdb/lightning/engine/vfs"
)

// Errors returned by a Log.
var (
	// ErrFailed is wrapped, together with the original error, by every
	// error a Log returns after a write or fsync failed (see the package
	// documentation).
	ErrFailed = errors.New("wal: log failed; writes refused")
	// ErrClosed is returned by calls on a closed Log. It wraps
	// engine.ErrClosed.
	ErrClosed = fmt.Errorf("wal: %w", engine.ErrClosed)
	// ErrRecordTooLarge is returned for a record over MaxRecordSize.
	ErrRecordTooLarge = errors.New("wal: record too large")
)

// Position locates a record: the segment it is in and the offset of its
// first chunk in that segment. Positions order records in log order.
type Position struct {
	Segment uint64
	Offset  int64
}

// Less reports whether p comes before q in the log.
func (p Position) Less(q Position) bool {
	return p.Segment < q.Segment || p.Segment == q.Segment && p.Offset < q.Offset
}

// String returns "segment:offset", e.g. "000003.log:1024".
func (p Position) String() string { return fmt.Sprintf("%s:%d", SegmentName(p.Segment), p.Offset) }

// SegmentName returns the file name of segment num, e.g. "000003.log".
func SegmentName(num uint64) string { return fmt.Sprintf("%06d.log", num) }

func freeName(num uint64) string { return SegmentName(num) + ".free" }

// preallocName is the file the flusher preallocates a segment in before
// renaming it to the segment's name (see the package documentation).
const preallocName = "prealloc.tmp"

// parseName returns the number of a segment or free-file name.
func parseName(name string) (num uint64, free, ok bool) {
	base, free := strings.CutSuffix(name, ".free")
	digits, isLog := strings.CutSuffix(base, ".log")
	if !isLog || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false, false
	}
	num, err := strconv.ParseUint(digits, 10, 64)
	return num, free, err == nil && num > 0
}

// listDir returns the segment numbers and free-file numbers in dir,
// ascending, and whether it holds a preallocation file. A missing
// directory holds none.
func listDir(fs vfs.FS, dir string) (segs, free []uint64, prealloc bool, err error) {
	names, err := fs.List(dir)
	if err != nil {
		if vfs.IsNotExist(err) {
			return nil, nil, false, nil
		}
		return nil, nil, false, fmt.Errorf("wal: %w", err)
	}
	for _, name := range names {
		if name == preallocName {
			prealloc = true
		}
		if num, isFree, ok := parseName(name); ok {
			if isFree {
				free = append(free, num)
			} else {
				segs = append(segs, num)
			}
		}
	}
	slices.Sort(segs)
	slices.Sort(free)
	return segs, free, prealloc, nil
}

// Metrics are a Log's counters since Open.
type Metrics struct {
	// Records and Bytes count records appended and the bytes they took in
	// segments (chunk headers, padding and seals included).
	Records, Bytes uint64
	// Writes counts write calls to segment files.
	Writes uint64
	// Syncs counts fsyncs of segment files; SyncedRecords sums, over
	// those fsyncs, the records each one made durable.
	Syncs, SyncedRecords uint64
	// SyncRequests counts WriteRecord calls with sync and Sync calls.
	SyncRequests uint64
	// Rotations counts segments sealed to start a new one; Recycled counts
	// new segments made from recycled files, Preallocated those made from
	// preallocated files.
	Rotations, Recycled, Preallocated uint64
}

// RecordsPerSync returns SyncedRecords/Syncs: how many records one fsync
// covered on average (group commit at work), or 0 before any fsync.
func (m Metrics) RecordsPerSync() float64 {
	if m.Syncs == 0 {
		return 0
	}
	return float64(m.SyncedRecords) / float64(m.Syncs)
}

// segment is a segment being appended to or not yet finished by the
// flusher.
type segment struct {
	num uint64
	// Under Log.mu:
	rw      *record.Writer // encodes into pend
	pend    []byte         // encoded bytes not yet taken by the flusher
	records int            // records in pend
	sealed  bool           // no more records: the flusher seals it
	done    bool           // written, synced, sealed and closed
	// Owned by the flusher:
	f vfs.File
}

// pendWriter is the io.Writer of a segment's record.Writer: it appends to
// the segment's pending buffer. Called under Log.mu.
type pendWriter struct{ s *segment }

func (w pendWriter) Write(p []byte) (int, error) {
	w.s.pend = append(w.s.pend, p...)
	return len(p), nil
}

func newSegment(num uint64) *segment {
	s := &segment{num: num}
	s.rw = record.NewWriterWithOptions(pendWriter{s}, num, record.WriterOptions{TrackSyncs: true})
	return s
}

// Log is an open write-ahead log. All methods are safe for concurrent use.
type Log struct {
	fs   vfs.FS
	dir  string
	opts Options

	mu   sync.Mutex
	cond sync.Cond // on mu; broadcast after every flusher round
	// Under mu:
	segs      []*segment // unfinished segments, in order; the last is cur
	cur       *segment
	pendBytes int      // bytes in all segments' pend
	syncWant  Position // end of the last record a sync waiter needs durable
	written   Position // end of the data written to files
	synced    Position // end of the data known durable
	live      []uint64 // segments on disk, ascending
	free      []uint64 // numbers of .free files ready for reuse, ascending
	err       error    // sticky failure
	closed    bool
	spare     []byte // a drained buffer for the next pend

	// waiters counts the goroutines in waitSynced; requests counts those
	// that entered it since the flusher last took the buffered records.
	// Written under mu, read by the flusher without it while it gathers
	// a group (see gather).
	waiters, requests atomic.Int64

	// preStop tells a preallocation in progress to stop: the flusher is
	// exiting.
	preStop atomic.Bool

	work  chan struct{} // wakes the flusher
	done  chan struct{} // closed when the flusher exits
	delMu sync.Mutex    // serializes DeleteObsolete

	m struct {
		records, bytes, writes, syncs, syncedRecords, syncRequests, rotations, recycled, preallocated atomic.Uint64
	}
}

// Open opens the log in dir (creating dir if needed) and starts a new
// segment, numbered one past every segment and free file present. If the
// last existing segment has no seal (the log was not closed), Open first
// reads it to its logical end, syncs it and seals it there, so that it
// can be followed by the new segment; a corruption found while reading it
// is returned. Replay the log before or after Open: Open changes nothing
// a replay returns.
func Open(fs vfs.FS, dir string, opts Options) (*Log, error) {
	opts, err := opts.prepare()
	if err != nil {
		return nil, err
	}
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	segs, free, prealloc, err := listDir(fs, dir)
	if err != nil {
		return nil, err
	}
	if prealloc {
		// Left by a crash while it was being prepared or before it was
		// used: it holds no records.
		if err := fs.Remove(filepath.Join(dir, preallocName)); err != nil {
			return nil, fmt.Errorf("wal: %w", err)
		}
	}
	next := uint64(1)
	if len(segs) > 0 {
		last := segs[len(segs)-1]
		if err := sealSegment(fs, filepath.Join(dir, SegmentName(last)), last); err != nil {
			return nil, err
		}
		next = last + 1
	}
	if len(free) > 0 {
		next = max(next, free[len(free)-1]+1)
	}
	// Keep the newest free files the options allow; remove the others.
	if extra := len(free) - opts.RecycleSegments; extra > 0 {
		for _, num := range free[:extra] {
			if err := fs.Remove(filepath.Join(dir, freeName(num))); err != nil {
				return nil, fmt.Errorf("wal: %w", err)
			}
		}
		free = free[extra:]
		if err := fs.SyncDir(dir); err != nil {
			return nil, fmt.Errorf("wal: %w", err)
		}
	}
	l := &Log{
		fs: fs, dir: dir, opts: opts,
		live: segs, free: free,
		work: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	l.cond.L = &l.mu
	s := newSegment(next)
	recycle := l.popFree()
	if s.f, err = l.createFile(next, recycle, false); err != nil {
		return nil, err
	}
	l.live = append(l.live, next)
	l.segs, l.cur = []*segment{s}, s
	l.written = Position{next, 0}
	l.synced = l.written
	go l.flushLoop(s, recycle != 0)
	return l, nil
}

// sealSegment makes sure segment num, at path, ends with a seal.
func sealSegment(fs vfs.FS, path string, num uint64) error {
	f, err := fs.Open(path)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	r := record.NewReader(f, num, path)
	for {
		if _, err = r.Next(); err != nil {
			break
		}
	}
	f.Close()
	if err != io.EOF {
		return err
	}
	if r.Sealed() {
		return nil
	}
	end := r.End()
	f, err = fs.OpenReadWrite(path)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	// Make the records read durable before the seal vouches for them.
	err = f.Sync()
	if err == nil {
		w := record.NewWriterWithOptions(io.NewOffsetWriter(f, end), num, record.WriterOptions{Offset: end, TrackSyncs: true})
		w.MarkSynced(end)
		if err = w.Seal(); err == nil {
			err = w.Flush()
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: sealing %s: %w", path, err)
	}
	return nil
}

// popFree takes the oldest free file for reuse, or returns 0. Under mu
// (or before the flusher starts).
func (l *Log) popFree() uint64 {
	if len(l.free) == 0 {
		return 0
	}
	num := l.free[0]
	l.free = l.free[1:]
	return num
}

// createFile creates segment num, from the preallocated file if
// prealloc is set, else from the free file recycle if it is not 0, and
// syncs the directory.
func (l *Log) createFile(num, recycle uint64, prealloc bool) (vfs.File, error) {
	path := filepath.Join(l.dir, SegmentName(num))
	var f vfs.File
	var err error
	if prealloc || recycle != 0 {
		from, count := filepath.Join(l.dir, freeName(recycle)), &l.m.recycled
		if prealloc {
			from, count = filepath.Join(l.dir, preallocName), &l.m.preallocated
		}
		if err = l.fs.Rename(from, path); err == nil {
			if f, err = l.fs.OpenReadWrite(path); err == nil {
				count.Add(1)
			}
		}
	} else {
		f, err = l.fs.Create(path)
	}
	if err == nil {
		if err = l.fs.SyncDir(l.dir); err != nil {
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("wal: creating %s: %w", path, err)
	}
	return f, nil
}

// WriteRecord appends payload as one record and returns its position.
// payload is copied before WriteRecord returns. With sync, WriteRecord
// returns once the record is on stable storage; without, once it is
// buffered (it is written soon and synced later; see the package
// documentation). Records are in the log in the order their calls were
// admitted.
func (l *Log) WriteRecord(payload []byte, sync bool) (Position, error) {
	return l.write(payload, sync, nil)
}

// WriteRecordOrdered is WriteRecord with a callback run under the
// admission lock, right before payload is encoded: the records of calls
// whose callbacks ran in some order are in the log in that order. A
// backend uses it to give records sequence numbers in log order, e.g. by
// setting a batch's sequence number in payload (which admit may modify in
// place). admit must be quick and must not call the Log. If it returns an
// error, nothing is written and WriteRecordOrdered returns that error.
func (l *Log) WriteRecordOrdered(payload []byte, sync bool, admit func() error) (Position, error) {
	return l.write(payload, sync, admit)
}

func (l *Log) write(p []byte, sync bool, admit func() error) (Position, error) {
	if int64(len(p)) > MaxRecordSize {
		return Position{}, fmt.Errorf("%w: %d bytes, limit %d", ErrRecordTooLarge, len(p), int64(MaxRecordSize))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.err == nil && !l.closed && l.pendBytes >= l.opts.MaxPending {
		l.kick()
		l.cond.Wait()
	}
	if err := l.usable(); err != nil {
		return Position{}, err
	}
	if admit != nil {
		if err := admit(); err != nil {
			return Position{}, err
		}
	}
	s := l.cur
	before := len(s.pend)
	off, err := s.rw.WriteRecord(p)
	if err == nil {
		err = s.rw.Flush()
	}
	if err != nil {
		// Cannot happen within the limits above; refuse to go on.
		l.failLocked(err)
		return Position{}, l.err
	}
	s.records++
	l.pendBytes += len(s.pend) - before
	l.m.records.Add(1)
	l.m.bytes.Add(uint64(len(s.pend) - before))
	pos := Position{s.num, off}
	end := Position{s.num, s.rw.Size()}
	if s.rw.Size() >= l.opts.SegmentSize {
		l.rotateLocked()
	}
	l.kick()
	if !sync {
		return pos, nil
	}
	l.m.syncRequests.Add(1)
	return pos, l.waitSynced(end)
}

// usable returns the error that refuses writes, if any. Under mu.
func (l *Log) usable() error {
	if l.err != nil {
		return l.err
	}
	if l.closed {
		return ErrClosed
	}
	return nil
}

// waitSynced asks for and waits until the log is durable through end.
// Under mu.
func (l *Log) waitSynced(end Position) error {
	if l.syncWant.Less(end) {
		l.syncWant = end
	}
	l.kick()
	l.waiters.Add(1)
	l.requests.Add(1)
	defer l.waiters.Add(-1)
	for l.synced.Less(end) {
		if l.err != nil {
			return l.err
		}
		l.cond.Wait()
	}
	return nil
}

// kick wakes the flusher.
func (l *Log) kick() {
	select {
	case l.work <- struct{}{}:
	default:
	}
}

// Sync returns once every record admitted before the call is durable.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	l.m.syncRequests.Add(1)
	return l.waitSynced(Position{l.cur.num, l.cur.rw.Size()})
}

// Rotate seals the current segment and starts a new one, whose number it
// returns: every record admitted before the call is in a segment below
// it. The old segment is written and synced, and the new file created, by
// the flusher; a failure there fails the log.
func (l *Log) Rotate() (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return 0, err
	}
	n := l.rotateLocked()
	l.kick()
	return n, nil
}

// rotateLocked closes cur to records (the flusher seals it) and makes a
// new current segment. Under mu.
func (l *Log) rotateLocked() uint64 {
	s := l.cur
	s.sealed = true
	n := newSegment(s.num + 1)
	n.pend, l.spare = l.spare[:0], nil
	l.segs = append(l.segs, n)
	l.cur = n
	l.m.rotations.Add(1)
	return n.num
}

// CurrentSegment returns the number of the segment records are appended
// to now.
func (l *Log) CurrentSegment() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur.num
}

// Segments returns the numbers of the log's segments, ascending: those
// on disk and not deleted, and those started but not yet created by the
// flusher (up to the current one).
func (l *Log) Segments() []uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	segs := slices.Clone(l.live)
	for _, s := range l.segs {
		if len(segs) == 0 || segs[len(segs)-1] < s.num {
			segs = append(segs, s.num)
		}
	}
	return segs
}

// DeleteObsolete removes every segment numbered below upTo, which must not
// exceed the current segment's number, and syncs the directory. It first
// waits until the flusher has finished with those segments (written,
// sealed, synced). Up to Options.RecycleSegments of them are renamed to
// ".free" files for reuse instead of removed. A failure here does not fail
// the log: the segments not yet removed stay and a later call retries.
func (l *Log) DeleteObsolete(upTo uint64) error {
	l.delMu.Lock()
	defer l.delMu.Unlock()
	l.mu.Lock()
	if err := l.usable(); err != nil {
		l.mu.Unlock()
		return err
	}
	if upTo > l.cur.num {
		cur := l.cur.num
		l.mu.Unlock()
		return fmt.Errorf("wal: DeleteObsolete(%d): segment %d is the current segment", upTo, cur)
	}
	for l.err == nil && len(l.segs) > 0 && l.segs[0].num < upTo {
		l.cond.Wait()
	}
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		return err
	}
	i, _ := slices.BinarySearch(l.live, upTo)
	victims := slices.Clone(l.live[:i])
	room := l.opts.RecycleSegments - len(l.free)
	l.mu.Unlock()

	for k, num := range victims {
		path := filepath.Join(l.dir, SegmentName(num))
		var err error
		recycle := room > 0
		if recycle {
			err = l.fs.Rename(path, filepath.Join(l.dir, freeName(num)))
		} else {
			err = l.fs.Remove(path)
		}
		if err == nil {
			// The segment is gone from its name (a retry must not look for
			// it), even if the directory sync below fails.
			l.mu.Lock()
			l.live = slices.DeleteFunc(l.live, func(n uint64) bool { return n == num })
			if recycle {
				l.free = append(l.free, num)
				room--
			}
			l.mu.Unlock()
			// One directory sync per segment, so that a crash can leave
			// only a prefix of them removed: no gap in the numbering.
			err = l.fs.SyncDir(l.dir)
		}
		if err != nil {
			return fmt.Errorf("wal: deleting segment %d (%d of %d): %w", num, k+1, len(victims), err)
		}
	}
	return nil
}

// Metrics returns a copy of the log's counters.
func (l *Log) Metrics() Metrics {
	return Metrics{
		Records:       l.m.records.Load(),
		Bytes:         l.m.bytes.Load(),
		Writes:        l.m.writes.Load(),
		Syncs:         l.m.syncs.Load(),
		SyncedRecords: l.m.syncedRecords.Load(),
		SyncRequests:  l.m.syncRequests.Load(),
		Rotations:     l.m.rotations.Load(),
		Recycled:      l.m.recycled.Load(),
		Preallocated:  l.m.preallocated.Load(),
	}
}

// Close writes every buffered record, seals and syncs the current segment,
// stops the flusher and closes the files. It returns the log's failure, if
// it failed (then the current segment is left unsealed). A second Close
// returns ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.closed = true
	l.cur.sealed = true
	l.kick()
	l.mu.Unlock()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// failLocked makes err the log's sticky failure and wakes every waiter.
// Under mu.
func (l *Log) failLocked(err error) {
	if l.err == nil {
		l.err = fmt.Errorf("%w: %w", ErrFailed, err)
	}
	l.cond.Broadcast()
}
