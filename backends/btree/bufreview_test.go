package btree

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/vfs/errorfs"
)

// Review tests of the write buffer with several memtables (btree.memtables
// above 2): crash copies at every checkpoint stage while queues of full
// memtables are merged, recovered with other btree.memtables (so that
// replay merges some and hands others over) and crashed again during that
// recovery and its handover merge; readers against merges of queues; and
// liveness when the store fails while writers stall.

// reviewHistory writes n random batches to db (one writer), recording in
// rec the bounds of every crash copy, and returns the history. Every
// hundredth write or so is followed by a Flush.
func reviewHistory(t *testing.T, db *DB, rec *crashRecorder, rng *rand.Rand, n int) [][]crashOp {
	t.Helper()
	value := func() []byte {
		n := rng.IntN(100)
		if rng.IntN(40) == 0 {
			n = 2000 + rng.IntN(4000)
		}
		return bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, n)
	}
	key := func() []byte { return []byte(fmt.Sprintf("key%05d", rng.IntN(2500))) }
	var hist [][]crashOp
	for i := 0; i < n; i++ {
		var ops []crashOp
		if rng.IntN(4) == 0 {
			for j := rng.IntN(20); j >= 0; j-- {
				ops = append(ops, crashOp{del: rng.IntN(3) == 0, key: key(), value: value()})
			}
		} else {
			ops = []crashOp{{del: rng.IntN(5) == 0, key: key(), value: value()}}
		}
		b := opsBatch(ops)
		sync := rng.IntN(8) == 0
		rec.started.Store(int64(i + 1))
		must(t, "Apply", db.Apply(b, engine.WriteOptions{Sync: sync}))
		hist = append(hist, ops)
		if sync {
			rec.durable.Store(int64(i + 1))
		}
		if rng.IntN(150) == 0 {
			must(t, "Flush", db.Flush())
			rec.durable.Store(int64(i + 1))
		}
	}
	return hist
}

