package reports

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lightningdb/lightning/harness/measure"
)

// WriteSummary writes the YCSB-style text summary of every run of rep:
// a header naming the machine, then for each run comment lines saying what
// ran and YCSB's "[SECTION], Metric, value" lines (latencies in µs, as
// YCSB prints them), the intended-latency sections of open-loop runs, the
// targets with PASS or FAIL, and, when the report covers several
// backends, a throughput table by backend.
func WriteSummary(w io.Writer, rep *Report) error {
	tw := &textWriter{w: w}
	tw.printf("# lbench %s, %s\n", rep.Command, rep.Created.UTC().Format(time.RFC3339))
	tw.printf("# machine: %s\n", rep.Machine)
	commit := rep.Machine.Commit
	if commit == "" {
		commit = "unknown"
	} else if rep.Machine.Modified {
		commit += " (modified)"
	}
	var sums []string
	for _, k := range slices.Sorted(maps.Keys(rep.Machine.Checksum)) {
		sums = append(sums, rep.Machine.Checksum[k])
	}
	tw.printf("# checksum: %s; commit: %s\n", strings.Join(sums, ", "), commit)
	for i := range rep.Runs {
		tw.printf("\n")
		writeRun(tw, &rep.Runs[i])
	}
	if t := throughputTable(rep); t != "" {
		tw.printf("\n%s", t)
	}
	return tw.err
}

// writeRun writes one run's section.
func writeRun(tw *textWriter, r *Run) {
	tw.printf("# == %s: workload %s on backend %s, %s phase\n", r.Name(), r.Workload, r.Backend, r.Phase)
	if len(r.Sources) > 0 {
		tw.printf("# workload files: %s\n", strings.Join(r.Sources, " "))
	}
	loop := "closed loop"
	if r.OpenLoop {
		loop = fmt.Sprintf("open loop at %s ops/s", fmtFloat(r.TargetOpsPerSec))
	}
	state := "complete"
	if !r.Complete {
		state = "INCOMPLETE"
	}
	tw.printf("# threads %d, %s, seed %d, %s (stopped by %s), config %s\n",
		r.Threads, loop, r.Seed, state, r.StoppedBy, r.Config)
	if r.ClockSource != "" {
		tw.printf("# clock %s, %.1f ns per reading (included in every service time)\n", r.ClockSource, r.ClockCostNS)
	}
	if r.WarmupNS > 0 {
		tw.printf("# warm-up %v: %d operations not measured\n", time.Duration(r.WarmupNS), r.WarmupCounts.Total())
	}
	tw.printf("[OVERALL], RunTime(ms), %s\n", fmtFloat(float64(r.RunTimeNS)/1e6))
	tw.printf("[OVERALL], Throughput(ops/sec), %s\n", fmtFloat(r.Throughput))
	for i := range r.Ops {
		o := &r.Ops[i]
		name := ycsbName(o.Op)
		writeLatency(tw, name, o.Operations, o.Service)
		tw.printf("[%s], Return=OK, %d\n", name, o.Counts.OK)
		tw.printf("[%s], Return=NOT_FOUND, %d\n", name, o.Counts.NotFound)
		tw.printf("[%s], Return=ERROR, %d\n", name, o.Counts.Errors)
		if o.Op == measure.Scan.Name() {
			tw.printf("[%s], Records, %d\n", name, r.ScanRecords)
		}
		for _, e := range o.FirstErrors {
			tw.printf("# %s error: %s\n", name, e)
		}
	}
	for i := range r.Ops {
		o := &r.Ops[i]
		if o.Intended != nil {
			writeLatency(tw, "Intended-"+ycsbName(o.Op), o.Operations, o.Intended)
		}
	}
	if r.Clamped > 0 {
		tw.printf("# %d latencies over 60s were recorded as 60s\n", r.Clamped)
	}
	for _, t := range r.Targets {
		ratio := "-"
		if t.Note == "" {
			ratio = fmt.Sprintf("%.3fx", t.Ratio)
		}
		tw.printf("[TARGET], %s, %s, %s, %s\n", t.Target(), t.MeasuredText(), ratio, t.Verdict())
	}
}

