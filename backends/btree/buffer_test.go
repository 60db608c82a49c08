package btree

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/vfs/errorfs"
)

// bufferOptions returns testOptions on fs with the write buffer on and
// no timer checkpoints.
func bufferOptions(fs vfs.FS) *engine.Options {
	o := testOptions(fs)
	o.Extra[OptWriteBuffer] = "true"
	o.Extra[OptCheckpointInterval] = "0"
	return o
}

// prefixGroups is the number of writer goroutines of
// TestBufferSnapshotPrefix, each with its own group of keys.
const prefixGroups = 2

// prefixKeys is the number of keys every batch of a group writes.
const prefixKeys = 6

// groupBatch returns batch c of group g (see TestBufferSnapshotPrefix)
// and its value: the c keys set to it, the o keys set to it when c is odd
// and deleted when c is even.
func groupBatch(g, c int) (*engine.Batch, []byte) {
	b := engine.NewBatch()
	v := groupValue(c)
	for i := 0; i < prefixKeys; i++ {
		b.Set(groupKey(g, 'c', i), v)
		if c%2 == 1 {
			b.Set(groupKey(g, 'o', i), v)
		} else {
			b.Delete(groupKey(g, 'o', i))
		}
	}
	return b, v
}

// groupValue is the value a batch writes for counter c: c, then padding
// so that memtables fill quickly.
func groupValue(c int) []byte {
	return append([]byte(fmt.Sprintf("%09d:", c)), bytes.Repeat([]byte{'p'}, 90)...)
}

// parseGroupValue returns the counter of a groupValue.
func parseGroupValue(v []byte) (int, error) {
	s, _, ok := strings.Cut(string(v), ":")
	if !ok {
		return 0, fmt.Errorf("malformed value %q", trunc(v))
	}
	return strconv.Atoi(s)
}

// groupKey is key i of group g: the counter keys ("c") carry every
// counter; the odd keys ("o") are set to odd counters and deleted by even
// ones.
func groupKey(g int, kind byte, i int) []byte {
	return []byte(fmt.Sprintf("g%d-%c%02d", g, kind, i))
}

// groupState checks what a reader sees of group g, given by get (nil,
// false: absent): every counter key holds one counter c, and the odd keys
// hold c when c is odd and are absent when it is even. It returns c (-1
// if the group was never written).
func groupState(g int, get func(key []byte) ([]byte, bool, error)) (int, error) {
	c := -2
	for i := 0; i < prefixKeys; i++ {
		v, ok, err := get(groupKey(g, 'c', i))
		if err != nil {
			return 0, err
		}
		n := -1
		if ok {
			if n, err = parseGroupValue(v); err != nil {
				return 0, err
			}
		}
		if c != -2 && n != c {
			return 0, fmt.Errorf("group %d: key %d holds counter %d, key 0 holds %d: a partial batch", g, i, n, c)
		}
		c = n
	}
	for i := 0; i < prefixKeys; i++ {
		v, ok, err := get(groupKey(g, 'o', i))
		if err != nil {
			return 0, err
		}
		if want := c >= 0 && c%2 == 1; ok != want {
			return 0, fmt.Errorf("group %d at counter %d: odd key %d present=%v", g, c, i, ok)
		}
		if ok {
			if n, err := parseGroupValue(v); err != nil || n != c {
				return 0, fmt.Errorf("group %d at counter %d: odd key %d holds %d (%v)", g, c, i, n, err)
			}
		}
	}
	return c, nil
}

// readerGet adapts an engine.Reader to groupState.
func readerGet(r engine.Reader) func(key []byte) ([]byte, bool, error) {
	return func(key []byte) ([]byte, bool, error) {
		v, err := r.Get(key, nil)
		if errors.Is(err, engine.ErrNotFound) {
			return nil, false, nil
		}
		return v, err == nil, err
	}
}