// TestReviewCrashQueuedMemtables crashes checkpoints at every stage while a
// writer fills a write buffer of 3 to 5 memtables (so merges take queues
// of them, with mid-merge checkpoints), and recovers every copy with a
// random btree.memtables. Some copies are recovered through a second crash
// recorder: recovery (its replay merges, the handover, the merger's
// checkpoints after Open) is crashed at every stage too, and those copies
// must recover the same bounds of the history.
func TestReviewCrashQueuedMemtables(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 501))
	mem := vfs.NewMem()
	rec := &crashRecorder{mem: mem, rng: rand.New(rand.NewPCG(seed, 502)), points: map[string][]crashPoint{}, seen: map[string]int{}}
	opts := testOptions(errorfs.Wrap(mem, rec))
	opts.Extra[OptWriteBuffer] = "true"
	opts.Extra[OptCheckpointInterval] = "0"
	if seed%2 == 0 {
		// Even seeds add the timers' checkpoints and freezes of partial
		// memtables (which shift replay's memtables off the writer's).
		opts.Extra[OptCheckpointInterval] = "4ms"
		opts.Extra[OptIdleCheckpoint] = "2ms"
		t.Logf("timers on: %s=4ms, %s=2ms", OptCheckpointInterval, OptIdleCheckpoint)
	}
	opts.Extra[OptMemTables] = fmt.Sprint(3 + rng.IntN(3))
	t.Logf("%s=%s", OptMemTables, opts.Extra[OptMemTables])
	// A slow merger now and then, so that full memtables queue, writers
	// stall and the merger batches.
	var slow atomic.Uint64
	testHookMerge = func() {
		if k := slow.Add(1); k%3 != 0 {
			time.Sleep(time.Duration(k%7) * time.Millisecond)
		}
	}
	defer func() { testHookMerge = nil }()
	db := mustOpen(t, "db", opts)
	n := 2500
	if testing.Short() {
		n = 1000
	}
	hist := reviewHistory(t, db, rec, rng, n)
	m := db.Metrics()
	t.Logf("merges %v of %v memtables, mid-merge checkpoints %v, stalls %d",
		m.Extra["btree.buffer.merges"], m.Extra["btree.buffer.merged_memtables"], m.Extra["btree.buffer.mid_merge_checkpoints"], m.Stalls)
	must(t, "Close", db.Close())
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var all []crashPoint
	for _, stage := range []string{"pages", "before-meta", "meta-unsynced", "torn-meta", "after-meta"} {
		all = append(all, rec.points[stage]...)
	}
	handovers := 0
	for i, p := range all {
		o := opts.Clone()
		o.Extra[OptMemTables] = fmt.Sprint(2 + rng.IntN(5))
		if i%3 != 0 {
			if err := verifyCrash(p, hist, o); err != nil {
				t.Errorf("crash copy %d (%s, durable %d, started %d), recovered with %s memtables: %v",
					i, p.stage, p.durable, p.started, o.Extra[OptMemTables], err)
			}
			continue
		}
		// Recover through a recorder of its own, then check the copies
		// it took as well as the first.
		base := p.fs.CrashClone(vfs.CrashOptions{})
		rec2 := &crashRecorder{mem: base, rng: rand.New(rand.NewPCG(seed, uint64(600+i))), points: map[string][]crashPoint{}, seen: map[string]int{}}
		rec2.durable.Store(int64(p.durable))
		rec2.started.Store(int64(p.started))
		o.FS = errorfs.Wrap(base, rec2)
		db, err := Open("db", o)
		if err != nil {
			t.Errorf("crash copy %d (%s): recovery: %v", i, p.stage, err)
			continue
		}
		if len(db.buf.view.Load().frozen) > 0 {
			handovers++
		}
		got, err := dump(db)
		must(t, "dump", err)
		if _, err := matchPrefix(got, hist, p.durable, p.started); err != nil {
			t.Errorf("crash copy %d (%s) right after recovery with %s memtables: %v", i, p.stage, o.Extra[OptMemTables], err)
		}
		must(t, "Flush", db.Flush())
		must(t, "Close", db.Close())
		rec2.mu.Lock()
		for stage, ps := range rec2.points {
			for j, q := range ps {
				o2 := opts.Clone()
				o2.Extra[OptMemTables] = fmt.Sprint(2 + rng.IntN(5))
				if err := verifyCrash(q, hist, o2); err != nil {
					t.Errorf("crash copy %d (%s), crashed again during its recovery (%s %d), recovered with %s memtables: %v",
						i, p.stage, stage, j, o2.Extra[OptMemTables], err)
				}
			}
		}
		rec2.mu.Unlock()
		p.fs = base
		if err := verifyCrash(p, hist, opts); err != nil {
			t.Errorf("crash copy %d (%s) after a clean recovery: %v", i, p.stage, err)
		}
	}
	t.Logf("%d crash copies (%v chances), %d recovered with full memtables handed over", len(all), rec.seen, handovers)
}