// writeLatency writes the Operations and latency lines of one section.
func writeLatency(tw *textWriter, name string, ops uint64, l *Latency) {
	tw.printf("[%s], Operations, %d\n", name, ops)
	if l == nil {
		return
	}
	tw.printf("[%s], AverageLatency(us), %s\n", name, us(l.MeanNS))
	tw.printf("[%s], MinLatency(us), %s\n", name, us(float64(l.MinNS)))
	tw.printf("[%s], MaxLatency(us), %s\n", name, us(float64(l.MaxNS)))
	for _, p := range []struct {
		label string
		ns    int64
	}{{"50th", l.P50NS}, {"95th", l.P95NS}, {"99th", l.P99NS}, {"99.9th", l.P999NS}, {"99.99th", l.P9999NS}} {
		tw.printf("[%s], %sPercentileLatency(us), %s\n", name, p.label, us(float64(p.ns)))
	}
}

// throughputTable renders a table of overall throughput by workload and
// phase (rows) and backend (columns) when rep covers several backends,
// else "".
func throughputTable(rep *Report) string {
	backends, rows := byBackend(rep)
	if len(backends) < 2 {
		return ""
	}
	var sb strings.Builder
	if slices.ContainsFunc(rep.Runs, func(r Run) bool { return r.Repeat > 0 }) {
		sb.WriteString("# throughput by backend (ops/s, median of the repeated runs)\n")
	} else {
		sb.WriteString("# throughput by backend (ops/s)\n")
	}
	header := append([]string{"# workload/phase"}, backends...)
	lines := [][]string{header}
	for _, row := range rows {
		line := []string{"# " + row.label}
		for _, b := range backends {
			if v, ok := row.vals[b]; ok {
				line = append(line, fmt.Sprintf("%.0f", v))
			} else {
				line = append(line, "-")
			}
		}
		lines = append(lines, line)
	}
	widths := make([]int, len(header))
	for _, l := range lines {
		for i, c := range l {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, l := range lines {
		for i, c := range l {
			if i == 0 {
				fmt.Fprintf(&sb, "%-*s", widths[i], c)
			} else {
				fmt.Fprintf(&sb, "  %*s", widths[i], c)
			}
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// tableRow is one workload/phase of a by-backend comparison.
type tableRow struct {
	workload, phase, label string
	vals                   map[string]float64 // backend -> overall ops/s (median of repeats)
}

// byBackend returns the backends of rep in order of first appearance and
// one row per workload/phase with each backend's throughput: the median
// of its runs when the report repeats them (lbench bench -repeat).
func byBackend(rep *Report) ([]string, []tableRow) {
	var backends []string
	var rows []tableRow
	idx := map[string]int{}
	all := map[string][]float64{} // row label + "\x00" + backend -> throughputs
	for i := range rep.Runs {
		r := &rep.Runs[i]
		if !slices.Contains(backends, r.Backend) {
			backends = append(backends, r.Backend)
		}
		key := r.Workload + "/" + r.Phase
		j, ok := idx[key]
		if !ok {
			j = len(rows)
			idx[key] = j
			rows = append(rows, tableRow{workload: r.Workload, phase: r.Phase, label: key, vals: map[string]float64{}})
		}
		k := key + "\x00" + r.Backend
		all[k] = append(all[k], r.Throughput)
		rows[j].vals[r.Backend] = median(all[k])
	}
	return backends, rows
}

// median returns the median of xs (non-empty), leaving xs unchanged.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ycsbName returns YCSB's spelling of an op name ("READ-MODIFY-WRITE").
func ycsbName(op string) string {
	if o, ok := measure.ParseOp(op); ok {
		return o.String()
	}
	return strings.ToUpper(op)
}

// us renders nanoseconds as microseconds with ns precision.
func us(ns float64) string { return strconv.FormatFloat(ns/1e3, 'f', 3, 64) }

// fmtFloat renders f with up to 3 decimals, trailing zeros dropped.
func fmtFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', 3, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func itoa(n int) string { return strconv.Itoa(n) }

// textWriter remembers the first write error.
type textWriter struct {
	w   io.Writer
	err error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}