// iterGet reads group g with one bounded iterator of r, forward or
// backward, and serves groupState from what it saw.
func iterGet(r engine.Reader, g int, backward bool) (func(key []byte) ([]byte, bool, error), error) {
	lower := []byte(fmt.Sprintf("g%d-", g))
	upper := []byte(fmt.Sprintf("g%d.", g))
	it, err := r.NewIter(engine.IterOptions{Lower: lower, Upper: upper})
	if err != nil {
		return nil, err
	}
	seen := map[string][]byte{}
	var last []byte
	move, start := it.Next, it.First
	if backward {
		move, start = it.Prev, it.Last
	}
	for ok := start(); ok; ok = move() {
		k := it.Key()
		if last != nil && (bytes.Compare(k, last) <= 0) != backward {
			it.Close()
			return nil, fmt.Errorf("group %d: iterator out of order at %q after %q", g, k, last)
		}
		last = append(last[:0], k...)
		seen[string(k)] = append([]byte(nil), it.Value()...)
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	return func(key []byte) ([]byte, bool, error) {
		v, ok := seen[string(key)]
		return v, ok, nil
	}, nil
}

// TestBufferSnapshotPrefix runs writers, each committing batches that
// write one counter to a group of keys (and set or delete other keys by
// its parity), against readers using Get, iterators and snapshots, while
// small memtables freeze and merge and Flush runs: every snapshot and
// iterator must see whole batches, a counter no older than the last one
// acknowledged before it was taken and no newer than the last one
// started, and a snapshot must not change while it is open.
func TestBufferSnapshotPrefix(t *testing.T) {
	seed := testSeed(t)
	opts := bufferOptions(vfs.NewMem())
	db := mustOpen(t, "db", opts)
	batches := 4000
	if testing.Short() {
		batches = 1500
	}
	var acked, started [prefixGroups]atomic.Int64
	for g := range prefixGroups {
		acked[g].Store(-1)
		started[g].Store(-1)
	}
	// bounds returns, per group, the counters acknowledged (before) or
	// started (after).
	bounds := func(a *[prefixGroups]atomic.Int64) (out [prefixGroups]int) {
		for g := range a {
			out[g] = int(a[g].Load())
		}
		return out
	}
	var stop atomic.Bool
	var failed atomic.Bool
	fail := func(format string, args ...any) {
		failed.Store(true)
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
				// Filler keys grow the tree, so merges span chunks.
				for j := 0; j < 3; j++ {
					b.Set([]byte(fmt.Sprintf("f%06d", rng.IntN(50000))), v[:10+rng.IntN(60)])
				}
				started[g].Store(int64(c))
				var err error
				if c%5 == 0 {
					// Single writes too: the first key alone, then the
					// batch (which rewrites it with the same value).
					err = db.Set(groupKey(g, 'x', 0), v, engine.WriteOptions{})
				}
				if err == nil {
					err = db.Apply(b, engine.WriteOptions{Sync: c%50 == 0})
				}
				if err != nil {
					fail("writer %d, batch %d: %v", g, c, err)
					return
				}
				acked[g].Store(int64(c))
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
			rng := rand.New(rand.NewPCG(seed, uint64(100+r)))
			for n := 0; !stop.Load(); n++ {
				lo := bounds(&acked)
				g := rng.IntN(prefixGroups)
				switch rng.IntN(3) {
				case 0: // a snapshot: Gets, iterators both ways, again later
					sn, err := db.NewSnapshot()
					if err != nil {
						fail("NewSnapshot: %v", err)
						return
					}
					hi := bounds(&started)
					c0, err := groupState(g, readerGet(sn))
					if err != nil {
						fail("snapshot Get: %v", err)
						sn.Close()
						return
					}
					check("snapshot", lo, hi, g, c0)
					for _, back := range []bool{false, true} {
						time.Sleep(time.Duration(rng.IntN(200)) * time.Microsecond)
						get, err := iterGet(sn, g, back)
						var c int
						if err == nil {
							c, err = groupState(g, get)
						}
						if err != nil || c != c0 {
							fail("snapshot iterator (backward %v): counter %d, its Gets saw %d (%v)", back, c, c0, err)
						}
					}
					if c, err := groupState(g, readerGet(sn)); err != nil || c != c0 {
						fail("snapshot Get again: counter %d, first %d (%v)", c, c0, err)
					}
					if err := sn.Close(); err != nil {
						fail("snapshot Close: %v", err)
					}
				case 1: // an iterator of the engine
					get, err := iterGet(db, g, rng.IntN(2) == 0)
					hi := bounds(&started)
					var c int
					if err == nil {
						c, err = groupState(g, get)
					}
					if err != nil {
						fail("iterator: %v", err)
						return
					}
					check("iterator", lo, hi, g, c)
				default: // Gets: each key within the bounds
					for i := 0; i < prefixKeys; i++ {
						v, err := db.Get(groupKey(g, 'c', i), nil)
						hi := bounds(&started)
						c := -1
						if err == nil {
							c, err = parseGroupValue(v)
						} else if errors.Is(err, engine.ErrNotFound) {
							err = nil
						}
						if err != nil {
							fail("Get: %v", err)
							return
						}
						check("Get", lo, hi, g, c)
					}
				}
			}
		}()
	}
	// A snapshot held across merges: everything it holds, read twice.
	readers.Add(1)
	go func() {
		defer readers.Done()
		for !stop.Load() {
			sn, err := db.NewSnapshot()
			if err != nil {
				fail("NewSnapshot: %v", err)
				return
			}
			first, err := dump(sn)
			if err == nil {
				time.Sleep(30 * time.Millisecond)
				var again map[string]string
				if again, err = dump(sn); err == nil {
					if d := diff(again, first); d != "" {
						err = fmt.Errorf("changed while open: %s", d)
					}
				}
			}
			if err != nil {
				fail("held snapshot: %v", err)
			}
			if err := sn.Close(); err != nil {
				fail("snapshot Close: %v", err)
			}
		}
	}()
	// Flush concurrently with the writers, now and then.
	readers.Add(1)
	var flushes atomic.Int64
	var slowest atomic.Int64
	go func() {
		defer readers.Done()
		for !stop.Load() {
			time.Sleep(20 * time.Millisecond)
			start := time.Now()
			if err := db.Flush(); err != nil {
				fail("Flush: %v", err)
				return
			}
			flushes.Add(1)
			slowest.Store(max(slowest.Load(), int64(time.Since(start))))
		}
	}()
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	if failed.Load() {
		db.Close()
		return
	}
	m := db.Metrics()
	t.Logf("merges %v, mid-merge checkpoints %v, stalls %d, flushes %d (slowest %v)",
		m.Extra["btree.buffer.merges"], m.Extra["btree.buffer.mid_merge_checkpoints"], m.Stalls, flushes.Load(), time.Duration(slowest.Load()))
	if m.Extra["btree.buffer.merges"] < 3 {
		t.Errorf("only %v memtables merged: the test did not exercise the merger", m.Extra["btree.buffer.merges"])
	}
	final := func(db *DB) {
		for g := range prefixGroups {
			c, err := groupState(g, readerGet(db))
			if err != nil || c != batches-1 {
				t.Errorf("group %d at counter %d, want %d (%v)", g, c, batches-1, err)
			}
		}
	}
	final(db)
	want, err := dump(db)
	must(t, "dump", err)
	must(t, "Close", db.Close())
	db = mustOpen(t, "db", opts)
	defer db.Close()
	final(db)
	got, err := dump(db)
	must(t, "dump after reopening", err)
	if d := diff(got, want); d != "" {
		t.Errorf("after reopening: %s", d)
	}
}

