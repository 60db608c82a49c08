package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/harness"
	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/harness/props"
)

// Schema names the JSON format of this package. A reader accepts reports
// whose schema has the same name and major version ("/v1"); new fields
// may be added within a major version, never renamed or removed.
const Schema = "lightning.lbench.report/v1"

// Report is everything one lbench invocation measured: every phase it ran
// on every backend and workload, with the machine it ran on. It is what
// report.json holds; every other file (summary, CSV, .hgrm, benchmark
// lines, plots) is drawn from it, so a saved report.json redraws them all.
type Report struct {
	// Schema is the Schema constant of the writer.
	Schema string `json:"schema"`
	// Command is the lbench subcommand ("bench", "run", "load") and Args
	// its arguments.
	Command string   `json:"command"`
	Args    []string `json:"args,omitempty"`
	// Created is when the report was made (UTC).
	Created time.Time `json:"created"`
	// Machine describes where the runs ran.
	Machine Machine `json:"machine"`
	// Runs holds one entry per phase run, in the order they ran.
	Runs []Run `json:"runs"`
}

// NewReport returns an empty report for command, made at created on m.
func NewReport(command string, args []string, created time.Time, m Machine) *Report {
	return &Report{Schema: Schema, Command: command, Args: append([]string(nil), args...),
		Created: created.UTC(), Machine: m}
}

// RunMeta is what a harness.Result does not know about the phase it
// measured: which workload (by name and files), which backend and with
// which engine options.
type RunMeta struct {
	// Workload is the workload's short name ("workloada", "smoke", or a
	// file's base name). It names files and benchmark lines.
	Workload string
	// Sources are the workload files in the order they were applied, as
	// props names them ("builtin:smoke", "conf/my.workload").
	Sources []string
	// Backend is the registered name of the engine.
	Backend string
	// Options is the engine options text (engine.Options.String of the
	// prepared options) the engine was opened with.
	Options string
	// Repeat is the 1-based index of this run among repeated runs of
	// the same configuration in one report (lbench bench -repeat), or 0
	// when the configuration ran once.
	Repeat int
}

// Run is one phase (load or run) of one workload on one backend.
// Durations and latencies are in nanoseconds, rates in operations per
// second.
type Run struct {
	Workload string   `json:"workload"`
	Sources  []string `json:"sources,omitempty"`
	Backend  string   `json:"backend"`
	// Phase is "load" or "run".
	Phase string `json:"phase"`
	// Repeat is the 1-based index of the run among the repeats of its
	// workload, backend and phase in this report (lbench bench -repeat
	// N), or 0 (omitted) when it ran once. It names files and plots
	// apart; it is not part of the configuration (Config).
	Repeat int `json:"repeat,omitempty"`
	// Options is the engine options text.
	Options string `json:"options"`
	// Properties are every workload property in effect, set or default,
	// with where it was set.
	Properties []Property `json:"properties"`
	// Config is a digest of everything that makes two runs comparable:
	// backend, phase, threads, engine options and the workload properties
	// except lightning.seed and lightning.target.* (see ConfigDigest).
	Config string `json:"config"`

	Seed    uint64 `json:"seed"`
	Threads int    `json:"threads"`
	// OpenLoop runs are paced at TargetOpsPerSec; their ops also carry
	// intended (coordinated-omission corrected) latency.
	OpenLoop        bool    `json:"open_loop"`
	TargetOpsPerSec float64 `json:"target_ops_per_sec,omitempty"`

	// Start is when the phase started. ElapsedNS is its whole length,
	// WarmupNS the unmeasured warm-up at its start, RunTimeNS the
	// measured window. Throughput is measured operations per second of
	// RunTimeNS.
	Start      time.Time `json:"start"`
	ElapsedNS  int64     `json:"elapsed_ns"`
	WarmupNS   int64     `json:"warmup_ns"`
	RunTimeNS  int64     `json:"runtime_ns"`
	Throughput float64   `json:"throughput"`
	// Operations counts every measured operation and its outcome.
	Operations   uint64         `json:"operations"`
	Counts       measure.Counts `json:"counts"`
	WarmupCounts measure.Counts `json:"warmup_counts"`
	// Complete is false when the phase was cut short; StoppedBy says why.
	Complete  bool   `json:"complete"`
	StoppedBy string `json:"stopped_by"`
	// ScanRecords is the number of records measured scans returned.
	ScanRecords uint64 `json:"scan_records"`
	// Clamped counts latencies over 60 s recorded as 60 s.
	Clamped uint64 `json:"clamped"`
	// ClockSource is the harness's clock ("tsc" or "monotonic") and
	// ClockCostNS the cost of one reading; every service time includes
	// about one.
	ClockSource string  `json:"clock_source"`
	ClockCostNS float64 `json:"clock_cost_ns"`

	// Ops holds the op types that ran, in the harness's op order.
	Ops []OpReport `json:"ops"`
	// IntervalNS is the length of one time-series interval.
	IntervalNS int64      `json:"interval_ns"`
	Intervals  []Interval `json:"intervals"`
	// Targets are the workload's targets that apply to this phase, checked.
	Targets []TargetReport `json:"targets,omitempty"`

	// MetricsBefore and Metrics are the engine's metrics at the start and
	// end of the phase (engine.Metrics, Go field names, StallTime in ns).
	MetricsBefore engine.Metrics `json:"metrics_before"`
	Metrics       engine.Metrics `json:"metrics"`
}

