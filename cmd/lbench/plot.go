package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/reports"
)

// cmdPlot is "lbench plot": redraw plots from saved results. Each
// argument is a report.json, a report folder holding one, or a .hgrm
// file. The runs of every report are drawn together, as if one bench had
// run them all (a run whose workload, backend and phase an earlier report
// already has is relabelled backend-2, backend-3, ...), so the runs of
// separate invocations can be compared by backend. The .hgrm files are
// drawn on one latency-by-percentile plot, a line per file; their values
// are in microseconds (as lbench writes them) unless -hgrm-unit says
// otherwise (HdrHistogram's Java tools often print milliseconds).
func cmdPlot(e *env, args []string) error {
	fs := e.newFlagSet("plot", "[-out DIR] report.json|DIR|file.hgrm ...",
		"Redraw plots from saved reports (report.json) or percentile distributions (.hgrm).")
	out := fs.String("out", "", "folder for the plots (default: the folder of the first input)")
	title := fs.String("title", "Latency by percentile", "title of the .hgrm plot")
	unit := fs.String("hgrm-unit", "us", "`unit` of the values in .hgrm files: ns, us, ms or s (lbench writes us)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("nothing to plot: give report.json files, report folders or .hgrm files")
	}
	scale, ok := map[string]float64{"ns": 1e-3, "us": 1, "µs": 1, "ms": 1e3, "s": 1e6}[*unit]
	if !ok {
		return usagef("-hgrm-unit %q: want ns, us, ms or s", *unit)
	}
	var rep *reports.Report
	var hgrm []reports.Series
	seen := map[string]int{}
	for _, arg := range fs.Args() {
		name := arg
		fi, err := vfs.Default.Stat(name)
		if err != nil {
			return usagef("cannot read %s: %v", arg, err)
		}
		if fi.IsDir() {
			name = filepath.Join(name, reports.JSONFile)
		}
		if *out == "" {
			*out = filepath.Dir(name)
		}
		if strings.HasSuffix(name, ".hgrm") {
			data, err := vfs.ReadFile(vfs.Default, name)
			if err != nil {
				return usagef("cannot read %s: %v", name, err)
			}
			pts, err := reports.ParseHgrm(name, data)
			if err != nil {
				return err
			}
			for i := range pts {
				pts[i].Value *= scale
			}
			label := strings.TrimSuffix(filepath.Base(name), ".hgrm")
			hgrm = append(hgrm, reports.Series{Label: label, Points: reports.HgrmPercentilePoints(pts)})
			continue
		}
		r, err := reports.ReadJSON(vfs.Default, name)
		if err != nil {
			if vfs.IsNotExist(err) {
				return usagef("cannot read %s: %v", name, err)
			}
			return err
		}
		if rep == nil {
			first := *r
			first.Runs = nil
			rep = &first
		}
		for _, run := range r.Runs {
			key := run.Name()
			if n := seen[key]; n > 0 {
				run.Backend = fmt.Sprintf("%s-%d", run.Backend, n+1)
			}
			seen[key]++
			rep.Runs = append(rep.Runs, run)
		}
	}
	if err := vfs.Default.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var files []string
	if rep != nil {
		f, err := reports.WritePlots(vfs.Default, *out, rep)
		files = append(files, f...)
		if err != nil {
			return err
		}
	}
	if len(hgrm) > 0 {
		p, err := reports.LatencyPlot(*title, hgrm)
		if err != nil {
			return err
		}
		f, err := reports.SavePlot(vfs.Default, *out, "latency_hgrm", p)
		files = append(files, f...)
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "%d plots written to %s:\n", len(files), *out)
	for _, f := range files {
		fmt.Fprintf(e.stdout, "  %s\n", f)
	}
	return nil
}
