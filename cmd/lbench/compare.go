package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness/compare"
)

// cmdCompare is "lbench compare": compare the runs of a baseline with
// those of a new build (package harness/compare). Each side is a report
// file or folder (searched recursively for *.json); several per side are
// separated by "vs". Exit 1 on a regression, 2 on bad or incompatible
// input.
func cmdCompare(e *env, args []string) error {
	fs := e.newFlagSet("compare", "[flags] BASELINE NEW | BASELINE... vs NEW...",
		"Compare repeated runs of a baseline and a new build: per workload, backend and op type, the\n"+
			"medians of throughput and p50/p99/p99.9 latency, their ratio with a bootstrap interval,\n"+
			"a Mann-Whitney p-value and a verdict. Exit 1 on a regression, 2 on bad or incompatible input.")
	var o compare.Options
	fs.Float64Var(&o.Alpha, "alpha", compare.DefaultAlpha, "significance level of the Mann-Whitney test")
	minEffect := fs.String("min-effect", "5%", `smallest change that counts ("5%" or 0.05; 0 for none)`)
	fs.Float64Var(&o.Confidence, "confidence", 0.95, "coverage of the bootstrap interval")
	fs.IntVar(&o.Resamples, "resamples", 10000, "bootstrap resamples")
	fs.Uint64Var(&o.Seed, "seed", 0, "bootstrap seed (results are deterministic for a seed)")
	fs.StringVar(&o.Reference, "reference", "", "ratio mode: divide each run's figures by those of this backend in the same report")
	metrics := commaList{"ops/s", "p50", "p99", "p99.9"}
	fs.Var(&metrics, "metrics", "metrics to compare, comma-separated: ops/s, p50, p99, p99.9")
	format := fs.String("format", "text", "output format: text, markdown or json")
	plotDir := fs.String("plot", "", "also write compare.png and compare.svg into this folder")
	if err := fs.parse(args); err != nil {
		return err
	}
	var err error
	if o.MinEffect, err = parseFraction(*minEffect); err != nil {
		return usagef("-min-effect %q: %v", *minEffect, err)
	}
	if o.MinEffect == 0 {
		o.MinEffect = compare.NoMinEffect
	}
	for _, m := range metrics {
		mt, err := compare.ParseMetric(m)
		if err != nil {
			return usagef("-metrics: %v", err)
		}
		o.Metrics = append(o.Metrics, mt)
	}
	write := map[string]func(io.Writer, *compare.Result) error{
		"text": compare.WriteText, "markdown": compare.WriteMarkdown, "md": compare.WriteMarkdown, "json": compare.WriteJSON,
	}[*format]
	if write == nil {
		return usagef("-format %q: want text, markdown or json", *format)
	}
	basePaths, newPaths, err := splitSides(fs.Args())
	if err != nil {
		return err
	}
	base, err := compare.Load(vfs.Default, basePaths...)
	if err != nil {
		return compareError(err)
	}
	next, err := compare.Load(vfs.Default, newPaths...)
	if err != nil {
		return compareError(err)
	}
	res, err := compare.Compare(base, next, &o)
	if err != nil {
		return compareError(err)
	}
	if err := write(e.stdout, res); err != nil {
		return err
	}
	if *plotDir != "" && len(res.Rows) > 0 {
		if err := vfs.Default.MkdirAll(*plotDir, 0o755); err != nil {
			return err
		}
		files, err := compare.SavePlot(vfs.Default, *plotDir, "compare", res)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "lbench compare: plots written to %s: %s\n", *plotDir, strings.Join(files, ", "))
	}
	if n := res.Count(compare.TooFewRuns); n > 0 {
		fmt.Fprintf(e.stderr, "lbench compare: %d of %d rows had too few runs to conclude anything\n", n, len(res.Rows))
	}
	if res.Regressed() {
		return failedError{res.Headline()}
	}
	return nil
}

// splitSides splits the arguments into the baseline's and the new
// build's paths: "A B", or "A1 A2 ... vs B1 B2 ...".
func splitSides(args []string) (base, next []string, err error) {
	for i, a := range args {
		if a == "vs" {
			if i == 0 || i == len(args)-1 {
				return nil, nil, usagef(`"vs" needs reports on both sides: BASELINE... vs NEW...`)
			}
			return args[:i], args[i+1:], nil
		}
	}
	if len(args) != 2 {
		return nil, nil, usagef("want BASELINE NEW (two report files or folders) or BASELINE... vs NEW..., got %d arguments", len(args))
	}
	return args[:1], args[1:], nil
}

// parseFraction parses "5%" or "0.05" as 0.05.
func parseFraction(s string) (float64, error) {
	scale := 1.0
	if t, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		s, scale = t, 0.01
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v*scale >= 1 {
		return 0, errors.New("want a fraction in [0, 1) or a percentage below 100%")
	}
	return v * scale, nil
}

// compareError maps the errors of package compare to lbench's exit codes:
// unreadable, incompatible or unusable reports and bad options are bad
// input (exit 2).
func compareError(err error) error {
	switch {
	case errors.Is(err, compare.ErrIncompatible), errors.Is(err, compare.ErrNoReports),
		errors.Is(err, compare.ErrBadReport), errors.Is(err, compare.ErrOptions), vfs.IsNotExist(err):
		return usageError{err.Error()}
	}
	return err // ErrCorruption and ErrSchema already map to exit 2
}