// Property is one workload property as it was in effect.
type Property struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source string `json:"source"` // "file:line", "-p #n" or "default"
}

// OpReport is one op type's results over the measured window.
type OpReport struct {
	// Op is the op's name as properties spell it ("read",
	// "readmodifywrite"); YCSB's spelling is measure.Op.String.
	Op         string         `json:"op"`
	Operations uint64         `json:"operations"`
	Counts     measure.Counts `json:"counts"`
	Throughput float64        `json:"throughput"`
	// Service is the service time: from just before the engine call to
	// just after it returned.
	Service *Latency `json:"service"`
	// Intended is the latency from the operation's intended start in an
	// open-loop schedule; nil in closed-loop runs.
	Intended *Latency `json:"intended,omitempty"`
	// FirstErrors are up to 10 distinct error messages.
	FirstErrors []string `json:"first_errors,omitempty"`
}

// Latency summarises one latency histogram and carries the histogram
// itself, so a reader can compute any other percentile or merge runs.
type Latency struct {
	Count    int64   `json:"count"`
	MinNS    int64   `json:"min_ns"`
	MaxNS    int64   `json:"max_ns"`
	MeanNS   float64 `json:"mean_ns"`
	StdDevNS float64 `json:"stddev_ns"`
	P50NS    int64   `json:"p50_ns"`
	P90NS    int64   `json:"p90_ns"`
	P95NS    int64   `json:"p95_ns"`
	P99NS    int64   `json:"p99_ns"`
	P999NS   int64   `json:"p99_9_ns"`
	P9999NS  int64   `json:"p99_99_ns"`
	P99999NS int64   `json:"p99_999_ns"`
	// HDR is the histogram in HdrHistogram's V2 compressed encoding,
	// base64 (what Histogram.Encode and every HdrHistogram port read):
	// values in ns, 1 ns to 60 s, 3 significant digits.
	HDR string `json:"hdr"`

	h *hdr.Histogram // decoded HDR, cached
}

// Interval is one slice of the time series.
type Interval struct {
	Index   int   `json:"index"`
	StartNS int64 `json:"start_ns"` // from the start of measurement
	EndNS   int64 `json:"end_ns"`
	// Ops holds one entry per op type that ran in the phase (zero counts
	// when it had none in this interval), then "overall".
	Ops []IntervalOp `json:"ops"`
}

// IntervalOp is one op type's figures in one interval. Percentiles are
// service time; they are 0 when the interval had no such operation.
type IntervalOp struct {
	Op         string  `json:"op"`
	Operations uint64  `json:"operations"`
	Errors     uint64  `json:"errors"`
	Throughput float64 `json:"throughput"`
	P50NS      int64   `json:"p50_ns"`
	P99NS      int64   `json:"p99_ns"`
	P999NS     int64   `json:"p99_9_ns"`
	MaxNS      int64   `json:"max_ns"`
}

// Overall is the op name of the all-op-types rows of the time series and
// of benchmark lines.
const Overall = "overall"

