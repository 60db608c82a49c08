package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/harness/gen"
	"github.com/lightningdb/lightning/harness/internal/tsc"
	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/harness/props"
)

// Options control how a phase runs, beyond what the workload says.
type Options struct {
	// OnStatus, if set, is called every StatusEvery from a goroutine of
	// its own while the phase runs (never concurrently with itself). It
	// must return quickly.
	OnStatus func(Status)
	// StatusEvery is the status period. Default 1s.
	StatusEvery time.Duration
}

// Status is a live view of a running phase, for a status line on stderr
// or a load progress bar.
type Status struct {
	Phase   string        // "load" or "run"
	Elapsed time.Duration // since the phase started
	Warmup  bool          // still warming up (nothing measured yet)
	// Done counts completed operations, warm-up included; Total is the
	// number planned (0 when the phase runs until maxexecutiontime).
	// In the load phase Done/Total is the progress.
	Done, Total uint64
	// OpsPerSec is the rate of all op types since the previous status.
	OpsPerSec float64
	// Ops holds per-op rates since the previous status and the p50/p99
	// service time of the last complete measurement interval (zero when
	// none is complete yet).
	Ops [measure.NumOps]OpStatus
}

// OpStatus is one op type's line of a Status.
type OpStatus struct {
	OpsPerSec float64
	P50, P99  time.Duration
}

// ErrPhase is wrapped by errors about a workload that cannot run as a
// phase (for example a run phase with neither operationcount nor
// maxexecutiontime).
var ErrPhase = errors.New("harness: workload cannot run")

// Load runs the load phase of w on eng: insertcount records, key numbers
// insertstart.., split into threadcount contiguous ranges, one per
// worker. Every insert is measured (the load phase has no warm-up) and it
// always inserts every record: maxexecutiontime and lightning.warmup
// apply to the run phase only, since a partial data set would make the
// run meaningless. target (open loop) applies. Errors are counted in the
// result, not returned; the error return is for a phase that cannot
// start.
func Load(ctx context.Context, eng engine.Engine, w *props.Workload, opts *Options) (*Result, error) {
	return runPhase(ctx, eng, w, opts, true)
}

// Run runs the run phase of w on eng: operationcount operations (split
// over threadcount workers, as YCSB) or until maxexecutiontime, after
// lightning.warmup of unmeasured operations. Op types, keys, scan lengths
// and values follow the workload's distributions; inserts add records
// after recordcount. Errors are counted in the result, not returned; the
// error return is for a phase that cannot start.
func Run(ctx context.Context, eng engine.Engine, w *props.Workload, opts *Options) (*Result, error) {
	return runPhase(ctx, eng, w, opts, false)
}

// batchSize is the number of operations generated ahead of timing them.
const batchSize = 64

// phase is what the workers of one phase share (read-only once started).
type phase struct {
	name         string
	load         bool
	eng          engine.Engine
	w            *props.Workload
	wo           engine.WriteOptions
	start        int64 // clock at phase start
	measureStart int64 // clock at end of warm-up
	stopAt       int64 // clock at maxexecutiontime; MaxInt64 if none
	tick         int64 // open loop: ns between one worker's operations; 0 closed loop
	stop         atomic.Bool
	sh           *gen.Shared
}

