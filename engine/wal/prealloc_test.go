package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// preallocFS is a MemFS whose files implement vfs.Preallocator by writing
// zeros, as the OS file system's do, so that the flusher's preallocation
// runs on the in-memory FS. after, if set, runs after every operation
// that changes the FS (tests take crash clones there); it must not call
// the FS's mutating methods.
type preallocFS struct {
	*vfs.MemFS
	calls atomic.Int64 // Preallocate calls
	// failAfter, when >= 0, makes Preallocate write that many zero bytes
	// and fail.
	failAfter atomic.Int64
	// gate, if not nil, is received from before each Preallocate.
	gate  chan struct{}
	after func(op string)
}

var errPreallocInjected = errors.New("preallocFS: injected preallocation failure")

func newPreallocFS() *preallocFS {
	fs := &preallocFS{MemFS: vfs.NewMem()}
	fs.failAfter.Store(-1)
	return fs
}

func (fs *preallocFS) did(op string) {
	if fs.after != nil {
		fs.after(op)
	}
}

func (fs *preallocFS) wrap(op string, f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	fs.did(op)
	return &preallocFile{File: f, fs: fs}, nil
}

func (fs *preallocFS) Create(name string) (vfs.File, error) {
	f, err := fs.MemFS.Create(name)
	return fs.wrap("create "+filepath.Base(name), f, err)
}

func (fs *preallocFS) Open(name string) (vfs.File, error) {
	f, err := fs.MemFS.Open(name)
	return fs.wrap("open", f, err)
}

func (fs *preallocFS) OpenReadWrite(name string) (vfs.File, error) {
	f, err := fs.MemFS.OpenReadWrite(name)
	return fs.wrap("openrw "+filepath.Base(name), f, err)
}

func (fs *preallocFS) Rename(oldname, newname string) error {
	err := fs.MemFS.Rename(oldname, newname)
	if err == nil {
		fs.did("rename " + filepath.Base(oldname) + " " + filepath.Base(newname))
	}
	return err
}

func (fs *preallocFS) Remove(name string) error {
	err := fs.MemFS.Remove(name)
	if err == nil {
		fs.did("remove " + filepath.Base(name))
	}
	return err
}

func (fs *preallocFS) SyncDir(dir string) error {
	err := fs.MemFS.SyncDir(dir)
	if err == nil {
		fs.did("syncdir")
	}
	return err
}

type preallocFile struct {
	vfs.File
	fs *preallocFS
}

var _ vfs.Preallocator = (*preallocFile)(nil)

func (f *preallocFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	if err == nil {
		f.fs.did("write")
	}
	return n, err
}

func (f *preallocFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	if err == nil {
		f.fs.did("writeat")
	}
	return n, err
}

func (f *preallocFile) Sync() error {
	err := f.File.Sync()
	if err == nil {
		f.fs.did("sync")
	}
	return err
}

func (f *preallocFile) Preallocate(size int64) error {
	f.fs.calls.Add(1)
	if f.fs.gate != nil {
		<-f.fs.gate
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	n := size - fi.Size()
	if n <= 0 {
		return nil
	}
	fail := f.fs.failAfter.Load()
	if fail >= 0 {
		n = min(n, fail)
	}
	if _, err := f.File.WriteAt(make([]byte, n), fi.Size()); err != nil {
		return err
	}
	f.fs.did("preallocate")
	if fail >= 0 {
		return errPreallocInjected
	}
	return nil
}

// writeSync has writers goroutines, numbered from first, each write
// perWriter sync records of 100 bytes. acked, if not nil, is incremented
// after each write returns.
func writeSync(t *testing.T, l *Log, first, writers, perWriter int, acked *atomic.Int64) {
	t.Helper()
	var wg sync.WaitGroup
	for w := first; w < first+writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				if _, err := l.WriteRecord(rec(w, i, 100), true); err != nil {
					t.Error(err)
					return
				}
				if acked != nil {
					acked.Add(1)
				}
			}
		}()
	}
	wg.Wait()
}

