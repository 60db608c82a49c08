package main

import (
	"fmt"
	"slices"

	"github.com/lightningdb/lightning/reports"
)

// cmdBench is "lbench bench": for each workload (-workloads) and each
// backend (-backends), a fresh database, the load phase, then the run
// phase, all into one report folder with every plot, including the
// backend comparison when there are several backends. Backends take turns
// within each workload, so slow drift of the machine spreads over all of
// them. Every workload, property and backend is checked before anything
// runs. With no flags it runs the built-in smoke workload on the
// in-memory engine in a few seconds.
func cmdBench(e *env, args []string) error {
	fs := e.newFlagSet("bench", "[-workloads a,b] [-backends x,y] [flags]",
		"Load then run each workload on each backend; one report folder with all plots.")
	var pf phaseFlags
	pf.register(fs, false)
	wls := commaList{"smoke"}
	backends := commaList{"mem"}
	fs.Var(&wls, "workloads", "comma-separated workload `names`: built-in names or files (-P files and -p overrides apply to each)")
	fs.Var(&backends, "backends", "comma-separated backend `names`")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (give workloads with -workloads a,b)", fs.Arg(0))
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
	dd, err := newDataDir(pf.dir, pf.keep)
	if err != nil {
		return err
	}
	defer dd.cleanup(e.stderr, pf.quiet)

	rep := reports.NewReport("bench", args, e.now(), reports.CollectMachine(nil))
	var runErr error
loop:
	for _, wl := range resolved {
		for _, b := range backends {
			if e.ctx.Err() != nil {
				runErr = fmt.Errorf("interrupted")
				break loop
			}
			runs, err := e.benchOne(wl, b, dd.sub(wl.name, b), pf.quiet)
			rep.Runs = append(rep.Runs, runs...)
			if err != nil {
				runErr = err
				break loop
			}
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

// benchOne loads and runs wl on backend in a fresh database in dir, and
// returns the phases that completed.
func (e *env) benchOne(wl *workload, backend, dir string, quiet bool) (runs []reports.Run, err error) {
	eng, err := openEngine(backend, dir, wl)
	if err != nil {
		return nil, err
	}
	defer closeEngine(eng, &err)
	for _, phase := range []string{"load", "run"} {
		r, err := e.runPhase(eng, wl, backend, phase, quiet)
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