func runPhase(ctx context.Context, eng engine.Engine, w *props.Workload, opts *Options, load bool) (*Result, error) {
	if eng == nil || w == nil {
		return nil, fmt.Errorf("%w: nil engine or workload", ErrPhase)
	}
	if opts == nil {
		opts = &Options{}
	}
	if !load && w.OperationCount == 0 && w.MaxExecutionTime == 0 {
		return nil, fmt.Errorf("%w: the run phase needs operationcount or maxexecutiontime", ErrPhase)
	}
	if w.Interval <= 0 {
		return nil, fmt.Errorf("%w: measurement interval %v", ErrPhase, w.Interval)
	}
	if w.ThreadCount < 1 {
		return nil, fmt.Errorf("%w: threadcount %d", ErrPhase, w.ThreadCount)
	}
	sh, err := gen.NewShared(w)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPhase, err)
	}
	seed := w.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano()) | 1
	}
	threads := w.ThreadCount
	ph := &phase{name: "run", load: load, eng: eng, w: w, sh: sh, wo: engine.WriteOptions{Sync: w.Sync},
		stopAt: math.MaxInt64}
	if load {
		ph.name = "load"
	}
	if w.Target > 0 {
		ph.tick = max(int64(float64(threads)*1e9/w.Target), 1)
	}
	res := &Result{Phase: ph.name, Workload: w, Properties: w.Props.Resolved(), Seed: seed, Threads: threads,
		OpenLoop: ph.tick > 0, Target: w.Target, IntervalLength: w.Interval, ClockCost: clockCost(), ClockSource: tsc.Source(),
		MetricsBefore: eng.Metrics()}

	// Per-worker generators and budgets are built before the clock starts.
	workers := make([]*worker, threads)
	var total uint64
	for i := range workers {
		wk := &worker{idx: i, ph: ph, g: sh.NewWorker(seed, i, threads), budget: -1}
		wk.keyMax = sh.Keys.MaxLen()
		wk.keyArena = make([]byte, batchSize*wk.keyMax)
		if w.ValueSize == 0 {
			wk.copyValues = true
		}
		if load {
			lo := w.InsertStart + int64(i)*w.InsertCount/int64(threads)
			hi := w.InsertStart + int64(i+1)*w.InsertCount/int64(threads)
			wk.loadNext, wk.loadEnd = lo, hi
			wk.budget = hi - lo
		} else if w.OperationCount > 0 {
			wk.budget = w.OperationCount / int64(threads)
			if int64(i) < w.OperationCount%int64(threads) {
				wk.budget++
			}
		}
		if wk.budget > 0 {
			total += uint64(wk.budget)
		}
		workers[i] = wk
	}

	res.Start = time.Now()
	ph.start = now()
	ph.measureStart = ph.start
	if !load {
		ph.measureStart += int64(w.Warmup)
		res.Warmup = w.Warmup
		if w.MaxExecutionTime > 0 {
			ph.stopAt = ph.start + int64(w.MaxExecutionTime)
		}
	}
	coll := measure.NewCollector(threads, ph.measureStart, w.Interval, ph.tick > 0)

	done := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(1)
	go func() { // cancellation
		defer bg.Done()
		select {
		case <-ctx.Done():
			ph.stop.Store(true)
		case <-done:
		}
	}()
	if opts.OnStatus != nil {
		bg.Add(1)
		go func() {
			defer bg.Done()
			statusLoop(ph, workers, coll, opts, total, done)
		}()
	}

	var wg sync.WaitGroup
	for i, wk := range workers {
		wk.rec = coll.Recorder(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk.run()
		}()
	}
	wg.Wait()
	end := now()
	close(done)
	bg.Wait()

	res.Elapsed = time.Duration(end - ph.start)
	lastEnd := ph.measureStart
	for _, wk := range workers {
		lastEnd = max(lastEnd, wk.lastEnd)
		res.ScanRecords += wk.scanRecords
		for op := range measure.NumOps {
			res.WarmupCounts[op].Add(wk.warmup[op])
		}
	}
	res.RunTime = time.Duration(lastEnd - ph.measureStart)
	var totals [measure.NumOps]measure.OpTotals
	res.Intervals, totals = coll.Finish(lastEnd)
	for op := range measure.NumOps {
		o := &res.Ops[op]
		o.Op = Op(op)
		o.Counts = totals[op].Counts
		o.Service = totals[op].Service
		o.Intended = totals[op].Intended
		o.FirstErrors = mergeErrors(workers, op)
	}
	if res.RunTime > 0 {
		res.Throughput = float64(res.Total().Total()) / res.RunTime.Seconds()
	}
	res.Clamped = coll.Clamped()
	res.Complete, res.StoppedBy = true, "operationcount"
	if load {
		res.StoppedBy = "inserted all"
	}
	unlimited := false
	for _, wk := range workers {
		if wk.budget < 0 {
			unlimited = true
		} else if wk.measured < wk.budget {
			res.Complete = false
		}
	}
	switch {
	case ph.stop.Load() && (unlimited || !res.Complete):
		res.Complete, res.StoppedBy = false, "canceled"
	case unlimited || !res.Complete:
		res.StoppedBy = "maxexecutiontime"
	}
	res.Metrics = eng.Metrics()
	return res, nil
}