// walGate is an errorfs injector that, while shut, blocks the WAL's file
// writes, syncs and creations: a slow log device, or a flusher that the
// scheduler has not run yet.
type walGate struct {
	mu   sync.Mutex
	cond sync.Cond
	shut bool
}

func newWALGate() *walGate {
	g := &walGate{}
	g.cond.L = &g.mu
	return g
}

func (g *walGate) MaybeError(op errorfs.Op) error {
	if !strings.Contains(filepath.ToSlash(op.Path), "/"+WALDir) {
		return nil
	}
	switch op.Kind {
	case errorfs.OpCreate, errorfs.OpWrite, errorfs.OpWriteAt, errorfs.OpSync,
		errorfs.OpRename, errorfs.OpTruncate, errorfs.OpSyncDir, errorfs.OpOpenReadWrite:
	default:
		return nil
	}
	g.mu.Lock()
	for g.shut {
		g.cond.Wait()
	}
	g.mu.Unlock()
	return nil
}

func (g *walGate) set(shut bool) {
	g.mu.Lock()
	g.shut = shut
	g.cond.Broadcast()
	g.mu.Unlock()
}

// TestBufferMidMergeCheckpointNeedsDurableWAL: a checkpoint taken in the
// middle of a merge records the tree's pre-merge sequence number and
// relies on the WAL to replay the frozen memtable; its data file already
// holds some of that memtable's newest values (in key order, not
// sequence order). If the frozen memtable's WAL records are not yet
// durable when that checkpoint's meta is (non-Sync writes, a rotated
// segment the WAL's flusher has not sealed yet), a crash recovers a state
// that is no prefix of the history. Here the WAL device is stalled from
// the moment the writes start; a crash copy is taken as soon as a
// checkpoint made during the stall is durable (since f95865d the merger
// syncs the WAL first, so none is: it waits for the device).
func TestBufferMidMergeCheckpointNeedsDurableWAL(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	mem := vfs.NewMem()
	gate := newWALGate()
	opts := bufferOptions(errorfs.Wrap(mem, gate))
	db := mustOpen(t, "db", opts)
	// A tree of many leaves, so that merging a memtable of random keys
	// dirties more than the budget and checkpoints in mid-merge.
	model := map[string]string{}
	key := func() string { return fmt.Sprintf("key%06d", rng.IntN(20000)) }
	for i := 0; i < 20000; i++ {
		k, v := fmt.Sprintf("key%06d", i), fmt.Sprintf("base%d", i)
		must(t, "Set", db.Set([]byte(k), []byte(v), engine.WriteOptions{}))
		model[k] = v
	}
	must(t, "Flush", db.Flush())
	before := db.s.checkpoints.Load()
	db.s.mu.Lock()
	baseSeq := db.s.meta.LastSeq
	db.s.mu.Unlock()

	// About six memtables of writes, in a goroutine: with the WAL
	// stalled, a fixed merger may stall the writer too.
	type op struct{ k, v string }
	hist := make([]op, 3000)
	for i := range hist {
		hist[i] = op{key(), fmt.Sprintf("new%d-%s", i, strings.Repeat("v", rng.IntN(40)))}
	}
	gate.set(true)
	writer := make(chan error, 1)
	go func() {
		for _, o := range hist {
			if err := db.Set([]byte(o.k), []byte(o.v), engine.WriteOptions{}); err != nil {
				writer <- err
				return
			}
		}
		writer <- nil
	}()
	var clone *vfs.MemFS
	var meta uint64
	for deadline := time.Now().Add(5 * time.Second); clone == nil && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
		if db.s.checkpoints.Load() > before {
			db.s.mu.Lock()
			meta = db.s.meta.LastSeq
			clone = mem.CrashClone(vfs.CrashOptions{})
			db.s.mu.Unlock()
		}
	}
	gate.set(false)
	must(t, "Set", <-writer)
	m := db.Metrics()
	must(t, "Close", db.Close())
	if m.Extra["btree.buffer.mid_merge_checkpoints"] == 0 {
		t.Errorf("the workload made no checkpoint in mid-merge: the test proves nothing")
	}
	if clone == nil {
		t.Logf("no checkpoint while the WAL was stalled (%v mid-merge checkpoints once it resumed)", m.Extra["btree.buffer.mid_merge_checkpoints"])
		return
	}
	t.Logf("crash copy at a checkpoint through sequence %d (before the stall: %d); %v mid-merge checkpoints",
		meta, baseSeq, m.Extra["btree.buffer.mid_merge_checkpoints"])
	o := opts.Clone()
	o.FS = clone
	db, err := Open("db", o)
	must(t, "recovery", err)
	got, err := dump(db)
	must(t, "dump", err)
	must(t, "Close", db.Close())
	// The recovered state must be the state after some prefix of hist.
	for n := 0; ; n++ {
		if diff(got, model) == "" {
			t.Logf("recovered the first %d writes", n)
			return
		}
		if n == len(hist) {
			break
		}
		model[hist[n].k] = hist[n].v
	}
	for k := range model {
		delete(model, k)
	}
	for i := 0; i < 20000; i++ {
		model[fmt.Sprintf("key%06d", i)] = fmt.Sprintf("base%d", i)
	}
	newer := 0
	for k, v := range got {
		if model[k] != v {
			newer++
		}
	}
	t.Errorf("the recovered state is no prefix of the history: %d keys differ from the state before the stall, yet the WAL holds none of the writes made since (against it: %s)", newer, diff(got, model))
}