// TestReviewReadersQueuedMerges runs group writers (each batch writes one
// counter to a group of keys, see TestBufferSnapshotPrefix) against a
// write buffer of 4 memtables whose merger is slowed now and then, so
// that queues of full memtables form, writers stall and the merger
// batches, with Flushes meanwhile. Readers check that snapshots and
// iterators see whole batches within the bounds acknowledged and started,
// that a snapshot does not change, and that one reader's Gets and
// iterators never go back in time.
func TestReviewReadersQueuedMerges(t *testing.T) {
	seed := testSeed(t)
	opts := bufferOptions(vfs.NewMem())
	opts.Extra[OptMemTables] = "4"
	var slow atomic.Uint64
	testHookMerge = func() {
		if k := slow.Add(1); k%2 == 0 {
			time.Sleep(time.Duration(k%5) * time.Millisecond)
		}
	}
	defer func() { testHookMerge = nil }()
	db := mustOpen(t, "db", opts)
	defer db.Close()
	batches := 3000
	if testing.Short() {
		batches = 1200
	}
	var acked, started [prefixGroups]atomic.Int64
	for g := range prefixGroups {
		acked[g].Store(-1)
		started[g].Store(-1)
	}
	bounds := func(a *[prefixGroups]atomic.Int64) (out [prefixGroups]int) {
		for g := range a {
			out[g] = int(a[g].Load())
		}
		return out
	}
	var stop atomic.Bool
	fail := func(format string, args ...any) {
		stop.Store(true)
		t.Errorf(format, args...)
	}
	var wg sync.WaitGroup
	for g := range prefixGroups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			for c := 0; c < batches && !stop.Load(); c++ {
				b, v := groupBatch(g, c)
				for j := 0; j < 4; j++ {
					b.Set([]byte(fmt.Sprintf("f%06d", rng.IntN(50000))), v[:10+rng.IntN(60)])
				}
				started[g].Store(int64(c))
				if err := db.Apply(b, engine.WriteOptions{Sync: c%100 == 0}); err != nil {
					fail("writer %d, batch %d: %v", g, c, err)
					return
				}
				acked[g].Store(int64(c))
				if g == 0 && c%700 == 699 {
					if err := db.Flush(); err != nil {
						fail("Flush: %v", err)
						return
					}
				}
			}
		}()
	}
	check := func(what string, lo, hi [prefixGroups]int, g, c int) {
		if c < lo[g] || c > hi[g] {
			fail("%s: group %d at counter %d, want one in [%d, %d]", what, g, c, lo[g], hi[g])
		}
	}
	var readers sync.WaitGroup
	for r := 0; r < 3; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(200+r)))
			var seen [prefixGroups]int // the newest counter this reader saw, per group
			for g := range seen {
				seen[g] = -1
			}
			for !stop.Load() {
				lo := bounds(&acked)
				g := rng.IntN(prefixGroups)
				var c int
				var err error
				what := ""
				switch rng.IntN(3) {
				case 0:
					what = "snapshot"
					var sn engine.Snapshot
					if sn, err = db.NewSnapshot(); err != nil {
						fail("NewSnapshot: %v", err)
						return
					}
					hi := bounds(&started)
					if c, err = groupState(g, readerGet(sn)); err == nil {
						check(what, lo, hi, g, c)
						time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
						var get func([]byte) ([]byte, bool, error)
						var c2, c3 int
						if get, err = iterGet(sn, g, rng.IntN(2) == 0); err == nil {
							c2, err = groupState(g, get)
						}
						if err == nil {
							c3, err = groupState(g, readerGet(sn))
						}
						if err == nil && (c2 != c || c3 != c) {
							fail("snapshot changed: counter %d, later iterator %d, later Gets %d", c, c2, c3)
						}
					}
					sn.Close()
				case 1:
					what = "iterator"
					var get func([]byte) ([]byte, bool, error)
					if get, err = iterGet(db, g, rng.IntN(2) == 0); err == nil {
						hi := bounds(&started)
						if c, err = groupState(g, get); err == nil {
							check(what, lo, hi, g, c)
						}
					}
				default:
					// Gets of one key: no batch to see whole, but never
					// older than what this reader saw before.
					what = "Get"
					var v []byte
					v, err = db.Get(groupKey(g, 'c', rng.IntN(prefixKeys)), nil)
					hi := bounds(&started)
					switch {
					case errors.Is(err, engine.ErrNotFound):
						c, err = -1, nil
					case err == nil:
						c, err = parseGroupValue(v)
					}
					if err == nil {
						check(what, lo, hi, g, c)
					}
				}
				if err != nil {
					fail("%s of group %d: %v", what, g, err)
					return
				}
				if c < seen[g] {
					fail("%s of group %d: counter %d after this reader saw %d: back in time", what, g, c, seen[g])
					return
				}
				seen[g] = c
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	m := db.Metrics()
	t.Logf("merges %v of %v memtables, stalls %d", m.Extra["btree.buffer.merges"], m.Extra["btree.buffer.merged_memtables"], m.Stalls)
}

