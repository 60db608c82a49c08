package compare

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/harness/props"
	"github.com/lightningdb/lightning/harness/stats"
	"github.com/lightningdb/lightning/reports"
)

// Verdict is the outcome of one row.
type Verdict uint8

// The verdicts.
const (
	// NoChange: the difference is not significant, or smaller than the
	// minimum effect.
	NoChange Verdict = iota
	// Regression: significant, at least the minimum effect, and worse
	// (lower throughput or higher latency).
	Regression
	// Improvement: significant, at least the minimum effect, and better.
	Improvement
	// TooFewRuns: with this many runs no outcome could be significant at
	// the chosen alpha (stats.MinPValue >= alpha); nothing is concluded.
	TooFewRuns
)

var verdictNames = [...]string{"no change", "regression", "improvement", "too few runs"}

// String returns "no change", "regression", "improvement" or "too few runs".
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// MarshalText implements encoding.TextMarshaler with String.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: it parses what
// String returns.
func (v *Verdict) UnmarshalText(b []byte) error {
	for i, n := range verdictNames {
		if n == string(b) {
			*v = Verdict(i)
			return nil
		}
	}
	return fmt.Errorf("compare: unknown verdict %q", b)
}

// Overall is the op name of the rows about a run's total throughput, all
// op types together (reports.Overall).
const Overall = reports.Overall

// Summary describes one side's sample of a row.
type Summary struct {
	// N is the number of runs.
	N int `json:"n"`
	// Median is the median of Values.
	Median float64 `json:"median"`
	// Spread is the robust relative spread 1.4826·MAD/Median: about the
	// coefficient of variation for normal data, but not inflated by an
	// outlier run.
	Spread float64 `json:"spread"`
	// Values are the runs' figures, in the order of the files: ops/s,
	// nanoseconds, or in ratio mode the ratio to the reference.
	Values []float64 `json:"values"`
}

// Row compares one metric of one op type of one benchmark.
type Row struct {
	Workload string `json:"workload"`
	Phase    string `json:"phase"`
	Backend  string `json:"backend"`
	// Op is the op type ("read") or Overall.
	Op     string `json:"op"`
	Metric Metric `json:"metric"`
	// Base and New summarise the two sides.
	Base Summary `json:"baseline"`
	New  Summary `json:"new"`
	// Ratio is New.Median/Base.Median; Low and High bound its bootstrap
	// confidence interval.
	Ratio float64 `json:"ratio"`
	Low   float64 `json:"ci_low"`
	High  float64 `json:"ci_high"`
	// P is the two-sided Mann–Whitney p-value; Exact says whether it is
	// exact or the normal approximation.
	P     float64 `json:"p"`
	Exact bool    `json:"p_exact"`
	// Verdict and the reason for it in words.
	Verdict Verdict `json:"verdict"`
	Reason  string  `json:"reason"`
}

// Benchmark returns "workload/phase/backend".
func (r *Row) Benchmark() string { return r.Workload + "/" + r.Phase + "/" + r.Backend }

// Change returns the relative change of the median, Ratio − 1.
func (r *Row) Change() float64 { return r.Ratio - 1 }

// SideInfo describes the inputs of one side.
type SideInfo struct {
	Files []string `json:"files"`
	// Runs counts the runs read (every run of every report).
	Runs int `json:"runs"`
	// Commits and Machines are the distinct builds and machines the runs
	// came from (reports.Machine: commit, CPU model, cores).
	Commits  []string `json:"commits"`
	Machines []string `json:"machines"`
}

