package props

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/harness/measure"
)

// Workload is a resolved, validated workload: every property typed, every
// default filled in. Build it with Set.Workload. The harness reads only
// this struct; Props keeps the text for reports.
type Workload struct {
	RecordCount      int64         // recordcount
	OperationCount   int64         // operationcount; 0 = until MaxExecutionTime
	ThreadCount      int           // threadcount
	Target           float64       // target, ops/s over all threads; 0 = closed loop
	MaxExecutionTime time.Duration // maxexecutiontime; 0 = no limit
	InsertStart      int64         // insertstart
	InsertCount      int64         // insertcount (default RecordCount-InsertStart)
	OrderedInserts   bool          // insertorder=ordered
	ZeroPadding      int           // zeropadding

	// Proportions of run operations by op type; they sum to 1.
	Proportions [measure.NumOps]float64

	RequestDistribution   string  // requestdistribution
	HotspotDataFraction   float64 // hotspotdatafraction
	HotspotOpnFraction    float64 // hotspotopnfraction
	ExponentialPercentile float64 // exponential.percentile
	ExponentialFrac       float64 // exponential.frac

	FieldCount              int    // fieldcount
	FieldLength             int    // fieldlength
	MinFieldLength          int    // minfieldlength
	FieldLengthDistribution string // fieldlengthdistribution
	FieldNamePrefix         string // fieldnameprefix
	ReadAllFields           bool   // readallfields (no effect: a record is one value)
	WriteAllFields          bool   // writeallfields (no effect: updates write whole records)

	MinScanLength          int    // minscanlength
	MaxScanLength          int    // maxscanlength
	ScanLengthDistribution string // scanlengthdistribution

	ValueSize       int           // lightning.valuesize; 0 = YCSB fields
	ZipfianConstant float64       // lightning.zipfian.constant
	Warmup          time.Duration // lightning.warmup
	Interval        time.Duration // lightning.interval
	KeyFormat       string        // lightning.keyformat: "ycsb" or "compact"
	KeyPrefix       string        // lightning.keyprefix
	Sync            bool          // lightning.sync
	Seed            uint64        // lightning.seed; 0 = from the clock

	// EngineOptions holds lightning.option.<name>=value by name.
	EngineOptions map[string]string
	// Targets are the lightning.target.* declarations, sorted by property.
	Targets []Target

	// Props is the Set the workload was resolved from.
	Props *Set
}

// Target is one declared throughput or latency target.
type Target struct {
	// Op is an op name (measure.Op.Name) or "overall".
	Op string
	// Percentile is 0 for a throughput target, else the latency
	// percentile (99 for p99, 99.9 for p99.9).
	Percentile float64
	// MinOpsPerSec is the throughput to reach (Percentile == 0).
	MinOpsPerSec float64
	// MaxLatency is the latency not to exceed at Percentile.
	MaxLatency time.Duration
	// Property is the property that declared it; Source where.
	Property string
	Source   Source
}

// String renders the target as "read ops >= 14400000/s" or
// "read p99 <= 1ms".
func (t Target) String() string {
	if t.Percentile == 0 {
		return fmt.Sprintf("%s ops >= %s/s", t.Op, strconv.FormatFloat(t.MinOpsPerSec, 'f', -1, 64))
	}
	return fmt.Sprintf("%s p%s <= %v", t.Op, strconv.FormatFloat(t.Percentile, 'f', -1, 64), t.MaxLatency)
}