// holdMerger makes the merger wait, before each merge, while held is
// set; it returns the release function (also deferred by callers).
func holdMerger(held *atomic.Bool) {
	testHookMerge = func() {
		for held.Load() {
			time.Sleep(100 * time.Microsecond)
		}
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestReviewFailureWhileStalled fails the store (the data file, or the
// WAL) while writers stall behind a full queue of 3 memtables held from
// the merger: the writers, Flush and Close must return (with errors), and
// with the data file failing, reopening must recover exactly the writes
// acknowledged.
func TestReviewFailureWhileStalled(t *testing.T) {
	for _, walFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("wal=%v", walFails), func(t *testing.T) {
			testReviewFailureWhileStalled(t, walFails)
		})
	}
}

func testReviewFailureWhileStalled(t *testing.T, walFails bool) {
	seed := testSeed(t)
	mem := vfs.NewMem()
	data, wal := &failAfter{}, &failWAL{}
	var inj errorfs.Injector = data
	if walFails {
		inj = wal
	}
	opts := bufferOptions(errorfs.Wrap(mem, inj))
	opts.Extra[OptMemTables] = "4"
	var held atomic.Bool
	holdMerger(&held)
	defer func() { testHookMerge = nil; held.Store(false) }()
	db := mustOpen(t, "db", opts)
	model := map[string]string{}
	for i := 0; i < 3000; i++ {
		k, v := fmt.Sprintf("key%06d", i), "base"
		must(t, "Set", db.Set([]byte(k), []byte(v), engine.WriteOptions{}))
		model[k] = v
	}
	must(t, "Flush", db.Flush())
	held.Store(true)
	var models [2]map[string]string
	errs := make(chan error, 2)
	for w := 0; w < 2; w++ {
		models[w] = map[string]string{}
		go func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := 0; ; i++ {
				k := fmt.Sprintf("key%06d", 2*rng.IntN(1500)+w)
				v := fmt.Sprintf("w%d-%d%s", w, i, bytes.Repeat([]byte("x"), rng.IntN(80)))
				if err := db.Set([]byte(k), []byte(v), engine.WriteOptions{Sync: i%100 == 0}); err != nil {
					errs <- err
					return
				}
				models[w][k] = v
			}
		}()
	}
	stalled := func() bool {
		db.buf.mu.Lock()
		defer db.buf.mu.Unlock()
		return len(db.buf.frozen) == 3 && db.buf.waiting > 0
	}
	if !waitFor(stalled) {
		t.Fatalf("no writer stalled behind 3 full memtables")
	}
	data.armed.Store(true)
	wal.armed.Store(true)
	held.Store(false)
	for w := 0; w < 2; w++ {
		select {
		case err := <-errs:
			t.Logf("writer: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatalf("a writer stalled behind the queue still waits 30 s after the store failed")
		}
	}
	done := make(chan error, 1)
	go func() { done <- db.Flush() }()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("Flush after the failure: no error")
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Flush hangs after the failure")
	}
	go func() { done <- db.Close() }()
	select {
	case err := <-done:
		t.Logf("Close: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatalf("Close hangs after the failure")
	}
	data.armed.Store(false)
	wal.armed.Store(false)
	o := opts.Clone()
	o.FS = mem
	db = mustOpen(t, "db", o)
	got, err := dump(db)
	must(t, "dump", err)
	must(t, "Close", db.Close())
	must(t, "Check", Check(mem, "db", nil))
	if walFails {
		return // acknowledged writes not synced may be lost: liveness only
	}
	for w := range models {
		for k, v := range models[w] {
			model[k] = v
		}
	}
	if d := diff(got, model); d != "" {
		t.Errorf("recovered state differs from the acknowledged writes: %s", d)
	}
}

// TestReviewBatchModeTimersOff: with the timers off, after a merge during
// which a writer stalled the merger waits for a full queue; writes that
// stop short of one stay frozen, readable, and Flush, a crash copy and
// Close must still see every one of them.
func TestReviewBatchModeTimersOff(t *testing.T) {
	mem := vfs.NewMem()
	opts := bufferOptions(mem)
	opts.Extra[OptMemTables] = "4"
	var held atomic.Bool
	holdMerger(&held)
	defer func() { testHookMerge = nil; held.Store(false) }()
	db := mustOpen(t, "db", opts)
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	model := map[string]string{}
	i := 0
	set := func(sync bool) {
		k, v := fmt.Sprintf("key%05d", i%4000), fmt.Sprintf("v%d-%s", i, bytes.Repeat([]byte("y"), i%60))
		must(t, "Set", db.Set([]byte(k), []byte(v), engine.WriteOptions{Sync: sync}))
		model[k] = v
		i++
	}
	frozen := func() int { return len(db.buf.view.Load().frozen) }
	// A stall: the merger held while 3 memtables fill; the 4th freeze
	// waits. Writes run in a goroutine; once it stalls the merger is let
	// go and the goroutine ends after its write.
	held.Store(true)
	var enough atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !enough.Load() {
			set(false)
		}
	}()
	if !waitFor(db.buf.stalledNow) {
		t.Fatalf("no stall with the merger held")
	}
	enough.Store(true)
	held.Store(false)
	<-done
	if !waitFor(func() bool {
		db.buf.mu.Lock()
		defer db.buf.mu.Unlock()
		return db.buf.batch && db.buf.mergedN >= 3
	}) {
		t.Fatalf("the merger did not merge the queue and enter batch mode")
	}
	// A full memtable and part of the next: short of a full queue.
	for frozen() < 1 {
		set(false)
	}
	for j := 0; j < 50; j++ {
		set(j == 49)
	}
	time.Sleep(50 * time.Millisecond)
	if n := frozen(); n < 1 || n >= 3 {
		t.Fatalf("%d frozen memtables in batch mode, want 1 or 2 waiting for a full queue", n)
	}
	crashed := mem.CrashClone(vfs.CrashOptions{})
	got, err := dump(db)
	must(t, "dump", err)
	if d := diff(got, model); d != "" {
		t.Fatalf("reads with a memtable waiting in batch mode: %s", d)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- db.Flush() }()
	select {
	case err := <-flushed:
		must(t, "Flush", err)
	case <-time.After(30 * time.Second):
		t.Fatalf("Flush hangs in batch mode")
	}
	if n := frozen(); n != 0 {
		t.Errorf("%d frozen memtables after Flush", n)
	}
	must(t, "Close", db.Close())
	db = nil
	for _, fs := range []*vfs.MemFS{mem, crashed} {
		o := opts.Clone()
		o.FS = fs
		testHookMerge = nil
		db2 := mustOpen(t, "db", o)
		got, err := dump(db2)
		must(t, "dump", err)
		must(t, "Close", db2.Close())
		if d := diff(got, model); d != "" {
			t.Errorf("recovered (crash copy %v): %s", fs == crashed, d)
		}
	}
}