// Result is a comparison: one row per benchmark, op type and metric
// measured on both sides, and what could not be compared.
type Result struct {
	// Options are the options in effect, defaults filled in (MinEffect
	// 0 means no minimum).
	Options  Options  `json:"-"`
	Baseline SideInfo `json:"baseline"`
	New      SideInfo `json:"new"`
	// Rows in order of workload, phase (load first), backend, op type
	// (the harness's order, Overall last) and metric.
	Rows []Row `json:"rows"`
	// OnlyBaseline and OnlyNew list the benchmarks and op types
	// ("workload/phase/backend op") measured on one side only.
	OnlyBaseline []string `json:"only_baseline"`
	OnlyNew      []string `json:"only_new"`
	// Notes are warnings worth a reader's attention: runs cut short or
	// with errors, different machines, skipped rows.
	Notes []string `json:"notes"`
}

// Count returns the number of rows with verdict v.
func (r *Result) Count(v Verdict) int {
	n := 0
	for i := range r.Rows {
		if r.Rows[i].Verdict == v {
			n++
		}
	}
	return n
}

// Regressed reports whether any row is a regression: what a CI gate fails
// on.
func (r *Result) Regressed() bool { return r.Count(Regression) > 0 }

// GeoMeanRatio returns the geometric mean of the ratios of the rows of
// metric m, and false if there are none (or a ratio is 0).
func (r *Result) GeoMeanRatio(m Metric) (float64, bool) {
	var rs []float64
	for i := range r.Rows {
		if r.Rows[i].Metric == m {
			rs = append(rs, r.Rows[i].Ratio)
		}
	}
	g := stats.GeoMean(rs)
	return g, !math.IsNaN(g)
}

// RatioMode reports whether the result compares ratios to a reference
// backend.
func (r *Result) RatioMode() bool { return r.Options.Reference != "" }

// benchKey names a benchmark: one workload, phase and backend.
type benchKey struct{ workload, phase, backend string }

func (k benchKey) String() string { return k.workload + "/" + k.phase + "/" + k.backend }

// groupKey names a row.
type groupKey struct {
	benchKey
	op     string
	metric Metric
}

// runConfig is the configuration of one run, for compatibility checks.
type runConfig struct {
	src string // "file run #i"
	cfg map[string]string
}

// sideData is what Compare extracts from one side.
type sideData struct {
	name    string
	samples map[groupKey][]float64
	configs map[benchKey][]runConfig
	info    SideInfo
}

