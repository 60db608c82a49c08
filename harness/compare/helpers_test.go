package compare

import (
	"flag"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/lightningdb/lightning/engine"
	"github.com/lightningdb/lightning/engine/vfs"
	"github.com/lightningdb/lightning/harness/measure"
	"github.com/lightningdb/lightning/reports"
)

var (
	update   = flag.Bool("update", false, "rewrite the golden files under testdata/")
	seedFlag = flag.Uint64("seed", 0, "seed of the randomized tests (0: a fixed seed for the rate tests, the clock for the others)")
	plotDir  = flag.String("plotdir", "", "also write the smoke test's plots to this directory, to look at them")
)

// testSeed returns the seed of a randomized test (the -seed flag, else
// def, else one from the clock) and logs it.
func testSeed(t *testing.T, def uint64) uint64 {
	t.Helper()
	s := *seedFlag
	if s == 0 {
		s = def
	}
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -seed %d)", s, s)
	return s
}

// testMachine is the machine of synthetic reports.
var testMachine = reports.Machine{CPUModel: "Test CPU @ 3.00GHz", Cores: 2, GOMAXPROCS: 2, GoVersion: "go1.26.0",
	OS: "linux", Arch: "amd64", Checksum: map[string]string{"crc32c": "crc32c/sse4.2"}}

// opModel is an op type of a synthetic workload: its throughput and
// median latency at speed 1.
type opModel struct {
	op         string
	throughput float64
	p50NS      float64
}

// synth describes synthetic runs: one workload and phase on several
// backends, each at a speed (1 = nominal; 0.5 = half the throughput and
// twice the latency), with lognormal run-to-run noise of CV about cv.
type synth struct {
	workload, phase string
	ops             []opModel
	speeds          map[string]float64 // backend → speed, in name order of backends
	backends        []string
	cv              float64
	shared          float64 // CV of noise shared by the runs of one report (the machine's)
	props           []reports.Property
	options         string
	threads         int
	commit          string
	machine         *reports.Machine
	hdr             bool // encode real histograms (for JSON round trips)
}

// defaultSynth returns a two-op workload on backends "lsm" and "mem"
// with 4% noise.
func defaultSynth() *synth {
	return &synth{
		workload: "smoke", phase: "run",
		ops:      []opModel{{"read", 400e3, 2000}, {"update", 100e3, 8000}},
		speeds:   map[string]float64{"lsm": 1, "mem": 1},
		backends: []string{"lsm", "mem"},
		cv:       0.04,
		props: []reports.Property{
			{Name: "recordcount", Value: "1000", Source: "test.workload:1"},
			{Name: "operationcount", Value: "50000", Source: "test.workload:2"},
			{Name: "threadcount", Value: "2", Source: "test.workload:3"},
			{Name: "readproportion", Value: "0.8", Source: "test.workload:4"},
			{Name: "updateproportion", Value: "0.2", Source: "test.workload:5"},
			{Name: "lightning.seed", Value: "7", Source: "test.workload:6"},
		},
		options: engine.DefaultOptions().String(),
		threads: 2,
		commit:  "0123456789abcdef0123456789abcdef01234567",
	}
}

// clone returns a copy of s whose maps and slices may be changed.
func (s *synth) clone() *synth {
	c := *s
	c.speeds = map[string]float64{}
	for k, v := range s.speeds {
		c.speeds[k] = v
	}
	c.props = append([]reports.Property(nil), s.props...)
	c.backends = append([]string(nil), s.backends...)
	return &c
}

// setProp sets property name to value.
func (s *synth) setProp(name, value string) *synth {
	for i := range s.props {
		if s.props[i].Name == name {
			s.props[i].Value = value
			return s
		}
	}
	s.props = append(s.props, reports.Property{Name: name, Value: value, Source: "-p"})
	return s
}

// latency shape: lognormal with σ = 0.5 around the median; z-scores of
// the 99th and 99.9th percentiles.
const (
	latSigma = 0.5
	z99      = 2.3263
	z999     = 3.0902
)

// run returns one synthetic run of backend; machine is the report's
// shared speed factor.
func (s *synth) run(t testing.TB, rng *rand.Rand, backend string, machine float64) reports.Run {
	t.Helper()
	speed := s.speeds[backend] * machine
	r := reports.Run{Workload: s.workload, Sources: []string{"test.workload"}, Backend: backend, Phase: s.phase,
		Options: s.options, Properties: s.props, Seed: 7, Threads: s.threads, RunTimeNS: int64(10 * time.Second),
		ElapsedNS: int64(10 * time.Second), Complete: true, StoppedBy: "operationcount", ClockSource: "tsc", IntervalNS: int64(time.Second)}
	r.Config = reports.ConfigDigest(backend, s.phase, s.threads, s.options, s.props)
	for _, m := range s.ops {
		noise := math.Exp(s.cv * rng.NormFloat64())
		tput := m.throughput * speed / noise
		p50 := m.p50NS / speed * noise
		ops := uint64(tput * 10)
		or := reports.OpReport{Op: m.op, Operations: ops, Counts: measure.Counts{OK: ops}, Throughput: tput}
		if s.hdr {
			h := measure.NewHistogram()
			// 200 quantiles of the lognormal, 5 values each.
			for k := range 200 {
				z := math.Sqrt2 * math.Erfinv(2*(float64(k)+0.5)/200-1)
				if err := h.RecordValues(int64(p50*math.Exp(latSigma*z)), 5); err != nil {
					t.Fatal(err)
				}
			}
			l, err := reports.NewLatency(h)
			if err != nil {
				t.Fatal(err)
			}
			or.Service = l
		} else {
			or.Service = &reports.Latency{Count: int64(ops), P50NS: int64(p50),
				P99NS: int64(p50 * math.Exp(latSigma*z99)), P999NS: int64(p50 * math.Exp(latSigma*z999))}
		}
		r.Ops = append(r.Ops, or)
		r.Throughput += tput
		r.Operations += ops
		r.Counts.OK += ops
	}
	return r
}

// report returns one report with a run of every backend, in s.backends
// order, repeated times (interleaved).
func (s *synth) report(t testing.TB, rng *rand.Rand, repeat int) *reports.Report {
	t.Helper()
	m := testMachine
	if s.machine != nil {
		m = *s.machine
	}
	m.Commit = s.commit
	rep := reports.NewReport("bench", []string{"-workloads", s.workload}, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), m)
	machine := math.Exp(s.shared * rng.NormFloat64())
	for range repeat {
		for _, b := range s.backends {
			rep.Runs = append(rep.Runs, s.run(t, rng, b, machine))
		}
	}
	return rep
}

// side returns n reports of s as a side named name.
func (s *synth) side(t testing.TB, rng *rand.Rand, name string, n int) *Side {
	t.Helper()
	var reps []*reports.Report
	for range n {
		reps = append(reps, s.report(t, rng, 1))
	}
	return NewSide(name, reps...)
}

// writeSide writes n reports of s to fs as dir/run-<i>/report.json.
func (s *synth) writeSide(t testing.TB, rng *rand.Rand, fs vfs.FS, dir string, n int) {
	t.Helper()
	for i := range n {
		sub := filepath.Join(dir, "run-"+string(rune('a'+i)))
		if err := fs.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := reports.WriteAll(fs, sub, s.report(t, rng, 1), &reports.WriteOptions{NoPlots: true}); err != nil {
			t.Fatal(err)
		}
	}
}
