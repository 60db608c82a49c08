package compare

import (
	"fmt"
	"math"
	"strings"

	"github.com/lightningdb/lightning/harness/stats"
)

// Metric is a measured quantity compared per benchmark and op type.
type Metric uint8

// The metrics, in the order rows list them.
const (
	// Throughput is operations per second (higher is better).
	Throughput Metric = iota
	// P50 is the median service time (lower is better).
	P50
	// P99 is the 99th percentile of service time (lower is better).
	P99
	// P999 is the 99.9th percentile of service time (lower is better).
	P999
	numMetrics
)

var metricNames = [numMetrics]string{"ops/s", "p50", "p99", "p99.9"}

// AllMetrics returns every metric in order.
func AllMetrics() []Metric { return []Metric{Throughput, P50, P99, P999} }

// String returns the metric's name: "ops/s", "p50", "p99" or "p99.9".
func (m Metric) String() string {
	if m < numMetrics {
		return metricNames[m]
	}
	return fmt.Sprintf("metric(%d)", uint8(m))
}

// HigherIsBetter reports the metric's direction: true for throughput,
// false for latencies.
func (m Metric) HigherIsBetter() bool { return m == Throughput }

// Latency reports whether m is a latency percentile (in nanoseconds).
func (m Metric) Latency() bool { return m != Throughput }

// MarshalText implements encoding.TextMarshaler with String.
func (m Metric) MarshalText() ([]byte, error) {
	if m >= numMetrics {
		return nil, fmt.Errorf("%w: unknown metric %d", ErrOptions, uint8(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseMetric.
func (m *Metric) UnmarshalText(b []byte) error {
	v, err := ParseMetric(string(b))
	*m = v
	return err
}

// ParseMetric parses a metric name: "ops/s" (or "throughput", "ops"),
// "p50", "p99", "p99.9" (or "p999").
func ParseMetric(s string) (Metric, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ops/s", "throughput", "ops":
		return Throughput, nil
	case "p50":
		return P50, nil
	case "p99":
		return P99, nil
	case "p99.9", "p999":
		return P999, nil
	}
	return 0, fmt.Errorf("%w: unknown metric %q (want ops/s, p50, p99 or p99.9)", ErrOptions, s)
}

// Defaults of Options.
const (
	DefaultAlpha     = 0.05
	DefaultMinEffect = 0.05
)

// NoMinEffect, as Options.MinEffect, turns the minimum effect size off:
// every significant difference is a regression or an improvement.
const NoMinEffect = -1

// Options tune Compare. A zero field means its default, so &Options{} (or
// nil) is valid.
type Options struct {
	// Alpha is the significance level of the Mann–Whitney test: a
	// difference counts only if its two-sided p-value is below Alpha.
	// Default 0.05.
	Alpha float64
	// MinEffect is the smallest relative change of the median that counts
	// (0.05: 5%), whatever its significance: a change smaller than this is
	// "no change". Default 0.05; NoMinEffect turns the threshold off.
	MinEffect float64
	// Confidence is the coverage of the bootstrap interval of the ratio.
	// Default 0.95.
	Confidence float64
	// Resamples is the number of bootstrap resamples. Default 10000.
	Resamples int
	// Seed seeds the bootstrap; results are deterministic for a seed.
	// 0 is a valid seed (and the default).
	Seed uint64
	// Reference turns on ratio mode: the backend every other backend's
	// figures are divided by, run by run, within each report (each
	// report must hold the reference's runs of the same workload and
	// phase). "" compares absolute figures.
	Reference string
	// Metrics are the metrics compared. Default AllMetrics().
	Metrics []Metric
}

// prepare returns a copy of o with defaults filled in, or an error
// wrapping ErrOptions naming the bad field.
func (o *Options) prepare() (Options, error) {
	var c Options
	if o != nil {
		c = *o
		c.Metrics = append([]Metric(nil), o.Metrics...)
	}
	if c.Alpha == 0 {
		c.Alpha = DefaultAlpha
	}
	if c.MinEffect == 0 {
		c.MinEffect = DefaultMinEffect
	}
	if c.MinEffect == NoMinEffect {
		c.MinEffect = 0
	}
	if c.Confidence == 0 {
		c.Confidence = stats.DefaultConfidence
	}
	if c.Resamples == 0 {
		c.Resamples = stats.DefaultResamples
	}
	if len(c.Metrics) == 0 {
		c.Metrics = AllMetrics()
	}
	switch {
	case !(c.Alpha > 0 && c.Alpha < 1):
		return c, fmt.Errorf("%w: alpha %v not in (0, 1)", ErrOptions, c.Alpha)
	case !(c.MinEffect >= 0 && c.MinEffect < 1) || math.IsNaN(c.MinEffect):
		return c, fmt.Errorf("%w: minimum effect %v not in [0, 1) (0.05 is 5%%)", ErrOptions, c.MinEffect)
	case !(c.Confidence > 0 && c.Confidence < 1):
		return c, fmt.Errorf("%w: confidence %v not in (0, 1)", ErrOptions, c.Confidence)
	case c.Resamples < 100 || c.Resamples > 1_000_000:
		return c, fmt.Errorf("%w: bootstrap resamples %d not in [100, 1000000]", ErrOptions, c.Resamples)
	}
	seen := map[Metric]bool{}
	for _, m := range c.Metrics {
		if m >= numMetrics {
			return c, fmt.Errorf("%w: unknown metric %d", ErrOptions, uint8(m))
		}
		if seen[m] {
			return c, fmt.Errorf("%w: metric %s listed twice", ErrOptions, m)
		}
		seen[m] = true
	}
	return c, nil
}
