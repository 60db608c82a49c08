package compare

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// rowsOf returns the rows of backend.
func rowsOf(res *Result, backend string) []Row {
	var out []Row
	for _, r := range res.Rows {
		if r.Backend == backend {
			out = append(out, r)
		}
	}
	return out
}

// TestFlagsSlowdown is the test (a): a 2× and a 20% slowdown of
// one backend are regressions in every row at the default settings, with
// 6 and 10 runs a side, 4% run-to-run noise; a speed-up is an
// improvement, not a regression; 3 runs a side are too few to say. (The
// untouched backend "mem" is flagged now and then, as any test of
// significance must: TestFalseAlarmRate measures how often.)
func TestFlagsSlowdown(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t, 0), 1))
	for _, tc := range []struct {
		name  string
		speed float64
		runs  int
		want  Verdict
	}{
		{"2x slowdown, 6 runs", 0.5, 6, Regression},
		{"20% slowdown, 6 runs", 0.8, 6, Regression},
		{"20% slowdown, 10 runs", 0.8, 10, Regression},
		{"2x slowdown, 4 runs", 0.5, 4, Regression},
		{"30% speed-up, 6 runs", 1.3, 6, Improvement},
		{"2x slowdown, 3 runs", 0.5, 3, TooFewRuns},
	} {
		s := defaultSynth()
		base := s.side(t, rng, "base", tc.runs)
		slow := s.clone()
		slow.speeds["lsm"] = tc.speed
		slow.commit = "fedcba9876543210fedcba9876543210fedcba98"
		res, err := Compare(base, slow.side(t, rng, "new", tc.runs), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		lsm := rowsOf(res, "lsm")
		// 2 ops × 4 metrics + overall throughput.
		if len(lsm) != 9 || len(res.Rows) != 18 {
			t.Fatalf("%s: %d rows, %d of lsm; want 18 and 9", tc.name, len(res.Rows), len(lsm))
		}
		for _, r := range lsm {
			if r.Verdict != tc.want {
				t.Errorf("%s: %s %s %s: verdict %v (%s), want %v", tc.name, r.Benchmark(), r.Op, r.Metric, r.Verdict, r.Reason, tc.want)
			}
			// The ratio is the speed change in the metric's direction.
			want := 1 / tc.speed
			if r.Metric.HigherIsBetter() {
				want = tc.speed
			}
			// A median of n runs with 4% noise has a spread of about
			// 1.25·4%/√n; the ratio of two √2 times that. Allow 5 of it.
			tol := 5 * 1.25 * 0.04 * math.Sqrt(2/float64(tc.runs))
			if math.Abs(math.Log(r.Ratio/want)) > tol || r.Low > r.Ratio || r.High < r.Ratio {
				t.Errorf("%s: %s %s: ratio %.3f [%.3f, %.3f], want about %.3f", tc.name, r.Op, r.Metric, r.Ratio, r.Low, r.High, want)
			}
		}
		if tc.want == Regression && !res.Regressed() {
			t.Errorf("%s: Regressed() = false", tc.name)
		}
	}
}

