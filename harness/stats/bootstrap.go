package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Defaults of BootstrapOptions.
const (
	DefaultResamples  = 10000
	DefaultConfidence = 0.95
)

// BootstrapOptions tune BootstrapRatio. A zero field means its default.
type BootstrapOptions struct {
	// Resamples is the number of bootstrap resamples. Default 10000.
	Resamples int
	// Confidence is the coverage of the interval, in (0, 1). Default 0.95.
	Confidence float64
	// Seed seeds the resampling. Equal inputs, options and seed give
	// equal intervals; 0 is a valid seed.
	Seed uint64
}

// Interval is a point estimate with a confidence interval around it.
type Interval struct {
	Estimate, Low, High float64
}

// BootstrapRatio returns median(next)/median(base) and its percentile
// bootstrap confidence interval (see the package documentation). Every
// value must be finite, those of base positive and those of next
// non-negative; otherwise, or if a sample is empty or an option is out of
// range, it returns an error wrapping ErrSample naming the problem. The
// samples are not modified.
func BootstrapRatio(base, next []float64, o BootstrapOptions) (Interval, error) {
	if o.Resamples == 0 {
		o.Resamples = DefaultResamples
	}
	if o.Confidence == 0 {
		o.Confidence = DefaultConfidence
	}
	if o.Resamples < 1 || o.Resamples > 10_000_000 {
		return Interval{}, fmt.Errorf("%w: bootstrap resamples %d not in [1, 10000000]", ErrSample, o.Resamples)
	}
	if !(o.Confidence > 0 && o.Confidence < 1) {
		return Interval{}, fmt.Errorf("%w: bootstrap confidence %v not in (0, 1)", ErrSample, o.Confidence)
	}
	if len(base) == 0 || len(next) == 0 {
		return Interval{}, fmt.Errorf("%w: bootstrap needs two non-empty samples, got %d and %d values", ErrSample, len(base), len(next))
	}
	for _, x := range base {
		if !(x > 0) || math.IsInf(x, 0) {
			return Interval{}, fmt.Errorf("%w: baseline value %v is not positive and finite: the ratio of medians is undefined", ErrSample, x)
		}
	}
	for _, x := range next {
		if !(x >= 0) || math.IsInf(x, 0) {
			return Interval{}, fmt.Errorf("%w: value %v is not non-negative and finite", ErrSample, x)
		}
	}
	est := Median(next) / Median(base)
	rng := rand.New(rand.NewPCG(o.Seed, 0x6c62_6f6f_7473_7472)) // "lbootstr"
	bufB, bufN := make([]float64, len(base)), make([]float64, len(next))
	ratios := make([]float64, o.Resamples)
	for i := range ratios {
		ratios[i] = resampleMedian(rng, next, bufN) / resampleMedian(rng, base, bufB)
	}
	slices.Sort(ratios)
	tail := (1 - o.Confidence) / 2
	return Interval{Estimate: est, Low: sortedQuantile(ratios, tail), High: sortedQuantile(ratios, 1-tail)}, nil
}

// resampleMedian fills buf with len(xs) values drawn from xs with
// replacement and returns their median.
func resampleMedian(rng *rand.Rand, xs, buf []float64) float64 {
	for i := range buf {
		buf[i] = xs[rng.IntN(len(xs))]
	}
	slices.Sort(buf)
	return sortedQuantile(buf, 0.5)
}
