package harness

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lightningdb/lightning/harness/gen"
	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/harness/props"
	"github.com/lightningdb/lightning/workloads"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized tests (0: from the clock)")

func testSeed(t *testing.T) uint64 {
	t.Helper()
	s := *seedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed %d)", s, s)
	return s
}

// workload builds a workload from the smoke file plus overrides, seeded.
func workload(t *testing.T, seed uint64, overrides ...string) *props.Workload {
	t.Helper()
	s := props.New()
	data, err := workloads.Read("smoke")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Parse("smoke", data); err != nil {
		t.Fatal(err)
	}
	for _, o := range append([]string{fmt.Sprintf("lightning.seed=%d", seed)}, overrides...) {
		if err := s.SetArg(o); err != nil {
			t.Fatal(err)
		}
	}
	w, err := s.Workload()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// checkConsistent checks the invariants every result must satisfy: the
// histograms hold exactly the counted operations, the time series adds up
// to the totals, intervals are contiguous.
func checkConsistent(t *testing.T, res *Result) {
	t.Helper()
	var sum [measure.NumOps]measure.Counts
	for i, iv := range res.Intervals {
		if iv.Index != i {
			t.Errorf("interval %d has index %d", i, iv.Index)
		}
		if i > 0 && iv.Start != res.Intervals[i-1].End {
			t.Errorf("interval %d starts at %v, previous ends at %v", i, iv.Start, res.Intervals[i-1].End)
		}
		for op := range measure.NumOps {
			o := iv.Ops[op]
			sum[op].Add(o.Counts)
			if o.Total() > 0 && uint64(o.Service.TotalCount()) != o.Total() {
				t.Errorf("interval %d %v: histogram has %d values for %d ops", i, Op(op), o.Service.TotalCount(), o.Total())
			}
		}
	}
	for op := range measure.NumOps {
		o := res.Ops[op]
		if sum[op] != o.Counts {
			t.Errorf("%v: intervals add up to %+v, totals are %+v", Op(op), sum[op], o.Counts)
		}
		if uint64(o.Service.TotalCount()) != o.Total() {
			t.Errorf("%v: service histogram has %d values for %d ops", Op(op), o.Service.TotalCount(), o.Total())
		}
		if res.OpenLoop && uint64(o.Intended.TotalCount()) != o.Total() {
			t.Errorf("%v: intended histogram has %d values for %d ops", Op(op), o.Intended.TotalCount(), o.Total())
		}
	}
	if res.RunTime > res.Elapsed {
		t.Errorf("run time %v exceeds elapsed %v", res.RunTime, res.Elapsed)
	}
}

func TestLoadInsertsEveryRecord(t *testing.T) {
	seed := testSeed(t)
	for _, extra := range [][]string{nil, {"insertorder=ordered", "zeropadding=8"}, {"lightning.keyformat=compact", "threadcount=3"},
		{"insertstart=1000", "insertcount=5000", "fieldcount=3", "lightning.valuesize=0"}} {
		t.Run(strings.Join(extra, ","), func(t *testing.T) {
			w := workload(t, seed, extra...)
			eng := newMapEngine()
			res, err := Load(context.Background(), eng, w, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkConsistent(t, res)
			if res.Phase != "load" || !res.Complete || res.StoppedBy != "inserted all" {
				t.Errorf("phase %s complete %v stopped by %s", res.Phase, res.Complete, res.StoppedBy)
			}
			if got := res.Ops[measure.Insert].OK; got != uint64(w.InsertCount) || eng.len() != int(w.InsertCount) {
				t.Fatalf("inserted %d, engine holds %d, want %d", got, eng.len(), w.InsertCount)
			}
			sh, _ := gen.NewShared(w)
			for k := w.InsertStart; k < w.InsertStart+w.InsertCount; k++ {
				key := sh.Keys.Append(nil, k)
				v, err := eng.Get(key, nil)
				if err != nil {
					t.Fatalf("key %d (%q): %v", k, key, err)
				}
				if w.ValueSize > 0 && len(v) != w.ValueSize {
					t.Fatalf("value of %d bytes", len(v))
				}
			}
			if res.Total().Total() != res.Ops[measure.Insert].Total() {
				t.Error("load did something other than inserts")
			}
		})
	}
}

func TestRunExactCountsAndMix(t *testing.T) {
	seed := testSeed(t)
	w := workload(t, seed, "operationcount=40000", "threadcount=3")
	eng := newMapEngine()
	if _, err := Load(context.Background(), eng, w, nil); err != nil {
		t.Fatal(err)
	}
	gets0, sets0 := eng.gets.Load(), eng.sets.Load()
	res, err := Run(context.Background(), eng, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, res)
	total := res.Total()
	if total.Total() != 40000 || !res.Complete || res.StoppedBy != "operationcount" {
		t.Fatalf("ran %d ops (complete %v, %s), want exactly 40000", total.Total(), res.Complete, res.StoppedBy)
	}
	if total.Errors != 0 || total.NotFound != 0 {
		t.Errorf("errors %d, not found %d: reads must only address acknowledged records", total.Errors, total.NotFound)
	}
	// The engine saw exactly the operations counted.
	ops := res.Ops
	wantGets := ops[measure.Read].Total() + ops[measure.ReadModifyWrite].Total()
	wantSets := ops[measure.Update].Total() + ops[measure.Insert].Total() + ops[measure.ReadModifyWrite].Total()
	if g, s := eng.gets.Load()-gets0, eng.sets.Load()-sets0; g != wantGets || s != wantSets {
		t.Errorf("engine saw %d gets, %d sets; result says %d, %d", g, s, wantGets, wantSets)
	}
	if eng.iters.Load() != ops[measure.Scan].Total() {
		t.Errorf("engine opened %d iterators for %d scans", eng.iters.Load(), ops[measure.Scan].Total())
	}
	if res.ScanRecords == 0 || res.ScanRecords != eng.scanned.Load() {
		t.Errorf("scan records %d, engine returned %d", res.ScanRecords, eng.scanned.Load())
	}
	// Inserts added records after recordcount.
	if got := eng.len(); got != int(w.RecordCount)+int(ops[measure.Insert].OK) {
		t.Errorf("engine holds %d records after %d inserts", got, ops[measure.Insert].OK)
	}
	// The mix follows the proportions: chi-square, p < 1e-6 to fail.
	stat := 0.0
	df := -1
	for op := range measure.NumOps {
		e := w.Proportions[op] * 40000
		if e > 0 {
			d := float64(ops[op].Total()) - e
			stat += d * d / e
			df++
		}
	}
	if crit := 33.4; stat > crit { // chi-square(4 df) upper 1e-6
		t.Errorf("op mix chi-square %.1f > %.1f: %+v", stat, crit, ops)
	}
	t.Logf("op mix chi-square %.2f (%d df); throughput %.0f ops/s on the map engine", stat, df, res.Throughput)
}

func TestRunLatestNeverMisses(t *testing.T) {
	seed := testSeed(t)
	w := workload(t, seed, "requestdistribution=latest", "readproportion=0.5", "insertproportion=0.5",
		"updateproportion=0", "scanproportion=0", "readmodifywriteproportion=0", "operationcount=20000", "threadcount=4")
	eng := newMapEngine()
	if _, err := Load(context.Background(), eng, w, nil); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), eng, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, res)
	if nf := res.Ops[measure.Read].NotFound; nf != 0 {
		t.Errorf("%d reads of unacknowledged inserts", nf)
	}
	if got, want := eng.len(), int(w.RecordCount)+int(res.Ops[measure.Insert].OK); got != want {
		t.Errorf("%d records, want %d", got, want)
	}
}

