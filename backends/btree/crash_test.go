package btree

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/vfs/errorfs"
)

// crashOp is one write of the crash workload.
type crashOp struct {
	del        bool
	key, value []byte
}

// opsBatch returns a batch of ops, in order.
func opsBatch(ops []crashOp) *engine.Batch {
	b := engine.NewBatch()
	for _, op := range ops {
		if op.del {
			b.Delete(op.key)
		} else {
			b.Set(op.key, op.value)
		}
	}
	return b
}

// applyOps applies ops to model, in order.
func applyOps(model map[string]string, ops []crashOp) {
	for _, op := range ops {
		if op.del {
			delete(model, string(op.key))
		} else {
			model[string(op.key)] = string(op.value)
		}
	}
}

// crashPoint is a copy of the disk as a power failure at one point of a
// checkpoint would leave it, with the bounds of the writes it must hold.
type crashPoint struct {
	stage   string
	fs      *vfs.MemFS
	durable int // writes acknowledged durable before the crash
	started int // writes begun before the crash
}

// crashRecorder watches the data file's operations through an errorfs
// injector and takes crash copies at the stages of each checkpoint:
//
//	pages         while the new pages are written (unsynced tails kept at random)
//	before-meta   after the data sync, before the meta write
//	meta-unsynced after the meta write, before its sync (the meta is lost)
//	torn-meta     as meta-unsynced, plus a prefix of the new meta written
//	after-meta    just after the meta sync
type crashRecorder struct {
	mem     *vfs.MemFS
	rng     *rand.Rand
	durable atomic.Int64
	started atomic.Int64

	mu        sync.Mutex
	metaNext  bool // the next data-file write is the meta
	metaSync  bool // the next data-file sync is the meta's
	afterMeta bool // take a copy at the next operation
	points    map[string][]crashPoint
	seen      map[string]int // chances to take a copy, per stage
	slot      int            // where want says the next copy goes
}

// crashCopiesPerStage is the size of each stage's reservoir: the copies
// kept are a uniform sample of every chance the history gave.
const crashCopiesPerStage = 6

// want reports whether to take a copy at this chance of stage (reservoir
// sampling), and remembers where it goes.
func (r *crashRecorder) want(stage string) bool {
	r.seen[stage]++
	if n := len(r.points[stage]); n < crashCopiesPerStage {
		r.slot = n
		return true
	}
	r.slot = r.rng.IntN(r.seen[stage])
	return r.slot < crashCopiesPerStage
}

// clone takes a crash copy of r.mem with the bounds of the writes it must
// hold. The order matters, as the writer goroutine runs on: durable is read
// before the copy (every write counted had been acknowledged, so it is in
// the copy) and started after it (no write the copy holds had not begun).
func (r *crashRecorder) clone(stage string, opts vfs.CrashOptions) crashPoint {
	durable := int(r.durable.Load())
	fs := r.mem.CrashClone(opts)
	return crashPoint{stage: stage, fs: fs, durable: durable, started: int(r.started.Load())}
}

// take stores p in the slot want chose for p's stage.
func (r *crashRecorder) take(p crashPoint) {
	stage := p.stage
	if r.slot < len(r.points[stage]) {
		r.points[stage][r.slot] = p
	} else {
		r.points[stage] = append(r.points[stage], p)
	}
}

func (r *crashRecorder) MaybeError(op errorfs.Op) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.afterMeta {
		r.afterMeta = false
		if r.want("after-meta") {
			r.take(r.clone("after-meta", vfs.CrashOptions{}))
		}
	}
	if filepath.Base(op.Path) != DataFile {
		return nil
	}
	switch op.Kind {
	case errorfs.OpWriteAt:
		if r.metaNext {
			r.metaNext, r.metaSync = false, true
			if r.want("before-meta") {
				r.take(r.clone("before-meta", vfs.CrashOptions{}))
			}
		} else if r.want("pages") {
			r.take(r.clone("pages", vfs.CrashOptions{UnsyncedDataPercent: 100, Seed: r.rng.Int64()}))
		}
	case errorfs.OpSync:
		if r.metaSync {
			r.metaSync, r.afterMeta = false, true
			if r.want("meta-unsynced") {
				c := r.clone("meta-unsynced", vfs.CrashOptions{})
				r.take(c)
				// The torn copy shares the slot.
				if r.slot >= len(r.points["torn-meta"]) {
					r.slot = len(r.points["torn-meta"])
				}
				torn := c
				torn.stage, torn.fs = "torn-meta", r.tornMeta(c.fs)
				r.take(torn)
			}
		} else {
			r.metaNext = true
		}
	}
	return nil
}

// tornMeta returns a copy of c in which the meta page being written in
// r.mem (the one that differs) holds a prefix of its new bytes.
func (r *crashRecorder) tornMeta(c *vfs.MemFS) *vfs.MemFS {
	torn := c.Clone()
	path := filepath.Join("db", DataFile)
	cur, err1 := vfs.ReadFile(r.mem, path)
	old, err2 := vfs.ReadFile(torn, path)
	if err1 != nil || err2 != nil {
		panic(fmt.Sprint("reading the data file: ", err1, err2))
	}
	ps := 4096
	for id := 0; id < 2; id++ {
		a, b := cur[id*ps:(id+1)*ps], old[id*ps:(id+1)*ps]
		if bytes.Equal(a, b) {
			continue
		}
		n := 1 + r.rng.IntN(ps-1)
		f, err := torn.OpenReadWrite(path)
		if err == nil {
			_, err = f.WriteAt(a[:n], int64(id*ps))
		}
		if err == nil {
			err = f.Sync()
		}
		if err != nil {
			panic(err)
		}
		f.Close()
	}
	return torn
}