// checkWriters checks that got holds, for each writer, a prefix of its
// records in order, and returns how many records each writer has.
func checkWriters(t *testing.T, got []replayed, writers int) []int {
	t.Helper()
	next := make([]int, writers)
	for i, r := range got {
		w, s := recID(r.payload)
		if w >= writers || s != next[w] || !bytes.Equal(r.payload, rec(w, s, 100)) {
			t.Fatalf("record %d: writer %d seq %d, want seq %d", i, w, s, next[w])
		}
		if i > 0 && !got[i-1].pos.Less(r.pos) {
			t.Fatalf("record %d at %v after %v", i, r.pos, got[i-1].pos)
		}
		next[w]++
	}
	return next
}

// A log of sync writers on an FS that can preallocate moves from the new
// file Open created to a preallocated one, then rotates into preallocated
// files; replay reads every record, the zero-filled tails are never read
// as records, Close leaves no preallocation file, and the log reopens.
func TestPreallocatedSegments(t *testing.T) {
	fs := newPreallocFS()
	o := Options{SegmentSize: MinSegmentSize, SyncInterval: -1, RecycleSegments: -1}
	l := mustOpen(t, fs, o)
	// Batches of sync writes until two segments were made from
	// preallocated files (the preallocating goroutine may be slow to run).
	const perWriter = 300
	writers := 0
	deadline := time.Now().Add(20 * time.Second)
	for l.Metrics().Preallocated < 2 && time.Now().Before(deadline) {
		writeSync(t, l, writers, 2, perWriter, nil)
		writers += 2
	}
	m := l.Metrics()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d segments, %d preallocated, %d preallocations started", m.Rotations+1, m.Preallocated, fs.calls.Load())
	if m.Preallocated < 2 {
		t.Fatalf("%d segments made from preallocated files, want at least 2 (the move off the first file and a rotation)", m.Preallocated)
	}
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(names, preallocName) {
		t.Fatalf("Close left %s: %v", preallocName, names)
	}
	long := 0
	for _, name := range names {
		fi, err := fs.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() >= MinSegmentSize+2*32<<10 {
			long++
		}
	}
	if long == 0 {
		t.Fatalf("no segment file is preallocated to the segment size: %v", names)
	}
	got, st := replayAll(t, fs)
	for w, n := range checkWriters(t, got, writers) {
		if n != perWriter {
			t.Fatalf("replay: writer %d has %d records, want %d", w, n, perWriter)
		}
	}
	if st.Torn {
		t.Fatal("the closed log's last segment has no seal")
	}

	// A preallocation file left by a crash is removed by Open; the log
	// goes on after the sealed, zero-tailed segments.
	if err := vfs.WriteFileSync(fs, filepath.Join(dir, preallocName), []byte("left by a crash")); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, fs, o)
	if names, _ := fs.List(dir); slices.Contains(names, preallocName) {
		t.Fatalf("Open left %s", preallocName)
	}
	p := rec(writers, 0, 100)
	pos, err := l.WriteRecord(p, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got2, _ := replayAll(t, fs)
	checkReplay(t, got2, append(got, replayed{pos, p}))
}

