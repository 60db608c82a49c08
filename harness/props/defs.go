package props

// Type is the syntax a property's value must have.
type Type uint8

// Property value types.
const (
	// String accepts any text.
	String Type = iota
	// Int accepts a non-negative base-10 integer.
	Int
	// Float accepts a non-negative decimal number.
	Float
	// Bool accepts true or false (any case).
	Bool
	// Enum accepts one of Def.Enum.
	Enum
	// Duration accepts a Go duration ("1.5s", "200ms") or a plain number
	// of seconds.
	Duration
)

// String names the type for listings ("int", "duration").
func (t Type) String() string {
	return [...]string{"string", "int", "float", "bool", "enum", "duration"}[t]
}

// Def describes one known property: its name, YCSB's (or Lightning's)
// default as text, the syntax of its value and what it means.
type Def struct {
	Name    string
	Default string // "" when the default is computed (see Doc)
	Type    Type
	Enum    []string // allowed values of an Enum
	Doc     string
}

// Lightning reports whether the property is Lightning's own (lightning.*).
func (d Def) Lightning() bool { return len(d.Name) > 10 && d.Name[:10] == "lightning." }

// YCSB's core-workload properties with YCSB's defaults (site.ycsb.Client,
// site.ycsb.workloads.CoreWorkload, site.ycsb.generator.ExponentialGenerator),
// then Lightning's. The order is the order of listings and of Set.String.
var defs = []Def{
	{Name: "workload", Default: "site.ycsb.workloads.CoreWorkload", Type: Enum,
		Enum: []string{"site.ycsb.workloads.CoreWorkload", "com.yahoo.ycsb.workloads.CoreWorkload"},
		Doc:  "workload class; only YCSB's core workload exists here"},
	{Name: "recordcount", Default: "0", Type: Int,
		Doc: "records loaded by the load phase and addressed by the run phase; must be set (YCSB's 0 is rejected)"},
	{Name: "operationcount", Default: "0", Type: Int,
		Doc: "operations of the run phase, split over the threads; 0 = until maxexecutiontime"},
	{Name: "threadcount", Default: "1", Type: Int, Doc: "worker goroutines, each with its own generators and histograms"},
	{Name: "target", Default: "0", Type: Float,
		Doc: "open-loop rate in operations per second over all threads; 0 = as fast as possible (closed loop)"},
	{Name: "maxexecutiontime", Default: "0", Type: Int,
		Doc: "stop the phase after this many seconds (warm-up included); 0 = no limit"},
	{Name: "insertstart", Default: "0", Type: Int, Doc: "first key number the load phase inserts and requests address"},
	{Name: "insertcount", Default: "", Type: Int,
		Doc: "records the load phase inserts; default recordcount - insertstart"},
	{Name: "insertorder", Default: "hashed", Type: Enum, Enum: []string{"hashed", "ordered"},
		Doc: "hashed: key = prefix + FNV-64(keynum); ordered: key = prefix + keynum"},
	{Name: "zeropadding", Default: "1", Type: Int, Doc: "pad the key's number with zeros to at least this many digits"},
	{Name: "readproportion", Default: "0.95", Type: Float, Doc: "fraction of run operations that are reads"},
	{Name: "updateproportion", Default: "0.05", Type: Float, Doc: "fraction of run operations that are updates"},
	{Name: "insertproportion", Default: "0.0", Type: Float, Doc: "fraction of run operations that are inserts"},
	{Name: "scanproportion", Default: "0.0", Type: Float, Doc: "fraction of run operations that are scans"},
	{Name: "readmodifywriteproportion", Default: "0.0", Type: Float,
		Doc: "fraction of run operations that are read-modify-writes"},
	{Name: "requestdistribution", Default: "uniform", Type: Enum,
		Enum: []string{"uniform", "zipfian", "latest", "hotspot", "sequential", "exponential"},
		Doc:  "how run operations pick their key"},
	{Name: "hotspotdatafraction", Default: "0.2", Type: Float, Doc: "hotspot: fraction of keys that are hot"},
	{Name: "hotspotopnfraction", Default: "0.8", Type: Float, Doc: "hotspot: fraction of operations on hot keys"},
	{Name: "exponential.percentile", Default: "95", Type: Float,
		Doc: "exponential: percent of operations that fall in the newest exponential.frac of the keys"},
	{Name: "exponential.frac", Default: "0.8571428571", Type: Float,
		Doc: "exponential: fraction of the keys that exponential.percentile of operations address"},
	{Name: "fieldcount", Default: "10", Type: Int, Doc: "fields per record (ignored with lightning.valuesize)"},
	{Name: "fieldlength", Default: "100", Type: Int, Doc: "field length in bytes (maximum for uniform and zipfian)"},
	{Name: "minfieldlength", Default: "1", Type: Int, Doc: "minimum field length for uniform and zipfian"},
	{Name: "fieldlengthdistribution", Default: "constant", Type: Enum, Enum: []string{"constant", "uniform", "zipfian"},
		Doc: "distribution of field lengths"},
	{Name: "fieldnameprefix", Default: "field", Type: String, Doc: "field names are this prefix + the field index"},
	{Name: "readallfields", Default: "true", Type: Bool,
		Doc: "YCSB: read all fields; here a record is one value and a read always returns all of it"},
	{Name: "writeallfields", Default: "false", Type: Bool,
		Doc: "YCSB: update all fields; here an update always writes a whole new record"},
	{Name: "minscanlength", Default: "1", Type: Int, Doc: "shortest scan, in records"},
	{Name: "maxscanlength", Default: "1000", Type: Int, Doc: "longest scan, in records"},
	{Name: "scanlengthdistribution", Default: "uniform", Type: Enum, Enum: []string{"uniform", "zipfian"},
		Doc: "distribution of scan lengths between minscanlength and maxscanlength"},
	{Name: "dataintegrity", Default: "false", Type: Bool, Doc: "YCSB's value verification; only false is supported"},

	{Name: "lightning.valuesize", Default: "0", Type: Int,
		Doc: "when > 0: each record is one value of this many bytes instead of fieldcount fields"},
	{Name: "lightning.zipfian.constant", Default: "0.99", Type: Float,
		Doc: "skew (theta) of zipfian, latest and zipfian lengths; in (0, 1)"},
	{Name: "lightning.warmup", Default: "0s", Type: Duration,
		Doc: "run operations for this long before measuring; warm-up operations are counted apart"},
	{Name: "lightning.interval", Default: "1s", Type: Duration,
		Doc: "length of one measurement interval of the time series"},
	{Name: "lightning.keyformat", Default: "ycsb", Type: Enum, Enum: []string{"ycsb", "compact"},
		Doc: "ycsb: prefix + decimal number, byte-for-byte as YCSB; compact: prefix + 8-byte big-endian number"},
	{Name: "lightning.keyprefix", Default: "user", Type: String, Doc: "prefix of every key (YCSB: user)"},
	{Name: "lightning.sync", Default: "false", Type: Bool, Doc: "writes use WriteOptions{Sync: true}"},
	{Name: "lightning.seed", Default: "0", Type: Int,
		Doc: "seed of every generator; 0 = pick one from the clock (the result records it)"},
}

