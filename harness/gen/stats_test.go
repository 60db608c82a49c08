package gen

import (
	"flag"
	"math"
	"testing"
	"time"
)

var seedFlag = flag.Uint64("seed", 0, "seed for randomized tests (0: from the clock)")

// testRand returns a Rand seeded from -seed or the clock, logging the seed
// so a failure can be replayed with -seed.
func testRand(t *testing.T) *Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	return NewRand(seed, 0)
}

// chiSquare returns Pearson's statistic of observed counts against
// expected probabilities (n draws), merging cells whose expected count is
// under 5 into their neighbours, and the degrees of freedom.
func chiSquare(obs []int, p []float64, n int) (stat float64, df int) {
	var eAcc, oAcc float64
	cells := 0
	for i := range obs {
		eAcc += p[i] * float64(n)
		oAcc += float64(obs[i])
		if eAcc >= 5 || i == len(obs)-1 {
			if eAcc > 0 {
				stat += (oAcc - eAcc) * (oAcc - eAcc) / eAcc
				cells++
			} else if oAcc > 0 {
				return math.Inf(1), 1
			}
			eAcc, oAcc = 0, 0
		}
	}
	return stat, cells - 1
}

// chiCritical returns the chi-square value with upper-tail probability
// about 1e-6 for df degrees of freedom (Wilson-Hilferty approximation):
// a correct generator fails a check about once in a million runs.
func chiCritical(df int) float64 {
	const z = 4.753 // standard normal upper 1e-6 quantile
	k := float64(df)
	c := 1 - 2/(9*k) + z*math.Sqrt(2/(9*k))
	return k * c * c * c
}

func checkChi(t *testing.T, name string, obs []int, p []float64, n int) {
	t.Helper()
	stat, df := chiSquare(obs, p, n)
	if crit := chiCritical(df); stat > crit {
		t.Errorf("%s: chi-square %.1f with %d df exceeds %.1f (p < 1e-6)", name, stat, df, crit)
	} else {
		t.Logf("%s: chi-square %.1f, %d df, critical %.1f", name, stat, df, crit)
	}
}

func TestChiSquareRejects(t *testing.T) {
	// The checker itself must reject a clearly wrong distribution.
	obs := []int{600, 400}
	stat, df := chiSquare(obs, []float64{0.5, 0.5}, 1000)
	if df != 1 || stat < chiCritical(df) {
		t.Errorf("60/40 accepted as 50/50: stat %.1f df %d crit %.1f", stat, df, chiCritical(df))
	}
	stat, _ = chiSquare([]int{503, 497}, []float64{0.5, 0.5}, 1000)
	if stat > chiCritical(1) {
		t.Errorf("50.3/49.7 rejected as 50/50")
	}
}
