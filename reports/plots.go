package reports

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"

	"github.com/lightningdb/lightning/engine/vfs"
)

// WritePlots draws every plot of rep into dir on fs, each as PNG and SVG,
// and returns the file names written:
//
//	latency_<workload>_<backend>_<phase>      latency by percentile, a line per op type
//	                                          (dashed: intended latency of open-loop runs)
//	throughput_<workload>_<backend>_<phase>   ops/s over time, a line per op type and overall
//
// (with _r<k> after the phase for repeat k of a repeated run), and when
// rep covers several backends:
//
//	latency_<workload>_<phase>_<op>_backends  latency by percentile of one op, a line per backend
//	throughput_<workload>_<phase>_backends    overall ops/s over time, a line per backend
//	backends_<phase>                          overall ops/s per workload, a bar per backend
//
// where repeated runs are a line each ("lsm #2") and a bar is the median
// of a backend's repeats. A run without measured operations gets no plot.
func WritePlots(fs vfs.FS, dir string, rep *Report) ([]string, error) {
	var files []string
	save := func(name string, p *plot.Plot, err error) error {
		if err != nil {
			return err
		}
		names, err := SavePlot(fs, dir, name, p)
		files = append(files, names...)
		return err
	}
	for i := range rep.Runs {
		r := &rep.Runs[i]
		if r.Operations == 0 {
			continue
		}
		id := runID(r)
		series, err := runLatencySeries(r)
		if err != nil {
			return files, err
		}
		p, err := LatencyPlot(fmt.Sprintf("Latency by percentile: %s", r.Name()), series)
		if err := save("latency_"+id, p, err); err != nil {
			return files, err
		}
		if ts := runThroughputSeries(r); len(ts) > 0 {
			p, err := ThroughputPlot(fmt.Sprintf("Throughput over time: %s", r.Name()), ts)
			if err := save("throughput_"+id, p, err); err != nil {
				return files, err
			}
		}
	}
	backends, rows := byBackend(rep)
	if len(backends) < 2 {
		return files, nil
	}
	for _, row := range rows {
		runs := rep.runsOf(row.workload, row.phase)
		var ops []string
		for _, r := range runs {
			for _, o := range r.Ops {
				if !slices.Contains(ops, o.Op) {
					ops = append(ops, o.Op)
				}
			}
		}
		for _, op := range ops {
			var series []Series
			for _, r := range runs {
				if o := r.Op(op); o != nil {
					h, err := o.Service.Histogram()
					if err != nil {
						return files, err
					}
					series = append(series, Series{Label: r.backendLabel(), Points: PercentilePoints(h)})
				}
			}
			title := fmt.Sprintf("%s latency by percentile: %s/%s by backend", ycsbName(op), row.workload, row.phase)
			p, err := LatencyPlot(title, series)
			if err := save(fmt.Sprintf("latency_%s_%s_%s_backends", sanitize(row.workload), row.phase, op), p, err); err != nil {
				return files, err
			}
		}
		var ts []Series
		for _, r := range runs {
			if s := intervalSeries(r, Overall); len(s) > 0 {
				ts = append(ts, Series{Label: r.backendLabel(), Points: s})
			}
		}
		if len(ts) > 0 {
			title := fmt.Sprintf("Throughput over time: %s/%s by backend", row.workload, row.phase)
			p, err := ThroughputPlot(title, ts)
			if err := save(fmt.Sprintf("throughput_%s_%s_backends", sanitize(row.workload), row.phase), p, err); err != nil {
				return files, err
			}
		}
	}
	for _, phase := range []string{"load", "run"} {
		var cats []string
		for _, row := range rows {
			if row.phase == phase {
				cats = append(cats, row.workload)
			}
		}
		if len(cats) == 0 {
			continue
		}
		vals := make([][]float64, len(backends))
		for g, b := range backends {
			for _, row := range rows {
				if row.phase != phase {
					continue
				}
				v, ok := row.vals[b]
				if !ok {
					v = math.NaN()
				}
				vals[g] = append(vals[g], v)
			}
		}
		p, err := BarPlot(fmt.Sprintf("Throughput by backend, %s phase", phase), "workload", "throughput (ops/s)", cats, backends, vals)
		if err := save("backends_"+phase, p, err); err != nil {
			return files, err
		}
	}
	return files, nil
}

// runID names a run in file names: "<workload>_<backend>_<phase>", with
// "_r<k>" for repeat k of a repeated run.
func runID(r *Run) string {
	return sanitize(r.Workload) + "_" + sanitize(r.Backend) + "_" + r.Phase + r.repeatSuffix()
}

// backendLabel labels a run in a plot by backend: "lsm", or "lsm #2" for
// repeat 2 of a repeated run.
func (r *Run) backendLabel() string {
	if r.Repeat > 0 {
		return r.Backend + " #" + itoa(r.Repeat)
	}
	return r.Backend
}

// runsOf returns the runs of workload and phase, in report order.
func (rep *Report) runsOf(workload, phase string) []*Run {
	var out []*Run
	for i := range rep.Runs {
		if r := &rep.Runs[i]; r.Workload == workload && r.Phase == phase {
			out = append(out, r)
		}
	}
	return out
}

// runLatencySeries returns a service-time line per op of r, then an
// intended-latency line per op of an open-loop run.
func runLatencySeries(r *Run) ([]Series, error) {
	var series []Series
	for _, intended := range []bool{false, true} {
		for i := range r.Ops {
			o := &r.Ops[i]
			l, label := o.Service, ycsbName(o.Op)
			if intended {
				l, label = o.Intended, label+" (intended)"
			}
			if l == nil {
				continue
			}
			h, err := l.Histogram()
			if err != nil {
				return nil, fmt.Errorf("reports: %s %s: %w", r.Name(), o.Op, err)
			}
			series = append(series, Series{Label: label, Points: PercentilePoints(h), Dashed: intended})
		}
	}
	return series, nil
}

// runThroughputSeries returns a line per op of r and, with several op
// types, an overall line.
func runThroughputSeries(r *Run) []Series {
	var series []Series
	for _, o := range r.Ops {
		if s := intervalSeries(r, o.Op); len(s) > 0 {
			series = append(series, Series{Label: ycsbName(o.Op), Points: s})
		}
	}
	if len(r.Ops) > 1 {
		if s := intervalSeries(r, Overall); len(s) > 0 {
			series = append(series, Series{Label: "total", Points: s, Dashed: true})
		}
	}
	return series
}

// intervalSeries returns op's throughput in each interval of r as a step
// line: a point at the interval's start and one at its end (seconds),
// both at the interval's rate.
func intervalSeries(r *Run, op string) []Point {
	var pts []Point
	for _, iv := range r.Intervals {
		for _, o := range iv.Ops {
			if o.Op == op {
				pts = append(pts, Point{X: float64(iv.StartNS) / 1e9, Y: o.Throughput},
					Point{X: float64(iv.EndNS) / 1e9, Y: o.Throughput})
			}
		}
	}
	return pts
}
