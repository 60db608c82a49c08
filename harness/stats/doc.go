// Package stats holds the small, pure statistics lbench compare needs to
// decide whether a benchmark got slower: robust summaries (Median,
// Quantile, MAD, GeoMean), the Mann–Whitney U test (MannWhitney) and a
// bootstrap confidence interval of the ratio of two medians
// (BootstrapRatio). Every function is deterministic: the bootstrap takes
// its seed from the caller.
//
// # Why these methods
//
// Benchmark runs on a shared machine are not normally distributed: most
// runs cluster, a few are slowed by a neighbour. Means and t-tests are
// pulled by those outliers; medians and rank tests are not. This is the
// approach of benchstat (golang.org/x/perf), which compares the medians of
// repeated runs with a Mann–Whitney U test.
//
// # Summaries
//
// Quantile uses linear interpolation between order statistics, the
// "type 7" estimator of Hyndman & Fan (1996), which is the default of R's
// quantile() and of NumPy's percentile(). Median is Quantile(xs, 0.5).
// MAD is the median absolute deviation from the median, unscaled; 1.4826·MAD
// estimates the standard deviation of normal data. GeoMean is
// exp(mean(log x)), defined for positive values only.
//
// Functions on an empty sample, or on values they are not defined for,
// return NaN, as package math does; the caller (package compare) checks its
// samples before calling them.
//
// # Mann–Whitney U test
//
// Assumptions: the two samples are independent, the observations in each
// are independent and identically distributed, and the question is whether
// one distribution tends to give larger values than the other (under the
// null hypothesis both samples come from the same distribution). It makes
// no assumption about the shape of the distributions. The test is
// two-sided.
//
// U for the first sample counts the pairs (x, y) with x > y, plus one half
// for each tie; U = R1 − n1(n1+1)/2 where R1 is the rank sum of the first
// sample with tied values given their average rank (midranks).
//
// Exact p-value (n1+n2 <= ExactLimit): the null distribution of the rank
// sum is the distribution of the sum of n values drawn without replacement
// from the N midranks actually observed, every subset equally likely. It is
// counted by dynamic programming over the doubled midranks (integers), so
// ties are handled exactly, not approximated. The two-sided p-value is
// twice the smaller tail probability, capped at 1 — the definition R's
// wilcox.test uses for its exact test.
//
// Normal approximation (larger samples): z = (|U − n1n2/2| − 1/2) / σ, with
// the continuity correction 1/2 and the tie-corrected variance
// σ² = n1n2/12 · ((N+1) − Σ(t³−t)/(N(N−1))), t ranging over the sizes of
// the groups of tied values; p = erfc(z/√2). This is the approximation of
// R's wilcox.test(exact = FALSE, correct = TRUE).
//
// Small samples cannot be significant: with n1 and n2 runs the smallest
// two-sided p-value any data can give is 2/C(n1+n2, n1) (MinPValue): 0.1
// for 3 against 3 runs, 0.029 for 4 against 4, 0.0079 for 5 against 5.
// Callers should say "too few runs" rather than "no change" when
// MinPValue exceeds their significance level.
//
// # Bootstrap interval of a ratio of medians
//
// BootstrapRatio estimates median(new)/median(base) and a percentile
// bootstrap confidence interval for it (Efron & Tibshirani, "An
// Introduction to the Bootstrap", 1993, ch. 13): each resample draws n
// values with replacement from each sample independently and records the
// ratio of their medians; the interval is the (1−c)/2 and (1+c)/2
// quantiles of those ratios. Assumptions: runs are independent and
// identically distributed within each side, and the sample is large enough
// to represent its distribution. With few runs the bootstrap distribution
// of a median takes only a few values and the interval is coarse: in
// simulations with lognormal runs (5% spread) the 95% interval held the
// true ratio 89% of the time with 3 runs a side, 93% with 4, and 96–97%
// from 5 to 30 (TestBootstrapRatioCoverage checks 15). The interval
// describes the data; the significance decision belongs to the
// Mann–Whitney test. The resampling
// is driven by a PCG generator seeded by the caller, so equal inputs and
// seed give equal intervals.
//
// Stable only at v1.
package stats
