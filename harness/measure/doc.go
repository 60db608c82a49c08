// Package measure records operation latencies: HDR histograms
// (github.com/HdrHistogram/hdrhistogram-go, values in nanoseconds from 1 ns
// to 60 s, 3 significant digits) per op type, per worker and per
// interval, merged into a time series and run totals, with counts of
// successes, not-found results and errors per op type.
package measure
