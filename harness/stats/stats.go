package stats

import (
	"math"
	"slices"
)

// Median returns the median of xs: the middle value, or the mean of the two
// middle values for an even count. It returns NaN for an empty sample or
// one holding NaN. xs is not modified.
func Median(xs []float64) float64 { return Quantile(xs, 0.5) }

// Quantile returns the p-quantile of xs (0 <= p <= 1) by linear
// interpolation between order statistics (Hyndman & Fan type 7, R's and
// NumPy's default): with the values sorted as x[0] <= ... <= x[n-1] and
// h = (n−1)p, it is x[⌊h⌋] + (h−⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]). It returns NaN for
// an empty sample, a sample holding NaN, or p outside [0, 1]. xs is not
// modified.
func Quantile(xs []float64, p float64) float64 {
	if len(xs) == 0 || !(p >= 0 && p <= 1) || slices.ContainsFunc(xs, math.IsNaN) {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return sortedQuantile(s, p)
}

// sortedQuantile is Quantile of a sorted, non-empty sample without NaN.
func sortedQuantile(s []float64, p float64) float64 {
	h := float64(len(s)-1) * p
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	frac := h - float64(lo)
	if frac == 0 {
		return s[lo]
	}
	return s[lo] + frac*(s[lo+1]-s[lo])
}

// MAD returns the median absolute deviation of xs: the median of
// |x − Median(xs)|. 1.4826·MAD estimates the standard deviation of normal
// data while ignoring outliers. It returns NaN where Median does.
func MAD(xs []float64) float64 {
	m := Median(xs)
	if math.IsNaN(m) {
		return m
	}
	d := make([]float64, len(xs))
	for i, x := range xs {
		d[i] = math.Abs(x - m)
	}
	return Median(d)
}

// GeoMean returns the geometric mean of xs, exp(mean(log x)). It returns
// NaN for an empty sample or one holding a value that is not positive (or
// NaN); +Inf values give +Inf.
func GeoMean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, x := range xs {
		if !(x > 0) {
			return math.NaN()
		}
		sum += math.Log(x)
	}
	return math.Exp(sum / float64(len(xs)))
}
