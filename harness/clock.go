package harness

import "github.com/lightningdb/lightning/harness/internal/tsc"

// now reads the harness clock: nanoseconds on a monotonic time base, from
// the CPU's invariant TSC where available (package tsc).
func now() int64 { return tsc.Now() }

// clockCost measures the cost of one now() call, in ns.
func clockCost() float64 {
	tsc.Init()
	const n = 5000
	t0 := now()
	var s int64
	for range n {
		s += now()
	}
	_ = s
	return float64(now()-t0) / n
}
