package main

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"

	"github.com/lightningdb/lightning/reports"
)

// cmdBench is "lbench bench": for each workload (-workloads) and each
// backend (-backends), a fresh database, the load phase, then the run
// phase, all into one report folder with every plot, including the
// backend comparison when there are several backends. Backends take turns
// within each workload, so slow drift of the machine spreads over all of
// them. With -repeat N the whole round (every workload on every backend)
// runs N times, a b a b ..., each run recorded with its repeat index, so
// that lbench compare sees N samples of each configuration taken
// interleaved with the others. Every workload, property and backend is
// checked before anything runs. With no flags it runs the built-in smoke
// workload on the in-memory engine in a few seconds.
func cmdBench(e *env, args []string) error {
	fs := e.newFlagSet("bench", "[-workloads a,b] [-backends x,y] [-repeat N] [flags]",
		"Load then run each workload on each backend; one report folder with all plots.")
	var pf phaseFlags
	pf.register(fs, false)
	wls := commaList{"smoke"}
	backends := commaList{"mem"}
	fs.Var(&wls, "workloads", "comma-separated workload `names`: built-in names or files (-P files and -p overrides apply to each)")
	fs.Var(&backends, "backends", "comma-separated backend `names`")
	repeat := fs.Int("repeat", 1, "run every workload on every backend `N` times, interleaved (a b a b ...): N samples each for lbench compare")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (give workloads with -workloads a,b)", fs.Arg(0))
	}
	if *repeat < 1 || *repeat > maxRepeat {
		return usagef("-repeat %d: want 1 to %d", *repeat, maxRepeat)
	}
	var resolved []*workload
	for _, name := range wls {
		wl, err := resolveWorkload(name, &pf)
		if err != nil {
			return err
		}
		if err := checkRunnable(wl); err != nil {
			return err
		}
		for _, prev := range resolved {
			if prev.name == wl.name {
				return usagef("-workloads: %s given twice (as %s and %s)", wl.name, prev.sources[0], wl.sources[0])
			}
		}
		resolved = append(resolved, wl)
	}
	for i, b := range backends {
		if err := checkBackend(b); err != nil {
			return err
		}
		if slices.Contains(backends[:i], b) {
			return usagef("-backends: %s given twice", b)
		}
	}
	if err := pf.delay.check(); err != nil {
		return err
	}
	pf.warnDelays(e.stderr)
	stopProfile, err := pf.startProfile()
	if err != nil {
		return err
	}
	defer stopProfile()
	dd, err := newDataDir(pf.dir, pf.keep)
	if err != nil {
		return err
	}
	defer dd.cleanup(e.stderr, pf.quiet)

	rep := reports.NewReport("bench", args, e.now(), reports.CollectMachine(nil))
	var runErr error
	for _, st := range benchPlan(len(resolved), backends, *repeat) {
		if e.ctx.Err() != nil {
			runErr = fmt.Errorf("interrupted")
			break
		}
		wl := resolved[st.workload]
		sub := dd.sub(wl.name, st.backend)
		if st.repeat > 0 {
			sub += "-r" + strconv.Itoa(st.repeat)
		}
		runs, err := e.benchOne(wl, st.backend, st.repeat, sub, &pf)
		rep.Runs = append(rep.Runs, runs...)
		if err == nil {
			err = dd.drop(sub)
		}
		if err != nil {
			runErr = err
			break
		}
	}
	if runErr != nil && len(rep.Runs) == 0 {
		return runErr
	}
	if err := e.finishReport(rep, &pf); err != nil {
		return err
	}
	if runErr != nil {
		return fmt.Errorf("stopped early (the report holds the phases that ran): %w", runErr)
	}
	return nil
}

// maxRepeat bounds -repeat.
const maxRepeat = 1000

// benchStep is one load-and-run of a bench: workload (an index into the
// resolved workloads) on backend, as repeat number repeat (1-based; 0
// when the bench is not repeated).
type benchStep struct {
	workload int
	backend  string
	repeat   int
}

// benchPlan returns the order of a bench's steps: repeat after repeat,
// within a repeat workload after workload, within a workload backend
// after backend. So with backends a, b and -repeat 3 one workload runs
// a b a b a b, and drift of the machine over the bench reaches every
// configuration alike. Repeat numbers are 0 when repeat is 1.
func benchPlan(workloads int, backends []string, repeat int) []benchStep {
	var plan []benchStep
	for k := 1; k <= repeat; k++ {
		idx := k
		if repeat == 1 {
			idx = 0
		}
		for w := range workloads {
			for _, b := range backends {
				plan = append(plan, benchStep{workload: w, backend: b, repeat: idx})
			}
		}
	}
	return plan
}

// benchOne loads and runs wl on backend in a fresh database in dir, and
// returns the phases that completed. repeat is the run's repeat index (0:
// not repeated).
func (e *env) benchOne(wl *workload, backend string, repeat int, dir string, pf *phaseFlags) (runs []reports.Run, err error) {
	// Start every step from a collected heap, so that one run's garbage
	// is not collected on the next run's time.
	runtime.GC()
	eng, err := openEngine(backend, dir, wl, pf.delay.forBackend(backend))
	if err != nil {
		return nil, err
	}
	defer closeEngine(eng, &err)
	for _, phase := range []string{"load", "run"} {
		r, err := e.runPhase(eng, wl, backend, repeat, phase, pf.quiet)
		if err != nil {
			return runs, err
		}
		runs = append(runs, r)
		if !r.Complete && r.StoppedBy == "canceled" {
			return runs, fmt.Errorf("interrupted during the %s phase of %s on %s", phase, wl.name, backend)
		}
	}
	return runs, nil
}