// statusLoop calls opts.OnStatus every period until done closes.
func statusLoop(ph *phase, workers []*worker, coll *measure.Collector, opts *Options, total uint64, done chan struct{}) {
	every := opts.StatusEvery
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var prev [measure.NumOps]uint64
	prevT := ph.start
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		tnow := now()
		dt := float64(tnow-prevT) / 1e9
		prevT = tnow
		st := Status{Phase: ph.name, Elapsed: time.Duration(tnow - ph.start), Warmup: tnow < ph.measureStart, Total: total}
		var cur [measure.NumOps]uint64
		for _, wk := range workers {
			for op := range measure.NumOps {
				cur[op] += wk.live[op].Load()
			}
		}
		latest := coll.Latest()
		for op := range measure.NumOps {
			st.Done += cur[op]
			st.Ops[op].OpsPerSec = float64(cur[op]-prev[op]) / dt
			st.OpsPerSec += st.Ops[op].OpsPerSec
			if latest != nil && latest.Ops[op].Service != nil {
				p := latest.Ops[op].Service.ValueAtPercentilesSlice([]float64{50, 99})
				st.Ops[op].P50, st.Ops[op].P99 = time.Duration(p[0]), time.Duration(p[1])
			}
		}
		prev = cur
		opts.OnStatus(st)
	}
}