// Compare compares the runs of base (the baseline) with those of next
// (the new build) as the package documentation describes. opts may be
// nil. Sides that measured different configurations give an
// *IncompatibleError (ErrIncompatible); a report Compare cannot use gives
// an error wrapping ErrBadReport; bad options ErrOptions.
func Compare(base, next *Side, opts *Options) (*Result, error) {
	o, err := opts.prepare()
	if err != nil {
		return nil, err
	}
	res := &Result{Options: o}
	b, err := extract("baseline", base, &o, res)
	if err != nil {
		return nil, err
	}
	n, err := extract("new", next, &o, res)
	if err != nil {
		return nil, err
	}
	res.Baseline, res.New = b.info, n.info
	if err := checkCompatible(b, n, o.Reference); err != nil {
		return nil, err
	}
	if !o.RatioModeOn() && !slices.Equal(b.info.Machines, n.info.Machines) {
		res.Notes = append(res.Notes, fmt.Sprintf("baseline and new ran on different machines (%s vs %s): absolute figures may differ for that reason alone; ratio mode (a reference backend) cancels it",
			strings.Join(b.info.Machines, "; "), strings.Join(n.info.Machines, "; ")))
	}

	keys := sortedKeys(b.samples, n.samples)
	only := func(have, lack map[groupKey][]float64) []string {
		seen := map[string]bool{}
		var out []string
		for _, k := range keys {
			if _, ok := lack[k]; ok {
				continue
			}
			if _, ok := have[k]; !ok {
				continue
			}
			if s := k.benchKey.String() + " " + k.op; !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		return out
	}
	res.OnlyBaseline, res.OnlyNew = only(b.samples, n.samples), only(n.samples, b.samples)
	for _, k := range keys {
		bs, ok1 := b.samples[k]
		ns, ok2 := n.samples[k]
		if !ok1 || !ok2 {
			continue
		}
		row, note := compareGroup(k, bs, ns, &o)
		if note != "" {
			res.Notes = append(res.Notes, note)
			continue
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// RatioModeOn reports whether o compares ratios to a reference backend.
func (o *Options) RatioModeOn() bool { return o.Reference != "" }

// sortedKeys returns the union of the keys of a and b in row order.
func sortedKeys(a, b map[groupKey][]float64) []groupKey {
	set := map[groupKey]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	keys := slices.Collect(maps.Keys(set))
	slices.SortFunc(keys, func(x, y groupKey) int {
		return cmp.Or(
			cmp.Compare(x.workload, y.workload),
			cmp.Compare(phaseOrder(x.phase), phaseOrder(y.phase)),
			cmp.Compare(x.phase, y.phase),
			cmp.Compare(x.backend, y.backend),
			cmp.Compare(opOrder(x.op), opOrder(y.op)),
			cmp.Compare(x.op, y.op),
			cmp.Compare(x.metric, y.metric))
	})
	return keys
}

func phaseOrder(p string) int {
	if p == "load" {
		return 0
	}
	return 1
}

// opOrder orders op types as the harness does, Overall last.
func opOrder(op string) int {
	if o, ok := measure.ParseOp(op); ok {
		return int(o)
	}
	return measure.NumOps
}

// extract reads one side's samples and run configurations.
func extract(name string, s *Side, o *Options, res *Result) (*sideData, error) {
	if s == nil || len(s.Reports) == 0 {
		return nil, fmt.Errorf("%w: %s side has no reports", ErrNoReports, name)
	}
	d := &sideData{name: name, samples: map[groupKey][]float64{}, configs: map[benchKey][]runConfig{}}
	d.info.Files = append([]string(nil), s.Files...)
	if o.RatioModeOn() {
		backends := map[string]bool{}
		for _, rep := range s.Reports {
			for j := range rep.Runs {
				backends[rep.Runs[j].Backend] = true
			}
		}
		if !backends[o.Reference] {
			return nil, fmt.Errorf("%w: %s has no run of the reference backend %q (it has %s)",
				ErrBadReport, name, o.Reference, strings.Join(slices.Sorted(maps.Keys(backends)), ", "))
		}
	}
	commits, machines := map[string]bool{}, map[string]bool{}
	cut, failed := 0, 0
	for i, rep := range s.Reports {
		file := fmt.Sprintf("report #%d", i+1)
		if i < len(s.Files) {
			file = s.Files[i]
		}
		if rep == nil {
			return nil, fmt.Errorf("%w: %s is nil", ErrBadReport, file)
		}
		commit := rep.Machine.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if commit == "" {
			commit = "(unknown commit)"
		}
		if rep.Machine.Modified {
			commit += "+modified"
		}
		commits[commit] = true
		machines[machineString(rep)] = true
		for j := range rep.Runs {
			r := &rep.Runs[j]
			k := benchKey{r.Workload, r.Phase, r.Backend}
			d.configs[k] = append(d.configs[k], runConfig{fmt.Sprintf("%s run #%d", file, j+1), configOf(r)})
			d.info.Runs++
			if !r.Complete {
				cut++
			}
			if r.Counts.Errors > 0 {
				failed++
			}
		}
		var err error
		if o.RatioModeOn() {
			err = d.addRatios(file, rep, o, res)
		} else {
			err = d.addAbsolute(file, rep, o)
		}
		if err != nil {
			return nil, err
		}
	}
	d.info.Commits = slices.Sorted(maps.Keys(commits))
	d.info.Machines = slices.Sorted(maps.Keys(machines))
	if cut > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: %d of %d runs stopped early (incomplete)", name, cut, d.info.Runs))
	}
	if failed > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%s: %d of %d runs had operations that returned errors", name, failed, d.info.Runs))
	}
	return d, nil
}

func machineString(rep *reports.Report) string {
	m := rep.Machine
	cpu := m.CPUModel
	if cpu == "" {
		cpu = "unknown CPU"
	}
	return fmt.Sprintf("%s, %d cores, GOMAXPROCS %d", cpu, m.Cores, m.GOMAXPROCS)
}

// metricValue returns metric m of op (nil for Overall: the run's total
// throughput) of r, and whether r has it.
func metricValue(r *reports.Run, op *reports.OpReport, m Metric) (float64, bool) {
	if op == nil {
		return r.Throughput, m == Throughput
	}
	switch m {
	case Throughput:
		return op.Throughput, true
	case P50:
		return float64(op.Service.P50NS), true
	case P99:
		return float64(op.Service.P99NS), true
	case P999:
		return float64(op.Service.P999NS), true
	}
	return 0, false
}

// eachValue calls fn for every (op, metric) figure of r: each op's
// metrics, then Overall's throughput.
func eachValue(r *reports.Run, metrics []Metric, fn func(op string, m Metric, v float64) error) error {
	for i := range r.Ops {
		op := &r.Ops[i]
		if op.Service == nil {
			return fmt.Errorf("op %s has no service time", op.Op)
		}
		for _, m := range metrics {
			if v, ok := metricValue(r, op, m); ok {
				if err := fn(op.Op, m, v); err != nil {
					return err
				}
			}
		}
	}
	for _, m := range metrics {
		if v, ok := metricValue(r, nil, m); ok {
			if err := fn(Overall, m, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkValue rejects figures no run can have measured.
func checkValue(op string, m Metric, v float64) error {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("op %s: %s %v is not a measurement", op, m, v)
	}
	return nil
}

// addAbsolute adds every run's figures as samples of their rows.
func (d *sideData) addAbsolute(file string, rep *reports.Report, o *Options) error {
	for j := range rep.Runs {
		r := &rep.Runs[j]
		k := benchKey{r.Workload, r.Phase, r.Backend}
		err := eachValue(r, o.Metrics, func(op string, m Metric, v float64) error {
			if err := checkValue(op, m, v); err != nil {
				return err
			}
			g := groupKey{k, op, m}
			d.samples[g] = append(d.samples[g], v)
			return nil
		})
		if err != nil {
			return fmt.Errorf("%w: %s run #%d (%s): %v", ErrBadReport, file, j+1, r.Name(), err)
		}
	}
	return nil
}

// addRatios adds, for every run of a backend other than the reference,
// its figures divided by those of the reference's run of the same
// workload and phase in the same report, runs paired in order.
func (d *sideData) addRatios(file string, rep *reports.Report, o *Options, res *Result) error {
	type wp struct{ workload, phase string }
	refs := map[wp][]*reports.Run{}
	others := map[benchKey][]*reports.Run{}
	var order []benchKey
	for j := range rep.Runs {
		r := &rep.Runs[j]
		if r.Backend == o.Reference {
			refs[wp{r.Workload, r.Phase}] = append(refs[wp{r.Workload, r.Phase}], r)
			continue
		}
		k := benchKey{r.Workload, r.Phase, r.Backend}
		if others[k] == nil {
			order = append(order, k)
		}
		others[k] = append(others[k], r)
	}
	for _, k := range order {
		runs, ref := others[k], refs[wp{k.workload, k.phase}]
		if len(ref) == 0 {
			return fmt.Errorf("%w: %s: ratio mode needs a run of the reference backend %q for %s/%s in the same report, and it has none",
				ErrBadReport, file, o.Reference, k.workload, k.phase)
		}
		if len(ref) != len(runs) {
			return fmt.Errorf("%w: %s: %d runs of %s but %d of the reference %s/%s/%s; ratio mode pairs them in order",
				ErrBadReport, file, len(runs), k, len(ref), k.workload, k.phase, o.Reference)
		}
		for i, r := range runs {
			refVals := map[string]float64{}
			err := eachValue(ref[i], o.Metrics, func(op string, m Metric, v float64) error {
				refVals[op+" "+m.String()] = v
				return checkValue(op, m, v)
			})
			if err != nil {
				return fmt.Errorf("%w: %s: reference run %s: %v", ErrBadReport, file, ref[i].Name(), err)
			}
			err = eachValue(r, o.Metrics, func(op string, m Metric, v float64) error {
				if err := checkValue(op, m, v); err != nil {
					return err
				}
				rv, ok := refVals[op+" "+m.String()]
				switch {
				case !ok:
					res.Notes = appendOnce(res.Notes, fmt.Sprintf("%s %s: no %s %s in the reference %s to divide by; skipped", k, op, op, m, o.Reference))
					return nil
				case rv == 0:
					res.Notes = appendOnce(res.Notes, fmt.Sprintf("%s %s %s: the reference %s measured 0; skipped", k, op, m, o.Reference))
					return nil
				}
				g := groupKey{k, op, m}
				d.samples[g] = append(d.samples[g], v/rv)
				return nil
			})
			if err != nil {
				return fmt.Errorf("%w: %s: run %s: %v", ErrBadReport, file, r.Name(), err)
			}
		}
	}
	return nil
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// configOf returns what must be equal for two runs of a benchmark to be
// comparable: threads, each engine option, and every workload property
// except lightning.seed and lightning.target.* (as reports.ConfigDigest).
func configOf(r *reports.Run) map[string]string {
	m := map[string]string{"threads": strconv.Itoa(r.Threads)}
	for _, line := range strings.Split(r.Options, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "[") || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		m["option "+strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	for _, p := range r.Properties {
		if p.Name == "lightning.seed" || strings.HasPrefix(p.Name, props.TargetPrefix) {
			continue
		}
		m[p.Name] = p.Value
	}
	return m
}

// diffConfig returns the keys whose values differ between a and b.
func diffConfig(a, b map[string]string) []KeyDiff {
	var out []KeyDiff
	for _, k := range slices.Sorted(maps.Keys(a)) {
		bv, ok := b[k]
		if !ok {
			out = append(out, KeyDiff{k, show(a[k]), "(unset)"})
		} else if a[k] != bv {
			out = append(out, KeyDiff{k, show(a[k]), show(bv)})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok {
			out = append(out, KeyDiff{k, "(unset)", show(b[k])})
		}
	}
	slices.SortFunc(out, func(x, y KeyDiff) int { return cmp.Compare(x.Key, y.Key) })
	return out
}

func show(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

// checkCompatible refuses sides whose runs of one benchmark differ in
// configuration, within a side or across the two, and sides without a
// benchmark in common (other than the reference backend's, in ratio
// mode).
func checkCompatible(b, n *sideData, reference string) error {
	e := &IncompatibleError{}
	for _, d := range []*sideData{b, n} {
		for _, k := range sortedBench(d.configs) {
			cs := d.configs[k]
			for _, c := range cs[1:] {
				if diffs := diffConfig(cs[0].cfg, c.cfg); len(diffs) > 0 {
					e.Mismatches = append(e.Mismatches, Mismatch{k.String(),
						fmt.Sprintf("runs of %s (%s and %s)", d.name, cs[0].src, c.src), diffs})
					break
				}
			}
		}
	}
	common := 0
	for _, k := range sortedBench(b.configs) {
		nc, ok := n.configs[k]
		if !ok {
			continue
		}
		if reference == "" || k.backend != reference {
			common++
		}
		if diffs := diffConfig(b.configs[k][0].cfg, nc[0].cfg); len(diffs) > 0 {
			e.Mismatches = append(e.Mismatches, Mismatch{k.String(), "baseline and new", diffs})
		}
	}
	if common == 0 {
		e.NothingInCommon = true
		for _, k := range sortedBench(b.configs) {
			e.Baseline = append(e.Baseline, k.String())
		}
		for _, k := range sortedBench(n.configs) {
			e.New = append(e.New, k.String())
		}
	}
	if len(e.Mismatches) > 0 || e.NothingInCommon {
		return e
	}
	return nil
}

func sortedBench(m map[benchKey][]runConfig) []benchKey {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(x, y benchKey) int {
		return cmp.Or(cmp.Compare(x.workload, y.workload), cmp.Compare(phaseOrder(x.phase), phaseOrder(y.phase)),
			cmp.Compare(x.phase, y.phase), cmp.Compare(x.backend, y.backend))
	})
	return keys
}

// summarize returns the Summary of xs (non-empty).
func summarize(xs []float64) Summary {
	s := Summary{N: len(xs), Median: stats.Median(xs), Values: slices.Clone(xs)}
	if s.Median > 0 {
		s.Spread = 1.4826 * stats.MAD(xs) / s.Median
	}
	return s
}

// compareGroup computes the row of k, or returns a note saying why it
// cannot.
func compareGroup(k groupKey, bs, ns []float64, o *Options) (Row, string) {
	row := Row{Workload: k.workload, Phase: k.phase, Backend: k.backend, Op: k.op, Metric: k.metric,
		Base: summarize(bs), New: summarize(ns)}
	name := fmt.Sprintf("%s %s %s", k.benchKey, k.op, k.metric)
	if slices.Contains(bs, 0) {
		return row, fmt.Sprintf("%s: a baseline run measured 0, so no ratio; skipped", name)
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	iv, err := stats.BootstrapRatio(bs, ns, stats.BootstrapOptions{Resamples: o.Resamples, Confidence: o.Confidence, Seed: o.Seed ^ h.Sum64()})
	if err != nil {
		return row, fmt.Sprintf("%s: %v; skipped", name, err)
	}
	mw, err := stats.MannWhitney(bs, ns)
	if err != nil {
		return row, fmt.Sprintf("%s: %v; skipped", name, err)
	}
	row.Ratio, row.Low, row.High = iv.Estimate, iv.Low, iv.High
	row.P, row.Exact = mw.P, mw.Exact
	row.Verdict, row.Reason = verdict(row.Ratio, mw.P, len(bs), len(ns), k.metric.HigherIsBetter(), o)
	return row, ""
}

// verdict decides a row: too few runs to be significant at all; not
// significant; significant but below the minimum effect; or a regression
// or improvement depending on the metric's direction.
func verdict(ratio, p float64, n1, n2 int, higherBetter bool, o *Options) (Verdict, string) {
	if minP := stats.MinPValue(n1, n2); minP >= o.Alpha {
		need := stats.MinRuns(o.Alpha)
		return TooFewRuns, fmt.Sprintf("%d vs %d runs cannot reach p < %s (smallest possible p %s); need at least %d runs a side",
			n1, n2, fmtG(o.Alpha), fmtG(minP), need)
	}
	if p >= o.Alpha {
		return NoChange, fmt.Sprintf("not significant: p = %s >= %s", fmtG(p), fmtG(o.Alpha))
	}
	change := ratio - 1
	if change == 0 {
		return NoChange, fmt.Sprintf("significant (p = %s) but the medians are equal", fmtG(p))
	}
	if math.Abs(change) < o.MinEffect {
		return NoChange, fmt.Sprintf("significant (p = %s) but %+.1f%% is below the %s minimum effect", fmtG(p), 100*change, fmtPct(o.MinEffect))
	}
	if (change > 0) == higherBetter {
		return Improvement, fmt.Sprintf("%+.1f%%, p = %s", 100*change, fmtG(p))
	}
	return Regression, fmt.Sprintf("%+.1f%%, p = %s", 100*change, fmtG(p))
}

// fmtG formats a probability or level with up to 3 significant digits.
func fmtG(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }

// fmtPct formats a fraction as a percentage: 0.05 is "5%".
func fmtPct(v float64) string { return strconv.FormatFloat(100*v, 'g', 3, 64) + "%" }
