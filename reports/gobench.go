package reports

import (
	"fmt"
	"io"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/lightningdb/lightning/harness/measure"
)

// BenchPkg is the "pkg:" of the benchmark lines, which benchstat uses to
// group them.
const BenchPkg = "github.com/lightningdb/lightning/cmd/lbench"

// WriteGoBench writes rep as Go benchmark result lines, which benchstat
// compares across runs:
//
//	goos: linux
//	goarch: amd64
//	pkg: github.com/lightningdb/lightning/cmd/lbench
//	cpu: <model>
//	BenchmarkYCSB/<workload>/<backend>/<op>-<GOMAXPROCS>  N  X ns/op  Y ops/s  P p50-ns  Q p99-ns
//
// One line per op type of each run phase and one "overall" line (every op
// type), and one "load" line per load phase. N is the number of measured
// operations, ns/op the measured wall time divided by N (1e9 / ops/s, so
// it falls as throughput rises), and p50-ns/p99-ns the service-time
// percentiles (intended latency in open-loop runs). The -<GOMAXPROCS>
// suffix is added as go test adds it (not for GOMAXPROCS 1).
func WriteGoBench(w io.Writer, rep *Report) error {
	tw := &textWriter{w: w}
	tw.printf("goos: %s\ngoarch: %s\npkg: %s\n", rep.Machine.OS, rep.Machine.Arch, BenchPkg)
	if rep.Machine.CPUModel != "" {
		tw.printf("cpu: %s\n", rep.Machine.CPUModel)
	}
	procs := ""
	if rep.Machine.GOMAXPROCS > 1 {
		procs = fmt.Sprintf("-%d", rep.Machine.GOMAXPROCS)
	}
	for i := range rep.Runs {
		r := &rep.Runs[i]
		base := "BenchmarkYCSB/" + sanitize(r.Workload) + "/" + sanitize(r.Backend) + "/"
		line := func(name string, n uint64, h *hdr.Histogram) {
			if n == 0 || r.RunTimeNS <= 0 {
				return
			}
			secs := float64(r.RunTimeNS) / 1e9
			tw.printf("%s%s%s\t%d\t%.1f ns/op\t%.1f ops/s", base, name, procs, n, float64(r.RunTimeNS)/float64(n), float64(n)/secs)
			if h != nil && h.TotalCount() > 0 {
				p := h.ValueAtPercentilesSlice([]float64{50, 99})
				tw.printf("\t%d p50-ns\t%d p99-ns", p[0], p[1])
			}
			tw.printf("\n")
		}
		all := measure.NewHistogram()
		for j := range r.Ops {
			o := &r.Ops[j]
			l := o.Service
			if o.Intended != nil {
				l = o.Intended
			}
			h, err := l.Histogram()
			if err != nil {
				return fmt.Errorf("reports: %s %s: %w", r.Name(), o.Op, err)
			}
			all.Merge(h)
			if r.Phase == "run" {
				line(o.Op, o.Operations, h)
			}
		}
		if r.Phase == "load" {
			line("load", r.Operations, all)
		} else {
			line(Overall, r.Operations, all)
		}
	}
	return tw.err
}