// EngineOpts returns engine options built from the lightning.option.*
// properties on top of base (nil = engine defaults): names with a dot go
// to Options.Extra, the others are engine.Options fields as
// engine.Options.String spells them. The result is a fresh value.
func (w *Workload) EngineOpts(base *engine.Options) (*engine.Options, error) {
	o := base.Clone()
	var text strings.Builder
	text.WriteString("[Options]\n")
	for k, v := range w.EngineOptions {
		if strings.Contains(k, ".") {
			if o.Extra == nil {
				o.Extra = map[string]string{}
			}
			o.Extra[k] = v
		} else {
			fmt.Fprintf(&text, "%s=%s\n", k, v)
		}
	}
	p, err := engine.ParseOptions(text.String())
	if err != nil {
		return nil, err
	}
	// Copy only the fields the properties set (ParseOptions leaves the
	// others zero, and zero means "default" in engine.Options).
	for k := range w.EngineOptions {
		switch k {
		case "cache_size":
			o.CacheSize = p.CacheSize
		case "checksum":
			o.Checksum = p.Checksum
		case "compression":
			o.Compression = p.Compression
		case "max_key_size":
			o.MaxKeySize = p.MaxKeySize
		case "max_value_size":
			o.MaxValueSize = p.MaxValueSize
		case "memtable_size":
			o.MemTableSize = p.MemTableSize
		case "read_only":
			o.ReadOnly = p.ReadOnly
		case "wal_segment_size":
			o.WALSegmentSize = p.WALSegmentSize
		}
	}
	return o, nil
}

