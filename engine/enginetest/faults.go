package enginetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/engine/vfs/errorfs"
)

// sweepInjector fails the operation with index at, once, and remembers it.
type sweepInjector struct {
	at    int64
	mu    sync.Mutex
	fired *errorfs.Op
}

func (s *sweepInjector) MaybeError(op errorfs.Op) error {
	if op.Index != s.at {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fired = &op
	return errorfs.ErrInjected
}

func (s *sweepInjector) firedOp() *errorfs.Op {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fired
}

// faultRun is the outcome of one run of the fault workload.
type faultRun struct {
	h      *history
	calls  []string // every call made, with its result
	errs   []string // the calls that returned an error
	panics []string // the calls that panicked
}

func (r *faultRun) call(what string, err error) {
	if isPanic(err) {
		r.panics = append(r.panics, fmt.Sprintf("%s: %v", what, err))
	}
	if err != nil {
		r.calls = append(r.calls, fmt.Sprintf("%s: %v", what, err))
		r.errs = append(r.errs, fmt.Sprintf("%s: %v", what, err))
	} else {
		r.calls = append(r.calls, what+": ok")
	}
}

func (k *kit) testFaults(t *testing.T) {
	k.need(t, Durability)
	n := 30
	if testing.Short() {
		n = 8
	}
	// The workload is fixed (one seed for every index of the sweep).
	seed := int64(0x5eed)
	if *seedFlag != 0 {
		seed = *seedFlag
	}
	t.Logf("workload seed %d (set with -enginetest.seed)", seed)
	counter := &errorfs.Counter{}
	base := vfs.NewMem()
	opts := k.smallOptions(t, base)
	clean := k.faultWorkload(errorfs.Wrap(base, counter), opts, seed, n)
	if len(clean.errs) > 0 {
		t.Fatalf("the fault workload fails without any injected error:\n  %s", strings.Join(clean.errs, "\n  "))
	}
	total := counter.Count()
	t.Logf("the workload does %d FS operations; sweeping an injected error over each", total)
	limit := 4*total + 1000
	fired := 0
	for i := int64(0); ; i++ {
		if i > limit {
			t.Fatalf("the injected error still fires at op %d, more than 4x the %d ops of a clean run: the workload does not terminate its I/O", i, total)
		}
		done, ok := k.faultIndex(t, opts, seed, n, i)
		if !ok {
			return
		}
		if done {
			t.Logf("swept %d op indices; the injected error fired in %d runs", i+1, fired)
			return
		}
		fired++
	}
}

// faultWorkload opens the engine on fs, makes n Sync writes, flushes,
// makes n more mixed writes, and closes. After the first call that fails
// it makes one more Sync write (a probe: if it is acknowledged it must
// survive) and closes.
func (k *kit) faultWorkload(fs vfs.FS, opts *engine.Options, seed int64, n int) *faultRun {
	r := &faultRun{h: newHistory(newModel())}
	var e engine.Engine
	err := protect(func() (err error) {
		e, err = k.openWith(fs, opts)
		return err
	})
	r.call("Open", err)
	if err != nil {
		return r
	}
	g := &randWriter{rng: rand.New(rand.NewPCG(uint64(seed), 5)), nkeys: 30, prefix: "f"}
	failed := false
	doWrite := func(w write) {
		err := protect(func() error { return w.do(e) })
		r.h.add(w, err)
		r.call(fmt.Sprintf("write #%d %s", len(r.h.writes)-1, w), err)
		failed = failed || err != nil
	}
	for i := 0; i < n && !failed; i++ {
		w := g.next(1)
		w.sync = i%4 != 3
		doWrite(w)
	}
	if !failed {
		err := protect(func() error { return flush(e) })
		r.call("Flush", err)
		if err == nil {
			r.h.markDurable()
			r.h.note("Flush")
		}
		failed = err != nil
	}
	for i := 0; i < n && !failed; i++ {
		w := g.next(0.5)
		if i == n-1 {
			w.sync = true
		}
		doWrite(w)
	}
	if failed {
		w := write{ops: []op{{key: []byte("f-probe"), value: []byte("after-error")}}, sync: true}
		doWrite(w)
	}
	err = protect(e.Close)
	r.call("Close", err)
	if err == nil {
		r.h.markDurable()
		r.h.note("Close")
	}
	return r
}

// faultIndex runs the workload with an error injected at op index i and
// checks the outcome. It reports whether the injector did not fire (the
// sweep is over) and whether the checks passed.
func (k *kit) faultIndex(t *testing.T, opts *engine.Options, seed int64, n int, i int64) (done, ok bool) {
	mem := vfs.NewMem()
	inj := &sweepInjector{at: i}
	run := k.faultWorkload(errorfs.Wrap(mem, inj), opts, seed, n)
	fired := inj.firedOp()
	report := func(format string, args ...any) {
		t.Errorf("injected error at op %d (%v): %s\ncalls:\n  %s", i, fired, fmt.Sprintf(format, args...),
			strings.Join(run.calls, "\n  "))
	}
	if len(run.panics) > 0 {
		report("a call panicked: %s", strings.Join(run.panics, "; "))
		return false, false
	}
	if fired == nil {
		if len(run.errs) > 0 {
			report("calls failed though nothing was injected: %s", strings.Join(run.errs, "; "))
			return true, false
		}
		return true, true
	}
	if len(run.errs) == 0 {
		report("the injected error was swallowed: every call, including Close, returned success")
		return false, false
	}
	for _, c := range run.errs {
		if !strings.Contains(c, "injected") {
			// Not fatal: an engine may report a derived error (e.g. "closed"
			// after poisoning), but it must be an error, which it is.
			t.Logf("op %d: call failed with an error not mentioning the injection: %s", i, c)
		}
	}
	// Recover on the disk as the process left it and on a crash clone.
	crashed := mem.CrashClone(vfs.CrashOptions{})
	for _, disk := range []struct {
		name string
		fs   *vfs.MemFS
	}{{"the same disk", mem}, {"a crash clone of it", crashed}} {
		e, _, err := k.recoverAndMatch(t, disk.fs, opts, run.h)
		if err != nil {
			report("reopening %s: %v", disk.name, err)
			return false, false
		}
		if err := e.Close(); err != nil {
			report("Close after reopening %s: %v", disk.name, err)
			return false, false
		}
	}
	return false, true
}