func TestWarmupExcluded(t *testing.T) {
	seed := testSeed(t)
	w := workload(t, seed, "operationcount=3000", "lightning.warmup=300ms", "threadcount=2")
	eng := newMapEngine()
	if _, err := Load(context.Background(), eng, w, nil); err != nil {
		t.Fatal(err)
	}
	gets0 := eng.gets.Load()
	// Slow the engine so that warm-up holds a known share of operations.
	eng.delay = func() { spin(20 * time.Microsecond) }
	res, err := Run(context.Background(), eng, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, res)
	var warm uint64
	for _, c := range res.WarmupCounts {
		warm += c.Total()
	}
	if warm == 0 {
		t.Fatal("no warm-up operations counted")
	}
	if res.Total().Total() != 3000 {
		t.Errorf("measured %d ops, want operationcount 3000 after warm-up", res.Total().Total())
	}
	// Every engine Get is either a warm-up or a measured read (or RMW).
	wr := res.WarmupCounts[measure.Read].Total() + res.WarmupCounts[measure.ReadModifyWrite].Total()
	mr := res.Ops[measure.Read].Total() + res.Ops[measure.ReadModifyWrite].Total()
	if g := eng.gets.Load() - gets0; g != wr+mr {
		t.Errorf("engine saw %d gets = %d warm-up + %d measured?", g, wr, mr)
	}
	if res.Warmup != 300*time.Millisecond || res.RunTime > res.Elapsed-res.Warmup+time.Millisecond {
		t.Errorf("warm-up %v, run time %v, elapsed %v", res.Warmup, res.RunTime, res.Elapsed)
	}
	t.Logf("%d warm-up ops, %d measured", warm, res.Total().Total())
}