// failAfter is an errorfs injector that fails every write to the data
// file once armed.
type failAfter struct{ armed atomic.Bool }

func (f *failAfter) MaybeError(op errorfs.Op) error {
	if f.armed.Load() && filepath.Base(op.Path) == DataFile && op.Kind.IsWrite() {
		return errorfs.ErrInjected
	}
	return nil
}

// TestBufferCheckpointFailure makes every checkpoint fail while writers
// fill memtables: the writers, Flush and Close must return errors (no
// hang, no panic), and reopening the files without the fault must recover
// exactly the writes that were acknowledged.
func TestBufferCheckpointFailure(t *testing.T) {
	seed := testSeed(t)
	mem := vfs.NewMem()
	inj := &failAfter{}
	opts := bufferOptions(errorfs.Wrap(mem, inj))
	db := mustOpen(t, "db", opts)
	for i := 0; i < 5000; i++ {
		must(t, "Set", db.Set([]byte(fmt.Sprintf("key%06d", i)), []byte("base"), engine.WriteOptions{}))
	}
	must(t, "Flush", db.Flush())
	inj.armed.Store(true)
	// Each writer has its own keys (and model), so that the writers run
	// concurrently and some wait in a stall when the failure comes.
	var models [2]map[string]string
	var wg sync.WaitGroup
	var failures atomic.Int64
	for w := 0; w < 2; w++ {
		models[w] = map[string]string{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := 0; i < 20000; i++ {
				k := fmt.Sprintf("key%06d", 2*rng.IntN(2500)+w)
				v := fmt.Sprintf("w%d-%d%s", w, i, strings.Repeat("x", rng.IntN(50)))
				if err := db.Set([]byte(k), []byte(v), engine.WriteOptions{Sync: i%100 == 0}); err != nil {
					failures.Add(1)
					if errors.Is(err, engine.ErrClosed) {
						t.Errorf("write refused as closed: %v", err)
					}
					return
				}
				models[w][k] = v
			}
		}()
	}
	wg.Wait()
	if failures.Load() != 2 {
		t.Errorf("%d writers saw the failure, want 2", failures.Load())
	}
	if err := db.Flush(); err == nil {
		t.Errorf("Flush after a failed checkpoint: no error")
	}
	if err := db.Set([]byte("after"), []byte("x"), engine.WriteOptions{}); err == nil {
		t.Errorf("Set after a failed checkpoint: no error")
	}
	if _, err := db.Get([]byte("key000001"), nil); err != nil && !errors.Is(err, engine.ErrNotFound) {
		t.Logf("Get after the failure: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- db.Close() }()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("Close after a failed checkpoint: no error")
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Close hangs after a failed checkpoint")
	}
	inj.armed.Store(false)
	db = mustOpen(t, "db", opts)
	defer db.Close()
	got, err := dump(db)
	must(t, "dump", err)
	model := maps.Clone(models[0])
	maps.Copy(model, models[1])
	for i := 0; i < 5000; i++ {
		if k := fmt.Sprintf("key%06d", i); model[k] == "" {
			model[k] = "base"
		}
	}
	if d := diff(got, model); d != "" {
		t.Errorf("recovered state differs from the acknowledged writes: %s", d)
	}
}

// TestBufferLargeBatches writes batches larger than a memtable, into an
// empty active memtable and into a non-empty one, between small writes,
// with a snapshot open across them: reads, the snapshot and a reopened
// engine must agree with the model.
func TestBufferLargeBatches(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 3))
	opts := bufferOptions(vfs.NewMem())
	db := mustOpen(t, "db", opts)
	model := map[string]string{}
	big := func(n int) string { return strings.Repeat(string(rune('a'+rng.IntN(26))), n) }
	var sn engine.Snapshot
	var snModel map[string]string
	for round := 0; round < 6; round++ {
		if round%2 == 1 {
			// A non-empty active memtable before the large batch.
			for i := 0; i < 20; i++ {
				k, v := fmt.Sprintf("small%03d", rng.IntN(200)), big(rng.IntN(100))
				must(t, "Set", db.Set([]byte(k), []byte(v), engine.WriteOptions{}))
				model[k] = v
			}
		}
		b := engine.NewBatch()
		ops := map[string]string{}
		for i := 0; i < 3; i++ {
			k, v := fmt.Sprintf("big%02d-%d", round, i), big(100<<10+rng.IntN(200<<10))
			b.Set([]byte(k), []byte(v))
			ops[k] = v
		}
		// Many small entries too: a batch over the memtable's entry count.
		for i := 0; i < 1500; i++ {
			k := fmt.Sprintf("many%05d", i)
			if rng.IntN(4) == 0 {
				b.Delete([]byte(k))
				ops[k] = ""
			} else {
				v := fmt.Sprint(round)
				b.Set([]byte(k), []byte(v))
				ops[k] = v
			}
		}
		must(t, "Apply", db.Apply(b, engine.WriteOptions{Sync: round%3 == 0}))
		for k, v := range ops {
			if v == "" {
				delete(model, k)
			} else {
				model[k] = v
			}
		}
		if round == 2 {
			var err error
			sn, err = db.NewSnapshot()
			must(t, "NewSnapshot", err)
			snModel = maps.Clone(model)
		}
		got, err := dump(db)
		must(t, "dump", err)
		if d := diff(got, model); d != "" {
			t.Fatalf("round %d: %s", round, d)
		}
	}
	got, err := dump(sn)
	must(t, "dump of the snapshot", err)
	if d := diff(got, snModel); d != "" {
		t.Errorf("snapshot: %s", d)
	}
	must(t, "snapshot Close", sn.Close())
	t.Logf("merges %v", db.Metrics().Extra["btree.buffer.merges"])
	must(t, "Close", db.Close())
	db = mustOpen(t, "db", opts)
	defer db.Close()
	got, err = dump(db)
	must(t, "dump after reopening", err)
	if d := diff(got, model); d != "" {
		t.Errorf("after reopening: %s", d)
	}
}

