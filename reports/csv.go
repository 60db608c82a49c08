package reports

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
)

// csvHeader is the header of timeseries.csv.
var csvHeader = []string{"workload", "backend", "phase", "interval", "start_s", "end_s", "op",
	"operations", "errors", "ops_per_sec", "p50_us", "p99_us", "p99_9_us", "max_us"}

// WriteCSV writes the time series of every run: one row per interval per
// op type that ran in the phase, then an "overall" row for the interval
// (every op type). Times are seconds from the start of measurement,
// latencies service time in microseconds (empty when the interval had no
// such operation). A report with repeated runs (lbench bench -repeat) has
// one more column at the end, "repeat": the run's repeat index.
func WriteCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	repeated := slices.ContainsFunc(rep.Runs, func(r Run) bool { return r.Repeat > 0 })
	header := csvHeader
	if repeated {
		header = append(slices.Clip(csvHeader), "repeat")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	lat := func(ns int64, ops uint64) string {
		if ops == 0 {
			return ""
		}
		return f(float64(ns)/1e3, 3)
	}
	for i := range rep.Runs {
		r := &rep.Runs[i]
		for _, iv := range r.Intervals {
			for _, o := range iv.Ops {
				rec := []string{r.Workload, r.Backend, r.Phase, strconv.Itoa(iv.Index),
					f(float64(iv.StartNS)/1e9, 3), f(float64(iv.EndNS)/1e9, 3), o.Op,
					strconv.FormatUint(o.Operations, 10), strconv.FormatUint(o.Errors, 10), f(o.Throughput, 1),
					lat(o.P50NS, o.Operations), lat(o.P99NS, o.Operations), lat(o.P999NS, o.Operations), lat(o.MaxNS, o.Operations)}
				if repeated {
					rec = append(rec, strconv.Itoa(r.Repeat))
				}
				if err := cw.Write(rec); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
