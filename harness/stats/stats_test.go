package stats

import (
	"flag"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var seedFlag = flag.Uint64("seed", 0, "seed of the randomized tests (0: derive one from the clock)")

// testSeed returns the seed of a randomized test and logs it.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	s := *seedFlag
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -seed %d)", s, s)
	return s
}

// near reports whether got is within tol of want; NaN is near NaN.
func near(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol
}

var nan = math.NaN()

func TestQuantile(t *testing.T) {
	oneToTen := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1} // unsorted on purpose
	for _, tc := range []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		// R: quantile(1:10) prints 1, 3.25, 5.5, 7.75, 10 (type 7).
		{"R quantile(1:10) 0%", oneToTen, 0, 1},
		{"R quantile(1:10) 25%", oneToTen, 0.25, 3.25},
		{"R quantile(1:10) 50%", oneToTen, 0.5, 5.5},
		{"R quantile(1:10) 75%", oneToTen, 0.75, 7.75},
		{"R quantile(1:10) 100%", oneToTen, 1, 10},
		// h = 9*0.9 = 8.1: x[8] + 0.1*(x[9]-x[8]) = 9.1.
		{"hand 90%", oneToTen, 0.9, 9.1},
		// NumPy docs: np.percentile([[10, 7, 4], [3, 2, 1]], 50) == 3.5.
		{"numpy percentile example", []float64{10, 7, 4, 3, 2, 1}, 0.5, 3.5},
		{"single value", []float64{42}, 0.3, 42},
		{"ties", []float64{2, 2, 2, 5}, 0.5, 2},
		{"negative", []float64{-3, -1, -2}, 0.5, -2},
		{"empty", nil, 0.5, nan},
		{"p below 0", oneToTen, -0.1, nan},
		{"p above 1", oneToTen, 1.5, nan},
		{"p NaN", oneToTen, nan, nan},
		{"NaN in sample", []float64{1, nan, 3}, 0.5, nan},
	} {
		if got := Quantile(tc.xs, tc.p); !near(got, tc.want, 1e-12) {
			t.Errorf("%s: Quantile(%v, %v) = %v, want %v", tc.name, tc.xs, tc.p, got, tc.want)
		}
	}
	// The input is not modified.
	if oneToTen[0] != 10 || oneToTen[9] != 1 {
		t.Errorf("Quantile sorted its input: %v", oneToTen)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, 1, 100}, 1},
		{[]float64{math.Inf(1), 1, 2}, 2},
		{nil, nan},
		{[]float64{1, nan}, nan},
	} {
		if got := Median(tc.xs); !near(got, tc.want, 1e-12) {
			t.Errorf("Median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

func TestMAD(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		// R: mad(c(1, 2, 3, 4, 100), constant = 1) is 1: the deviations
		// from the median 3 are 2, 1, 0, 1, 97.
		{[]float64{1, 2, 3, 4, 100}, 1},
		{[]float64{7}, 0},
		{[]float64{1, 3}, 1},
		{[]float64{10, 10, 10, 10}, 0},
		{nil, nan},
	} {
		if got := MAD(tc.xs); !near(got, tc.want, 1e-12) {
			t.Errorf("MAD(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

func TestGeoMean(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{2, 8}, 4},
		{[]float64{1, 3, 9}, 3},
		{[]float64{4}, 4},
		{[]float64{0.5, 2}, 1},
		{[]float64{1, 2, 4, 8}, math.Sqrt(8)}, // (64)^(1/4)
		{[]float64{1, math.Inf(1)}, math.Inf(1)},
		{nil, nan},
		{[]float64{1, 0}, nan},
		{[]float64{1, -2}, nan},
		{[]float64{1, nan}, nan},
	} {
		got := GeoMean(tc.xs)
		if math.IsInf(tc.want, 1) {
			if !math.IsInf(got, 1) {
				t.Errorf("GeoMean(%v) = %v, want +Inf", tc.xs, got)
			}
			continue
		}
		if !near(got, tc.want, 1e-12) {
			t.Errorf("GeoMean(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

// TestQuantileRandom checks Quantile against the order statistics it
// interpolates between on random samples.
func TestQuantileRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 1))
	for range 500 {
		n := 1 + rng.IntN(20)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(rng.IntN(10))
		}
		p := rng.Float64()
		q := Quantile(xs, p)
		below, above := 0, 0
		for _, x := range xs {
			if x <= q {
				below++
			}
			if x >= q {
				above++
			}
		}
		// At least a fraction p of the values is <= q and 1-p is >= q,
		// rounded down to whole order statistics.
		if float64(below) < math.Floor(float64(n-1)*p)+1 || float64(above) < math.Floor(float64(n-1)*(1-p))+1 {
			t.Fatalf("Quantile(%v, %v) = %v: %d values <= it, %d >= it", xs, p, q, below, above)
		}
	}
}
