package main

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness"
	"github.com/lightningdb/lightning/harness/props"
	"github.com/lightningdb/lightning/reports"
	"github.com/lightningdb/lightning/workloads"
)

// phaseFlags are the flags shared by load, run and bench.
type phaseFlags struct {
	backend   string     // load, run
	files     stringList // -P
	overrides stringList // -p
	threads   int
	dir       string
	keep      bool
	out       string
	check     bool
	quiet     bool
	plots     bool
	delay     delayFlag // -debug-delay: testing the perf gate only
	cpuprof   string    // -cpuprofile
}

// register adds the shared flags to fs; withBackend adds -backend.
func (pf *phaseFlags) register(fs *cmdFlags, withBackend bool) {
	if withBackend {
		fs.StringVar(&pf.backend, "backend", "mem", "backend to run (see lbench list backends)")
	}
	fs.Var(&pf.files, "P", "workload `file` (a path or a built-in name like workloada); repeatable, applied in order")
	fs.Var(&pf.overrides, "p", "property override `key=value`, applied after every -P file; repeatable")
	fs.IntVar(&pf.threads, "threads", 0, "worker threads (overrides threadcount; 0 = the workload's)")
	fs.StringVar(&pf.dir, "dir", "", "database directory (default: a fresh temporary directory, removed at exit unless -keep)")
	fs.BoolVar(&pf.keep, "keep", false, "keep the temporary database directory")
	fs.StringVar(&pf.out, "out", "", "report folder (default ./lbench-out/<timestamp>)")
	fs.BoolVar(&pf.check, "check", false, "exit 1 if a target fails or an operation returns an error")
	fs.BoolVar(&pf.quiet, "quiet", false, "no live status line, progress bar or per-phase lines on stderr")
	fs.BoolVar(&pf.plots, "plots", true, "draw the PNG and SVG plots")
	fs.StringVar(&pf.cpuprof, "cpuprofile", "", "write a CPU profile of the whole command (every phase) to `file`, for go tool pprof")
	fs.Var(&pf.delay, "debug-delay", "TESTING THE PERF GATE ONLY: busy-wait before each such engine op, `[backend:]op=duration` "+
		"(ops: "+strings.Join(delayOpNames[:], ", ")+"; e.g. lsm:get=500ns); repeatable. The figures then measure no real build")
}

