package btree

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
)

// matchPrefix reports whether got is the state after the first n batches
// of hist for some n in [lo, hi].
func matchPrefix(got map[string]string, hist [][]crashOp, lo, hi int) (int, error) {
	model := map[string]string{}
	for n := 0; n <= hi && n <= len(hist); n++ {
		if n >= lo && diff(got, model) == "" {
			return n, nil
		}
		if n == len(hist) {
			break
		}
		applyOps(model, hist[n])
	}
	return 0, fmt.Errorf("the state is the state after no prefix of [%d, %d] of the %d batches", lo, hi, len(hist))
}

// TestBufferQueuedMemtables holds the merger back while a writer fills
// memtables, so that full memtables queue up to btree.memtables-1 and the
// writer stalls; it checks reads (Gets, iterators both ways, a snapshot)
// through the queue, takes crash copies there and while the merger then
// merges the whole queue at once (mid-merge checkpoints included), and
// checks the final state, the recovery of every copy and the tree.
func TestBufferQueuedMemtables(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 41))
	mem := vfs.NewMem()
	opts := bufferOptions(mem)
	opts.Extra[OptMemTables] = "3"
	db := mustOpen(t, "db", opts)
	defer func() {
		if db != nil {
			db.Close()
		}
	}()

	const keySpace = 6000
	key := func() []byte { return []byte(fmt.Sprintf("key%05d", rng.IntN(keySpace))) }
	value := func() []byte { return bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, 20+rng.IntN(100)) }
	var hist [][]crashOp
	// A tree of a few thousand keys first, so that a merge of several
	// memtables dirties more than the budget and checkpoints in
	// mid-merge.
	for i := 0; i < 4000; i++ {
		op := crashOp{key: []byte(fmt.Sprintf("key%05d", i)), value: value()}
		must(t, "Set", db.Set(op.key, op.value, engine.NoSync))
		hist = append(hist, []crashOp{op})
	}
	must(t, "Flush", db.Flush())
	base := len(hist)
	for i := 0; i < 5000; i++ {
		var ops []crashOp
		if rng.IntN(5) == 0 {
			for j := rng.IntN(20); j >= 0; j-- {
				ops = append(ops, crashOp{del: rng.IntN(4) == 0, key: key(), value: value()})
			}
		} else {
			ops = []crashOp{{del: rng.IntN(6) == 0, key: key(), value: value()}}
		}
		hist = append(hist, ops)
	}

	hold, held := make(chan struct{}), make(chan struct{})
	var once, release sync.Once
	testHookMerge = func() { once.Do(func() { close(held); <-hold }) }
	let := func() { release.Do(func() { close(hold) }) }
	// Deferred after db.Close: runs first, so that a failing test does
	// not leave Close waiting for a merger held forever.
	defer func() { testHookMerge = nil; let() }()

	var done, durable atomic.Int64
	done.Store(int64(base))
	writer := make(chan error, 1)
	go func() {
		for i := base; i < len(hist); i++ {
			b := opsBatch(hist[i])
			sync := i%50 == 0
			if err := db.Apply(b, engine.WriteOptions{Sync: sync}); err != nil {
				writer <- fmt.Errorf("Apply %d: %w", i, err)
				return
			}
			if sync {
				durable.Store(int64(i + 1))
			}
			done.Store(int64(i + 1))
		}
		writer <- nil
	}()

	// The merger is held: wait until two full memtables wait and the
	// writer stalls on freezing a third.
	<-held
	frozen := func() int {
		db.buf.mu.Lock()
		defer db.buf.mu.Unlock()
		return len(db.buf.frozen)
	}
	deadline := time.Now().Add(10 * time.Second)
	for frozen() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := frozen(); n != 2 {
		t.Fatalf("%d full memtables after 10 s with the merger held, want 2", n)
	}
	for last := done.Load(); ; {
		time.Sleep(50 * time.Millisecond)
		if now := done.Load(); now == last {
			break
		} else {
			last = now
		}
	}

	var points []crashPoint
	clone := func(stage string) {
		d := int(durable.Load())
		fs := mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100, Seed: rng.Int64()})
		points = append(points, crashPoint{stage: stage, fs: fs, durable: d, started: int(done.Load()) + 1})
	}

	// Reads through two full memtables and the active one.
	lo := int(done.Load())
	snap, err := db.NewSnapshot()
	must(t, "NewSnapshot", err)
	got, err := dump(db)
	must(t, "dump", err)
	hi := int(done.Load()) + 1
	n, err := matchPrefix(got, hist, lo, hi)
	if err != nil {
		t.Fatalf("iterator over the queued memtables: %v", err)
	}
	t.Logf("queued: %d full memtables, writer stalled after batch %d, %d keys", frozen(), n, len(got))
	back, err := dumpBackward(db)
	must(t, "backward dump", err)
	if d := diff(back, got); d != "" {
		t.Fatalf("backward iteration differs from forward: %s", d)
	}
	for i := 0; i < keySpace; i++ {
		k := fmt.Sprintf("key%05d", i)
		v, err := db.Get([]byte(k), nil)
		want, ok := got[k]
		switch {
		case err == engine.ErrNotFound || err != nil && !ok:
			if ok {
				t.Fatalf("Get(%s): %v, want %q", k, err, want)
			}
		case err != nil:
			t.Fatalf("Get(%s): %v", k, err)
		case !ok || string(v) != want:
			t.Fatalf("Get(%s) = %q, want %q (present %v)", k, v, want, ok)
		}
	}
	clone("two memtables queued, merger held")

	// Let the merger go: it takes both full memtables at once.
	let()
	before := db.s.checkpoints.Load()
	for {
		select {
		case err := <-writer:
			must(t, "writer", err)
			goto written
		default:
		}
		if c := db.s.checkpoints.Load(); c > before && len(points) < 12 {
			before = c
			clone(fmt.Sprintf("after checkpoint %d", c))
		}
		time.Sleep(200 * time.Microsecond)
	}