// TestFalseAlarmRate is the test (b) on synthetic data: pairs of
// sides drawn from one distribution (8 runs a side, 4% noise, 2 backends
// × 9 rows) must rarely be called a regression. At alpha 0.05 and a 5%
// minimum effect the rate over 200 pairs must stay below 10%; without the
// minimum effect, the rate of significant rows must stay near alpha.
func TestFalseAlarmRate(t *testing.T) {
	seed := testSeed(t, 20261125)
	pairs := 200
	if testing.Short() {
		pairs = 100
	}
	for _, tc := range []struct {
		name      string
		minEffect float64
	}{{"default 5% minimum effect", 0}, {"no minimum effect", NoMinEffect}} {
		rng := rand.New(rand.NewPCG(seed, 2))
		s := defaultSynth()
		alarms, rows, sig, regRows := 0, 0, 0, 0
		for range pairs {
			res, err := Compare(s.side(t, rng, "a", 8), s.side(t, rng, "b", 8), &Options{Resamples: 200, MinEffect: tc.minEffect})
			if err != nil {
				t.Fatal(err)
			}
			if res.Regressed() {
				alarms++
			}
			for _, r := range res.Rows {
				rows++
				if r.P < res.Options.Alpha {
					sig++
				}
				if r.Verdict == Regression {
					regRows++
				}
			}
		}
		rate, sigRate := float64(alarms)/float64(pairs), float64(sig)/float64(rows)
		t.Logf("%s: %d of %d comparisons flagged a regression (%.1f%%); %d of %d rows significant (%.1f%%), %d rows regressions",
			tc.name, alarms, pairs, 100*rate, sig, rows, 100*sigRate, regRows)
		// Rows of one op share their noise, so rows are not independent;
		// the per-row rate is what alpha bounds.
		if sigRate > 0.08 {
			t.Errorf("%s: %.1f%% of rows significant at alpha 0.05", tc.name, 100*sigRate)
		}
		if tc.minEffect == 0 && rate >= 0.10 {
			t.Errorf("%s: false alarm rate %.1f%%, want < 10%%", tc.name, 100*rate)
		}
	}
}

// TestIncompatible is the test (c): sides measured with different
// configurations are refused, naming each differing key and both values.
func TestIncompatible(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t, 0), 3))
	for _, tc := range []struct {
		name   string
		change func(s *synth)
		want   []string
	}{
		{"record count", func(s *synth) { s.setProp("recordcount", "2000") },
			[]string{"smoke/run/lsm: baseline and new differ in recordcount (1000 vs 2000)", "smoke/run/mem: baseline and new differ in recordcount (1000 vs 2000)"}},
		{"engine option", func(s *synth) { s.options = strings.Replace(s.options, "cache_size=67108864", "cache_size=1048576", 1) },
			[]string{"differ in option cache_size (67108864 vs 1048576)"}},
		{"threads", func(s *synth) { s.threads = 4; s.setProp("threadcount", "4") },
			[]string{"differ in threadcount (2 vs 4), threads (2 vs 4)"}},
		{"new property", func(s *synth) { s.setProp("requestdistribution", "uniform") },
			[]string{"requestdistribution ((unset) vs uniform)"}},
		{"several", func(s *synth) { s.setProp("recordcount", "5"); s.setProp("readproportion", "0.5") },
			[]string{"readproportion (0.8 vs 0.5), recordcount (1000 vs 5)"}},
		{"different workload", func(s *synth) { s.workload = "other" },
			[]string{"no benchmark in common", "baseline has: smoke/run/lsm, smoke/run/mem", "new has:      other/run/lsm, other/run/mem"}},
	} {
		s := defaultSynth()
		n := s.clone()
		tc.change(n)
		_, err := Compare(s.side(t, rng, "base", 4), n.side(t, rng, "new", 4), nil)
		var ie *IncompatibleError
		if !errors.Is(err, ErrIncompatible) || !errors.As(err, &ie) {
			t.Errorf("%s: error %v, want ErrIncompatible", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error does not say %q:\n%v", tc.name, w, err)
			}
		}
	}
	// A seed or a target does not change what is measured.
	s := defaultSynth()
	n := s.clone().setProp("lightning.seed", "99").setProp("lightning.target.read.ops", "1000")
	if _, err := Compare(s.side(t, rng, "base", 4), n.side(t, rng, "new", 4), nil); err != nil {
		t.Errorf("different seed and target: %v", err)
	}
	// Runs of one side that disagree are refused too.
	a := s.side(t, rng, "base", 4)
	a.Reports = append(a.Reports, s.clone().setProp("recordcount", "7").report(t, rng, 1))
	a.Files = append(a.Files, "odd.json")
	_, err := Compare(a, s.side(t, rng, "new", 4), nil)
	if !errors.Is(err, ErrIncompatible) || !strings.Contains(err.Error(), "smoke/run/lsm: runs of baseline (base#1 run #1 and odd.json run #1) differ in recordcount (1000 vs 7)") {
		t.Errorf("mixed baseline: %v", err)
	}
}

