package stats

import (
	"errors"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// Published example: R's ?wilcox.test, after Hollander & Wolfe (1973),
// p. 69: permeability constants of the human chorioamnion. R prints
// "W = 35, p-value = 0.1272" for alternative = "greater" (exact, no
// ties), so the two-sided exact p-value is 0.2544.
var (
	hwX = []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46}
	hwY = []float64{1.15, 0.88, 0.90, 0.74, 1.21}
)

func TestMannWhitneyKnown(t *testing.T) {
	for _, tc := range []struct {
		name  string
		x, y  []float64
		u, p  float64
		tol   float64
		exact bool
		ties  bool
	}{
		{"R wilcox.test Hollander-Wolfe", hwX, hwY, 35, 0.2544, 5e-5, true, false},
		{"R wilcox.test swapped", hwY, hwX, 15, 0.2544, 5e-5, true, false},
		// Wikipedia, "Mann–Whitney U test", tortoise and hare: finishing
		// order T H H H H H T T T T T H. Tortoises beat hares 11 times,
		// so with finishing positions as values U(T) = 36 − 11 = 25. The
		// p-value is counted by enumerating the C(12, 6) = 924 splits.
		{"Wikipedia tortoise and hare", []float64{1, 7, 8, 9, 10, 11}, []float64{2, 3, 4, 5, 6, 12}, 25, bruteP([]float64{1, 7, 8, 9, 10, 11}, []float64{2, 3, 4, 5, 6, 12}), 1e-12, true, false},
		// Complete separation: only 1 of C(6,3) = 20 splits is as extreme
		// in each direction, p = 2/20.
		{"3 vs 3 separated", []float64{1, 2, 3}, []float64{4, 5, 6}, 0, 0.1, 1e-12, true, false},
		{"3 vs 3 reversed", []float64{4, 5, 6}, []float64{1, 2, 3}, 9, 0.1, 1e-12, true, false},
		// 2/C(8,4) = 2/70.
		{"4 vs 4 separated", []float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}, 0, 2.0 / 70, 1e-12, true, false},
		// 2/C(10,5) = 2/252.
		{"5 vs 5 separated", []float64{10, 11, 12, 13, 14}, []float64{1, 2, 3, 4, 5}, 25, 2.0 / 252, 1e-12, true, false},
		// Interleaved 1 3 5 / 2 4 6: U = 0+1+2 = 3 < 4.5; P(U <= 3) =
		// 7/20 (U counts 0,1,2,3 have 1,1,2,3 splits), p = 0.7.
		{"3 vs 3 interleaved", []float64{1, 3, 5}, []float64{2, 4, 6}, 3, 0.7, 1e-12, true, false},
		// All equal: every split has the same rank sum, p = 1.
		{"all tied", []float64{1, 1}, []float64{1, 1, 1}, 3, 1, 0, true, true},
		{"one each", []float64{1}, []float64{2}, 0, 1, 0, true, false},
		// One tie across the samples: 1 2 2' 3 → x={1,2}, y={2,3}: ranks
		// 1, 2.5 | 2.5, 4; U = (1+2.5) − 3 = 0.5. Of the 6 splits the
		// doubled rank sums of the first group are 7, 7, 10, 10, 13, 13
		// (1+2.5, 1+2.5, 1+4, 2.5+2.5, 2.5+4, 2.5+4 doubled: 7, 7, 10, 10,
		// 13, 13). Observed 7: P(<= 7) = 2/6, p = 2/3.
		{"hand tie", []float64{1, 2}, []float64{2, 3}, 0.5, 2.0 / 3, 1e-12, true, true},
	} {
		r, err := MannWhitney(tc.x, tc.y)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if r.U != tc.u || !near(r.P, tc.p, tc.tol) || r.Exact != tc.exact || r.Ties != tc.ties ||
			r.N1 != len(tc.x) || r.N2 != len(tc.y) {
			t.Errorf("%s: got %+v, want U=%v P=%v exact=%v ties=%v", tc.name, r, tc.u, tc.p, tc.exact, tc.ties)
		}
	}
}