// TestBufferCloseWhileWriting closes the engine while writers commit
// batches and memtables are being merged: Close must not hang, the
// writers must end with ErrClosed, and the reopened engine must hold, for
// each writer, whole batches up to one at least as new as the last
// acknowledged and no newer than the last started.
func TestBufferCloseWhileWriting(t *testing.T) {
	seed := testSeed(t)
	opts := bufferOptions(vfs.NewMem())
	db := mustOpen(t, "db", opts)
	var acked, started [prefixGroups]atomic.Int64
	var wg sync.WaitGroup
	for g := range prefixGroups {
		acked[g].Store(-1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(g)))
			for c := 0; ; c++ {
				b, v := groupBatch(g, c)
				b.Set([]byte(fmt.Sprintf("f%06d", rng.IntN(50000))), v)
				started[g].Store(int64(c))
				if err := db.Apply(b, engine.WriteOptions{Sync: c%20 == 0}); err != nil {
					if !errors.Is(err, engine.ErrClosed) {
						t.Errorf("writer %d, batch %d: %v", g, c, err)
					}
					return
				}
				acked[g].Store(int64(c))
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- db.Close() }()
	select {
	case err := <-done:
		must(t, "Close", err)
	case <-time.After(30 * time.Second):
		t.Fatalf("Close hangs while writers run")
	}
	wg.Wait()
	db = mustOpen(t, "db", opts)
	defer db.Close()
	for g := range prefixGroups {
		c, err := groupState(g, readerGet(db))
		if err != nil {
			t.Fatalf("after reopening: %v", err)
		}
		if lo, hi := int(acked[g].Load()), int(started[g].Load()); c < lo || c > hi {
			t.Errorf("group %d recovered at counter %d, want one in [%d, %d]", g, c, lo, hi)
		}
	}
	if _, err := dump(db); err != nil {
		t.Errorf("dump after reopening: %v", err)
	}
}

