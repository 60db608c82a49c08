// Package compare decides whether a new build of a storage engine is
// slower than a baseline, from the JSON reports lbench writes (package
// reports). It is the library behind "lbench compare", the gate of
// Lightning's CI and of its users'.
//
// # Inputs
//
// Each side (baseline, new) is one or many reports: files or folders of
// them (Load). Every run of every report is one sample of its benchmark,
// named workload/phase/backend ("workloada/run/lsm"). Per benchmark and
// op type ("read", ..., and Overall for all op types together) four
// metrics are compared: throughput (ops/s, higher is better) and the p50,
// p99 and p99.9 of service time (lower is better). Overall has throughput
// only. Open-loop runs are compared on service time too, not intended
// latency.
//
// # Compatibility
//
// Two runs are comparable only if they measured the same configuration:
// the same thread count, engine options (every line of the options text)
// and workload properties (record count, operation count, mix,
// distributions...), except lightning.seed and lightning.target.*, which
// do not change what is measured -- the rule of reports.ConfigDigest.
// Compare refuses, with an *IncompatibleError naming every differing key
// and both values, sides whose runs differ, runs within one side that
// differ, and sides without a benchmark in common. Benchmarks or op
// types present on one side only are listed (Result.OnlyBaseline,
// OnlyNew), not compared. Different machines are noted, not refused.
//
// # Statistics (package harness/stats)
//
// For each row: the median of each side; their ratio new/baseline; a
// percentile bootstrap confidence interval of that ratio (default 95%,
// 10000 resamples, seeded: the output is deterministic); and the two-sided
// Mann–Whitney U p-value of the two samples (exact up to 50 runs in all).
// Medians and a rank test are robust to the occasional run slowed by a
// noisy neighbour, which is why benchstat uses them too. They assume runs
// are independent and identically distributed within a side: interleave
// the runs of the two builds (A B A B ...) so that slow drift of the
// machine does not masquerade as a difference.
//
// # Verdict
//
//	too few runs   stats.MinPValue(n1, n2) >= alpha: no outcome of so few
//	               runs could be significant (3 vs 3 runs: p >= 0.1), so
//	               nothing is concluded -- "too few runs", never a guess
//	no change      p >= alpha, or |ratio − 1| < MinEffect, or equal medians
//	regression     p < alpha, |ratio − 1| >= MinEffect, and worse: lower
//	               throughput or higher latency
//	improvement    the same, and better
//
// Defaults: alpha 0.05, MinEffect 5%. Both conditions are needed: with
// many runs a 1% change is significant but rarely worth failing a build;
// with few runs a 30% change can be noise. Every row is tested at alpha
// with no correction for the number of rows, so a comparison of many rows
// of identical builds flags some row now and then; the minimum effect is
// what keeps that rare (TestFalseAlarmRate measures it: about 2.5% of
// comparisons of 18 rows at 8 runs a side with 4% noise).
//
// # Ratio mode
//
// On a noisy or different machine absolute figures move together. With
// Options.Reference set (e.g. "mem"), each run's figures are divided by
// those of the reference backend's run of the same workload and phase in
// the same report (runs paired in order when a report repeats them), and
// the per-run ratios of the two sides are compared as above. A machine
// that is 30% slower for every backend then changes nothing; a backend
// that got slower relative to the reference is still caught. Every report
// must hold the reference's runs.
//
// # Outputs
//
// WriteText: an aligned table for terminals. WriteMarkdown: the same for
// a CI comment, regressions in bold, method and notes folded. WriteJSON:
// for programs. NewPlot/SavePlot: the ratio of every row with its interval
// as an error bar, grouped by benchmark op, PNG and SVG (gonum/plot).
//
// # JSON output (frozen within "lightning.lbench.compare/v1")
//
// Fields may be added within v1, never renamed, removed or changed in
// meaning. Ratios are new/baseline; values are ops/s, nanoseconds, or in
// ratio mode ratios to the reference.
//
//	{
//	  "schema": "lightning.lbench.compare/v1",
//	  "headline": "1 regression, 0 improvements, 8 no change, 0 too few runs",
//	  "regressed": true,
//	  "counts": {"regression": 1, "improvement": 0, "no change": 8, "too few runs": 0},
//	  "mode": "absolute" | "ratio", "reference": "mem" (ratio mode only),
//	  "alpha": 0.05, "min_effect": 0.05, "confidence": 0.95, "resamples": 10000, "seed": 0,
//	  "metrics": ["ops/s", "p50", "p99", "p99.9"],
//	  "geomean_ratio": {"ops/s": 0.93, ...},
//	  "baseline": {"files": [...], "runs": 12, "commits": [...], "machines": [...]},
//	  "new":      {... as baseline},
//	  "rows": [{"workload", "phase", "backend", "op", "metric",
//	            "baseline": {"n", "median", "spread", "values": [...]},
//	            "new":      {... as baseline},
//	            "ratio", "ci_low", "ci_high", "p", "p_exact",
//	            "verdict": "regression" | "improvement" | "no change" | "too few runs",
//	            "reason": "-19.5%, p = 0.00216"}],
//	  "only_baseline": ["workload/phase/backend op", ...], "only_new": [...],
//	  "notes": ["..."]
//	}
//
// Stable only at v1.
package compare