// Patterned Lightning properties, matched by prefix (see Set.lookup).
const (
	// OptionPrefix introduces an engine option: lightning.option.cache_size
	// names an engine.Options field (as engine.Options.String spells it),
	// lightning.option.lsm.level_ratio an Options.Extra entry.
	OptionPrefix = "lightning.option."
	// TargetPrefix introduces a target: lightning.target.<op>.ops (minimum
	// ops/s) or lightning.target.<op>.p<N> (maximum latency at percentile
	// N, a duration). <op> is an op name (read, update, insert, scan,
	// readmodifywrite) or "overall".
	TargetPrefix = "lightning.target."
)

// ignored lists YCSB properties that configure YCSB's client, its DB
// bindings or its exporters rather than the workload. They are accepted
// (so YCSB's own files run unchanged) and have no effect; the value is kept
// in the resolved properties.
var ignored = map[string]string{
	"db":                                     "the engine is chosen with lbench -backend",
	"table":                                  "an embedded engine has one key space",
	"dotransactions":                         "the phase is chosen by the lbench subcommand (load or run)",
	"exporter":                               "reports are written by lbench",
	"exportfile":                             "reports are written by lbench",
	"measurementtype":                        "lbench always records HDR histograms",
	"measurement.interval":                   "lbench records service and (open loop) intended latency",
	"measurement.trackjvm":                   "no JVM",
	"measurement.raw.output_file":            "lbench always records HDR histograms",
	"histogram.buckets":                      "lbench always records HDR histograms",
	"hdrhistogram.percentiles":               "reports choose their percentiles",
	"hdrhistogram.fileoutput":                "lbench writes .hgrm files",
	"hdrhistogram.output.path":               "lbench writes .hgrm files",
	"timeseries.granularity":                 "see lightning.interval",
	"status":                                 "lbench prints a status line every second",
	"status.interval":                        "lbench prints a status line every second",
	"label":                                  "lbench labels runs by workload and backend",
	"spin.sleep":                             "the open-loop pacer spins only for short waits",
	"readallfieldsbyname":                    "a record is one value",
	"fieldlengthhistogram":                   "the histogram field length distribution is not supported",
	"core_workload_insertion_retry_limit":    "an embedded engine's insert error is counted, not retried",
	"core_workload_insertion_retry_interval": "an embedded engine's insert error is counted, not retried",
	"core_workload_insertion_keep_going_on_error": "errors are always counted and the run goes on",
}

// Defs returns the definitions of every fixed-name property, YCSB's first,
// then Lightning's. The slice is a copy.
func Defs() []Def { return append([]Def(nil), defs...) }

// Ignored returns the YCSB properties accepted without effect, each with
// the reason. The map is a copy.
func Ignored() map[string]string {
	m := make(map[string]string, len(ignored))
	for k, v := range ignored {
		m[k] = v
	}
	return m
}

var defIndex = func() map[string]int {
	m := make(map[string]int, len(defs))
	for i, d := range defs {
		m[d.Name] = i
	}
	return m
}()

// Lookup returns the definition of a fixed-name property.
func Lookup(name string) (Def, bool) {
	i, ok := defIndex[name]
	if !ok {
		return Def{}, false
	}
	return defs[i], true
}