func TestOpenLoopIntendedLatency(t *testing.T) {
	seed := testSeed(t)
	w := workload(t, seed, "operationcount=600", "target=3000", "threadcount=2")
	eng := newMapEngine()
	// (target applies to the load phase too, as in YCSB: load closed-loop.)
	if _, err := Load(context.Background(), eng, workload(t, seed), nil); err != nil {
		t.Fatal(err)
	}
	// Every 100th operation stalls for 5 ms, so operations queue up
	// behind it: their intended latency includes the wait, their service
	// time does not.
	var n atomic.Uint64
	eng.delay = func() {
		if n.Add(1)%100 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	res, err := Run(context.Background(), eng, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, res)
	t.Logf("elapsed %v, run time %v", res.Elapsed, res.RunTime)
	if !res.OpenLoop || res.Total().Total() != 600 {
		t.Fatalf("open loop %v, %d ops", res.OpenLoop, res.Total().Total())
	}
	for op := range measure.NumOps {
		o := res.Ops[op]
		if o.Total() == 0 {
			continue
		}
		// Each op's intended latency >= its service time, so every
		// percentile of the intended histogram is >= the service one.
		for _, p := range []float64{0, 50, 90, 99, 100} {
			iv, sv := o.Intended.ValueAtPercentile(p), o.Service.ValueAtPercentile(p)
			if !o.Intended.ValuesAreEquivalent(iv, sv) && iv < sv {
				t.Errorf("%v p%g: intended %v < service %v", Op(op), p, time.Duration(iv), time.Duration(sv))
			}
		}
		if res.Latency(Op(op)) != o.Intended {
			t.Errorf("%v: Latency is not the intended histogram in open loop", Op(op))
		}
	}
	// The stalls show in the intended tail: operations queued behind a
	// 5 ms stall wait for it.
	all := measure.NewHistogram()
	for op := range measure.NumOps {
		all.Merge(res.Ops[op].Intended)
	}
	if max := all.Max(); max < int64(4*time.Millisecond) {
		t.Errorf("intended max %v does not show the 5 ms stalls", time.Duration(max))
	}
}

func TestErrorsCounted(t *testing.T) {
	seed := testSeed(t)
	w := workload(t, seed, "operationcount=5000")
	eng := newMapEngine()
	if _, err := Load(context.Background(), eng, w, nil); err != nil {
		t.Fatal(err)
	}
	eng.failSet = func(key []byte) bool { return key[len(key)-1] == '7' }
	res, err := Run(context.Background(), eng, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, res)
	var errs uint64
	for op := range measure.NumOps {
		errs += res.Ops[op].Errors
		if res.Ops[op].Errors > 0 && (len(res.Ops[op].FirstErrors) == 0 || !strings.Contains(res.Ops[op].FirstErrors[0], "injected")) {
			t.Errorf("%v: first errors %q", Op(op), res.Ops[op].FirstErrors)
		}
	}
	if errs == 0 || errs != eng.setErrs.Load() {
		t.Errorf("result counts %d errors, engine returned %d", errs, eng.setErrs.Load())
	}
	// Failed inserts leave holes: reads of them are not found, counted as
	// such rather than as errors or successes.
	if res.Total().Total() != 5000 {
		t.Errorf("%d ops, want 5000", res.Total().Total())
	}
	// A read-modify-write whose read misses and whose write fails counts
	// as an error (the worse outcome); every other miss is a not-found.
	nf, enf := res.Total().NotFound, eng.notFound.Load()
	// (Whether any read hits a failed insert's hole depends on the seed.)
	if nf > enf || nf+res.Ops[measure.ReadModifyWrite].Errors < enf {
		t.Errorf("result counts %d not found, engine said so %d times", nf, enf)
	}
}

func TestStopConditions(t *testing.T) {
	seed := testSeed(t)
	eng := newMapEngine()
	w := workload(t, seed)
	if _, err := Load(context.Background(), eng, w, nil); err != nil {
		t.Fatal(err)
	}
	// Neither operationcount nor maxexecutiontime: refused.
	bad := workload(t, seed, "operationcount=0", "maxexecutiontime=0")
	if _, err := Run(context.Background(), eng, bad, nil); !errors.Is(err, ErrPhase) {
		t.Errorf("endless run: %v", err)
	}
	// Canceled.
	ctx, cancel := context.WithCancel(context.Background())
	var statuses []Status
	var mu sync.Mutex
	opts := &Options{StatusEvery: 10 * time.Millisecond, OnStatus: func(s Status) {
		mu.Lock()
		statuses = append(statuses, s)
		mu.Unlock()
	}}
	eng.delay = func() { spin(20 * time.Microsecond) }
	time.AfterFunc(120*time.Millisecond, cancel)
	res, err := Run(ctx, eng, workload(t, seed, "operationcount=0", "maxexecutiontime=60"), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, res)
	if res.Complete || res.StoppedBy != "canceled" || res.Total().Total() == 0 {
		t.Errorf("complete %v, stopped by %q after %d ops", res.Complete, res.StoppedBy, res.Total().Total())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(statuses) == 0 {
		t.Fatal("no status calls")
	}
	last := statuses[len(statuses)-1]
	if last.Phase != "run" || last.Done == 0 || last.Total != 0 {
		t.Errorf("last status %+v", last)
	}
	moving := false
	for _, s := range statuses {
		moving = moving || s.OpsPerSec > 0
	}
	if !moving && len(statuses) >= 3 { // (on a starved machine the workers may not have run between ticks)
		t.Errorf("no status showed progress: %+v", statuses)
	}
}

func TestMaxExecutionTime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for a second")
	}
	seed := testSeed(t)
	eng := newMapEngine()
	w := workload(t, seed, "operationcount=0", "maxexecutiontime=1", "lightning.interval=200ms")
	if _, err := Load(context.Background(), eng, w, nil); err != nil {
		t.Fatal(err)
	}
	eng.delay = func() { spin(10 * time.Microsecond) }
	res, err := Run(context.Background(), eng, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, res)
	if res.StoppedBy != "maxexecutiontime" || !res.Complete {
		t.Errorf("stopped by %q, complete %v", res.StoppedBy, res.Complete)
	}
	if len(res.Intervals) < 3 {
		t.Errorf("%d intervals of 200ms in a 1s run", len(res.Intervals))
	}
}