// stalledNow reports whether a writer waits for room in the queue.
func (wb *writeBuffer) stalledNow() bool {
	wb.mu.Lock()
	defer wb.mu.Unlock()
	return wb.waiting > 0
}

// TestReviewReplayMergesUnsyncedWAL: a process crash (not a power
// failure) leaves the WAL's unsynced tail readable; recovery replays it
// and, before wal.Open syncs the segment (sealSegment), mergeReplayed
// writes those records into the tree and may checkpoint in mid-merge
// (meta sequence number from before the merged memtables). A power
// failure then loses the WAL tail but keeps the data file: the recovered
// state must still be the state after a prefix of the history.
func TestReviewReplayMergesUnsyncedWAL(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 701))
	mem := vfs.NewMem()
	opts := bufferOptions(mem)
	opts.MemTableSize = 1 << 20
	opts.WALSegmentSize = 4 << 20
	db := mustOpen(t, "db", opts)
	var hist [][]crashOp
	for i := 0; i < 20000; i++ {
		op := crashOp{key: []byte(fmt.Sprintf("key%06d", i)), value: []byte(fmt.Sprintf("base%d", i))}
		must(t, "Set", db.Set(op.key, op.value, engine.WriteOptions{}))
		hist = append(hist, []crashOp{op})
	}
	must(t, "Flush", db.Flush())
	durable := len(hist)
	// Unsynced writes that stay in the active memtable (no freeze, so no
	// WAL rotation, no merge and no sync).
	for i := 0; i < 4000 && len(db.buf.view.Load().frozen) == 0; i++ {
		op := crashOp{key: []byte(fmt.Sprintf("key%06d", rng.IntN(20000))), value: []byte(fmt.Sprintf("new%d", len(hist)))}
		must(t, "Set", db.Set(op.key, op.value, engine.WriteOptions{}))
		hist = append(hist, []crashOp{op})
	}
	if n := len(db.buf.view.Load().frozen); n != 0 {
		t.Fatalf("a memtable was frozen (%d): the WAL was synced", n)
	}
	// The process dies: the WAL's tail is written but not synced.
	proc := mem.Clone()
	db.Close()

	// Recovery with smaller memtables: replay fills and merges several.
	rec := &crashRecorder{mem: proc, rng: rand.New(rand.NewPCG(seed, 702)), points: map[string][]crashPoint{}, seen: map[string]int{}}
	rec.durable.Store(int64(durable))
	rec.started.Store(int64(len(hist)))
	o := opts.Clone()
	o.FS = errorfs.Wrap(proc, rec)
	o.MemTableSize = 64 << 10
	db = mustOpen(t, "db", o)
	must(t, "Close", db.Close())
	rec.mu.Lock()
	defer rec.mu.Unlock()
	t.Logf("chances to crash during and after recovery: %v", rec.seen)

	for _, stage := range []string{"pages", "before-meta", "meta-unsynced", "torn-meta", "after-meta"} {
		for i, p := range rec.points[stage] {
			if err := verifyPrefix(p, hist, opts); err != nil {

				t.Errorf("power failure during the recovery of a process crash (%s %d, durable %d, started %d): %v", stage, i, p.durable, p.started, err)
			}
		}
	}
}