func mergeErrors(workers []*worker, op int) []string {
	var out []string
	seen := map[string]bool{}
	for _, wk := range workers {
		for _, e := range wk.errs[op] {
			if !seen[e] && len(out) < 10 {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// slot is one prepared operation.
type slot struct {
	op      measure.Op
	key     []byte
	val     []byte
	keynum  int64 // inserts: the number to acknowledge
	scanLen int
	scanned int   // scans: records actually read
	seq     int64 // position in this worker's open-loop schedule
}

// worker runs one goroutine's share of a phase. Everything here is owned
// by that goroutine except live, read by the status loop.
type worker struct {
	idx int
	ph  *phase
	g   *gen.Worker
	rec *measure.Recorder

	slots          [batchSize]slot
	keynums        [batchSize]int64
	cursor, filled int
	keyArena       []byte
	keyMax         int
	copyValues     bool
	valArena       [batchSize][]byte
	ts             [batchSize + 1]int64
	starts         [batchSize]int64
	status         [batchSize]measure.Status
	getBuf         []byte

	seq               int64 // operations prepared (open-loop schedule position)
	budget            int64 // measured operations to do; -1 unlimited
	measured          int64
	loadNext, loadEnd int64
	lastEnd           int64
	scanRecords       uint64
	touched           int // bytes of scanned keys and values (keeps the reads alive)
	warmup            [measure.NumOps]measure.Counts
	errs              [measure.NumOps][]string

	live [measure.NumOps]atomic.Uint64 // completed ops, for status
	_    [64]byte
}

func (wk *worker) run() {
	ph := wk.ph
	t := now()
	for !ph.stop.Load() && t < ph.stopAt {
		measuring := t >= ph.measureStart
		if wk.cursor == wk.filled {
			wk.prepare(measuring)
			if wk.filled == 0 {
				break
			}
		}
		n := wk.filled - wk.cursor
		deadline := ph.stopAt
		if measuring {
			if wk.budget >= 0 {
				if n = min(n, int(wk.budget-wk.measured)); n <= 0 {
					break
				}
			}
		} else {
			deadline = min(deadline, ph.measureStart)
		}
		var k int
		if ph.tick > 0 {
			k = wk.executeOpen(n, deadline)
		} else {
			k = wk.execute(n, deadline)
		}
		wk.record(k, measuring)
		wk.cursor += k
		t = wk.ts[k]
		if k == 0 {
			t = now()
		}
	}
	// Prepared inserts that never ran must still be acknowledged, or Last
	// would stop at them for the other workers.
	if !ph.load {
		for i := wk.cursor; i < wk.filled; i++ {
			if wk.slots[i].op == measure.Insert {
				wk.g.Inserted(wk.slots[i].keynum)
			}
		}
	}
	wk.rec.Close()
}

// prepare generates the next batch of operations: everything an operation
// needs (op type, key bytes, value, scan length) is computed here, outside
// the timed region.
func (wk *worker) prepare(measuring bool) {
	ph := wk.ph
	n := batchSize
	if ph.load {
		n = int(min(int64(n), wk.loadEnd-wk.loadNext))
	} else if wk.budget >= 0 && measuring {
		n = int(min(int64(n), wk.budget-wk.measured))
	}
	n = max(n, 0)
	g := wk.g
	// In passes, so that the CPU overlaps the independent work of
	// different operations (hash chains above all): op types, key numbers,
	// keys, then values and scan lengths.
	m := 0
	for i := range n {
		s := &wk.slots[i]
		switch {
		case ph.load:
			s.op = measure.Insert
			s.keynum = wk.loadNext
			wk.loadNext++
		default:
			s.op = g.NextOp()
			if s.op == measure.Insert {
				s.keynum = g.NextInsert()
			} else {
				m++
			}
		}
	}
	if m > 0 {
		kn := wk.keynums[:m]
		g.NextKeynums(kn)
		for i := range n {
			if s := &wk.slots[i]; s.op != measure.Insert {
				s.keynum, kn = kn[0], kn[1:]
			}
		}
	}
	for i := range n {
		off := i * wk.keyMax
		wk.slots[i].key = g.AppendKey(wk.keyArena[off:off:off+wk.keyMax], wk.slots[i].keynum)
	}
	for i := range n {
		s := &wk.slots[i]
		switch s.op {
		case measure.Update, measure.Insert, measure.ReadModifyWrite:
			v := g.Value()
			if wk.copyValues {
				wk.valArena[i] = append(wk.valArena[i][:0], v...)
				v = wk.valArena[i]
			}
			s.val = v
		case measure.Scan:
			s.scanLen = g.ScanLength()
		}
		s.seq = wk.seq
		wk.seq++
	}
	wk.cursor, wk.filled = 0, n
}

// execute runs up to n prepared operations closed-loop, reading the clock
// once between operations: ts[j] is operation j's start and ts[j+1] its
// end. It stops early after the first operation ending at or past
// deadline. It returns the number run.
func (wk *worker) execute(n int, deadline int64) int {
	ts := &wk.ts
	ts[0] = now()
	for j := range n {
		wk.status[j] = wk.do(&wk.slots[wk.cursor+j])
		t := now()
		ts[j+1] = t
		if t >= deadline || wk.ph.stop.Load() {
			return j + 1
		}
	}
	return n
}

// executeOpen runs up to n prepared operations on the open-loop schedule:
// operation seq is due at start + seq*tick; it waits until then, and
// starts at once if already late. starts[j] is when operation j actually
// started, ts[j+1] when it ended. It stops before an operation due at or
// past deadline, and after one ending past it.
func (wk *worker) executeOpen(n int, deadline int64) int {
	ph := wk.ph
	t := now()
	wk.ts[0] = t
	for j := range n {
		s := &wk.slots[wk.cursor+j]
		due := ph.start + s.seq*ph.tick
		if due >= deadline {
			// Nothing more is due before the deadline (end of warm-up or
			// of the phase): wait for it rather than spin in run.
			waitUntil(deadline, ph)
			return j
		}
		if t < due {
			t = waitUntil(due, ph)
			if ph.stop.Load() {
				return j
			}
		}
		wk.starts[j] = t
		wk.status[j] = wk.do(s)
		t = now()
		wk.ts[j+1] = t
		if t >= deadline || ph.stop.Load() {
			return j + 1
		}
	}
	return n
}

// waitUntil sleeps, then spins (yielding the processor), until the clock
// reaches due, and returns the clock reading that passed it.
func waitUntil(due int64, ph *phase) int64 {
	t := now()
	if d := due - t; d > int64(2*time.Millisecond) {
		time.Sleep(time.Duration(d) - time.Millisecond)
		t = now()
	}
	for t < due && !ph.stop.Load() {
		runtime.Gosched()
		t = now()
	}
	return t
}

// record files the k operations just executed: measured ones into the
// Recorder, warm-up ones into the warm-up counts; it acknowledges run
// inserts and publishes live counts.
func (wk *worker) record(k int, measuring bool) {
	ph := wk.ph
	var live [measure.NumOps]uint64
	for j := range k {
		s := &wk.slots[wk.cursor+j]
		end := wk.ts[j+1]
		start := wk.ts[j]
		if ph.tick > 0 {
			start = wk.starts[j]
		}
		st := wk.status[j]
		if measuring {
			intended := int64(0)
			if ph.tick > 0 {
				intended = end - (ph.start + s.seq*ph.tick)
			}
			wk.rec.Record(s.op, end, end-start, intended, st)
			if s.op == measure.Scan {
				wk.scanRecords += uint64(s.scanned)
			}
		} else {
			switch st {
			case measure.OK:
				wk.warmup[s.op].OK++
			case measure.NotFound:
				wk.warmup[s.op].NotFound++
			default:
				wk.warmup[s.op].Errors++
			}
		}
		if s.op == measure.Insert && !ph.load {
			if err := wk.g.Inserted(s.keynum); err != nil {
				wk.noteErr(measure.Insert, err)
			}
		}
		live[s.op]++
	}
	if measuring {
		wk.measured += int64(k)
	}
	if k > 0 {
		wk.lastEnd = wk.ts[k]
	}
	for op, n := range live {
		if n > 0 {
			wk.live[op].Add(n)
		}
	}
}

// do performs one operation and classifies its outcome.
func (wk *worker) do(s *slot) measure.Status {
	eng := wk.ph.eng
	var err error
	switch s.op {
	case measure.Read:
		wk.getBuf, err = eng.Get(s.key, wk.getBuf[:0])
	case measure.Update, measure.Insert:
		err = eng.Set(s.key, s.val, wk.ph.wo)
	case measure.Scan:
		err = wk.scan(s)
	case measure.ReadModifyWrite:
		wk.getBuf, err = eng.Get(s.key, wk.getBuf[:0])
		if err == nil || errors.Is(err, engine.ErrNotFound) {
			if werr := eng.Set(s.key, s.val, wk.ph.wo); werr != nil {
				err = werr
			}
		}
	}
	if err == nil {
		return measure.OK
	}
	if errors.Is(err, engine.ErrNotFound) {
		return measure.NotFound
	}
	wk.noteErr(s.op, err)
	return measure.Failed
}

// scan reads up to scanLen records from the first key >= s.key, touching
// each key and value as a reader would, and notes how many it read.
func (wk *worker) scan(s *slot) error {
	it, err := wk.ph.eng.NewIter(engine.IterOptions{})
	if err != nil {
		s.scanned = 0
		return err
	}
	records, touched := 0, 0
	for ok := it.SeekGE(s.key); ok; ok = it.Next() {
		touched += len(it.Key()) + len(it.Value())
		if records++; records >= s.scanLen {
			break
		}
	}
	s.scanned = records
	wk.touched += touched
	return it.Close()
}

func (wk *worker) noteErr(op measure.Op, err error) {
	if len(wk.errs[op]) >= 10 {
		return
	}
	msg := err.Error()
	for _, e := range wk.errs[op] {
		if e == msg {
			return
		}
	}
	wk.errs[op] = append(wk.errs[op], msg)
}