// TestCrashInCheckpoint runs a random history whose checkpoints are
// crashed at every stage, then recovers each copy: the data file must pass
// Check as the crash left it and after recovery, and the recovered state
// must be the state after a prefix of the history that holds every write
// acknowledged durable.
// It runs on both write paths: with the write buffer, checkpoints are
// started by the merger, also in the middle of merging a memtable (the
// 64 KiB budget of testOptions).
func TestCrashInCheckpoint(t *testing.T) {
	seed := testSeed(t)
	for _, buffered := range []bool{true, false} {
		t.Run(fmt.Sprintf("write_buffer=%v", buffered), func(t *testing.T) {
			testCrashInCheckpoint(t, seed, buffered)
		})
	}
}

func testCrashInCheckpoint(t *testing.T, seed uint64, buffered bool) {
	rng := rand.New(rand.NewPCG(seed, 11))
	mem := vfs.NewMem()
	rec := &crashRecorder{mem: mem, rng: rand.New(rand.NewPCG(seed, 12)), points: map[string][]crashPoint{}, seen: map[string]int{}}
	fs := errorfs.Wrap(mem, rec)
	opts := testOptions(fs)
	opts.Extra[OptWriteBuffer] = fmt.Sprint(buffered)
	if seed%2 == 1 {
		// Odd seeds seal pages on checkpoint workers.
		opts.Extra[OptCheckpointWorkers] = "2"
		t.Logf("%s=2", OptCheckpointWorkers)
	}
	db := mustOpen(t, "db", opts)
	writes := 3000
	if testing.Short() {
		writes = 1200
	}
	var hist [][]crashOp
	value := func() []byte {
		n := rng.IntN(100)
		if rng.IntN(30) == 0 {
			n = 2000 + rng.IntN(6000)
		}
		return bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, n)
	}
	key := func() []byte { return []byte(fmt.Sprintf("key%05d", rng.IntN(2000))) }
	for i := 0; i < writes; i++ {
		var ops []crashOp
		switch r := rng.IntN(10); {
		case r < 6:
			ops = []crashOp{{key: key(), value: value()}}
		case r < 8:
			ops = []crashOp{{del: true, key: key()}}
		default:
			for j := rng.IntN(20); j >= 0; j-- {
				if rng.IntN(3) == 0 {
					ops = append(ops, crashOp{del: true, key: key()})
				} else {
					ops = append(ops, crashOp{key: key(), value: value()})
				}
			}
		}
		sync := rng.IntN(5) == 0
		rec.started.Store(int64(i + 1))
		var err error
		switch {
		case len(ops) > 1:
			err = db.Apply(opsBatch(ops), engine.WriteOptions{Sync: sync})
		case ops[0].del:
			err = db.Delete(ops[0].key, engine.WriteOptions{Sync: sync})
		default:
			err = db.Set(ops[0].key, ops[0].value, engine.WriteOptions{Sync: sync})
		}
		must(t, "write", err)
		hist = append(hist, ops)
		if sync {
			rec.durable.Store(int64(i + 1))
		}
		if rng.IntN(100) == 0 {
			must(t, "Flush", db.Flush())
			rec.durable.Store(int64(i + 1))
		}
	}
	// Usually some (a history may merge no memtable over the dirty
	// budget; TestBufferMidMergeCheckpointNeedsDurableWAL always does).
	t.Logf("%v checkpoints in the middle of a merge", db.Metrics().Extra["btree.buffer.mid_merge_checkpoints"])
	must(t, "Close", db.Close())
	rec.mu.Lock()
	defer rec.mu.Unlock()
	t.Logf("chances to crash per stage: %v", rec.seen)
	for _, stage := range []string{"pages", "before-meta", "meta-unsynced", "torn-meta", "after-meta"} {
		if len(rec.points[stage]) == 0 {
			t.Errorf("no crash copy taken at stage %s", stage)
		}
		for i, p := range rec.points[stage] {
			if err := verifyCrash(p, hist, opts); err != nil {
				t.Errorf("crash copy %d of stage %s (durable %d, started %d): %v", i, p.stage, p.durable, p.started, err)
			}
		}
	}
}

// verifyCrash checks one crash copy: Check as left, recovery, the state
// against the history, and Check after a clean close.
func verifyCrash(p crashPoint, hist [][]crashOp, opts *engine.Options) error {
	if err := Check(p.fs, "db", nil); err != nil {
		return fmt.Errorf("Check before recovery: %w", err)
	}
	o := opts.Clone()
	o.FS = p.fs
	db, err := Open("db", o)
	if err != nil {
		return fmt.Errorf("recovery: %w", err)
	}
	got, err := dump(db)
	if err != nil {
		db.Close()
		return fmt.Errorf("reading the recovered engine: %w", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("Close: %w", err)
	}
	if err := Check(p.fs, "db", nil); err != nil {
		return fmt.Errorf("Check after recovery: %w", err)
	}
	model := map[string]string{}
	apply := func(ops []crashOp) { applyOps(model, ops) }
	for _, ops := range hist[:p.durable] {
		apply(ops)
	}
	first, durableKeys := diff(got, model), len(model)
	for n := p.durable; ; n++ {
		if diff(got, model) == "" {
			return nil
		}
		if n >= p.started || n >= len(hist) {
			break
		}
		apply(hist[n])
	}
	return fmt.Errorf("the recovered state is no prefix of the history in [%d, %d]; against the durable prefix: %s (%d keys recovered, %d in the durable prefix)",
		p.durable, p.started, first, len(got), durableKeys)
}