// NewRun builds the Run of res, a phase the harness ran, described by
// meta. Targets are checked as CheckTargets does.
func NewRun(meta RunMeta, res *harness.Result) (Run, error) {
	if res == nil || res.Workload == nil {
		return Run{}, fmt.Errorf("reports: nil result or workload")
	}
	r := Run{
		Workload: meta.Workload, Sources: append([]string(nil), meta.Sources...), Backend: meta.Backend,
		Phase: res.Phase, Repeat: meta.Repeat, Options: meta.Options,
		Seed: res.Seed, Threads: res.Threads, OpenLoop: res.OpenLoop, TargetOpsPerSec: res.Target,
		Start: res.Start, ElapsedNS: int64(res.Elapsed), WarmupNS: int64(res.Warmup), RunTimeNS: int64(res.RunTime),
		Throughput: res.Throughput, Counts: res.Total(), Complete: res.Complete, StoppedBy: res.StoppedBy,
		ScanRecords: res.ScanRecords, Clamped: res.Clamped, ClockSource: res.ClockSource, ClockCostNS: res.ClockCost,
		IntervalNS: int64(res.IntervalLength), MetricsBefore: res.MetricsBefore, Metrics: res.Metrics,
	}
	r.Operations = r.Counts.Total()
	for _, c := range res.WarmupCounts {
		r.WarmupCounts.Add(c)
	}
	for _, p := range res.Properties {
		r.Properties = append(r.Properties, Property{Name: p.Name, Value: p.Value, Source: p.Source.String()})
	}
	r.Config = ConfigDigest(r.Backend, r.Phase, r.Threads, r.Options, r.Properties)

	var ran []measure.Op
	for _, op := range measure.Ops() {
		o := &res.Ops[op]
		if o.Total() == 0 {
			continue
		}
		ran = append(ran, op)
		or := OpReport{Op: op.Name(), Operations: o.Total(), Counts: o.Counts,
			Throughput: res.OpThroughput(op), FirstErrors: append([]string(nil), o.FirstErrors...)}
		var err error
		if or.Service, err = NewLatency(o.Service); err != nil {
			return Run{}, fmt.Errorf("reports: %s service time: %w", op.Name(), err)
		}
		if o.Intended != nil {
			if or.Intended, err = NewLatency(o.Intended); err != nil {
				return Run{}, fmt.Errorf("reports: %s intended latency: %w", op.Name(), err)
			}
		}
		r.Ops = append(r.Ops, or)
	}
	for i := range res.Intervals {
		r.Intervals = append(r.Intervals, newInterval(&res.Intervals[i], ran))
	}
	r.Targets = CheckTargets(res)
	return r, nil
}

// NewLatency summarises h (ns) and encodes it. A nil h gives an empty
// Latency.
func NewLatency(h *hdr.Histogram) (*Latency, error) {
	if h == nil {
		h = measure.NewHistogram()
	}
	enc, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, err
	}
	l := &Latency{HDR: string(enc), h: h}
	l.fill()
	return l, nil
}

// fill computes the summary fields from l.h.
func (l *Latency) fill() {
	h := l.h
	l.Count = h.TotalCount()
	if l.Count == 0 {
		return
	}
	l.MinNS, l.MaxNS = h.Min(), h.Max()
	l.MeanNS, l.StdDevNS = h.Mean(), h.StdDev()
	p := h.ValueAtPercentilesSlice([]float64{50, 90, 95, 99, 99.9, 99.99, 99.999})
	l.P50NS, l.P90NS, l.P95NS, l.P99NS, l.P999NS, l.P9999NS, l.P99999NS = p[0], p[1], p[2], p[3], p[4], p[5], p[6]
}

// Histogram returns the decoded histogram (ns). The caller must not
// modify it; Clone it first.
func (l *Latency) Histogram() (*hdr.Histogram, error) {
	if l.h != nil {
		return l.h, nil
	}
	h, err := decodeHDR(l.HDR)
	if err != nil {
		return nil, err
	}
	l.h = h
	return h, nil
}

// decodeHDR decodes a V2 compressed base64 histogram and checks it has the
// harness's geometry, so it merges exactly with every other one.
func decodeHDR(s string) (h *hdr.Histogram, err error) {
	if s == "" {
		return nil, fmt.Errorf("empty histogram encoding")
	}
	h, err = hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("histogram encoding: %w", err)
	}
	if h.LowestTrackableValue() != measure.LowestNS || h.HighestTrackableValue() != measure.HighestNS ||
		h.SignificantFigures() != measure.SigFigs {
		return nil, fmt.Errorf("histogram geometry %d..%d ns, %d digits; want %d..%d ns, %d digits",
			h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures(),
			measure.LowestNS, measure.HighestNS, measure.SigFigs)
	}
	return h, nil
}