func TestCheckTargets(t *testing.T) {
	seed := testSeed(t)
	w := workload(t, seed, "operationcount=2000", "lightning.target.read.ops=1",
		"lightning.target.update.ops=1e12", "lightning.target.read.p99=1h", "lightning.target.scan.p50=1ns",
		"lightning.target.overall.ops=1", "readproportion=0.5", "updateproportion=0.3", "scanproportion=0.2",
		"insertproportion=0", "readmodifywriteproportion=0")
	w2 := *w
	eng := newMapEngine()
	if _, err := Load(context.Background(), eng, w, nil); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), eng, &w2, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, tr := range res.CheckTargets() {
		got[tr.Target.Property] = tr.Pass
		t.Log(tr)
	}
	want := map[string]bool{"lightning.target.read.ops": true, "lightning.target.update.ops": false,
		"lightning.target.read.p99": true, "lightning.target.scan.p50": false, "lightning.target.overall.ops": true}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: pass %v, want %v", k, got[k], v)
		}
	}
	// A target on an op the phase did not perform fails with a note.
	lw := workload(t, seed, "lightning.target.read.ops=1")
	lres, err := Load(context.Background(), newMapEngine(), lw, nil)
	if err != nil {
		t.Fatal(err)
	}
	trs := lres.CheckTargets()
	if len(trs) != 1 || trs[0].Pass || !strings.Contains(trs[0].Note, "no read operations") {
		t.Errorf("load-phase read target: %v", trs)
	}
	if math.IsNaN(trs[0].Ratio) {
		t.Error("NaN ratio")
	}
}

// spin busy-waits for d: unlike time.Sleep, it does not round up to the
// timer's granularity.
func spin(d time.Duration) {
	for t := time.Now(); time.Since(t) < d; {
	}
}