// TestBufferCrashAnyTime takes crash copies at random moments of a write
// history (not only at checkpoint stages), keeping random prefixes of
// every unsynced tail, WAL included, while the merger merges and
// checkpoints in the background: each copy must recover to the state
// after a prefix of the history that holds every write acknowledged
// durable.
func TestBufferCrashAnyTime(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 21))
	mem := vfs.NewMem()
	opts := bufferOptions(mem)
	db := mustOpen(t, "db", opts)
	writes := 4000
	if testing.Short() {
		writes = 1500
	}
	key := func() []byte { return []byte(fmt.Sprintf("key%05d", rng.IntN(3000))) }
	value := func() []byte { return bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, rng.IntN(120)) }
	var hist [][]crashOp
	var points []crashPoint
	durable := 0
	for i := 0; i < writes; i++ {
		var ops []crashOp
		if rng.IntN(4) == 0 {
			for j := rng.IntN(30); j >= 0; j-- {
				ops = append(ops, crashOp{del: rng.IntN(3) == 0, key: key(), value: value()})
			}
		} else {
			ops = []crashOp{{del: rng.IntN(5) == 0, key: key(), value: value()}}
		}
		b := opsBatch(ops)
		sync := rng.IntN(40) == 0
		must(t, "Apply", db.Apply(b, engine.WriteOptions{Sync: sync}))
		hist = append(hist, ops)
		if sync {
			durable = i + 1
		}
		if rng.IntN(writes/12) == 0 {
			points = append(points, crashPoint{
				stage:   fmt.Sprintf("after write %d", i+1),
				fs:      mem.CrashClone(vfs.CrashOptions{UnsyncedDataPercent: 100, Seed: rng.Int64()}),
				durable: durable, started: i + 1,
			})
		}
	}
	m := db.Metrics()
	t.Logf("%d crash copies; merges %v, mid-merge checkpoints %v", len(points), m.Extra["btree.buffer.merges"], m.Extra["btree.buffer.mid_merge_checkpoints"])
	must(t, "Close", db.Close())
	for _, p := range points {
		if err := verifyCrash(p, hist, opts); err != nil {
			t.Errorf("crash copy %s (durable %d): %v", p.stage, p.durable, err)
		}
	}
}