// newInterval summarises one interval for the op types that ran.
func newInterval(iv *measure.Interval, ran []measure.Op) Interval {
	out := Interval{Index: iv.Index, StartNS: int64(iv.Start), EndNS: int64(iv.End)}
	secs := (iv.End - iv.Start).Seconds()
	var all *hdr.PackedHistogram
	var total, errs uint64
	for _, op := range ran {
		o := &iv.Ops[op]
		io := IntervalOp{Op: op.Name(), Operations: o.Total(), Errors: o.Errors}
		if secs > 0 {
			io.Throughput = float64(io.Operations) / secs
		}
		if o.Service != nil && o.Service.TotalCount() > 0 {
			p := o.Service.ValueAtPercentilesSlice([]float64{50, 99, 99.9})
			io.P50NS, io.P99NS, io.P999NS, io.MaxNS = p[0], p[1], p[2], o.Service.Max()
			if all == nil {
				all = o.Service.Clone()
			} else {
				all.Merge(o.Service)
			}
		}
		total += io.Operations
		errs += io.Errors
		out.Ops = append(out.Ops, io)
	}
	io := IntervalOp{Op: Overall, Operations: total, Errors: errs}
	if secs > 0 {
		io.Throughput = float64(total) / secs
	}
	if all != nil && all.TotalCount() > 0 {
		p := all.ValueAtPercentilesSlice([]float64{50, 99, 99.9})
		io.P50NS, io.P99NS, io.P999NS, io.MaxNS = p[0], p[1], p[2], all.Max()
	}
	out.Ops = append(out.Ops, io)
	return out
}

// ConfigDigest returns a short hex digest of what makes two runs
// comparable: backend, phase, threads, engine options text and every
// property except lightning.seed and lightning.target.* (a different seed
// or target does not change what is measured). Two runs with equal
// digests measured the same configuration, possibly on different builds
// or machines.
func ConfigDigest(backend, phase string, threads int, options string, ps []Property) string {
	h := sha256.New()
	fmt.Fprintf(h, "backend=%s\nphase=%s\nthreads=%d\noptions=%q\n", backend, phase, threads, options)
	for _, p := range ps {
		if p.Name == "lightning.seed" || strings.HasPrefix(p.Name, props.TargetPrefix) {
			continue
		}
		fmt.Fprintf(h, "%s=%q\n", p.Name, p.Value)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Op returns the OpReport of the op named name, or nil.
func (r *Run) Op(name string) *OpReport {
	for i := range r.Ops {
		if r.Ops[i].Op == name {
			return &r.Ops[i]
		}
	}
	return nil
}

// Name returns "workload/backend/phase", the run's identity in messages,
// with "#k" appended for repeat k of a repeated run.
func (r *Run) Name() string {
	name := r.Workload + "/" + r.Backend + "/" + r.Phase
	if r.Repeat > 0 {
		name += "#" + itoa(r.Repeat)
	}
	return name
}

// repeatSuffix returns "_r<k>" for repeat k of a repeated run, else "":
// what keeps the files of repeated runs apart.
func (r *Run) repeatSuffix() string {
	if r.Repeat > 0 {
		return "_r" + itoa(r.Repeat)
	}
	return ""
}

// Failed reports whether any target of the run failed.
func (r *Run) Failed() bool {
	for _, t := range r.Targets {
		if !t.Pass {
			return true
		}
	}
	return false
}

// WorkloadName returns the short name of a workload file for reports: its
// base name without a "builtin:" prefix or extension, restricted to
// letters, digits, '-', '_' and '.' so it can name files and benchmarks.
func WorkloadName(file string) string {
	file = strings.TrimPrefix(file, "builtin:")
	base := path.Base(strings.ReplaceAll(file, `\`, "/"))
	if ext := path.Ext(base); ext != "" && ext != base {
		base = strings.TrimSuffix(base, ext)
	}
	return sanitize(base)
}

// sanitize maps s to a name safe in file names and benchmark names.
func sanitize(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 || strings.Trim(b.String(), ".") == "" {
		return "workload"
	}
	return b.String()
}