// TestRatioMode: a machine 30% slower on every backend is a regression in
// absolute mode but not in ratio mode; a backend 20% slower relative to
// the reference is a regression in ratio mode even on a faster machine.
func TestRatioMode(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t, 0), 4))
	// Machine noise shared by the runs of one report (4%) over little
	// noise of each run (1.5%): ratio mode cancels the shared part.
	s := defaultSynth()
	s.shared, s.cv = 0.04, 0.015
	base := s.side(t, rng, "base", 6)
	slowMachine := s.clone()
	slowMachine.speeds = map[string]float64{"lsm": 0.7, "mem": 0.7}
	next := slowMachine.side(t, rng, "new", 6)
	abs, err := Compare(base, next, nil)
	if err != nil || !abs.Regressed() {
		t.Fatalf("absolute mode on a slower machine: regressed %v, err %v", abs != nil && abs.Regressed(), err)
	}
	rat, err := Compare(base, next, &Options{Reference: "mem"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rat.Rows) != 9 || len(rowsOf(rat, "lsm")) != 9 {
		t.Fatalf("ratio mode: %d rows, want 9 of lsm", len(rat.Rows))
	}
	for _, r := range rat.Rows {
		// Per-run ratios have about 2.1% noise; medians of 6, about 1.1%.
		if r.Verdict == Regression || r.Verdict == Improvement || math.Abs(r.Ratio-1) > 0.05 {
			t.Errorf("ratio mode on a slower machine: %s %s ratio %.3f %v (%s)", r.Op, r.Metric, r.Ratio, r.Verdict, r.Reason)
		}
		if math.Abs(r.Base.Median-1) > 0.05 {
			t.Errorf("ratio mode: baseline lsm/mem %s %s = %.3f, want about 1", r.Op, r.Metric, r.Base.Median)
		}
	}

	lsmSlower := s.clone()
	lsmSlower.speeds = map[string]float64{"lsm": 1.5 * 0.8, "mem": 1.5}
	rat, err = Compare(base, lsmSlower.side(t, rng, "new", 6), &Options{Reference: "mem"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rat.Rows {
		if r.Verdict != Regression {
			t.Errorf("ratio mode, lsm 20%% slower than mem: %s %s ratio %.3f %v (%s)", r.Op, r.Metric, r.Ratio, r.Verdict, r.Reason)
		}
	}

	// Repeated runs in one report pair in order.
	rep := s.report(t, rng, 3)
	rat, err = Compare(NewSide("a", rep), NewSide("b", s.report(t, rng, 3)), &Options{Reference: "mem"})
	if err != nil || rat.Rows[0].Base.N != 3 {
		t.Errorf("3 repeats in one report: %v, rows %+v", err, rat)
	}
}

func TestRatioModeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t, 0), 5))
	s := defaultSynth()
	_, err := Compare(s.side(t, rng, "a", 4), s.side(t, rng, "b", 4), &Options{Reference: "btree"})
	if !errors.Is(err, ErrBadReport) || !strings.Contains(err.Error(), `baseline has no run of the reference backend "btree" (it has lsm, mem)`) {
		t.Errorf("no reference anywhere: %v", err)
	}
	a := s.side(t, rng, "a", 4)
	a.Reports[1].Runs = a.Reports[1].Runs[:1] // lsm only
	_, err = Compare(a, s.side(t, rng, "b", 4), &Options{Reference: "mem"})
	if !errors.Is(err, ErrBadReport) || !strings.Contains(err.Error(), `a#2: ratio mode needs a run of the reference backend "mem" for smoke/run in the same report`) {
		t.Errorf("reference missing in one report: %v", err)
	}
	// Unequal numbers of runs of a backend and the reference.
	rep := s.report(t, rng, 2)
	rep.Runs = rep.Runs[:3] // lsm, mem, lsm
	_, err = Compare(NewSide("a", rep), s.side(t, rng, "b", 4), &Options{Reference: "mem"})
	if !errors.Is(err, ErrBadReport) || !strings.Contains(err.Error(), "2 runs of smoke/run/lsm but 1 of the reference smoke/run/mem") {
		t.Errorf("unpaired runs: %v", err)
	}
}

