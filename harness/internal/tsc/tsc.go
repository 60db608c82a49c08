// Package tsc is the harness's clock: nanoseconds on a monotonic time
// base, read from the CPU's time-stamp counter where that is safe (amd64
// with an invariant TSC: about 8 ns per reading on the reference machine,
// against about 20 ns for Go's runtime nanotime) and from the runtime's
// monotonic clock everywhere else.
//
// The TSC is calibrated once per process against the monotonic clock over
// two 10 ms windows; if the two disagree by more than 0.1%, or the TSC is
// not invariant, Now falls back to the monotonic clock. A TSC reading is
// not serializing: the CPU may execute it a few dozen cycles early or
// late relative to neighbouring instructions, which blurs a single
// reading by that much but does not bias a sum of back-to-back intervals.
package tsc

import (
	"sync"
	"sync/atomic"
	"time"
)

var (
	once   sync.Once
	useTSC atomic.Bool // set after scale and base
	scale  float64     // ns per tick
	base   uint64      // TSC at epoch
	epoch  = time.Now()
)

// mono returns nanoseconds since epoch from Go's monotonic clock.
func mono() int64 { return int64(time.Since(epoch)) }

// Init calibrates the clock (about 20 ms the first time; later calls do
// nothing). Now calls it lazily; callers that care about the 20 ms call it
// before timing anything.
func Init() {
	once.Do(func() {
		if !haveInvariantTSC() {
			return
		}
		s1, b1 := calibrate()
		s2, _ := calibrate()
		if s1 <= 0.01 || s1 > 10 || s2/s1 < 0.999 || s2/s1 > 1.001 {
			return
		}
		// Anchor the TSC to the monotonic clock so both share epoch.
		scale = s1
		base = b1.tsc - uint64(float64(b1.ns)/s1)
		useTSC.Store(true)
	})
}

type pair struct {
	tsc uint64
	ns  int64
}

// calibrate measures ns per tick over 10 ms and returns it with the
// starting (tsc, ns) pair.
func calibrate() (float64, pair) {
	p0 := readPair()
	var p1 pair
	for {
		p1 = readPair()
		if p1.ns-p0.ns >= int64(10*time.Millisecond) {
			break
		}
	}
	return float64(p1.ns-p0.ns) / float64(p1.tsc-p0.tsc), p0
}

// readPair reads the TSC and the monotonic clock at (nearly) the same
// instant: the monotonic reading is bracketed by two TSC readings, and of
// several tries the tightest bracket wins, so a preemption between the
// readings (milliseconds on a busy machine) cannot skew the calibration.
func readPair() pair {
	best, bestGap := pair{}, ^uint64(0)
	for range 16 {
		a := rdtsc()
		m := mono()
		b := rdtsc()
		if gap := b - a; b >= a && gap < bestGap {
			best, bestGap = pair{a + gap/2, m}, gap
		}
	}
	return best
}

// Now returns nanoseconds since the process's clock epoch. It is safe for
// concurrent use; readings from different goroutines are comparable.
func Now() int64 {
	if useTSC.Load() {
		return int64(float64(rdtsc()-base) * scale)
	}
	Init()
	if useTSC.Load() {
		return int64(float64(rdtsc()-base) * scale)
	}
	return mono()
}

// Source names the clock in use: "tsc" or "monotonic".
func Source() string {
	Init()
	if useTSC.Load() {
		return "tsc"
	}
	return "monotonic"
}