// TestBufferIdleCheckpoint: once writes pause for the idle interval, the
// buffered writes reach the tree and a checkpoint: the memtables empty
// out and the durable meta holds the last sequence number, so a crash
// copy without the WAL's unsynced tail still holds every write.
func TestBufferIdleCheckpoint(t *testing.T) {
	mem := vfs.NewMem()
	opts := bufferOptions(mem)
	opts.Extra[OptIdleCheckpoint] = "50ms"
	db := mustOpen(t, "db", opts)
	defer db.Close()
	model := map[string]string{}
	for i := 0; i < 300; i++ {
		k, v := fmt.Sprintf("key%04d", i*7%1000), fmt.Sprint(i)
		must(t, "Set", db.Set([]byte(k), []byte(v), engine.WriteOptions{}))
		model[k] = v
	}
	last := db.buf.visible.Load()
	deadline := time.Now().Add(10 * time.Second)
	for {
		db.s.mu.Lock()
		meta := db.s.meta.LastSeq
		done := meta == last && db.s.flight == nil
		db.s.mu.Unlock()
		if done && !db.buf.view.Load().buffered() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no idle checkpoint through sequence %d in 10s (meta at %d, memtables empty: %v)",
				last, meta, !db.buf.view.Load().buffered())
		}
		time.Sleep(5 * time.Millisecond)
	}
	c := mem.CrashClone(vfs.CrashOptions{})
	o := opts.Clone()
	o.FS = c
	db2, err := Open("db", o)
	must(t, "Open the crash copy", err)
	got, err := dump(db2)
	must(t, "dump", err)
	must(t, "Close", db2.Close())
	if d := diff(got, model); d != "" {
		t.Errorf("crash copy after the idle checkpoint: %s", d)
	}
}