func TestVerdict(t *testing.T) {
	def, _ := (&Options{}).prepare()
	none, _ := (&Options{MinEffect: NoMinEffect, Alpha: 0.01}).prepare()
	for _, tc := range []struct {
		name         string
		ratio, p     float64
		n1, n2       int
		higherBetter bool
		o            *Options
		want         Verdict
		reason       string
	}{
		{"throughput down", 0.8, 0.002, 6, 6, true, &def, Regression, "-20.0%, p = 0.002"},
		{"throughput up", 1.2, 0.002, 6, 6, true, &def, Improvement, "+20.0%, p = 0.002"},
		{"latency up", 1.2, 0.002, 6, 6, false, &def, Regression, "+20.0%, p = 0.002"},
		{"latency down", 0.8, 0.002, 6, 6, false, &def, Improvement, "-20.0%, p = 0.002"},
		{"not significant", 0.5, 0.06, 6, 6, true, &def, NoChange, "not significant: p = 0.06 >= 0.05"},
		{"p equals alpha", 0.5, 0.05, 6, 6, true, &def, NoChange, "not significant: p = 0.05 >= 0.05"},
		{"small effect", 0.97, 0.001, 10, 10, true, &def, NoChange, "significant (p = 0.001) but -3.0% is below the 5% minimum effect"},
		{"just the effect", 0.95, 0.001, 10, 10, true, &def, Regression, "-5.0%, p = 0.001"},
		{"no min effect", 0.99, 0.001, 10, 10, true, &none, Regression, "-1.0%, p = 0.001"},
		{"equal medians", 1, 0.001, 10, 10, true, &none, NoChange, "significant (p = 0.001) but the medians are equal"},
		{"3 vs 3", 0.5, 0.1, 3, 3, true, &def, TooFewRuns, "3 vs 3 runs cannot reach p < 0.05 (smallest possible p 0.1); need at least 4 runs a side"},
		{"3 vs 4", 0.5, 0.057, 3, 4, true, &def, TooFewRuns, "3 vs 4 runs cannot reach p < 0.05 (smallest possible p 0.0571); need at least 4 runs a side"},
		{"4 vs 4 at 0.01", 0.5, 0.029, 4, 4, true, &none, TooFewRuns, "4 vs 4 runs cannot reach p < 0.01 (smallest possible p 0.0286); need at least 5 runs a side"},
		{"4 vs 4", 0.5, 0.029, 4, 4, true, &def, Regression, "-50.0%, p = 0.029"},
	} {
		v, reason := verdict(tc.ratio, tc.p, tc.n1, tc.n2, tc.higherBetter, tc.o)
		if v != tc.want || reason != tc.reason {
			t.Errorf("%s: %v %q, want %v %q", tc.name, v, reason, tc.want, tc.reason)
		}
	}
}