written:
	snapGot, err := dump(snap)
	must(t, "dump of the snapshot", err)
	must(t, "snapshot Close", snap.Close())
	if _, err := matchPrefix(snapGot, hist, lo, hi); err != nil {
		t.Errorf("snapshot taken with two memtables queued, read after their merge: %v", err)
	}
	must(t, "Flush", db.Flush())
	m := db.Metrics()
	merges, tables := m.Extra["btree.buffer.merges"], m.Extra["btree.buffer.merged_memtables"]
	t.Logf("merges %v of %v memtables; mid-merge checkpoints %v; stalls %d; %d crash copies",
		merges, tables, m.Extra["btree.buffer.mid_merge_checkpoints"], m.Stalls, len(points))
	if tables <= merges {
		t.Errorf("%v merges of %v memtables: no merge took the queue at once", merges, tables)
	}
	if m.Stalls == 0 {
		t.Errorf("no stall counted although the writer waited for the merger")
	}
	got, err = dump(db)
	must(t, "dump", err)
	if _, err := matchPrefix(got, hist, len(hist), len(hist)); err != nil {
		t.Fatalf("after every write and a Flush: %v", err)
	}
	must(t, "Close", db.Close())
	db = nil
	must(t, "Check", Check(mem, "db", nil))
	for i, p := range points {
		if err := verifyCrash(p, hist, opts); err != nil {
			t.Errorf("crash copy %s (durable %d, started %d): %v", p.stage, p.durable, p.started, err)
		}
		if i > 0 {
			continue
		}
		// The copy with two full memtables in the WAL, recovered with
		// other btree.memtables: 2 merges each full memtable during
		// replay, 4 hands both to the merger, to merge after Open.
		for _, n := range []string{"2", "4"} {
			o := opts.Clone()
			o.Extra[OptMemTables] = n
			q := p
			q.fs = p.fs.CrashClone(vfs.CrashOptions{})
			if err := verifyCrash(q, hist, o); err != nil {
				t.Errorf("crash copy %s, recovered with %s memtables: %v", p.stage, n, err)
			}
		}
	}
}

// dumpBackward is dump with an iterator going from the last key down.
func dumpBackward(r engine.Reader) (map[string]string, error) {
	it, err := r.NewIter(engine.IterOptions{})
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for ok := it.Last(); ok; ok = it.Prev() {
		m[string(it.Key())] = string(it.Value())
	}
	if err := it.Error(); err != nil {
		it.Close()
		return nil, err
	}
	return m, it.Close()
}

// TestReplayHandsOverFullMemtables: full memtables the WAL holds beyond
// the checkpoint, fewer than btree.memtables-1, are not merged during
// recovery but handed to the merger, still visible to reads, and merged
// after Open returns.
func TestReplayHandsOverFullMemtables(t *testing.T) {
	mem := vfs.NewMem()
	opts := bufferOptions(mem)
	opts.Extra[OptMemTables] = "4"
	hold := make(chan struct{})
	var release sync.Once
	let := func() { release.Do(func() { close(hold) }) }
	testHookMerge = func() { <-hold }
	defer func() { testHookMerge = nil; let() }()

	db := mustOpen(t, "db", opts)
	model := map[string]string{}
	for i := 0; len(db.buf.view.Load().frozen) < 2; i++ {
		k, v := fmt.Sprintf("key%05d", i%7000), fmt.Sprintf("v%d-%s", i, bytes.Repeat([]byte("x"), i%50))
		must(t, "Set", db.Set([]byte(k), []byte(v), engine.NoSync))
		model[k] = v
	}
	must(t, "WAL sync", db.log.Sync())
	crashed := mem.CrashClone(vfs.CrashOptions{})
	let()
	must(t, "Close", db.Close())

	hold = make(chan struct{})
	release = sync.Once{}
	o := opts.Clone()
	o.FS = crashed
	db = mustOpen(t, "db", o)
	defer db.Close()
	if n := len(db.buf.view.Load().frozen); n != 2 {
		t.Errorf("after recovery the write buffer holds %d full memtables, want the 2 the WAL had", n)
	}
	got, err := dump(db)
	must(t, "dump", err)
	if d := diff(got, model); d != "" {
		t.Fatalf("after recovery, with the full memtables not merged: %s", d)
	}
	let()
	must(t, "Flush", db.Flush())
	if n := len(db.buf.view.Load().frozen); n != 0 {
		t.Errorf("after Flush %d full memtables are left", n)
	}
	got, err = dump(db)
	must(t, "dump", err)
	if d := diff(got, model); d != "" {
		t.Fatalf("after merging them: %s", d)
	}
	if m := db.Metrics(); m.Extra["btree.buffer.merged_memtables"] < 2 {
		t.Errorf("merged_memtables %v after recovery and Flush, want at least 2", m.Extra["btree.buffer.merged_memtables"])
	}
}
