// Package reports turns what the benchmark harness measured into files a
// person or a program reads: a YCSB-style text summary, a JSON report,
// a CSV time series, HdrHistogram percentile distributions, Go benchmark
// lines for benchstat, and plots drawn with gonum.org/v1/plot.
//
// # Design
//
// A Report holds every phase one lbench invocation ran (Run: one workload,
// one backend, one phase), built from harness.Result values with NewRun.
// Every writer draws from the Report alone, never from the live harness
// state, and the JSON holds everything the writers need -- including each
// latency histogram, losslessly -- so "lbench plot" and "lbench compare"
// redraw or recompute anything from a saved report.json.
//
// # Files (WriteAll)
//
//	summary.txt                      YCSB-style text (WriteSummary)
//	report.json                      everything, for programs (WriteJSON / DecodeJSON)
//	timeseries.csv                   per interval per op: ops/s, p50, p99, p99.9, max (WriteCSV)
//	bench.txt                        Go benchmark lines for benchstat (WriteGoBench)
//	<w>_<b>_<phase>_<op>.hgrm        percentile distribution of one op (WriteHgrm)
//	<w>_<b>_<phase>_<op>_intended.hgrm   the same for intended latency (open loop)
//	latency_*.png/.svg, throughput_*.png/.svg, backends_<phase>.png/.svg (WritePlots)
//
// <w> is the workload's short name (WorkloadName), <b> the backend. A
// report may repeat a configuration (lbench bench -repeat N): each such
// run carries its repeat index k (Run.Repeat, JSON "repeat", 1-based), its
// files and plots get "_r<k>" after the phase, its name "#k"
// ("w/b/run#2"), timeseries.csv a last "repeat" column, and the
// by-backend table and bar plot show the median of the repeats.
//
// # Units
//
// JSON: durations and latencies are integer nanoseconds (fields end in
// _ns), rates are operations per second (throughput, ops/s), times are
// RFC 3339. Text summary: latencies in microseconds with three decimals
// (YCSB prints whole microseconds; ours are measured in ns), RunTime in
// milliseconds. CSV: seconds and microseconds. .hgrm: microseconds.
// Plots: microseconds and operations per second. Benchmark lines: ns/op,
// ops/s, p50-ns, p99-ns.
//
// # JSON schema (frozen within "lightning.lbench.report/v1")
//
// Fields may be added within v1, never renamed, removed or changed in
// meaning; a reader rejects another schema with ErrSchema.
//
//	{
//	  "schema":  "lightning.lbench.report/v1",
//	  "command": "bench", "args": ["-workloads", "smoke"],
//	  "created": "2026-11-25T12:00:00Z",
//	  "machine": {"cpu_model", "cores", "gomaxprocs", "go_version", "os", "arch",
//	              "checksum": {"crc32c": "crc32c/sse4.2", "xxh3": "xxh3/avx2"},
//	              "commit", "modified"},
//	  "runs": [{
//	    "workload": "smoke", "sources": ["builtin:smoke"], "backend": "mem", "phase": "run",
//	    "options": "[Options]\n  cache_size=...",       engine options text
//	    "properties": [{"name", "value", "source"}],     every property in effect
//	    "config": "d5be309da51303cc",                    ConfigDigest: equal = comparable
//	    "seed", "threads", "open_loop", "target_ops_per_sec",
//	    "start", "elapsed_ns", "warmup_ns", "runtime_ns",
//	    "throughput", "operations", "counts": {"ok", "not_found", "errors"},
//	    "warmup_counts", "complete", "stopped_by", "scan_records", "clamped", "clock_source", "clock_cost_ns",
//	    "ops": [{
//	      "op": "read", "operations", "counts", "throughput",
//	      "service":  {"count", "min_ns", "max_ns", "mean_ns", "stddev_ns",
//	                   "p50_ns", "p90_ns", "p95_ns", "p99_ns", "p99_9_ns", "p99_99_ns", "p99_999_ns",
//	                   "hdr": "HISTFAAA..."},
//	      "intended": {... as service, open-loop runs only},
//	      "first_errors": ["..."]}],
//	    "interval_ns": 1000000000,
//	    "intervals": [{"index", "start_ns", "end_ns",
//	                   "ops": [{"op", "operations", "errors", "throughput",
//	                            "p50_ns", "p99_ns", "p99_9_ns", "max_ns"}, ..., {"op": "overall", ...}]}],
//	    "targets": [{"property", "source", "op", "metric", "percentile", "want",
//	                 "measured", "ratio", "pass", "note"}],
//	    "metrics_before": {engine.Metrics}, "metrics": {engine.Metrics}}]
//	}
//
// "hdr" is the histogram in HdrHistogram's V2 compressed encoding, base64
// -- the format every HdrHistogram port reads (hdrhistogram-go's Decode,
// Java's Histogram.decodeFromCompressedByteBuffer) -- with the harness's
// geometry: values in ns from 1 ns to 60 s, 3 significant digits. Its
// bytes are those of HdrHistogram's specification and are not ours to
// change. engine.Metrics is encoded with its Go field names (StallTime in
// ns).
//
// Decoders (DecodeJSON, ParseHgrm) treat their input as untrusted:
// malformed data is an error matching engine.ErrCorruption, never a
// panic; both have fuzz targets.
//
// Stable only at v1.
package reports
