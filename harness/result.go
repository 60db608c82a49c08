package harness

import (
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/harness/props"
)

// Result is everything a phase measured. Reports (text, JSON, CSV, .hgrm,
// plots) are built from it alone.
type Result struct {
	// Phase is "load" or "run".
	Phase string
	// Workload is the resolved workload; Properties every property in
	// effect (set or default) with where it was set.
	Workload   *props.Workload
	Properties []props.Value
	// Seed is the seed every generator was derived from (lightning.seed,
	// or the clock's when that was 0): rerun with -p lightning.seed=Seed.
	Seed uint64
	// Threads is the number of workers.
	Threads int
	// OpenLoop is true when the phase ran at Target ops/s (the target
	// property); latency is then also measured from each operation's
	// intended start (OpResult.Intended).
	OpenLoop bool
	Target   float64

	// Start is when the phase started; Elapsed its whole length, warm-up
	// included. Warmup is the warm-up length (run phase only).
	Start   time.Time
	Elapsed time.Duration
	Warmup  time.Duration
	// RunTime is the measured window: from the end of warm-up to the end
	// of the last measured operation. Throughput is measured operations
	// (every outcome) per second of RunTime.
	RunTime    time.Duration
	Throughput float64

	// Ops holds the merged results per op type, indexed by measure.Op.
	Ops [measure.NumOps]OpResult
	// Intervals is the time series: one entry per IntervalLength from the
	// end of warm-up, the last one possibly shorter.
	Intervals      []measure.Interval
	IntervalLength time.Duration
	// WarmupCounts are the outcomes of the warm-up operations, which are
	// in no histogram.
	WarmupCounts [measure.NumOps]measure.Counts

	// ScanRecords is the number of records all measured scans returned.
	ScanRecords uint64
	// Clamped counts latencies over 60 s, recorded as 60 s.
	Clamped uint64
	// Complete is false when the phase was cut short (StoppedBy says why:
	// "operationcount", "maxexecutiontime", "canceled", "inserted all").
	Complete  bool
	StoppedBy string

	// ClockSource is "tsc" or "monotonic" (see the package doc), and
	// ClockCost the measured cost of one clock reading in ns: every
	// service time includes about one such reading.
	ClockSource string
	ClockCost   float64

	// MetricsBefore and Metrics are the engine's metrics at the start and
	// end of the phase.
	MetricsBefore engine.Metrics
	Metrics       engine.Metrics
}

// OpResult is the merged result of one op type over the measured window.
type OpResult struct {
	Op Op
	measure.Counts
	// Service is the service-time histogram (ns): from just before the
	// engine call to just after it returned. Every measured operation of
	// this type is in it, whatever its outcome.
	Service *hdr.Histogram
	// Intended is the latency from the operation's intended start in the
	// open-loop schedule (ns), nil in closed-loop runs. It includes the
	// time the operation waited because earlier ones ran late: the
	// coordinated-omission-corrected latency.
	Intended *hdr.Histogram
	// FirstErrors are up to 10 distinct error messages.
	FirstErrors []string
}

// Op is measure.Op, re-exported for convenience.
type Op = measure.Op

// Total returns the measured operations of every type.
func (r *Result) Total() measure.Counts {
	var c measure.Counts
	for i := range r.Ops {
		c.Add(r.Ops[i].Counts)
	}
	return c
}

// OpThroughput returns measured operations of type op per second.
func (r *Result) OpThroughput(op Op) float64 {
	if r.RunTime <= 0 {
		return 0
	}
	return float64(r.Ops[op].Total()) / r.RunTime.Seconds()
}

// Latency returns the histogram latency targets and summaries should use
// for op: intended latency in open-loop runs (it is the honest one there),
// service time otherwise.
func (r *Result) Latency(op Op) *hdr.Histogram {
	if r.Ops[op].Intended != nil {
		return r.Ops[op].Intended
	}
	return r.Ops[op].Service
}

// TargetResult is a declared target checked against a Result.
type TargetResult struct {
	Target props.Target
	// Measured is ops/s for throughput targets, latency in ns at the
	// target's percentile for latency targets.
	Measured float64
	// Ratio is measured/target for throughput, target/measured for
	// latency: >= 1 passes in both cases.
	Ratio float64
	Pass  bool
	// Note explains a failure that is not a number ("no read operations").
	Note string
}

// String renders "read ops >= 14400000/s: 15012345/s (1.04x) PASS".
func (t TargetResult) String() string {
	verdict := "FAIL"
	if t.Pass {
		verdict = "PASS"
	}
	if t.Note != "" {
		return fmt.Sprintf("%s: %s %s", t.Target, t.Note, verdict)
	}
	if t.Target.Percentile == 0 {
		return fmt.Sprintf("%s: %.0f/s (%.2fx) %s", t.Target, t.Measured, t.Ratio, verdict)
	}
	return fmt.Sprintf("%s: %v (%.2fx) %s", t.Target, time.Duration(t.Measured), t.Ratio, verdict)
}

// CheckTargets checks every target the workload declares. A target on an
// op type this phase did not perform fails with a note. Latency targets
// use Latency(op); "overall" merges every op type.
func (r *Result) CheckTargets() []TargetResult {
	var out []TargetResult
	for _, t := range r.Workload.Targets {
		tr := TargetResult{Target: t}
		var count uint64
		var h *hdr.Histogram
		if t.Op == "overall" {
			count = r.Total().Total()
			h = measure.NewHistogram()
			for op := range measure.NumOps {
				if lat := r.Latency(Op(op)); lat != nil {
					h.Merge(lat)
				}
			}
		} else {
			op, _ := measure.ParseOp(t.Op)
			count = r.Ops[op].Total()
			h = r.Latency(op)
		}
		switch {
		case count == 0:
			tr.Note = fmt.Sprintf("no %s operations in the %s phase", t.Op, r.Phase)
		case t.Percentile == 0:
			tr.Measured = float64(count) / r.RunTime.Seconds()
			tr.Ratio = tr.Measured / t.MinOpsPerSec
			tr.Pass = tr.Ratio >= 1
		default:
			tr.Measured = float64(h.ValueAtPercentile(t.Percentile))
			tr.Ratio = float64(t.MaxLatency) / max(tr.Measured, 1)
			tr.Pass = tr.Measured <= float64(t.MaxLatency)
		}
		out = append(out, tr)
	}
	return out
}