func TestOptions(t *testing.T) {
	o, err := (*Options)(nil).prepare()
	if err != nil || o.Alpha != 0.05 || o.MinEffect != 0.05 || o.Confidence != 0.95 || o.Resamples != 10000 || len(o.Metrics) != 4 {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	for _, bad := range []Options{
		{Alpha: 1}, {Alpha: -0.1}, {Alpha: math.NaN()}, {MinEffect: 1}, {MinEffect: -0.5}, {MinEffect: math.NaN()},
		{Confidence: 1.5}, {Resamples: 10}, {Resamples: -1}, {Metrics: []Metric{P50, P50}}, {Metrics: []Metric{9}},
	} {
		if _, err := bad.prepare(); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: error %v, want ErrOptions", bad, err)
		}
	}
	for _, tc := range []struct {
		s    string
		want Metric
	}{{"ops/s", Throughput}, {"throughput", Throughput}, {"P50", P50}, {"p99", P99}, {"p99.9", P999}, {"p999", P999}} {
		if m, err := ParseMetric(tc.s); err != nil || m != tc.want {
			t.Errorf("ParseMetric(%q) = %v, %v", tc.s, m, err)
		}
	}
	if _, err := ParseMetric("p42"); !errors.Is(err, ErrOptions) {
		t.Errorf("ParseMetric(p42): %v", err)
	}
	// Only the chosen metrics are compared.
	rng := rand.New(rand.NewPCG(testSeed(t, 0), 6))
	s := defaultSynth()
	res, err := Compare(s.side(t, rng, "a", 4), s.side(t, rng, "b", 4), &Options{Metrics: []Metric{P99}})
	if err != nil || len(res.Rows) != 4 {
		t.Fatalf("p99 only: %v, %d rows", err, len(res.Rows))
	}
	for _, r := range res.Rows {
		if r.Metric != P99 || r.Op == Overall {
			t.Errorf("p99 only: row %s %s", r.Op, r.Metric)
		}
	}
}

// TestOneSided: op types and benchmarks measured on one side only are
// listed, not compared; runs cut short or with errors are noted.
func TestOneSided(t *testing.T) {
	rng := rand.New(rand.NewPCG(testSeed(t, 0), 7))
	s := defaultSynth()
	n := s.clone()
	n.backends = []string{"lsm", "mem", "btree"}
	n.speeds["btree"] = 1
	next := n.side(t, rng, "b", 4)
	next.Reports[0].Runs[0].Complete = false
	next.Reports[1].Runs[1].Counts.Errors = 3
	res, err := Compare(s.side(t, rng, "a", 4), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.OnlyBaseline) != 0 || strings.Join(res.OnlyNew, ",") != "smoke/run/btree read,smoke/run/btree update,smoke/run/btree overall" {
		t.Errorf("only baseline %q, only new %q", res.OnlyBaseline, res.OnlyNew)
	}
	notes := strings.Join(res.Notes, "\n")
	for _, w := range []string{"new: 1 of 12 runs stopped early", "new: 1 of 12 runs had operations that returned errors"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes do not say %q:\n%s", w, notes)
		}
	}
	// A negative figure is not a measurement.
	bad := s.side(t, rng, "a", 4)
	bad.Reports[2].Runs[1].Ops[0].Throughput = -1
	if _, err := Compare(bad, s.side(t, rng, "b", 4), nil); !errors.Is(err, ErrBadReport) || !strings.Contains(err.Error(), "a#3 run #2 (smoke/mem/run): op read: ops/s -1 is not a measurement") {
		t.Errorf("negative throughput: %v", err)
	}
	if _, err := Compare(nil, bad, nil); !errors.Is(err, ErrNoReports) {
		t.Errorf("nil side: %v", err)
	}
}

// TestDeterministic: equal inputs and seed give equal results.
func TestDeterministic(t *testing.T) {
	seed := testSeed(t, 0)
	s := defaultSynth()
	build := func() *Result {
		rng := rand.New(rand.NewPCG(seed, 8))
		res, err := Compare(s.side(t, rng, "a", 5), s.side(t, rng, "b", 5), &Options{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := build(), build()
	for i := range a.Rows {
		if a.Rows[i].Low != b.Rows[i].Low || a.Rows[i].High != b.Rows[i].High || a.Rows[i].P != b.Rows[i].P {
			t.Fatalf("row %d differs: %+v vs %+v", i, a.Rows[i], b.Rows[i])
		}
	}
}