// A crash at any point of writing, preallocating, moving to a
// preallocated file and rotating keeps every acknowledged sync record and
// leaves a log that replays without corruption and reopens: a crash clone
// is taken and checked after every operation that changes the FS (one in
// 8 of the plain record writes and syncs). Each clone must hold a prefix
// of the final log, compared at the end by hash.
func TestPreallocatedCrashEveryOp(t *testing.T) {
	seed := testSeed(t)
	const perWriter = 150
	minWriters := 12
	if testing.Short() {
		minWriters = 6
	}
	fs := newPreallocFS()
	var acked atomic.Int64
	type crash struct {
		op   string
		n    int    // records in the clone
		hash uint64 // of those records
	}
	var mu sync.Mutex
	var crashes []crash
	var ops []string
	var failure error
	fs.after = func(op string) {
		mu.Lock()
		defer mu.Unlock()
		n := len(ops)
		ops = append(ops, op)
		if failure != nil || (op == "write" || op == "sync") && n%8 != 0 {
			return
		}
		a := acked.Load()
		x := seed + uint64(n)
		clone := fs.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: int(x % 101), Seed: int64(x)})
		got, err := replayOn(clone)
		switch {
		case err != nil:
			failure = fmt.Errorf("crash after op %d %q: Replay: %w (corruption: %v)", n, op, err, errors.Is(err, engine.ErrCorruption))
		case int64(len(got)) < a:
			failure = fmt.Errorf("crash after op %d %q: %d records, but %d sync writes had returned", n, op, len(got), a)
		case len(crashes)%4 == 0:
			failure = reopenAndWrite(clone, got)
		}
		crashes = append(crashes, crash{op, len(got), prefixHashes(got)[len(got)]})
	}
	l := mustOpen(t, fs, Options{SegmentSize: MinSegmentSize, SyncInterval: -1, RecycleSegments: -1})
	// Batches of two sync writers, at least minWriters in all and until
	// two segments were made from preallocated files.
	writers := 0
	deadline := time.Now().Add(20 * time.Second)
	for writers < minWriters || l.Metrics().Preallocated < 2 && time.Now().Before(deadline) {
		writeSync(t, l, writers, 2, perWriter, &acked)
		writers += 2
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	fs.after = nil
	if failure != nil {
		t.Fatal(failure)
	}
	if m := l.Metrics(); m.Preallocated < 2 {
		t.Fatalf("%d preallocated segments, want at least 2", m.Preallocated)
	}
	final, _ := replayAll(t, fs)
	checkWriters(t, final, writers)
	want := prefixHashes(final)
	kinds := map[string]int{}
	for i, c := range crashes {
		kinds[c.op]++
		if c.n > len(final) || c.hash != want[c.n] {
			t.Fatalf("crash %d after %q: its %d records are not a prefix of the log's %d", i, c.op, c.n, len(final))
		}
	}
	renames := 0
	for op, n := range kinds {
		if strings.HasPrefix(op, "rename "+preallocName+" ") {
			renames += n
		}
	}
	if kinds["create "+preallocName] == 0 || kinds["preallocate"] == 0 || renames == 0 {
		t.Errorf("no crash taken after creating, preallocating or renaming %s; kinds: %v", preallocName, kinds)
	}
	t.Logf("%d crash clones checked after %d operations", len(crashes), len(ops))
}

// replayOn returns the records of the log on fs.
func replayOn(fs vfs.FS) ([]replayed, error) {
	var got []replayed
	_, err := Replay(fs, dir, func(pos Position, p []byte) error {
		got = append(got, replayed{pos, bytes.Clone(p)})
		return nil
	})
	return got, err
}

// prefixHashes returns h with h[i] the hash of the first i records.
func prefixHashes(rs []replayed) []uint64 {
	h := fnv.New64a()
	out := []uint64{h.Sum64()}
	var b [16]byte
	for _, r := range rs {
		binary.LittleEndian.PutUint64(b[:], r.pos.Segment)
		binary.LittleEndian.PutUint64(b[8:], uint64(r.pos.Offset))
		h.Write(b[:])
		h.Write(r.payload)
		out = append(out, h.Sum64())
	}
	return out
}

// reopenAndWrite opens the crashed log on fs (holding the records got),
// writes a sync record, closes it, and checks that the log replays as got
// plus that record.
func reopenAndWrite(fs vfs.FS, got []replayed) error {
	l, err := Open(fs, dir, Options{SegmentSize: MinSegmentSize})
	if err != nil {
		return fmt.Errorf("reopening a crashed log: %w", err)
	}
	p := rec(1<<20, 0, 100)
	pos, err := l.WriteRecord(p, true)
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing to a reopened crashed log: %w", err)
	}
	after, err := replayOn(fs)
	if err != nil {
		return fmt.Errorf("replaying a reopened crashed log: %w", err)
	}
	want := append(slices.Clone(got), replayed{pos, p})
	if len(after) != len(want) || prefixHashes(after)[len(after)] != prefixHashes(want)[len(want)] {
		return fmt.Errorf("reopened crashed log: %d records, want the %d before plus the new one", len(after), len(got))
	}
	return nil
}