// startProfile starts the CPU profile -cpuprofile asks for and returns
// the function that stops it; without the flag it does nothing.
func (pf *phaseFlags) startProfile() (stop func(), err error) {
	if pf.cpuprof == "" {
		return func() {}, nil
	}
	f, err := os.Create(pf.cpuprof)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// warnDelays says on stderr that -debug-delay is in effect.
func (pf *phaseFlags) warnDelays(stderr io.Writer) {
	if len(pf.delay) > 0 {
		fmt.Fprintf(stderr, "lbench: WARNING: -debug-delay %s: injected slowdown for testing the perf gate; these figures measure no real build\n", pf.delay.String())
	}
}

// workload is one resolved workload and where it came from.
type workload struct {
	name    string   // short name, for files and benchmark lines
	sources []string // files as applied ("builtin:smoke")
	w       *props.Workload
	opts    *engine.Options // from its lightning.option.* properties
	optText string          // opts prepared with the engine's defaults, as text (reports print each backend's own: engine.PrepareFor)
}

// resolveWorkload reads main (a file or built-in name), then the extra -P
// files, then the -p overrides and -threads, and resolves the workload
// with its engine options. Every error is bad input.
func resolveWorkload(main string, pf *phaseFlags) (*workload, error) {
	files := append([]string{main}, pf.files...)
	if main == "" {
		files = append([]string(nil), pf.files...)
	}
	overrides := append([]string(nil), pf.overrides...)
	if pf.threads < 0 {
		return nil, usagef("-threads %d: want a positive number (or 0 for the workload's threadcount)", pf.threads)
	}
	if pf.threads > 0 {
		overrides = append(overrides, "threadcount="+strconv.Itoa(pf.threads))
	}
	set, err := props.Load(vfs.Default, workloads.FS, files, overrides)
	if err != nil {
		return nil, err
	}
	w, err := set.Workload()
	if err != nil {
		return nil, err
	}
	opts, err := w.EngineOpts(nil)
	if err != nil {
		return nil, err
	}
	prepared, err := opts.Prepare()
	if err != nil {
		return nil, err
	}
	wl := &workload{name: reports.WorkloadName(files[0]), w: w, opts: opts, optText: prepared.String()}
	for _, f := range files {
		wl.sources = append(wl.sources, sourceName(f))
	}
	return wl, nil
}

// sourceName names a -P file as props.LoadFile reads it: the path when it
// exists on disk, else the built-in workload of that base name.
func sourceName(file string) string {
	if _, err := vfs.Default.Stat(file); err == nil {
		return file
	}
	return "builtin:" + path.Base(filepath.ToSlash(file))
}

// checkBackend returns a bad-input error unless name is registered.
func checkBackend(name string) error {
	if !slices.Contains(engine.Backends(), name) {
		return usagef("unknown backend %q (registered: %s)", name, strings.Join(engine.Backends(), ", "))
	}
	return nil
}

// runPhase runs one phase ("load" or "run") of wl on eng, showing status
// on stderr unless quiet, and returns its report entry. repeat is the
// run's repeat index in a repeated bench (0: not repeated).
func (e *env) runPhase(eng engine.Engine, wl *workload, backend string, repeat int, phase string, quiet bool) (reports.Run, error) {
	label := fmt.Sprintf("%s %s/%s", phase, wl.name, backend)
	if repeat > 0 {
		label += fmt.Sprintf(" #%d", repeat)
	}
	st := newStatusPrinter(e.stderr, quiet, label)
	hopts := &harness.Options{OnStatus: st.show, StatusEvery: e.statusEvery}
	var res *harness.Result
	var err error
	if phase == "load" {
		res, err = harness.Load(e.ctx, eng, wl.w, hopts)
	} else {
		res, err = harness.Run(e.ctx, eng, wl.w, hopts)
	}
	st.finish()
	if err != nil {
		return reports.Run{}, fmt.Errorf("%s phase of %s on %s: %w", phase, wl.name, backend, err)
	}
	optText := wl.optText
	if p, err := engine.PrepareFor(backend, wl.opts); err == nil {
		optText = p.String() // with the backend's own defaults
	}
	r, err := reports.NewRun(reports.RunMeta{Workload: wl.name, Sources: wl.sources, Backend: backend, Options: optText, Repeat: repeat}, res)
	if err != nil {
		return reports.Run{}, err
	}
	if !quiet {
		c := r.Counts
		fmt.Fprintf(e.stderr, "%s: %d operations in %v, %s ops/s (%d not found, %d errors)%s\n",
			label, r.Operations, time.Duration(r.RunTimeNS).Round(time.Millisecond),
			siRate(r.Throughput), c.NotFound, c.Errors, incomplete(&r))
	}
	return r, nil
}

func incomplete(r *reports.Run) string {
	if r.Complete {
		return ""
	}
	return ", INCOMPLETE: stopped by " + r.StoppedBy
}

// openEngine opens backend in dir with wl's options, slowed down by d
// (-debug-delay) if d delays anything.
func openEngine(backend, dir string, wl *workload, d delays) (engine.Engine, error) {
	if err := vfs.Default.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	eng, err := engine.Open(backend, dir, wl.opts)
	if err != nil {
		return nil, fmt.Errorf("open %s in %s: %w", backend, dir, err)
	}
	return withDelays(eng, d), nil
}

// closeEngine flushes and closes eng, keeping the first error.
func closeEngine(eng engine.Engine, err *error) {
	ferr := eng.Flush()
	cerr := eng.Close()
	if *err == nil {
		*err = ferr
	}
	if *err == nil {
		*err = cerr
	}
}

// finishReport writes rep's files into the report folder, prints the
// summary on stdout and where the files are, and applies -check.
func (e *env) finishReport(rep *reports.Report, pf *phaseFlags) error {
	out := pf.out
	if out == "" {
		var err error
		if out, err = defaultOutDir(e.now()); err != nil {
			return err
		}
	}
	files, err := reports.WriteAll(vfs.Default, out, rep, &reports.WriteOptions{NoPlots: !pf.plots})
	if err != nil {
		return fmt.Errorf("writing the report to %s: %w", out, err)
	}
	if err := reports.WriteSummary(e.stdout, rep); err != nil {
		return err
	}
	what := "summary.txt, report.json, timeseries.csv, bench.txt, *.hgrm"
	if pf.plots {
		what += ", *.png, *.svg"
	}
	fmt.Fprintf(e.stdout, "\nreport written to %s (%s: %d files)\n", out, what, len(files))
	return checkReport(rep, pf.check)
}

// checkReport returns a failedError under -check when a target failed or
// an operation returned an error.
func checkReport(rep *reports.Report, check bool) error {
	if !check {
		return nil
	}
	var fails []string
	for i := range rep.Runs {
		r := &rep.Runs[i]
		for _, t := range r.Targets {
			if !t.Pass {
				fails = append(fails, fmt.Sprintf("%s: target %s: %s", r.Name(), t.Target(), t.MeasuredText()))
			}
		}
		if r.Counts.Errors > 0 {
			fails = append(fails, fmt.Sprintf("%s: %d operations returned errors", r.Name(), r.Counts.Errors))
		}
		if !r.Complete && r.StoppedBy == "canceled" {
			fails = append(fails, fmt.Sprintf("%s: interrupted", r.Name()))
		}
	}
	if len(fails) == 0 {
		return nil
	}
	return failedError{fmt.Sprintf("-check failed:\n  %s", strings.Join(fails, "\n  "))}
}

// defaultOutDir returns ./lbench-out/<timestamp>, with a -N suffix if
// that exists.
func defaultOutDir(t time.Time) (string, error) {
	base := filepath.Join("lbench-out", t.Format("20060102-150405"))
	dir := base
	for n := 2; ; n++ {
		if _, err := vfs.Default.Stat(dir); vfs.IsNotExist(err) {
			return dir, nil
		} else if err != nil {
			return "", err
		}
		if n > 1000 {
			return "", fmt.Errorf("cannot find a free report folder name like %s", base)
		}
		dir = fmt.Sprintf("%s-%d", base, n)
	}
}

// siRate renders a rate like "81.2k".
func siRate(v float64) string {
	switch {
	case v >= 1e9:
		return strconv.FormatFloat(v/1e9, 'f', 2, 64) + "G"
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// onePhase is lbench load and lbench run: one phase of one workload on
// one backend, reported.
func (e *env) onePhase(phase, summary string, args []string) error {
	fs := e.newFlagSet(phase, "-P workload [flags]", summary)
	var pf phaseFlags
	pf.register(fs, true)
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags come before nothing else; workloads are given with -P)", fs.Arg(0))
	}
	if len(pf.files) == 0 {
		return usagef("no workload: give -P FILE, a workload file or a built-in workload (%s)", strings.Join(workloads.Names(), ", "))
	}
	wl, err := resolveWorkload("", &pf)
	if err != nil {
		return err
	}
	if phase == "run" {
		if err := checkRunnable(wl); err != nil {
			return err
		}
	}
	if err := checkBackend(pf.backend); err != nil {
		return err
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
	if phase == "run" && pf.dir == "" && !pf.quiet {
		fmt.Fprintf(e.stderr, "note: no -dir: the run phase starts on an empty database "+
			"(load it first with lbench load -dir DIR, or use lbench bench)\n")
	}
	rep := reports.NewReport(phase, args, e.now(), reports.CollectMachine(nil))
	eng, err := openEngine(pf.backend, dd.path, wl, pf.delay.forBackend(pf.backend))
	if err != nil {
		return err
	}
	r, err := e.runPhase(eng, wl, pf.backend, 0, phase, pf.quiet)
	closeEngine(eng, &err)
	if err != nil {
		return err
	}
	rep.Runs = append(rep.Runs, r)
	if err := e.finishReport(rep, &pf); err != nil {
		return err
	}
	if !r.Complete && r.StoppedBy == "canceled" {
		return fmt.Errorf("interrupted: the report holds the operations done before")
	}
	return nil
}

// checkRunnable rejects a workload whose run phase would not stop.
func checkRunnable(wl *workload) error {
	if wl.w.OperationCount == 0 && wl.w.MaxExecutionTime == 0 {
		return usagef("workload %s: the run phase needs operationcount or maxexecutiontime", wl.name)
	}
	return nil
}