// Workload resolves and validates the set properties: defaults filled in,
// values typed, and the cross-property rules checked (proportions sum to
// 1 within 1e-9; insertstart+insertcount <= recordcount; scan and field
// length bounds ordered; fractions in range...). Errors are *Error values
// naming the property at fault and where it was set.
func (s *Set) Workload() (*Workload, error) {
	r := resolver{s: s}
	w := &Workload{Props: s.Clone(), EngineOptions: map[string]string{}}

	w.RecordCount = r.int("recordcount")
	w.OperationCount = r.int("operationcount")
	w.ThreadCount = int(r.int("threadcount"))
	w.Target = r.float("target")
	w.MaxExecutionTime = time.Duration(r.int("maxexecutiontime")) * time.Second
	w.InsertStart = r.int("insertstart")
	w.OrderedInserts = r.str("insertorder") == "ordered"
	w.ZeroPadding = int(r.int("zeropadding"))
	for _, op := range measure.Ops() {
		w.Proportions[op] = r.float(proportionProp(op))
	}
	w.RequestDistribution = r.str("requestdistribution")
	w.HotspotDataFraction = r.float("hotspotdatafraction")
	w.HotspotOpnFraction = r.float("hotspotopnfraction")
	w.ExponentialPercentile = r.float("exponential.percentile")
	w.ExponentialFrac = r.float("exponential.frac")
	w.FieldCount = int(r.int("fieldcount"))
	w.FieldLength = int(r.int("fieldlength"))
	w.MinFieldLength = int(r.int("minfieldlength"))
	w.FieldLengthDistribution = r.str("fieldlengthdistribution")
	w.FieldNamePrefix = r.str("fieldnameprefix")
	w.ReadAllFields = r.bool("readallfields")
	w.WriteAllFields = r.bool("writeallfields")
	w.MinScanLength = int(r.int("minscanlength"))
	w.MaxScanLength = int(r.int("maxscanlength"))
	w.ScanLengthDistribution = r.str("scanlengthdistribution")
	w.ValueSize = int(r.int("lightning.valuesize"))
	w.ZipfianConstant = r.float("lightning.zipfian.constant")
	w.Warmup = r.duration("lightning.warmup")
	w.Interval = r.duration("lightning.interval")
	w.KeyFormat = r.str("lightning.keyformat")
	w.KeyPrefix = r.str("lightning.keyprefix")
	w.Sync = r.bool("lightning.sync")
	w.Seed = uint64(r.int("lightning.seed"))
	for _, v := range s.Resolved() {
		if opt, ok := strings.CutPrefix(v.Name, OptionPrefix); ok {
			w.EngineOptions[opt] = v.Value
		}
		if t, ok := strings.CutPrefix(v.Name, TargetPrefix); ok {
			tg, _ := parseTarget(t, v.Value)
			tg.Property, tg.Source = v.Name, v.Source
			w.Targets = append(w.Targets, tg)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if s.IsSet("insertcount") {
		w.InsertCount = r.int("insertcount")
	} else {
		w.InsertCount = w.RecordCount - w.InsertStart
	}

	// Cross-property rules, each reported at the property to fix.
	switch {
	case w.RecordCount < 1:
		return nil, r.bad("recordcount", "must be at least 1 (YCSB's 0, meaning 2^31-1 keys, is not supported)")
	case w.InsertStart > w.RecordCount:
		return nil, r.bad("insertstart", fmt.Sprintf("%d is past recordcount %d", w.InsertStart, w.RecordCount))
	case w.InsertStart+w.InsertCount > w.RecordCount:
		return nil, r.bad("insertcount", fmt.Sprintf("insertstart %d + insertcount %d exceeds recordcount %d",
			w.InsertStart, w.InsertCount, w.RecordCount))
	case w.InsertCount < 1:
		return nil, r.bad("insertcount", "must be at least 1")
	case w.ThreadCount < 1 || w.ThreadCount > 4096:
		return nil, r.bad("threadcount", "must be in [1, 4096]")
	case w.ZeroPadding > 64:
		return nil, r.bad("zeropadding", "must be at most 64")
	case w.HotspotDataFraction > 1:
		return nil, r.bad("hotspotdatafraction", "must be in [0, 1]")
	case w.HotspotOpnFraction > 1:
		return nil, r.bad("hotspotopnfraction", "must be in [0, 1]")
	case w.ExponentialPercentile <= 0 || w.ExponentialPercentile >= 100:
		return nil, r.bad("exponential.percentile", "must be in (0, 100)")
	case w.ExponentialFrac <= 0:
		return nil, r.bad("exponential.frac", "must be positive")
	case w.ValueSize == 0 && w.FieldCount < 1:
		return nil, r.bad("fieldcount", "must be at least 1 (or set lightning.valuesize)")
	case w.ValueSize == 0 && w.FieldCount > 1<<16:
		return nil, r.bad("fieldcount", "must be at most 65536")
	case w.FieldLength > 1<<26:
		return nil, r.bad("fieldlength", "must be at most 64 MiB")
	case w.FieldLengthDistribution != "constant" && w.MinFieldLength > w.FieldLength:
		return nil, r.bad("minfieldlength", fmt.Sprintf("%d exceeds fieldlength %d", w.MinFieldLength, w.FieldLength))
	case w.FieldLengthDistribution == "zipfian" && w.MinFieldLength == w.FieldLength:
		return nil, r.bad("minfieldlength", "zipfian field lengths need minfieldlength < fieldlength")
	case w.MinScanLength < 1:
		return nil, r.bad("minscanlength", "must be at least 1")
	case w.MinScanLength > w.MaxScanLength:
		return nil, r.bad("maxscanlength", fmt.Sprintf("%d is below minscanlength %d", w.MaxScanLength, w.MinScanLength))
	case w.ScanLengthDistribution == "zipfian" && w.MinScanLength == w.MaxScanLength:
		return nil, r.bad("maxscanlength", "zipfian scan lengths need minscanlength < maxscanlength")
	case w.ValueSize > 1<<30:
		return nil, r.bad("lightning.valuesize", "must be at most 1 GiB")
	case w.ZipfianConstant <= 0 || w.ZipfianConstant >= 1:
		return nil, r.bad("lightning.zipfian.constant", "must be in (0, 1) (Gray et al.'s algorithm)")
	case w.Interval < time.Millisecond:
		return nil, r.bad("lightning.interval", "must be at least 1ms")
	case w.KeyPrefix == "" && w.KeyFormat == "ycsb" && w.ZeroPadding == 0:
		return nil, r.bad("lightning.keyprefix", "empty prefix with zeropadding 0 can make an empty key")
	}
	sum := 0.0
	for _, p := range w.Proportions {
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		var terms []string
		var last Value
		for _, op := range measure.Ops() {
			name := proportionProp(op)
			v, _ := s.Get(name)
			tag := ""
			if !s.IsSet(name) {
				tag = " (default)"
			} else if v.seq > last.seq {
				last = v
			}
			if w.Proportions[op] != 0 || !s.IsSet(name) {
				terms = append(terms, fmt.Sprintf("%s %g%s", name, w.Proportions[op], tag))
			}
		}
		return nil, &Error{File: last.Source.File, Line: last.Source.Line, Property: last.Name, Err: ErrProportions,
			Reason: fmt.Sprintf("operation proportions sum to %g, not 1: %s", sum, strings.Join(terms, " + "))}
	}
	if _, err := w.EngineOpts(nil); err != nil {
		return nil, &Error{Reason: err.Error(), Err: ErrBadValue}
	}
	return w, nil
}

// proportionProp returns the property holding op's proportion.
func proportionProp(op measure.Op) string { return op.Name() + "proportion" }

// resolver reads typed values from a Set; values were checked at Set
// time, so parse failures only come from defaults (a bug) and are kept as
// the first error.
type resolver struct {
	s   *Set
	err error
}

func (r *resolver) raw(name string) Value {
	v, ok := r.s.Get(name)
	if !ok && r.err == nil {
		r.err = &Error{Property: name, Reason: "internal: undefined property", Err: ErrUnknownProperty}
	}
	return v
}

func (r *resolver) bad(name, reason string) error {
	v, _ := r.s.Get(name)
	return &Error{File: v.Source.File, Line: v.Source.Line, Property: name, Value: v.Value, Reason: reason, Err: ErrBadValue}
}

func (r *resolver) note(name string, err error) {
	if err != nil && r.err == nil {
		r.err = r.bad(name, err.Error())
	}
}

func (r *resolver) int(name string) int64 {
	n, err := strconv.ParseUint(r.raw(name).Value, 10, 63)
	r.note(name, err)
	return int64(n)
}

func (r *resolver) float(name string) float64 {
	f, err := strconv.ParseFloat(r.raw(name).Value, 64)
	r.note(name, err)
	return f
}

func (r *resolver) bool(name string) bool { return strings.EqualFold(r.raw(name).Value, "true") }

func (r *resolver) str(name string) string { return r.raw(name).Value }

func (r *resolver) duration(name string) time.Duration {
	d, err := parseDuration(r.raw(name).Value)
	r.note(name, err)
	return d
}

// parseDuration accepts a Go duration or a plain number of seconds.
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f != f || f > 1e9 {
			return 0, errors.New("want a non-negative duration")
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New(`want a duration like "10s" or "250ms", or a number of seconds`)
	}
	return d, nil
}

// checkOption returns "" if name=value is a valid engine option.
func checkOption(name, value string) string {
	if name == "" {
		return "empty engine option name"
	}
	o := &engine.Options{}
	if strings.Contains(name, ".") {
		o.Extra = map[string]string{name: value}
	} else {
		p, err := engine.ParseOptions("[Options]\n" + name + "=" + value + "\n")
		if err != nil {
			return err.Error()
		}
		o = p
	}
	if err := o.EnsureDefaults().Validate(); err != nil {
		return err.Error()
	}
	return ""
}

// parseTarget parses the part after "lightning.target." and the value.
func parseTarget(rest, value string) (Target, string) {
	op, metric, ok := strings.Cut(rest, ".")
	if !ok || !opNameOK(op) {
		return Target{}, `want lightning.target.<op>.ops or lightning.target.<op>.p<N>, <op> one of read, update, insert, scan, readmodifywrite, overall`
	}
	t := Target{Op: op}
	switch {
	case metric == "ops":
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || f <= 0 || f > 1e15 || f != f {
			return t, fmt.Sprintf("bad value %q: want a positive number of operations per second", clip(value))
		}
		t.MinOpsPerSec = f
	case strings.HasPrefix(metric, "p"):
		p, err := strconv.ParseFloat(metric[1:], 64)
		if err != nil || p <= 0 || p >= 100 || strings.ContainsAny(metric[1:], "eE+-") {
			return t, fmt.Sprintf("bad percentile %q: want p<N> with 0 < N < 100, like p99 or p99.9", metric)
		}
		d, derr := parseDuration(value)
		if derr != nil || d <= 0 {
			return t, fmt.Sprintf("bad value %q: want a positive latency like 1ms", clip(value))
		}
		t.Percentile, t.MaxLatency = p, d
	default:
		return t, fmt.Sprintf("unknown target metric %q: want ops or p<N>", metric)
	}
	return t, ""
}
