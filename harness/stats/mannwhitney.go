package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ExactLimit is the largest total sample size n1+n2 for which MannWhitney
// computes the exact p-value; larger samples use the normal approximation.
// At 50 the exact computation takes well under a millisecond, and the
// approximation is good well before it.
const ExactLimit = 50

// ErrSample is wrapped by the errors of functions given a sample they
// cannot use (empty, holding NaN, or values outside their domain).
var ErrSample = errors.New("stats: unusable sample")

// MWResult is the outcome of a Mann–Whitney U test.
type MWResult struct {
	// N1 and N2 are the sample sizes.
	N1, N2 int
	// U is the statistic of the first sample: the number of pairs (x, y)
	// with x > y, counting ties as 1/2. U ranges over [0, N1·N2]; under the
	// null hypothesis its mean is N1·N2/2.
	U float64
	// P is the two-sided p-value: the probability, if both samples came
	// from one distribution, of a U at least as far from N1·N2/2.
	P float64
	// Exact reports whether P is exact (N1+N2 <= ExactLimit) rather than
	// the normal approximation.
	Exact bool
	// Ties reports whether any value occurs more than once in the pooled
	// sample.
	Ties bool
}

// MannWhitney runs the two-sided Mann–Whitney U test (Wilcoxon rank-sum
// test) of x against y: do the two samples come from one distribution?
// See the package documentation for the method and its assumptions. It
// returns an error wrapping ErrSample if either sample is empty or holds
// NaN. x and y are not modified.
func MannWhitney(x, y []float64) (MWResult, error) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return MWResult{}, fmt.Errorf("%w: Mann-Whitney needs two non-empty samples, got %d and %d values", ErrSample, n1, n2)
	}
	if slices.ContainsFunc(x, math.IsNaN) || slices.ContainsFunc(y, math.IsNaN) {
		return MWResult{}, fmt.Errorf("%w: Mann-Whitney sample holds NaN", ErrSample)
	}
	rank2, ties := doubledMidranks(x, y)
	// Rank sum of x, doubled.
	var w2x int64
	for _, r := range rank2[:n1] {
		w2x += r
	}
	// U = R1 − n1(n1+1)/2, with R1 = w2x/2.
	u := float64(w2x)/2 - float64(n1)*float64(n1+1)/2
	res := MWResult{N1: n1, N2: n2, U: u, Ties: len(ties) > 0}
	if n1+n2 <= ExactLimit {
		res.Exact = true
		res.P = exactP(rank2, n1, n2)
	} else {
		res.P = normalP(u, n1, n2, ties)
	}
	return res, nil
}

// doubledMidranks returns twice the midrank of every value of x then y,
// in that order (integers: a midrank is a whole or half number), and the
// sizes of the groups of tied values (only groups of two or more).
func doubledMidranks(x, y []float64) (rank2 []int64, ties []int) {
	n := len(x) + len(y)
	idx := make([]int, n)
	val := func(i int) float64 {
		if i < len(x) {
			return x[i]
		}
		return y[i-len(x)]
	}
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		va, vb := val(a), val(b)
		switch {
		case va < vb:
			return -1
		case va > vb:
			return 1
		}
		return 0
	})
	rank2 = make([]int64, n)
	for i := 0; i < n; {
		j := i + 1
		for j < n && val(idx[j]) == val(idx[i]) {
			j++
		}
		// Positions i..j-1 hold ranks i+1..j; their mean doubled is i+1+j.
		r := int64(i + 1 + j)
		for k := i; k < j; k++ {
			rank2[idx[k]] = r
		}
		if j-i > 1 {
			ties = append(ties, j-i)
		}
		i = j
	}
	return rank2, ties
}

// exactP returns the exact two-sided p-value of the rank sum of the first
// n1 of rank2 (doubled midranks) among all C(n1+n2, n1) equally likely
// assignments of the pooled values to the two samples.
func exactP(rank2 []int64, n1, n2 int) float64 {
	// Count subsets of the smaller size k: the rank sum of one group
	// determines the other's, and both tails are looked at.
	k, obs := n1, int64(0)
	group := rank2[:n1]
	if n2 < n1 {
		k, group = n2, rank2[n1:]
	}
	for _, r := range group {
		obs += r
	}
	sorted := slices.Clone(rank2)
	slices.Sort(sorted)
	var maxSum int64
	for _, r := range sorted[len(sorted)-k:] {
		maxSum += r
	}
	// cnt[j][s]: number of subsets of j of the values seen so far whose
	// doubled ranks sum to s. Counts are float64: C(50, 25) ≈ 1.3e14 is
	// exact in a float64, and the ratio is what matters anyway.
	width := int(maxSum) + 1
	cnt := make([]float64, (k+1)*width)
	cnt[0] = 1
	for i, r := range sorted {
		ri := int(r)
		for j := min(i+1, k); j >= 1; j-- {
			dst, src := cnt[j*width:(j+1)*width], cnt[(j-1)*width:j*width]
			for s := width - 1; s >= ri; s-- {
				dst[s] += src[s-ri]
			}
		}
	}
	dist := cnt[k*width:]
	var total, below, above float64
	for s, c := range dist {
		total += c
		if int64(s) <= obs {
			below += c
		}
		if int64(s) >= obs {
			above += c
		}
	}
	return min(1, 2*min(below, above)/total)
}

// normalP returns the two-sided p-value of U by the normal approximation
// with continuity and tie corrections.
func normalP(u float64, n1, n2 int, ties []int) float64 {
	fn1, fn2 := float64(n1), float64(n2)
	n := fn1 + fn2
	var tieSum float64
	for _, t := range ties {
		ft := float64(t)
		tieSum += ft*ft*ft - ft
	}
	variance := fn1 * fn2 / 12 * ((n + 1) - tieSum/(n*(n-1)))
	if variance <= 0 { // every value equal: no evidence of a difference
		return 1
	}
	z := max(math.Abs(u-fn1*fn2/2)-0.5, 0) / math.Sqrt(variance)
	return min(1, math.Erfc(z/math.Sqrt2))
}

// MinPValue returns the smallest two-sided p-value the exact Mann–Whitney
// test can give for samples of n1 and n2 values: 2/C(n1+n2, n1), capped at
// 1, reached when the samples do not overlap and hold no ties. Ties only
// raise it. If it exceeds the significance level, no outcome of that many
// runs can be significant. It returns 1 when either size is below 1.
func MinPValue(n1, n2 int) float64 {
	if n1 < 1 || n2 < 1 {
		return 1
	}
	// C(n1+n2, k) by the multiplicative formula: every intermediate is
	// the whole number C(n1+n2−k+i, i), exact while below 2^53; beyond,
	// a close approximation, and +Inf (p = 0) past float64's range.
	k, n := min(n1, n2), n1+n2
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
	}
	return min(1, 2/c)
}

// MinRuns returns the smallest n such that n runs on each side can reach a
// two-sided p-value below alpha (MinPValue(n, n) < alpha), or 0 if alpha is
// not in (0, 1).
func MinRuns(alpha float64) int {
	if !(alpha > 0 && alpha < 1) {
		return 0
	}
	for n := 1; ; n++ {
		if MinPValue(n, n) < alpha {
			return n
		}
	}
}