// TestMannWhitneyNormal checks the normal approximation against a value
// computed by hand: for the Hollander-Wolfe data without the exact test
// (R: wilcox.test(x, y, exact = FALSE)), U = 35, mean 25, σ² = 10·5·16/12
// = 66.667, z = (35 − 25 − 0.5)/8.1650 = 1.16351, p = 2(1 − Φ(z)) =
// 0.24462.
func TestMannWhitneyNormal(t *testing.T) {
	if got := normalP(35, 10, 5, nil); !near(got, 0.24462, 5e-5) {
		t.Errorf("normalP = %v, want 0.24462", got)
	}
	// Tie correction by hand: x = {1, 2, 2}, y = {2, 3, 3}: ranks 1,
	// 3, 3 | 3, 5.5, 5.5, U = 7 − 6 = 1; ties of 3 and 2: Σ(t³−t) = 24 +
	// 6 = 30; σ² = 9/12·(7 − 30/30) = 4.5; z = (4.5 − 1 − 0.5)/2.12132 =
	// 1.41421, p = 2(1 − Φ(1.41421)) = 0.15730.
	if got := normalP(1, 3, 3, []int{3, 2}); !near(got, 0.15730, 5e-5) {
		t.Errorf("normalP with ties = %v, want 0.15730", got)
	}
	if got := normalP(2, 2, 2, []int{4}); got != 1 {
		t.Errorf("normalP all tied = %v, want 1", got)
	}
	// Above ExactLimit MannWhitney uses the approximation; it must be
	// close to the exact value (computed here by exactP directly).
	x, y := make([]float64, 30), make([]float64, 30)
	for i := range x {
		x[i], y[i] = float64(2*i), float64(2*i+7) // interleaved, shifted
	}
	r, err := MannWhitney(x, y)
	if err != nil || r.Exact {
		t.Fatalf("MannWhitney 30 vs 30: %+v, %v; want the approximation", r, err)
	}
	rank2, _ := doubledMidranks(x, y)
	if exact := exactP(rank2, 30, 30); math.Abs(exact-r.P) > 0.005 {
		t.Errorf("30 vs 30: approximation %v, exact %v", r.P, exact)
	}
}

// bruteP is the exact two-sided p-value by enumerating every split of the
// pooled sample into groups of len(x) and len(y) (len(x)+len(y) <= 20).
func bruteP(x, y []float64) float64 {
	pooled := append(append([]float64(nil), x...), y...)
	n, n1 := len(pooled), len(x)
	// Midranks of the pooled values, by counting.
	rank := make([]float64, n)
	for i, v := range pooled {
		less, eq := 0, 0
		for _, w := range pooled {
			if w < v {
				less++
			} else if w == v {
				eq++
			}
		}
		rank[i] = float64(less) + float64(eq+1)/2
	}
	var obs float64
	for i := range n1 {
		obs += rank[i]
	}
	var total, below, above float64
	for mask := uint32(0); mask < 1<<n; mask++ {
		if bits.OnesCount32(mask) != n1 {
			continue
		}
		var s float64
		for i := range n {
			if mask&(1<<i) != 0 {
				s += rank[i]
			}
		}
		total++
		if s <= obs+1e-9 {
			below++
		}
		if s >= obs-1e-9 {
			above++
		}
	}
	return math.Min(1, 2*math.Min(below, above)/total)
}

// TestMannWhitneyBruteForce compares the exact p-value with enumeration
// on random small samples with many ties, and checks the symmetries.
func TestMannWhitneyBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 2))
	trials := 300
	if testing.Short() {
		trials = 60
	}
	for range trials {
		n1, n2 := 1+rng.IntN(8), 1+rng.IntN(8)
		levels := 1 + rng.IntN(12) // few levels: many ties
		x, y := make([]float64, n1), make([]float64, n2)
		for i := range x {
			x[i] = float64(rng.IntN(levels))
		}
		for i := range y {
			y[i] = float64(rng.IntN(levels)) + float64(rng.IntN(2))
		}
		r, err := MannWhitney(x, y)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteP(x, y); math.Abs(r.P-want) > 1e-9 {
			t.Fatalf("MannWhitney(%v, %v).P = %v, brute force %v", x, y, r.P, want)
		}
		s, _ := MannWhitney(y, x)
		if math.Abs(s.P-r.P) > 1e-9 || s.U+r.U != float64(n1*n2) {
			t.Fatalf("asymmetric: (%v, %v) gives %+v, swapped %+v", x, y, r, s)
		}
		if r.U < 0 || r.U > float64(n1*n2) || r.P <= 0 || r.P > 1 {
			t.Fatalf("out of range: %+v", r)
		}
		if r.P < MinPValue(n1, n2)-1e-12 {
			t.Fatalf("p %v below MinPValue(%d, %d) = %v", r.P, n1, n2, MinPValue(n1, n2))
		}
	}
}