// verifyPrefix is verifyCrash for long histories: it recovers p and
// checks, in one pass over the history, that the state is the state after
// some prefix in [p.durable, p.started].
func verifyPrefix(p crashPoint, hist [][]crashOp, opts *engine.Options) error {
	o := opts.Clone()
	o.FS = p.fs
	db, err := Open("db", o)
	if err != nil {
		return fmt.Errorf("recovery: %w", err)
	}
	got, err := dump(db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	model := map[string]string{}
	apply := func(ops []crashOp) []string {
		var keys []string
		for _, op := range ops {
			if op.del {
				delete(model, string(op.key))
			} else {
				model[string(op.key)] = string(op.value)
			}
			keys = append(keys, string(op.key))
		}
		return keys
	}
	for _, ops := range hist[:p.durable] {
		apply(ops)
	}
	differ := map[string]bool{}
	check := func(k string) {
		g, gok := got[k]
		m, mok := model[k]
		if gok != mok || g != m {
			differ[k] = true
		} else {
			delete(differ, k)
		}
	}
	for k := range got {
		check(k)
	}
	for k := range model {
		check(k)
	}
	first := len(differ)
	for n := p.durable; ; n++ {
		if len(differ) == 0 {
			return nil
		}
		if n >= p.started || n >= len(hist) {
			break
		}
		for _, k := range apply(hist[n]) {
			check(k)
		}
	}
	return fmt.Errorf("the recovered state is no prefix of the history in [%d, %d]: %d keys differ from the durable prefix, %d from the whole history",
		p.durable, p.started, first, len(differ))
}