// A failed preallocation (a full disk, say) does not fail the log: it
// goes on appending to new files, removes the partial file, and does not
// try again.
func TestPreallocationFailureIsHarmless(t *testing.T) {
	for _, partial := range []int64{0, 40 << 10} {
		t.Run(fmt.Sprint("partial", partial), func(t *testing.T) {
			fs := newPreallocFS()
			fs.failAfter.Store(partial)
			l := mustOpen(t, fs, Options{SegmentSize: MinSegmentSize, SyncInterval: -1, RecycleSegments: -1})
			const writers, perWriter = 2, 600
			writeSync(t, l, 0, writers, perWriter, nil)
			deadline := time.Now().Add(10 * time.Second)
			for fs.calls.Load() == 0 {
				if time.Now().After(deadline) {
					t.Fatal("no preallocation started")
				}
				time.Sleep(time.Millisecond)
			}
			// More segments, where a second attempt would start.
			writeSync(t, l, writers, writers, perWriter, nil)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if m := l.Metrics(); m.Preallocated != 0 || m.Rotations < 2 {
				t.Fatalf("%d preallocated segments, %d rotations; want 0 and several", m.Preallocated, m.Rotations)
			}
			if n := fs.calls.Load(); n != 1 {
				t.Fatalf("%d preallocation attempts, want 1", n)
			}
			if names, _ := fs.List(dir); slices.Contains(names, preallocName) {
				t.Fatalf("the failed preallocation left %s", preallocName)
			}
			got, _ := replayAll(t, fs)
			for w, n := range checkWriters(t, got, 2*writers) {
				if n != perWriter {
					t.Fatalf("replay: writer %d has %d records, want %d", w, n, perWriter)
				}
			}
		})
	}
}

// Close stops a preallocation in progress after its current step and
// removes the file.
func TestCloseStopsPreallocation(t *testing.T) {
	fs := newPreallocFS()
	fs.gate = make(chan struct{})
	// A segment size of several preallocation steps.
	l := mustOpen(t, fs, Options{SegmentSize: 3 * preallocStep, SyncInterval: -1})
	writeSync(t, l, 0, 1, 2*preallocAfterSyncs, nil)
	// The preallocation started and waits at the gate.
	deadline := time.Now().Add(10 * time.Second)
	for fs.calls.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no preallocation started")
		}
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error)
	go func() { closed <- l.Close() }()
	// Close waits for the step in progress, then the preallocation stops.
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) during a preallocation step", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(fs.gate)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if n := fs.calls.Load(); n != 1 {
		t.Fatalf("%d preallocation steps, want 1 (stopped by Close)", n)
	}
	if names, _ := fs.List(dir); slices.Contains(names, preallocName) {
		t.Fatalf("Close left %s", preallocName)
	}
	got, _ := replayAll(t, fs)
	checkWriters(t, got, 1)
	if len(got) != 2*preallocAfterSyncs {
		t.Fatalf("%d records, want %d", len(got), 2*preallocAfterSyncs)
	}
}

// On the OS file system, whose files implement vfs.Preallocator, a sync
// writer's log moves to a preallocated segment: the real fallocate and
// zeros path. The in-memory tests above cover the rest.
func TestPreallocatedOnOSFS(t *testing.T) {
	if testing.Short() {
		t.Skip("writes to the disk")
	}
	d := t.TempDir()
	l, err := Open(vfs.Default, d, Options{SegmentSize: MinSegmentSize, SyncInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; l.Metrics().Preallocated == 0; i++ {
		if time.Now().After(deadline) {
			t.Fatal("no segment was preallocated")
		}
		p := rec(0, i, 100)
		if _, err := l.WriteRecord(p, true); err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	// A few records in the preallocated segment.
	for i, n := len(want), len(want)+10; i < n; i++ {
		p := rec(0, i, 100)
		if _, err := l.WriteRecord(p, true); err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := vfs.Default.Stat(filepath.Join(d, SegmentName(2)))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < MinSegmentSize {
		t.Fatalf("the preallocated segment has %d bytes, want at least %d", fi.Size(), MinSegmentSize)
	}
	var got [][]byte
	if _, err := Replay(vfs.Default, d, func(_ Position, p []byte) error {
		got = append(got, bytes.Clone(p))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || !slices.EqualFunc(got, want, bytes.Equal) {
		t.Fatalf("replayed %d records, want the %d written", len(got), len(want))
	}
}