// TestMannWhitneyCalibration: for samples from one continuous
// distribution the p-value is about uniform, so p < 0.05 in about 5% of
// the trials (the exact test is conservative: at most 5%).
func TestMannWhitneyCalibration(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t), 3))
	const trials = 2000
	sig := 0
	for range trials {
		x, y := make([]float64, 8), make([]float64, 8)
		for i := range x {
			x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		r, _ := MannWhitney(x, y)
		if r.P < 0.05 {
			sig++
		}
	}
	// Binomial(2000, 0.05): sd 9.7; 0.05 + 4 sd is 139.
	if rate := float64(sig) / trials; rate > 0.07 || sig == 0 {
		t.Errorf("false positive rate %.3f at alpha 0.05, want about 0.05 or below", rate)
	} else {
		t.Logf("false positive rate %.3f at alpha 0.05", rate)
	}
}

func TestMannWhitneyErrors(t *testing.T) {
	for _, tc := range []struct{ x, y []float64 }{
		{nil, []float64{1}},
		{[]float64{1}, nil},
		{[]float64{1, math.NaN()}, []float64{1}},
		{[]float64{1}, []float64{math.NaN()}},
	} {
		if _, err := MannWhitney(tc.x, tc.y); !errors.Is(err, ErrSample) {
			t.Errorf("MannWhitney(%v, %v) error %v, want ErrSample", tc.x, tc.y, err)
		}
	}
}

func TestMinPValue(t *testing.T) {
	for _, tc := range []struct {
		n1, n2 int
		want   float64
	}{
		{3, 3, 0.1},
		{4, 4, 2.0 / 70},
		{5, 5, 2.0 / 252},
		{3, 4, 2.0 / 35},
		{10, 10, 2.0 / 184756},
		{1, 1, 1},
		{1, 2, 2.0 / 3},
		{0, 5, 1},
		{5, -1, 1},
	} {
		if got := MinPValue(tc.n1, tc.n2); !near(got, tc.want, 1e-12*max(1, tc.want)) {
			t.Errorf("MinPValue(%d, %d) = %v, want %v", tc.n1, tc.n2, got, tc.want)
		}
	}
	for _, tc := range []struct {
		alpha float64
		want  int
	}{
		{0.05, 4}, {0.01, 5}, {0.1, 4}, {0.2, 3}, {0.5, 2}, {0.001, 7}, {0, 0}, {1, 0}, {math.NaN(), 0},
	} {
		if got := MinRuns(tc.alpha); got != tc.want {
			t.Errorf("MinRuns(%v) = %d, want %d", tc.alpha, got, tc.want)
		}
	}
}

// FuzzMannWhitney checks that any pair of samples gives a p-value in
// (0, 1], a U in range, and agrees with itself swapped.
func FuzzMannWhitney(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint8(3))
	f.Add([]byte{1, 1, 1, 1}, uint8(2))
	f.Add([]byte{9, 1, 9, 1, 9, 1, 0, 200}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		if len(data) < 2 || len(data) > 120 {
			return
		}
		k := 1 + int(split)%(len(data)-1)
		x, y := make([]float64, k), make([]float64, len(data)-k)
		for i, b := range data {
			if i < k {
				x[i] = float64(b)
			} else {
				y[i-k] = float64(b)
			}
		}
		r, err := MannWhitney(x, y)
		if err != nil {
			t.Fatal(err)
		}
		if !(r.P > 0 && r.P <= 1) || r.U < 0 || r.U > float64(len(x)*len(y)) {
			t.Fatalf("out of range: %+v", r)
		}
		s, err := MannWhitney(y, x)
		if err != nil || math.Abs(s.P-r.P) > 1e-9 {
			t.Fatalf("swapped p %v, %v; want %v", s.P, err, r.P)
		}
	})
}
