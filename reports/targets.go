package reports

import (
	"fmt"
	"strconv"
	"time"

	"github.com/lightningdb/lightning/harness"
	"github.com/lightningdb/lightning/harness/props"
)

// TargetReport is one declared target checked against one phase.
type TargetReport struct {
	// Property declared the target; Source says where
	// ("builtin:target-reads:24", "-p #1").
	Property string `json:"property"`
	Source   string `json:"source"`
	// Op is an op name or "overall".
	Op string `json:"op"`
	// Metric is "ops" for a throughput target (at least Want ops/s) or
	// "p<N>" for a latency target (at most Want ns at percentile N).
	Metric     string  `json:"metric"`
	Percentile float64 `json:"percentile,omitempty"`
	Want       float64 `json:"want"`
	// Measured is ops/s or ns, as Want. Ratio is measured/want for
	// throughput and want/measured for latency: >= 1 passes.
	Measured float64 `json:"measured"`
	Ratio    float64 `json:"ratio"`
	Pass     bool    `json:"pass"`
	// Note explains a failure without a number ("no read operations in the
	// run phase").
	Note string `json:"note,omitempty"`
}

// CheckTargets checks the targets of res's workload that apply to its
// phase: in the run phase every target; in the load phase, which only
// inserts, the targets on insert and overall (a read target of a
// workload is not a failure of its load phase). Latency targets use
// intended latency in open-loop runs and service time otherwise
// (harness.Result.Latency).
func CheckTargets(res *harness.Result) []TargetReport {
	if res == nil || res.Workload == nil || len(res.Workload.Targets) == 0 {
		return nil
	}
	w := *res.Workload
	w.Targets = nil
	for _, t := range res.Workload.Targets {
		if res.Phase == "load" && t.Op != "insert" && t.Op != Overall {
			continue
		}
		w.Targets = append(w.Targets, t)
	}
	if len(w.Targets) == 0 {
		return nil
	}
	r := *res
	r.Workload = &w
	var out []TargetReport
	for _, tr := range r.CheckTargets() {
		out = append(out, newTargetReport(tr))
	}
	return out
}

func newTargetReport(tr harness.TargetResult) TargetReport {
	t := tr.Target
	out := TargetReport{Property: t.Property, Source: t.Source.String(), Op: t.Op,
		Measured: tr.Measured, Ratio: tr.Ratio, Pass: tr.Pass, Note: tr.Note}
	if t.Percentile == 0 {
		out.Metric, out.Want = "ops", t.MinOpsPerSec
	} else {
		out.Metric = "p" + strconv.FormatFloat(t.Percentile, 'f', -1, 64)
		out.Percentile, out.Want = t.Percentile, float64(t.MaxLatency)
	}
	return out
}

// Target returns the declaration as props spells it back ("read ops >=
// 14400000/s", "read p99 <= 1ms").
func (t TargetReport) Target() string {
	pt := props.Target{Op: t.Op, Percentile: t.Percentile, MinOpsPerSec: t.Want, MaxLatency: time.Duration(t.Want)}
	return pt.String()
}

// Verdict returns "PASS" or "FAIL".
func (t TargetReport) Verdict() string {
	if t.Pass {
		return "PASS"
	}
	return "FAIL"
}

// MeasuredText renders the measured value in the target's unit
// ("15012345 ops/s", "812.345µs"), or the note.
func (t TargetReport) MeasuredText() string {
	if t.Note != "" {
		return t.Note
	}
	if t.Metric == "ops" {
		return fmt.Sprintf("%.0f ops/s", t.Measured)
	}
	return time.Duration(t.Measured).String()
}