// failWAL is an errorfs injector that fails the WAL's file writes and
// syncs once armed.
type failWAL struct{ armed atomic.Bool }

func (f *failWAL) MaybeError(op errorfs.Op) error {
	if f.armed.Load() && strings.Contains(filepath.ToSlash(op.Path), "/"+WALDir+"/") &&
		(op.Kind == errorfs.OpWrite || op.Kind == errorfs.OpSync) {
		return errorfs.ErrInjected
	}
	return nil
}

// TestBufferWALFailure fails the WAL device in the middle of a history
// with memtables being merged: writes must start failing (no hang), and
// reopening the files without the fault must recover a prefix of the
// history holding every write acknowledged durable.
func TestBufferWALFailure(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 31))
	mem := vfs.NewMem()
	inj := &failWAL{}
	opts := bufferOptions(errorfs.Wrap(mem, inj))
	db := mustOpen(t, "db", opts)
	var hist [][]crashOp
	durable := 0
	armAt := 500 + rng.IntN(2000)
	var failedAt int
	for i := 0; i < 20000; i++ {
		if i == armAt {
			inj.armed.Store(true)
		}
		op := crashOp{key: []byte(fmt.Sprintf("key%05d", rng.IntN(3000))), value: bytes.Repeat([]byte{'v'}, rng.IntN(100))}
		sync := rng.IntN(20) == 0
		err := db.Set(op.key, op.value, engine.WriteOptions{Sync: sync})
		// A failed write may still have reached the WAL (a failed sync):
		// it stays in hist, as the last write recovery may hold.
		hist = append(hist, []crashOp{op})
		if err != nil {
			if i < armAt {
				t.Fatalf("write %d before the fault: %v", i, err)
			}
			failedAt = i
			break
		}
		if sync {
			durable = len(hist)
		}
	}
	if failedAt == 0 {
		t.Fatalf("no write failed after the WAL did (armed at write %d)", armAt)
	}
	t.Logf("WAL failed at write %d, the first write error at %d", armAt, failedAt)
	if err := db.Flush(); err == nil {
		t.Errorf("Flush after the WAL failed: no error")
	}
	done := make(chan error, 1)
	go func() { done <- db.Close() }()
	select {
	case err := <-done:
		t.Logf("Close: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatalf("Close hangs after the WAL failed")
	}
	inj.armed.Store(false)
	p := crashPoint{stage: "after the WAL failure", fs: mem, durable: durable, started: len(hist)}
	if err := verifyCrash(p, hist, opts); err != nil {
		t.Errorf("recovery after the WAL failure: %v", err)
	}
}
